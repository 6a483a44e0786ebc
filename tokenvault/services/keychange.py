"""Key-file changes that survive a crash at any instant: add member, change passphrase,
remove member (rekey). keys.json and vault.db cannot change in one atomic step, so:

1. under keys.lock and inside the journal transaction, keys.json is replaced by a *staged*
   file: the new state plus a `pending` record naming the journal seq that will confirm it;
2. the journal entry and its state change commit (or do not);
3. `settle()` reads the journal at that seq: confirmed -> the staged state becomes final
   (for a removal: PRAGMA rekey to the new data key, then the final file); not confirmed ->
   the previous state is restored. settle() runs right after step 2 and, if the process died,
   at the next unlock by any remaining member. Every step is an atomic file replace or an
   atomic SQLCipher transaction, so each member can always open the vault.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from tokenvault.crypto import kdf as kdf_mod
from tokenvault.crypto.keyfile import KeyFile, Pending, Slot
from tokenvault.crypto.keys import MemberKeys, new_dek, seal_dek, wrap_keys
from tokenvault.crypto.publickeys import is_valid_ed25519_public, is_valid_x25519_public
from tokenvault.domain.canonical import CanonicalError
from tokenvault.domain.errors import (
    ConflictError,
    IntegrityError,
    NotAllowedError,
    NotFoundError,
    TokenVaultError,
    ValidationError,
)
from tokenvault.domain.journal import decode_entry, pop_message
from tokenvault.domain.model import Member, Role, Secret, Token
from tokenvault.domain.replay import member_added, member_body, member_removed
from tokenvault.domain.text import check_member_id
from tokenvault.domain.validate import check_display_name, check_new_passphrase
from tokenvault.services import keystore
from tokenvault.services.paths import VaultPaths
from tokenvault.services.session import Session
from tokenvault.storage import fs, meta, rows
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database


@dataclass(frozen=True, slots=True)
class Removal:
    member: Member
    epoch: int
    exposed: tuple[Token, ...]  # live tokens they could read: rotate these at the provider


def settle(
    paths: VaultPaths,
    keyfile: KeyFile,
    db: Database,
    dek: bytes,
    new_dek: bytes | None,
    *,
    db_has_new_key: bool = False,
) -> tuple[KeyFile, bytes]:
    """Resolve `keyfile.pending` against the journal; write and return the settled file and
    the data key that now opens the database. Call with keys.lock held."""
    pending = keyfile.pending
    if pending is None:
        return keyfile, dek
    generation = meta.get_int(db, "keys_generation")
    confirmed = _confirmed(db, pending)
    settled: KeyFile
    if pending.kind == "rekey" and confirmed:
        if new_dek is None or pending.epoch is None:
            raise IntegrityError("keys.json: a confirmed rekey has no new key for this member")
        if not db_has_new_key:
            db.rekey(new_dek)
        # Until checkpointed, the main file still holds pages under the old key.
        db.checkpoint_wal()
        slots = tuple(
            replace(slot, dek_box=pending.boxes[slot.member])
            for slot in keyfile.slots
            if slot.member in pending.boxes
        )
        settled = KeyFile(keyfile.vault, pending.epoch, generation, slots).sealed(new_dek)
        keystore.write(paths, settled)
        return settled, new_dek
    slots = keyfile.slots
    if not confirmed and pending.kind == "add":
        slots = tuple(s for s in slots if s.member != pending.member)
    elif not confirmed and pending.kind == "passphrase" and pending.previous is not None:
        slots = tuple(pending.previous if s.member == pending.member else s for s in slots)
    settled = replace(keyfile, slots=slots, pending=None, generation=generation).sealed(dek)
    keystore.write(paths, settled)
    return settled, dek


def _confirmed(db: Database, pending: Pending) -> bool:
    """Did the journal entry this pending change waits for commit (and is it that entry)?"""
    line = journal_rows.line_at(db, pending.seq)
    if line is None:
        return False
    try:
        entry = decode_entry(line)
    except CanonicalError:
        raise IntegrityError(f"journal entry {pending.seq} is malformed; run verify") from None
    body = entry.body
    if pending.kind == "add":
        return entry.type == "member.add" and body["member"]["id"] == pending.member
    if pending.kind == "passphrase":
        return entry.type == "member.passphrase" and body["member"] == pending.member
    return (
        entry.type == "member.remove"
        and body["member"] == pending.member
        and body["epoch"] == pending.epoch
    )


@contextlib.contextmanager
def _key_change(
    session: Session, new_dek: bytes | None = None
) -> Iterator[tuple[KeyFile, Callable[[KeyFile], None]]]:
    """Hold keys.lock, hand out the current key file and a `stage` function; settle at the
    end whether the journal transaction committed or not."""
    paths = session.paths
    with fs.exclusive_lock(paths.lock):
        keyfile = keystore.read(paths)
        keyfile.check_mac(session.dek)
        if keyfile.pending is not None:  # a crash left one behind since we unlocked
            current, pending_dek = keystore.data_keys(keyfile, session.member.id, session.keys)
            keyfile, dek = settle(paths, keyfile, session.db, current, pending_dek)
            session.replace_dek(dek)
        staged: list[KeyFile] = []

        def stage(new: KeyFile) -> None:
            keystore.write(paths, new)
            staged.append(new)

        try:
            yield keyfile, stage
        except BaseException:
            if staged:
                with contextlib.suppress(TokenVaultError):  # else: the next unlock settles
                    settle(paths, staged[-1], session.db, session.dek, new_dek)
            raise
        if staged:
            _, dek = settle(paths, staged[-1], session.db, session.dek, new_dek)
            session.replace_dek(dek)


def _require_admin(session: Session) -> None:
    if not session.is_admin:
        raise NotAllowedError("only an admin can manage members")


def add_member(
    session: Session,
    member_id: str,
    role: Role | str,
    passphrase: Secret,
    *,
    display_name: str = "",
    kdf: kdf_mod.KdfParams | None = None,
) -> Member:
    """Add a member whose passphrase is set now (by them, at the admin's keyboard or from a
    file). The new key signs a proof of possession that the journal keeps."""
    _require_admin(session)
    member_id = check_member_id(member_id)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError("role must be admin or operator") from None
    display_name = check_display_name(display_name)
    check_new_passphrase(passphrase)
    keys = MemberKeys.generate()
    if not (
        is_valid_ed25519_public(keys.ed25519_public) and is_valid_x25519_public(keys.x25519_public)
    ):
        raise IntegrityError("generated member keys failed validation")  # never expected
    vault = session.vault_id
    with _key_change(session) as (keyfile, stage):
        if rows.member(session.db, member_id) is not None:
            raise ConflictError(f"member id {member_id} is already taken (ids are never reused)")
        own = keyfile.slot(session.member.id)
        params = kdf_mod.check_params(kdf) if kdf else own.keys.kdf if own else kdf_mod.DEFAULT
        slot = Slot(
            member=member_id,
            keys=wrap_keys(vault, member_id, keys, passphrase, params),  # Argon2: before BEGIN
            ed25519=keys.ed25519_public,
            x25519=keys.x25519_public,
            dek_box=seal_dek(session.dek, keys.x25519_public, vault, keyfile.epoch),
        )
        member_json = member_body(
            member_id, role, display_name, keys.ed25519_public, keys.x25519_public
        )
        pop = keys.sign(pop_message(vault, member_json["ed25519"], member_json["x25519"]))
        with session.write() as writer:
            db = writer.db
            if rows.member(db, member_id) is not None:
                raise ConflictError(f"member id {member_id} is already taken")
            generation = meta.get_int(db, "keys_generation") + 1
            stage(
                replace(
                    keyfile,
                    generation=generation,
                    slots=(*keyfile.slots, slot),
                    pending=Pending("add", writer.next_seq, member_id),
                ).sealed(session.dek)
            )
            entry = writer.append("member.add", {"member": member_json, "pop": pop.hex()})
            member = member_added(entry, member_json)
            rows.save_member(db, member)
            meta.put(db, "keys_generation", str(generation))
    return member


def change_passphrase(
    session: Session, new_passphrase: Secret, *, kdf: kdf_mod.KdfParams | None = None
) -> None:
    """Re-wrap this member's private keys under a new passphrase (new salt)."""
    check_new_passphrase(new_passphrase)
    me = session.member.id
    with _key_change(session) as (keyfile, stage):
        old = keyfile.slot(me)
        if old is None:
            raise IntegrityError(f"keys.json has no slot for {me}")
        params = kdf_mod.check_params(kdf) if kdf else old.keys.kdf
        new = replace(
            old, keys=wrap_keys(session.vault_id, me, session.keys, new_passphrase, params)
        )
        with session.write() as writer:
            generation = meta.get_int(writer.db, "keys_generation") + 1
            stage(
                replace(
                    keyfile,
                    generation=generation,
                    slots=tuple(new if s.member == me else s for s in keyfile.slots),
                    pending=Pending("passphrase", writer.next_seq, me, previous=old),
                ).sealed(session.dek)
            )
            writer.append("member.passphrase", {"member": me})
            meta.put(writer.db, "keys_generation", str(generation))


