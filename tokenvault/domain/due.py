"""What needs action, most urgent first: the one rule behind the TUI's due view and the
`tokenvault due` command. Pure: the policy, `now` and the window are parameters.

A token is listed when it is expired or overdue, or when its next deadline (the earlier of
expiry and rotation due, `status.next_deadline`) falls within the window: the policy's
reminder window by default, `within_days` when given. Revoked tokens never are. The status
shown is always `status.token_status` (the policy's), so it agrees with `ls` and `show`: with a
window wider than the reminder window, a token beyond the reminder window is listed as `ok`.

It reads only the fields `Deadlined` names, so the light `storage.listing.TokenSummary` rows
(what the `due` service reads, fast at 100,000 tokens) are judged exactly as whole Tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar, cast

from tokenvault.domain.model import Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import days_left, next_deadline, token_status

NEEDS_ACTION = frozenset({Status.EXPIRED, Status.OVERDUE, Status.DUE})  # not ok, not revoked
LATE = frozenset({Status.EXPIRED, Status.OVERDUE})  # listed whatever the window


class Deadlined(Protocol):
    """What the due rule reads of a token (a `Token` or a `TokenSummary`)."""

    @property
    def name(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def rotate_every_days(self) -> int | None: ...
    @property
    def last_rotated_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...


T = TypeVar("T", bound=Deadlined)


@dataclass(frozen=True, slots=True)
class DueItem(Generic[T]):
    token: T
    status: Status  # token_status under the policy (an item beyond its reminder window: ok)
    what: str  # "expires" or "rotation": next_deadline()'s pick; "expires" once expired
    deadline: datetime
    days: int  # days_left: > 0 left, 0 today, < 0 late


def due_items(
    tokens: Iterable[T], policy: Policy, now: datetime, within_days: int | None = None
) -> list[DueItem[T]]:
    """Tokens expired, overdue, or with their next deadline at most `within_days` (default: the
    policy's reminder window) after `now`, ordered by next deadline (ties by name)."""
    window = timedelta(days=policy.reminder_days if within_days is None else within_days)
    items = []
    for token in tokens:
        if token.revoked_at is not None:
            continue
        # The status rules take a Token and read only the fields Deadlined names.
        whole = cast(Token, token)
        status = token_status(whole, policy, now)
        deadline = next_deadline(whole, policy)
        if status not in LATE and deadline - now > window:
            continue
        if status is Status.EXPIRED and token.expires_at is not None:
            deadline = token.expires_at  # expiry is what broke, even if rotation came due first
        what = "expires" if deadline == token.expires_at else "rotation"
        items.append(DueItem(token, status, what, deadline, days_left(deadline, now)))
    items.sort(key=lambda item: (item.deadline, item.token.name.casefold(), item.token.name))
    return items
