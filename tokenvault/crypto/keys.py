"""Member key pairs, passphrase-wrapped key slots and the HPKE-sealed data key.

A member holds an Ed25519 key (signs journal entries) and an X25519 key (receives the data key).
Both private keys are stored under AES-256-GCM with KEK = Argon2id(passphrase, salt); the AAD
binds the format, vault id, member id, KDF parameters and public keys, so a slot cannot be
moved to another member or vault, or have its cost parameters lowered, without failing to open.
The data key (DEK) is sealed to each member's X25519 key with HPKE (RFC 9180, base mode), with
`info` binding the vault id and key epoch so a box from another vault or epoch never opens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tokenvault.crypto.kdf import SALT_BYTES, KdfParams, derive_kek
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.errors import AuthenticationError
from tokenvault.domain.model import Secret

KEYFILE_FORMAT = "tokenvault-keys/1"
DEK_BYTES = 32  # SQLCipher raw key: 256 bits
NONCE_BYTES = 12  # AES-GCM standard nonce; random is safe: every KEK is fresh (new salt each wrap)
WRONG_PASSPHRASE = "wrong passphrase or damaged key slot"  # noqa: S105 (a message)
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NO_ENC = serialization.NoEncryption()


class MemberKeys:
    """A member's two private keys in memory (after unlock, or at creation)."""

    __slots__ = ("_agreement", "_signing", "ed25519_public", "x25519_public")

    def __init__(self, signing: Ed25519PrivateKey, agreement: X25519PrivateKey) -> None:
        self._signing = signing
        self._agreement = agreement
        self.ed25519_public = signing.public_key().public_bytes(_RAW, _RAW_PUB)
        self.x25519_public = agreement.public_key().public_bytes(_RAW, _RAW_PUB)

    @classmethod
    def generate(cls) -> MemberKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @classmethod
    def from_seeds(cls, ed25519_seed: bytes, x25519_private: bytes) -> MemberKeys:
        """Deterministic keys, for known-answer vectors."""
        return cls(
            Ed25519PrivateKey.from_private_bytes(ed25519_seed),
            X25519PrivateKey.from_private_bytes(x25519_private),
        )

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message)

    def _private_bytes(self) -> bytes:
        return self._signing.private_bytes(
            _RAW, _RAW_PRIV, _NO_ENC
        ) + self._agreement.private_bytes(_RAW, _RAW_PRIV, _NO_ENC)

    def __repr__(self) -> str:
        return f"MemberKeys(ed25519={self.ed25519_public.hex()[:16]}…)"


@dataclass(frozen=True, slots=True)
class WrappedKeys:
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def _wrap_aad(vault: str, member: str, kdf: KdfParams, salt: bytes, ed: bytes, x: bytes) -> bytes:
    return canonical_bytes(
        {
            "format": KEYFILE_FORMAT,
            "vault": vault,
            "member": member,
            "kdf": kdf.to_json(salt),
            "ed25519": ed.hex(),
            "x25519": x.hex(),
        }
    )


def wrap_keys(
    vault: str, member: str, keys: MemberKeys, passphrase: Secret, params: KdfParams
) -> WrappedKeys:
    salt = secrets.token_bytes(SALT_BYTES)
    kek = derive_kek(passphrase, salt, params)
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _wrap_aad(vault, member, params, salt, keys.ed25519_public, keys.x25519_public)
    ciphertext = AESGCM(kek).encrypt(nonce, keys._private_bytes(), aad)
    return WrappedKeys(params, salt, nonce, ciphertext)


def unwrap_keys(
    vault: str, member: str, wrapped: WrappedKeys, ed25519: bytes, x25519: bytes, passphrase: Secret
) -> MemberKeys:
    """The member's private keys, or AuthenticationError (wrong passphrase or damaged slot)."""
    kek = derive_kek(passphrase, wrapped.salt, wrapped.kdf)
    aad = _wrap_aad(vault, member, wrapped.kdf, wrapped.salt, ed25519, x25519)
    try:
        plain = AESGCM(kek).decrypt(wrapped.nonce, wrapped.ciphertext, aad)
        keys = MemberKeys.from_seeds(plain[:32], plain[32:])
    except (InvalidTag, ValueError):
        raise AuthenticationError(WRONG_PASSPHRASE) from None
    if keys.ed25519_public != ed25519 or keys.x25519_public != x25519:
        raise AuthenticationError(WRONG_PASSPHRASE)
    return keys


def new_dek() -> bytes:
    return secrets.token_bytes(DEK_BYTES)


def _dek_info(vault: str, epoch: int) -> bytes:
    return canonical_bytes({"purpose": "tokenvault-dek/1", "vault": vault, "epoch": epoch})


def seal_dek(dek: bytes, x25519_public: bytes, vault: str, epoch: int) -> bytes:
    recipient = X25519PublicKey.from_public_bytes(x25519_public)
    return _SUITE.encrypt(dek, recipient, info=_dek_info(vault, epoch))


def open_dek(box: bytes, keys: MemberKeys, vault: str, epoch: int) -> bytes:
    try:
        dek = _SUITE.decrypt(box, keys._agreement, info=_dek_info(vault, epoch))
    except (InvalidTag, ValueError):
        raise AuthenticationError(WRONG_PASSPHRASE) from None
    if len(dek) != DEK_BYTES:
        raise AuthenticationError(WRONG_PASSPHRASE)
    return dek


def keyfile_mac_key(dek: bytes) -> bytes:
    """A MAC key separate from the database key (HKDF domain separation)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tokenvault/keyfile-mac/v1"
    ).derive(dek)
