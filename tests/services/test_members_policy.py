"""Members (add with proof of possession, remove with rekey, passphrase) and policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, StepClock, unlock
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.crypto.signing import verify
from tokenvault.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotAllowedError,
    NotFoundError,
    ValidationError,
)
from tokenvault.domain.journal import decode_entry, pop_message
from tokenvault.domain.model import Role, Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.storage import journal as journal_rows


def keyfile(vault_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((vault_dir / "keys.json").read_text())
    return data


def test_add_member_with_proof_of_possession(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    member = services.members.add_member(
        session, "bob", Role.OPERATOR, Secret("bob's passphrase"), display_name="Bob", kdf=FLOOR
    )
    assert member.role is Role.OPERATOR
    (line,) = journal_rows.recent_lines(session.db, 1)
    entry = decode_entry(line)
    assert entry.type == "member.add"
    body = entry.body["member"]
    assert verify(
        bytes.fromhex(body["ed25519"]),
        pop_message(session.vault_id, body["ed25519"], body["x25519"]),
        bytes.fromhex(entry.body["pop"]),
    )
    data = keyfile(vault_dir)
    assert data["pending"] is None
    bob = unlock(vault_dir, clock, state_dir, member="bob", passphrase="bob's passphrase")
    assert bob.member.display_name == "Bob"
    with pytest.raises(NotAllowedError, match="only an admin"):
        services.members.add_member(bob, "carol", "operator", Secret("carol passphrase"))
    with pytest.raises(ConflictError, match="already taken"):
        services.members.add_member(session, "bob", "admin", Secret("another passphrase"))
    with pytest.raises(ValidationError, match="role must be"):
        services.members.add_member(session, "dave", "root", Secret("dave passphrase"))
    assert services.verify(session).ok


def test_remove_member_rekeys_and_lists_exposed_tokens(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    services.members.add_member(session, "bob", "operator", Secret("bob passphrase"), kdf=FLOOR)
    for name in ("live-1", "live-2", "dead"):
        services.tokens.add(session, TokenDraft(name=name, owner="alice"), Secret(f"s-{name}"))
    services.tokens.revoke(session, "dead", "decommissioned")
    old_keys = keyfile(vault_dir)
    removal = services.members.remove_member(session, "bob")
    assert removal.epoch == 2
    assert [t.name for t in removal.exposed] == ["live-1", "live-2"]
    new_keys = keyfile(vault_dir)
    assert new_keys["epoch"] == 2
    assert new_keys["pending"] is None
    assert {s["member"] for s in new_keys["slots"]} == {"alice", "recovery"}  # type: ignore[attr-defined]
    assert old_keys["slots"] != new_keys["slots"]
    # The session keeps working on the re-keyed database.
    assert services.tokens.reveal(session, "live-1").expose() == b"s-live-1"
    with pytest.raises(AuthenticationError, match="not a member"):
        unlock(vault_dir, clock, state_dir, member="bob", passphrase="bob passphrase")
    session.lock()
    again = unlock(vault_dir, clock, state_dir)
    assert services.tokens.reveal(again, "live-2").expose() == b"s-live-2"
    assert [m.id for m in services.members.list_members(again)] == ["alice", "recovery"]
    removed = services.members.list_members(again, include_removed=True)
    assert [m.id for m in removed if not m.active] == ["bob"]
    assert services.verify(again).ok


def test_removal_rules(session: Session) -> None:
    with pytest.raises(ConflictError, match="cannot remove yourself"):
        services.members.remove_member(session, "alice")
    with pytest.raises(NotFoundError):
        services.members.remove_member(session, "nobody")
    services.members.remove_member(session, "recovery")
    with pytest.raises(NotFoundError):
        services.members.remove_member(session, "recovery")


def test_change_passphrase(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        services.members.change_passphrase(session, Secret("short"))
    services.members.change_passphrase(session, Secret("a brand new passphrase"), kdf=FLOOR)
    (line,) = journal_rows.recent_lines(session.db, 1)
    assert decode_entry(line).type == "member.passphrase"
    with pytest.raises(AuthenticationError):
        unlock(vault_dir, clock, state_dir, passphrase=PASSPHRASE)
    again = unlock(vault_dir, clock, state_dir, passphrase="a brand new passphrase")
    assert services.verify(again).ok


def test_policy_update_is_admin_only_and_journaled(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    policy = services.policy.update(session, {"reminder_days": 30, "require_expiry": True})
    assert policy.reminder_days == 30
    (line,) = journal_rows.recent_lines(session.db, 1)
    assert decode_entry(line).body == {
        "changes": {
            "reminder_days": {"before": 14, "after": 30},
            "require_expiry": {"before": False, "after": True},
        }
    }
    size = journal_rows.head(session.db).size
    services.policy.update(session, {"reminder_days": 30})
    assert journal_rows.head(session.db).size == size
    with pytest.raises(ValidationError):
        services.policy.update(session, {"reminder_days": 0})
    with pytest.raises(ValidationError, match="requires an expiry"):
        services.tokens.add(session, TokenDraft(name="t", owner="alice"), Secret("x"))
    services.members.add_member(session, "op", "operator", Secret("op passphrase"), kdf=FLOOR)
    op = unlock(vault_dir, clock, state_dir, member="op", passphrase="op passphrase")
    assert services.policy.show(op).reminder_days == 30
    with pytest.raises(NotAllowedError):
        services.policy.update(op, {"reminder_days": 10})
