"""The SQLCipher connection: mandatory settings, transactions, error mapping, integrity checks.

Settings (each measured on our machines, design.md §3):
- cipher_log_level = NONE before keying: otherwise SQLCipher writes "ERROR CORE …" to fd 2 and
  garbles the TUI;
- the raw 256-bit data key as `x'…'`: no passphrase KDF inside SQLCipher (Argon2 did that);
- cipher_memory_security = ON: SQLCipher wipes and locks the memory it allocates;
- temp_store = MEMORY: sorter and temp tables are plaintext files otherwise;
- journal_mode = WAL + synchronous = FULL: readers never block the writer and a commit that
  returned survives power loss;
- secure_delete = ON: freed pages (destroyed secrets) are zeroed;
- busy_timeout 10 s: concurrent writers queue on BEGIN IMMEDIATE instead of failing.
A wrong key surfaces as "file is not a database" on the first read, checked at open.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from tokenvault.domain.errors import ConflictError, IntegrityError, OperationalError
from tokenvault.storage import fs

BUSY_TIMEOUT_MS = 10_000
_KEY_BYTES = 32


class UnreadableDatabase(IntegrityError):
    """vault.db does not open with this key: wrong key, or the file is damaged or replaced."""


@contextlib.contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn sqlcipher3 exceptions into the vault's hierarchy (one line, no values)."""
    try:
        yield
    except sqlcipher.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise OperationalError(
                f"{path.name}: another tokenvault process held the vault for more than "
                f"{BUSY_TIMEOUT_MS // 1000} s; try again"
            ) from None
        if "full" in text or "I/O" in text or "readonly" in text or "unable to open" in text:
            raise OperationalError(f"{path.name}: {text}") from None
        raise IntegrityError(f"{path.name} is damaged ({text}); run verify") from None
    except sqlcipher.IntegrityError as exc:
        raise IntegrityError(f"{path.name}: constraint failed ({exc})") from None
    except sqlcipher.DatabaseError as exc:
        raise IntegrityError(f"{path.name} is damaged or not a vault ({exc}); run verify") from None


