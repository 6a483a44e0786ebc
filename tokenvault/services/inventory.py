"""One consistent read of everything a listing needs: tokens, the policy and `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokenvault.domain.model import Token
from tokenvault.domain.policy import Policy
from tokenvault.services.session import Session
from tokenvault.storage import meta, rows


@dataclass(frozen=True, slots=True)
class Inventory:
    tokens: list[Token]
    policy: Policy
    now: datetime


def inventory(session: Session) -> Inventory:
    with session.read() as db:
        tokens = rows.all_tokens(db)
        policy = meta.get_policy(db)
    return Inventory(tokens, policy, session.clock())
