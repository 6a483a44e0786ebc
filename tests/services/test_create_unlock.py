"""Creating and unlocking a vault: files, errors, recovery, failed attempts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE, StepClock, Template, unlock
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OperationalError,
    ValidationError,
    VaultLockedError,
)
from tokenvault.domain.journal import decode_entry
from tokenvault.domain.merkle import hash_leaf
from tokenvault.domain.model import Role, Secret
from tokenvault.storage import journal as journal_rows


def test_created_vault_is_private_and_complete(template: Template) -> None:
    root = template.path
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert sorted(p.name for p in root.iterdir()) == ["keys.json", "vault.db"]
    for path in root.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(p.name.startswith(".") for p in root.parent.iterdir())


def test_genesis_hash_pins_the_first_entry(session: services.Session, template: Template) -> None:
    first = journal_rows.line_at(session.db, 0)
    assert first is not None
    assert hash_leaf(first).hex() == template.created.genesis_hash == session.genesis_hash
    genesis = decode_entry(first)
    assert genesis.type == "vault.genesis"
    assert genesis.body["member"]["id"] == MEMBER
    members = {m.id: m.role for m in services.members.list_members(session)}
    assert members == {MEMBER: Role.ADMIN, "recovery": Role.ADMIN}


def test_create_refuses_an_existing_vault(template: Template, tmp_path: Path) -> None:
    with pytest.raises(ConflictError, match="not empty"):
        services.create_vault(
            template.path, name="x", member_id="bob", passphrase=Secret(PASSPHRASE), kdf=FLOOR
        )


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"member_id": "recovery"}, "reserved"),
        ({"member_id": "Bad Id"}, "member id"),
        ({"name": ""}, "must not be empty"),
        ({"name": "evil\u202e"}, "U+202E"),
        ({"passphrase": Secret("short")}, "at least 8"),
    ],
)
def test_create_validates_input(tmp_path: Path, kwargs: dict[str, object], why: str) -> None:
    args: dict[str, object] = {
        "name": "Ops",
        "member_id": "bob",
        "passphrase": Secret(PASSPHRASE),
        "kdf": FLOOR,
        "state_dir": tmp_path / "state",
    }
    args.update(kwargs)
    with pytest.raises(ValidationError, match=why.replace("+", r"\+")):
        services.create_vault(tmp_path / "v", **args)  # type: ignore[arg-type]
    assert not (tmp_path / "v").exists()


def test_create_into_an_existing_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "v"
    target.mkdir(mode=0o700)
    created = services.create_vault(
        target,
        name="Ops",
        member_id="bob",
        passphrase=Secret(PASSPHRASE),
        kdf=FLOOR,
        state_dir=tmp_path / "state",
    )
    assert created.path == target
    assert (target / "keys.json").exists()


def test_wrong_passphrase_and_unknown_member(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    with pytest.raises(AuthenticationError, match="wrong passphrase or damaged key slot"):
        unlock(vault_dir, clock, state_dir, passphrase="not the passphrase")
    with pytest.raises(AuthenticationError, match="not a member"):
        unlock(vault_dir, clock, state_dir, member="mallory")
    with pytest.raises(ValidationError, match="member id"):
        unlock(vault_dir, clock, state_dir, member="../etc")


def test_missing_and_insecure_vaults(vault_dir: Path, clock: StepClock, state_dir: Path) -> None:
    with pytest.raises(NotFoundError, match="no vault"):
        unlock(vault_dir.parent / "nowhere", clock, state_dir)
    vault_dir.chmod(0o770)
    with pytest.raises(OperationalError, match="writable by group or others"):
        unlock(vault_dir, clock, state_dir)
    vault_dir.chmod(0o700)
    (vault_dir / "keys.json").chmod(0o666)
    with pytest.raises(OperationalError, match="chmod 600"):
        unlock(vault_dir, clock, state_dir)


def test_failed_attempts_are_folded_into_the_journal_once(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            unlock(vault_dir, clock, state_dir, passphrase="guess")
        clock.advance(minutes=1)
    with pytest.raises(AuthenticationError):
        unlock(vault_dir, clock, state_dir, member="ghost")
    session = unlock(vault_dir, clock, state_dir)
    summary = {a.member: a.count for a in session.unlock_info.failed_attempts}
    assert summary == {MEMBER: 3, "ghost": 1}
    (alice_attempts,) = [a for a in session.unlock_info.failed_attempts if a.member == MEMBER]
    assert alice_attempts.last > alice_attempts.first
    lines = journal_rows.recent_lines(session.db, 2)
    folded = sorted((e.body["member"], e.body["count"]) for e in map(decode_entry, lines))
    assert folded == [("alice", 3), ("ghost", 1)]
    assert (vault_dir / "attempts.log").read_bytes() == b""
    session.lock()
    again = unlock(vault_dir, clock, state_dir)
    assert again.unlock_info.failed_attempts == ()
    assert services.verify(again).ok


def test_recovery_code_unlocks_the_recovery_admin(
    vault_dir: Path, clock: StepClock, state_dir: Path, template: Template
) -> None:
    code = template.created.recovery_code.expose_text()
    sloppy = code.lower().replace("-", " ")
    session = services.unlock(
        vault_dir, "recovery", Secret(sloppy), clock=clock, state_dir=state_dir
    )
    assert session.member.role is Role.ADMIN
    with pytest.raises(AuthenticationError):
        services.unlock(
            vault_dir, "recovery", Secret("0000-" * 7 + "0000"), clock=clock, state_dir=state_dir
        )
    with pytest.raises(AuthenticationError):
        services.unlock(
            vault_dir, "recovery", Secret("not a code"), clock=clock, state_dir=state_dir
        )


def test_lock_drops_everything(session: services.Session) -> None:
    session.lock()
    assert session.locked
    with pytest.raises(VaultLockedError):
        services.tokens.list_tokens(session)
    with pytest.raises(VaultLockedError):
        _ = session.dek
