"""The vocabulary: members, tokens and their secret versions, as immutable values.

Secrets never live in these objects: a TokenVersion carries the fingerprint only, and the
secret bytes travel separately in a `Secret`, whose repr is redacted so a traceback, a log line
or Textual's crash report with local variables cannot print it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # manages members and policy, and everything an operator does
    OPERATOR = "operator"  # manages tokens


class RevokeReason(StrEnum):
    COMPROMISED = "compromised"
    OWNER_LEFT = "owner-left"
    DECOMMISSIONED = "decommissioned"
    ROTATED = "rotated"
    SCOPE_REDUCED = "scope-reduced"
    OTHER = "other"


class Status(StrEnum):
    """Derived from a token, the policy and `now`; never stored. Ordered most urgent first."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    OVERDUE = "overdue"
    DUE = "due"
    OK = "ok"


class RevealHow(StrEnum):
    VIEW = "view"
    COPY = "copy"


class Secret:
    """A secret or passphrase in memory: redacted repr, explicit `expose()` to use it.

    Python cannot promise to wipe memory; this class only keeps the value out of reprs,
    str(), logs and tracebacks, which is where secrets leak in practice.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        self._value = value.encode("utf-8") if isinstance(value, str) else bytes(value)

    def expose(self) -> bytes:
        return self._value

    def expose_text(self) -> str:
        return self._value.decode("utf-8")

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        raise TypeError("Secret is not hashable")

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret cannot be pickled")


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    role: Role
    display_name: str
    ed25519: bytes
    x25519: bytes
    added_at: datetime
    added_by: str
    removed_at: datetime | None = None
    removed_by: str | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True, slots=True)
class TokenVersion:
    number: int
    fingerprint: str
    created_at: datetime
    created_by: str
    retired_at: datetime | None = None
    destroyed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    name: str
    service: str
    environment: str
    owner: str
    scopes: tuple[str, ...]
    used_by: tuple[str, ...]
    tags: tuple[str, ...]
    notes: str
    created_at: datetime
    created_by: str
    issued_at: datetime
    expires_at: datetime | None
    rotate_every_days: int | None
    last_rotated_at: datetime
    last_reviewed_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: RevokeReason | None = None
    revoke_ticket: str = ""
    revoke_note: str = ""
    current_version: int = 1
    versions: tuple[TokenVersion, ...] = field(default=())
    # Set by a `scan` entry that found the current secret in a file; a rotation clears it.
    exposed_at: datetime | None = None
    # Created from a scanner report: a credential found in the wild, not added by its owner.
    discovered: bool = False

    @property
    def current(self) -> TokenVersion:
        for version in self.versions:
            if version.number == self.current_version:
                return version
        raise LookupError(f"token {self.id} has no version {self.current_version}")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


# Metadata fields an edit may change, in display order. Their journal form is in replay.py.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "service",
    "environment",
    "owner",
    "scopes",
    "used_by",
    "tags",
    "notes",
    "issued_at",
    "expires_at",
    "rotate_every_days",
    "last_rotated_at",
)
