"""domain.query's flag terms: `is:exposed` and `is:discovered` are words of a token's filter
text, so the one substring rule selects them; `has_flag` reads them back exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tokenvault.domain.model import Token, TokenVersion
from tokenvault.domain.policy import Policy
from tokenvault.domain.query import DISCOVERED, EXPOSED, TokenQuery, has_flag, search_text

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
    assert not has_flag(search_text(plain), EXPOSED)
    assert has_flag(search_text(exposed), EXPOSED)
    assert not has_flag(search_text(exposed), DISCOVERED)
    assert has_flag(search_text(found), DISCOVERED)
    assert has_flag(search_text(both), EXPOSED)
    assert has_flag(search_text(both), DISCOVERED)
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
    assert not has_flag(search_text(revoked), EXPOSED)


def test_a_field_spelled_like_a_flag_is_not_the_flag() -> None:
    sly = token("sly", tags=("is:exposed", "is:discovered"))
    haystack = search_text(sly)
    assert not has_flag(haystack, EXPOSED)
    assert not has_flag(haystack, DISCOVERED)
    assert EXPOSED in haystack  # still found by the words, as any tag is
