"""Tokens, secret versions and members: row <-> model mapping.

Secrets are only read by `secret()` and written by `put_secret()`; every other query leaves the
`secret` column alone, so listing the inventory never loads a secret into memory.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from tokenvault.domain.model import Member, RevokeReason, Role, Token, TokenVersion
from tokenvault.domain.timefmt import format_ts, opt_format, opt_parse, parse_ts
from tokenvault.storage.db import Database

_T_COLUMNS = (
    "id, name, service, environment, owner, scopes, used_by, tags, notes, created_at, "
    "created_by, issued_at, expires_at, rotate_every_days, last_rotated_at, last_reviewed_at, "
    "last_used_at, revoked_at, revoked_by, revoke_reason, revoke_ticket, revoke_note, "
    "current_version, exposed_at, discovered"
)
_VERSION_COLUMNS = "token_id, number, fingerprint, created_at, created_by, retired_at, destroyed_at"


def _token_row(token: Token) -> tuple[Any, ...]:
    return (
        token.id,
        token.name,
        token.service,
        token.environment,
        token.owner,
        json.dumps(list(token.scopes)),
        json.dumps(list(token.used_by)),
        json.dumps(list(token.tags)),
        token.notes,
        format_ts(token.created_at),
        token.created_by,
        format_ts(token.issued_at),
        opt_format(token.expires_at),
        token.rotate_every_days,
        format_ts(token.last_rotated_at),
        opt_format(token.last_reviewed_at),
        opt_format(token.last_used_at),
        opt_format(token.revoked_at),
        token.revoked_by,
        None if token.revoke_reason is None else token.revoke_reason.value,
        token.revoke_ticket,
        token.revoke_note,
        token.current_version,
        opt_format(token.exposed_at),
        int(token.discovered),
    )


def _version_from(row: tuple[Any, ...]) -> TokenVersion:
    return TokenVersion(
        number=row[1],
        fingerprint=row[2],
        created_at=parse_ts(row[3]),
        created_by=row[4],
        retired_at=opt_parse(row[5]),
        destroyed_at=opt_parse(row[6]),
    )


def _token_from(row: tuple[Any, ...], versions: Iterable[TokenVersion]) -> Token:
    return Token(
        id=row[0],
        name=row[1],
        service=row[2],
        environment=row[3],
        owner=row[4],
        scopes=tuple(json.loads(row[5])),
        used_by=tuple(json.loads(row[6])),
        tags=tuple(json.loads(row[7])),
        notes=row[8],
        created_at=parse_ts(row[9]),
        created_by=row[10],
        issued_at=parse_ts(row[11]),
        expires_at=opt_parse(row[12]),
        rotate_every_days=row[13],
        last_rotated_at=parse_ts(row[14]),
        last_reviewed_at=opt_parse(row[15]),
        last_used_at=opt_parse(row[16]),
        revoked_at=opt_parse(row[17]),
        revoked_by=row[18],
        revoke_reason=None if row[19] is None else RevokeReason(row[19]),
        revoke_ticket=row[20],
        revoke_note=row[21],
        current_version=row[22],
        versions=tuple(sorted(versions, key=lambda v: v.number)),
        exposed_at=opt_parse(row[23]),
        discovered=bool(row[24]),
    )


def token_by_name(db: Database, name: str) -> Token | None:
    row = db.query_one(f"SELECT {_T_COLUMNS} FROM tokens WHERE name = ?", (name,))  # noqa: S608
    return None if row is None else _with_versions(db, row)


def token_by_id(db: Database, token_id: int) -> Token | None:
    row = db.query_one(f"SELECT {_T_COLUMNS} FROM tokens WHERE id = ?", (token_id,))  # noqa: S608
    return None if row is None else _with_versions(db, row)


def _with_versions(db: Database, row: tuple[Any, ...]) -> Token:
    versions = db.query(
        f"SELECT {_VERSION_COLUMNS} FROM token_versions WHERE token_id = ?",  # noqa: S608
        (row[0],),
    )
    return _token_from(row, (_version_from(v) for v in versions))


def all_tokens(db: Database) -> list[Token]:
    """Every token with its versions, by name; two queries whatever the vault's size."""
    by_token: dict[int, list[TokenVersion]] = defaultdict(list)
    for row in db.iterate(f"SELECT {_VERSION_COLUMNS} FROM token_versions"):  # noqa: S608
        by_token[row[0]].append(_version_from(row))
    rows = db.iterate(f"SELECT {_T_COLUMNS} FROM tokens ORDER BY name")  # noqa: S608
    return [_token_from(row, by_token.get(row[0], ())) for row in rows]


def next_token_id(db: Database) -> int:
    row = db.query_one("SELECT coalesce(max(id), 0) + 1 FROM tokens")
    return int(row[0]) if row else 1


def save_token(db: Database, token: Token) -> None:
    """Insert or update the token and its version metadata (secrets untouched)."""
    placeholders = ", ".join("?" * 25)
    updates = ", ".join(
        f"{col.strip()} = excluded.{col.strip()}" for col in _T_COLUMNS.split(",")[1:]
    )
    db.execute(
        f"INSERT INTO tokens ({_T_COLUMNS}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        _token_row(token),
    )
    db.executemany(
        f"INSERT INTO token_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
        "ON CONFLICT (token_id, number) DO UPDATE SET retired_at = excluded.retired_at, "
        "destroyed_at = excluded.destroyed_at",
        [_version_row(token.id, v) for v in token.versions],
    )


