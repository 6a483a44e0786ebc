"""The unlock screen's label: the vault's name as this client last saw it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import StepClock, unlock
from tokenvault import services


def test_the_name_is_remembered_at_unlock_for_the_next_unlock_screen(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    assert services.last_seen_name(vault_dir, state_dir) is None  # never unlocked here
    unlock(vault_dir, clock, state_dir).lock()
    assert services.last_seen_name(vault_dir, state_dir) == "Ops team"
    assert services.last_seen_name(vault_dir, tmp_path / "elsewhere") is None
    assert services.last_seen_name(tmp_path / "no-vault", state_dir) is None
    (label,) = (state_dir / "checkpoints").glob("*/name.txt")
    assert label.stat().st_mode & 0o777 == 0o600
