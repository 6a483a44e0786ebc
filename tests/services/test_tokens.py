"""Token use cases: validation, journaling, and the rules between them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import StepClock, unlock
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.errors import (
    ConflictError,
    IntegrityError,
    NotAllowedError,
    NotFoundError,
    ValidationError,
)
from tokenvault.domain.journal import decode_entry
from tokenvault.domain.model import RevealHow, RevokeReason, Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.storage import journal as journal_rows


def add(session: Session, name: str = "gh-deploy", value: str = "ghp_1", **kw: object) -> None:
    draft = TokenDraft(name=name, owner=str(kw.pop("owner", "alice")), **kw)  # type: ignore[arg-type]
    services.tokens.add(session, draft, Secret(value))


def last_entry(session: Session) -> dict[str, object]:
    (line,) = journal_rows.recent_lines(session.db, 1)
    entry = decode_entry(line)
    return {"type": entry.type, "actor": entry.actor, "ts": entry.ts, **entry.body}


def entry_count(session: Session) -> int:
    return journal_rows.head(session.db).size


def test_add_journals_metadata_and_a_fingerprint_never_the_secret(
    session: Session, clock: StepClock
) -> None:
    issued = clock.now - timedelta(days=400)
    token = services.tokens.add(
        session,
        TokenDraft(
            name="  aws-prod  ",
            owner="alice",
            service="aws",
            environment="production",
            scopes=["s3:read", "s3:read", "ec2:*"],
            used_by=["ci:deploy"],
            issued_at=issued,
            expires_at=clock.now + timedelta(days=10),
        ),
        Secret("AKIA-very-secret"),
    )
    assert token.name == "aws-prod"
    assert token.scopes == ("s3:read", "ec2:*")
    assert token.last_rotated_at == issued.replace(microsecond=0)
    entry = last_entry(session)
    assert entry["type"] == "token.create"
    assert entry["fingerprint"] == token.current.fingerprint
    assert "AKIA-very-secret" not in str(entry)
    assert services.tokens.get(session, "aws-prod") == token


@pytest.mark.parametrize(
    ("draft", "secret", "why"),
    [
        (TokenDraft(name=""), "s", "name must not be empty"),
        (TokenDraft(name="x" * 201, owner="a"), "s", "longer than 200"),
        (TokenDraft(name="bad\x1bname", owner="a"), "s", "control or bidi"),
        (TokenDraft(name="t", owner=""), "s", "requires an owner"),
        (TokenDraft(name="t", owner="a", scopes="admin"), "s", "list of text"),
        (TokenDraft(name="t", owner="a", rotate_every_days=0), "s", "between 1 and"),
        (TokenDraft(name="t", owner="a"), "", "secret is empty"),
        (TokenDraft(name="t", owner="a"), "x" * (64 * 1024 + 1), "larger than 65536"),
    ],
)
def test_add_rejects_bad_input_and_changes_nothing(
    session: Session, draft: TokenDraft, secret: str, why: str
) -> None:
    before = entry_count(session)
    with pytest.raises(ValidationError, match=why):
        services.tokens.add(session, draft, Secret(secret))
    assert entry_count(session) == before
    assert services.tokens.list_tokens(session) == []


def test_time_rules(session: Session, clock: StepClock) -> None:
    with pytest.raises(ValidationError, match="issued_at is in the future"):
        add(session, issued_at=clock.now + timedelta(days=1))
    with pytest.raises(ValidationError, match="expires_at is before issued_at"):
        add(
            session,
            issued_at=clock.now - timedelta(days=5),
            expires_at=clock.now - timedelta(days=6),
        )
    add(
        session,
        expires_at=clock.now - timedelta(minutes=1),
        issued_at=clock.now - timedelta(days=9),
    )
    # inventorying an already expired token is allowed: it shows as expired


def test_duplicate_names_conflict(session: Session) -> None:
    add(session)
    with pytest.raises(ConflictError, match="already exists"):
        add(session)
    add(session, name="other")
    with pytest.raises(ConflictError, match="already exists"):
        services.tokens.edit(session, "other", {"name": "gh-deploy"})


def test_edit_records_before_and_after_and_skips_no_ops(session: Session) -> None:
    add(session, scopes=["repo"])
    count = entry_count(session)
    services.tokens.edit(session, "gh-deploy", {"notes": "", "owner": "alice"})
    assert entry_count(session) == count  # nothing changed, nothing journaled
    token = services.tokens.edit(
        session,
        "gh-deploy",
        {"name": "gh-deploy-2", "notes": "rotated by ops"},
        add_scopes=["workflow"],
        remove_scopes=["repo"],
    )
    assert token.name == "gh-deploy-2"
    assert token.scopes == ("workflow",)
    entry = last_entry(session)
    assert entry["type"] == "token.update"
    assert entry["name"] == "gh-deploy"
    assert entry["changes"] == {
        "name": {"before": "gh-deploy", "after": "gh-deploy-2"},
        "notes": {"before": "", "after": "rotated by ops"},
        "scopes": {"before": ["repo"], "after": ["workflow"]},
    }
    with pytest.raises(ValidationError, match="unknown token fields"):
        services.tokens.edit(session, "gh-deploy-2", {"secret": "x"})
    with pytest.raises(NotFoundError):
        services.tokens.edit(session, "gh-deploy", {"notes": "x"})


def test_rotate_retires_the_old_version(session: Session, clock: StepClock) -> None:
    add(session)
    clock.advance(days=30)
    token = services.tokens.rotate(
        session, "gh-deploy", Secret("ghp_2"), expires_at=clock.now + timedelta(days=90)
    )
    assert [v.number for v in token.versions] == [1, 2]
    assert token.versions[0].retired_at == clock.now
    assert token.last_rotated_at == clock.now
    assert services.tokens.reveal(session, "gh-deploy").expose() == b"ghp_2"
    assert services.tokens.reveal(session, "gh-deploy", version=1).expose() == b"ghp_1"
    with pytest.raises(ConflictError, match="already used"):
        services.tokens.rotate(session, "gh-deploy", Secret("ghp_1"))
    with pytest.raises(ValidationError, match="already in the past"):
        services.tokens.rotate(session, "gh-deploy", Secret("ghp_3"), expires_at=clock.now)


def test_reveal_journals_before_returning(session: Session, vault_dir: Path) -> None:
    add(session)
    secret = services.tokens.reveal(session, "gh-deploy", how=RevealHow.COPY)
    assert secret.expose() == b"ghp_1"
    entry = last_entry(session)
    assert entry["type"] == "token.reveal"
    assert entry["how"] == "copy"
    assert services.tokens.get(session, "gh-deploy").last_used_at is not None
    # When the journal cannot be written, the secret is not returned either.
    session.unlock_info = services.UnlockInfo(rollback="test: writes refused")
    with pytest.raises(IntegrityError, match="writes refused"):
        services.tokens.reveal(session, "gh-deploy")


def test_revoke_then_destroy(session: Session) -> None:
    add(session)
    services.tokens.rotate(session, "gh-deploy", Secret("ghp_2"))
    with pytest.raises(ConflictError, match="current secret of a live token"):
        services.tokens.destroy_secrets(session, "gh-deploy", [2])
    services.tokens.destroy_secrets(session, "gh-deploy")  # retired version 1 only
    with pytest.raises(ConflictError, match="destroyed"):
        services.tokens.reveal(session, "gh-deploy", version=1)
    with pytest.raises(ValidationError, match="reason must be one of"):
        services.tokens.revoke(session, "gh-deploy", "because")
    token = services.tokens.revoke(
        session, "gh-deploy", RevokeReason.OWNER_LEFT, ticket="HR-12", note="left the team"
    )
    assert token.revoke_reason is RevokeReason.OWNER_LEFT
    with pytest.raises(ConflictError, match="already revoked"):
        services.tokens.revoke(session, "gh-deploy", "other")
    with pytest.raises(ConflictError, match="revoked"):
        services.tokens.rotate(session, "gh-deploy", Secret("ghp_3"))
    destroyed = services.tokens.destroy_secrets(session, "gh-deploy")
    assert all(v.destroyed_at is not None for v in destroyed.versions)
    with pytest.raises(ConflictError, match="no secret that may be destroyed"):
        services.tokens.destroy_secrets(session, "gh-deploy")
    report = services.verify(session)
    assert report.ok, report.problems


def test_review_is_for_the_owner_or_an_admin(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    add(session, owner="bob")
    add(session, name="mine", owner="carol")
    services.members.add_member(session, "carol", "operator", Secret("carol passphrase"), kdf=FLOOR)
    reviewed = services.tokens.review(session, "gh-deploy", note="still needed")  # admin
    assert reviewed.last_reviewed_at == clock.now
    carol = unlock(vault_dir, clock, state_dir, member="carol", passphrase="carol passphrase")
    with pytest.raises(NotAllowedError, match="owner"):
        services.tokens.review(carol, "gh-deploy")
    assert services.tokens.review(carol, "mine").last_reviewed_at is not None


def test_history_is_newest_first(session: Session, clock: StepClock) -> None:
    add(session)
    clock.advance(seconds=1)
    services.tokens.review(session, "gh-deploy")
    clock.advance(seconds=1)
    services.tokens.reveal(session, "gh-deploy")
    add(session, name="unrelated")
    history = services.tokens.history(session, "gh-deploy")
    assert [e.type for e in history] == ["token.reveal", "token.review", "token.create"]


def test_timestamps_never_go_backwards(session: Session, clock: StepClock) -> None:
    add(session)
    first = last_entry(session)["ts"]
    clock.advance(hours=-5)  # the wall clock jumped back
    services.tokens.review(session, "gh-deploy")
    assert last_entry(session)["ts"] == first
    assert services.verify(session).ok


def test_inventorying_an_old_token_defaults_issued_to_the_earliest_date(
    session: Session, clock: StepClock
) -> None:
    """Past rotation or expiry alone is accepted: issued_at falls back to the earliest."""
    rotated = clock.now - timedelta(days=200)
    expired = clock.now - timedelta(days=30)
    add(session, last_rotated_at=rotated, expires_at=expired)
    assert services.tokens.get(session, "gh-deploy").issued_at == rotated
    only_expired = services.tokens.add(
        session, TokenDraft(name="old-pat", owner="ops", expires_at=expired), Secret("x")
    )
    assert only_expired.issued_at == only_expired.last_rotated_at == expired


def test_add_many_is_one_transaction_all_or_nothing(session: Session) -> None:
    before = entry_count(session)
    batch = [(TokenDraft(name=f"t{i}", owner="ops"), Secret(f"s{i}")) for i in range(3)]
    with pytest.raises(ConflictError, match="'t1' already exists"):
        services.tokens.add_many(session, [*batch, batch[1]])
    assert entry_count(session) == before
    assert services.tokens.list_tokens(session) == []
    made = services.tokens.add_many(session, batch, source="import: test.csv")
    assert [t.id for t in made] == [1, 2, 3]
    assert entry_count(session) == before + 3
    assert services.verify(session).problems == ()
    assert services.tokens.reveal(session, "t2") == Secret("s2")
