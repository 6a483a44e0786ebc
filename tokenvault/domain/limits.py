"""Documented limits, enforced by the services and checked by the verifier where they apply.

They bound memory and screen space for hostile or accidental input; each is generous for real
tokens (the largest common credential, a PEM private key, is well under 16 KiB).
"""

from __future__ import annotations

SECRET_MAX_BYTES = 64 * 1024
NAME_MAX = 200
FIELD_MAX = 200  # service, environment, owner, each scope, tag and ticket
USED_BY_MAX = 500  # each used_by item (a CI secret path, a host, a job)
NOTE_MAX = 2000
LIST_MAX_ITEMS = 100  # scopes, tags, used_by
DISPLAY_NAME_MAX = 100
VAULT_NAME_MAX = 100
ROTATE_EVERY_MAX_DAYS = 3650
SAFE_INT_MAX = 2**53 - 1  # JCS numbers are IEEE doubles: larger integers would round
