"""Where a vault and a member's client state live on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True, slots=True)
class VaultPaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "vault.db"

    @property
    def keys(self) -> Path:
        return self.root / "keys.json"

    @property
    def attempts(self) -> Path:
        return self.root / "attempts.log"

    @property
    def lock(self) -> Path:
        """Serialises key-file changes (add/remove member, passphrase, crash repair)."""
        return self.root / "keys.lock"


def default_vault_dir() -> Path:
    return platformdirs.user_data_path("tokenvault") / "vault"


def default_state_dir() -> Path:
    """Per-user client state: the last checkpoint each member saw, per vault."""
    return platformdirs.user_state_path("tokenvault")
