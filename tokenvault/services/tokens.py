"""Token use cases: add, edit, rotate, revoke, reveal/copy, review, destroy old secrets, read.

Each mutation validates inside the write transaction (so a concurrent writer cannot slip in
between check and change), appends its signed entry, and stores exactly what
`replay.apply_token` says the entry does. A reveal commits its journal entry before the secret
is returned: no use without a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain import limits
from tokenvault.domain.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.model import EDITABLE_FIELDS, RevealHow, RevokeReason, Secret, Token
from tokenvault.domain.replay import (
    apply_token,
    field_to_json,
    is_discovery,
    may_review,
    token_created,
)
from tokenvault.domain.text import clean_text
from tokenvault.domain.timefmt import truncate_ms
from tokenvault.domain.validate import check_secret, check_token_rules, clean_field, clean_fields
from tokenvault.services.listing import collector_paused
from tokenvault.services.session import JournalWriter, Session
from tokenvault.storage import journal as journal_rows
from tokenvault.storage import meta, rows
from tokenvault.storage.db import Database

_UNCHANGED: Any = object()


@dataclass(frozen=True, slots=True)
class TokenDraft:
    """A new token's metadata, as a face collects it (cleaned and checked by `add`)."""

    name: str
    owner: str = ""
    service: str = ""
    environment: str = ""
    scopes: Sequence[str] = ()
    used_by: Sequence[str] = ()
    tags: Sequence[str] = ()
    notes: str = ""
    expires_at: datetime | None = None
    rotate_every_days: int | None = None
    issued_at: datetime | None = None  # default: now, or an earlier given rotation/expiry
    last_rotated_at: datetime | None = None  # default: issued_at


def _load(db: Database, name: str) -> Token:
    token = rows.token_by_name(db, name)
    if token is None:
        raise NotFoundError(f"no token named {name!r:.80}")
    return token


def _fp(session: Session, secret: Secret) -> str:
    return fingerprint(session.fp_key, session.fp_key_id, secret.expose())


def _apply(writer: JournalWriter, token: Token, entry_type: str, body: dict[str, Any]) -> Token:
    entry = writer.append(entry_type, body)
    new = apply_token(token, entry)
    rows.save_token(writer.db, new)
    return new


def draft_values(draft: TokenDraft, now: datetime) -> dict[str, Any]:
    """A draft's fields, cleaned, with the defaults `add` applies (the TUI form checks them)."""
    issued = draft.issued_at
    if issued is None:  # unknown: now, or the earliest past date we were given
        known = [d for d in (draft.last_rotated_at, draft.expires_at) if isinstance(d, datetime)]
        issued = min([now, *(truncate_ms(d) for d in known)])
    return clean_fields(
        {
            "name": draft.name,
            "service": draft.service,
            "environment": draft.environment,
            "owner": draft.owner,
            "scopes": draft.scopes,
            "used_by": draft.used_by,
            "tags": draft.tags,
            "notes": draft.notes,
            "issued_at": issued,
            "expires_at": draft.expires_at,
            "rotate_every_days": draft.rotate_every_days,
            "last_rotated_at": draft.last_rotated_at or issued,
        }
    )


def add(session: Session, draft: TokenDraft, secret: Secret, *, source: str = "") -> Token:
    """Inventory a token and store its secret (version 1)."""
    return add_many(session, [(draft, secret)], source=source)[0]


@collector_paused()  # a batch builds ~10 objects per token, none in a cycle
def add_many(
    session: Session, items: Sequence[tuple[TokenDraft, Secret]], *, source: str = ""
) -> list[Token]:
    """Inventory several tokens in ONE transaction: all of them, or none (imports)."""
    now = truncate_ms(session.clock())
    prepared = prepare_many(items, now, source)
    with session.write() as writer:
        return create_prepared(session, writer, prepared, now)


Prepared = tuple[dict[str, Any], Secret, str]


def prepare_many(
    items: Sequence[tuple[TokenDraft, Secret]], now: datetime, source: str | Sequence[str]
) -> list[Prepared]:
    """Check each secret and clean each draft; `source` is one for all or one per item."""
    sources = [source] * len(items) if isinstance(source, str) else list(source)
    prepared = []
    for (draft, secret), src in zip(items, sources, strict=True):
        check_secret(secret)
        cleaned = clean_text(src, field="source", max_len=limits.FIELD_MAX)
        prepared.append((draft_values(draft, now), secret, cleaned))
    return prepared


