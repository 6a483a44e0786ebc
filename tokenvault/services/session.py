"""An unlocked vault: the member's keys, the keyed connection, and the journaled write path.

Every mutation runs inside `Session.write()`: BEGIN IMMEDIATE, read the head, check it still
extends what this client saw (rollback/fork), then the caller appends signed entries and applies
their effect, then the new checkpoint is signed and stored, then COMMIT. Any exception rolls
back all of it. `lock()` drops the keys and the connection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenvault.crypto.keys import MemberKeys
from tokenvault.domain import checkpoint as cp
from tokenvault.domain.errors import (
    AuthenticationError,
    IntegrityError,
    TokenVaultError,
    VaultLockedError,
)
from tokenvault.domain.journal import Entry
from tokenvault.domain.merkle import Frontier
from tokenvault.domain.model import Member, Role
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import checkpoints
from tokenvault.services.clock import Clock
from tokenvault.services.paths import VaultPaths
from tokenvault.storage import journal as journal_rows
from tokenvault.storage import rows
from tokenvault.storage.db import Database


@dataclass(frozen=True, slots=True)
class FailedAttempts:
    """Failed unlocks recorded since they were last folded into the journal."""

    member: str
    count: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class UnlockInfo:
    """What a face should tell the member right after unlock."""

    failed_attempts: tuple[FailedAttempts, ...] = ()
    rollback: str | None = None  # the vault does not extend this client's checkpoint
    repaired: str | None = None  # an interrupted key change was completed or undone
    last_seen: datetime | None = None  # this client's previous unlock or write
    warnings: tuple[str, ...] = ()


class JournalWriter:
    """Appends signed entries inside one write transaction, then signs the new checkpoint."""

    def __init__(
        self,
        db: Database,
        *,
        vault_id: str,
        actor: str,
        keys: MemberKeys,
        clock: Clock,
        frontier: Frontier,
        prev: bytes,
        last_ts: str,
    ) -> None:
        self.db = db
        self._vault_id = vault_id
        self._actor = actor
        self._keys = keys
        self._clock = clock
        self.frontier = frontier.copy()
        self._prev = prev
        self._last_ts = last_ts
        self.entries: list[Entry] = []

    @property
    def next_seq(self) -> int:
        return self.frontier.size

    def append(self, entry_type: str, body: Mapping[str, Any]) -> Entry:
        """Sign and insert one entry; its timestamp never goes back before the previous one."""
        entry, row = self._next(entry_type, body)
        journal_rows.append(self.db, *row)
        return entry

    def append_many(self, entry_type: str, bodies: Iterable[Mapping[str, Any]]) -> list[Entry]:
        """`append` for each body in order, the rows inserted by one statement (an import's
        token.create entries): the same entries, signatures, chain and roots."""
        made = [self._next(entry_type, body) for body in bodies]
        journal_rows.append_many(self.db, [row for _, row in made])
        return [entry for entry, _ in made]

    def _next(self, entry_type: str, body: Mapping[str, Any]) -> tuple[Entry, journal_rows.Row]:
        """The next entry, signed and chained, and its journal row (not yet inserted)."""
        ts = max(format_ts(self._clock()), self._last_ts)
        entry = Entry(
            vault=self._vault_id,
            seq=self.frontier.size,
            ts=ts,
            actor=self._actor,
            type=entry_type,
            body=body,
            prev=self._prev.hex(),
        )
        message = entry.signing_message()
        entry = entry.signed(self._keys.sign(message), message)
        leaf = entry.leaf_hash
        self.frontier.append(leaf)
        row = (
            entry.seq,
            entry.line,
            leaf,
            self.frontier.root(),
            ts,
            entry.actor,
            entry_type,
            entry.subject_token,
        )
        self._prev, self._last_ts = leaf, ts
        self.entries.append(entry)
        return entry, row

    def finish(self) -> None:
        """Sign and store the checkpoint for the new head."""
        note = signed_note(self._vault_id, self._actor, self._keys, self.frontier)
        journal_rows.store_checkpoint(self.db, self.frontier, note)


def signed_note(vault_id: str, member_id: str, keys: MemberKeys, frontier: Frontier) -> str:
    checkpoint = cp.Checkpoint(cp.origin_for(vault_id), frontier.size, frontier.root())
    name = cp.key_name(vault_id, member_id)
    signature = cp.NoteSignature(
        name, cp.key_id(name, keys.ed25519_public), keys.sign(checkpoint.body())
    )
    return cp.format_note(checkpoint, [signature])


@dataclass
class Session:
    """An unlocked vault for one member. Not for use after `lock()`."""

    paths: VaultPaths
    vault_id: str
    vault_name: str
    member: Member
    clock: Clock
    cache_path: Path  # this member's checkpoint cache
    _db: Database | None = field(repr=False)
    _keys: MemberKeys | None = field(repr=False)
    _dek: bytes | None = field(repr=False)
    _fp_key: bytes | None = field(repr=False)
    fp_key_id: str
    genesis_hash: str
    seen: checkpoints.SeenCheckpoint
    unlock_info: UnlockInfo = field(default_factory=UnlockInfo)
    _mutex: threading.RLock = field(default_factory=threading.RLock)

    # ---- state ---------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._db is None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise VaultLockedError("the vault is locked; unlock it again")
        return self._db

    @property
    def keys(self) -> MemberKeys:
        if self._keys is None:
            raise VaultLockedError("the vault is locked; unlock it again")
        return self._keys

    @property
    def dek(self) -> bytes:
        if self._dek is None:
            raise VaultLockedError("the vault is locked; unlock it again")
        return self._dek

    @property
    def fp_key(self) -> bytes:
        if self._fp_key is None:
            raise VaultLockedError("the vault is locked; unlock it again")
        return self._fp_key

    def replace_dek(self, dek: bytes) -> None:
        self._dek = dek

    @property
    def is_admin(self) -> bool:
        return self.member.role is Role.ADMIN

    @contextlib.contextmanager
    def read(self) -> Iterator[Database]:
        """One consistent view for a read of several statements; calls on this session are
        serialised (the TUI calls from worker threads)."""
        with self._mutex, self.db.snapshot() as db:
            yield db

    def checkpoint_wal(self) -> None:
        """Fold the WAL into the main file (outside any transaction)."""
        with self._mutex:
            self.db.checkpoint_wal()

    def lock(self) -> None:
        """Close the connection and drop every key this session holds."""
        with self._mutex:
            if self._db is not None:
                self._db.close()
            self._db = self._keys = self._dek = self._fp_key = None

    # ---- the write path ------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[JournalWriter]:
        """One journaled transaction. Refused while a rollback/fork is unresolved."""
        with self._mutex:
            if self.unlock_info.rollback is not None:
                raise IntegrityError(f"writes refused: {self.unlock_info.rollback}")
            db = self.db
            with db.transaction():
                head = journal_rows.head(db)
                problem = checkpoints.extends(db, head.size, self.seen, recompute=False)
                if problem is not None:
                    raise IntegrityError(f"writes refused: {problem}")
                me = rows.member(db, self.member.id)
                if me is None or not me.active:
                    raise AuthenticationError(f"member {self.member.id} has been removed")
                writer = JournalWriter(
                    db,
                    vault_id=self.vault_id,
                    actor=self.member.id,
                    keys=self.keys,
                    clock=self.clock,
                    frontier=head.frontier,
                    prev=head.leaf,
                    last_ts=head.ts,
                )
                yield writer
                if writer.entries:
                    writer.finish()
            if writer.entries:
                self.advance(writer.frontier.size, writer.frontier.root())

    def advance(self, size: int, root: bytes) -> None:
        """Record a head this client has now seen (in memory and in the cache file).

        Runs after COMMIT: failing to update the cache (disk full, say) must not make a
        committed change look failed, so the file write is best effort; the in-memory
        checkpoint still protects this session and the next write retries the file."""
        self.seen = checkpoints.SeenCheckpoint(size, root, self.clock())
        with contextlib.suppress(TokenVaultError):
            checkpoints.save(self.cache_path, self.seen)
