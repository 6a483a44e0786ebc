"""Disclose one journal entry with an inclusion proof (`journal prove`) and check it offline
(`verify_proof`): unanchored, tied to an earlier export (entry inside it, or after it through a
consistency proof) or to a recorded checkpoint; tampered and forged proofs are invalid with the
reason named. Real vault, real crypto."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.audit.test_export_verify import add
from tests.conftest import PASSPHRASE, StepClock, unlock
from tokenvault import services
from tokenvault.audit.verify_proof import INVALID, UNANCHORED, VERIFIED, verify_proof
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain import checkpoint as cp
from tokenvault.domain import proof as proof_format
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.export import note_to_lines
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.merkle import consistency_proof, hash_leaf, inclusion_proof, root_of
from tokenvault.domain.model import Secret
from tokenvault.services import Session
from tokenvault.services.export import export_journal
from tokenvault.services.prove import prove_entry
from tokenvault.storage import journal as journal_rows

Sign = Callable[[bytes], bytes]

# ---- helpers -------------------------------------------------------------------------------


def lines_of(session: Session) -> list[bytes]:
    with session.read() as db:
        return [row.line for row in journal_rows.rows(db)]


def revoke(session: Session, name: str) -> int:
    """Revoke a token; the seq of the token.revoke entry."""
    services.tokens.revoke(session, name, "compromised", ticket="INC-7")
    return len(lines_of(session)) - 1


def export(session: Session, path: Path) -> bytes:
    return export_journal(session, path).path.read_bytes()


def prove(session: Session, tmp_path: Path, seq: int, since: Sequence[int] = ()) -> bytes:
    out = tmp_path / f"proof-{seq}-{len(lines_of(session))}.json"
    prove_entry(session, seq, out, since)
    return out.read_bytes()


def load(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(data)
    return value


def dump(proof: dict[str, Any]) -> bytes:
    return canonical_bytes(proof) + b"\n"


def resign(proof: dict[str, Any], sign: Sign) -> bytes:
    """The proof re-signed, so a test reaches the check after the prover's signature."""
    unsigned = {k: v for k, v in proof.items() if k != "sig"}
    return proof_format.encode_proof(unsigned, sign(proof_format.signing_message(unsigned)))


def flip(hex_text: str) -> str:
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def note(vault: str, size: int, root: bytes, signer: str, pub: bytes, sign: Sign) -> list[str]:
    checkpoint = cp.Checkpoint(cp.origin_for(vault), size, root)
    name = cp.key_name(vault, signer)
    sig = cp.NoteSignature(name, cp.key_id(name, pub), sign(checkpoint.body()))
    return note_to_lines(cp.format_note(checkpoint, [sig]))


@dataclass(frozen=True)
class Signer:
    id: str
    pub: bytes
    sign: Sign


def rebuild(
    proof: dict[str, Any], lines: list[bytes], index: int, since: Sequence[int], head: Signer
) -> bytes:
    """A self-consistent proof over `lines` (a tree the forger chose): path, root, consistency
    proofs, checkpoint signed by `head`, and the proof signed by `head` too."""
    leaves = [hash_leaf(line) for line in lines]
    root = root_of(leaves)
    forged = {
        **proof,
        "entry": lines[index].decode(),
        "index": index,
        "size": len(leaves),
        "root": root.hex(),
        "path": [n.hex() for n in inclusion_proof(leaves, index)],
        "checkpoint": note(proof["vault"], len(leaves), root, head.id, head.pub, head.sign),
        "consistency": [
            {
                "size": m,
                "root": root_of(leaves[:m]).hex(),
                "path": [n.hex() for n in consistency_proof(leaves, m)],
            }
            for m in since
        ],
        "proved_by": head.id,
    }
    return resign(forged, head.sign)


def forged_entry(prev_line: bytes, template: Entry, actor: str, sign: Sign) -> bytes:
    entry = Entry(
        vault=template.vault,
        seq=template.seq + 1,
        ts=template.ts,
        actor=actor,
        type="token.revoke",
        body={"token": 1, "name": "gh-deploy", "reason": "compromised", "ticket": "", "note": ""},
        prev=hash_leaf(prev_line).hex(),
    )
    return entry.signed(sign(entry.signing_message())).line


def alice(session: Session) -> Signer:
    return Signer(session.member.id, session.keys.ed25519_public, session.keys.sign)


@pytest.fixture
def vault(session: Session) -> Session:
    for name in ("gh-deploy", "stripe-live", "aws-prod"):
        add(session, name)
    return session


def check(data: bytes, *fragments: str, status: str = INVALID, **anchors: Any) -> None:
    verdict = verify_proof(data, **anchors)
    assert verdict.status == status, (verdict.reason, verdict.warnings)
    text = verdict.reason if status == INVALID else " ".join(verdict.warnings)
    for fragment in fragments:
        assert fragment in text, text


