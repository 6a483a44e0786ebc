"""Messages between the TUI's parts: small, named as past events (style rule 5)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tokenvault.services import Session


@dataclass
class VaultUnlocked(Message):
    session: Session


@dataclass
class VaultLocked(Message):
    reason: str  # "idle", "member" …


@dataclass
class TokensChanged(Message):
    """A token was added, edited, rotated, revoked or reviewed: listings reload."""

    name: str | None = None
