"""The team's policy: stored in the vault, changed only through journaled `policy.update`.

Each key has a type and bounds checked here, so the CLI, the TUI and the journal replay accept
exactly the same values. Durations are whole days or seconds (the journal has no floats).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.limits import FIELD_MAX, LIST_MAX_ITEMS
from tokenvault.domain.text import clean_list


@dataclass(frozen=True, slots=True)
class Policy:
    reminder_days: int = 14  # "due" when expiry or rotation falls within this window
    rotation_days: int = 90  # rotation period for tokens that do not set their own
    max_lifetime_days: int | None = 365  # expiry further than this from issue is a finding
    require_owner: bool = True  # refuse tokens without an owner
    require_expiry: bool = False  # refuse tokens without an expiry date
    broad_scopes: tuple[str, ...] = ("*", "admin", "root", "all", "full-access", "owner")
    review_days: int = 90  # owner attestation older than this is overdue
    stale_days: int = 180  # no rotation, review or use for this long is stale
    idle_lock_seconds: int = 300  # the TUI locks itself after this much idle time
    clipboard_clear_seconds: int = 20  # a copied secret is cleared after this long

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["broad_scopes"] = list(self.broad_scopes)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        unknown = set(data) - POLICY_KEYS
        missing = POLICY_KEYS - set(data)
        if unknown or missing:
            raise ValidationError(
                f"policy keys do not match: unknown {sorted(unknown)}, missing {sorted(missing)}"
            )
        return cls(**{key: validate_value(key, data[key]) for key in data})

    def updated(self, changes: Mapping[str, Any]) -> tuple[Policy, dict[str, dict[str, Any]]]:
        """The policy with `changes` applied, and the before/after diff of what really changed."""
        checked = {key: validate_value(key, value) for key, value in changes.items()}
        new = replace(self, **checked)
        old_json, new_json = self.to_json(), new.to_json()
        diff = {
            key: {"before": old_json[key], "after": new_json[key]}
            for key in sorted(checked)
            if old_json[key] != new_json[key]
        }
        return new, diff


POLICY_KEYS = frozenset(f.name for f in fields(Policy))

# key -> (kind, minimum, maximum); kind is "int", "opt-int", "bool" or "list".
_RULES: dict[str, tuple[str, int, int]] = {
    "reminder_days": ("int", 1, 365),
    "rotation_days": ("int", 1, 3650),
    "max_lifetime_days": ("opt-int", 1, 36500),
    "require_owner": ("bool", 0, 0),
    "require_expiry": ("bool", 0, 0),
    "broad_scopes": ("list", 0, LIST_MAX_ITEMS),
    "review_days": ("int", 1, 3650),
    "stale_days": ("int", 1, 3650),
    "idle_lock_seconds": ("int", 30, 86400),
    "clipboard_clear_seconds": ("int", 5, 600),
}


def validate_value(key: str, value: Any) -> Any:
    """The policy value for `key`, checked and normalised; ValidationError otherwise."""
    if key not in _RULES:
        raise ValidationError(f"unknown policy key {key!r:.60}; known: {', '.join(sorted(_RULES))}")
    kind, low, high = _RULES[key]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValidationError(f"policy {key} must be true or false")
        return value
    if kind == "list":
        if not isinstance(value, list | tuple):
            raise ValidationError(f"policy {key} must be a list")
        return clean_list(list(value), field=f"policy {key}", max_items=high, max_len=FIELD_MAX)
    if value is None and kind == "opt-int":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"policy {key} must be a whole number")
    if not low <= value <= high:
        raise ValidationError(f"policy {key} must be between {low} and {high}")
    return value


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


# Units a duration may carry, per kind of key: how many of the key's own unit each is.
_DAY_UNITS = {"d": 1, "w": 7}
_SECOND_UNITS = {"s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"([0-9]+)\s*([a-z]?)")


def parse_text(key: str, text: str) -> Any:
    """A policy value as typed on a command line or in a form, then validated:
    booleans true/false (yes/no, on/off), durations as a whole number with an optional unit
    matching the key (`30d` or `4w` for *_days, `300s`, `5m` or `1h` for *_seconds), `none`
    to clear an optional limit, and lists comma-separated (empty text: an empty list)."""
    if key not in _RULES:
        return validate_value(key, text)  # raises the "unknown key" error
    kind = _RULES[key][0]
    raw = text.strip()
    if kind == "bool":
        word = raw.lower()
        if word not in _TRUE | _FALSE:
            raise ValidationError(f"policy {key} must be true or false, not {raw!r:.40}")
        return validate_value(key, word in _TRUE)
    if kind == "list":
        return validate_value(key, [item.strip() for item in raw.split(",") if item.strip()])
    if kind == "opt-int" and raw.lower() in ("none", "never", ""):
        return validate_value(key, None)
    return validate_value(key, _duration(key, raw))


def _duration(key: str, raw: str) -> int:
    units = _DAY_UNITS if key.endswith("_days") else _SECOND_UNITS
    example = "30d or 4w" if units is _DAY_UNITS else "300s, 5m or 1h"
    match = _DURATION.fullmatch(raw.lower()) if raw.isascii() else None
    if match is None or (match.group(2) and match.group(2) not in units):
        raise ValidationError(
            f"policy {key} must be a whole number (e.g. {example}), not {raw!r:.40}"
        )
    return int(match.group(1)) * units.get(match.group(2), 1)


DEFAULT_POLICY = Policy()
