"""Which tokens a filter selects: the one rule behind `ls` options and the TUI's filter box.

Free text matches when every whitespace-separated term is a case-insensitive substring of one
of the token's name, service, owner, environment, scopes, tags or used_by entries — or of a
flag term: `is:exposed` (a scan found the live secret in a file; revoked tokens are past it)
and `is:discovered` (created from a secret-scanner report). The flags are words in the same
text, so the one substring rule selects them and narrows with the rest ("is:exposed prod").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from tokenvault.domain.model import Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import token_status

EXPOSED = "is:exposed"
DISCOVERED = "is:discovered"


def search_text(token: Token) -> str:
    """Everything the free-text filter looks at, lower-cased, one field per line, then the
    token's flag terms."""
    parts = [token.name, token.service, token.owner, token.environment]
    parts += [*token.scopes, *token.tags, *token.used_by]
    if token.exposed_at is not None and token.revoked_at is None:
        parts.append(EXPOSED)
    if token.discovered:
        parts.append(DISCOVERED)
    return "\n".join(parts).casefold()


def search_terms(text: str) -> tuple[str, ...]:
    return tuple(term.casefold() for term in text.split())


def matches_terms(haystack: str, terms: Iterable[str]) -> bool:
    return all(term in haystack for term in terms)


@dataclass(frozen=True, slots=True)
class TokenQuery:
    statuses: Collection[Status] = field(default_factory=frozenset)  # empty: any status
    owner: str | None = None  # exact match, case-insensitive
    environment: str | None = None
    service: str | None = None
    search: str = ""

    def select(self, tokens: Iterable[Token], policy: Policy, now: datetime) -> Iterator[Token]:
        terms = search_terms(self.search)
        exact = {
            "owner": self.owner,
            "environment": self.environment,
            "service": self.service,
        }
        wanted = {k: v.casefold() for k, v in exact.items() if v is not None}
        for token in tokens:
            if any(getattr(token, k).casefold() != v for k, v in wanted.items()):
                continue
            if self.statuses and token_status(token, policy, now) not in self.statuses:
                continue
            if terms and not matches_terms(search_text(token), terms):
                continue
            yield token
