"""The demo vault behind `tokenvault demo`: a vault that looks lived-in, built in seconds.

A first look at the product and the TUI's screenshot tests need the same thing: ~40 tokens
across services, environments and owners in every status, three members, and a year of history.
It is built by driving the real services with a stepping clock (never by writing rows), so the
journal verifies, every entry is one the product itself would write, and the result is the same
for the same `now` (only keys, the vault id and fingerprints differ between builds). Secrets are
fake and derived from the token's name; the passphrase is printed: nothing here is secret, so
the key derivation runs at the Argon2 floor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from tokenvault.crypto.kdf import FLOOR, KdfParams
from tokenvault.domain.errors import AuthenticationError, ConflictError, ValidationError
from tokenvault.domain.model import Role, Secret, Status
from tokenvault.services import keystore, policy, tokens
from tokenvault.services.create import RECOVERY_MEMBER, create_vault
from tokenvault.services.import_reports import import_report
from tokenvault.services.import_results import Defaults
from tokenvault.services.keychange import add_member
from tokenvault.services.paths import VaultPaths
from tokenvault.services.session import Session
from tokenvault.services.tokens import TokenDraft
from tokenvault.services.unlock import unlock
from tokenvault.storage import fs, rows
from tokenvault.storage import journal as journal_rows

__all__ = [
    "DEMO_MEMBERS",
    "DEMO_PASSPHRASE",
    "DEMO_TOKENS",
    "DEMO_VAULT_NAME",
    "DemoToken",
    "DemoVault",
    "build_demo",
    "demo_secret",
    "ensure_demo",
]

DEMO_PASSPHRASE = "demo-vault-passphrase"  # noqa: S105 - printed, the same for every member
DEMO_MEMBERS: tuple[str, ...] = ("alice", "bob", "carol")
DEMO_VAULT_NAME = "Acme platform (demo)"
_PEOPLE = {  # member -> (role, display name)
    "alice": (Role.ADMIN, "Alice Martin"),
    "bob": (Role.ADMIN, "Bob Chen"),
    "carol": (Role.OPERATOR, "Carol Singh"),
}
_START_DAYS = 400  # the vault is created this many days before `now`
_POLICY_CHANGE = (200, "alice", {"reminder_days": 21})  # days ago, by whom, what
_FAILED_UNLOCK = (150, "bob")  # a mistyped passphrase, folded by bob's next unlock
# A gitleaks report bob imported 3 days ago: a live secret committed to a Helm values file (that
# token becomes exposed) and a Slack token nobody had inventoried (a discovered token, which bob
# gave a readable name while he asks around; it has no owner yet).
_REPORT = (3, "bob")
_REPORT_FILE = "gitleaks-infra.json"
LEAKED_TOKEN = "datadog-api-key-staging"  # noqa: S105 (a name)
DISCOVERED_TOKEN = "slack-bot-legacy-notify"  # noqa: S105 (a name)
_COMMIT = "5e1f0c2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


def discovered_secret() -> Secret:
    """The demo's discovered Slack token: fake, and the same on every build."""
    digest = hashlib.sha256(b"tokenvault-demo:discovered").hexdigest()
    return Secret("xoxb-demo-" + digest[:32])


@dataclass(frozen=True, slots=True)
class DemoVault:
    path: Path
    created: bool  # False: an existing demo vault was reused, untouched
    member: str  # who to unlock as
    passphrase: str
    members: tuple[str, ...]
    tokens: int
    entries: int  # journal size


class Act(NamedTuple):
    """One thing done to a token, `days` before now."""

    days: int
    actor: str
    kind: str  # rotate | revoke | view | copy | review | edit | destroy
    reason: str = ""  # revoke
    ticket: str = ""  # revoke
    note: str = ""  # revoke, review
    expires: int | None = None  # rotate: the new expiry, in days from now
    changes: tuple[tuple[str, Any], ...] = ()  # edit


def rot(days: int, actor: str, expires: int | None = None) -> Act:
    return Act(days, actor, "rotate", expires=expires)


