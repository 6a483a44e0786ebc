"""Recovery codes, fingerprints and signatures."""

from __future__ import annotations

import pytest

from tokenvault.crypto.fingerprint import fingerprint, new_fp_key
from tokenvault.crypto.keys import MemberKeys
from tokenvault.crypto.recovery import ALPHABET, new_recovery_code, normalize_recovery_code
from tokenvault.crypto.signing import VerifyingKeys, verify
from tokenvault.domain.errors import AuthenticationError


def test_recovery_code_shape_and_entropy() -> None:
    code = new_recovery_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4] * 8
    assert all(c in ALPHABET for c in "".join(groups))
    assert len({new_recovery_code() for _ in range(50)}) == 50


def test_recovery_code_normalisation_forgives_typing() -> None:
    code = new_recovery_code()
    sloppy = " ".join(code.lower().split("-")).replace("0", "o").replace("1", "l")
    assert normalize_recovery_code(sloppy) == code


@pytest.mark.parametrize("bad", ["", "short", "U" * 32, "A" * 31, "A" * 33])
def test_malformed_recovery_codes(bad: str) -> None:
    with pytest.raises(AuthenticationError):
        normalize_recovery_code(bad)


def test_fingerprint_is_keyed_and_labelled() -> None:
    key = new_fp_key()
    fp = fingerprint(key, "k1", b"secret")
    assert fp.startswith("hmac-sha256:k1:")
    assert len(fp) == len("hmac-sha256:k1:") + 32
    assert fp == fingerprint(key, "k1", b"secret")
    assert fp != fingerprint(new_fp_key(), "k1", b"secret")
    assert fp != fingerprint(key, "k1", b"secret2")


def test_signatures() -> None:
    keys = MemberKeys.generate()
    sig = keys.sign(b"message")
    assert verify(keys.ed25519_public, b"message", sig)
    assert not verify(keys.ed25519_public, b"messagE", sig)
    assert not verify(keys.ed25519_public, b"message", sig[:-1])
    cache = VerifyingKeys()
    assert cache.verify(keys.ed25519_public, b"message", sig)
    assert not cache.verify(keys.ed25519_public, b"other", sig)
    assert not cache.verify(bytes(32), b"message", sig)
