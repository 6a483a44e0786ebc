"""Validation of public keys that enter the vault (genesis, member.add) or a verifier.

Small-order keys are the danger in both curves: an Ed25519 small-order key admits a universal
forged signature under OpenSSL, and an X25519 low-order key makes every box sealed to it
readable by anyone. Neither check needs Argon2 or the store, so the offline verifier uses them.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from tokenvault.crypto.edwards import is_valid_public_key


def is_valid_ed25519_public(public: bytes) -> bool:
    """Canonical, on the curve, prime order (libsodium's rule)."""
    return is_valid_public_key(public)


def is_valid_x25519_public(public: bytes) -> bool:
    """False for low-order points: OpenSSL refuses the all-zero shared secret they yield."""
    if len(public) != 32:
        return False
    try:
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:
        return False
    return True
