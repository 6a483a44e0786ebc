"""Backup: a consistent, still-encrypted copy of an unlocked vault (vault.db + keys.json).

A file copy of a live WAL database can tear, and keys.json must be the version that vault.db
expects, so the pair is taken under the shared keys.lock and one read snapshot, built in a
private temporary directory, checked, and renamed into place.
"""

from __future__ import annotations

import errno
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tokenvault.crypto.keyfile import MAX_KEYFILE_BYTES, parse_keyfile
from tokenvault.domain.errors import ConflictError, IntegrityError, OperationalError
from tokenvault.services import keystore
from tokenvault.services.paths import VaultPaths
from tokenvault.services.session import Session
from tokenvault.storage import fs
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database, integrity_problems

# attempts.log is state local to this vault directory (failed unlocks not yet folded into the
# journal) and keys.lock only a lock: a restored vault starts without them, as a new one does.
BACKUP_FILES = ("keys.json", "vault.db")


@dataclass(frozen=True, slots=True)
class Backup:
    """What was written; `entries` and `root` identify the journal state the copy holds."""

    path: Path
    entries: int  # journal size in the copy
    root: str  # Merkle root (hex) of that journal: compare with a checkpoint to pin the copy
    files: tuple[str, ...]


def backup(session: Session, dest_dir: Path) -> Backup:
    """Write a backup of the unlocked vault to `dest_dir` (which must not exist, or be empty).

    The copy opens with the same members and passphrases as the vault at the time of the
    backup. Only vault.db and keys.json are copied: attempts.log is this machine's record of
    failed unlocks (folded into the journal on the next unlock here), not part of the vault."""
    fs.restrict_umask()
    dek = session.dek  # VaultLockedError before anything touches the disk
    dest_dir = Path(dest_dir)
    _check_destination(session.paths, dest_dir)
    if not dest_dir.parent.exists():
        fs.ensure_private_dir(dest_dir.parent)
    staging = dest_dir.parent / f".{dest_dir.name}.backup-{secrets.token_hex(4)}"
    try:
        staging.mkdir(mode=fs.PRIVATE_DIR)
    except OSError as exc:
        raise OperationalError(f"cannot create {staging}: {exc.strerror}") from None
    try:
        entries, root = _build(session, dek, VaultPaths(staging))
        _rename_into_place(staging, dest_dir)
    except BaseException:
        fs.remove_tree_quietly(staging)
        raise
    return Backup(dest_dir, entries, root.hex(), BACKUP_FILES)


def _check_destination(vault: VaultPaths, dest_dir: Path) -> None:
    if dest_dir.exists() and (not dest_dir.is_dir() or any(dest_dir.iterdir())):
        raise ConflictError(f"{dest_dir} already exists and is not empty")
    root = vault.root.resolve()
    target = dest_dir.resolve()
    if target == root or root in target.parents:
        raise ConflictError(f"{dest_dir} is inside the vault directory; back up elsewhere")


def _build(session: Session, dek: bytes, copy: VaultPaths) -> tuple[int, bytes]:
    """Copy keys.json and vault.db as one consistent pair; return the copy's journal head.

    The shared keys.lock keeps key changes (which hold it exclusively) from changing either
    file between the two reads; the read snapshot makes the db copy the state we checked."""
    with fs.file_lock(session.paths.lock, shared=True), session.read() as db:
        data = _read_keyfile(session.paths)
        _check_pair(db, data, dek)
        head = journal_rows.head(db)
        db.copy_to(copy.db, dek)
    fs.atomic_write(copy.keys, data)
    _check_copy(copy, data, dek, head.size, head.frontier.root())
    return head.size, head.frontier.root()


def _read_keyfile(paths: VaultPaths) -> bytes:
    try:
        return fs.read_private(paths.keys, MAX_KEYFILE_BYTES)
    except fs.FileTooLarge:
        raise IntegrityError(f"keys.json is too large (over {MAX_KEYFILE_BYTES} bytes)") from None


def _check_pair(db: Database, data: bytes, dek: bytes) -> None:
    """Refuse to back up a pair that would not unlock: keys.json must carry this data key's
    MAC and be the version the database expects."""
    keyfile = parse_keyfile(data)
    if keyfile.pending is not None:
        raise ConflictError(
            "keys.json holds an interrupted key change; unlock the vault again to settle it, "
            "then back up"
        )
    keyfile.check_mac(dek)
    keystore.check_matches(db, keyfile)


def _check_copy(copy: VaultPaths, data: bytes, dek: bytes, size: int, root: bytes) -> None:
    """Read the written files back: same key-file bytes, a healthy db under the same key with
    the journal head we recorded, and nothing else in the directory."""
    if fs.read_private(copy.keys, MAX_KEYFILE_BYTES) != data:
        raise IntegrityError("backup: keys.json was not written back intact")
    fs.check_private(copy.db, is_dir=False)
    db = Database.open(copy.db, dek)
    try:
        head = journal_rows.head(db)
    finally:
        db.close()
    if (head.size, head.frontier.root()) != (size, root):
        raise IntegrityError("backup: the copied journal head differs from the one recorded")
    if integrity_problems(copy.db, dek):
        raise IntegrityError("backup: the copy of vault.db fails its integrity check")
    names = tuple(sorted(p.name for p in copy.root.iterdir()))
    if names != BACKUP_FILES:
        raise IntegrityError(f"backup: unexpected files in the copy: {', '.join(names)}")


def _rename_into_place(staging: Path, dest_dir: Path) -> None:
    """rename(2): atomic, and allowed onto an empty directory; a non-empty one (created since
    we looked) is refused by the kernel, so nothing of the user's is ever replaced."""
    try:
        os.replace(staging, dest_dir)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise ConflictError(f"{dest_dir} already exists and is not empty") from None
        raise OperationalError(f"cannot create {dest_dir}: {exc.strerror}") from None
    try:
        fs.fsync_dir(dest_dir.parent)
    except OSError as exc:
        raise OperationalError(f"cannot sync {dest_dir.parent}: {exc.strerror}") from None
