"""Dates and durations as people type them, read the same way by the CLI and the TUI.

    2026-12-31             midnight UTC at the start of that day
    2026-12-31T08:30Z      an instant (any ISO 8601 offset, converted to UTC)
    +30d / -7d / today     relative to `now` (whole days; `today` is the current instant)
    90d / 90               a number of days
    30d / 2w / 30          a window of days (`parse_window`: days or weeks)

Time is a parameter: `now` is passed in, never read from the system.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.timefmt import truncate_ms

NEVER_WORDS = frozenset({"never", "none"})
_RELATIVE = re.compile(r"([+-])(\d{1,5})d")
_DAYS = re.compile(r"(\d{1,5})d?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WINDOW = re.compile(r"(\d{1,5})([dw]?)")
_WINDOW_UNITS = {"": 1, "d": 1, "w": 7}
MAX_WINDOW_DAYS = 36_500  # a hundred years: beyond any expiry a person means


def parse_when(text: str, now: datetime, *, field: str = "date") -> datetime:
    """An instant from `YYYY-MM-DD`, an ISO 8601 date-time, `+Nd`/`-Nd` or `today`."""
    raw = text.strip()
    if raw.lower() == "today":
        return truncate_ms(now)
    relative = _RELATIVE.fullmatch(raw)
    if relative:
        days = int(relative.group(2)) * (1 if relative.group(1) == "+" else -1)
        return truncate_ms(now + timedelta(days=days))
    try:
        if _DATE.fullmatch(raw):
            return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        prefix = f"{field}: " if field else ""
        raise ValidationError(
            f"{prefix}{raw!r:.40} is not a date; use YYYY-MM-DD, an ISO date-time with a "
            "time zone (2026-12-31T08:30Z), +Nd or -Nd"
        )
    return truncate_ms(moment.astimezone(UTC))


def parse_optional_when(text: str, now: datetime, *, field: str = "date") -> datetime | None:
    """Like `parse_when`, but `never`/`none` clears the value."""
    if text.strip().lower() in NEVER_WORDS:
        return None
    return parse_when(text, now, field=field)


def parse_days(text: str, *, field: str = "days") -> int | None:
    """A whole number of days (`90d` or `90`); `default`/`none` means the policy's."""
    raw = text.strip().lower()
    if raw in ("default", "none"):
        return None
    match = _DAYS.fullmatch(raw)
    if match is None:
        prefix = f"{field}: " if field else ""
        raise ValidationError(f"{prefix}{text!r:.40} is not a number of days (e.g. 90d)")
    return int(match.group(1))


def parse_window(text: str, *, field: str = "window") -> int:
    """A window in whole days: `30d`, `2w` (weeks) or a bare `30`, from 0 to MAX_WINDOW_DAYS."""
    raw = text.strip().lower()
    match = _WINDOW.fullmatch(raw) if raw.isascii() else None
    prefix = f"{field}: " if field else ""
    if match is None:
        raise ValidationError(
            f"{prefix}{text!r:.40} is not a number of days; use e.g. 30d, 2w or 30"
        )
    days = int(match.group(1)) * _WINDOW_UNITS[match.group(2)]
    if days > MAX_WINDOW_DAYS:
        raise ValidationError(f"{prefix}{text!r:.40} is too long; at most {MAX_WINDOW_DAYS} days")
    return days
