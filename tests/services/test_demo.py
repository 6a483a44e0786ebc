"""The demo vault: real files built by the real services, every status at `now`, a history
with three actors that verifies, the same result for the same `now`, and reuse that leaves an
existing demo untouched."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.errors import ConflictError, ValidationError
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.model import Role, Secret, Status, Token
from tokenvault.domain.status import token_status
from tokenvault.domain.timefmt import format_ts
from tokenvault.domain.validate import check_secret
from tokenvault.services import Session, demo
from tokenvault.services import findings as findings_service
from tokenvault.storage import journal as journal_rows

NOW = datetime(2026, 11, 25, 16, 45, 12, 345678, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    made: demo.DemoVault
    state_dir: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("demo")
    made = demo.build_demo(root / "vault", now=NOW, state_dir=root / "state")
    return Built(made, root / "state")


def open_demo(path: Path, state_dir: Path) -> Session:
    return services.unlock(
        path, "alice", Secret(demo.DEMO_PASSPHRASE), clock=lambda: NOW, state_dir=state_dir
    )


@pytest.fixture
def session(built: Built) -> Iterator[Session]:
    s = open_demo(built.made.path, built.state_dir)
    yield s
    s.lock()


def journal(session: Session) -> list[Entry]:
    with session.read() as db:
        lines = journal_rows.recent_lines(db, 10_000)
    return [decode_entry(line) for line in reversed(lines)]


def without_fingerprints(token: Token) -> Token:
    """Fingerprints are keyed by the vault's random fp key: equal only within one vault."""
    return replace(token, versions=tuple(replace(v, fingerprint="") for v in token.versions))


def test_build_reports_the_vault_it_made(built: Built, session: Session) -> None:
    made = built.made
    assert made.created
    assert (made.member, made.passphrase) == ("alice", demo.DEMO_PASSPHRASE)
    assert made.members == demo.DEMO_MEMBERS == ("alice", "bob", "carol")
    # every DEMO_TOKENS row, and the token the demo's scanner report discovered
    assert made.tokens == len(demo.DEMO_TOKENS) + 1 == len(services.tokens.list_tokens(session))
    assert 35 <= made.tokens <= 45
    assert made.entries == len(journal(session))
    assert session.vault_name == demo.DEMO_VAULT_NAME


def test_every_status_appears_at_now_and_each_token_has_its_intended_one(
    session: Session,
) -> None:
    policy = services.policy.show(session)
    statuses = {t.name: token_status(t, policy, NOW) for t in services.tokens.list_tokens(session)}
    intended = {row.name: row.status for row in demo.DEMO_TOKENS}
    assert statuses == {**intended, demo.DISCOVERED_TOKEN: Status.OK}
    counts = Counter(statuses.values())
    assert all(counts[status] >= 2 for status in Status), counts


def test_inventory_is_varied(session: Session) -> None:
    listed = services.tokens.list_tokens(session)
    assert len({t.service for t in listed}) >= 12
    assert {t.environment for t in listed} == {"production", "staging", "development", "ci"}
    assert {"alice", "carol", "platform", "payments", "sre"} <= {t.owner for t in listed}
    broad = set(services.policy.show(session).broad_scopes)
    assert sum(1 for t in listed if broad & set(t.scopes)) >= 3
    assert any(len(t.versions) >= 4 for t in listed)
    assert any(t.current.destroyed_at is not None for t in listed)
    assert {t.revoke_reason for t in listed if t.revoked} >= {"compromised", "scope-reduced"}
    assert all(t.revoke_ticket for t in listed if t.revoked)


def test_a_scanner_report_left_one_exposed_and_one_discovered_token(session: Session) -> None:
    listed = services.tokens.list_tokens(session)
    exposed = {t.name for t in listed if t.exposed_at is not None}
    # a discovered token's secret is in the scanned files too
    assert exposed == {demo.DISCOVERED_TOKEN, demo.LEAKED_TOKEN}
    found = services.tokens.get(session, demo.DISCOVERED_TOKEN)
    assert found.discovered
    assert found.owner == ""
    assert found.used_by == ("scripts/notify-legacy.sh",)
    codes = {(f.token, f.code.value) for f in findings_service.check(session).findings}
    assert {(demo.LEAKED_TOKEN, "EXPOSED"), (demo.DISCOVERED_TOKEN, "DISCOVERED")} <= codes
    (scan,) = (e for e in journal(session) if e.type == "scan")
    assert (scan.actor, scan.body["source"], scan.body["leaks"]) == ("bob", "gitleaks-json", 1)


def test_three_members_with_their_roles(session: Session) -> None:
    members = {
        m.id: m.role
        for m in services.members.list_members(session)
        if m.id != services.RECOVERY_MEMBER
    }
    assert members == {"alice": Role.ADMIN, "bob": Role.ADMIN, "carol": Role.OPERATOR}


