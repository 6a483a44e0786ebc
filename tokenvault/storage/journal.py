"""Journal rows, the stored checkpoint and its frontier, and folded unlock attempts.

Each row keeps the exact signed line (the bytes that are hashed and exported), its leaf hash,
and the tree root after it, so "does the vault still extend checkpoint (n, root)?" is one
lookup on the write path; verify() recomputes all of them from the lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.merkle import HASH_SIZE, Frontier
from tokenvault.storage.db import Database


@dataclass(frozen=True, slots=True)
class Head:
    """The journal's last entry and the stored checkpoint, read inside the write transaction."""

    size: int
    leaf: bytes  # leaf hash of entry size-1 (the next entry's `prev`)
    ts: str  # its timestamp (the next one may not be earlier)
    frontier: Frontier
    note: str


@dataclass(frozen=True, slots=True)
class JournalRow:
    seq: int
    line: bytes
    leaf: bytes
    root: bytes


def head(db: Database) -> Head:
    last = db.query_one("SELECT seq, leaf, ts FROM journal ORDER BY seq DESC LIMIT 1")
    cp = db.query_one("SELECT size, root, frontier, note FROM checkpoint WHERE id = 1")
    if last is None or cp is None:
        raise IntegrityError(f"{db.path.name}: the journal or its checkpoint is missing")
    size = int(last[0]) + 1
    blob = bytes(cp[2])
    frontier = Frontier(
        int(cp[0]), [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
    )
    if cp[0] != size or not frontier.valid() or frontier.root() != bytes(cp[1]):
        raise IntegrityError(
            f"{db.path.name}: the stored checkpoint does not match the journal head"
        )
    return Head(size=size, leaf=bytes(last[1]), ts=str(last[2]), frontier=frontier, note=cp[3])


# A journal row as inserted: seq, line, leaf, root, ts, actor, type, token_id.
Row = tuple[int, bytes, bytes, bytes, str, str, str, int | None]

_INSERT = (
    "INSERT INTO journal (seq, line, leaf, root, ts, actor, type, token_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def append(
    db: Database,
    seq: int,
    line: bytes,
    leaf: bytes,
    root: bytes,
    ts: str,
    actor: str,
    entry_type: str,
    token_id: int | None,
) -> None:
    db.execute(_INSERT, (seq, line, leaf, root, ts, actor, entry_type, token_id))


def append_many(db: Database, rows: Sequence[Row]) -> None:
    """Insert several rows, in order, with one statement."""
    db.executemany(_INSERT, rows)


def store_checkpoint(db: Database, frontier: Frontier, note: str) -> None:
    db.execute(
        "INSERT INTO checkpoint (id, size, root, frontier, note) VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET size = excluded.size, root = excluded.root, "
        "frontier = excluded.frontier, note = excluded.note",
        (frontier.size, frontier.root(), b"".join(frontier.nodes), note),
    )


def stored_note(db: Database) -> tuple[int, bytes, str]:
    row = db.query_one("SELECT size, root, note FROM checkpoint WHERE id = 1")
    if row is None:
        raise IntegrityError(f"{db.path.name}: the checkpoint is missing")
    return int(row[0]), bytes(row[1]), str(row[2])


def root_at(db: Database, size: int) -> bytes | None:
    """The stored tree root after `size` entries, or None if the journal is shorter."""
    row = db.query_one("SELECT root FROM journal WHERE seq = ?", (size - 1,))
    return None if row is None else bytes(row[0])


def rows(db: Database, start: int = 0) -> Iterator[JournalRow]:
    for row in db.iterate(
        "SELECT seq, line, leaf, root FROM journal WHERE seq >= ? ORDER BY seq", (start,)
    ):
        yield JournalRow(int(row[0]), bytes(row[1]), bytes(row[2]), bytes(row[3]))


def line_at(db: Database, seq: int) -> bytes | None:
    row = db.query_one("SELECT line FROM journal WHERE seq = ?", (seq,))
    return None if row is None else bytes(row[0])


def leaves(db: Database, limit: int) -> list[bytes]:
    """Stored leaf hashes of the first `limit` entries (for the cached-checkpoint check)."""
    return [
        bytes(row[0])
        for row in db.iterate("SELECT leaf FROM journal WHERE seq < ? ORDER BY seq", (limit,))
    ]


def lines_for_token(db: Database, token_id: int, limit: int) -> list[bytes]:
    return [
        bytes(row[0])
        for row in db.query(
            "SELECT line FROM journal WHERE token_id = ? ORDER BY seq DESC LIMIT ?",
            (token_id, limit),
        )
    ]


def recent_lines(db: Database, limit: int) -> list[bytes]:
    """The newest `limit` entry lines, newest first."""
    return [
        bytes(row[0])
        for row in db.query("SELECT line FROM journal ORDER BY seq DESC LIMIT ?", (limit,))
    ]


def folded(db: Database, attempt_id: str) -> bool:
    return db.query_one("SELECT 1 FROM folded_attempts WHERE id = ?", (attempt_id,)) is not None


def mark_folded(db: Database, attempt_ids: list[str]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO folded_attempts (id) VALUES (?)", [(i,) for i in attempt_ids]
    )
