"""Reading the journal inside the vault (exports and the offline verifier live in audit/)."""

from __future__ import annotations

from tokenvault.domain.errors import NotFoundError
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.services.session import Session
from tokenvault.storage import journal as journal_rows
from tokenvault.storage import rows

MAX_LIMIT = 1_000_000


def recent(session: Session, *, limit: int = 50, token: str | None = None) -> list[Entry]:
    """The newest `limit` entries, newest first; only those about `token` when given."""
    limit = max(0, min(limit, MAX_LIMIT))
    with session.read() as db:
        if token is None:
            lines = journal_rows.recent_lines(db, limit)
        else:
            found = rows.token_by_name(db, token)
            if found is None:
                raise NotFoundError(f"no token named {token!r:.80}")
            lines = journal_rows.lines_for_token(db, found.id, limit)
    return [decode_entry(line) for line in lines]
