"""Token status as a pure function of the token, the policy and `now`.

Precedence: revoked > expired > overdue (rotation date passed) > due (expiry or rotation
within the reminder window) > ok. Nothing here reads a clock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from tokenvault.domain.model import Status, Token
from tokenvault.domain.policy import Policy


def rotation_period_days(token: Token, policy: Policy) -> int:
    return token.rotate_every_days if token.rotate_every_days is not None else policy.rotation_days


def rotation_due_at(token: Token, policy: Policy) -> datetime:
    """When the current secret should be replaced: last rotation plus the rotation period."""
    return token.last_rotated_at + timedelta(days=rotation_period_days(token, policy))


def next_deadline(token: Token, policy: Policy) -> datetime:
    """The earlier of expiry and rotation due: what an operator must act on first."""
    due = rotation_due_at(token, policy)
    if token.expires_at is not None and token.expires_at < due:
        return token.expires_at
    return due


def token_status(token: Token, policy: Policy, now: datetime) -> Status:
    if token.revoked_at is not None:
        return Status.REVOKED
    if token.expires_at is not None and token.expires_at <= now:
        return Status.EXPIRED
    rotation_due = rotation_due_at(token, policy)
    if rotation_due <= now:
        return Status.OVERDUE
    if next_deadline(token, policy) - now <= timedelta(days=policy.reminder_days):
        return Status.DUE
    return Status.OK


def days_until(moment: datetime, now: datetime) -> int:
    """Whole days from now to moment: positive = days left, negative = days late (floored)."""
    return (moment - now) // timedelta(days=1)


def days_left(moment: datetime, now: datetime) -> int:
    """Days to show a person: positive = days left, rounded up (29.9 days is "in 30d");
    negative = whole days late (110.2 days is "110d late"); 0 = late by less than a day."""
    delta = (moment - now) / timedelta(days=1)
    return math.ceil(delta) if delta > 0 else -math.floor(-delta)
