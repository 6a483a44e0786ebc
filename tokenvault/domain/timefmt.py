"""One timestamp form everywhere: UTC, millisecond precision, `YYYY-MM-DDTHH:MM:SS.mmmZ`.

Fixed width means the journal's timestamps sort as text and compare byte-for-byte across
independent verifiers; milliseconds are enough to order a human team's actions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tokenvault.domain.errors import ValidationError

_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def format_ts(moment: datetime) -> str:
    """Format an aware datetime as the canonical UTC timestamp (truncated to milliseconds)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the vault only deals in aware UTC times")
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such years unpadded (not canonical; parse_ts refuses)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    # The same text as strftime, at a third of the cost (several calls per imported token).
    return (
        f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def parse_ts(text: str) -> datetime:
    """Parse a canonical timestamp; anything else is a ValidationError."""
    if not isinstance(text, str) or _TS_RE.fullmatch(text) is None:
        raise ValidationError(f"not a canonical UTC timestamp: {text!r:.40}")
    try:  # the regex fixed the form; fromisoformat is C (strptime was 90% of a 100k listing)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"not a valid date/time: {text!r:.40}") from None


def truncate_ms(moment: datetime) -> datetime:
    """The same instant at millisecond precision, as it will read back from storage."""
    return parse_ts(format_ts(moment))


def opt_format(moment: datetime | None) -> str | None:
    return None if moment is None else format_ts(moment)


def opt_parse(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)