def remove_member(session: Session, member_id: str) -> Removal:
    """Remove a member: new data key, PRAGMA rekey, re-seal to everyone else, epoch + 1.
    Returns the live tokens they could read: a saved copy of the old files still opens."""
    _require_admin(session)
    member_id = check_member_id(member_id)
    if member_id == session.member.id:
        raise ConflictError("you cannot remove yourself; ask another admin")
    dek = new_dek()
    vault = session.vault_id
    with _key_change(session, new_dek=dek) as (keyfile, stage), session.write() as writer:
        db = writer.db
        target = rows.member(db, member_id)
        if target is None or not target.active:
            raise NotFoundError(f"no active member {member_id}")
        admins = [m for m in rows.all_members(db) if m.active and m.role is Role.ADMIN]
        if target.role is Role.ADMIN and len(admins) <= 1:
            raise ConflictError("the last admin cannot be removed")
        epoch = keyfile.epoch + 1
        boxes = {
            s.member: seal_dek(dek, s.x25519, vault, epoch)
            for s in keyfile.slots
            if s.member != member_id
        }
        generation = meta.get_int(db, "keys_generation") + 1
        stage(
            replace(
                keyfile,
                generation=generation,
                pending=Pending("rekey", writer.next_seq, member_id, epoch=epoch, boxes=boxes),
            ).sealed(session.dek)
        )
        entry = writer.append("member.remove", {"member": member_id, "epoch": epoch})
        removed = member_removed(target, entry)
        rows.save_member(db, removed)
        meta.put(db, "epoch", str(epoch))
        meta.put(db, "keys_generation", str(generation))
        exposed = tuple(
            t for t in rows.all_tokens(db) if not t.revoked and t.current.destroyed_at is None
        )
    return Removal(removed, epoch, exposed)
