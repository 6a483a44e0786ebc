"""Reading and writing keys.json, and opening the data keys a member's slot gives access to."""

from __future__ import annotations

from tokenvault.crypto.keyfile import MAX_KEYFILE_BYTES, KeyFile, parse_keyfile
from tokenvault.crypto.keys import MemberKeys, open_dek
from tokenvault.domain.errors import IntegrityError
from tokenvault.services.paths import VaultPaths
from tokenvault.storage import fs, meta, rows
from tokenvault.storage.db import Database


def read(paths: VaultPaths) -> KeyFile:
    try:
        data = fs.read_private(paths.keys, MAX_KEYFILE_BYTES)
    except fs.FileTooLarge:  # no legitimate key file is this big: someone made it so
        raise IntegrityError(f"keys.json is too large (over {MAX_KEYFILE_BYTES} bytes)") from None
    return parse_keyfile(data)


def write(paths: VaultPaths, keyfile: KeyFile) -> None:
    fs.atomic_write(paths.keys, keyfile.serialize())


def data_keys(keyfile: KeyFile, member: str, keys: MemberKeys) -> tuple[bytes, bytes | None]:
    """(DEK of the file's epoch, DEK of a pending rekey or None) for a member with a slot."""
    slot = keyfile.slot(member)
    if slot is None:
        raise IntegrityError(f"keys.json has no slot for {member}")
    current = open_dek(slot.dek_box, keys, keyfile.vault, keyfile.epoch)
    pending = keyfile.pending
    new = None
    if pending is not None and pending.kind == "rekey" and member in pending.boxes:
        if pending.epoch is None:
            raise IntegrityError("keys.json: a pending rekey has no epoch")
        new = open_dek(pending.boxes[member], keys, keyfile.vault, pending.epoch)
    return current, new


def check_matches(db: Database, keyfile: KeyFile) -> None:
    """keys.json must be the file this database expects: same epoch and generation (a replayed
    older copy is caught here), one slot per active member with the journal's public keys."""
    if keyfile.epoch != meta.get_int(db, "epoch"):
        raise IntegrityError("keys.json is from another key epoch than vault.db")
    if keyfile.generation != meta.get_int(db, "keys_generation"):
        raise IntegrityError(
            "keys.json is not the version vault.db expects: an older copy was restored "
            "or the file was replaced"
        )
    active = {m.id: m for m in rows.all_members(db) if m.active}
    if set(active) != keyfile.members():
        raise IntegrityError("keys.json slots do not match the vault's active members")
    for slot in keyfile.slots:
        member = active[slot.member]
        if member.ed25519 != slot.ed25519 or member.x25519 != slot.x25519:
            raise IntegrityError(f"keys.json: slot {slot.member} has keys the journal never saw")
