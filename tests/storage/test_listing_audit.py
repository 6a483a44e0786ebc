"""`storage.listing.audit_summaries`, the fast read behind `check`, against the complete path
(`rows.all_tokens`) on a real SQLCipher vault: the same fields, hence the same findings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import StepClock
from tokenvault import services
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.findings import Code, Severity, all_findings
from tokenvault.domain.model import Role, Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.services.findings import check
from tokenvault.storage import meta, rows
from tokenvault.storage.listing import AuditSummary, audit_summaries


@pytest.fixture
def vault(session: Session, clock: StepClock) -> Session:
    """Tokens touching every field the rules read: reviewed, used, revoked, broad, ownerless,
    orphaned, never expiring, long-lived."""
    now = clock()
    services.members.add_member(session, "bob", Role.OPERATOR, Secret("bob's passphrase here"))
    drafts = [
        TokenDraft(name="ok", owner="platform", environment="staging", scopes=("repo",),
                   used_by=("ci",), expires_at=now + timedelta(days=30)),
        TokenDraft(name="Prod-Admin", owner="bob", environment="production",
                   scopes=("admin", "repo"), expires_at=now + timedelta(days=30)),
        TokenDraft(name="forever", owner="platform", used_by=("cron", "web")),
        TokenDraft(name="long-lived", owner="data", used_by=("etl",),
                   issued_at=now - timedelta(days=200), expires_at=now + timedelta(days=400)),
        TokenDraft(name="gone", owner="sre", scopes=("*",)),
    ]  # fmt: skip
    for draft in drafts:
        services.tokens.add(session, draft, Secret(f"secret-{draft.name}"))
    services.tokens.revoke(session, "gone", "decommissioned")
    clock.advance(days=100)
    services.tokens.review(session, "ok")
    services.tokens.reveal(session, "forever")
    services.members.remove_member(session, "bob")
    clock.advance(days=100)
    return session


def test_summaries_carry_the_same_fields_as_whole_tokens(vault: Session) -> None:
    with vault.read() as db:
        fast = sorted(audit_summaries(db))
        full = rows.all_tokens(db)
    expected = sorted(
        AuditSummary(**{field: getattr(t, field) for field in AuditSummary._fields}) for t in full
    )
    assert fast == expected
    by_name = {s.name: s for s in fast}
    assert by_name["ok"].last_reviewed_at is not None
    assert by_name["forever"].last_used_at is not None
    assert by_name["gone"].revoked_at is not None
    assert by_name["forever"].expires_at is None
    assert by_name["forever"].used_by == ("cron", "web")


def test_check_judges_summaries_as_the_domain_judges_whole_tokens(
    vault: Session, clock: StepClock
) -> None:
    report = check(vault)
    with vault.read() as db:
        full = rows.all_tokens(db)
        expected = all_findings(full, meta.get_policy(db), clock(), rows.all_members(db))
    assert report.findings == expected
    assert report.now == clock()
    assert report.policy == services.policy.show(vault)
    assert report.tokens_checked == 4  # "gone" is revoked: not judged
    found = {(f.token, f.code) for f in report.findings}
    assert ("Prod-Admin", Code.ORPHANED) in found
    assert ("Prod-Admin", Code.BROAD_SCOPE) in found
    assert ("long-lived", Code.LIFETIME_EXCEEDED) in found
    assert ("forever", Code.NO_EXPIRY) in found
    assert not any(token == "gone" for token, _ in found)
    assert report.counts() == {
        severity: sum(1 for f in report.findings if f.severity is severity)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    }
    assert report.at_least(Severity.ERROR) == [
        f for f in report.findings if f.severity is Severity.ERROR
    ]
    grouped = report.by_token()
    assert sum(len(v) for v in grouped.values()) == len(report.findings)
    assert all(f.token_id == tid for tid, fs in grouped.items() for f in fs)


def test_an_unreadable_list_is_an_integrity_error(vault: Session) -> None:
    with vault.db.transaction() as db:
        db.execute("UPDATE tokens SET used_by = '\"not a list\"' WHERE name = 'ok'")
    with vault.read() as db, pytest.raises(IntegrityError, match="unreadable list"):
        audit_summaries(db)
