"""The journal CSV and the inventory CSV (now and replayed as of an instant), on a real vault:
exact rows, formula-safe cells, 0600 files, no secret bytes, and what is journaled."""

from __future__ import annotations

import csv
import io
import itertools
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import StepClock, unlock
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.csvcells import BOM
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.journal import decode_entry
from tokenvault.domain.merkle import Frontier, hash_leaf
from tokenvault.domain.model import Secret
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import Session, TokenDraft
from tokenvault.services.asof import as_of_instant, inventory_at
from tokenvault.services.export import (
    INVENTORY_CSV_COLUMNS,
    JOURNAL_CSV_COLUMNS,
    export_inventory,
    export_journal,
    export_journal_csv,
)
from tokenvault.storage import journal as journal_rows

EVIL = "=cmd|' /C calc'!A0"
SECRETS = ("ghp_FIRST_sekrit_111", "ghp_SECOND_sekrit_222", "sk_live_sekrit_333", "AKIA_sekrit_444")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    data = path.read_bytes()
    assert data.startswith(BOM)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def assert_no_secret(path: Path) -> None:
    data = path.read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in data, secret
        assert secret[-8:].encode() not in data, secret


def size(session: Session) -> int:
    with session.read() as db:
        return journal_rows.head(db).size


def ts(moment: datetime) -> str:
    return format_ts(moment)


def add(session: Session, name: str, secret: str, **kw: object) -> None:
    draft = TokenDraft(name=name, owner=str(kw.pop("owner", "alice")), **kw)  # type: ignore[arg-type]
    services.tokens.add(session, draft, Secret(secret))


# ---- journal CSV ---------------------------------------------------------------------------