def create_prepared(
    session: Session, writer: JournalWriter, prepared: Sequence[Prepared], now: datetime
) -> list[Token]:
    """Journal and store each prepared token inside the caller's write transaction (so an
    import can append its own entry to the same transaction)."""
    db = writer.db
    policy = meta.get_policy(db)
    token_id = rows.next_token_id(db)
    taken = rows.names_taken(db, [values["name"] for values, _, _ in prepared])
    seen: set[str] = set()
    bodies: list[dict[str, Any]] = []
    for values, secret, source in prepared:
        check_token_rules(values, policy, now, discovered=is_discovery(source))
        name = values["name"]
        if name in seen or name in taken:
            raise ConflictError(f"a token named {name!r:.80} already exists")
        seen.add(name)
        bodies.append(
            {
                "token": token_id,
                **{field: field_to_json(field, values[field]) for field in EDITABLE_FIELDS},
                "version": 1,
                "fingerprint": _fp(session, secret),
                "source": source,
            }
        )
        token_id += 1
    # Every check is done: sign and chain the entries, then write entries, tokens, versions
    # and secrets with one statement per table (the transaction makes it all or nothing).
    created = [token_created(entry) for entry in writer.append_many("token.create", bodies)]
    rows.insert_new_tokens(db, created, [secret.expose() for _, secret, _ in prepared])
    return created


def edit(
    session: Session,
    name: str,
    changes: Mapping[str, Any],
    *,
    add_scopes: Iterable[str] = (),
    remove_scopes: Iterable[str] = (),
) -> Token:
    """Change metadata (never the secret). Unchanged values are ignored; nothing to change
    means no journal entry."""
    cleaned = clean_fields(changes)
    extra_add, extra_remove = list(add_scopes), list(remove_scopes)
    with session.write() as writer:
        db = writer.db
        token = _load(db, name)
        if extra_add or extra_remove:
            base = cleaned.get("scopes", token.scopes)
            removed = set(clean_field("scopes", extra_remove))
            merged = [s for s in (*base, *clean_field("scopes", extra_add)) if s not in removed]
            cleaned["scopes"] = clean_field("scopes", merged)
        diff = {
            key: {"before": field_to_json(key, getattr(token, key)), "after": field_to_json(key, v)}
            for key, v in cleaned.items()
            if v != getattr(token, key)
        }
        if not diff:
            return token
        values = {key: getattr(token, key) for key in EDITABLE_FIELDS} | cleaned
        # A discovered token may be tagged or described before someone takes it over.
        policy, now = meta.get_policy(db), truncate_ms(session.clock())
        check_token_rules(values, policy, now, discovered=token.discovered)
        if "name" in diff and rows.token_by_name(db, cleaned["name"]) is not None:
            raise ConflictError(f"a token named {cleaned['name']!r:.80} already exists")
        return _apply(
            writer, token, "token.update", {"token": token.id, "name": token.name, "changes": diff}
        )


def rotate(
    session: Session, name: str, secret: Secret, *, expires_at: datetime | None = _UNCHANGED
) -> Token:
    """Store a new secret version; the previous one is retired (kept until destroyed)."""
    check_secret(secret)
    with session.write() as writer:
        db = writer.db
        token = _load(db, name)
        if token.revoked:
            raise ConflictError(f"{token.name} is revoked; add a new token instead")
        new_expiry = (
            token.expires_at if expires_at is _UNCHANGED else clean_field("expires_at", expires_at)
        )
        now = truncate_ms(session.clock())
        if new_expiry is not None and new_expiry <= now and expires_at is not _UNCHANGED:
            raise ValidationError("the new expiry is already in the past")
        fp = _fp(session, secret)
        if any(v.fingerprint == fp for v in token.versions):
            raise ConflictError("that secret was already used by this token; rotate to a new one")
        old = token.current
        number = max(v.number for v in token.versions) + 1
        body = {
            "token": token.id,
            "name": token.name,
            "version": number,
            "fingerprint": fp,
            "retired": {"version": old.number, "fingerprint": old.fingerprint},
            "expires_at": {
                "before": field_to_json("expires_at", token.expires_at),
                "after": field_to_json("expires_at", new_expiry),
            },
        }
        new = _apply(writer, token, "token.rotate", body)
        rows.put_secret(db, new.id, number, secret.expose())
    return new


