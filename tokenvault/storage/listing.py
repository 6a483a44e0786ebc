"""The token columns a listing shows, read fast enough for 100,000 rows.

`rows.all_tokens` builds complete `Token` objects with their versions: right for a detail view,
about 2.5 s for 100,000 tokens. A table needs a dozen columns and none of the versions, so this
reads only those, as `TokenSummary` tuples: one query, one `json.loads` per distinct list, and
no secret column, ever. The SQL stays a plain column read: with
SQLCipher's `cipher_memory_security` every SQLite allocation is wiped and locked, so an
expression per row (joining the lists in SQL, say) costs more than the whole read.

`AuditSummary` / `audit_summaries` do the same for the fields the policy findings read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.timefmt import parse_ts
from tokenvault.storage.db import Database

# No ORDER BY: the name index would visit table pages in name order, decrypting each page
# many times over (0.95 s at 100k tokens against 0.25 s for the table order).
_SQL = (
    "SELECT id, name, service, environment, owner, scopes, used_by, tags, "
    "expires_at, rotate_every_days, last_rotated_at, revoked_at, exposed_at, discovered FROM tokens"
)


class TokenSummary(NamedTuple):
    """The listed fields of a token, named as on `Token`, so the domain's status and search
    rules (`token_status`, `rotation_due_at`, `next_deadline`, `search_text`) read them as
    they read a Token. A NamedTuple because building 100,000 of them must cost little."""

    id: int
    name: str
    service: str
    environment: str
    owner: str
    scopes: tuple[str, ...]
    used_by: tuple[str, ...]
    tags: tuple[str, ...]
    expires_at: datetime | None
    rotate_every_days: int | None
    last_rotated_at: datetime
    revoked_at: datetime | None
    exposed_at: datetime | None
    discovered: bool


def token_summaries(db: Database) -> list[TokenSummary]:
    """Every token's listed fields, in storage order (the caller sorts for people)."""
    # Lists repeat across tokens (teams reuse scopes, tags and consumers): parse each distinct
    # text once and share the tuple. Timestamps are nearly all distinct; they are parsed.
    lists = _Lists()
    out: list[TokenSummary] = []
    append, make = out.append, TokenSummary._make
    for row in db.iterate(_SQL):
        (tid, name, service, env, owner, scopes, used_by, tags,
         expires, every, rotated, revoked, exposed, discovered) = row  # fmt: skip
        try:
            scopes, used_by, tags = lists[scopes], lists[used_by], lists[tags]
        except ValueError:
            raise IntegrityError(f"{db.path.name}: token {tid} has an unreadable list") from None
        expires = None if expires is None else parse_ts(expires)
        revoked = None if revoked is None else parse_ts(revoked)
        exposed = None if exposed is None else parse_ts(exposed)
        append(make((tid, name, service, env, owner, scopes, used_by, tags, expires, every,
                     parse_ts(rotated), revoked, exposed, discovered == 1)))  # fmt: skip
    return out


class _Lists(dict[str, tuple[str, ...]]):
    """JSON list text -> tuple of strings, parsed on first sight."""

    def __missing__(self, text: str) -> tuple[str, ...]:
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("not a list of strings")
        self[text] = parsed = tuple(value)
        return parsed


# The policy rules (domain/findings.py) read the dates of issue, creation, review and use too.
_AUDIT_SQL = (
    "SELECT id, name, environment, owner, scopes, used_by, created_at, issued_at, expires_at, "
    "rotate_every_days, last_rotated_at, last_reviewed_at, last_used_at, revoked_at, exposed_at, "
    "discovered FROM tokens"
)


class AuditSummary(NamedTuple):
    """The fields the policy findings read (`domain.findings.Auditable`), named as on `Token`,
    read as fast as `TokenSummary`; no secret, no versions."""

    id: int
    name: str
    environment: str
    owner: str
    scopes: tuple[str, ...]
    used_by: tuple[str, ...]
    created_at: datetime
    issued_at: datetime
    expires_at: datetime | None
    rotate_every_days: int | None
    last_rotated_at: datetime
    last_reviewed_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    exposed_at: datetime | None
    discovered: bool


def audit_summaries(db: Database) -> list[AuditSummary]:
    """Every token's audited fields, in storage order (the caller sorts)."""
    lists = _Lists()
    out: list[AuditSummary] = []
    append, make = out.append, AuditSummary._make
    for row in db.iterate(_AUDIT_SQL):
        (tid, name, env, owner, scopes, used_by, created, issued, expires, every, rotated,
         reviewed, used, revoked, exposed, discovered) = row  # fmt: skip
        try:
            scopes, used_by = lists[scopes], lists[used_by]
        except ValueError:
            raise IntegrityError(f"{db.path.name}: token {tid} has an unreadable list") from None
        append(make((tid, name, env, owner, scopes, used_by, parse_ts(created), parse_ts(issued),
                     None if expires is None else parse_ts(expires), every, parse_ts(rotated),
                     None if reviewed is None else parse_ts(reviewed),
                     None if used is None else parse_ts(used),
                     None if revoked is None else parse_ts(revoked),
                     None if exposed is None else parse_ts(exposed), discovered == 1)))  # fmt: skip
    return out