def test_journal_has_a_history_by_three_actors_ending_by_now(session: Session) -> None:
    entries = journal(session)
    types = Counter(e.type for e in entries)
    for kind in (
        "token.create",
        "token.rotate",
        "token.revoke",
        "token.reveal",
        "token.review",
        "token.update",
        "token.destroy",
        "unlock.failed",
        "policy.update",
        "member.add",
        "scan",
        "import",
    ):
        assert types[kind] >= 1, kind
    assert types["token.rotate"] >= 20
    assert types["token.revoke"] >= 5
    assert {e.actor for e in entries} == set(demo.DEMO_MEMBERS)
    stamps = [e.ts for e in entries]
    assert stamps == sorted(stamps)
    assert format_ts(NOW - timedelta(days=401)) < stamps[0]
    assert stamps[-1] <= format_ts(NOW)
    (failed,) = (e for e in entries if e.type == "unlock.failed")
    assert (failed.actor, failed.body["member"], failed.body["count"]) == ("bob", "bob", 1)
    (change,) = (e for e in entries if e.type == "policy.update")
    assert change.body["changes"] == {"reminder_days": {"before": 14, "after": 21}}


def test_verify_finds_no_problems(session: Session) -> None:
    assert services.verify(session).problems == ()


def test_same_now_same_vault_and_ensure_builds_when_absent(
    built: Built, session: Session, tmp_path: Path
) -> None:
    again = demo.ensure_demo(tmp_path / "vault", now=NOW, state_dir=tmp_path / "state")
    assert again.created
    assert (again.tokens, again.entries) == (built.made.tokens, built.made.entries)
    other = open_demo(again.path, tmp_path / "state")
    try:
        assert [without_fingerprints(t) for t in services.tokens.list_tokens(other)] == [
            without_fingerprints(t) for t in services.tokens.list_tokens(session)
        ]
        assert [(e.ts, e.actor, e.type, e.body.get("name")) for e in journal(other)] == [
            (e.ts, e.actor, e.type, e.body.get("name")) for e in journal(session)
        ]
    finally:
        other.lock()


def test_ensure_demo_reuses_an_existing_demo_untouched(built: Built) -> None:
    path = built.made.path
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.name != "keys.lock"}
    reused = demo.ensure_demo(path, now=NOW + timedelta(days=3), state_dir=built.state_dir)
    assert not reused.created
    assert (reused.path, reused.tokens, reused.entries) == (
        path,
        built.made.tokens,
        built.made.entries,
    )
    assert {p.name: p.read_bytes() for p in path.iterdir() if p.name != "keys.lock"} == before


def test_ensure_demo_refuses_another_vault_without_touching_it(tmp_path: Path) -> None:
    target = tmp_path / "vault"
    services.create_vault(
        target,
        name="Ops",
        member_id="alice",
        passphrase=Secret("another passphrase"),
        kdf=FLOOR,
        state_dir=tmp_path / "state",
    )
    with pytest.raises(ConflictError, match="another vault"):
        demo.ensure_demo(target, now=NOW, state_dir=tmp_path / "state")
    assert not (target / "attempts.log").exists()


def test_build_refuses_a_non_empty_directory_and_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "vault"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError):
        demo.build_demo(target, now=NOW, state_dir=tmp_path / "state")
    assert (target / "notes.txt").read_text() == "mine"


def test_build_needs_an_aware_now(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="aware"):
        demo.build_demo(tmp_path / "vault", now=NOW.replace(tzinfo=None))
    assert not (tmp_path / "vault").exists()


def test_secrets_are_fake_deterministic_and_never_in_the_journal(
    built: Built, tmp_path: Path
) -> None:
    copy = tmp_path / "vault"
    shutil.copytree(built.made.path, copy)  # reveals are journaled: leave the shared vault be
    session = open_demo(copy, tmp_path / "state")
    try:
        rows = {row.name: row for row in demo.DEMO_TOKENS}
        revealed: list[bytes] = []
        for token in services.tokens.list_tokens(session):
            for version in token.versions:
                if version.destroyed_at is not None:
                    continue
                secret = services.tokens.reveal(session, token.name, version=version.number)
                check_secret(secret)
                if token.name == demo.DISCOVERED_TOKEN:
                    assert secret == demo.discovered_secret()
                else:
                    assert secret == demo.demo_secret(rows[token.name], version.number)
                assert "demo" in secret.expose_text().lower()
                revealed.append(secret.expose())
        assert len(revealed) > len(rows)
        lines = b"\n".join(e.line for e in journal(session))
        assert not [s for s in revealed if s in lines]
    finally:
        session.lock()
