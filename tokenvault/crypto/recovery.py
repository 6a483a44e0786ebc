"""Recovery codes: 160 random bits shown once at init, unlocking the `recovery` admin member.

Crockford base32 (no I, L, O, U) in groups of four, so it survives being read aloud, written
on paper and retyped; input is normalised (case, dashes, spaces, O->0, I/L->1). At 160 bits
the code is out of reach of guessing even at the Argon2 floor.
"""

from __future__ import annotations

import secrets

from tokenvault.domain.errors import AuthenticationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 32  # 32 x 5 bits = 160 bits
GROUP = 4
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_recovery_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(chars[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def normalize_recovery_code(text: str) -> str:
    """The canonical form the recovery slot is keyed with; AuthenticationError if malformed."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(cleaned) != CODE_CHARS or any(ch not in ALPHABET for ch in cleaned):
        raise AuthenticationError("that is not a recovery code (32 characters, groups of four)")
    return "-".join(cleaned[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))