# ---- proving and verifying -----------------------------------------------------------------


def test_prove_then_verify_unanchored(vault: Session, tmp_path: Path) -> None:
    seq = revoke(vault, "stripe-live")
    size = len(lines_of(vault))
    out = tmp_path / "revoke.proof.json"
    made = prove_entry(vault, seq, out)
    assert (made.seq, made.type, made.size) == (seq, "token.revoke", size)
    assert len(lines_of(vault)) == size  # a proof is a read: nothing journaled
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    assert data.count(b"\n") == 1
    proof = load(data)
    assert list(proof) == sorted(
        [
            "format", "vault", "vault_name", "proved_at", "proved_by", "algorithms", "entry",
            "index", "size", "root", "path", "checkpoint", "consistency", "members", "sig",
        ]
    )  # fmt: skip
    assert proof["entry"].encode() == lines_of(vault)[seq]
    assert proof["consistency"] == []  # no export yet

    verdict = verify_proof(data)
    assert verdict.status == UNANCHORED, verdict.reason
    assert len(verdict.warnings) == 1
    assert "prover's word" in verdict.warnings[0]
    assert verdict.summary is not None
    assert (verdict.summary.seq, verdict.summary.type) == (seq, "token.revoke")
    assert verdict.summary.root == made.root
    assert verdict.to_json()["summary"]["entry"] == proof["entry"]


def test_out_of_range_seq_and_since_are_refused(vault: Session, tmp_path: Path) -> None:
    size = len(lines_of(vault))
    with pytest.raises(ValidationError, match=f"no journal entry {size}"):
        prove_entry(vault, size, tmp_path / "p.json")
    with pytest.raises(ValidationError, match=f"from size {size + 1}"):
        prove_entry(vault, 0, tmp_path / "p.json", since=[size + 1])
    with pytest.raises(ValidationError, match="from size 0"):
        prove_entry(vault, 0, tmp_path / "p.json", since=[0])
    assert not (tmp_path / "p.json").exists()


def test_entry_inside_an_earlier_export_is_verified(vault: Session, tmp_path: Path) -> None:
    seq = revoke(vault, "stripe-live")
    earlier = export(vault, tmp_path / "q3.jsonl")
    add(vault, "later")
    data = prove(vault, tmp_path, seq)
    verdict = verify_proof(data, previous=earlier)
    assert verdict.status == VERIFIED, verdict.reason
    assert verdict.warnings == ()
    assert verdict.summary is not None
    assert verdict.summary.anchored_by == (f"previous export (size {seq + 2})",)
    # proved before any newer entry: the proof's tree is a prefix of the export's
    older = prove(vault, tmp_path, 0)
    assert verify_proof(older, previous=earlier).status == VERIFIED


def test_entry_after_earlier_exports_is_tied_by_consistency(vault: Session, tmp_path: Path) -> None:
    first = export(vault, tmp_path / "q2.jsonl")
    add(vault, "between")
    second = export(vault, tmp_path / "q3.jsonl")
    seq = revoke(vault, "stripe-live")
    data = prove(vault, tmp_path, seq)
    sizes = [item["size"] for item in load(data)["consistency"]]
    assert sizes == [load(first.split(b"\n")[0])["size"], load(second.split(b"\n")[0])["size"]]
    for earlier in (first, second):
        verdict = verify_proof(data, previous=earlier)
        assert verdict.status == VERIFIED, verdict.reason
        assert verdict.warnings == ()


def test_recorded_checkpoint_anchors_entries_inside_it(vault: Session, tmp_path: Path) -> None:
    seq = revoke(vault, "stripe-live")
    leaves = [hash_leaf(line) for line in lines_of(vault)]
    recorded = (seq + 1, root_of(leaves[: seq + 1]))  # not an export point
    add(vault, "later")
    bare = prove(vault, tmp_path, seq)
    check(
        bare,
        "no consistency proof from size",
        f"--since {seq + 1}",
        status=UNANCHORED,
        previous_checkpoint=recorded,
    )
    data = prove(vault, tmp_path, seq, since=[seq + 1])
    assert [item["size"] for item in load(data)["consistency"]] == [seq + 1]
    verdict = verify_proof(data, previous_checkpoint=recorded)
    assert verdict.status == VERIFIED, verdict.reason
    assert verdict.summary is not None
    assert verdict.summary.anchored_by == (f"checkpoint {seq + 1}",)
    check(
        data,
        "does not extend the previous checkpoint",
        previous_checkpoint=(seq + 1, bytes(32)),
    )
    # the same tree size: the roots must be equal
    now = (len(leaves) + 1, root_of([*leaves, hash_leaf(lines_of(vault)[-1])]))
    assert verify_proof(data, previous_checkpoint=now).status == VERIFIED


