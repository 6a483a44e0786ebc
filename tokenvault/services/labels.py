"""The vault's name as this client last saw it, for the unlock screen.

The name lives only inside the encrypted database; before unlock we show what this client
recorded at its last unlock (client state, next to the checkpoint cache, 0600). It is a label
for people, never trusted for anything: the header after unlock shows the real one.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.text import clean_text
from tokenvault.services import keystore
from tokenvault.services.paths import VaultPaths, default_state_dir
from tokenvault.storage import fs

MAX_BYTES = 1024
LABEL_NAME = "name.txt"  # beside the members' checkpoint caches of this vault


def label_file(state_dir: Path, vault_id: str) -> Path:
    return state_dir / "checkpoints" / vault_id / LABEL_NAME


def remember(path: Path, name: str) -> None:
    """Best effort: a full disk must not fail an unlock over a label."""
    with contextlib.suppress(TokenVaultError, OSError):
        fs.ensure_private_dir(path.parent)
        fs.atomic_write(path, name.encode(), sync_dir=False)


def last_seen_name(vault_dir: Path, state_dir: Path | None = None) -> str | None:
    """The name recorded at this client's last unlock of this vault, if any."""
    try:
        vault_id = keystore.read(VaultPaths(Path(vault_dir))).vault
        path = label_file(state_dir or default_state_dir(), vault_id)
        if not path.exists():
            return None
        text = fs.read_private(path, MAX_BYTES).decode("utf-8")
        return clean_text(text, field="vault name", max_len=MAX_BYTES) or None
    except (TokenVaultError, OSError, UnicodeDecodeError):
        return None
