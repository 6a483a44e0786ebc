"""The small domain rules behind the faces' inputs and listings: typed dates and durations,
policy values as text, the token filter, JSON records and journal descriptions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tokenvault.domain.dateinput import parse_days, parse_optional_when, parse_when
from tokenvault.domain.describe import subject, summary
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import RevokeReason, Status, Token, TokenVersion
from tokenvault.domain.policy import DEFAULT_POLICY, POLICY_KEYS, parse_text
from tokenvault.domain.query import TokenQuery
from tokenvault.domain.records import token_record

NOW = datetime(2026, 11, 25, 9, 30, 15, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", datetime(2026, 12, 31, tzinfo=UTC)),
        ("2024-02-29", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2026-12-31T08:30Z", datetime(2026, 12, 31, 8, 30, tzinfo=UTC)),
        ("2026-12-31T10:30:00+02:00", datetime(2026, 12, 31, 8, 30, tzinfo=UTC)),
        ("+30d", NOW + timedelta(days=30)),
        ("-7d", NOW - timedelta(days=7)),
        (" today ", NOW),
    ],
)
def test_parse_when_accepts(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["2025-02-29", "2026-13-01", "31/12/2026", "2026-12-31T08:30", "+30", "30d", "", "x"]
)
def test_parse_when_refuses_with_a_hint(text: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        parse_when(text, NOW, field="--expires")


def test_never_clears_only_where_allowed() -> None:
    assert parse_optional_when("never", NOW) is None
    assert parse_optional_when("NONE", NOW) is None
    with pytest.raises(ValidationError):
        parse_when("never", NOW)


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("90", 90), ("default", None)])
def test_parse_days(text: str, days: int | None) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["-1d", "1.5d", "90 days", "ninety", ""])
def test_parse_days_refuses(text: str) -> None:
    with pytest.raises(ValidationError, match="number of days"):
        parse_days(text)


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("reminder_days", "30d", 30),
        ("reminder_days", "30", 30),
        ("clipboard_clear_seconds", "45s", 45),
        ("review_days", "13w", 91),
        ("stale_days", "180 d", 180),
        ("idle_lock_seconds", "5m", 300),
        ("idle_lock_seconds", "1H", 3600),
        ("require_expiry", "yes", True),
        ("require_owner", "False", False),
        ("max_lifetime_days", "none", None),
        ("broad_scopes", "*, admin ,,root", ("*", "admin", "root")),
        ("broad_scopes", "", ()),
    ],
)
def test_policy_text_values(key: str, text: str, value: Any) -> None:
    assert parse_text(key, text) == value
    DEFAULT_POLICY.updated({key: value})  # and the policy accepts it


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("reminder_days", "30s"),
        ("reminder_days", "1m"),
        ("idle_lock_seconds", "1w"),
        ("idle_lock_seconds", "2d"),
        ("review_days", "-4w"),
        ("review_days", "4ww"),
        ("reminder_days", "0"),
        ("reminder_days", "١٢"),
        ("idle_lock_seconds", "5"),
        ("require_owner", "maybe"),
        ("rotation_days", "none"),
        ("no_such_key", "1"),
    ],
)
def test_policy_text_refused(key: str, text: str) -> None:
    with pytest.raises(ValidationError):
        parse_text(key, text)


def make_token(name: str, **changes: Any) -> Token:
    base = Token(
        id=1,
        name=name,
        service="github",
        environment="production",
        owner="platform",
        scopes=("repo", "read:packages"),
        used_by=("ci: deploy.yml",),
        tags=("critical",),
        notes="",
        created_at=NOW - timedelta(days=10),
        created_by="alice",
        issued_at=NOW - timedelta(days=10),
        expires_at=NOW + timedelta(days=100),
        rotate_every_days=None,
        last_rotated_at=NOW - timedelta(days=10),
        versions=(TokenVersion(1, "hmac-sha256:k1:" + "0" * 32, NOW, "alice"),),
    )
    return replace(base, **changes)


TOKENS = [
    make_token("gh-deploy"),
    make_token(
        "stripe-live",
        service="stripe",
        owner="payments",
        scopes=("write",),
        tags=(),
        used_by=("k8s: payments/api",),
    ),
    make_token("old", revoked_at=NOW, revoked_by="alice", revoke_reason=RevokeReason.OTHER),
    make_token("late", last_rotated_at=NOW - timedelta(days=100)),
]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (TokenQuery(), ["gh-deploy", "stripe-live", "old", "late"]),
        (TokenQuery(search="DEPLOY.yml ci"), ["gh-deploy", "old", "late"]),
        (TokenQuery(search="packages"), ["gh-deploy", "old", "late"]),
        (TokenQuery(search="critical stripe"), []),
        (TokenQuery(owner="PAYMENTS"), ["stripe-live"]),
        (TokenQuery(service="git"), []),  # exact, not substring
        (TokenQuery(statuses={Status.REVOKED, Status.OVERDUE}), ["old", "late"]),
    ],
)
def test_query_selects(query: TokenQuery, names: list[str]) -> None:
    assert [t.name for t in query.select(TOKENS, DEFAULT_POLICY, NOW)] == names


def test_token_record_shape() -> None:
    record = token_record(TOKENS[2], DEFAULT_POLICY, NOW)
    assert record["status"] == "revoked"
    assert record["revoke_reason"] == "other"
    assert record["next_deadline"] is None
    assert record["scopes"] == ["repo", "read:packages"]
    assert record["expires_at"] == "2027-03-05T09:30:15.123Z"
    assert record["last_reviewed_at"] is None


def entry(entry_type: str, body: dict[str, Any]) -> Entry:
    return Entry("v" * 32, 1, "2026-11-25T09:00:00.000Z", "alice", entry_type, body, "0" * 64)


def test_descriptions_name_subject_and_change() -> None:
    update = entry(
        "token.update",
        {"token": 1, "name": "gh", "changes": {"owner": {"before": "a", "after": None}}},
    )
    assert subject(update) == "gh"
    assert summary(update) == "owner: a → none"
    revoke = entry(
        "token.revoke",
        {"token": 1, "name": "gh", "reason": "compromised", "ticket": "SEC-1", "note": ""},
    )
    assert summary(revoke) == "revoked: compromised (SEC-1)"
    policy = entry("policy.update", {"changes": {"reminder_days": {"before": 14, "after": 30}}})
    assert (subject(policy), summary(policy)) == ("policy", "reminder_days: 14 → 30")


def test_every_policy_key_parses_its_default_as_text() -> None:
    for key in POLICY_KEYS:
        value = DEFAULT_POLICY.to_json()[key]
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, list):
            text = ",".join(value)
        else:
            text = "none" if value is None else str(value)
        assert parse_text(key, text) == (tuple(value) if isinstance(value, list) else value)