def test_entry_after_a_recorded_checkpoint_stays_unanchored(vault: Session, tmp_path: Path) -> None:
    earlier = export(vault, tmp_path / "q3.jsonl")
    head = load(earlier.split(b"\n")[0])
    seq = revoke(vault, "stripe-live")
    data = prove(vault, tmp_path, seq)
    recorded = (head["size"], bytes.fromhex(head["root"]))
    check(
        data, "comes after the previous checkpoint", status=UNANCHORED, previous_checkpoint=recorded
    )
    newer = (seq + 5, bytes(32))
    check(data, "older than the checkpoint", status=UNANCHORED, previous_checkpoint=newer)
    # the export itself anchors the keys, so the same entry is verified against it
    assert verify_proof(data, previous=earlier).status == VERIFIED


def test_new_members_keys_are_vouched_for_by_an_anchored_head(
    vault: Session, tmp_path: Path, clock: StepClock
) -> None:
    earlier = export(vault, tmp_path / "q3.jsonl")
    services.members.add_member(vault, "bob", "operator", Secret("bob passphrase"), kdf=FLOOR)
    bob = unlock(vault.paths.root, clock, tmp_path / "bob-state", "bob", "bob passphrase")
    try:
        add(bob, "bobs-token")
        seq = revoke(bob, "bobs-token")  # bob signs the entry and the stored checkpoint
        by_bob = prove(bob, tmp_path, seq)
    finally:
        bob.lock()
    check(
        by_bob,
        "signed only by members who joined after the previous export (bob)",
        status=UNANCHORED,
        previous=earlier,
    )
    by_alice = prove(vault, tmp_path, seq)  # alice, in the export, signs the proof
    check(
        by_alice,
        "signer bob joined after the previous export",
        "signed by alice",
        status=VERIFIED,
        previous=earlier,
    )


# ---- tampering -----------------------------------------------------------------------------


@pytest.fixture
def proved(vault: Session, tmp_path: Path) -> tuple[bytes, int]:
    seq = revoke(vault, "stripe-live")
    return prove(vault, tmp_path, seq), seq


def test_changed_entry_bytes(proved: tuple[bytes, int]) -> None:
    proof = load(proved[0])
    proof["entry"] = proof["entry"].replace('"INC-7"', '"INC-8"')
    check(dump(proof), "the inclusion path does not lead from the entry to the root")
    proof["entry"] = proof["entry"].replace('{"actor"', '{ "actor"')
    check(dump(proof), "entry: line is not in canonical (RFC 8785) form")


def test_flipped_path_element(proved: tuple[bytes, int]) -> None:
    proof = load(proved[0])
    proof["path"][0] = flip(proof["path"][0])
    check(dump(proof), "the inclusion path does not lead")


def test_changed_index(proved: tuple[bytes, int]) -> None:
    proof = load(proved[0])
    proof["index"] -= 1
    check(dump(proof), f"entry: seq is {proved[1]} but the proof's index is {proved[1] - 1}")


def test_changed_size_and_root_do_not_match_the_checkpoint(
    vault: Session, proved: tuple[bytes, int]
) -> None:
    proof = load(proved[0])
    lines = [*lines_of(vault), b"an extra leaf"]
    leaves = [hash_leaf(line) for line in lines]
    proof |= {
        "size": len(leaves),
        "root": root_of(leaves).hex(),
        "path": [n.hex() for n in inclusion_proof(leaves, proved[1])],
    }
    check(dump(proof), "checkpoint: size or root does not match the proof's size and root")


def test_checkpoint_signed_by_a_key_that_is_not_a_members(
    vault: Session, proved: tuple[bytes, int]
) -> None:
    proof = load(proved[0])
    key = Ed25519PrivateKey.generate()
    root = bytes.fromhex(proof["root"])
    proof["checkpoint"] = note(
        proof["vault"], proof["size"], root, "mallory", public(key), key.sign
    )
    check(dump(proof), "checkpoint: signed by unknown key tokenvault/")
    proof["checkpoint"] = note(proof["vault"], proof["size"], root, "alice", public(key), key.sign)
    check(dump(proof), "checkpoint: the signature does not verify")


def test_proof_signature(proved: tuple[bytes, int]) -> None:
    proof = load(proved[0])
    proof["proved_at"] = "2020-01-01T00:00:00.000Z"
    check(dump(proof), "the prover's signature does not verify")
    proof = load(proved[0])
    proof["sig"] = flip(proof["sig"])
    check(dump(proof), "the prover's signature does not verify")


def test_altered_consistency_proof(vault: Session, tmp_path: Path) -> None:
    export(vault, tmp_path / "q3.jsonl")
    seq = revoke(vault, "stripe-live")
    proof = load(prove(vault, tmp_path, seq))
    size = proof["consistency"][0]["size"]
    proof["consistency"][0]["path"][0] = flip(proof["consistency"][0]["path"][0])
    check(dump(proof), f"the consistency proof from size {size} does not verify")


