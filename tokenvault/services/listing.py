"""The token table's rows: every token's listed columns, status, deadlines and filter text,
from one read, in a third of the time `inventory()` takes (about 1 s for 100,000 tokens on
the benchmark machine, docs/benchmarks.md).

`inventory()` builds whole `Token` objects with their versions (3 s at 100k). The table needs
a dozen fields, so the rows come from `storage.listing.TokenSummary`, which carries the Token
attributes the domain's rules read; status, deadlines and the filter text are computed by those
same functions (`token_status`, `rotation_due_at`, `next_deadline`, `search_text`), never a copy
of them. Rows hold no secret: the query never reads the secret column.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tokenvault.domain.model import Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.query import search_text
from tokenvault.domain.status import next_deadline, rotation_due_at, token_status
from tokenvault.services.session import Session
from tokenvault.storage import meta
from tokenvault.storage.listing import TokenSummary, token_summaries


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One token as the table shows it and the filter box searches it."""

    id: int
    name: str
    service: str
    environment: str
    owner: str
    scopes: tuple[str, ...]
    used_by: tuple[str, ...]
    tags: tuple[str, ...]
    expires_at: datetime | None
    rotation_due_at: datetime | None  # None when revoked
    deadline: datetime | None  # the earlier of expiry and rotation due; None when revoked
    status: Status
    haystack: str  # domain.query.search_text: what the free-text filter looks at
    exposed: bool = False  # a scan found the live secret in a file (and it is not revoked)
    discovered: bool = False  # created from a secret-scanner report


@dataclass(frozen=True, slots=True)
class Listing:
    """Rows sorted by name (case-insensitive), with the policy and `now` they were judged by."""

    rows: list[TokenRow]
    policy: Policy
    now: datetime


def row_from(summary: TokenSummary, policy: Policy, now: datetime) -> TokenRow:
    """The row for one token, judged by the domain's own rules."""
    # The domain's rules take a Token and read only fields a TokenSummary has, by the same
    # names (tests/services/test_listing.py checks rows against real Tokens, every status).
    token = cast(Token, summary)
    revoked = summary.revoked_at is not None
    return TokenRow(
        summary.id,
        summary.name,
        summary.service,
        summary.environment,
        summary.owner,
        summary.scopes,
        summary.used_by,
        summary.tags,
        summary.expires_at,
        None if revoked else rotation_due_at(token, policy),
        None if revoked else next_deadline(token, policy),
        token_status(token, policy, now),
        search_text(token),
        summary.exposed_at is not None and not revoked,
        summary.discovered,
    )


def token_rows(session: Session) -> Listing:
    """Every token as a table row, from one consistent read."""
    with collector_paused():
        with session.read() as db:
            summaries = token_summaries(db)
            policy = meta.get_policy(db)
        now = session.clock()
        rows = [row_from(s, policy, now) for s in summaries]
        del summaries
        rows.sort(key=lambda r: r.name.casefold())
    return Listing(rows, policy, now)


@contextmanager
def collector_paused() -> Iterator[None]:
    """For reads of every token (listing, due, findings): building ~10 objects per token makes
    the cyclic garbage collector walk the growing heap again and again (40% of the time at
    100k tokens); nothing built here forms a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
