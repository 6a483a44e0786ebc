"""Export a real vault's journal and verify it offline; tampered copies are rejected with the
first bad line (the manifest is line 1, entry seq n is line n + 2)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, StepClock
from tokenvault import services
from tokenvault.audit.verify_export import INVALID, UNANCHORED, VERIFIED, verify_export
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.services import export as export_service
from tokenvault.services.export import ExportResult, export_journal


def add(session: Session, name: str) -> None:
    services.tokens.add(session, TokenDraft(name=name, owner="alice"), Secret(f"sk_{name}"))


@pytest.fixture
def exported(session: Session, tmp_path: Path) -> tuple[ExportResult, bytes]:
    for name in ("gh-deploy", "stripe-live", "aws-prod"):
        add(session, name)
    made = export_journal(session, tmp_path / "audit.jsonl")
    return made, made.path.read_bytes()


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def test_export_then_verify(session: Session, exported: tuple[ExportResult, bytes]) -> None:
    made, data = exported
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert made.genesis_hash == session.genesis_hash
    lines = lines_of(data)
    assert len(lines) == made.size + 1
    last = decode_entry(lines[-1])
    manifest = json.loads(lines[0])
    assert last.type == "journal.export"
    assert last.body == {
        "nonce": manifest["nonce"],
        "size": made.size - 1,
        "root": last.body["root"],
    }
    assert manifest["size"] == made.size
    assert manifest["root"] == made.root

    anchored = verify_export(data, genesis=made.genesis_hash, previous=None)
    assert anchored.status == VERIFIED, anchored.failure_line()
    assert anchored.summary is not None
    assert anchored.summary.entries == made.size
    assert anchored.summary.root == made.root
    assert anchored.summary.per_type["token.create"] == 3
    assert anchored.summary.per_type["journal.export"] == 1
    assert [s.id for s in anchored.summary.signers] == ["alice"]
    assert anchored.summary.signers[0].role == "admin"

    bare = verify_export(data, genesis=None, previous=None)
    assert bare.status == UNANCHORED
    assert any("truncation cannot be ruled out" in w for w in bare.warnings)


def test_vault_still_verifies_after_an_export(
    session: Session, exported: tuple[ExportResult, bytes]
) -> None:
    report = services.verify(session)
    assert report.ok, report.problems
    assert report.entries == exported[0].size


def test_wrong_genesis_pin_is_invalid(exported: tuple[ExportResult, bytes]) -> None:
    verdict = verify_export(exported[1], genesis="0" * 64, previous=None)
    assert (verdict.status, verdict.line) == (INVALID, 2)


def check_invalid(data: bytes, line: int, *fragments: str) -> None:
    verdict = verify_export(data, genesis=None, previous=None)
    assert verdict.status == INVALID
    assert verdict.line == line, verdict.failure_line()
    for fragment in fragments:
        assert fragment in verdict.reason, verdict.reason


def test_changed_field_keeping_the_old_signature(exported: tuple[ExportResult, bytes]) -> None:
    lines = lines_of(exported[1])
    at = next(i for i, line in enumerate(lines) if b'"stripe-live"' in line)
    lines[at] = lines[at].replace(b'"stripe-live"', b'"stripe-test"')
    check_invalid(join(lines), at + 1, "signature")


def test_deleted_line(exported: tuple[ExportResult, bytes]) -> None:
    lines = lines_of(exported[1])
    del lines[3]
    check_invalid(join(lines), 4, "seq")


def test_swapped_lines(exported: tuple[ExportResult, bytes]) -> None:
    lines = lines_of(exported[1])
    lines[3], lines[4] = lines[4], lines[3]
    check_invalid(join(lines), 4)


def test_truncated_tail_with_the_original_manifest(exported: tuple[ExportResult, bytes]) -> None:
    made, data = exported
    lines = lines_of(data)[:-2]
    check_invalid(join(lines), made.size, "tail cut off")


def test_manifest_root_changed(exported: tuple[ExportResult, bytes]) -> None:
    lines = lines_of(exported[1])
    manifest = json.loads(lines[0])
    root = manifest["root"]
    lines[0] = lines[0].replace(
        root.encode(), ("0" if root[0] != "0" else "1").encode() + root[1:].encode()
    )
    check_invalid(join(lines), 1, "signature")


def test_algorithm_downgrade_in_the_manifest(exported: tuple[ExportResult, bytes]) -> None:
    lines = lines_of(exported[1])
    lines[0] = lines[0].replace(b'"sha256"', b'"sha1"')
    check_invalid(join(lines), 1, "algorithms")


def test_crlf_line_endings(exported: tuple[ExportResult, bytes]) -> None:
    check_invalid(exported[1].replace(b"\n", b"\r\n"), 1)


def test_older_export_as_previous_is_verified(
    session: Session, exported: tuple[ExportResult, bytes], tmp_path: Path
) -> None:
    older = exported[1]
    add(session, "later-token")
    newer = export_journal(session, tmp_path / "newer.jsonl").path.read_bytes()
    verdict = verify_export(newer, genesis=None, previous=older)
    assert verdict.status == VERIFIED, verdict.failure_line()
    same = verify_export(older, genesis=None, previous=older)
    assert same.status == VERIFIED
    backwards = verify_export(older, genesis=None, previous=newer)
    assert backwards.status == INVALID
    assert "does not extend" in backwards.reason


def test_export_from_another_vault_as_previous_is_invalid(
    exported: tuple[ExportResult, bytes], tmp_path: Path
) -> None:
    services.create_vault(
        tmp_path / "other",
        name="Other team",
        member_id="bob",
        passphrase=Secret(PASSPHRASE),
        kdf=FLOOR,
        clock=StepClock(),
        state_dir=tmp_path / "other-state",
    )
    other = services.unlock(
        tmp_path / "other", "bob", Secret(PASSPHRASE), clock=StepClock(), state_dir=tmp_path / "os"
    )
    try:
        foreign = export_journal(other, tmp_path / "other.jsonl").path.read_bytes()
    finally:
        other.lock()
    assert verify_export(foreign, genesis=None, previous=None).status == UNANCHORED
    verdict = verify_export(exported[1], genesis=None, previous=foreign)
    assert verdict.status == INVALID
    assert verdict.line == 1
    assert "another vault" in verdict.reason


def test_export_entry_must_name_the_tree_before_it(session: Session, tmp_path: Path) -> None:
    with session.write() as writer:
        seq = writer.next_seq
        writer.append("journal.export", {"nonce": "ab" * 16, "size": seq, "root": "00" * 32})
    report = services.verify(session)
    assert any("journal.export: size and root" in p for p in report.problems)
    data = export_journal(session, tmp_path / "x.jsonl").path.read_bytes()
    check_invalid(data, seq + 2, "journal.export")


def test_the_first_bad_line_is_named_even_when_the_file_is_also_cut_mid_line(
    exported: tuple[ExportResult, bytes],
) -> None:
    _, data = exported
    lines = lines_of(data)
    cut = join(lines)[:-5]  # the last line loses its end (and its newline)
    verdict = verify_export(cut, genesis=None, previous=None)
    assert (verdict.status, verdict.line) == (INVALID, len(lines))
    assert "newline" in verdict.reason
    garbage = b"\xff\xfe not a manifest\n" + cut
    verdict = verify_export(garbage, genesis=None, previous=None)
    assert (verdict.status, verdict.line) == (INVALID, 1)


def test_a_commit_between_journaling_and_sealing_stays_out_of_the_file(
    session: Session,
    vault_dir: Path,
    clock: StepClock,
    state_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another member commits (and an admin adds a member) right after our export entry: the
    file still ends with that entry, its members and checkpoint are for that size, and it
    verifies; the later entries are simply not in it."""
    services.members.add_member(session, "bob", "admin", Secret("bob passphrase"), kdf=FLOOR)
    bob = services.unlock(
        vault_dir, "bob", Secret("bob passphrase"), clock=clock, state_dir=tmp_path / "bob"
    )
    real = export_service._journal_the_export

    def racing(s: Session) -> Entry:
        entry = real(s)
        add(bob, "committed-in-between")
        services.members.add_member(bob, "carol", "operator", Secret("carol pass"), kdf=FLOOR)
        return entry

    monkeypatch.setattr(export_service, "_journal_the_export", racing)
    made = export_journal(session, tmp_path / "raced.jsonl")
    data = made.path.read_bytes()
    lines = lines_of(data)
    assert decode_entry(lines[-1]).type == "journal.export"
    listed = {m["id"] for m in json.loads(lines[0])["members"]}
    assert "bob" in listed
    assert "carol" not in listed
    assert services.journal.recent(bob, limit=1)[0].type == "member.add"  # carol, after it
    verdict = verify_export(data, genesis=made.genesis_hash)
    assert verdict.status == VERIFIED, verdict.failure_line()
    assert verdict.summary is not None
    assert verdict.summary.entries == made.size
    bob.lock()
