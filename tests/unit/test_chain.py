"""The journal verifier's rules, one broken rule per test, each naming the bad line."""

from __future__ import annotations

import pytest

from tests.unit.journal_builder import FP, FP2, VAULT, JournalBuilder
from tests.vectors.journal_vectors import seeded_keys
from tokenvault.audit.chain import verify_chain
from tokenvault.domain.model import Role

IDENTITY_POINT = bytes([1]) + bytes(31)


def failure(builder: JournalBuilder) -> tuple[int, str]:
    result = verify_chain(builder.lines)
    assert result.failure is not None, "the verifier accepted a bad journal"
    return result.failure.seq, result.failure.reason


def test_a_good_journal_verifies() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob")
    b.create_token("bob")
    b.add("alice", "member.remove", {"member": "bob", "epoch": 2})
    result = verify_chain(b.lines)
    assert result.ok
    assert result.counts["member.add"] == 1
    assert result.signers == {"alice": 3, "bob": 1}


def test_empty_journal() -> None:
    assert verify_chain([]).failure is not None


def test_broken_chain() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob", Role.OPERATOR)
    b.create_token("bob")
    b.add("bob", "token.review", {"token": 1, "name": "tok", "note": ""}, prev="00" * 32)
    assert failure(b) == (3, "prev does not match the previous entry's leaf hash (chain broken)")


def test_wrong_signer_key() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob")
    b.create_token("bob", name="x")
    b.add(
        "alice", "token.review", {"token": 1, "name": "x", "note": ""}, sign_as=seeded_keys("bob")
    )
    assert failure(b) == (3, "signature by alice does not verify")


def test_operator_cannot_write_admin_entries() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob")
    b.add_member("bob", "carol")
    seq, reason = failure(b)
    assert seq == 2
    assert "needs an admin" in reason


def test_removed_member_cannot_sign() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob")
    b.add("alice", "member.remove", {"member": "bob", "epoch": 2})
    b.create_token("bob")
    seq, reason = failure(b)
    assert seq == 3
    assert "bob is not an active member" in reason


def test_unknown_actor() -> None:
    b = JournalBuilder()
    b.create_token("mallory")
    assert "mallory is not an active member" in failure(b)[1]


def test_time_cannot_go_backwards() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add(
        "alice",
        "token.review",
        {"token": 1, "name": "tok", "note": ""},
        ts="2025-12-31T23:59:59.999Z",
    )
    assert failure(b) == (2, "timestamp is earlier than the previous entry's")


def test_sequence_gap() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add("alice", "token.review", {"token": 1, "name": "tok", "note": ""}, seq=5)
    assert failure(b) == (2, "seq is 5, expected 2")


def test_second_genesis() -> None:
    b = JournalBuilder()
    b.add("alice", "vault.genesis", b.genesis_body("alice"))
    assert "second vault.genesis" in failure(b)[1]


def test_bad_proof_of_possession() -> None:
    b = JournalBuilder()
    body = b.member("bob", Role.OPERATOR)
    b.add("alice", "member.add", {"member": body, "pop": "00" * 64})
    assert "proof of possession" in failure(b)[1]


def test_small_order_key_with_universal_forgery_is_rejected() -> None:
    """OpenSSL accepts (identity key, R=identity, S=0) for every message; we must not."""
    b = JournalBuilder()
    body = b.member("bob", Role.ADMIN)
    body["ed25519"] = IDENTITY_POINT.hex()
    forged = IDENTITY_POINT + bytes(32)
    b.add("alice", "member.add", {"member": body, "pop": forged.hex()})
    assert failure(b) == (
        1,
        "member.add: the new member's Ed25519 key is not a valid public key "
        "(small order, not on the curve or not canonical)",
    )


def test_genesis_with_small_order_key_is_rejected() -> None:
    b = JournalBuilder(genesis=False)
    body = b.genesis_body("alice")
    body["member"]["ed25519"] = IDENTITY_POINT.hex()
    b.add("alice", "vault.genesis", body, signature=IDENTITY_POINT + bytes(32))
    assert failure(b) == (
        0,
        "the genesis member's Ed25519 key is not a valid public key "
        "(small order, not on the curve or not canonical)",
    )


