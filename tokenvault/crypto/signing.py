"""Ed25519 signatures for journal entries, checkpoints and proofs of possession.

Verification only ever runs against keys that passed `edwards.is_valid_public_key`, because
OpenSSL alone accepts small-order keys with a universal forged signature.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tokenvault.crypto.edwards import is_valid_public_key

SIGNATURE_BYTES = 64


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid signature by a valid (prime-order, canonical) public key."""
    return VerifyingKeys().verify(public_key, message, signature)


class VerifyingKeys:
    """Verification with each public key validated once (a journal has many entries per key)."""

    def __init__(self) -> None:
        self._valid: dict[bytes, Ed25519PublicKey | None] = {}

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        if public_key not in self._valid:
            self._valid[public_key] = (
                Ed25519PublicKey.from_public_bytes(public_key)
                if is_valid_public_key(public_key)
                else None
            )
        key = self._valid[public_key]
        if key is None or len(signature) != SIGNATURE_BYTES:
            return False
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True
