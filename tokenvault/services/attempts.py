"""Failed unlock attempts: appended to attempts.log by the process that failed (it has no key
to write the journal), folded into the journal as `unlock.failed` entries by the next member
who unlocks, and reported to them ("3 failed attempts since …").

The log is unauthenticated (anyone who can write the directory can edit it), so it is a
tripwire, not evidence; once folded, the journal entry is. Each line carries a random id and
folded ids are recorded in the database, so a crash between the journal commit and the
truncation never folds an attempt twice.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections import defaultdict
from datetime import datetime

from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.text import MEMBER_ID_RE
from tokenvault.domain.timefmt import format_ts, parse_ts
from tokenvault.services.paths import VaultPaths
from tokenvault.services.session import FailedAttempts, Session
from tokenvault.storage import fs
from tokenvault.storage import journal as journal_rows

MAX_LOG_BYTES = 1024 * 1024

Attempt = tuple[str, datetime, str]  # (id, when, member)


def record(paths: VaultPaths, member_id: str, now: datetime) -> None:
    """Append one failed attempt. Never raises: a failed unlock must report the real error."""
    line = json.dumps({"id": secrets.token_hex(8), "ts": format_ts(now), "member": member_id})
    with contextlib.suppress(TokenVaultError):
        fs.append_private(paths.attempts, (line + "\n").encode())


def _read(paths: VaultPaths) -> list[Attempt]:
    if not paths.attempts.exists():
        return []
    data = fs.read_private(paths.attempts, MAX_LOG_BYTES)
    attempts: list[Attempt] = []
    for raw in data.splitlines():
        try:
            item = json.loads(raw)
            member = item["member"]
            if not isinstance(member, str) or MEMBER_ID_RE.fullmatch(member) is None:
                continue
            attempts.append((str(item["id"])[:32], parse_ts(item["ts"]), member))
        except (ValueError, KeyError, TypeError, TokenVaultError):
            continue  # a garbled line is skipped, not fatal
    return attempts


def _summarise(attempts: list[Attempt]) -> tuple[FailedAttempts, ...]:
    by_member: dict[str, list[datetime]] = defaultdict(list)
    for _, when, member in attempts:
        by_member[member].append(when)
    return tuple(
        FailedAttempts(member, len(times), min(times), max(times))
        for member, times in sorted(by_member.items())
    )


def unfolded(session: Session) -> tuple[FailedAttempts, ...]:
    """Attempts not yet in the journal (what a read-only session can still report)."""
    db = session.db
    return _summarise([a for a in _read(session.paths) if not journal_rows.folded(db, a[0])])


def fold(session: Session) -> tuple[FailedAttempts, ...]:
    """Journal every unfolded attempt (one entry per member) and empty the log."""
    db = session.db
    attempts = [a for a in _read(session.paths) if not journal_rows.folded(db, a[0])]
    if not attempts:
        return ()
    summary = _summarise(attempts)
    with session.write() as writer:
        for item in summary:
            writer.append(
                "unlock.failed",
                {
                    "member": item.member,
                    "count": item.count,
                    "first": format_ts(item.first),
                    "last": format_ts(item.last),
                },
            )
        journal_rows.mark_folded(writer.db, [a[0] for a in attempts])
    _truncate_if_folded(session)
    return summary


def _truncate_if_folded(session: Session) -> None:
    """Empty the log when every line in it is folded; new attempts (after our read) stay."""
    db = session.db
    with contextlib.suppress(TokenVaultError):
        fs.truncate_if(
            session.paths.attempts,
            lambda: all(journal_rows.folded(db, a[0]) for a in _read(session.paths)),
        )
