"""Known-answer vectors for the journal format, built from fixed keys and timestamps.

`python tests/vectors/journal_vectors.py` rewrites journal.json; the test suite rebuilds the
vectors and requires them to be byte-identical, so any change to canonical encoding, signing
messages, leaf hashing, the tree or the checkpoint text shows up as a diff an auditor's own
verifier can be checked against.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tokenvault.crypto.keys import MemberKeys
from tokenvault.domain import checkpoint as cp
from tokenvault.domain.journal import ZERO_HASH, Entry, pop_message
from tokenvault.domain.merkle import Frontier
from tokenvault.domain.model import Role
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.replay import member_body

VAULT = "5eed5eed5eed5eed5eed5eed5eed5eed"
HERE = Path(__file__).parent
FP1 = "hmac-sha256:k1:" + "11" * 16
FP2 = "hmac-sha256:k1:" + "22" * 16


def seeded_keys(name: str) -> MemberKeys:
    """Deterministic member keys: seeds are SHA-256 of a label (never do this for real)."""
    return MemberKeys.from_seeds(
        hashlib.sha256(f"{name}-ed25519".encode()).digest(),
        hashlib.sha256(f"{name}-x25519".encode()).digest(),
    )


def _ts(second: int) -> str:
    return f"2026-01-02T03:04:{second:02d}.000Z"


def build() -> dict[str, Any]:
    alice, bob = seeded_keys("alice"), seeded_keys("bob")
    alice_json = member_body(
        "alice", Role.ADMIN, "Alice", alice.ed25519_public, alice.x25519_public
    )
    bob_json = member_body("bob", Role.OPERATOR, "Bob", bob.ed25519_public, bob.x25519_public)
    token = {
        "token": 1,
        "name": "stripe-live",
        "service": "stripe",
        "environment": "production",
        "owner": "alice",
        "scopes": ["charges:write"],
        "used_by": ["ci:deploy"],
        "tags": ["payments"],
        "notes": "",
        "issued_at": _ts(0),
        "expires_at": None,
        "rotate_every_days": 30,
        "last_rotated_at": _ts(0),
    }
    ref = {"token": 1, "name": "stripe-live"}
    script: list[tuple[MemberKeys, str, str, dict[str, Any]]] = [
        (
            alice,
            "alice",
            "vault.genesis",
            {
                "vault_name": "Vector vault",
                "member": alice_json,
                "fp_key_id": "k1",
                "policy": DEFAULT_POLICY.to_json(),
            },
        ),
        (
            alice,
            "alice",
            "member.add",
            {
                "member": bob_json,
                "pop": bob.sign(pop_message(VAULT, bob_json["ed25519"], bob_json["x25519"])).hex(),
            },
        ),
        (
            bob,
            "bob",
            "token.create",
            {**token, "version": 1, "fingerprint": FP1, "source": "vectors"},
        ),
        (
            bob,
            "bob",
            "token.update",
            {**ref, "changes": {"notes": {"before": "", "after": "primary key"}}},
        ),
        (bob, "bob", "token.reveal", {**ref, "version": 1, "fingerprint": FP1, "how": "copy"}),
        (
            alice,
            "alice",
            "token.rotate",
            {
                **ref,
                "version": 2,
                "fingerprint": FP2,
                "retired": {"version": 1, "fingerprint": FP1},
                "expires_at": {"before": None, "after": "2027-01-01T00:00:00.000Z"},
            },
        ),
        (alice, "alice", "token.review", {**ref, "note": "still needed"}),
        (alice, "alice", "token.destroy", {**ref, "versions": [1]}),
        (
            alice,
            "alice",
            "policy.update",
            {"changes": {"reminder_days": {"before": 14, "after": 21}}},
        ),
        (
            bob,
            "bob",
            "unlock.failed",
            {"member": "carol", "count": 3, "first": _ts(1), "last": _ts(2)},
        ),
        (bob, "bob", "member.passphrase", {"member": "bob"}),
        (
            alice,
            "alice",
            "token.revoke",
            {**ref, "reason": "compromised", "ticket": "INC-42", "note": ""},
        ),
        (alice, "alice", "member.remove", {"member": "bob", "epoch": 2}),
    ]
    frontier = Frontier()
    prev = ZERO_HASH
    entries = []
    for seq, (keys, actor, kind, body) in enumerate(script):
        entry = Entry(VAULT, seq, _ts(10 + seq), actor, kind, body, prev)
        message = entry.signing_message()
        entry = entry.signed(keys.sign(message))
        frontier.append(entry.leaf_hash)
        entries.append(
            {
                "signing_message_sha256": hashlib.sha256(message).hexdigest(),
                "line": entry.line.decode(),
                "leaf_hash": entry.leaf_hash.hex(),
                "root_after": frontier.root().hex(),
            }
        )
        prev = entry.leaf_hash.hex()
    checkpoint = cp.Checkpoint(cp.origin_for(VAULT), frontier.size, frontier.root())
    name = cp.key_name(VAULT, "alice")
    note = cp.format_note(
        checkpoint,
        [
            cp.NoteSignature(
                name, cp.key_id(name, alice.ed25519_public), alice.sign(checkpoint.body())
            )
        ],
    )
    return {
        "description": (
            "tokenvault journal known-answer vectors: members' keys are derived from "
            "SHA-256 of '<member>-ed25519' / '<member>-x25519' (Ed25519 seed / X25519 "
            "private key). Each line is the exact exported entry; leaf_hash = "
            "SHA-256(0x00 || line); root_after is the RFC 6962 root over leaves 0..seq."
        ),
        "vault": VAULT,
        "members": {
            "alice": {"ed25519": alice_json["ed25519"], "x25519": alice_json["x25519"]},
            "bob": {"ed25519": bob_json["ed25519"], "x25519": bob_json["x25519"]},
        },
        "genesis_hash": entries[0]["leaf_hash"],
        "entries": entries,
        "checkpoint_note": note,
    }


if __name__ == "__main__":
    out = HERE / "journal.json"
    out.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
