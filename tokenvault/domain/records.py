"""Tokens and members as plain JSON-ready records: the shape scripts and exports depend on.

Field names are a public contract (CLI `--json`, inventory export). Lists are arrays (maybe
empty), absent values — an empty text field included — null, times canonical UTC `…Z`.
There is no secret here to leak: only fingerprints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tokenvault.domain.model import Member, Token, TokenVersion
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import next_deadline, rotation_due_at, token_status
from tokenvault.domain.timefmt import format_ts, opt_format


def token_record(token: Token, policy: Policy, now: datetime) -> dict[str, Any]:
    current = token.current
    return {
        "id": token.id,
        "name": token.name,
        "service": token.service or None,
        "environment": token.environment or None,
        "owner": token.owner or None,
        "scopes": list(token.scopes),
        "used_by": list(token.used_by),
        "tags": list(token.tags),
        "notes": token.notes or None,
        "status": token_status(token, policy, now).value,
        "created_at": format_ts(token.created_at),
        "created_by": token.created_by,
        "issued_at": format_ts(token.issued_at),
        "expires_at": opt_format(token.expires_at),
        "rotate_every_days": token.rotate_every_days,
        "last_rotated_at": format_ts(token.last_rotated_at),
        "rotation_due_at": format_ts(rotation_due_at(token, policy)),
        "next_deadline": None if token.revoked else format_ts(next_deadline(token, policy)),
        "last_reviewed_at": opt_format(token.last_reviewed_at),
        "last_used_at": opt_format(token.last_used_at),
        "version": token.current_version,
        "fingerprint": current.fingerprint,
        "revoked_at": opt_format(token.revoked_at),
        "revoked_by": token.revoked_by,
        "revoke_reason": None if token.revoke_reason is None else token.revoke_reason.value,
        "revoke_ticket": token.revoke_ticket or None,
        "revoke_note": token.revoke_note or None,
        "exposed_at": opt_format(token.exposed_at),
        "discovered": token.discovered,
    }


def version_record(version: TokenVersion, current: int) -> dict[str, Any]:
    return {
        "version": version.number,
        "current": version.number == current,
        "fingerprint": version.fingerprint,
        "created_at": format_ts(version.created_at),
        "created_by": version.created_by,
        "retired_at": opt_format(version.retired_at),
        "destroyed_at": opt_format(version.destroyed_at),
    }


def member_record(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "role": member.role.value,
        "display_name": member.display_name or None,
        "ed25519": member.ed25519.hex(),
        "x25519": member.x25519.hex(),
        "added_at": format_ts(member.added_at),
        "added_by": member.added_by,
        "removed_at": opt_format(member.removed_at),
        "removed_by": member.removed_by,
        "active": member.active,
    }
