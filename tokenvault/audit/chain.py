"""Verify a journal line by line: canonical form and schema, sequence and vault, hash chain,
timestamps, signer membership and role at that seq, Ed25519 signatures, proofs of possession,
and replay. Stops at the first bad line and says which and why.

Used by `verify()` on a live vault and, with the export manifest around it, by the auditor's
offline verifier; the rules are the ones docs/journal-format.md states.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tokenvault.crypto.publickeys import is_valid_ed25519_public, is_valid_x25519_public
from tokenvault.crypto.signing import VerifyingKeys
from tokenvault.domain.canonical import CanonicalError
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.journal import (
    ZERO_HASH,
    Entry,
    decode_entry,
    pop_message,
    signing_message_of,
)
from tokenvault.domain.merkle import Frontier
from tokenvault.domain.replay import ReplayError, VaultState


@dataclass(frozen=True, slots=True)
class ChainFailure:
    seq: int  # the 0-based index of the first bad line
    reason: str


@dataclass
class ChainResult:
    state: VaultState | None = None
    frontier: Frontier = field(default_factory=Frontier)
    leaves: list[bytes] = field(default_factory=list)
    first_ts: str = ""
    last_ts: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    signers: Counter[str] = field(default_factory=Counter)
    failure: ChainFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.state is not None

    @property
    def genesis_hash(self) -> str:
        return self.leaves[0].hex() if self.leaves else ""


# OpenSSL (and Go) accept a small-order key with a signature that verifies for every message,
# so an invalid key is named as such, not reported as a signature that happens to fail.
_INVALID_KEY = "is not a valid public key (small order, not on the curve or not canonical)"


class _Bad(Exception):
    pass


def verify_chain(lines: Iterable[bytes], *, expected_vault: str | None = None) -> ChainResult:
    """Check every line in order; the result carries the replayed state and the tree."""
    was_enabled = gc.isenabled()
    gc.disable()  # ~10 objects per entry, none in a cycle: the collector only rewalks the heap
    try:
        return _verify_chain(lines, expected_vault)
    finally:
        if was_enabled:
            gc.enable()


def _verify_chain(lines: Iterable[bytes], expected_vault: str | None) -> ChainResult:
    result = ChainResult()
    keys = VerifyingKeys()
    prev_hex, prev_ts = ZERO_HASH, ""
    for index, line in enumerate(lines):
        try:
            entry = _decode(line, index)
            if entry.vault != (expected_vault or entry.vault):
                raise _Bad("entry belongs to another vault")
            if result.state is not None and entry.vault != result.state.vault_id:
                raise _Bad("entry belongs to another vault")
            if entry.prev != prev_hex:
                raise _Bad("prev does not match the previous entry's leaf hash (chain broken)")
            if entry.ts < prev_ts:
                raise _Bad("timestamp is earlier than the previous entry's")
            if entry.type == "journal.export":
                _check_export_entry(entry, result.frontier)
            _check_signature_and_apply(result, entry, keys)
        except _Bad as exc:
            result.failure = ChainFailure(index, str(exc))
            return result
        leaf = entry.leaf_hash
        result.leaves.append(leaf)
        result.frontier.append(leaf)
        result.counts[entry.type] += 1
        result.signers[entry.actor] += 1
        result.first_ts = result.first_ts or entry.ts
        result.last_ts = entry.ts
        prev_hex, prev_ts = leaf.hex(), entry.ts
    if result.state is None:
        result.failure = ChainFailure(0, "the journal is empty")
    return result


def _decode(line: bytes, index: int) -> Entry:
    try:
        entry = decode_entry(line)
    except CanonicalError as exc:
        raise _Bad(str(exc)) from None
    except TokenVaultError as exc:
        raise _Bad(str(exc)) from None
    if entry.seq != index:
        raise _Bad(f"seq is {entry.seq}, expected {index}")
    return entry


def _check_export_entry(entry: Entry, frontier: Frontier) -> None:
    """A journal.export entry names the tree just before it: size = its seq, root = that root."""
    if entry.body["size"] != entry.seq or entry.body["root"] != frontier.root().hex():
        raise _Bad("journal.export: size and root do not match the journal before it")


def _check_signature_and_apply(result: ChainResult, entry: Entry, keys: VerifyingKeys) -> None:
    try:
        if result.state is None:
            state = VaultState.from_genesis(entry)
            signer = state.members[entry.actor]
            if not is_valid_ed25519_public(signer.ed25519):
                raise _Bad(f"the genesis member's Ed25519 key {_INVALID_KEY}")
        else:
            state = result.state
            signer = state.signer(entry)
        if not keys.verify(signer.ed25519, signing_message_of(entry), bytes.fromhex(entry.sig)):
            raise _Bad(f"signature by {entry.actor} does not verify")
        if result.state is None and not is_valid_x25519_public(signer.x25519):
            raise _Bad("the genesis member's X25519 key is not a valid public key")
        if entry.type == "member.add":
            _check_new_member(entry, keys)
        if result.state is None:
            result.state = state
        else:
            state.apply(entry)
    except ReplayError as exc:
        raise _Bad(str(exc)) from None


def _check_new_member(entry: Entry, keys: VerifyingKeys) -> None:
    member = entry.body["member"]
    ed25519 = bytes.fromhex(member["ed25519"])
    if not is_valid_ed25519_public(ed25519):
        raise _Bad(f"member.add: the new member's Ed25519 key {_INVALID_KEY}")
    if not is_valid_x25519_public(bytes.fromhex(member["x25519"])):
        raise _Bad("member.add: the X25519 key is not a valid public key")
    message = pop_message(entry.vault, member["ed25519"], member["x25519"])
    if not keys.verify(ed25519, message, bytes.fromhex(entry.body["pop"])):
        raise _Bad("member.add: the proof of possession does not verify")