def test_strict_form(proved: tuple[bytes, int]) -> None:
    data = proved[0]
    check(data.replace(b'"sha256"', b'"sha1"'), "algorithms")
    check(data + b"\n", "one line ending in a newline")
    check(data.replace(b'{"algorithms"', b'{ "algorithms"'), "canonical")
    proof = load(data)
    proof["members"] = [*proof["members"], proof["members"][0]]
    check(dump(proof), "proof.members: must be sorted by id, each id once")


def test_swapped_signer_key_is_self_consistent_but_not_the_exports(
    vault: Session, tmp_path: Path
) -> None:
    """A forger replaces alice's key with their own, signs a made-up entry, tree head and
    proof as 'alice'. Alone it checks out (unanchored: the keys are the prover's word); against
    the export, which lists alice's real key, it is invalid."""
    earlier = export(vault, tmp_path / "q3.jsonl")
    real = load(prove(vault, tmp_path, 1))
    key = Ed25519PrivateKey.generate()
    lines = lines_of(vault)
    forged_line = forged_entry(lines[-1], decode_entry(lines[-1]), "alice", key.sign)
    members = [
        {**m, "ed25519": public(key).hex()} if m["id"] == "alice" else m for m in real["members"]
    ]
    size = len(lines)
    data = rebuild(
        {**real, "members": members},
        [*lines, forged_line],
        size,
        [size],
        Signer("alice", public(key), key.sign),
    )
    assert verify_proof(data).status == UNANCHORED
    check(data, "member alice: keys differ from the previous export", previous=earlier)


def test_made_up_member_cannot_anchor_a_proof(vault: Session, tmp_path: Path) -> None:
    """The forger adds a member 'mallory' with their own key: the export's members are all
    there unchanged and the tree extends the export, yet nobody the export vouches for signed
    the head, so the proof is not anchored."""
    earlier = export(vault, tmp_path / "q3.jsonl")
    real = load(prove(vault, tmp_path, 1))
    key = Ed25519PrivateKey.generate()
    mallory = {"id": "mallory", "role": "admin", "ed25519": public(key).hex(), "x25519": "09" * 32}
    lines = lines_of(vault)
    forged_line = forged_entry(lines[-1], decode_entry(lines[-1]), "mallory", key.sign)
    size = len(lines)
    data = rebuild(
        {**real, "members": sorted([*real["members"], mallory], key=lambda m: m["id"])},
        [*lines, forged_line],
        size,
        [size],
        Signer("mallory", public(key), key.sign),
    )
    check(data, "signed only by members who joined after the previous export (mallory)",
          status=UNANCHORED, previous=earlier)  # fmt: skip


def test_fork_before_the_export_is_invalid(vault: Session, tmp_path: Path) -> None:
    """A member with a real key rewrites history before the export and proves a later entry
    in the rewritten tree: the consistency proof from the export's size carries another root."""
    earlier = export(vault, tmp_path / "q3.jsonl")
    size = load(earlier.split(b"\n")[0])["size"]
    seq = revoke(vault, "stripe-live")
    real = load(prove(vault, tmp_path, seq))
    lines = lines_of(vault)
    old = decode_entry(lines[1])
    rewritten = Entry(**{**old.unsigned(), "ts": "2026-11-25T09:30:00.000Z"})
    lines[1] = rewritten.signed(vault.keys.sign(rewritten.signing_message())).line
    data = rebuild(real, lines, seq, [size], alice(vault))
    assert verify_proof(data).status == UNANCHORED
    check(data, f"does not extend the previous export (root after {size} entries differs)",
          previous=earlier)  # fmt: skip
    # a forked tree that is not longer than the export is compared with it directly
    short = rebuild(real, lines[:size], 2, [], alice(vault))
    check(short, "the proof's tree is not the previous export's first", previous=earlier)
    inside = rebuild(real, lines[:size], 1, [], alice(vault))
    check(inside, "the entry differs from entry 1 of the previous export", previous=earlier)


def test_proof_from_another_vault(vault: Session, tmp_path: Path) -> None:
    earlier = export(vault, tmp_path / "q3.jsonl")
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
        foreign = prove(other, tmp_path, 0)
    finally:
        other.lock()
    assert verify_proof(foreign).status == UNANCHORED
    check(foreign, "the previous export is from another vault", previous=earlier)


def test_invalid_previous_export(proved: tuple[bytes, int], vault: Session, tmp_path: Path) -> None:
    earlier = export(vault, tmp_path / "q3.jsonl")
    cut = b"".join(line + b"\n" for line in earlier.split(b"\n")[:-2])
    check(proved[0], "the previous export is invalid: line ", "tail cut off", previous=cut)
