"""What needs action, most urgent first: the one rule behind the TUI's due view (and the
`due` command of the reminders issue). Pure: the policy and `now` are parameters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tokenvault.domain.model import Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import days_left, next_deadline, token_status

NEEDS_ACTION = frozenset({Status.EXPIRED, Status.OVERDUE, Status.DUE})  # not ok, not revoked


@dataclass(frozen=True, slots=True)
class DueItem:
    token: Token
    status: Status
    what: str  # "expires" or "rotation": which deadline next_deadline() picked
    deadline: datetime
    days: int  # days_left: > 0 left, 0 today, < 0 late


def due_items(tokens: Iterable[Token], policy: Policy, now: datetime) -> list[DueItem]:
    """Tokens due, overdue or expired, ordered by next deadline (ties by name)."""
    items = []
    for token in tokens:
        status = token_status(token, policy, now)
        if status not in NEEDS_ACTION:
            continue
        deadline = next_deadline(token, policy)
        what = "expires" if deadline == token.expires_at else "rotation"
        items.append(DueItem(token, status, what, deadline, days_left(deadline, now)))
    items.sort(key=lambda item: (item.deadline, item.token.name.casefold()))
    return items