def _key_pragma(key: bytes) -> str:
    if len(key) != _KEY_BYTES:
        raise ValueError("the data key must be 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _connect(path: Path, key: bytes, *, create: bool = False) -> sqlcipher.Connection:
    # mode=rw: opening a vault must never create an empty database where one went missing.
    mode = "rwc" if create else "rw"
    uri = f"{path.absolute().as_uri()}?mode={mode}"
    try:
        conn = sqlcipher.connect(
            uri,
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            # No statement cache: a cached statement keeps the memory it was prepared in,
            # so SQLite serves later allocations from malloc instead (each one mlocked and
            # wiped under cipher_memory_security). With the cache, a 100k-row import made
            # about 29 mlock calls per token and its INSERTs ran 3-8x slower; re-preparing
            # costs microseconds per statement. (docs/benchmarks.md, Import)
            cached_statements=0,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlcipher.OperationalError:
        if not create and not path.exists():
            raise IntegrityError(f"{path.name} is missing") from None
        raise
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA cipher_memory_security = ON")
        conn.execute(_key_pragma(key))
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError:
            raise UnreadableDatabase(
                f"{path.name} does not open with the vault key: damaged or replaced"
            ) from None
        return conn
    except BaseException:
        conn.close()
        raise


class Database:
    """One keyed connection. Writes go through `transaction()` (BEGIN IMMEDIATE … COMMIT)."""

    def __init__(self, conn: sqlcipher.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._in_tx = False

    @classmethod
    def open(cls, path: Path, key: bytes, *, create: bool = False) -> Database:
        with translate_errors(path):
            conn = _connect(path, key, create=create)
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise OperationalError(f"{path.name}: cannot switch to WAL mode ({mode})")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA temp_store = MEMORY")
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
            except BaseException:
                conn.close()
                raise
        return cls(conn, path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """BEGIN IMMEDIATE: take the write lock first, so the head read inside is the head we
        extend. Any exception rolls back everything done in the block."""
        if self._in_tx:
            raise RuntimeError("nested transaction")
        with translate_errors(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            with contextlib.suppress(Exception), translate_errors(self.path):
                self._conn.execute("ROLLBACK")
            raise
        else:
            with translate_errors(self.path):
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(Exception):
                        self._conn.execute("ROLLBACK")
                    raise
        finally:
            self._in_tx = False

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Database]:
        """A read transaction: every query inside sees one committed state, even while other
        processes commit (WAL). Reads spanning several statements must use it."""
        if self._in_tx:
            yield self
            return
        with translate_errors(self.path):
            self._conn.execute("BEGIN DEFERRED")
        self._in_tx = True
        try:
            yield self
        finally:
            self._in_tx = False
            with contextlib.suppress(Exception):
                self._conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with translate_errors(self.path):
            self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with translate_errors(self.path):
            self._conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with translate_errors(self.path):
            return list(self._conn.execute(sql, params).fetchall())

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        # Closed at once: a read stopped part-way (LIMIT 1) ends its statement now, not
        # whenever the cursor is collected.
        with translate_errors(self.path), contextlib.closing(self._conn.execute(sql, params)) as c:
            row = c.fetchone()
        return None if row is None else tuple(row)

    def iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        with translate_errors(self.path):
            cursor = self._conn.execute(sql, params)
            while rows := cursor.fetchmany(1024):
                yield from rows

    def rekey(self, new_key: bytes) -> None:
        """Re-encrypt every page under `new_key` in one SQLCipher transaction (atomic)."""
        with translate_errors(self.path):
            self._conn.execute(_key_pragma(new_key).replace("PRAGMA key", "PRAGMA rekey", 1))

    def checkpoint_wal(self) -> None:
        """Copy the WAL into the main file and truncate it (after destroying secrets)."""
        with translate_errors(self.path):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def copy_to(self, dest: Path, key: bytes) -> None:
        """Write a consistent copy of this database to `dest` (which must not exist), encrypted
        under `key` (this database's key; `open` the copy with it to be sure), 0600, fsynced.

        The SQLite backup API, not VACUUM INTO: both give an encrypted copy, but VACUUM refuses
        to run inside a transaction, while the backup joins this connection's read transaction,
        so inside `snapshot()` the copy is exactly what the snapshot's other reads saw. The
        copy's pages are encrypted by the destination connection's key, so it must be keyed."""
        _create_private(dest)
        try:
            with translate_errors(dest):
                target = _connect(dest, key, create=True)
            try:
                with translate_errors(self.path):
                    self._conn.backup(target)  # one step: pages=-1
            finally:
                target.close()
            _make_private_and_sync(dest)
        except BaseException:
            _remove_quietly(dest)
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()


def _create_private(path: Path) -> None:
    """Create `path` empty and 0600 (O_EXCL: never reuse or follow what is already there)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, fs.PRIVATE_FILE)
    except FileExistsError:
        raise ConflictError(f"{path} already exists") from None
    except OSError as exc:
        raise OperationalError(f"cannot create {path}: {exc.strerror}") from None
    os.close(fd)


def _make_private_and_sync(path: Path) -> None:
    """0600 whatever the umask was, then the file and its directory entry on disk."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) != fs.PRIVATE_FILE:
                os.fchmod(fd, fs.PRIVATE_FILE)
            os.fsync(fd)
        finally:
            os.close(fd)
        fs.fsync_dir(path.parent)
    except OSError as exc:
        raise OperationalError(f"cannot write {path}: {exc.strerror}") from None


def _remove_quietly(path: Path) -> None:
    """Drop a partial copy and any journal SQLite left beside it."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()


def integrity_problems(path: Path, key: bytes) -> list[str]:
    """cipher_integrity_check (HMAC of every page) then integrity_check, on a fresh connection
    so no cached page hides damage on disk. Empty list = healthy."""
    with translate_errors(path):
        conn = _connect(path, key)
        try:
            problems = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
            if problems:
                return problems
            rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
            return [] if rows == ["ok"] else rows
        finally:
            conn.close()
