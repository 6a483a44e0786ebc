"""What the token modals return: small frozen values that the main screen hands to the services.

The modals never call a service: they parse and check what was typed and return one of these,
so the screen that pushed them keeps the session, the error display and the refresh. Secrets
travel only as `Secret` (redacted repr), so printing a result cannot show one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tokenvault.domain.model import RevokeReason, Secret
from tokenvault.services.tokens import TokenDraft


@dataclass(frozen=True, slots=True)
class TokenFormResult:
    """The add or edit form, submitted.

    `changes` maps token field names (as in `EDITABLE_FIELDS`) to cleaned model values. For an
    edit it holds only the fields that changed (empty: nothing changed) and goes straight to
    `tokens.edit(session, token.name, result.changes)`. For an add it holds every field of the
    form, except `issued_at` / `last_rotated_at` when left blank (the service's defaults apply),
    plus the secret; `draft()` turns it into the `TokenDraft` for `tokens.add`.
    """

    changes: dict[str, Any]
    secret: Secret | None = None

    @property
    def is_add(self) -> bool:
        return self.secret is not None

    def draft(self) -> TokenDraft:
        if not self.is_add:
            raise ValueError("an edit result is not a draft: pass .changes to tokens.edit")
        return TokenDraft(**self.changes)


@dataclass(frozen=True, slots=True)
class RotateResult:
    """A new secret, and the new expiry when one was typed (`None` with `expires_changed`
    means "never expires"; `expires_changed` False leaves the expiry as it is)."""

    secret: Secret
    expires_at: datetime | None = None
    expires_changed: bool = False

    def rotate_options(self) -> dict[str, Any]:
        """Keyword arguments for `tokens.rotate`: `expires_at` only when it was changed."""
        return {"expires_at": self.expires_at} if self.expires_changed else {}


@dataclass(frozen=True, slots=True)
class RevokeResult:
    """Why the token is revoked, with the cleaned ticket and note (possibly empty)."""

    reason: RevokeReason
    ticket: str = ""
    note: str = ""
