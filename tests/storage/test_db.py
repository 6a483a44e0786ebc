"""The SQLCipher connection: mandatory pragmas, wrong keys, append-only journal, migrations,
integrity checks, and that nothing readable reaches the disk."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2

from tokenvault.domain.errors import IntegrityError, OperationalError
from tokenvault.storage import fs, schema
from tokenvault.storage.db import Database, UnreadableDatabase, integrity_problems

KEY = bytes(range(32))
PLAIN = b"plaintext-canary-7f3a"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    fs.restrict_umask()
    database = Database.open(tmp_path / "vault.db", KEY, create=True)
    schema.migrate(database)
    return database


def pragma(db: Database, name: str) -> object:
    row = db.query_one(f"PRAGMA {name}")
    assert row is not None
    return row[0]


def test_mandatory_settings(db: Database) -> None:
    assert pragma(db, "journal_mode") == "wal"
    assert pragma(db, "synchronous") == 2  # FULL
    assert pragma(db, "temp_store") == 2  # MEMORY
    assert pragma(db, "secure_delete") == 1
    assert int(str(pragma(db, "busy_timeout"))) >= 5000
    assert pragma(db, "foreign_keys") == 1
    assert str(pragma(db, "cipher_memory_security")) == "1"


def test_wrong_key_is_unreadable_not_a_traceback(db: Database, tmp_path: Path) -> None:
    db.close()
    with pytest.raises(UnreadableDatabase, match="does not open with the vault key"):
        Database.open(tmp_path / "vault.db", bytes(32))
    assert issubclass(UnreadableDatabase, IntegrityError)


def test_nothing_plain_on_disk_and_files_private(db: Database, tmp_path: Path) -> None:
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES ('canary', ?)", (PLAIN.decode(),))
        # A sort big enough to spill would hit a temp file without temp_store = MEMORY.
        db.query("SELECT value FROM meta ORDER BY value")
    for path in tmp_path.iterdir():
        assert PLAIN not in path.read_bytes(), path.name
        assert path.stat().st_mode & 0o077 == 0, path.name
    db.close()
    assert PLAIN not in (tmp_path / "vault.db").read_bytes()


def test_journal_is_append_only(db: Database) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO journal (seq, line, leaf, root, ts, actor, type) "
            "VALUES (0, x'00', x'00', x'00', 't', 'a', 'x')"
        )
    for statement in ("UPDATE journal SET line = x'01'", "DELETE FROM journal"):
        with pytest.raises(IntegrityError, match="append-only"), db.transaction():
            db.execute(statement)
    assert db.query("SELECT line FROM journal") == [(b"\x00",)]


def _insert_then_fail(db: Database) -> None:
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        raise RuntimeError("boom")


def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _insert_then_fail(db)
    assert db.query_one("SELECT value FROM meta WHERE key = 'x'") is None


def test_migrations_are_idempotent_and_refuse_newer(db: Database) -> None:
    assert schema.schema_version(db) == schema.LATEST
    assert schema.migrate(db) == 0
    db.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    with pytest.raises(OperationalError, match="newer tokenvault"):
        schema.migrate(db)


def test_integrity_check_names_a_damaged_page(db: Database, tmp_path: Path) -> None:
    with db.transaction():
        for i in range(200):
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "v" * 200))
    db.checkpoint_wal()
    db.close()
    path = tmp_path / "vault.db"
    assert integrity_problems(path, KEY) == []
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size - 4096 + 100)  # inside the last page
        byte = handle.read(1)
        handle.seek(size - 4096 + 100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    problems = integrity_problems(path, KEY)
    assert problems
    assert any("page" in p for p in problems)


def test_busy_writer_waits_instead_of_failing(db: Database, tmp_path: Path) -> None:
    """Another connection holds the write lock for a moment; BEGIN IMMEDIATE queues on the
    busy timeout instead of raising "database is locked"."""
    other = dbapi2.connect(
        str(tmp_path / "vault.db"), isolation_level=None, check_same_thread=False
    )
    other.execute("PRAGMA cipher_log_level = NONE")
    other.execute(f"PRAGMA key = \"x'{KEY.hex()}'\"")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES ('second', '1')")
    release.join()
    other.close()
    assert db.query("SELECT key FROM meta WHERE key IN ('first', 'second') ORDER BY key") == [
        ("first",),
        ("second",),
    ]


def test_a_missing_database_is_never_recreated(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="missing"):
        Database.open(tmp_path / "vault.db", KEY)
    assert not (tmp_path / "vault.db").exists()
