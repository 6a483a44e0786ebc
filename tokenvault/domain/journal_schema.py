"""The allow-listed body of each journal entry type.

Every field is required (absent values are explicit nulls or empty strings) so an entry has
exactly one canonical form. A verifier rejects unknown types, unknown or missing fields and
values of the wrong shape. Secrets appear only as fingerprints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tokenvault.domain import limits
from tokenvault.domain.canonical import CanonicalError
from tokenvault.domain.model import EDITABLE_FIELDS, RevealHow, RevokeReason, Role
from tokenvault.domain.policy import POLICY_KEYS
from tokenvault.domain.text import MEMBER_ID_RE
from tokenvault.domain.timefmt import parse_ts

Check = Callable[[Any, str], None]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_FINGERPRINT = re.compile(r"hmac-sha256:k[0-9]+:[0-9a-f]{32}")
_NONCE = re.compile(r"[0-9a-f]{32}")


def _fail(path: str, what: str) -> CanonicalError:
    return CanonicalError(f"{path}: {what}")


def text(max_len: int) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise _fail(path, "must be a string")
        if len(value) > max_len:
            raise _fail(path, f"longer than {max_len} characters")

    return check


def nonempty(max_len: int) -> Check:
    inner = text(max_len)

    def check(value: Any, path: str) -> None:
        inner(value, path)
        if not value:
            raise _fail(path, "must not be empty")

    return check


def pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise _fail(path, f"must be {what}")

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _fail(path, f"must be an integer in [{low}, {high}]")

    return check


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false")


def timestamp(value: Any, path: str) -> None:
    try:
        parse_ts(value)
    except Exception:
        raise _fail(path, "must be a canonical UTC timestamp") from None


def optional(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if value is not None:
            inner(value, path)

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any, path: str) -> None:
        if value not in choices:
            raise _fail(path, f"must be one of {', '.join(choices)}")

    return check


def array(inner: Check, max_items: int) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _fail(path, "must be an array")
        if len(value) > max_items:
            raise _fail(path, f"more than {max_items} items")
        for i, item in enumerate(value):
            inner(item, f"{path}[{i}]")

    return check


def obj(fields: Mapping[str, Check]) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _fail(path, "must be an object")
        if set(value) != set(fields):
            extra = sorted(set(value) - set(fields))
            missing = sorted(set(fields) - set(value))
            raise _fail(path, f"fields do not match (unexpected {extra}, missing {missing})")
        for name, field_check in fields.items():
            field_check(value[name], f"{path}.{name}")

    return check


def changes(allowed: Mapping[str, Check]) -> Check:
    """`{field: {"before": v, "after": v}}` for a non-empty subset of the allowed fields."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict) or not value:
            raise _fail(path, "must be a non-empty object")
        for name, change in value.items():
            if name not in allowed:
                raise _fail(path, f"field {name!r:.40} cannot change here")
            obj({"before": allowed[name], "after": allowed[name]})(change, f"{path}.{name}")

    return check


def any_json(value: Any, path: str) -> None:
    """Shape is checked by the domain object it feeds (e.g. Policy.from_json)."""


MEMBER_ID = pattern(MEMBER_ID_RE, "a member id")
HEX32 = pattern(_HEX64, "32 bytes of lowercase hex")
SIG = pattern(_HEX128, "a 64-byte signature in lowercase hex")
FINGERPRINT = pattern(_FINGERPRINT, "a secret fingerprint")
TOKEN_ID = integer(1, limits.SAFE_INT_MAX)
VERSION = integer(1, limits.SAFE_INT_MAX)
NAME = nonempty(limits.NAME_MAX)
FIELD = text(limits.FIELD_MAX)
NOTE = text(limits.NOTE_MAX)
STRINGS = array(nonempty(limits.FIELD_MAX), limits.LIST_MAX_ITEMS)
USED_BY = array(nonempty(limits.USED_BY_MAX), limits.LIST_MAX_ITEMS)
ROTATE_DAYS = optional(integer(1, limits.ROTATE_EVERY_MAX_DAYS))
MEMBER = obj(
    {
        "id": MEMBER_ID,
        "role": one_of(*(r.value for r in Role)),
        "display_name": text(limits.DISPLAY_NAME_MAX),
        "ed25519": HEX32,
        "x25519": HEX32,
    }
)

# The journal form of each editable token field.
TOKEN_FIELDS: dict[str, Check] = {
    "name": NAME,
    "service": FIELD,
    "environment": FIELD,
    "owner": FIELD,
    "scopes": STRINGS,
    "used_by": USED_BY,
    "tags": STRINGS,
    "notes": NOTE,
    "issued_at": timestamp,
    "expires_at": optional(timestamp),
    "rotate_every_days": ROTATE_DAYS,
    "last_rotated_at": timestamp,
}
assert tuple(TOKEN_FIELDS) == EDITABLE_FIELDS

_TOKEN_REF = {"token": TOKEN_ID, "name": NAME}

