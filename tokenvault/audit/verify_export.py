"""The auditor's offline verifier for a `tokenvault-journal-export/1` file (design.md §7).

Needs no vault and no passphrase, and imports only the domain, the crypto verification code,
the standard library, `cryptography` and `rfc8785`. Checks, stopping at the first problem:

1. line 1 is the manifest: strict canonical JSON, format and algorithms exactly as expected;
2. every entry line (audit/chain.py: canonical bytes, schema, seq, one vault, prev,
   timestamps, signer membership and role, signature, proofs of possession, replay);
3. the manifest's signature by its exporter, under the key the entries give them, before any
   other manifest value is believed (an unsigned edit is blamed on line 1, not on an entry);
4. the number of entries equals the manifest's size (a cut tail or extra lines are named);
5. the manifest's vault, root, genesis hash, vault name and members against the replayed
   ones; the exporter is still active; the last entry is the exporter's journal.export with
   the manifest's nonce, not after `exported_at`; the checkpoint note for (size, root) is
   signed by active members;
6. the genesis pin (`genesis`), the previous export (`previous`: its tree must be a prefix of
   this one) and the previous checkpoint (`previous_checkpoint` (size, root): the root over
   this file's first `size` entries must be `root`).

Without an anchor (no genesis pin, no previous export or checkpoint) a valid file is
"unanchored": a truncated or wholly re-created journal cannot be ruled out.

`check_note` (a signed checkpoint note against (size, root) and member keys) is shared with
the inclusion-proof verifier (audit/verify_proof.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenvault.audit.chain import ChainResult, verify_chain
from tokenvault.crypto.signing import VerifyingKeys
from tokenvault.domain import checkpoint as cp
from tokenvault.domain import export as manifest_format
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.journal import decode_entry
from tokenvault.domain.merkle import root_of

VERIFIED, UNANCHORED, INVALID = "verified", "unanchored", "invalid"
UNANCHORED_WARNING = (
    "unanchored: no --genesis and no --previous given, so truncation cannot be ruled out "
    "(nor a wholly re-created journal)"
)


@dataclass(frozen=True, slots=True)
class Signer:
    id: str
    role: str
    entries: int
    active: bool


@dataclass(frozen=True, slots=True)
class ExportSummary:
    vault: str
    vault_name: str
    entries: int
    first_ts: str
    last_ts: str
    exported_by: str
    exported_at: str
    root: str  # record this (with `entries`) for the next audit
    genesis: str
    signers: tuple[Signer, ...]
    per_type: dict[str, int]
    per_actor: dict[str, int]


@dataclass(frozen=True)
class ExportVerdict:
    status: str  # VERIFIED | UNANCHORED | INVALID
    summary: ExportSummary | None = None
    line: int | None = None  # first bad line, 1-based (the manifest is line 1)
    seq: int | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()
    leaves: list[bytes] = field(default_factory=list, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return self.status != INVALID

    def failure_line(self) -> str:
        seq = "-" if self.seq is None else str(self.seq)
        return f"line {self.line} (seq {seq}): {self.reason}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "warnings": list(self.warnings)}
        if self.status == INVALID:
            data["failure"] = {"line": self.line, "seq": self.seq, "reason": self.reason}
        if self.summary is not None:
            s = self.summary
            data["summary"] = {
                "vault": s.vault,
                "vault_name": s.vault_name,
                "entries": s.entries,
                "first_ts": s.first_ts,
                "last_ts": s.last_ts,
                "exported_by": s.exported_by,
                "exported_at": s.exported_at,
                "root": s.root,
                "genesis": s.genesis,
                "signers": [
                    {"id": g.id, "role": g.role, "entries": g.entries, "active": g.active}
                    for g in s.signers
                ],
                "per_type": s.per_type,
                "per_actor": s.per_actor,
            }
        return data


class _Invalid(Exception):
    def __init__(self, line: int, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line, self.seq, self.reason = line, seq, reason


def verify_export(
    data: bytes,
    *,
    genesis: str | None = None,
    previous: bytes | None = None,
    previous_checkpoint: tuple[int, bytes] | None = None,
) -> ExportVerdict:
    """Verify an export file. Anchors: `genesis` (the recorded genesis hash, hex), `previous`
    (an earlier export's bytes) and `previous_checkpoint` (a recorded (size, root))."""
    try:
        return _verify(data, genesis, previous, previous_checkpoint)
    except _Invalid as bad:
        return ExportVerdict(INVALID, line=bad.line, seq=bad.seq, reason=bad.reason)


def _split_lines(data: bytes) -> tuple[list[bytes], bool]:
    """The lines, and whether the last one lacks its newline (reported only if every line
    before it is good: the verdict names the FIRST bad line)."""
    if not data:
        raise _Invalid(1, None, "the file is empty")
    parts = data.split(b"\n")
    if parts[-1] != b"":
        return parts, True
    return parts[:-1], False


def _verify(
    data: bytes,
    genesis: str | None,
    previous: bytes | None,
    previous_checkpoint: tuple[int, bytes] | None,
) -> ExportVerdict:
    lines, unterminated = _split_lines(data)
    try:
        manifest = manifest_format.parse_manifest(lines[0])
    except TokenVaultError as exc:
        raise _Invalid(1, None, f"manifest: {exc}") from None
    if unterminated:
        if len(lines) > 2:  # a bad complete entry before the cut comes first
            early = verify_chain(lines[1:-1])
            if early.failure is not None:
                index = early.failure.seq
                raise _Invalid(index + 2, index, early.failure.reason)
        seq = len(lines) - 2 if len(lines) >= 2 else None
        raise _Invalid(len(lines), seq, "the last line does not end with a newline")
    entries = lines[1:]
    chain = verify_chain(entries)
    if chain.failure is not None:
        index = chain.failure.seq
        if index == 0 and not entries:
            raise _Invalid(2, 0, "the file has no entries")
        raise _Invalid(index + 2, index, chain.failure.reason)
    state = chain.state
    assert state is not None
    keys = VerifyingKeys()
    _check_manifest_signature(manifest, chain, keys)
    size = manifest["size"]
    if len(entries) > size:
        raise _Invalid(size + 2, size, f"entry beyond the manifest's size of {size}")
    if manifest["vault"] != state.vault_id:
        raise _Invalid(1, None, "manifest: vault id differs from the entries'")
    if not state.members[manifest["exported_by"]].active:
        raise _Invalid(1, None, "manifest: the exporter is not an active member")

    root = chain.frontier.root()
    _check_manifest_values(manifest, chain, root)
    _check_export_entry(manifest, entries[-1])
    _check_checkpoint(manifest, chain, root, keys)

    anchors: list[str] = []
    if genesis is not None:
        if genesis.strip().lower() != chain.genesis_hash:
            raise _Invalid(2, 0, "the genesis hash does not match the one given (--genesis)")
        anchors.append("genesis")
    if previous is not None:
        _check_previous(previous, manifest["vault"], chain)
        anchors.append("previous")
    if previous_checkpoint is not None:
        _check_previous_checkpoint(previous_checkpoint, chain)
        anchors.append("checkpoint")
    summary = _summary(manifest, chain, root)
    if anchors:
        return ExportVerdict(VERIFIED, summary, leaves=chain.leaves)
    return ExportVerdict(UNANCHORED, summary, warnings=(UNANCHORED_WARNING,), leaves=chain.leaves)


def _check_manifest_values(manifest: dict[str, Any], chain: ChainResult, root: bytes) -> None:
    state = chain.state
    assert state is not None
    if manifest["root"] != root.hex():
        raise _Invalid(1, None, "manifest: root does not match the entries")
    if manifest["genesis"] != chain.genesis_hash:
        raise _Invalid(1, None, "manifest: genesis hash does not match entry 0")
    if manifest["vault_name"] != state.vault_name:
        raise _Invalid(1, None, "manifest: vault name differs from the genesis entry")
    replayed = [
        {"id": m.id, "role": m.role.value, "ed25519": m.ed25519.hex(), "x25519": m.x25519.hex()}
        for m in sorted(state.members.values(), key=lambda m: m.id)
    ]
    if manifest["members"] != replayed:
        raise _Invalid(1, None, "manifest: members differ from the journal's replay")


def _check_manifest_signature(
    manifest: dict[str, Any], chain: ChainResult, keys: VerifyingKeys
) -> None:
    """Before any other manifest value is believed: the exporter's signature, under the key the
    entries give them. If the exporter is unknown and the file is shorter than the manifest
    says, the likelier story is a cut tail (they joined in the part that is missing)."""
    state = chain.state
    assert state is not None
    exporter = state.members.get(manifest["exported_by"])
    entries = chain.frontier.size
    if exporter is None:
        if entries < manifest["size"]:
            raise _tail_cut(entries, manifest["size"])
        raise _Invalid(1, None, "manifest: the exporter is not a member")
    signature = bytes.fromhex(manifest["sig"])
    if not keys.verify(exporter.ed25519, manifest_format.signing_message(manifest), signature):
        raise _Invalid(1, None, "manifest: the exporter's signature does not verify")
    if entries < manifest["size"]:
        raise _tail_cut(entries, manifest["size"])


def _tail_cut(entries: int, size: int) -> _Invalid:
    return _Invalid(
        entries + 2,
        entries,
        f"the file ends after {entries} entries but the manifest says {size} (tail cut off)",
    )


def _check_export_entry(manifest: dict[str, Any], last_line: bytes) -> None:
    """The export must be journaled, and sealed right after: the LAST entry is the exporter's
    journal.export with the manifest's nonce, no later than `exported_at` (an exporter cannot
    reuse the nonce of an earlier export to seal a later, unjournaled one)."""
    last = decode_entry(last_line)
    if last.type != "journal.export" or last.body["nonce"] != manifest["nonce"]:
        raise _Invalid(
            1, None, "manifest: the last entry is not the journal.export with the manifest's nonce"
        )
    if last.actor != manifest["exported_by"]:
        raise _Invalid(1, None, "manifest: the export entry is by another member")
    if manifest["exported_at"] < last.ts:
        raise _Invalid(1, None, "manifest: exported_at is earlier than the export entry")


def _check_checkpoint(
    manifest: dict[str, Any], chain: ChainResult, root: bytes, keys: VerifyingKeys
) -> None:
    state = chain.state
    assert state is not None
    # the last commit (the export entry) was by an active member: removed ones cannot sign
    ed25519 = {m.id: m.ed25519 for m in state.members.values() if m.active}
    try:
        check_note(
            manifest["checkpoint"],
            vault=state.vault_id,
            size=chain.frontier.size,
            root=root,
            ed25519=ed25519,
            keys=keys,
            against="the entries",
        )
    except NoteError as exc:
        raise _Invalid(1, None, f"manifest checkpoint: {exc}") from None


class NoteError(Exception):
    """Why a checkpoint note does not verify (the caller says whose note it is)."""


def check_note(
    lines: list[str],
    *,
    vault: str,
    size: int,
    root: bytes,
    ed25519: Mapping[str, bytes],
    keys: VerifyingKeys,
    against: str,
) -> tuple[str, ...]:
    """Check a signed checkpoint note given as its lines: it parses, its origin is this vault's,
    it commits to (size, root), and every signature line is by `tokenvault/<vault>/<member>`
    for a member in `ed25519` (id -> public key) with that key's id, and verifies. Returns the
    signers' member ids; raises NoteError saying what is wrong."""
    try:
        checkpoint, signatures = cp.parse_note(manifest_format.lines_to_note(lines))
    except TokenVaultError as exc:
        raise NoteError(str(exc)) from None
    if checkpoint.origin != cp.origin_for(vault):
        raise NoteError("origin is another vault's")
    if checkpoint.size != size or checkpoint.root != root:
        raise NoteError(f"size or root does not match {against}")
    prefix = cp.key_name(vault, "")
    signers: list[str] = []
    for sig in signatures:
        member_id = sig.key_name.removeprefix(prefix)
        public = ed25519.get(member_id)
        if public is None or not sig.key_name.startswith(prefix):
            raise NoteError(f"signed by unknown key {sig.key_name}")
        if sig.key_id != cp.key_id(sig.key_name, public) or not keys.verify(
            public, checkpoint.body(), sig.signature
        ):
            raise NoteError("the signature does not verify")
        signers.append(member_id)
    return tuple(signers)


def _check_previous(previous: bytes, vault: str, chain: ChainResult) -> None:
    earlier = verify_export(previous)
    if earlier.summary is None:
        raise _Invalid(1, None, f"the previous export is invalid: {earlier.failure_line()}")
    if earlier.summary.vault != vault:
        raise _Invalid(1, None, "the previous export is from another vault")
    old, new = earlier.leaves, chain.leaves
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            raise _Invalid(index + 2, index, "does not extend the previous export (fork)")
    if len(old) > len(new):
        raise _Invalid(
            1,
            None,
            f"does not extend the previous export: it has {len(old)} entries, this one "
            f"{len(new)} (older than --previous, or cut short)",
        )
    if root_of(new[: len(old)]).hex() != earlier.summary.root:
        raise _Invalid(1, None, "does not extend the previous export (root differs)")


def _check_previous_checkpoint(checkpoint: tuple[int, bytes], chain: ChainResult) -> None:
    size, root = checkpoint
    if len(chain.leaves) < size:
        raise _Invalid(
            1,
            None,
            f"does not extend the previous checkpoint: it has {size} entries, this export "
            f"{len(chain.leaves)} (older than the checkpoint, or cut short)",
        )
    if size < 1 or root_of(chain.leaves[:size]) != root:
        raise _Invalid(
            1, None, f"does not extend the previous checkpoint (root after {size} entries differs)"
        )


def _summary(manifest: dict[str, Any], chain: ChainResult, root: bytes) -> ExportSummary:
    state = chain.state
    assert state is not None
    signers = tuple(
        Signer(mid, state.members[mid].role.value, count, state.members[mid].active)
        for mid, count in sorted(chain.signers.items())
    )
    return ExportSummary(
        vault=state.vault_id,
        vault_name=state.vault_name,
        entries=chain.frontier.size,
        first_ts=chain.first_ts,
        last_ts=chain.last_ts,
        exported_by=manifest["exported_by"],
        exported_at=manifest["exported_at"],
        root=root.hex(),
        genesis=chain.genesis_hash,
        signers=signers,
        per_type=dict(sorted(Counter(chain.counts).items())),
        per_actor=dict(sorted(chain.signers.items())),
    )
