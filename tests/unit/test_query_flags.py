"""domain.query's flag terms: `is:exposed` and `is:discovered` are words of a token's filter
text, so the one substring rule selects them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tokenvault.domain.model import Token, TokenVersion
from tokenvault.domain.policy import Policy
from tokenvault.domain.query import DISCOVERED, EXPOSED, TokenQuery, search_text

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def token(name: str, **changes: object) -> Token:
    base = Token(
        id=1,
        name=name,
        service="stripe",
        environment="prod",
        owner="alice",
        scopes=(),
        used_by=(),
        tags=(),
        notes="",
        created_at=NOW,
        created_by="alice",
        issued_at=NOW,
        expires_at=None,
        rotate_every_days=None,
        last_rotated_at=NOW,
        versions=(TokenVersion(1, "fp", NOW, "alice"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_flags_are_terms_of_the_filter_text() -> None:
    plain = token("plain")
    exposed = token("leaky", exposed_at=NOW)
    found = token("found", discovered=True, owner="")
    both = token("both", exposed_at=NOW, discovered=True)
    assert EXPOSED not in search_text(plain)
    assert EXPOSED in search_text(exposed)
    assert DISCOVERED not in search_text(exposed)
    assert DISCOVERED in search_text(found)
    tokens = [plain, exposed, found, both]

    def names(text: str) -> list[str]:
        return [t.name for t in TokenQuery(search=text).select(tokens, Policy(), NOW)]

    assert names("is:exposed") == ["leaky", "both"]
    assert names("IS:Discovered") == ["found", "both"]
    assert names("is:exposed is:discovered") == ["both"]
    assert names("is:exposed leaky") == ["leaky"]
    assert names("stripe") == ["plain", "leaky", "found", "both"]


def test_a_revoked_token_is_past_its_exposure() -> None:
    revoked = token("old", exposed_at=NOW, revoked_at=NOW)
    assert EXPOSED not in search_text(revoked)
