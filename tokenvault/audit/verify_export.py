"""The auditor's offline verifier for a `tokenvault-journal-export/1` file (design.md §7).

Needs no vault and no passphrase, and imports only the domain, the crypto verification code,
the standard library, `cryptography` and `rfc8785`. Checks, stopping at the first problem:

1. line 1 is the manifest: strict canonical JSON, format and algorithms exactly as expected;
2. every entry line (audit/chain.py: canonical bytes, schema, seq, vault, prev, timestamps,
   signer membership and role, signature, proofs of possession, replay);
3. the number of entries equals the manifest's size (a cut tail or extra lines are named);
4. the manifest's signature by its exporter, who must be an active member at the end;
5. the manifest's root, genesis hash, vault name, members and nonce (a journal.export entry by
   the exporter) against the recomputed ones; the checkpoint note for (size, root) and its
   signature by a member;
6. the genesis pin (`genesis`) and the previous export (`previous`): its tree must be a prefix
   of this one.

Without an anchor (no genesis pin, no previous export) a valid file is "unanchored": a
truncated or wholly re-created journal cannot be ruled out.
"""

from __future__ import annotations

from collections import Counter
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
    data: bytes, *, genesis: str | None = None, previous: bytes | None = None
) -> ExportVerdict:
    try:
        return _verify(data, genesis, previous)
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


def _verify(data: bytes, genesis: str | None, previous: bytes | None) -> ExportVerdict:
    lines, unterminated = _split_lines(data)
    try:
        manifest = manifest_format.parse_manifest(lines[0])
    except TokenVaultError as exc:
        raise _Invalid(1, None, f"manifest: {exc}") from None
    if unterminated:
        if len(lines) > 2:  # a bad complete entry before the cut comes first
            early = verify_chain(lines[1:-1], expected_vault=manifest["vault"])
            if early.failure is not None:
                index = early.failure.seq
                raise _Invalid(index + 2, index, early.failure.reason)
        seq = len(lines) - 2 if len(lines) >= 2 else None
        raise _Invalid(len(lines), seq, "the last line does not end with a newline")
    entries = lines[1:]
    chain = verify_chain(entries, expected_vault=manifest["vault"])
    if chain.failure is not None:
        index = chain.failure.seq
        if index == 0 and not entries:
            raise _Invalid(2, 0, "the file has no entries")
        raise _Invalid(index + 2, index, chain.failure.reason)
    state = chain.state
    assert state is not None
    size = manifest["size"]
    if len(entries) < size:
        raise _Invalid(
            len(entries) + 2,
            len(entries),
            f"the file ends after {len(entries)} entries but the manifest says {size} "
            "(tail cut off)",
        )
    if len(entries) > size:
        raise _Invalid(size + 2, size, f"entry beyond the manifest's size of {size}")

    keys = VerifyingKeys()
    exporter = state.members.get(manifest["exported_by"])
    if exporter is None or not exporter.active:
        raise _Invalid(1, None, "manifest: the exporter is not an active member")
    signature = bytes.fromhex(manifest["sig"])
    if not keys.verify(exporter.ed25519, manifest_format.signing_message(manifest), signature):
        raise _Invalid(1, None, "manifest: the exporter's signature does not verify")

    root = chain.frontier.root()
    _check_manifest_values(manifest, chain, root)
    _check_nonce(manifest, entries)
    _check_checkpoint(manifest, chain, root, keys)

    anchors: list[str] = []
    if genesis is not None:
        if genesis.strip().lower() != chain.genesis_hash:
            raise _Invalid(2, 0, "the genesis hash does not match the one given (--genesis)")
        anchors.append("genesis")
    if previous is not None:
        _check_previous(previous, manifest["vault"], chain)
        anchors.append("previous")
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


def _check_nonce(manifest: dict[str, Any], entries: list[bytes]) -> None:
    """The export must be journaled: a journal.export entry by the exporter with this nonce."""
    nonce = manifest["nonce"].encode()
    for line in reversed(entries):
        if b'"journal.export"' in line and nonce in line:
            entry = decode_entry(line)
            if entry.type == "journal.export" and entry.body["nonce"] == manifest["nonce"]:
                if entry.actor != manifest["exported_by"]:
                    raise _Invalid(1, None, "manifest: the export entry is by another member")
                return
    raise _Invalid(1, None, "manifest: no journal.export entry carries the manifest's nonce")


def _check_checkpoint(
    manifest: dict[str, Any], chain: ChainResult, root: bytes, keys: VerifyingKeys
) -> None:
    state = chain.state
    assert state is not None
    try:
        checkpoint, signatures = cp.parse_note(
            manifest_format.lines_to_note(manifest["checkpoint"])
        )
    except TokenVaultError as exc:
        raise _Invalid(1, None, f"manifest checkpoint: {exc}") from None
    if checkpoint.origin != cp.origin_for(state.vault_id):
        raise _Invalid(1, None, "manifest checkpoint: origin is another vault's")
    if checkpoint.size != chain.frontier.size or checkpoint.root != root:
        raise _Invalid(1, None, "manifest checkpoint: size or root does not match the entries")
    prefix = cp.key_name(state.vault_id, "")
    for sig in signatures:
        member = state.members.get(sig.key_name.removeprefix(prefix))
        if member is None or not sig.key_name.startswith(prefix):
            raise _Invalid(1, None, f"manifest checkpoint: signed by unknown key {sig.key_name}")
        if sig.key_id != cp.key_id(sig.key_name, member.ed25519) or not keys.verify(
            member.ed25519, checkpoint.body(), sig.signature
        ):
            raise _Invalid(1, None, "manifest checkpoint: the signature does not verify")


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
