"""Input rules for token metadata and secrets, shared by add, edit, rotate and import.

Faces pass raw values; these functions return the cleaned, model-form values or raise a
ValidationError that names the field. Policy rules that refuse input (require owner, require
expiry) are applied here too, so no face can skip them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import EDITABLE_FIELDS, Secret
from tokenvault.domain.policy import Policy
from tokenvault.domain.text import clean_list, clean_text
from tokenvault.domain.timefmt import truncate_ms


def check_secret(secret: Secret) -> Secret:
    if not isinstance(secret, Secret):
        raise ValidationError("the secret must be passed as a Secret")
    if len(secret) == 0:
        raise ValidationError("the secret is empty")
    if len(secret) > limits.SECRET_MAX_BYTES:
        raise ValidationError(f"the secret is larger than {limits.SECRET_MAX_BYTES} bytes")
    return secret


def _time(value: Any, field: str, *, optional: bool) -> datetime | None:
    if value is None and optional:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{field} must be a date and time with a time zone")
    return truncate_ms(value)


def _days(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number of days")
    if not 1 <= value <= limits.ROTATE_EVERY_MAX_DAYS:
        raise ValidationError(f"{field} must be between 1 and {limits.ROTATE_EVERY_MAX_DAYS} days")
    return value


def _strings(value: Any, field: str, max_len: int) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError(f"{field} must be a list of text values")
    return clean_list(list(value), field=field, max_items=limits.LIST_MAX_ITEMS, max_len=max_len)


def clean_field(name: str, value: Any) -> Any:
    """One editable field, cleaned to its model form."""
    if name == "name":
        return clean_text(value, field="name", max_len=limits.NAME_MAX, allow_empty=False)
    if name in ("service", "environment", "owner"):
        return clean_text(value, field=name, max_len=limits.FIELD_MAX)
    if name == "notes":
        return clean_text(value, field="notes", max_len=limits.NOTE_MAX)
    if name in ("scopes", "tags"):
        return _strings(value, name, limits.FIELD_MAX)
    if name == "used_by":
        return _strings(value, name, limits.USED_BY_MAX)
    if name in ("issued_at", "last_rotated_at"):
        return _time(value, name, optional=False)
    if name == "expires_at":
        return _time(value, name, optional=True)
    if name == "rotate_every_days":
        return _days(value, name)
    raise ValidationError(f"{name!r:.40} is not an editable token field")


def clean_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown token fields: {', '.join(sorted(unknown))}")
    return {name: clean_field(name, value) for name, value in values.items()}


def check_token_rules(
    fields: Mapping[str, Any], policy: Policy, now: datetime, *, discovered: bool = False
) -> None:
    """Cross-field and policy rules on a complete set of token fields. A `discovered` token
    (from a scanner report) is inventoried as found: nobody owns it yet and nobody chose its
    expiry, which is what its DISCOVERED and NO_EXPIRY findings say until someone does."""
    if policy.require_owner and not fields["owner"] and not discovered:
        raise ValidationError("the policy requires an owner for every token")
    if policy.require_expiry and fields["expires_at"] is None and not discovered:
        raise ValidationError("the policy requires an expiry date for every token")
    issued, rotated = fields["issued_at"], fields["last_rotated_at"]
    if issued > now:
        raise ValidationError("issued_at is in the future")
    if rotated > now:
        raise ValidationError("last_rotated_at is in the future")
    if rotated < issued:
        raise ValidationError("last_rotated_at is before issued_at")
    expires = fields["expires_at"]
    if expires is not None and expires < issued:
        raise ValidationError("expires_at is before issued_at")


def check_vault_name(value: str) -> str:
    return clean_text(value, field="vault name", max_len=limits.VAULT_NAME_MAX, allow_empty=False)


def check_display_name(value: str) -> str:
    return clean_text(value, field="display name", max_len=limits.DISPLAY_NAME_MAX)


PASSPHRASE_MIN_CHARS = 8
PASSPHRASE_MAX_BYTES = 1024


def check_new_passphrase(passphrase: Secret) -> Secret:
    """A new passphrase: at least 8 characters (Argon2 slows guessing; it cannot fix 'abc')."""
    try:
        text = passphrase.expose_text()
    except UnicodeDecodeError:
        raise ValidationError("the passphrase is not valid UTF-8") from None
    if len(text) < PASSPHRASE_MIN_CHARS:
        raise ValidationError(
            f"the passphrase must have at least {PASSPHRASE_MIN_CHARS} characters"
        )
    if len(passphrase) > PASSPHRASE_MAX_BYTES:
        raise ValidationError(f"the passphrase is longer than {PASSPHRASE_MAX_BYTES} bytes")
    return passphrase
