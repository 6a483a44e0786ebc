"""Numbered schema migrations, applied in order inside one transaction; `user_version` records
the last one applied. A migration is never edited once released: add a new one."""

from __future__ import annotations

from tokenvault.domain.errors import OperationalError
from tokenvault.storage.db import Database

# Each migration is a tuple of statements (not a script: executescript would COMMIT first and
# break the all-or-nothing migration transaction).
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE members (
                id TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
                display_name TEXT NOT NULL,
                ed25519 BLOB NOT NULL,
                x25519 BLOB NOT NULL,
                added_at TEXT NOT NULL,
                added_by TEXT NOT NULL,
                removed_at TEXT,
                removed_by TEXT
            ) STRICT
            """,
            """
            CREATE TABLE tokens (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                service TEXT NOT NULL,
                environment TEXT NOT NULL,
                owner TEXT NOT NULL,
                scopes TEXT NOT NULL,
                used_by TEXT NOT NULL,
                tags TEXT NOT NULL,
                notes TEXT NOT NULL,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                expires_at TEXT,
                rotate_every_days INTEGER,
                last_rotated_at TEXT NOT NULL,
                last_reviewed_at TEXT,
                last_used_at TEXT,
                revoked_at TEXT,
                revoked_by TEXT,
                revoke_reason TEXT,
                revoke_ticket TEXT NOT NULL,
                revoke_note TEXT NOT NULL,
                current_version INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE token_versions (
                token_id INTEGER NOT NULL REFERENCES tokens (id),
                number INTEGER NOT NULL,
                fingerprint TEXT NOT NULL,
                secret BLOB,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                retired_at TEXT,
                destroyed_at TEXT,
                PRIMARY KEY (token_id, number)
            ) STRICT
            """,
            """
            CREATE TABLE journal (
                seq INTEGER PRIMARY KEY,
                line BLOB NOT NULL,
                leaf BLOB NOT NULL,
                root BLOB NOT NULL,
                ts TEXT NOT NULL,
                actor TEXT NOT NULL,
                type TEXT NOT NULL,
                token_id INTEGER
            ) STRICT
            """,
            "CREATE INDEX journal_by_token ON journal (token_id, seq) WHERE token_id IS NOT NULL",
            # Defence in depth, not the security boundary (signatures and the chain are).
            "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
            "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
            "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
            "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
            """
            CREATE TABLE checkpoint (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                size INTEGER NOT NULL,
                root BLOB NOT NULL,
                frontier BLOB NOT NULL,
                note TEXT NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE folded_attempts (
                id TEXT PRIMARY KEY
            ) STRICT
            """,
        ),
    ),
    (
        2,
        (
            # Unlock rebuilds the Merkle root from every leaf hash (the rollback/fork check).
            # Read from the table, that decrypts every page holding entry lines (0.28 s at
            # 100k entries); a covering index holds just (seq, leaf), a tenth of the pages.
            "CREATE INDEX journal_leaves ON journal (seq, leaf)",
        ),
    ),
    (
        3,
        (
            # A scan found the live secret in a file (cleared by rotation); a scanner report
            # brought the token in (discovered). Both replayed from the journal.
            "ALTER TABLE tokens ADD COLUMN exposed_at TEXT",
            "ALTER TABLE tokens ADD COLUMN discovered INTEGER NOT NULL DEFAULT 0 "
            "CHECK (discovered IN (0, 1))",
        ),
    ),
)

LATEST = MIGRATIONS[-1][0]


def schema_version(db: Database) -> int:
    row = db.query_one("PRAGMA user_version")
    return int(row[0]) if row else 0


def migrate(db: Database) -> int:
    """Bring the schema to LATEST; returns the number of migrations applied."""
    if schema_version(db) == LATEST:
        return 0
    applied = 0
    with db.transaction():
        current = schema_version(db)
        if current > LATEST:
            raise OperationalError(
                f"{db.path.name} was written by a newer tokenvault (schema {current}); upgrade"
            )
        for number, statements in MIGRATIONS:
            if number <= current:
                continue
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            applied += 1
    return applied
