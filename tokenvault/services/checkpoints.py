"""The client-side checkpoint cache: the last journal head each member saw, kept outside the
vault so that a rolled-back or forked vault (an older copy restored, entries cut off) is
noticed at the next unlock and refused for writing (design.md §6)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tokenvault.domain.errors import OperationalError
from tokenvault.domain.merkle import root_of
from tokenvault.domain.timefmt import format_ts, parse_ts
from tokenvault.storage import fs
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class SeenCheckpoint:
    size: int
    root: bytes
    seen_at: datetime | None = None  # when this client last unlocked or wrote


def cache_file(state_dir: Path, vault_id: str, member_id: str) -> Path:
    return state_dir / "checkpoints" / vault_id / f"{member_id}.json"


def load(path: Path) -> SeenCheckpoint | None:
    """The cached checkpoint; None if there is none. A damaged file raises OperationalError."""
    if not path.exists():
        return None
    data = fs.read_private(path, 64 * 1024)
    try:
        raw = json.loads(data)
        size, root_hex = raw["size"], raw["root"]
        if not isinstance(size, int) or size < 1 or not _HEX64.fullmatch(root_hex):
            raise ValueError
        seen = parse_ts(raw["seen_at"]) if raw.get("seen_at") else None
    except Exception:
        raise OperationalError(f"{path}: checkpoint cache is unreadable") from None
    return SeenCheckpoint(size, bytes.fromhex(root_hex), seen)


def save(path: Path, checkpoint: SeenCheckpoint) -> None:
    """Remember `checkpoint` unless the cache already holds a later one (sizes only grow)."""
    fs.ensure_private_dir(path.parent)
    with fs.exclusive_lock(path.with_suffix(".lock")):
        try:
            current = load(path)
        except OperationalError:
            current = None
        if current is not None and current.size > checkpoint.size:
            return
        data = {
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "seen_at": None if checkpoint.seen_at is None else format_ts(checkpoint.seen_at),
        }
        # The cache is a hint that only strengthens checks: no directory fsync per write.
        fs.atomic_write(path, json.dumps(data).encode(), sync_dir=False)


def extends(db: Database, size: int, seen: SeenCheckpoint, *, recompute: bool) -> str | None:
    """None if the vault's journal (of `size` entries) extends `seen`, else why not.

    With `recompute`, the prefix root is rebuilt from the stored leaf hashes (unlock);
    otherwise the root stored after entry seen.size-1 is compared (the write path).
    """
    if size < seen.size:
        return (
            f"rollback: the journal has {size} entries but this client already saw "
            f"{seen.size}; the vault was restored from an older copy or cut short"
        )
    if recompute:
        prefix_root = root_of(journal_rows.leaves(db, seen.size))
    else:
        prefix_root = journal_rows.root_at(db, seen.size) or b""
    if prefix_root != seen.root:
        return (
            f"fork: the first {seen.size} journal entries differ from what this client saw; "
            "the journal was rewritten"
        )
    return None
