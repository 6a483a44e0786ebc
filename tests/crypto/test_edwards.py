"""Our Ed25519 public-key validation agrees with libsodium's crypto_core_ed25519_is_valid_point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import (
    crypto_core_ed25519_add,
    crypto_core_ed25519_is_valid_point,
    crypto_sign_keypair,
)

from tokenvault.crypto.edwards import P, is_valid_public_key
from tokenvault.crypto.signing import verify

# The eight small-order points (order 1, 2, 4, 8) in canonical encoding (libsodium's list).
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]


@pytest.mark.parametrize("encoded", SMALL_ORDER)
def test_small_order_points_are_invalid(encoded: str) -> None:
    assert not is_valid_public_key(bytes.fromhex(encoded))
    assert not crypto_core_ed25519_is_valid_point(bytes.fromhex(encoded))


def test_non_canonical_encodings_are_invalid() -> None:
    valid, _ = crypto_sign_keypair()
    y = int.from_bytes(valid, "little") & ((1 << 255) - 1)
    if y + P < 2**255:  # the same point with y + p: not canonical
        alias = (y + P) | (int.from_bytes(valid, "little") & (1 << 255))
        assert not is_valid_public_key(alias.to_bytes(32, "little"))
    p_plus_one = (P + 1).to_bytes(32, "little")  # y = 1 (identity) encoded as p + 1
    assert not is_valid_public_key(p_plus_one)


def test_mixed_order_points_are_invalid() -> None:
    """A real key plus a small-order component verifies differently across libraries."""
    valid, _ = crypto_sign_keypair()
    torsion = bytes.fromhex(SMALL_ORDER[4])
    mixed = crypto_core_ed25519_add(valid, torsion)
    assert not crypto_core_ed25519_is_valid_point(mixed)
    assert not is_valid_public_key(mixed)


def test_real_keys_are_valid() -> None:
    for _ in range(20):
        public, _ = crypto_sign_keypair()
        assert is_valid_public_key(public)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_agrees_with_libsodium_on_arbitrary_bytes(encoded: bytes) -> None:
    assert is_valid_public_key(encoded) == crypto_core_ed25519_is_valid_point(encoded)


def test_wrong_length_is_invalid() -> None:
    assert not is_valid_public_key(b"\x01" * 31)
    assert not is_valid_public_key(b"\x01" * 33)


def test_universal_forgery_is_not_accepted_by_our_verify() -> None:
    identity = bytes.fromhex(SMALL_ORDER[0])
    assert not verify(identity, b"any message", identity + bytes(32))
