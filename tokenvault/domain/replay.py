"""Replaying the journal: the one place that says what each entry does to the vault's state.

The services write the result of `apply_*` to storage in the same transaction as the entry, and
`verify()` replays the whole journal and compares, so the stored state can only be what the
journal says it is. Every function checks that the entry fits the state it is applied to
(the "before" values, versions, fingerprints) and raises ReplayError otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.journal import Entry, required_role
from tokenvault.domain.journal_schema import REPORT_FORMATS
from tokenvault.domain.model import (
    EDITABLE_FIELDS,
    Member,
    RevokeReason,
    Role,
    Token,
    TokenVersion,
)
from tokenvault.domain.policy import Policy
from tokenvault.domain.timefmt import format_ts, parse_ts

GENESIS_EPOCH = 1


class ReplayError(ValidationError):
    """An entry that does not fit the state it is applied to."""


# ---- field forms: model value <-> journal JSON value -------------------------------------

_TIME_FIELDS = frozenset({"issued_at", "expires_at", "last_rotated_at"})
_LIST_FIELDS = frozenset({"scopes", "used_by", "tags"})


def field_to_json(name: str, value: Any) -> Any:
    if name in _TIME_FIELDS:
        return None if value is None else format_ts(value)
    if name in _LIST_FIELDS:
        return list(value)
    return value


def field_from_json(name: str, value: Any) -> Any:
    if name in _TIME_FIELDS:
        return None if value is None else parse_ts(value)
    if name in _LIST_FIELDS:
        return tuple(value)
    return value


def token_fields_json(token: Token) -> dict[str, Any]:
    return {name: field_to_json(name, getattr(token, name)) for name in EDITABLE_FIELDS}


def member_body(
    member_id: str, role: Role, display_name: str, ed25519: bytes, x25519: bytes
) -> dict[str, str]:
    """A member as it appears in vault.genesis and member.add bodies."""
    return {
        "id": member_id,
        "role": role.value,
        "display_name": display_name,
        "ed25519": ed25519.hex(),
        "x25519": x25519.hex(),
    }


# ---- tokens ------------------------------------------------------------------------------


def token_created(entry: Entry) -> Token:
    body = entry.body
    if body["version"] != 1:
        raise ReplayError("token.create must start at version 1")
    at = parse_ts(entry.ts)
    values = {name: field_from_json(name, body[name]) for name in EDITABLE_FIELDS}
    return Token(
        id=body["token"],
        created_at=at,
        created_by=entry.actor,
        current_version=1,
        versions=(TokenVersion(1, body["fingerprint"], at, entry.actor),),
        discovered=is_discovery(body["source"]),
        **values,
    )


def is_discovery(source: str) -> bool:
    """A token.create source `import:<report format>:…`: found by a secret scanner."""
    kind, _, rest = source.partition(":")
    return kind == "import" and rest.partition(":")[0] in REPORT_FORMATS


def scanned(token: Token, leak: Mapping[str, Any], entry: Entry) -> Token:
    """The token after a `scan` entry reports one of its versions leaked: exposed from then on
    if that version is the live secret and the leak was not accepted; a rotation clears it."""
    if leak["name"] != token.name:
        raise ReplayError(f"entry {entry.seq} names token {token.id} differently")
    version = _version(token, leak["version"], entry)
    if version.fingerprint != leak["fingerprint"]:
        raise ReplayError(f"entry {entry.seq}: leaked version does not match the token")
    live = not token.revoked and version.number == token.current_version
    if not live or leak["baselined"] or token.exposed_at is not None:
        return token
    return replace(token, exposed_at=parse_ts(entry.ts))


def apply_token(token: Token, entry: Entry) -> Token:
    """The token after a token.* entry other than token.create."""
    body = entry.body
    if body["token"] != token.id or body["name"] != token.name:
        raise ReplayError(f"entry {entry.seq} names token {body['token']} differently")
    at = parse_ts(entry.ts)
    handler = _TOKEN_HANDLERS.get(entry.type)
    if handler is None:
        raise ReplayError(f"{entry.type} is not a token change")
    return handler(token, entry, at)


def _update(token: Token, entry: Entry, at: datetime) -> Token:
    current = token_fields_json(token)
    values: dict[str, Any] = {}
    for name, change in entry.body["changes"].items():
        if change["before"] != current[name]:
            raise ReplayError(f"entry {entry.seq}: {name} 'before' does not match the token")
        if change["before"] == change["after"]:
            raise ReplayError(f"entry {entry.seq}: {name} does not change")
        values[name] = field_from_json(name, change["after"])
    return replace(token, **values)


def _rotate(token: Token, entry: Entry, at: datetime) -> Token:
    body = entry.body
    _require_active(token, entry)
    old = token.current
    if body["retired"] != {"version": old.number, "fingerprint": old.fingerprint}:
        raise ReplayError(f"entry {entry.seq}: retired version does not match the token")
    if body["version"] != max(v.number for v in token.versions) + 1:
        raise ReplayError(f"entry {entry.seq}: rotation must add the next version number")
    if body["expires_at"]["before"] != field_to_json("expires_at", token.expires_at):
        raise ReplayError(f"entry {entry.seq}: expires_at 'before' does not match the token")
    versions = tuple(replace(v, retired_at=at) if v is old else v for v in token.versions)
    new = TokenVersion(body["version"], body["fingerprint"], at, entry.actor)
    return replace(
        token,
        versions=(*versions, new),
        current_version=new.number,
        last_rotated_at=at,
        expires_at=field_from_json("expires_at", body["expires_at"]["after"]),
        exposed_at=None,
    )


def _revoke(token: Token, entry: Entry, at: datetime) -> Token:
    _require_active(token, entry)
    body = entry.body
    return replace(
        token,
        revoked_at=at,
        revoked_by=entry.actor,
        revoke_reason=RevokeReason(body["reason"]),
        revoke_ticket=body["ticket"],
        revoke_note=body["note"],
    )


def _reveal(token: Token, entry: Entry, at: datetime) -> Token:
    version = _version(token, entry.body["version"], entry)
    if version.fingerprint != entry.body["fingerprint"] or version.destroyed_at is not None:
        raise ReplayError(f"entry {entry.seq}: revealed version does not match the token")
    return replace(token, last_used_at=at)


def _review(token: Token, entry: Entry, at: datetime) -> Token:
    _require_active(token, entry)
    return replace(token, last_reviewed_at=at)


def _destroy(token: Token, entry: Entry, at: datetime) -> Token:
    numbers = entry.body["versions"]
    if not numbers or len(set(numbers)) != len(numbers):
        raise ReplayError(f"entry {entry.seq}: versions must be distinct and non-empty")
    for number in numbers:
        version = _version(token, number, entry)
        if version.destroyed_at is not None:
            raise ReplayError(f"entry {entry.seq}: version {number} is already destroyed")
        if not token.revoked and number == token.current_version:
            raise ReplayError(f"entry {entry.seq}: the current secret of a live token stays")
    versions = tuple(
        replace(v, destroyed_at=at) if v.number in numbers else v for v in token.versions
    )
    return replace(token, versions=versions)


def _version(token: Token, number: int, entry: Entry) -> TokenVersion:
    for version in token.versions:
        if version.number == number:
            return version
    raise ReplayError(f"entry {entry.seq}: token {token.id} has no version {number}")


def _require_active(token: Token, entry: Entry) -> None:
    if token.revoked:
        raise ReplayError(f"entry {entry.seq}: token {token.id} is revoked")


_TOKEN_HANDLERS = {
    "token.update": _update,
    "token.rotate": _rotate,
    "token.revoke": _revoke,
    "token.reveal": _reveal,
    "token.review": _review,
    "token.destroy": _destroy,
}


# ---- members and policy ------------------------------------------------------------------


def member_added(entry: Entry, member: Mapping[str, Any]) -> Member:
    return Member(
        id=member["id"],
        role=Role(member["role"]),
        display_name=member["display_name"],
        ed25519=bytes.fromhex(member["ed25519"]),
        x25519=bytes.fromhex(member["x25519"]),
        added_at=parse_ts(entry.ts),
        added_by=entry.actor,
    )


def member_removed(member: Member, entry: Entry) -> Member:
    return replace(member, removed_at=parse_ts(entry.ts), removed_by=entry.actor)


def policy_updated(policy: Policy, entry: Entry) -> Policy:
    current = policy.to_json()
    changes = entry.body["changes"]
    for key, change in changes.items():
        if change["before"] != current[key]:
            raise ReplayError(f"entry {entry.seq}: policy {key} 'before' does not match")
    new, diff = policy.updated({k: c["after"] for k, c in changes.items()})
    if diff != changes:
        raise ReplayError(f"entry {entry.seq}: policy changes are not in canonical form")
    return new


def may_review(member: Member, token: Token) -> bool:
    """An attestation that a token is still needed comes from its owner, or from an admin."""
    return member.role is Role.ADMIN or token.owner == member.id


# ---- the whole vault ---------------------------------------------------------------------


@dataclass
class VaultState:
    """Everything the journal determines: members, roles, epoch, policy, token metadata."""

    vault_id: str
    vault_name: str
    fp_key_id: str
    policy: Policy
    epoch: int = GENESIS_EPOCH
    members: dict[str, Member] = field(default_factory=dict)
    tokens: dict[int, Token] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    size: int = 0

    @classmethod
    def from_genesis(cls, entry: Entry) -> VaultState:
        body = entry.body
        if entry.type != "vault.genesis" or entry.seq != 0:
            raise ReplayError("the journal must start with vault.genesis at seq 0")
        if body["member"]["id"] != entry.actor or body["member"]["role"] != Role.ADMIN:
            raise ReplayError("the genesis entry must introduce its signer as an admin")
        state = cls(
            vault_id=entry.vault,
            vault_name=body["vault_name"],
            fp_key_id=body["fp_key_id"],
            policy=Policy.from_json(body["policy"]),
        )
        state.members[entry.actor] = member_added(entry, body["member"])
        state.size = 1
        return state

    def signer(self, entry: Entry) -> Member:
        """The member who must have signed `entry`, after checking they were allowed to."""
        member = self.members.get(entry.actor)
        if member is None or not member.active:
            raise ReplayError(f"entry {entry.seq}: {entry.actor} is not an active member")
        role = required_role(entry.type)
        if role is Role.ADMIN and member.role is not Role.ADMIN:
            raise ReplayError(f"entry {entry.seq}: {entry.type} needs an admin")
        if entry.type == "member.passphrase" and entry.body["member"] != entry.actor:
            raise ReplayError(f"entry {entry.seq}: members change only their own passphrase")
        if entry.type == "token.review":
            token = self.tokens.get(entry.body["token"])
            if token is not None and not may_review(member, token):
                raise ReplayError(f"entry {entry.seq}: only the owner or an admin reviews")
        return member

    def apply(self, entry: Entry) -> None:
        """Apply entry `self.size` (the caller has checked chain, signature and signer)."""
        if entry.seq != self.size or entry.vault != self.vault_id:
            raise ReplayError(f"entry {entry.seq} is out of sequence or from another vault")
        kind = entry.type
        body = entry.body
        if kind == "vault.genesis":
            raise ReplayError(f"entry {entry.seq}: a second vault.genesis")
        if kind == "token.create":
            token = token_created(entry)
            if token.id in self.tokens:
                raise ReplayError(f"entry {entry.seq}: token id {token.id} already exists")
            self._claim_name(token, entry)
            self.tokens[token.id] = token
        elif kind.startswith("token."):
            old = self.tokens.get(body["token"])
            if old is None:
                raise ReplayError(f"entry {entry.seq}: no token {body['token']}")
            new = apply_token(old, entry)
            if new.name != old.name:
                self._claim_name(new, entry)
                del self.names[old.name]
            self.tokens[new.id] = new
        elif kind == "member.add":
            member = member_added(entry, body["member"])
            if member.id in self.members:
                raise ReplayError(f"entry {entry.seq}: member id {member.id} was used before")
            self.members[member.id] = member
        elif kind == "member.remove":
            self._remove_member(entry)
        elif kind == "policy.update":
            self.policy = policy_updated(self.policy, entry)
        elif kind == "scan":
            self._scan(entry)
        elif kind not in ("member.passphrase", "unlock.failed", "journal.export", "import"):
            raise ReplayError(f"entry {entry.seq}: {kind} cannot be replayed")
        self.size += 1

    def _scan(self, entry: Entry) -> None:
        seen: set[tuple[int, int]] = set()
        for leak in entry.body["leaked"]:
            key = (leak["token"], leak["version"])
            if key in seen:
                raise ReplayError(f"entry {entry.seq}: a leaked version is listed twice")
            seen.add(key)
            token = self.tokens.get(leak["token"])
            if token is None:
                raise ReplayError(f"entry {entry.seq}: no token {leak['token']}")
            self.tokens[token.id] = scanned(token, leak, entry)

    def _remove_member(self, entry: Entry) -> None:
        target = self.members.get(entry.body["member"])
        if target is None or not target.active:
            raise ReplayError(f"entry {entry.seq}: {entry.body['member']} is not active")
        if target.id == entry.actor:
            raise ReplayError(f"entry {entry.seq}: members cannot remove themselves")
        if entry.body["epoch"] != self.epoch + 1:
            raise ReplayError(f"entry {entry.seq}: epoch must advance by one")
        admins = [m for m in self.members.values() if m.active and m.role is Role.ADMIN]
        if target.role is Role.ADMIN and len(admins) == 1:
            raise ReplayError(f"entry {entry.seq}: the last admin cannot be removed")
        self.members[target.id] = member_removed(target, entry)
        self.epoch = entry.body["epoch"]

    def _claim_name(self, token: Token, entry: Entry) -> None:
        if token.name in self.names:
            raise ReplayError(f"entry {entry.seq}: token name already in use")
        self.names[token.name] = token.id
