"""verify(): everything that can be checked with the vault unlocked.

1. vault.db: cipher_integrity_check (every page's HMAC) and integrity_check, on a fresh
   connection; 2. keys.json: MAC, generation, epoch, slots = active members; 3. the journal:
   every line (canonical form, schema, chain, timestamps, signers and roles, signatures,
   proofs of possession) and the stored leaf hashes and roots; 4. the stored checkpoint:
   size, root and signature; 5. the stored state equals the state replayed from the journal
   (tokens, versions, members, policy, epoch); 6. each stored secret matches its fingerprint,
   and destroyed ones are gone; 7. the journal extends this client's cached checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tokenvault.audit.chain import ChainResult, verify_chain
from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.crypto.signing import verify as verify_signature
from tokenvault.domain import checkpoint as cp
from tokenvault.domain.errors import IntegrityError, TokenVaultError
from tokenvault.domain.merkle import Frontier
from tokenvault.domain.replay import VaultState
from tokenvault.services import checkpoints, keystore
from tokenvault.services.session import Session
from tokenvault.storage import fs, meta, rows
from tokenvault.storage import journal as journal_rows
from tokenvault.storage.db import Database, integrity_problems


@dataclass(frozen=True, slots=True)
class VerifyReport:
    problems: tuple[str, ...]
    entries: int
    root: str
    genesis_hash: str
    first_ts: str
    last_ts: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise IntegrityError(self.problems[0])


def verify(session: Session) -> VerifyReport:
    problems: list[str] = []
    try:
        # cipher_integrity_check reads the main file only: fold the WAL in first.
        session.checkpoint_wal()
        for page in integrity_problems(session.db.path, session.dek):
            problems.append(f"vault.db: {page}")
    except TokenVaultError as exc:
        problems.append(str(exc))
    chain = ChainResult()
    cached, cache_problem = _cached(session)  # before the snapshot: it can only be older
    if cache_problem:
        problems.append(cache_problem)
    # keys.lock first (no key change may commit between our reads of keys.json and of the
    # database), then one read snapshot for everything in vault.db.
    with fs.exclusive_lock(session.paths.lock), session.read() as db:
        try:
            keyfile = keystore.read(session.paths)
            keyfile.check_mac(session.dek)
            keystore.check_matches(db, keyfile)
        except TokenVaultError as exc:
            problems.append(str(exc))
        try:
            chain = _check_journal(db, session.vault_id, problems)
        except TokenVaultError as exc:
            problems.append(str(exc))
        if chain.ok and chain.state is not None:
            try:
                _check_state(db, session, chain.state, problems)
                _check_checkpoint(db, chain, problems)
                problems.extend(_check_seen(db, session, cached, chain.frontier.size))
            except TokenVaultError as exc:
                problems.append(str(exc))
    return VerifyReport(
        problems=tuple(problems),
        entries=chain.frontier.size,
        root=chain.frontier.root().hex(),
        genesis_hash=chain.genesis_hash,
        first_ts=chain.first_ts,
        last_ts=chain.last_ts,
    )


def _cached(session: Session) -> tuple[checkpoints.SeenCheckpoint | None, str | None]:
    try:
        return checkpoints.load(session.cache_path), None
    except TokenVaultError as exc:
        return None, str(exc)


def _check_seen(
    db: Database, session: Session, cached: checkpoints.SeenCheckpoint | None, size: int
) -> list[str]:
    """The journal must extend what this client saw: in this session and in its cache."""
    if session.unlock_info.rollback is not None:
        return [session.unlock_info.rollback]
    found: list[str] = []
    for checkpoint in (session.seen, cached):
        if checkpoint is None:
            continue
        problem = checkpoints.extends(db, size, checkpoint, recompute=True)
        if problem and problem not in found:
            found.append(problem)
    return found


def _check_journal(db: Database, vault_id: str, problems: list[str]) -> ChainResult:
    stored: list[journal_rows.JournalRow] = []

    def lines() -> Iterator[bytes]:
        for row in journal_rows.rows(db):
            stored.append(row)
            yield row.line

    chain = verify_chain(lines(), expected_vault=vault_id)
    if chain.failure is not None:
        problems.append(f"journal entry {chain.failure.seq}: {chain.failure.reason}")
        return chain
    tree = Frontier()
    for row, leaf in zip(stored, chain.leaves, strict=True):
        tree.append(leaf)
        if row.leaf != leaf or row.root != tree.root():
            problems.append(f"journal entry {row.seq}: stored leaf hash or root is wrong")
            break
    return chain


def _check_checkpoint(db: Database, chain: ChainResult, problems: list[str]) -> None:
    size, root, note = journal_rows.stored_note(db)
    if size != chain.frontier.size or root != chain.frontier.root():
        problems.append("the stored checkpoint does not match the journal")
        return
    try:
        checkpoint, signatures = cp.parse_note(note)
    except TokenVaultError as exc:
        problems.append(f"stored checkpoint: {exc}")
        return
    if (checkpoint.size, checkpoint.root) != (size, root):
        problems.append("the stored checkpoint note does not match the journal")
        return
    state = chain.state
    assert state is not None
    prefix = cp.key_name(state.vault_id, "")
    for signature in signatures:
        member = state.members.get(signature.key_name.removeprefix(prefix))
        if member is None or not signature.key_name.startswith(prefix):
            problems.append(f"stored checkpoint is signed by an unknown key {signature.key_name}")
            continue
        if signature.key_id != cp.key_id(signature.key_name, member.ed25519) or not (
            verify_signature(member.ed25519, checkpoint.body(), signature.signature)
        ):
            problems.append("the stored checkpoint's signature does not verify")


def _check_state(db: Database, session: Session, state: VaultState, problems: list[str]) -> None:
    stored_tokens = {t.id: t for t in rows.all_tokens(db)}
    for token_id in sorted(set(stored_tokens) | set(state.tokens)):
        if stored_tokens.get(token_id) != state.tokens.get(token_id):
            problems.append(f"token {token_id}: stored state differs from the journal's replay")
    stored_members = {m.id: m for m in rows.all_members(db)}
    if stored_members != state.members:
        problems.append("members: stored state differs from the journal's replay")
    if meta.get_policy(db) != state.policy:
        problems.append("policy: stored policy differs from the journal's replay")
    if meta.get_int(db, "epoch") != state.epoch:
        problems.append("key epoch: stored epoch differs from the journal's replay")
    if meta.get(db, "vault_name") != state.vault_name:
        problems.append("vault name differs from the genesis entry")
    key_id = meta.get(db, "fp_key_id")
    if key_id != state.fp_key_id:
        problems.append("fingerprint key id differs from the genesis entry")
    for token_id, number, fp, secret in rows.iter_secrets(db):
        token = state.tokens.get(token_id)
        version = next((v for v in token.versions if v.number == number), None) if token else None
        destroyed = version is not None and version.destroyed_at is not None
        if secret is None and not destroyed:
            problems.append(f"token {token_id} v{number}: the secret is missing")
        elif secret is not None and destroyed:
            problems.append(f"token {token_id} v{number}: a destroyed secret is still stored")
        elif secret is not None and fingerprint(session.fp_key, key_id, secret) != fp:
            problems.append(f"token {token_id} v{number}: secret does not match its fingerprint")