def test_journal_csv_is_journaled_once_and_holds_every_entry_with_its_hashes(
    session: Session, vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    add(session, EVIL, SECRETS[0], service="github", notes="+SUM(1)")
    services.members.add_member(session, "bob", "operator", Secret("bob passphrase"), kdf=FLOOR)
    bob = unlock(vault_dir, clock, state_dir, member="bob", passphrase="bob passphrase")
    clock.advance(minutes=5)
    services.tokens.rotate(bob, EVIL, Secret(SECRETS[1]))
    bob.lock()
    before = size(session)

    out = tmp_path / "journal.csv"
    made = export_journal_csv(session, out)

    assert size(session) == before + 1 == made.size
    with session.read() as db:
        lines = [row.line for row in journal_rows.rows(db)]
    leaves = [hash_leaf(line) for line in lines]
    assert made.root == Frontier.of(leaves).root().hex()
    assert made.genesis_hash == leaves[0].hex() == session.genesis_hash
    header, rows = read_csv(out)
    assert header == list(JOURNAL_CSV_COLUMNS)
    assert len(rows) == len(lines) == made.size
    for line, leaf, row in zip(lines, leaves, rows, strict=True):
        entry = decode_entry(line)
        assert row["seq"] == str(entry.seq)
        assert (row["ts"], row["actor"], row["type"]) == (entry.ts, entry.actor, entry.type)
        assert row["body"] == canonical_bytes(entry.body).decode()
        assert (row["prev"], row["leaf_hash"], row["sig"]) == (entry.prev, leaf.hex(), entry.sig)
    for earlier, later in itertools.pairwise(rows):
        assert later["prev"] == earlier["leaf_hash"]

    by_type = {row["type"]: row for row in rows}
    assert by_type["token.create"]["subject"] == "'" + EVIL  # formula-safe
    assert by_type["token.create"]["actor"] == "alice"
    assert by_type["token.create"]["role"] == "admin"
    assert by_type["token.rotate"]["actor"] == "bob"
    assert by_type["token.rotate"]["role"] == "operator"
    assert by_type["token.rotate"]["summary"] == "rotated v1 → v2"
    own = rows[-1]
    assert own["type"] == "journal.export"
    body = json.loads(own["body"])
    assert body["size"] == before
    assert body["root"] == Frontier.of(leaves[:before]).root().hex()
    assert_no_secret(out)
    assert services.verify(session).ok


def test_journal_csv_and_jsonl_exports_share_the_journaling_and_the_entries(
    session: Session, tmp_path: Path
) -> None:
    add(session, "gh-deploy", SECRETS[0])
    jsonl = export_journal(session, tmp_path / "a.jsonl")
    made = export_journal_csv(session, tmp_path / "a.csv")
    assert made.size == jsonl.size + 1
    entry_lines = (tmp_path / "a.jsonl").read_bytes().split(b"\n")[1:-1]
    _, rows = read_csv(tmp_path / "a.csv")
    assert [r["leaf_hash"] for r in rows[: jsonl.size]] == [
        hash_leaf(line).hex() for line in entry_lines
    ]
    nonces = {json.loads(r["body"])["nonce"] for r in rows if r["type"] == "journal.export"}
    assert len(nonces) == 2  # a fresh nonce per export


# ---- inventory CSV -------------------------------------------------------------------------


def build_history(session: Session, clock: StepClock) -> dict[str, datetime]:
    """Three moments a few days apart, each changing the inventory."""
    t1 = clock.now  # 2026-11-25 10:00
    add(
        session,
        "gh-deploy",
        SECRETS[0],
        service="github",
        environment="production",
        scopes=["repo", "workflow"],
        expires_at=t1 + timedelta(days=10),
        rotate_every_days=30,
        notes=EVIL,
    )
    add(session, "stripe-live", SECRETS[2], owner="payments", service="@stripe", tags=["pci"])
    t2 = clock.advance(days=5)  # 2026-11-30 10:00
    services.tokens.rotate(session, "gh-deploy", Secret(SECRETS[1]), expires_at=t2 + timedelta(60))
    services.tokens.edit(session, "stripe-live", {"owner": "billing"}, add_scopes=["-refunds"])
    add(session, "aws-old", SECRETS[3], service="aws", expires_at=t2 + timedelta(days=15))
    t3 = clock.advance(days=10)  # 2026-12-10 10:00
    services.tokens.revoke(session, "stripe-live", "compromised", ticket="INC-9", note="leaked")
    services.tokens.review(session, "gh-deploy")
    services.policy.update(session, {"reminder_days": 30})
    services.tokens.reveal(session, "aws-old")
    services.tokens.destroy_secrets(session, "stripe-live")
    services.tokens.edit(session, "aws-old", {"name": "aws-legacy"})
    clock.advance(days=20)  # 2026-12-30 10:00
    return {"t1": t1, "t2": t2, "t3": t3}


def test_inventory_now_is_not_journaled_has_exact_rows_and_no_secret(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    t = build_history(session, clock)
    before = size(session)
    out = tmp_path / "inventory.csv"
    made = export_inventory(session, out)
    assert size(session) == before  # a read: not journaled
    assert (made.tokens, made.as_of) == (3, clock.now)
    header, rows = read_csv(out)
    assert header == list(INVENTORY_CSV_COLUMNS)
    assert [r["name"] for r in rows] == ["gh-deploy", "stripe-live", "aws-legacy"]  # by id
    gh = services.tokens.get(session, "gh-deploy")
    assert rows[0] == {
        "id": "1",
        "name": "gh-deploy",
        "service": "github",
        "environment": "production",
        "owner": "alice",
        "scopes": "repo; workflow",
        "used_by": "",
        "tags": "",
        "status": "overdue",  # rotated t2, every 30 days: due at t2 + 30d = now
        "issued_at": ts(t["t1"]),
        "expires_at": ts(t["t2"] + timedelta(days=60)),
        "rotate_every_days": "30",
        "last_rotated_at": ts(t["t2"]),
        "rotation_due_at": ts(t["t2"] + timedelta(days=30)),
        "last_reviewed_at": ts(t["t3"]),
        "last_used_at": "",
        "version": "2",
        "fingerprint": gh.current.fingerprint,
        "created_at": ts(t["t1"]),
        "created_by": "alice",
        "revoked_at": "",
        "revoked_by": "",
        "revoke_reason": "",
        "revoke_ticket": "",
        "notes": "'" + EVIL,
        "exposed_at": "",
        "discovered": "false",
    }
    assert gh.versions[0].fingerprint not in out.read_text("utf-8-sig")  # current version only
    stripe = rows[1]
    assert stripe["service"] == "'@stripe"
    assert stripe["scopes"] == "'-refunds"
    assert (stripe["owner"], stripe["status"], stripe["revoke_reason"]) == (
        "billing",
        "revoked",
        "compromised",
    )
    assert (stripe["revoked_at"], stripe["revoke_ticket"]) == (ts(t["t3"]), "INC-9")
    assert (rows[2]["status"], rows[2]["last_used_at"]) == ("expired", ts(t["t3"]))
    assert_no_secret(out)


def test_replaying_to_now_gives_exactly_the_stored_inventory(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    build_history(session, clock)
    stored = export_inventory(session, tmp_path / "stored.csv")
    replayed = export_inventory(session, tmp_path / "replayed.csv", as_of=clock.now)
    assert stored.as_of == replayed.as_of
    assert (tmp_path / "stored.csv").read_bytes() == (tmp_path / "replayed.csv").read_bytes()
    # and the replayed objects are the stored ones, field for field
    assert inventory_at(session, clock.now).tokens == sorted(
        services.inventory(session).tokens, key=lambda tok: tok.id
    )


def test_as_of_a_date_in_the_middle_shows_the_middle_state(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    t = build_history(session, clock)
    gh = services.tokens.get(session, "gh-deploy")
    out = tmp_path / "q.csv"

    made = export_inventory(session, out, as_of=as_of_instant("2026-11-26", clock.now))
    assert made.as_of == datetime(2026, 11, 26, 23, 59, 59, 999000, tzinfo=UTC)
    _, rows = read_csv(out)
    assert [(r["name"], r["version"], r["status"]) for r in rows] == [
        ("gh-deploy", "1", "due"),  # expires t1 + 10d: 8.4 days left, inside the 14-day window
        ("stripe-live", "1", "ok"),
    ]
    assert rows[0]["fingerprint"] == gh.versions[0].fingerprint
    assert rows[0]["expires_at"] == ts(t["t1"] + timedelta(days=10))

    made = export_inventory(session, out, as_of=as_of_instant("2026-12-01", clock.now))
    assert made.tokens == 3
    _, rows = read_csv(out)
    assert [(r["name"], r["version"], r["status"]) for r in rows] == [
        ("gh-deploy", "2", "ok"),
        ("stripe-live", "1", "ok"),
        ("aws-old", "1", "due"),  # expires t2 + 15d: 13.6 days left
    ]
    gh_row, stripe_row, aws_row = rows
    assert gh_row["fingerprint"] == gh.versions[1].fingerprint
    assert (gh_row["last_rotated_at"], gh_row["last_reviewed_at"]) == (ts(t["t2"]), "")
    assert (stripe_row["owner"], stripe_row["scopes"]) == ("billing", "'-refunds")
    assert (stripe_row["revoked_at"], stripe_row["revoke_reason"]) == ("", "")
    assert aws_row["created_at"] == ts(t["t2"])
    assert_no_secret(out)


def test_an_entry_on_the_last_millisecond_of_the_day_counts_the_next_one_does_not(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    clock.now = datetime(2026, 11, 26, 23, 59, 59, 999000, tzinfo=UTC)
    add(session, "inside", SECRETS[0])
    clock.advance(milliseconds=1)
    add(session, "outside", SECRETS[1])
    found = inventory_at(session, as_of_instant("2026-11-26", clock.now))
    assert [tok.name for tok in found.tokens] == ["inside"]


def test_as_of_instant_reads_dates_as_the_end_of_the_day_and_refuses_the_future() -> None:
    now = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)
    end_of_24 = datetime(2026, 11, 24, 23, 59, 59, 999000, tzinfo=UTC)
    assert as_of_instant("2026-11-24", now) == end_of_24
    assert as_of_instant(" 2026-11-24 ", now) == end_of_24
    assert as_of_instant("2026-11-25", now) == now.replace(microsecond=123000)  # today: now
    assert as_of_instant("2026-11-24T08:30Z", now) == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert as_of_instant("-7d", now) == now.replace(microsecond=123000) - timedelta(days=7)
    for future in ("2026-11-26", "2026-11-25T10:01Z", "+1d"):
        with pytest.raises(ValidationError, match="is in the future"):
            as_of_instant(future, now)
    with pytest.raises(ValidationError, match="is not a date"):
        as_of_instant("last tuesday", now)


def test_as_of_before_genesis_or_after_now_is_refused_and_writes_nothing(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    out = tmp_path / "never.csv"
    with pytest.raises(ValidationError, match="before the vault was created"):
        export_inventory(session, out, as_of=datetime(2026, 11, 24, tzinfo=UTC))
    with pytest.raises(ValidationError, match="is in the future"):
        export_inventory(session, out, as_of=clock.now + timedelta(seconds=1))
    assert [p.name for p in tmp_path.iterdir() if "never" in p.name] == []  # no temp file either
