"""Members: list them; add, remove and passphrase changes live in keychange.py (they touch
keys.json and must survive a crash)."""

from __future__ import annotations

from tokenvault.domain.model import Member
from tokenvault.services.keychange import Removal, add_member, change_passphrase, remove_member
from tokenvault.services.session import Session
from tokenvault.storage import rows

__all__ = ["Removal", "add_member", "change_passphrase", "list_members", "remove_member"]


def list_members(session: Session, *, include_removed: bool = False) -> list[Member]:
    with session.read() as db:
        members = rows.all_members(db)
    return members if include_removed else [m for m in members if m.active]