def _version_row(token_id: int, v: TokenVersion) -> tuple[Any, ...]:
    return (
        token_id,
        v.number,
        v.fingerprint,
        format_ts(v.created_at),
        v.created_by,
        opt_format(v.retired_at),
        opt_format(v.destroyed_at),
    )


def insert_new_tokens(db: Database, tokens: Sequence[Token], secrets: Sequence[bytes]) -> None:
    """Insert new tokens, each with its one version and that version's secret: two statements
    for a whole import instead of four per token. An id already taken is an error."""
    if len(tokens) != len(secrets) or any(len(t.versions) != 1 for t in tokens):
        raise ValueError("one secret per new token, and one version per new token")
    token_marks = ", ".join("?" * len(_T_COLUMNS.split(",")))
    version_marks = ", ".join("?" * (len(_VERSION_COLUMNS.split(",")) + 1))
    db.executemany(
        f"INSERT INTO tokens ({_T_COLUMNS}) VALUES ({token_marks})",  # noqa: S608
        [_token_row(t) for t in tokens],
    )
    db.executemany(
        f"INSERT INTO token_versions ({_VERSION_COLUMNS}, secret) "  # noqa: S608
        f"VALUES ({version_marks})",
        [(*_version_row(t.id, t.versions[0]), s) for t, s in zip(tokens, secrets, strict=True)],
    )


def names_taken(db: Database, names: Sequence[str]) -> set[str]:
    """Which of `names` existing tokens already have: one read of every name. Not `IN (?, …)`
    lists: after a statement with hundreds of parameters, this connection's later inserts
    made 100x more SQLite allocations (each one mlocked under cipher_memory_security), and
    a 100k-row import spent most of its time there (measured with strace)."""
    return token_names(db).intersection(names)


def put_secret(db: Database, token_id: int, number: int, secret: bytes) -> None:
    db.execute(
        "UPDATE token_versions SET secret = ? WHERE token_id = ? AND number = ?",
        (secret, token_id, number),
    )


def secret(db: Database, token_id: int, number: int) -> bytes | None:
    row = db.query_one(
        "SELECT secret FROM token_versions WHERE token_id = ? AND number = ?", (token_id, number)
    )
    return None if row is None or row[0] is None else bytes(row[0])


def destroy_secrets(db: Database, token_id: int, numbers: Iterable[int]) -> None:
    """NULL the secrets; with secure_delete the old bytes are zeroed in the page."""
    db.executemany(
        "UPDATE token_versions SET secret = NULL WHERE token_id = ? AND number = ?",
        [(token_id, n) for n in numbers],
    )


def iter_secrets(db: Database) -> Iterable[tuple[int, int, str, bytes | None]]:
    """(token id, version, fingerprint, secret) for every version: used by verify() only."""
    for row in db.iterate("SELECT token_id, number, fingerprint, secret FROM token_versions"):
        yield row[0], row[1], row[2], None if row[3] is None else bytes(row[3])


# ---- members -----------------------------------------------------------------------------

_MEMBER_COLUMNS = (
    "id, role, display_name, ed25519, x25519, added_at, added_by, removed_at, removed_by"
)


def _member_from(row: tuple[Any, ...]) -> Member:
    return Member(
        id=row[0],
        role=Role(row[1]),
        display_name=row[2],
        ed25519=bytes(row[3]),
        x25519=bytes(row[4]),
        added_at=parse_ts(row[5]),
        added_by=row[6],
        removed_at=opt_parse(row[7]),
        removed_by=row[8],
    )


def member(db: Database, member_id: str) -> Member | None:
    row = db.query_one(f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = ?", (member_id,))  # noqa: S608
    return None if row is None else _member_from(row)


def all_members(db: Database) -> list[Member]:
    return [
        _member_from(row)
        for row in db.query(f"SELECT {_MEMBER_COLUMNS} FROM members ORDER BY added_at, id")  # noqa: S608
    ]


def save_member(db: Database, m: Member) -> None:
    db.execute(
        f"INSERT INTO members ({_MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
        "ON CONFLICT (id) DO UPDATE SET role = excluded.role, "
        "display_name = excluded.display_name, removed_at = excluded.removed_at, "
        "removed_by = excluded.removed_by",
        (
            m.id,
            m.role.value,
            m.display_name,
            m.ed25519,
            m.x25519,
            format_ts(m.added_at),
            m.added_by,
            opt_format(m.removed_at),
            m.removed_by,
        ),
    )


def scan_secrets(db: Database) -> Iterable[tuple[int, str, int, bool, str, bytes]]:
    """(token id, name, version, is current, fingerprint, secret) for every stored secret
    version, current and retired, revoked tokens' included: what a leak scan looks for."""
    for row in db.iterate(
        "SELECT v.token_id, t.name, v.number, v.number = t.current_version, v.fingerprint, "
        "v.secret FROM token_versions v JOIN tokens t ON t.id = v.token_id "
        "WHERE v.secret IS NOT NULL ORDER BY v.token_id, v.number"
    ):
        yield row[0], row[1], row[2], bool(row[3]), row[4], bytes(row[5])


def token_names(db: Database) -> set[str]:
    return {row[0] for row in db.iterate("SELECT name FROM tokens")}
