"""Policy: anyone reads it; admins change it, each change journaled with before/after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenvault.domain.errors import NotAllowedError
from tokenvault.domain.policy import Policy
from tokenvault.domain.replay import policy_updated
from tokenvault.services.session import Session
from tokenvault.storage import meta


def show(session: Session) -> Policy:
    with session.read() as db:
        return meta.get_policy(db)


def update(session: Session, changes: Mapping[str, Any]) -> Policy:
    """Apply `changes` (validated per key); no real change means no journal entry."""
    if not session.is_admin:
        raise NotAllowedError("only an admin can change the policy")
    with session.write() as writer:
        current = meta.get_policy(writer.db)
        _, diff = current.updated(changes)
        if not diff:
            return current
        entry = writer.append("policy.update", {"changes": diff})
        new = policy_updated(current, entry)
        meta.put_policy(writer.db, new)
        return new