@pytest.mark.parametrize(
    "key",
    [
        bytes([0xEC]) + bytes([0xFF]) * 30 + bytes([0x7F]),  # y = p - 1: order 2
        bytes(32),  # y = 0: order 4
        (2**255 - 19 + 1).to_bytes(32, "little"),  # y = p + 1: a non-canonical encoding of y = 1
    ],
)
def test_other_invalid_member_keys_are_named(key: bytes) -> None:
    b = JournalBuilder()
    body = b.member("bob", Role.OPERATOR)
    body["ed25519"] = key.hex()
    b.add("alice", "member.add", {"member": body, "pop": "00" * 64})
    seq, reason = failure(b)
    assert seq == 1
    assert reason.startswith("member.add: the new member's Ed25519 key is not a valid")


def test_genesis_x25519_is_checked_after_its_signature() -> None:
    b = JournalBuilder(genesis=False)
    body = b.genesis_body("alice")
    body["member"]["x25519"] = "00" * 32
    b.add("alice", "vault.genesis", body)
    assert failure(b) == (0, "the genesis member's X25519 key is not a valid public key")
    b = JournalBuilder(genesis=False)
    body = b.genesis_body("alice")
    body["member"]["x25519"] = "00" * 32
    b.add("alice", "vault.genesis", body, sign_as=seeded_keys("mallory"))
    assert failure(b) == (0, "signature by alice does not verify")


def test_update_must_match_the_state_it_changes() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add(
        "alice",
        "token.update",
        {"token": 1, "name": "tok", "changes": {"notes": {"before": "wrong", "after": "x"}}},
    )
    assert "'before' does not match" in failure(b)[1]


def test_duplicate_token_name() -> None:
    b = JournalBuilder()
    b.create_token("alice", 1, "same")
    b.create_token("alice", 2, "same")
    assert "name already in use" in failure(b)[1]


def test_rotation_must_retire_the_current_version() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add(
        "alice",
        "token.rotate",
        {
            "token": 1,
            "name": "tok",
            "version": 2,
            "fingerprint": FP2,
            "retired": {"version": 1, "fingerprint": FP2},
            "expires_at": {"before": None, "after": None},
        },
    )
    assert "retired version does not match" in failure(b)[1]


def test_passphrase_entries_are_for_oneself() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob", Role.ADMIN)
    b.add("alice", "member.passphrase", {"member": "bob"})
    assert "own passphrase" in failure(b)[1]


def test_review_by_a_non_owner_operator() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob")
    b.create_token("alice")
    b.add("bob", "token.review", {"token": 1, "name": "tok", "note": ""})
    assert "owner or an admin" in failure(b)[1]


def test_removals_advance_the_epoch_by_one_and_never_remove_oneself() -> None:
    b = JournalBuilder()
    b.add_member("alice", "bob", Role.ADMIN)
    b.add("bob", "member.remove", {"member": "alice", "epoch": 3})
    assert "epoch must advance by one" in failure(b)[1]
    b2 = JournalBuilder()
    b2.add_member("alice", "bob", Role.ADMIN)
    b2.add("bob", "member.remove", {"member": "bob", "epoch": 2})
    assert "cannot remove themselves" in failure(b2)[1]


def test_live_token_keeps_its_current_secret() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add("alice", "token.destroy", {"token": 1, "name": "tok", "versions": [1]})
    assert "current secret of a live token stays" in failure(b)[1]


def test_entry_from_another_vault() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.add("alice", "token.review", {"token": 1, "name": "tok", "note": ""}, vault="cd" * 16)
    assert failure(b) == (2, "entry belongs to another vault")


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (b'"seq":1,', b'"seq": 1,', "canonical"),
        (b'"seq":1,', b'"seq":1.0,', "floats"),
        (b'"type":"token.create"', b'"type":"token.delete"', "unknown entry type"),
        (b'"source":""', b'"source":"","sourcez":1', "fields do not match"),
        (b'"fingerprint":"' + FP.encode(), b'"fingerprint":"sha1:' + b"0" * 32, "fingerprint"),
    ],
)
def test_malformed_lines(old: bytes, new: bytes, why: str) -> None:
    b = JournalBuilder()
    b.create_token("alice")
    assert old in b.lines[1]
    b.lines[1] = b.lines[1].replace(old, new, 1)
    seq, reason = failure(b)
    assert seq == 1
    assert why in reason


def test_failure_reports_first_bad_line_only() -> None:
    b = JournalBuilder()
    b.create_token("alice")
    b.lines.append(b"garbage")
    b.lines.append(b"more garbage")
    result = verify_chain(b.lines)
    assert result.failure is not None
    assert result.failure.seq == 2
    assert result.frontier.size == 2
    assert VAULT in result.state.vault_id  # type: ignore[union-attr]
