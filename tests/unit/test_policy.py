"""Policy values are typed and bounded; updates report exactly what changed."""

from __future__ import annotations

from typing import Any

import pytest

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.policy import DEFAULT_POLICY, POLICY_KEYS, Policy, validate_value


def test_defaults_round_trip_through_json() -> None:
    assert Policy.from_json(DEFAULT_POLICY.to_json()) == DEFAULT_POLICY
    assert set(DEFAULT_POLICY.to_json()) == POLICY_KEYS


def test_update_returns_only_real_changes() -> None:
    new, diff = DEFAULT_POLICY.updated({"reminder_days": 30, "rotation_days": 90})
    assert new.reminder_days == 30
    assert diff == {"reminder_days": {"before": 14, "after": 30}}


def test_lists_are_cleaned() -> None:
    new, diff = DEFAULT_POLICY.updated({"broad_scopes": ["*", " admin ", "*"]})
    assert new.broad_scopes == ("*", "admin")
    assert diff["broad_scopes"]["after"] == ["*", "admin"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("reminder_days", 0),
        ("reminder_days", 366),
        ("reminder_days", "14"),
        ("reminder_days", 14.0),
        ("reminder_days", True),
        ("require_owner", 1),
        ("require_owner", "yes"),
        ("broad_scopes", "*"),
        ("broad_scopes", ["ok", "bad\x1b"]),
        ("idle_lock_seconds", 5),
        ("max_lifetime_days", 0),
        ("no_such_key", 1),
    ],
)
def test_bad_values_are_refused(key: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        validate_value(key, value)


def test_optional_int_accepts_none() -> None:
    assert validate_value("max_lifetime_days", None) is None


def test_from_json_requires_every_key() -> None:
    data = DEFAULT_POLICY.to_json()
    del data["stale_days"]
    with pytest.raises(ValidationError, match="missing"):
        Policy.from_json(data)
    with pytest.raises(ValidationError, match="unknown"):
        Policy.from_json({**DEFAULT_POLICY.to_json(), "extra": 1})
