"""The table's rows (services.listing) against the slow, complete path: the same tokens,
status, deadlines and filter text as inventory() + the domain's rules, for every status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import StepClock
from tokenvault import services
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.model import Secret, Status
from tokenvault.domain.query import TokenQuery, search_terms, search_text
from tokenvault.domain.status import next_deadline, rotation_due_at, token_status
from tokenvault.services import Session, TokenDraft
from tokenvault.services.listing import TokenRow, token_rows

SECRETS = {
    "Zeta-ok": "zeta-secret-1",
    "alpha-due": "alpha-secret-2",
    "beta-overdue": "beta-secret-3",
    "Gamma-expired": "gamma-secret-4",
    "delta-revoked": "delta-secret-5",
    "ÉCLAIR-own-period": "eclair-secret-6",
    "epsilon-ok-expiring-late": "epsilon-secret-7",
}


@pytest.fixture
def vault(session: Session, clock: StepClock) -> Session:
    """Tokens of every status, with mixed case and non-ASCII names, lists filled in."""
    now = clock()
    drafts = {
        "Zeta-ok": TokenDraft(
            name="Zeta-ok", owner="Platform", service="GitHub", environment="prod",
            scopes=("repo", "read:org"), used_by=("ci-runner",), tags=("pci",),
        ),
        "alpha-due": TokenDraft(
            name="alpha-due", owner="payments", service="stripe", environment="prod",
            expires_at=now + timedelta(days=5), used_by=("billing-worker", "API-gateway"),
        ),
        "beta-overdue": TokenDraft(
            name="beta-overdue", owner="data", service="aws", environment="staging",
            last_rotated_at=now - timedelta(days=120), scopes=("s3:GetObject",),
        ),
        "Gamma-expired": TokenDraft(
            name="Gamma-expired", owner="growth", service="sendgrid",
            expires_at=now - timedelta(days=2), tags=("legacy", "manual"),
        ),
        "delta-revoked": TokenDraft(name="delta-revoked", owner="sre", service="pagerduty"),
        "ÉCLAIR-own-period": TokenDraft(
            name="ÉCLAIR-own-period", owner="ml", service="openai", environment="dev",
            rotate_every_days=30, last_rotated_at=now - timedelta(days=20),
        ),
        "epsilon-ok-expiring-late": TokenDraft(
            name="epsilon-ok-expiring-late", owner="web", service="cloudflare",
            expires_at=now + timedelta(days=300), rotate_every_days=365,
        ),
    }  # fmt: skip
    for name, draft in drafts.items():
        services.tokens.add(session, draft, Secret(SECRETS[name]))
    services.tokens.revoke(session, "delta-revoked", "decommissioned")
    return session


def expected_rows(session: Session) -> list[TokenRow]:
    """What the complete path says each row must be."""
    inv = services.inventory(session)
    rows = []
    for token in inv.tokens:
        revoked = token.revoked_at is not None
        rows.append(
            TokenRow(
                id=token.id,
                name=token.name,
                service=token.service,
                environment=token.environment,
                owner=token.owner,
                scopes=token.scopes,
                used_by=token.used_by,
                tags=token.tags,
                expires_at=token.expires_at,
                rotation_due_at=None if revoked else rotation_due_at(token, inv.policy),
                deadline=None if revoked else next_deadline(token, inv.policy),
                status=token_status(token, inv.policy, inv.now),
                haystack=search_text(token),
            )
        )
    return sorted(rows, key=lambda r: r.name.casefold())


def test_rows_equal_inventory_and_the_domain_rules_for_every_status(vault: Session) -> None:
    listing = token_rows(vault)
    assert listing.rows == expected_rows(vault)
    assert {row.status for row in listing.rows} == set(Status)
    by_name = {row.name: row for row in listing.rows}
    assert by_name["alpha-due"].status is Status.DUE
    assert by_name["Gamma-expired"].status is Status.EXPIRED
    assert by_name["beta-overdue"].status is Status.OVERDUE
    assert by_name["delta-revoked"].rotation_due_at is None
    assert by_name["delta-revoked"].deadline is None
    assert by_name["alpha-due"].deadline == by_name["alpha-due"].expires_at


def test_rows_are_sorted_by_name_ignoring_case(vault: Session) -> None:
    names = [row.name for row in token_rows(vault).rows]
    assert names == sorted(names, key=str.casefold)
    assert names[0] == "alpha-due"
    assert names.index("ÉCLAIR-own-period") > names.index("Zeta-ok")  # casefold, not locale


def test_listing_carries_the_policy_and_now_it_judged_by(vault: Session, clock: StepClock) -> None:
    listing = token_rows(vault)
    assert listing.policy == services.policy.show(vault)
    assert listing.now == clock()
    clock.advance(days=400)
    later = token_rows(vault)
    assert later.now == clock()
    assert {row.status for row in later.rows} == {Status.REVOKED, Status.EXPIRED, Status.OVERDUE}


def test_haystack_is_search_text_of_the_real_token(vault: Session) -> None:
    tokens = {t.id: t for t in services.inventory(vault).tokens}
    for row in token_rows(vault).rows:
        assert row.haystack == search_text(tokens[row.id])


@pytest.mark.parametrize(
    "text",
    ["", "prod", "PLATFORM github", "api-", "ci- pci", "éclair", "s3:get", "zzz", "a e"],
)
def test_haystacks_select_what_token_query_selects(vault: Session, text: str) -> None:
    inv = services.inventory(vault)
    wanted = {t.id for t in TokenQuery(search=text).select(inv.tokens, inv.policy, inv.now)}
    terms = search_terms(text)
    got = {row.id for row in token_rows(vault).rows if all(t in row.haystack for t in terms)}
    assert got == wanted


def test_rows_hold_no_secret(vault: Session) -> None:
    text = repr(token_rows(vault))
    assert not [secret for secret in SECRETS.values() if secret in text]


def test_an_empty_vault_lists_nothing(session: Session) -> None:
    assert token_rows(session).rows == []


def test_an_unreadable_list_is_an_integrity_error(vault: Session) -> None:
    with vault.db.transaction() as db:
        db.execute("UPDATE tokens SET tags = '{\"not\": \"a list\"}' WHERE name = 'Zeta-ok'")
    with pytest.raises(IntegrityError, match="unreadable list"):
        token_rows(vault)
