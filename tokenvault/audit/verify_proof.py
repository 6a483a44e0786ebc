"""The auditor's offline check of a `tokenvault-inclusion-proof/1` file: one disclosed entry.

Needs no vault and no passphrase (same imports as audit/verify_export.py). Checks, stopping at
the first problem (any failure: INVALID):

1. the file is one canonical JSON object and a newline; format, algorithms and schema exactly
   as expected; `members` sorted by id, each once; consistency sizes strictly increasing;
2. `entry` is a valid entry line (strict parse, canonical bytes, schema) of this `vault`, and
   its seq equals `index` (< `size`);
3. the inclusion `path` leads from the entry's leaf hash at `index` to `root` in a tree of
   `size` leaves (RFC 9162);
4. every `consistency` item verifies from its (size, root) to (`size`, `root`) (RFC 9162);
5. the `checkpoint` note parses, its origin is this vault's, it commits to (`size`, `root`),
   and every signature line is by a listed member (key name `tokenvault/<vault>/<id>`, key id
   of the listed key) and verifies;
6. the entry's signature verifies under its actor's listed key (small-order and
   non-canonical keys are rejected), and an admin-only type is signed by a listed admin;
7. the prover (`proved_by`) is listed and `sig` verifies under their key.

Everything above is the prover's word: the member list and its keys come from the proof. An
anchor ties it to something the auditor already holds:

8. `previous`, an earlier full export (bytes): it must verify (verify_export; INVALID
   otherwise, with its reason), be of the same vault and name, and each of its members must
   be listed in the proof with the same role and keys. The proof's tree must agree with it:
   if the proof's size <= the export's size N, the root over the export's first `size` leaves
   must be `root`; otherwise a consistency item for N, if present, must carry the export's
   root. Then the proof is VERIFIED if the entry is inside the export (index < N; its leaf
   must equal the export's leaf there), or if the consistency item for N is present and the
   tree head is signed (checkpoint or proof signature) by a member of the export. Otherwise it
   is UNANCHORED, saying why (no consistency proof from N: re-run `journal prove --since N`;
   or head signed only by members who joined after the export).
9. `previous_checkpoint`, a recorded (size M, root): the proof's tree must be it (size = M) or
   extend it (consistency item for M carrying that root; INVALID if it carries another root).
   The proof is VERIFIED only for an entry inside it (index < M): the recorded root commits
   to that entry. An entry after M stays UNANCHORED: a checkpoint vouches for no keys, and
   anyone holding the entries up to M can extend that tree with a made-up entry.

Without an anchor a valid proof is UNANCHORED. No proof rules out a fork made after the
anchor by a member holding a real key; the next full export verified with --previous does.
Not checkable from one entry: the signer being active at that seq, owner-only rules, replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokenvault.audit.verify_export import (
    INVALID,
    UNANCHORED,
    VERIFIED,
    NoteError,
    check_note,
    verify_export,
)
from tokenvault.crypto.signing import VerifyingKeys
from tokenvault.domain import proof as proof_format
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.export import parse_manifest
from tokenvault.domain.journal import Entry, decode_entry, required_role
from tokenvault.domain.merkle import hash_leaf, root_of, verify_consistency, verify_inclusion

__all__ = ["INVALID", "UNANCHORED", "VERIFIED", "ProofSummary", "ProofVerdict", "verify_proof"]

UNANCHORED_WARNING = (
    "unanchored: no --previous given, so the member keys, the checkpoint and the tree are the "
    "prover's word (give an earlier export or a recorded SIZE:ROOT checkpoint)"
)


@dataclass(frozen=True, slots=True)
class ProofSummary:
    vault: str
    vault_name: str
    seq: int
    type: str
    actor: str
    ts: str
    entry: str  # the disclosed line, exactly as hashed
    size: int
    root: str
    proved_by: str
    proved_at: str
    checkpoint_signers: tuple[str, ...]
    consistency_from: tuple[int, ...]
    anchored_by: tuple[str, ...]  # e.g. "previous export (size 12)", "checkpoint 12"


@dataclass(frozen=True)
class ProofVerdict:
    status: str  # VERIFIED | UNANCHORED | INVALID
    summary: ProofSummary | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.status != INVALID

    def failure_line(self) -> str:
        return f"proof: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "warnings": list(self.warnings)}
        if self.status == INVALID:
            data["failure"] = {"reason": self.reason}
        if self.summary is not None:
            s = self.summary
            data["summary"] = {
                "vault": s.vault,
                "vault_name": s.vault_name,
                "seq": s.seq,
                "type": s.type,
                "actor": s.actor,
                "ts": s.ts,
                "entry": s.entry,
                "size": s.size,
                "root": s.root,
                "proved_by": s.proved_by,
                "proved_at": s.proved_at,
                "checkpoint_signers": list(s.checkpoint_signers),
                "consistency_from": list(s.consistency_from),
                "anchored_by": list(s.anchored_by),
            }
        return data


class _Invalid(Exception):
    pass


@dataclass(frozen=True)
class _Checked:
    """A proof that passed checks 1-7."""

    proof: dict[str, Any]
    entry: Entry
    leaf: bytes
    root: bytes
    members: dict[str, dict[str, str]]
    consistency: dict[int, str]  # old size -> old root (hex)
    note_signers: tuple[str, ...]  # the checkpoint's signers
    head_signers: frozenset[str]  # the checkpoint's signers and the prover


def verify_proof(
    data: bytes,
    *,
    previous: bytes | None = None,
    previous_checkpoint: tuple[int, bytes] | None = None,
) -> ProofVerdict:
    """Check an inclusion proof, and tie it to an earlier export and/or recorded checkpoint."""
    try:
        checked = _check(data)
        results: list[tuple[str | None, list[str]]] = []
        if previous is not None:
            results.append(_anchor_export(checked, previous))
        if previous_checkpoint is not None:
            results.append(_anchor_checkpoint(checked, previous_checkpoint))
    except _Invalid as bad:
        return ProofVerdict(INVALID, reason=str(bad))
    anchored_by = tuple(by for by, _ in results if by is not None)
    warnings = [note for _, notes in results for note in notes]
    summary = _summary(checked, anchored_by)
    if anchored_by:
        return ProofVerdict(VERIFIED, summary, warnings=tuple(warnings))
    return ProofVerdict(UNANCHORED, summary, warnings=tuple(warnings or [UNANCHORED_WARNING]))


def _check(data: bytes) -> _Checked:
    try:
        proof = proof_format.parse_proof(data)
    except TokenVaultError as exc:
        raise _Invalid(str(exc)) from None
    vault, index, size = proof["vault"], proof["index"], proof["size"]
    try:
        line = proof["entry"].encode("utf-8")
        entry = decode_entry(line)
    except UnicodeEncodeError:
        raise _Invalid("entry: is not valid UTF-8 text") from None
    except TokenVaultError as exc:
        raise _Invalid(f"entry: {exc}") from None
    if entry.vault != vault:
        raise _Invalid("entry: belongs to another vault")
    if entry.seq != index:
        raise _Invalid(f"entry: seq is {entry.seq} but the proof's index is {index}")
    if index >= size:
        raise _Invalid(f"index {index} is outside the tree of {size} entries")
    leaf, root = hash_leaf(line), bytes.fromhex(proof["root"])
    path = [bytes.fromhex(node) for node in proof["path"]]
    if not verify_inclusion(leaf, index, size, path, root):
        raise _Invalid("the inclusion path does not lead from the entry to the root")
    consistency: dict[int, str] = {}
    for item in proof["consistency"]:
        old = item["size"]
        old_path = [bytes.fromhex(node) for node in item["path"]]
        if not verify_consistency(old, size, bytes.fromhex(item["root"]), root, old_path):
            raise _Invalid(f"the consistency proof from size {old} does not verify")
        consistency[old] = item["root"]

    members = {m["id"]: m for m in proof["members"]}
    keys = VerifyingKeys()
    try:
        signers = check_note(
            proof["checkpoint"],
            vault=vault,
            size=size,
            root=root,
            ed25519={mid: bytes.fromhex(m["ed25519"]) for mid, m in members.items()},
            keys=keys,
            against="the proof's size and root",
        )
    except NoteError as exc:
        raise _Invalid(f"checkpoint: {exc}") from None

    actor = members.get(entry.actor)
    if actor is None:
        raise _Invalid(f"entry: its signer {entry.actor} is not a listed member")
    if not keys.verify(
        bytes.fromhex(actor["ed25519"]), entry.signing_message(), bytes.fromhex(entry.sig)
    ):
        raise _Invalid(f"entry: the signature by {entry.actor} does not verify")
    needed = required_role(entry.type)
    if needed is not None and actor["role"] != needed.value:
        raise _Invalid(f"entry: {entry.type} needs an {needed.value}; {entry.actor} is not one")

    prover = members.get(proof["proved_by"])
    if prover is None:
        raise _Invalid(f"the prover {proof['proved_by']} is not a listed member")
    if not keys.verify(
        bytes.fromhex(prover["ed25519"]),
        proof_format.signing_message(proof),
        bytes.fromhex(proof["sig"]),
    ):
        raise _Invalid("the prover's signature does not verify")
    head = frozenset({*signers, proof["proved_by"]})
    return _Checked(proof, entry, leaf, root, members, consistency, signers, head)


def _anchor_export(c: _Checked, previous: bytes) -> tuple[str | None, list[str]]:
    """(what anchored the proof, or None) and the warnings; raises _Invalid (rule 8)."""
    earlier = verify_export(previous)
    if earlier.summary is None:
        raise _Invalid(f"the previous export is invalid: {earlier.failure_line()}")
    if earlier.summary.vault != c.proof["vault"]:
        raise _Invalid("the previous export is from another vault")
    if earlier.summary.vault_name != c.proof["vault_name"]:
        raise _Invalid("the vault name differs from the previous export's")
    manifest = parse_manifest(previous.split(b"\n", 1)[0])  # verified just above
    known: set[str] = set()
    for old in manifest["members"]:
        mid = old["id"]
        listed = c.members.get(mid)
        if listed is None:
            raise _Invalid(f"member {mid} of the previous export is not listed in the proof")
        if (listed["ed25519"], listed["x25519"]) != (old["ed25519"], old["x25519"]):
            raise _Invalid(f"member {mid}: keys differ from the previous export")
        if listed["role"] != old["role"]:
            raise _Invalid(f"member {mid}: role differs from the previous export")
        known.add(mid)

    n, leaves = earlier.summary.entries, earlier.leaves
    index, size = c.proof["index"], c.proof["size"]
    if index < n and leaves[index] != c.leaf:
        raise _Invalid(f"the entry differs from entry {index} of the previous export")
    if size <= n and root_of(leaves[:size]).hex() != c.proof["root"]:
        raise _Invalid(f"the proof's tree is not the previous export's first {size} entries (fork)")
    tied = size <= n or n in c.consistency
    if n in c.consistency and c.consistency[n] != earlier.summary.root:
        raise _Invalid(f"does not extend the previous export (root after {n} entries differs)")
    by = f"previous export (size {n})"
    if index < n:
        return by, []
    if not tied:
        return None, [
            f"cannot be tied to the previous export: the proof has no consistency proof from "
            f"size {n} (re-run journal prove with --since {n})"
        ]
    vouching = sorted(c.head_signers & known)
    if not vouching:
        return None, [
            "the tree head is signed only by members who joined after the previous export ("
            + ", ".join(sorted(c.head_signers))
            + "): their keys are the prover's word"
        ]
    notes = []
    if c.entry.actor not in known:
        notes.append(
            f"the entry's signer {c.entry.actor} joined after the previous export: their key "
            f"is vouched for by the tree head signed by {', '.join(vouching)}"
        )
    return by, notes


def _anchor_checkpoint(c: _Checked, checkpoint: tuple[int, bytes]) -> tuple[str | None, list[str]]:
    """(what anchored the proof, or None) and the warnings; raises _Invalid (rule 9)."""
    m, old_root = checkpoint
    size, index = c.proof["size"], c.proof["index"]
    if m < 1:
        raise _Invalid("the previous checkpoint's size must be at least 1")
    if size < m:
        return None, [
            f"cannot be tied to the previous checkpoint: the proof's tree ({size} entries) is "
            f"older than the checkpoint ({m}); ask for a new proof"
        ]
    if size == m and c.root != old_root:
        raise _Invalid("does not extend the previous checkpoint (root differs)")
    if size > m:
        if m not in c.consistency:
            return None, [
                f"cannot be tied to the previous checkpoint: the proof has no consistency "
                f"proof from size {m} (re-run journal prove with --since {m})"
            ]
        if c.consistency[m] != old_root.hex():
            raise _Invalid(
                f"does not extend the previous checkpoint (root after {m} entries differs)"
            )
    if index < m:
        return f"checkpoint {m}", []
    return None, [
        f"the entry comes after the previous checkpoint ({m} entries): the tree extends it, but "
        "the keys that signed the entry and the tree head are the prover's word (anchor with "
        "an earlier export instead)"
    ]


def _summary(c: _Checked, anchored_by: tuple[str, ...]) -> ProofSummary:
    p, e = c.proof, c.entry
    return ProofSummary(
        vault=p["vault"],
        vault_name=p["vault_name"],
        seq=e.seq,
        type=e.type,
        actor=e.actor,
        ts=e.ts,
        entry=p["entry"],
        size=p["size"],
        root=p["root"],
        proved_by=p["proved_by"],
        proved_at=p["proved_at"],
        checkpoint_signers=c.note_signers,
        consistency_from=tuple(sorted(c.consistency)),
        anchored_by=anchored_by,
    )
