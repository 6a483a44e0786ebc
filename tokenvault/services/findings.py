"""Policy findings for the whole vault, from one consistent read: the one call behind
`tokenvault check` and the TUI's findings view. The rules are in domain/findings.py.

    report = check(session)
    report.findings          # most severe first, then token name, then code
    report.at_least(Severity.WARNING)   # what `check` shows and fails on by default
    report.counts()          # {Severity.ERROR: n, Severity.WARNING: n, Severity.INFO: n}
    report.by_token()        # {token_id: [findings]}, for per-token badges

Tokens are read as `storage.listing.AuditSummary` tuples (no versions, no secrets), about a
third of the cost of whole `Token` objects at 100,000 tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokenvault.domain.findings import Finding, Severity, all_findings, count_by_severity
from tokenvault.domain.policy import Policy
from tokenvault.services.listing import collector_paused
from tokenvault.services.session import Session
from tokenvault.storage import meta, rows
from tokenvault.storage.listing import audit_summaries


@dataclass(frozen=True, slots=True)
class FindingsReport:
    """Every finding, with the policy and `now` they were judged by.

    `tokens_checked` counts the tokens judged: every token not revoked (revoked tokens are
    done and never have findings)."""

    findings: list[Finding]
    policy: Policy
    now: datetime
    tokens_checked: int

    def at_least(self, severity: Severity) -> list[Finding]:
        """The findings at or above `severity`, in report order."""
        return [f for f in self.findings if f.severity >= severity]

    def counts(self) -> dict[Severity, int]:
        """How many findings of each severity, most severe first, zeros included."""
        return count_by_severity(self.findings)

    def by_token(self) -> dict[int, list[Finding]]:
        """Each token's findings (most severe first), keyed by token id; tokens without
        findings are absent."""
        out: dict[int, list[Finding]] = {}
        for finding in self.findings:
            out.setdefault(finding.token_id, []).append(finding)
        return out


def check(session: Session) -> FindingsReport:
    """Judge every token against the policy, as of the session's clock."""
    with collector_paused():
        with session.read() as db:
            tokens = audit_summaries(db)
            policy = meta.get_policy(db)
            members = rows.all_members(db)
        now = session.clock()
        findings = all_findings(tokens, policy, now, members)
        checked = sum(1 for token in tokens if token.revoked_at is None)
    return FindingsReport(findings, policy, now, checked)