# Inventories from other tools, and reports from secret scanners. A token created from a
# report (source `import:<report format>:...`) is *discovered*: found in the wild, unowned.
TABLE_FORMATS = ("csv", "env", "keepassxc-csv", "bitwarden-csv")
REPORT_FORMATS = ("gitleaks-json", "trufflehog-json", "detect-secrets-json")
IMPORT_FORMATS = TABLE_FORMATS + REPORT_FORMATS

BODIES: dict[str, Check] = {
    "vault.genesis": obj(
        {
            "vault_name": nonempty(limits.VAULT_NAME_MAX),
            "member": MEMBER,
            "fp_key_id": pattern(re.compile(r"k[0-9]+"), "a key id like k1"),
            "policy": any_json,
        }
    ),
    "member.add": obj({"member": MEMBER, "pop": SIG}),
    "member.remove": obj({"member": MEMBER_ID, "epoch": integer(2, limits.SAFE_INT_MAX)}),
    "member.passphrase": obj({"member": MEMBER_ID}),
    "token.create": obj(
        {
            "token": TOKEN_ID,
            **TOKEN_FIELDS,
            "version": VERSION,
            "fingerprint": FINGERPRINT,
            "source": FIELD,
        }
    ),
    "token.update": obj({**_TOKEN_REF, "changes": changes(TOKEN_FIELDS)}),
    "token.rotate": obj(
        {
            **_TOKEN_REF,
            "version": VERSION,
            "fingerprint": FINGERPRINT,
            "retired": obj({"version": VERSION, "fingerprint": FINGERPRINT}),
            "expires_at": obj({"before": optional(timestamp), "after": optional(timestamp)}),
        }
    ),
    "token.revoke": obj(
        {
            **_TOKEN_REF,
            "reason": one_of(*(r.value for r in RevokeReason)),
            "ticket": FIELD,
            "note": NOTE,
        }
    ),
    "token.reveal": obj(
        {
            **_TOKEN_REF,
            "version": VERSION,
            "fingerprint": FINGERPRINT,
            "how": one_of(*(h.value for h in RevealHow)),
        }
    ),
    "token.review": obj({**_TOKEN_REF, "note": NOTE}),
    "token.destroy": obj({**_TOKEN_REF, "versions": array(VERSION, limits.SAFE_INT_MAX)}),
    "policy.update": obj({"changes": changes(dict.fromkeys(POLICY_KEYS, any_json))}),
    # size and root: the tree just before this entry (checked against the chain by the verifier).
    "journal.export": obj(
        {
            "nonce": pattern(_NONCE, "16 bytes of lowercase hex"),
            "size": integer(1, limits.SAFE_INT_MAX),
            "root": HEX32,
        }
    ),
    # one per `tokenvault import`, after its token.create entries, in the same transaction.
    "import": obj(
        {
            "format": one_of(*IMPORT_FORMATS),
            "file": nonempty(limits.FIELD_MAX),  # the base name only, never a directory
            "count": integer(0, limits.SAFE_INT_MAX),  # tokens created = len(tokens)
            "skipped": array(TOKEN_ID, limits.SAFE_INT_MAX),  # existing tokens matched
            "tokens": array(TOKEN_ID, limits.SAFE_INT_MAX),  # tokens created, in order
        }
    ),
    # one per `tokenvault scan` run, and one per scanner report imported (source: its format).
    "scan": obj(
        {
            "source": one_of("scan", *REPORT_FORMATS),
            # the paths scanned as given, or the report's base name; never file contents
            "paths": array(nonempty(limits.FIELD_MAX), limits.LIST_MAX_ITEMS),
            "files": integer(0, limits.SAFE_INT_MAX),  # files searched
            "skipped": integer(0, limits.SAFE_INT_MAX),  # files not searched (binary, …)
            "leaks": integer(0, limits.SAFE_INT_MAX),  # occurrences of vault secrets
            "shadow": integer(0, limits.SAFE_INT_MAX),  # credentials not in the vault
            "baselined": integer(0, limits.SAFE_INT_MAX),  # findings the baseline accepts
            # each distinct leaked secret version, by token then version
            "leaked": array(
                obj(
                    {
                        **_TOKEN_REF,
                        "version": VERSION,
                        "fingerprint": FINGERPRINT,
                        "baselined": boolean,  # every occurrence was accepted
                    }
                ),
                limits.SAFE_INT_MAX,
            ),
        }
    ),
    "unlock.failed": obj(
        {
            "member": MEMBER_ID,
            "count": integer(1, limits.SAFE_INT_MAX),
            "first": timestamp,
            "last": timestamp,
        }
    ),
}

ENTRY_TYPES = frozenset(BODIES)


def check_body(entry_type: str, body: Any) -> None:
    if entry_type not in BODIES:
        raise CanonicalError(f"unknown entry type {entry_type!r:.40}")
    BODIES[entry_type](body, "body")
