"""The journal's known-answer vectors, checked by our code and by independent code.

Independent: hashlib for leaf hashes, a recursive RFC 6962 MTH written from the RFC's text,
json.dumps(sort_keys) for the canonical bytes of these ASCII-only entries, and libsodium
(PyNaCl) for the Ed25519 signatures. If our encoder drifts, these fail.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from nacl.signing import VerifyKey

from tests.vectors.journal_vectors import build
from tokenvault.audit.chain import verify_chain
from tokenvault.domain import checkpoint as cp
from tokenvault.domain.journal import SIG_CONTEXT, decode_entry

STORED: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "journal.json").read_text()
)


def test_vectors_are_reproducible() -> None:
    assert build() == STORED


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def test_vectors_against_independent_code() -> None:
    prev = "0" * 64
    leaves: list[bytes] = []
    for seq, item in enumerate(STORED["entries"]):
        line = item["line"].encode()
        data = json.loads(line)
        assert data["seq"] == seq
        assert data["prev"] == prev
        unsigned = {k: v for k, v in data.items() if k != "sig"}
        canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
        assert json.dumps(data, sort_keys=True, separators=(",", ":")).encode() == line
        message = SIG_CONTEXT + canonical
        assert hashlib.sha256(message).hexdigest() == item["signing_message_sha256"]
        signer = STORED["members"][data["actor"]]["ed25519"]
        VerifyKey(bytes.fromhex(signer)).verify(message, bytes.fromhex(data["sig"]))
        leaf = hashlib.sha256(b"\x00" + line).digest()
        assert leaf.hex() == item["leaf_hash"]
        leaves.append(leaf)
        assert _mth(leaves).hex() == item["root_after"]
        prev = leaf.hex()
    assert STORED["genesis_hash"] == STORED["entries"][0]["leaf_hash"]


def test_vectors_verify_with_our_chain_verifier() -> None:
    lines = [item["line"].encode() for item in STORED["entries"]]
    result = verify_chain(lines)
    assert result.failure is None
    assert result.state is not None
    assert result.frontier.root().hex() == STORED["entries"][-1]["root_after"]
    assert result.genesis_hash == STORED["genesis_hash"]
    assert not result.state.members["bob"].active
    assert result.state.epoch == 2
    assert result.state.tokens[1].revoked
    assert result.state.policy.reminder_days == 21
    for line in lines:
        assert decode_entry(line).line == line


def test_checkpoint_note_verifies_with_libsodium() -> None:
    checkpoint, signatures = cp.parse_note(STORED["checkpoint_note"])
    assert checkpoint.size == len(STORED["entries"])
    assert checkpoint.root.hex() == STORED["entries"][-1]["root_after"]
    (signature,) = signatures
    alice = bytes.fromhex(STORED["members"]["alice"]["ed25519"])
    assert signature.key_id == cp.key_id(signature.key_name, alice)
    VerifyKey(alice).verify(checkpoint.body(), signature.signature)