def revoke(days: int, actor: str, reason: str, ticket: str, note: str) -> Act:
    return Act(days, actor, "revoke", reason=reason, ticket=ticket, note=note)


def view(days: int, actor: str) -> Act:
    return Act(days, actor, "view")


def copy(days: int, actor: str) -> Act:
    return Act(days, actor, "copy")


def review(days: int, actor: str, note: str = "") -> Act:
    return Act(days, actor, "review", note=note)


def edit(days: int, actor: str, **changes: Any) -> Act:
    return Act(days, actor, "edit", changes=tuple(changes.items()))


def destroy(days: int, actor: str) -> Act:
    return Act(days, actor, "destroy")


class DemoToken(NamedTuple):
    status: Status  # what it must show at `now`
    name: str
    service: str
    environment: str
    owner: str
    prefix: str  # how its fake secret starts
    added: tuple[int, str]  # (days ago, by whom) it was inventoried
    issued: int  # days ago (may predate the vault)
    expires: int | None  # days from now; negative: already expired
    every: int | None  # rotate_every_days (None: the policy's 90)
    scopes: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    acts: tuple[Act, ...] = ()
    notes: str = ""


_SLACK_HOOK = "https://hooks.slack.com/services/TDEMO/BDEMO/"

# Each row: the status it must have at `now` (the tests check it), name, service, environment,
# owner, secret prefix; (days ago added, by), issued (days ago), expires (days from now), rotate
# every (days; None: the policy's 90); scopes, used_by, tags; history; notes. The final policy
# has rotation_days 90 and reminder_days 21.
# fmt: off
OK, DUE, OVERDUE, EXPIRED, REVOKED = (Status.OK, Status.DUE, Status.OVERDUE, Status.EXPIRED,
                                      Status.REVOKED)
