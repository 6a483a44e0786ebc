"""Rollback and fork: a vault that does not extend this client's cached checkpoint opens
read-only with a warning, and every write is refused with an integrity error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import StepClock, unlock
from tokenvault import services
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft
from tokenvault.services.checkpoints import SeenCheckpoint


def add(session: services.Session, name: str) -> None:
    services.tokens.add(session, TokenDraft(name=name, owner="alice"), Secret(f"s-{name}"))


def test_restored_backup_is_detected_as_rollback(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    session = unlock(vault_dir, clock, state_dir)
    add(session, "one")
    session.lock()
    backup = tmp_path / "backup"
    shutil.copytree(vault_dir, backup)
    session = unlock(vault_dir, clock, state_dir)
    add(session, "two")
    session.lock()
    shutil.rmtree(vault_dir)
    shutil.copytree(backup, vault_dir)

    restored = unlock(vault_dir, clock, state_dir)
    assert restored.unlock_info.rollback is not None
    assert "rollback" in restored.unlock_info.rollback
    assert [t.name for t in services.tokens.list_tokens(restored)] == ["one"]  # reads work
    with pytest.raises(IntegrityError, match="writes refused: rollback"):
        add(restored, "three")
    with pytest.raises(IntegrityError, match="writes refused"):
        services.tokens.reveal(restored, "one")
    # Another client that never saw the newer head has no reason to complain.
    fresh = unlock(vault_dir, clock, tmp_path / "other-client")
    assert fresh.unlock_info.rollback is None


def test_forked_history_is_detected(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    shutil.copytree(vault_dir, backup)
    session = unlock(vault_dir, clock, state_dir)
    add(session, "seen-by-alice")
    session.lock()
    # Someone restores the old copy and writes a different entry at the same position.
    shutil.rmtree(vault_dir)
    shutil.copytree(backup, vault_dir)
    other = unlock(vault_dir, clock, tmp_path / "other-client")
    add(other, "written-elsewhere")
    other.lock()
    forked = unlock(vault_dir, clock, state_dir)
    assert forked.unlock_info.rollback is not None
    assert "fork" in forked.unlock_info.rollback
    with pytest.raises(IntegrityError, match="fork"):
        add(forked, "more")


def test_the_write_path_checks_the_head_against_what_this_session_saw(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    """Between unlock and a write another process may have replaced the files; each write
    compares the head inside its transaction with the checkpoint this session last saw."""
    session = unlock(vault_dir, clock, state_dir)
    add(session, "a")
    seen = session.seen
    session.seen = SeenCheckpoint(seen.size + 3, seen.root)
    with pytest.raises(IntegrityError, match="writes refused: rollback"):
        add(session, "b")
    session.seen = SeenCheckpoint(seen.size, bytes(32))
    with pytest.raises(IntegrityError, match="writes refused: fork"):
        add(session, "b")
    session.seen = SeenCheckpoint(seen.size - 1, bytes(32))
    with pytest.raises(IntegrityError, match="writes refused: fork"):
        add(session, "b")
    session.seen = seen
    add(session, "b")
    assert [t.name for t in services.tokens.list_tokens(session)] == ["a", "b"]
