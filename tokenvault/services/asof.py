"""The vault as its journal says it was at an instant (`export inventory --as-of`).

The stored entry lines are replayed with the domain's own rules (`replay.VaultState`, the ones
`verify()` checks the stored state against) up to the last entry stamped at or before the
instant. Entry timestamps never go backwards (the writer clamps them, the verifier rejects a
journal where they do), so the replay stops at the first later entry. A read: nothing is
journaled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from tokenvault.domain.dateinput import parse_when
from tokenvault.domain.errors import IntegrityError, TokenVaultError, ValidationError
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.replay import VaultState
from tokenvault.domain.timefmt import format_ts, truncate_ms
from tokenvault.services.inventory import Inventory
from tokenvault.services.session import Session
from tokenvault.storage import journal as journal_rows

# A bare date stands for its whole day: up to its last millisecond, the journal's precision.
END_OF_DAY = timedelta(days=1) - timedelta(milliseconds=1)
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_of_instant(text: str, now: datetime, *, field: str = "as-of") -> datetime:
    """The instant `--as-of TEXT` means: a bare date (2026-09-30) is the END of that day UTC,
    today's date is now (the day is not over); anything else is read by `parse_when`
    (an ISO date-time with a zone, -Nd, today). An instant after now is refused."""
    moment = parse_when(text, now, field=field)
    if _BARE_DATE.fullmatch(text.strip()) and moment <= now:
        moment = min(moment + END_OF_DAY, truncate_ms(now))
    check_not_future(moment, now, field=field)
    return moment


def check_not_future(moment: datetime, now: datetime, *, field: str = "as-of") -> None:
    if moment > now:
        prefix = f"{field}: " if field else ""
        raise ValidationError(
            f"{prefix}{format_ts(moment)} is in the future (now {format_ts(now)}); "
            "leave it out for the current inventory"
        )


def decode_stored(seq: int, line: bytes) -> Entry:
    """A stored entry line, decoded; a line that does not decode is damage, not bad input."""
    try:
        return decode_entry(line)
    except TokenVaultError as exc:
        raise IntegrityError(f"journal entry {seq}: {exc}; run verify") from None


def state_at(session: Session, moment: datetime) -> VaultState:
    """Members, policy and tokens after every entry stamped at or before `moment`."""
    check_not_future(moment, session.clock())
    with session.read() as db:
        state = _replay(journal_rows.rows(db), format_ts(moment))
    if state.vault_id != session.vault_id:
        raise IntegrityError("the journal does not start with this vault's genesis; run verify")
    return state


def _replay(stored: Iterable[journal_rows.JournalRow], cutoff: str) -> VaultState:
    state: VaultState | None = None
    for row in stored:
        entry = decode_stored(row.seq, row.line)
        if entry.ts > cutoff:  # fixed-width timestamps compare as text
            if state is None:
                raise ValidationError(
                    f"as-of: {cutoff} is before the vault was created ({entry.ts})"
                )
            return state
        try:
            if state is None:
                state = VaultState.from_genesis(entry)
            else:
                state.apply(entry)
        except TokenVaultError as exc:
            raise IntegrityError(f"journal entry {row.seq}: {exc}; run verify") from None
    if state is None:
        raise IntegrityError("the journal is empty; run verify")
    return state


def inventory_at(session: Session, moment: datetime) -> Inventory:
    """The inventory as of `moment`: the replayed tokens (by id) and policy, judged at
    `moment` (the `now` of the result)."""
    state = state_at(session, moment)
    tokens = [state.tokens[token_id] for token_id in sorted(state.tokens)]
    return Inventory(tokens, state.policy, moment)
