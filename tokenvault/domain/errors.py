"""The error hierarchy; every face maps it to the documented exit codes.

    TokenVaultError
    ├── InputError             exit 2  bad input or a state that forbids it; nothing changed
    │   ├── ValidationError              a value breaks a documented rule or limit
    │   ├── NotFoundError                no such token or member
    │   ├── ConflictError                name taken, token already revoked, secret destroyed …
    │   └── VaultLockedError             the session was locked
    ├── AuthenticationError    exit 3  wrong passphrase or damaged key slot; unknown or removed
    │                                  member
    │   └── NotAllowedError              the member's role does not allow the operation
    ├── IntegrityError         exit 4  tampered or corrupt database, key file or journal;
    │                                  rollback or fork against the cached checkpoint
    └── OperationalError       exit 5  I/O, disk full, lock timeout, insecure file permissions

Messages are one line, name the file or field at fault, and never contain a secret, a
passphrase or key material: callers pass only names and sizes into them.
"""

from __future__ import annotations

from typing import ClassVar


class TokenVaultError(Exception):
    """Base of every error the vault raises on purpose."""

    exit_code: ClassVar[int] = 5


class InputError(TokenVaultError):
    """The request cannot be honoured as given; nothing was changed."""

    exit_code = 2


class ValidationError(InputError):
    """A value breaks a documented rule or limit."""


class NotFoundError(InputError):
    """No token or member by that name."""


class ConflictError(InputError):
    """The vault's current state forbids the change (name taken, already revoked …)."""


class VaultLockedError(InputError):
    """The session was locked; unlock again."""


class AuthenticationError(TokenVaultError):
    """Wrong passphrase or damaged key slot, unknown or removed member."""

    exit_code = 3


class NotAllowedError(AuthenticationError):
    """The member is authenticated but their role does not allow the operation."""


class IntegrityError(TokenVaultError):
    """Tampered or corrupt data, or a vault that does not extend the cached checkpoint."""

    exit_code = 4


class OperationalError(TokenVaultError):
    """The environment failed us: I/O, disk full, lock timeout, insecure permissions."""

    exit_code = 5
