"""Unlock: passphrase -> Argon2id -> private keys -> HPKE box -> data key -> SQLCipher.

Then the checks that make a stolen or edited copy fail loudly: the key file's MAC and
generation against the database, slots against the journal's members, the stored checkpoint
against the journal, and the journal against the checkpoint this client saw last (rollback /
fork). An interrupted key change is settled here. Failed attempts are recorded, and folded into
the journal on the next success.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from tokenvault.crypto.keyfile import KeyFile
from tokenvault.crypto.keys import WRONG_PASSPHRASE, MemberKeys, WrappedKeys, unwrap_keys
from tokenvault.crypto.recovery import normalize_recovery_code
from tokenvault.domain.errors import AuthenticationError, IntegrityError, NotFoundError
from tokenvault.domain.merkle import hash_leaf
from tokenvault.domain.model import Secret
from tokenvault.domain.text import check_member_id
from tokenvault.services import attempts, checkpoints, keychange, keystore, labels
from tokenvault.services.clock import Clock, system_clock
from tokenvault.services.create import RECOVERY_MEMBER
from tokenvault.services.labels import LABEL_NAME
from tokenvault.services.paths import VaultPaths, default_state_dir
from tokenvault.services.session import Session, UnlockInfo
from tokenvault.storage import fs, meta, rows, schema
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database, UnreadableDatabase


def unlock(
    vault_dir: Path,
    member_id: str,
    passphrase: Secret,
    *,
    clock: Clock = system_clock,
    state_dir: Path | None = None,
) -> Session:
    """An unlocked session for `member_id`, or AuthenticationError / IntegrityError."""
    fs.restrict_umask()
    paths = VaultPaths(Path(vault_dir))
    member_id = check_member_id(member_id)
    if not paths.keys.exists():
        raise NotFoundError(f"no vault at {paths.root}")
    fs.check_private(paths.root, is_dir=True)
    if member_id == RECOVERY_MEMBER:
        try:
            passphrase = Secret(normalize_recovery_code(passphrase.expose_text()))
        except (AuthenticationError, UnicodeDecodeError):
            attempts.record(paths, member_id, clock())
            raise AuthenticationError(WRONG_PASSPHRASE) from None
    with contextlib.ExitStack() as stack:
        # A shared lock: no key change (they hold it exclusively) can commit between our
        # read of keys.json and our checks of it against vault.db.
        stack.enter_context(fs.file_lock(paths.lock, shared=True))
        keyfile = keystore.read(paths)
        if keyfile.pending is not None:  # settle it under the exclusive lock, on a fresh read
            stack.close()
            stack.enter_context(fs.exclusive_lock(paths.lock))
            keyfile = keystore.read(paths)
        pending = keyfile.pending
        if pending is not None and pending.kind == "rekey" and pending.member == member_id:
            raise AuthenticationError(f"member {member_id} has been removed")
        keys, used = _authenticate(paths, keyfile, member_id, passphrase, clock)
        dek, new_dek = keystore.data_keys(keyfile, member_id, keys)
        keyfile.check_mac(dek)
        if not paths.db.exists():
            raise IntegrityError("vault.db is missing from the vault directory")
        fs.check_private(paths.db, is_dir=False)
        db, db_has_new_key = _open_database(paths, dek, new_dek)
        try:
            schema.migrate(db)
            if meta.get(db, "vault_id") != keyfile.vault:
                raise IntegrityError("keys.json and vault.db belong to different vaults")
            me = rows.member(db, member_id)
            if me is None or not me.active:
                raise AuthenticationError(f"member {member_id} has been removed")
            repaired = None
            if pending is not None:
                keyfile, dek = keychange.settle(
                    paths, keyfile, db, dek, new_dek, db_has_new_key=db_has_new_key
                )
                repaired = f"an interrupted key change ({pending.kind}) was settled"
            keystore.check_matches(db, keyfile)
            slot = keyfile.slot(member_id)
            if slot is None or slot.keys != used:  # unlocked with a slot that did not commit
                attempts.record(paths, member_id, clock())
                raise AuthenticationError(WRONG_PASSPHRASE)
            session = _session(paths, db, me.id, keys, dek, clock, state_dir)
        except BaseException:
            db.close()
            raise
    _after_unlock(session, repaired)
    return session


def member_ids(vault_dir: Path) -> list[str]:
    """Who can unlock this vault (key-file slots, recovery last), before any passphrase: the
    faces use it to pick the member. The key file is parsed strictly; nothing is trusted
    until unlock checks it against the journal."""
    paths = VaultPaths(Path(vault_dir))
    if not paths.keys.exists():
        raise NotFoundError(f"no vault at {paths.root}")
    fs.check_private(paths.root, is_dir=True)
    with fs.file_lock(paths.lock, shared=True):
        keyfile = keystore.read(paths)
    ids = [slot.member for slot in keyfile.slots]
    return sorted(ids, key=lambda m: (m == RECOVERY_MEMBER, m))


def _authenticate(
    paths: VaultPaths, keyfile: KeyFile, member_id: str, passphrase: Secret, clock: Clock
) -> tuple[MemberKeys, WrappedKeys]:
    slot = keyfile.slot(member_id)
    candidates = [slot] if slot is not None else []
    pending = keyfile.pending
    if (
        pending is not None
        and pending.kind == "passphrase"
        and pending.member == member_id
        and pending.previous is not None
    ):
        candidates.append(pending.previous)  # the change may not have committed
    if not candidates:
        attempts.record(paths, member_id, clock())
        raise AuthenticationError(f"{member_id} is not a member of this vault (unknown or removed)")
    for candidate in candidates:
        try:
            keys = unwrap_keys(
                keyfile.vault,
                member_id,
                candidate.keys,
                candidate.ed25519,
                candidate.x25519,
                passphrase,
            )
        except AuthenticationError:
            continue
        return keys, candidate.keys
    attempts.record(paths, member_id, clock())
    raise AuthenticationError(WRONG_PASSPHRASE)


def _open_database(paths: VaultPaths, dek: bytes, new_dek: bytes | None) -> tuple[Database, bool]:
    try:
        return Database.open(paths.db, dek), False
    except UnreadableDatabase:
        if new_dek is None:
            raise IntegrityError(
                "vault.db does not open with the key in keys.json: damaged or replaced"
            ) from None
    try:
        return Database.open(paths.db, new_dek), True
    except UnreadableDatabase:
        raise IntegrityError(
            "vault.db does not open with the key in keys.json: damaged or replaced"
        ) from None


def _session(
    paths: VaultPaths,
    db: Database,
    member_id: str,
    keys: MemberKeys,
    dek: bytes,
    clock: Clock,
    state_dir: Path | None,
) -> Session:
    with db.snapshot():  # several reads that must agree while others may be writing
        vault_id = meta.get(db, "vault_id")
        member = rows.member(db, member_id)
        genesis = journal_rows.line_at(db, 0)
        if member is None or genesis is None:
            raise IntegrityError("vault.db has no genesis entry or lost the member")
        head = journal_rows.head(db)
        vault_name = meta.get(db, "vault_name")
        fp_key = bytes.fromhex(meta.get(db, "fp_key"))
        fp_key_id = meta.get(db, "fp_key_id")
    return Session(
        paths=paths,
        vault_id=vault_id,
        vault_name=vault_name,
        member=member,
        clock=clock,
        cache_path=checkpoints.cache_file(state_dir or default_state_dir(), vault_id, member_id),
        _db=db,
        _keys=keys,
        _dek=dek,
        _fp_key=fp_key,
        fp_key_id=fp_key_id,
        genesis_hash=hash_leaf(genesis).hex(),
        seen=checkpoints.SeenCheckpoint(head.size, head.frontier.root()),
    )


def _after_unlock(session: Session, repaired: str | None) -> None:
    """Compare with the cached checkpoint, fold failed attempts, remember the head (and the
    vault's name, for the next unlock screen)."""
    labels.remember(session.cache_path.parent / LABEL_NAME, session.vault_name)
    warnings: list[str] = []
    try:
        cached = checkpoints.load(session.cache_path)
    except Exception as exc:  # a damaged cache must not lock the member out
        warnings.append(str(exc))
        cached = None
    db = session.db
    head = journal_rows.head(db)
    rollback = None
    if cached is not None:
        rollback = checkpoints.extends(db, head.size, cached, recompute=True)
    if rollback is not None:
        session.unlock_info = UnlockInfo(
            failed_attempts=attempts.unfolded(session),
            rollback=rollback,
            repaired=repaired,
            last_seen=cached.seen_at if cached else None,
            warnings=tuple(warnings),
        )
        return
    session.seen = checkpoints.SeenCheckpoint(head.size, head.frontier.root())
    folded = attempts.fold(session)
    session.advance(session.seen.size, session.seen.root)
    session.unlock_info = UnlockInfo(
        failed_attempts=folded,
        repaired=repaired,
        last_seen=cached.seen_at if cached else None,
        warnings=tuple(warnings),
    )
