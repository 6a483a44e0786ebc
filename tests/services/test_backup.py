"""Backup: a consistent encrypted copy (vault.db by the backup API + keys.json) that unlocks
and verifies on its own, holds exactly the snapshot it was taken from, and never leaves a
half-written directory or touches a destination that is in use."""

from __future__ import annotations

import importlib
import stat
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE, StepClock, unlock
from tokenvault import services
from tokenvault.domain.errors import (
    AuthenticationError,
    ConflictError,
    IntegrityError,
    VaultLockedError,
)
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.services.backup import backup
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database

CANARY = b"backup-canary-secret-5d1e"
# The module, even once services/__init__ re-exports the function under the same name.
backup_mod = importlib.import_module("tokenvault.services.backup")


def add(session: Session, name: str, value: bytes = CANARY) -> None:
    services.tokens.add(session, TokenDraft(name=name, owner=MEMBER), Secret(value))


def names(session: Session) -> list[str]:
    return sorted(t.name for t in services.tokens.list_tokens(session))


def tree(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_backup_unlocks_verifies_and_holds_what_was_there(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    add(session, "before")
    head = journal_rows.head(session.db)
    made = backup(session, tmp_path / "backup")
    add(session, "after")

    assert made.path == tmp_path / "backup"
    assert made.entries == head.size
    assert made.root == head.frontier.root().hex()
    assert made.files == ("keys.json", "vault.db")
    # A fresh client state: this client's cache has seen the newer head (next test).
    restored = unlock(made.path, clock, tmp_path / "fresh-state")
    try:
        assert restored.unlock_info.rollback is None
        assert restored.vault_id == session.vault_id
        report = services.verify(restored)
        assert report.problems == ()
        assert (report.entries, report.root) == (made.entries, made.root)
        assert names(restored) == ["before"]
        assert services.tokens.reveal(restored, "before").expose() == CANARY
    finally:
        restored.lock()
    assert names(session) == ["after", "before"]  # the live vault is untouched


def test_restoring_an_older_backup_is_a_rollback_for_a_client_that_saw_more(
    session: Session, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    made = backup(session, tmp_path / "backup")
    add(session, "after")  # this client's cache now holds a longer journal
    restored = unlock(made.path, clock, state_dir)
    try:
        assert restored.unlock_info.rollback is not None
    finally:
        restored.lock()


def test_backup_is_private_and_encrypted(session: Session, tmp_path: Path) -> None:
    add(session, "canary")
    made = backup(session, tmp_path / "backup")
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o700
    assert sorted(p.name for p in made.path.iterdir()) == ["keys.json", "vault.db"]
    for path in made.path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = (made.path / "vault.db").read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert CANARY not in data
    assert (made.path / "keys.json").read_bytes() == session.paths.keys.read_bytes()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no staging left


def test_backup_opens_with_the_data_key_and_no_other(session: Session, tmp_path: Path) -> None:
    made = backup(session, tmp_path / "backup")
    copy = Database.open(made.path / "vault.db", session.dek)
    try:
        assert journal_rows.head(copy).size == made.entries
    finally:
        copy.close()
    with pytest.raises(IntegrityError):
        Database.open(made.path / "vault.db", bytes(32))


def test_backup_leaves_local_state_behind(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(AuthenticationError):
        unlock(vault_dir, clock, state_dir, passphrase="wrong passphrase entirely")
    assert session.paths.attempts.exists()
    made = backup(session, tmp_path / "backup")
    assert not (made.path / "attempts.log").exists()
    assert not (made.path / "keys.lock").exists()


def test_backup_into_an_existing_empty_directory(session: Session, tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    dest.mkdir(mode=0o755)
    made = backup(session, dest)
    assert made.path == dest
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert sorted(p.name for p in dest.iterdir()) == ["keys.json", "vault.db"]


def test_backup_creates_missing_parents(session: Session, clock: StepClock, tmp_path: Path) -> None:
    made = backup(session, tmp_path / "a" / "b" / "backup")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    unlock(made.path, clock, tmp_path / "fresh-state").lock()


def test_non_empty_destination_is_refused_and_untouched(session: Session, tmp_path: Path) -> None:
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "notes.txt").write_bytes(b"mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ConflictError, match="not empty"):
        backup(session, dest)
    assert tree(dest) == {"notes.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_destination_that_is_a_file_is_refused(session: Session, tmp_path: Path) -> None:
    dest = tmp_path / "file"
    dest.write_bytes(b"x")
    with pytest.raises(ConflictError):
        backup(session, dest)
    assert dest.read_bytes() == b"x"


def test_destination_inside_the_vault_is_refused(session: Session, vault_dir: Path) -> None:
    before = sorted(p.name for p in vault_dir.iterdir())
    with pytest.raises(ConflictError, match="inside the vault"):
        backup(session, vault_dir / "backup")
    assert sorted(p.name for p in vault_dir.iterdir()) == before


def test_locked_session_is_refused(session: Session, tmp_path: Path) -> None:
    session.lock()
    with pytest.raises(VaultLockedError):
        backup(session, tmp_path / "backup")
    assert not (tmp_path / "backup").exists()


def test_interrupted_backup_leaves_nothing(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(backup_mod, "_check_copy", fail)
    with pytest.raises(KeyboardInterrupt):
        backup(session, tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
    assert not any(".backup-" in p.name for p in tmp_path.iterdir())  # staging removed
    # The session and its locks are released: a second backup works.
    monkeypatch.undo()
    backup(session, tmp_path / "backup")


def test_copy_is_the_snapshot_not_a_later_commit(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    other = unlock(vault_dir, clock, state_dir)  # another client, its own connection
    try:
        with session.read() as db:
            size = journal_rows.head(db).size
            add(other, "committed-meanwhile")
            db.copy_to(tmp_path / "copy.db", session.dek)
    finally:
        other.lock()
    copy = Database.open(tmp_path / "copy.db", session.dek)
    try:
        assert journal_rows.head(copy).size == size
    finally:
        copy.close()
    assert journal_rows.head(session.db).size == size + 1


def test_copy_to_never_overwrites(session: Session, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_bytes(b"keep me")
    with pytest.raises(ConflictError):
        session.db.copy_to(dest, session.dek)
    assert dest.read_bytes() == b"keep me"


def test_same_member_and_passphrase_open_the_backup(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    made = backup(session, tmp_path / "backup")
    with pytest.raises(AuthenticationError):
        unlock(made.path, clock, tmp_path / "s1", passphrase=PASSPHRASE + "!")
    restored = unlock(made.path, clock, tmp_path / "s2", member=MEMBER, passphrase=PASSPHRASE)
    restored.lock()
