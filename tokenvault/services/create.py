"""Creating a vault: keys, key file, schema, genesis entry and the recovery member, all built
in a private temporary directory and renamed into place, so a crash leaves no half-vault."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tokenvault.crypto import kdf as kdf_mod
from tokenvault.crypto.fingerprint import new_fp_key
from tokenvault.crypto.keyfile import KeyFile, Slot
from tokenvault.crypto.keys import MemberKeys, new_dek, seal_dek, wrap_keys
from tokenvault.crypto.recovery import new_recovery_code
from tokenvault.domain.errors import ConflictError, OperationalError, ValidationError
from tokenvault.domain.journal import ZERO_HASH, pop_message
from tokenvault.domain.merkle import Frontier
from tokenvault.domain.model import Role, Secret
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.replay import GENESIS_EPOCH, member_added, member_body
from tokenvault.domain.text import check_member_id
from tokenvault.domain.timefmt import format_ts
from tokenvault.domain.validate import check_display_name, check_new_passphrase, check_vault_name
from tokenvault.services import checkpoints, keystore
from tokenvault.services.clock import Clock, system_clock
from tokenvault.services.paths import VaultPaths, default_state_dir
from tokenvault.services.session import JournalWriter
from tokenvault.storage import fs, meta, rows, schema
from tokenvault.storage.db import Database

RECOVERY_MEMBER = "recovery"
FP_KEY_ID = "k1"


@dataclass(frozen=True, slots=True)
class CreatedVault:
    path: Path
    vault_id: str
    member_id: str
    genesis_hash: str  # record it outside the vault: it pins the journal's first entry
    recovery_code: Secret  # shown once; unlocks the `recovery` admin member


def create_vault(
    vault_dir: Path,
    *,
    name: str,
    member_id: str,
    passphrase: Secret,
    display_name: str = "",
    kdf: kdf_mod.KdfParams | None = None,
    clock: Clock = system_clock,
    state_dir: Path | None = None,
) -> CreatedVault:
    """Create a vault at `vault_dir` (which must not exist, or be empty)."""
    fs.restrict_umask()
    name = check_vault_name(name)
    member_id = check_member_id(member_id)
    if member_id == RECOVERY_MEMBER:
        raise ValidationError(f"'{RECOVERY_MEMBER}' is reserved for the recovery kit")
    display_name = check_display_name(display_name)
    check_new_passphrase(passphrase)
    params = kdf_mod.check_params(kdf) if kdf is not None else kdf_mod.calibrate()
    vault_dir = Path(vault_dir)
    if vault_dir.exists() and (not vault_dir.is_dir() or any(vault_dir.iterdir())):
        raise ConflictError(f"{vault_dir} already exists and is not empty")
    if not vault_dir.parent.exists():
        fs.ensure_private_dir(vault_dir.parent)
    staging = vault_dir.parent / f".{vault_dir.name}.creating-{secrets.token_hex(4)}"
    try:
        staging.mkdir(mode=fs.PRIVATE_DIR)
    except OSError as exc:
        raise OperationalError(f"cannot create {staging}: {exc.strerror}") from None
    try:
        created = _build(
            VaultPaths(staging), name, member_id, display_name, passphrase, params, clock
        )
        os.replace(staging, vault_dir)  # rename(2): atomic, and allowed onto an empty dir
        fs.fsync_dir(vault_dir.parent)
    except BaseException:
        fs.remove_tree_quietly(staging)
        raise
    vault_id, genesis_hash, code, head = created
    cache = checkpoints.cache_file(state_dir or default_state_dir(), vault_id, member_id)
    checkpoints.save(cache, checkpoints.SeenCheckpoint(head.size, head.root(), clock()))
    return CreatedVault(vault_dir, vault_id, member_id, genesis_hash, code)


def _build(
    paths: VaultPaths,
    name: str,
    member_id: str,
    display_name: str,
    passphrase: Secret,
    params: kdf_mod.KdfParams,
    clock: Clock,
) -> tuple[str, str, Secret, Frontier]:
    vault_id = secrets.token_hex(16)
    dek = new_dek()
    creator, recovery = MemberKeys.generate(), MemberKeys.generate()
    code = Secret(new_recovery_code())
    slots = tuple(
        Slot(
            member=mid,
            keys=wrap_keys(vault_id, mid, keys, secret, params),
            ed25519=keys.ed25519_public,
            x25519=keys.x25519_public,
            dek_box=seal_dek(dek, keys.x25519_public, vault_id, GENESIS_EPOCH),
        )
        for mid, keys, secret in (
            (member_id, creator, passphrase),
            (RECOVERY_MEMBER, recovery, code),
        )
    )
    keystore.write(paths, KeyFile(vault_id, GENESIS_EPOCH, 1, slots).sealed(dek))

    db = Database.open(paths.db, dek, create=True)
    try:
        schema.migrate(db)
        with db.transaction():
            writer = JournalWriter(
                db,
                vault_id=vault_id,
                actor=member_id,
                keys=creator,
                clock=clock,
                frontier=Frontier(),
                prev=bytes.fromhex(ZERO_HASH),
                last_ts="",
            )
            fp_key = new_fp_key()
            for key, value in (
                ("vault_id", vault_id),
                ("vault_name", name),
                ("fp_key", fp_key.hex()),
                ("fp_key_id", FP_KEY_ID),
                ("epoch", str(GENESIS_EPOCH)),
                ("keys_generation", "1"),
                ("created_at", format_ts(clock())),
            ):
                meta.put(db, key, value)
            meta.put_policy(db, DEFAULT_POLICY)
            creator_json = member_body(
                member_id, Role.ADMIN, display_name, creator.ed25519_public, creator.x25519_public
            )
            genesis = writer.append(
                "vault.genesis",
                {
                    "vault_name": name,
                    "member": creator_json,
                    "fp_key_id": FP_KEY_ID,
                    "policy": DEFAULT_POLICY.to_json(),
                },
            )
            rows.save_member(db, member_added(genesis, creator_json))
            recovery_json = member_body(
                RECOVERY_MEMBER,
                Role.ADMIN,
                "Recovery kit",
                recovery.ed25519_public,
                recovery.x25519_public,
            )
            pop = recovery.sign(
                pop_message(vault_id, recovery_json["ed25519"], recovery_json["x25519"])
            )
            added = writer.append("member.add", {"member": recovery_json, "pop": pop.hex()})
            rows.save_member(db, member_added(added, recovery_json))
            writer.finish()
        db.checkpoint_wal()
    finally:
        db.close()
    return vault_id, genesis.leaf_hash.hex(), code, writer.frontier
