"""Key slots: wrapping binds vault, member, KDF parameters and public keys; HPKE binds the
vault and epoch; failures all look the same."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tokenvault.crypto import kdf
from tokenvault.crypto.keys import (
    WRONG_PASSPHRASE,
    MemberKeys,
    WrappedKeys,
    keyfile_mac_key,
    new_dek,
    open_dek,
    seal_dek,
    unwrap_keys,
    wrap_keys,
)
from tokenvault.crypto.publickeys import is_valid_x25519_public
from tokenvault.domain.errors import AuthenticationError
from tokenvault.domain.model import Secret

VAULT = "11" * 16
PW = Secret("a long passphrase")


@pytest.fixture(scope="module")
def keys() -> MemberKeys:
    return MemberKeys.generate()


@pytest.fixture(scope="module")
def wrapped(keys: MemberKeys) -> WrappedKeys:
    return wrap_keys(VAULT, "alice", keys, PW, kdf.FLOOR)


def _unwrap(keys: MemberKeys, wrapped: WrappedKeys, **changes: object) -> MemberKeys:
    args: dict[str, object] = {
        "vault": VAULT,
        "member": "alice",
        "wrapped": wrapped,
        "ed25519": keys.ed25519_public,
        "x25519": keys.x25519_public,
        "passphrase": PW,
    }
    args.update(changes)
    return unwrap_keys(**args)  # type: ignore[arg-type]


def test_unwrap_gives_back_the_same_keys(keys: MemberKeys, wrapped: WrappedKeys) -> None:
    again = _unwrap(keys, wrapped)
    assert again.ed25519_public == keys.ed25519_public
    assert again.sign(b"m") == keys.sign(b"m")  # Ed25519 is deterministic


@pytest.mark.parametrize(
    "change",
    [
        {"passphrase": Secret("wrong passphrase")},
        {"vault": "22" * 16},
        {"member": "bob"},
        {"ed25519": MemberKeys.generate().ed25519_public},
        {"x25519": MemberKeys.generate().x25519_public},
    ],
)
def test_any_mismatch_is_the_same_error(
    keys: MemberKeys, wrapped: WrappedKeys, change: dict[str, object]
) -> None:
    with pytest.raises(AuthenticationError) as info:
        _unwrap(keys, wrapped, **change)
    assert str(info.value) == WRONG_PASSPHRASE


def test_raising_kdf_parameters_in_the_slot_breaks_it(
    keys: MemberKeys, wrapped: WrappedKeys
) -> None:
    stronger = replace(wrapped, kdf=kdf.KdfParams(64 * 1024, 4, 4))
    with pytest.raises(AuthenticationError):
        _unwrap(keys, stronger)


def test_flipped_ciphertext_breaks_it(keys: MemberKeys, wrapped: WrappedKeys) -> None:
    ct = bytearray(wrapped.ciphertext)
    ct[0] ^= 1
    with pytest.raises(AuthenticationError):
        _unwrap(keys, replace(wrapped, ciphertext=bytes(ct)))


def test_each_wrap_uses_fresh_salt_and_nonce(keys: MemberKeys) -> None:
    a = wrap_keys(VAULT, "alice", keys, PW, kdf.FLOOR)
    b = wrap_keys(VAULT, "alice", keys, PW, kdf.FLOOR)
    assert a.salt != b.salt
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext


def test_dek_box_binds_vault_and_epoch(keys: MemberKeys) -> None:
    dek = new_dek()
    box = seal_dek(dek, keys.x25519_public, VAULT, 1)
    assert open_dek(box, keys, VAULT, 1) == dek
    for vault, epoch in ((VAULT, 2), ("22" * 16, 1)):
        with pytest.raises(AuthenticationError):
            open_dek(box, keys, vault, epoch)
    with pytest.raises(AuthenticationError):
        open_dek(box, MemberKeys.generate(), VAULT, 1)
    assert len(box) == 80


def test_mac_key_is_not_the_dek() -> None:
    dek = new_dek()
    assert keyfile_mac_key(dek) != dek
    assert keyfile_mac_key(dek) == keyfile_mac_key(dek)


@pytest.mark.parametrize(
    "public",
    [
        bytes(32),
        b"\x01" + bytes(31),
        bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        b"\x01" * 31,
    ],
)
def test_low_order_x25519_keys_are_invalid(public: bytes) -> None:
    assert not is_valid_x25519_public(public)


def test_real_x25519_keys_are_valid() -> None:
    assert is_valid_x25519_public(MemberKeys.generate().x25519_public)


def test_repr_reveals_no_private_key(keys: MemberKeys) -> None:
    assert "ed25519=" in repr(keys)
    assert keys._private_bytes().hex() not in repr(keys)