DEMO_TOKENS: tuple[DemoToken, ...] = (
    DemoToken(OK, "github-deploy-key-api", "github", "ci", "platform", "ssh-key-demo-",
              (398, "alice"), 600, None, 365, ("contents:write",), ("ci: deploy.yml",),
              ("deploy",), (rot(250, "bob"),)),
    DemoToken(DUE, "github-pat-release-bot", "github", "ci", "alice", "ghp_demo",
              (300, "alice"), 300, -210, None, ("repo", "write:packages"), ("ci: release.yml",),
              ("release",),
              (rot(212, "alice", -122), rot(125, "alice", -35), rot(80, "alice", 10),
               view(30, "alice")),
              "Classic PAT with a 90-day expiry; rotate it together with the expiry."),
    DemoToken(EXPIRED, "github-pat-dependabot", "github", "ci", "sre", "ghp_demo",
              (330, "bob"), 330, -5, None, ("repo", "security_events"),
              ("github: dependabot secrets",), (),
              (copy(200, "carol"), review(100, "bob", "still needed for private registries"))),
    DemoToken(OK, "github-app-merge-bot-key", "github", "production", "platform",
              "gh-app-key-demo-", (398, "bob"), 398, None, 180,
              ("checks:write", "pull_requests:write", "contents:read"),
              ("k8s: platform/merge-bot",), ("github-app",), (rot(190, "bob"), rot(20, "alice"))),
    DemoToken(OK, "github-packages-read", "github", "development", "carol", "ghp_demo",
              (150, "carol"), 150, 200, 365, ("read:packages",), ("laptop: carol",), ("dev",),
              (copy(90, "carol"), review(60, "carol"), copy(12, "carol"))),
    DemoToken(REVOKED, "github-org-admin-pat", "github", "production", "alice", "ghp_demo",
              (399, "alice"), 500, None, None, ("admin:org", "admin"), (), ("break-glass",),
              (view(210, "alice"), revoke(140, "alice", "scope-reduced", "SEC-1388",
                                          "replaced by the merge-bot GitHub App"))),
    DemoToken(OK, "aws-iam-deploy-production", "aws", "production", "platform", "AKIADEMO",
              (397, "bob"), 450, None, 90,
              ("s3:PutObject", "cloudfront:CreateInvalidation", "ecs:UpdateService"),
              ("ci: deploy.yml", "k8s: platform/deployer"), ("deploy", "aws"),
              (rot(310, "bob"), rot(220, "bob"), rot(130, "bob"),
               edit(120, "alice", used_by=("ci: deploy.yml", "k8s: platform/deployer",
                                           "ci: rollback.yml")),
               rot(40, "carol"), copy(39, "carol"))),
    DemoToken(DUE, "aws-iam-deploy-staging", "aws", "staging", "platform", "AKIADEMO",
              (397, "bob"), 450, None, 90, ("s3:PutObject", "ecs:UpdateService"),
              ("ci: deploy.yml",), ("deploy", "aws"),
              (rot(300, "carol"), rot(170, "carol"), rot(75, "carol"))),
    DemoToken(OVERDUE, "aws-iam-ci-development", "aws", "development", "carol", "AKIADEMO",
              (396, "carol"), 396, None, 90, ("s3:GetObject", "sqs:SendMessage"),
              ("ci: integration-tests.yml",), ("aws",), (rot(250, "carol"),)),
    DemoToken(OVERDUE, "aws-s3-backup-reader", "aws", "production", "sre", "AKIADEMO",
              (380, "bob"), 380, None, 180, ("s3:GetObject", "s3:ListBucket"),
              ("cron: backup-verify",), ("backups", "aws"), (rot(200, "bob"),)),
    DemoToken(REVOKED, "aws-root-access-key", "aws", "production", "alice", "AKIADEMO",
              (399, "alice"), 900, None, None, ("*",), (), ("break-glass", "aws"),
              (revoke(350, "alice", "decommissioned", "SEC-1203",
                      "root keys must not exist; use IAM roles"),
               destroy(349, "alice"))),
    DemoToken(OK, "aws-iam-terraform-admin", "aws", "production", "platform", "AKIADEMO",
              (397, "bob"), 420, None, 90, ("admin",), ("terraform: infra/live",),
              ("terraform", "aws"),
              (rot(335, "bob"), rot(250, "bob"), rot(160, "bob"), rot(55, "bob"),
               review(30, "alice", "broad scope accepted: terraform owns the account"))),
    DemoToken(DUE, "stripe-live-secret-key", "stripe", "production", "payments", "sk_live_demo_",
              (395, "bob"), 500, None, 180, ("charges:write", "refunds:write", "customers:read"),
              ("k8s: payments/api", "k8s: payments/worker"), ("pci",),
              (rot(345, "bob"), rot(165, "bob"), review(100, "alice"), view(90, "alice"),
               copy(30, "bob"))),
    DemoToken(OK, "stripe-test-secret-key", "stripe", "staging", "payments", "sk_test_demo_",
              (395, "bob"), 500, None, None, ("charges:write",), ("k8s: payments/api",),
              ("test",), (rot(240, "carol"), rot(60, "carol"))),
    DemoToken(OVERDUE, "stripe-webhook-secret", "stripe", "production", "payments",
              "whsec_demo_", (395, "bob"), 395, None, 365, (), ("k8s: payments/webhooks",),
              ("pci",), (view(180, "bob"),)),
    DemoToken(REVOKED, "stripe-reporting-restricted-key", "stripe", "production", "payments",
              "rk_live_demo_", (330, "bob"), 400, None, 180, ("reporting:read",),
              ("airflow: finance/daily",), ("finance",),
              (revoke(45, "bob", "owner-left", "SEC-1452",
                      "Dave left; finance reports moved to the data team's key"),)),
    DemoToken(OK, "slack-bot-deploy-notifier", "slack", "production", "sre", "xoxb-demo-",
              (390, "carol"), 390, None, 365, ("chat:write", "channels:read"),
              ("ci: notify.yml",), ("chatops",), (rot(100, "carol"),)),
    DemoToken(OVERDUE, "slack-webhook-incidents", "slack", "production", "carol", _SLACK_HOOK,
              (120, "carol"), 120, None, None, (), ("pagerduty: incident-bridge",),
              ("incidents",), (edit(60, "bob", owner="sre"),)),
    DemoToken(REVOKED, "slack-webhook-legacy-alerts", "slack", "production", "sre", _SLACK_HOOK,
              (392, "carol"), 700, None, None, (), ("alertmanager: legacy",), (),
              (revoke(260, "bob", "decommissioned", "OPS-877", "#alerts-legacy archived"),)),
    DemoToken(DUE, "datadog-api-key-production", "datadog", "production", "sre", "dd-api-demo-",
              (392, "bob"), 700, None, 365, (), ("k8s: monitoring/datadog-agent",),
              ("monitoring",), (rot(360, "bob"),)),
    DemoToken(OK, "datadog-api-key-staging", "datadog", "staging", "sre", "dd-api-demo-",
              (392, "bob"), 392, None, 365, (), ("k8s: monitoring/datadog-agent",),
              ("monitoring",), (rot(300, "bob"),)),
    DemoToken(OK, "datadog-app-key-dashboards", "datadog", "production", "alice", "dd-app-demo-",
              (60, "alice"), 60, 300, 180, ("dashboards_read", "monitors_read"),
              ("grafana: datadog datasource",), ("monitoring",), (view(4, "alice"),)),
    DemoToken(OK, "pagerduty-events-routing-key", "pagerduty", "production", "sre",
              "pd-route-demo-", (300, "bob"), 300, None, 365, (), ("alertmanager: production",),
              ("oncall",), (review(45, "bob"),)),
    DemoToken(OVERDUE, "pagerduty-rest-api-key", "pagerduty", "production", "sre",
              "pd-api-demo-", (200, "bob"), 200, None, 90, ("read", "write"),
              ("cron: oncall-report",), ("oncall",),
              (edit(150, "alice", scopes=("read",)), view(50, "bob"))),
    DemoToken(EXPIRED, "sentry-auth-token-ci", "sentry", "ci", "platform", "sntrys_demo_",
              (395, "carol"), 395, -30, 365, ("project:releases", "org:read"),
              ("ci: release.yml",), ("release",), (copy(100, "carol"),)),
    DemoToken(DUE, "cloudflare-api-token-dns", "cloudflare", "production", "platform",
              "cf-demo-", (347, "alice"), 347, 18, 365, ("Zone:DNS:Edit",),
              ("terraform: infra/dns",), ("terraform", "dns")),
    DemoToken(REVOKED, "cloudflare-global-api-key", "cloudflare", "production", "alice",
              "cf-global-demo-", (399, "alice"), 800, None, None, ("all",), ("laptop: alice",),
              ("break-glass",),
              (view(80, "bob"), revoke(75, "alice", "compromised", "SEC-1421",
                                       "found in a public gist; revoked within the hour"))),
    DemoToken(OK, "npm-publish-token", "npm", "ci", "platform", "npm_demo",
              (115, "carol"), 115, 250, 365, ("publish",), ("ci: publish.yml",), ("release",)),
    DemoToken(EXPIRED, "npm-read-token-legacy", "npm", "ci", "carol", "npm_demo",
              (390, "carol"), 420, -60, None, ("read",), ("ci: build.yml",), ("legacy",)),
    DemoToken(DUE, "pypi-upload-tokenvault", "pypi", "ci", "alice", "pypi-demo-",
              (340, "alice"), 340, None, 180, ("project:tokenvault",), ("ci: publish.yml",),
              ("release",), (rot(170, "alice"),)),
    DemoToken(REVOKED, "pypi-account-wide-token", "pypi", "ci", "alice", "pypi-demo-",
              (399, "alice"), 600, None, None, ("all-projects",), ("ci: publish.yml",),
              ("release",),
              (revoke(335, "alice", "scope-reduced", "SEC-1433",
                      "replaced by the project-scoped pypi-upload-tokenvault"),)),
    DemoToken(OVERDUE, "dockerhub-ci-push", "dockerhub", "ci", "platform", "dckr_pat_demo_",
              (396, "carol"), 396, None, 90, ("repo:write",), ("ci: build.yml",), ("images",),
              (rot(330, "carol"), rot(240, "carol"), rot(150, "carol"))),
    DemoToken(OK, "twilio-api-key-sms", "twilio", "production", "platform", "SKdemo",
              (100, "bob"), 100, None, 180, (), ("k8s: platform/otp-sender",), ("2fa",)),
    DemoToken(OVERDUE, "sendgrid-transactional-mail", "sendgrid", "production", "platform",
              "SG.demo.", (391, "bob"), 391, None, 365, ("mail.send",),
              ("k8s: platform/mailer",), ("email",),
              (edit(200, "bob", tags=("email", "customer-facing")),)),
    DemoToken(OK, "openai-api-key-support-bot", "openai", "production", "carol",
              "sk-proj-demo-", (30, "carol"), 30, 60, None, ("model.request",),
              ("k8s: support/assistant",), ("ai",), (review(10, "carol", "usage within budget"),)),
    DemoToken(EXPIRED, "openai-api-key-experiments", "openai", "development", "carol",
              "sk-proj-demo-", (100, "carol"), 100, -10, None, ("model.request",),
              ("laptop: carol",), ("ai", "dev")),
    DemoToken(DUE, "gcp-sa-bigquery-export", "gcp", "production", "sre", "gcp-sa-demo-",
              (394, "bob"), 394, None, 90, ("roles/bigquery.dataViewer",),
              ("airflow: exports/daily",), ("data",),
              (rot(260, "bob"), rot(170, "bob"), rot(80, "bob"))),
    DemoToken(REVOKED, "gcp-sa-ci-deployer", "gcp", "staging", "platform", "gcp-sa-demo-",
              (394, "bob"), 394, None, 90, ("roles/run.admin", "roles/iam.serviceAccountUser"),
              ("ci: deploy.yml",), ("deploy",),
              (rot(300, "carol"), revoke(210, "bob", "rotated", "OPS-902",
                                         "replaced by workload identity federation"))),
    DemoToken(OK, "k8s-ci-deployer-token", "kubernetes", "staging", "platform", "k8s-sa-demo-",
              (200, "carol"), 200, None, 90, ("edit",), ("ci: deploy.yml",), ("deploy",),
              (rot(110, "carol"), rot(20, "carol"), copy(1, "carol"))),
    DemoToken(DUE, "vault-approle-payments-api", "hashicorp-vault", "production", "sre",
              "hvs.demo", (150, "bob"), 150, None, 30, ("policy:payments-read",),
              ("k8s: payments/api",), ("payments",),
              (rot(100, "bob"), rot(42, "bob"), rot(12, "bob"))),
)
# fmt: on


