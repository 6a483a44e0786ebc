"""Status is a pure function of token, policy and now: precedence and monotonicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.model import RevokeReason, Status, Token, TokenVersion
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import (
    days_left,
    days_until,
    next_deadline,
    rotation_due_at,
    token_status,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
URGENCY = {Status.OK: 0, Status.DUE: 1, Status.OVERDUE: 2, Status.EXPIRED: 3, Status.REVOKED: 4}


def make(
    *,
    rotated: datetime = T,
    every: int | None = None,
    expires: datetime | None = None,
    revoked: datetime | None = None,
) -> Token:
    return Token(
        id=1,
        name="t",
        service="",
        environment="",
        owner="alice",
        scopes=(),
        used_by=(),
        tags=(),
        notes="",
        created_at=T,
        created_by="alice",
        issued_at=T,
        expires_at=expires,
        rotate_every_days=every,
        last_rotated_at=rotated,
        revoked_at=revoked,
        revoke_reason=RevokeReason.OTHER if revoked else None,
        versions=(TokenVersion(1, "hmac-sha256:k1:" + "0" * 32, T, "alice"),),
    )


POLICY = Policy(reminder_days=14, rotation_days=90)


@pytest.mark.parametrize(
    ("token", "now", "status"),
    [
        (make(), T + timedelta(days=10), Status.OK),
        (make(), T + timedelta(days=76), Status.DUE),  # rotation in exactly 14 days
        (make(), T + timedelta(days=75, hours=23), Status.OK),
        (make(), T + timedelta(days=90), Status.OVERDUE),
        (make(every=30), T + timedelta(days=20), Status.DUE),
        (make(expires=T + timedelta(days=20)), T + timedelta(days=10), Status.DUE),
        (make(expires=T + timedelta(days=20)), T + timedelta(days=20), Status.EXPIRED),
        # expired beats overdue; revoked beats everything
        (make(expires=T + timedelta(days=100)), T + timedelta(days=200), Status.EXPIRED),
        (make(revoked=T + timedelta(days=1)), T + timedelta(days=500), Status.REVOKED),
    ],
)
def test_status_examples(token: Token, now: datetime, status: Status) -> None:
    assert token_status(token, POLICY, now) is status


def test_deadlines() -> None:
    token = make(every=30, expires=T + timedelta(days=10))
    assert rotation_due_at(token, POLICY) == T + timedelta(days=30)
    assert next_deadline(token, POLICY) == T + timedelta(days=10)
    assert rotation_due_at(make(), POLICY) == T + timedelta(days=90)


def test_days_until_is_floored() -> None:
    assert days_until(T + timedelta(days=3, hours=1), T) == 3
    assert days_until(T - timedelta(hours=1), T) == -1
    assert days_until(T, T) == 0


offsets = st.integers(min_value=-400, max_value=400).map(lambda d: timedelta(days=d))
hours = st.integers(min_value=0, max_value=24 * 800).map(lambda h: timedelta(hours=h))


@given(
    rotated=offsets,
    every=st.none() | st.integers(min_value=1, max_value=400),
    expires=st.none() | offsets,
    revoked=st.booleans(),
    reminder=st.integers(min_value=1, max_value=60),
    step1=hours,
    step2=hours,
)
def test_status_never_improves_as_time_passes(
    rotated: timedelta,
    every: int | None,
    expires: timedelta | None,
    revoked: bool,
    reminder: int,
    step1: timedelta,
    step2: timedelta,
) -> None:
    token = make(
        rotated=T + rotated,
        every=every,
        expires=None if expires is None else T + expires,
        revoked=T if revoked else None,
    )
    policy = Policy(reminder_days=reminder)
    early, late = T + step1, T + step1 + step2
    assert URGENCY[token_status(token, policy, early)] <= URGENCY[token_status(token, policy, late)]


@given(rotated=offsets, expires=st.none() | offsets, step=hours)
def test_status_matches_its_definition(
    rotated: timedelta, expires: timedelta | None, step: timedelta
) -> None:
    token = make(rotated=T + rotated, expires=None if expires is None else T + expires)
    now = T + step
    status = token_status(token, POLICY, now)
    expired = token.expires_at is not None and token.expires_at <= now
    overdue = rotation_due_at(token, POLICY) <= now
    soon = next_deadline(token, POLICY) - now <= timedelta(days=POLICY.reminder_days)
    expected = (
        Status.EXPIRED
        if expired
        else Status.OVERDUE
        if overdue
        else Status.DUE
        if soon
        else Status.OK
    )
    assert status is expected


def test_days_left_rounds_toward_what_a_person_expects() -> None:
    assert days_left(T + timedelta(days=29, hours=23), T) == 30
    assert days_left(T + timedelta(minutes=1), T) == 1
    assert days_left(T, T) == 0
    assert days_left(T - timedelta(hours=5), T) == 0
    assert days_left(T - timedelta(days=110, hours=5), T) == -110