def revoke(
    session: Session,
    name: str,
    reason: RevokeReason | str,
    *,
    ticket: str = "",
    note: str = "",
) -> Token:
    try:
        reason = RevokeReason(reason)
    except ValueError:
        choices = ", ".join(r.value for r in RevokeReason)
        raise ValidationError(f"reason must be one of: {choices}") from None
    ticket = clean_text(ticket, field="ticket", max_len=limits.FIELD_MAX)
    note = clean_text(note, field="note", max_len=limits.NOTE_MAX)
    with session.write() as writer:
        token = _load(writer.db, name)
        if token.revoked:
            raise ConflictError(f"{token.name} is already revoked")
        body = {
            "token": token.id,
            "name": token.name,
            "reason": reason.value,
            "ticket": ticket,
            "note": note,
        }
        return _apply(writer, token, "token.revoke", body)


def reveal(
    session: Session,
    name: str,
    *,
    how: RevealHow | str = RevealHow.VIEW,
    version: int | None = None,
    require_text: bool = False,
) -> Secret:
    """The secret, after its `token.reveal` entry has committed. With `require_text` (a
    clipboard takes text only) a secret that is not UTF-8 is refused before anything is
    journaled."""
    how = RevealHow(how)
    with session.write() as writer:
        db = writer.db
        token = _load(db, name)
        number = token.current_version if version is None else version
        chosen = next((v for v in token.versions if v.number == number), None)
        if chosen is None:
            raise NotFoundError(f"{token.name} has no version {number}")
        if chosen.destroyed_at is not None:
            raise ConflictError(f"version {number} of {token.name} was destroyed")
        value = rows.secret(db, token.id, number)
        if value is None:
            raise ConflictError(f"version {number} of {token.name} has no stored secret")
        if require_text and not _is_text(value):
            raise ValidationError(f"{token.name} is not text; it cannot go on a clipboard")
        body = {
            "token": token.id,
            "name": token.name,
            "version": number,
            "fingerprint": chosen.fingerprint,
            "how": how.value,
        }
        _apply(writer, token, "token.reveal", body)
    return Secret(value)  # only now: the entry is committed


def _is_text(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def review(session: Session, name: str, *, note: str = "") -> Token:
    """The owner's (or an admin's) attestation: still needed, scope still right."""
    note = clean_text(note, field="note", max_len=limits.NOTE_MAX)
    with session.write() as writer:
        token = _load(writer.db, name)
        if token.revoked:
            raise ConflictError(f"{token.name} is revoked; there is nothing to review")
        if not may_review(session.member, token):
            raise NotAllowedError(f"only the owner ({token.owner or 'none'}) or an admin reviews")
        return _apply(
            writer, token, "token.review", {"token": token.id, "name": token.name, "note": note}
        )


def destroy_secrets(session: Session, name: str, versions: Sequence[int] | None = None) -> Token:
    """Erase stored secrets: retired versions of any token, or every version once revoked.
    Metadata, fingerprints and the journal stay."""
    with session.write() as writer:
        db = writer.db
        token = _load(db, name)
        eligible = [
            v.number
            for v in token.versions
            if v.destroyed_at is None and (token.revoked or v.number != token.current_version)
        ]
        chosen = eligible if versions is None else list(dict.fromkeys(versions))
        if not chosen:
            raise ConflictError(f"{token.name} has no secret that may be destroyed")
        bad = [n for n in chosen if n not in eligible]
        if bad:
            raise ConflictError(
                f"version(s) {', '.join(map(str, bad))} of {token.name} cannot be destroyed "
                "(the current secret of a live token, already destroyed, or unknown)"
            )
        new = _apply(
            writer,
            token,
            "token.destroy",
            {"token": token.id, "name": token.name, "versions": sorted(chosen)},
        )
        rows.destroy_secrets(db, token.id, chosen)
    session.checkpoint_wal()  # move the zeroed pages out of the WAL into the main file
    return new


# ---- reading -----------------------------------------------------------------------------


def get(session: Session, name: str) -> Token:
    with session.read() as db:
        return _load(db, name)


def list_tokens(session: Session) -> list[Token]:
    with session.read() as db:
        return rows.all_tokens(db)


def history(session: Session, name: str, limit: int = 50) -> list[Entry]:
    """The latest journal entries about one token, newest first."""
    with session.read() as db:
        token = _load(db, name)
        return [decode_entry(line) for line in journal_rows.lines_for_token(db, token.id, limit)]