def demo_secret(token: DemoToken, version: int) -> Secret:
    """Fake, recognisable and the same on every build: the prefix plus a hash of name+version."""
    digest = hashlib.sha256(f"tokenvault-demo:{token.name}:{version}".encode()).hexdigest()
    return Secret(token.prefix + digest[:32])


class _Clock:
    """Stands still between steps; each step moves forward a few minutes, never past `end`."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.now = self.day(_START_DAYS)
        self._steps = 0

    def __call__(self) -> datetime:
        return self.now

    def day(self, days_ago: int) -> datetime:
        """The start of work (08:30-11:00 UTC, varying) `days_ago` before the end (< 0: after)."""
        moment = self.end - timedelta(days=days_ago)
        start = moment.replace(hour=8, minute=30, second=0, microsecond=0)
        return start + timedelta(minutes=days_ago * 37 % 150)

    def step(self, days_ago: int) -> None:
        """Move to that day's start, or a few minutes on if already there: deterministic gaps
        that look irregular."""
        self._steps += 1
        gap = timedelta(minutes=2 + self._steps * 7 % 13, seconds=self._steps * 29 % 60)
        self.now = min(max(self.now + gap, self.day(days_ago)), self.end)


class _Builder:
    def __init__(self, vault_dir: Path, clock: _Clock, state_dir: Path | None) -> None:
        self.vault_dir, self.clock, self.state_dir = vault_dir, clock, state_dir
        self.sessions: dict[str, Session] = {}
        self.versions: dict[str, int] = {}

    def session(self, member: str) -> Session:
        if member not in self.sessions:
            self.sessions[member] = self._unlock(member, DEMO_PASSPHRASE)
        return self.sessions[member]

    def _unlock(self, member: str, passphrase: str) -> Session:
        return unlock(
            self.vault_dir, member, Secret(passphrase), clock=self.clock, state_dir=self.state_dir
        )

    def lock_all(self) -> None:
        for session in self.sessions.values():
            session.lock()
        self.sessions.clear()

    def add_members(self, kdf: KdfParams) -> None:
        admin = self.session(DEMO_MEMBERS[0])
        for member in DEMO_MEMBERS[1:]:
            self.clock.step(_START_DAYS)
            role, display = _PEOPLE[member]
            add_member(admin, member, role, Secret(DEMO_PASSPHRASE), display_name=display, kdf=kdf)

    def failed_unlock(self, member: str) -> None:
        """A typo, then the right passphrase: that unlock journals `unlock.failed`."""
        old = self.sessions.pop(member, None)
        if old is not None:
            old.lock()
        with contextlib.suppress(AuthenticationError):  # recorded in attempts.log
            self._unlock(member, DEMO_PASSPHRASE.replace("pass", "pas")).lock()
        self.clock.step(_FAILED_UNLOCK[0])
        self.session(member)

    def add(self, token: DemoToken) -> None:
        _, actor = token.added
        draft = TokenDraft(
            name=token.name,
            owner=token.owner,
            service=token.service,
            environment=token.environment,
            scopes=token.scopes,
            used_by=token.used_by,
            tags=token.tags,
            notes=token.notes,
            issued_at=self.clock.day(token.issued),
            expires_at=None if token.expires is None else self.clock.day(-token.expires),
            rotate_every_days=token.every,
        )
        tokens.add(self.session(actor), draft, demo_secret(token, 1), source="demo")
        self.versions[token.name] = 1

    def act(self, token: DemoToken, act: Act) -> None:
        session, name = self.session(act.actor), token.name
        if act.kind == "rotate":
            self.versions[name] += 1
            secret = demo_secret(token, self.versions[name])
            if act.expires is None:
                tokens.rotate(session, name, secret)
            else:
                tokens.rotate(session, name, secret, expires_at=self.clock.day(-act.expires))
        elif act.kind == "revoke":
            tokens.revoke(session, name, act.reason, ticket=act.ticket, note=act.note)
        elif act.kind in ("view", "copy"):
            tokens.reveal(session, name, how=act.kind)
        elif act.kind == "review":
            tokens.review(session, name, note=act.note)
        elif act.kind == "edit":
            tokens.edit(session, name, dict(act.changes))
        elif act.kind == "destroy":
            tokens.destroy_secrets(session, name)
        else:
            raise ValueError(f"unknown demo act {act.kind!r}")

    def scanner_report(self) -> None:
        """Import the demo gitleaks report through the real import (services/import_reports)."""
        leaked = next(t for t in DEMO_TOKENS if t.name == LEAKED_TOKEN)
        findings = [
            ("datadog-api-key", "deploy/helm/values-staging.yaml", 41,
             demo_secret(leaked, self.versions[LEAKED_TOKEN])),
            ("slack-bot-token", "scripts/notify-legacy.sh", 7, discovered_secret()),
        ]  # fmt: skip
        report = [
            {"RuleID": rule, "File": path, "StartLine": line, "Commit": _COMMIT,
             "Secret": secret.expose_text()}
            for rule, path, line, secret in findings
        ]  # fmt: skip
        session = self.session(_REPORT[1])
        data = json.dumps(report, indent=1).encode()
        result = import_report(
            session, data, "gitleaks-json", _REPORT_FILE, Defaults(environment="production"), False
        )
        self.clock.step(_REPORT[0])  # a few minutes later
        tokens.edit(session, result.created[0].name, {"name": DISCOVERED_TOKEN})

    def policy(self, actor: str, changes: dict[str, Any]) -> None:
        policy.update(self.session(actor), changes)

    def history(self) -> None:
        """Every event, oldest first; within a day, in table order."""
        events: list[tuple[int, Callable[[], object]]] = []
        for token in DEMO_TOKENS:
            events.append((token.added[0], partial(self.add, token)))
            events.extend((act.days, partial(self.act, token, act)) for act in token.acts)
        days, actor, changes = _POLICY_CHANGE
        events.append((days, partial(self.policy, actor, changes)))
        events.append((_FAILED_UNLOCK[0], partial(self.failed_unlock, _FAILED_UNLOCK[1])))
        events.append((_REPORT[0], self.scanner_report))
        for days, action in sorted(events, key=lambda event: -event[0]):  # stable sort
            self.clock.step(days)
            action()


def _count(session: Session) -> tuple[int, int]:
    """(tokens, journal entries)."""
    with session.read() as db:
        return len(rows.all_tokens(db)), journal_rows.head(db).size


def build_demo(
    vault_dir: Path,
    *,
    now: datetime,
    state_dir: Path | None = None,
    kdf: KdfParams | None = None,
) -> DemoVault:
    """Create the demo vault at `vault_dir` (absent or empty) with a history ending by `now`."""
    if now.tzinfo is None:
        raise ValidationError("now must be an aware datetime")
    vault_dir = Path(vault_dir)
    params = kdf if kdf is not None else FLOOR
    clock = _Clock(now.astimezone(UTC))
    create_vault(
        vault_dir,
        name=DEMO_VAULT_NAME,
        member_id=DEMO_MEMBERS[0],
        passphrase=Secret(DEMO_PASSPHRASE),
        display_name=_PEOPLE[DEMO_MEMBERS[0]][1],
        kdf=params,
        clock=clock,
        state_dir=state_dir,
    )
    builder = _Builder(vault_dir, clock, state_dir)
    try:
        clock.step(_START_DAYS)
        builder.add_members(params)
        builder.history()
        count, entries = _count(builder.session(DEMO_MEMBERS[0]))
    except BaseException:
        builder.lock_all()
        fs.remove_tree_quietly(vault_dir)  # half a demo must not be reused next time
        raise
    builder.lock_all()
    return DemoVault(
        vault_dir, True, DEMO_MEMBERS[0], DEMO_PASSPHRASE, DEMO_MEMBERS, count, entries
    )


def ensure_demo(
    vault_dir: Path,
    *,
    now: datetime,
    state_dir: Path | None = None,
    kdf: KdfParams | None = None,
) -> DemoVault:
    """The demo vault at `vault_dir`: reused as it is if one is there, else built."""
    paths = VaultPaths(Path(vault_dir))
    if not paths.keys.exists():
        return build_demo(paths.root, now=now, state_dir=state_dir, kdf=kdf)
    other = ConflictError(f"{paths.root} holds another vault, not the demo; choose another --dir")
    # Only the key file's member list, before any unlock: a wrong guess at someone else's vault
    # would be logged there as a failed attempt.
    if keystore.read(paths).members() != {*DEMO_MEMBERS, RECOVERY_MEMBER}:
        raise other
    try:
        session = unlock(
            paths.root,
            DEMO_MEMBERS[0],
            Secret(DEMO_PASSPHRASE),
            clock=lambda: now,
            state_dir=state_dir,
        )
    except AuthenticationError:
        raise other from None
    try:
        if session.vault_name != DEMO_VAULT_NAME:
            raise other
        count, entries = _count(session)
    finally:
        session.lock()
    return DemoVault(
        paths.root, False, DEMO_MEMBERS[0], DEMO_PASSPHRASE, DEMO_MEMBERS, count, entries
    )
