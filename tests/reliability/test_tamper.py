"""Tampering with a vault's files is detected, reported as our error, and never accepted.

The attacker edits vault.db (bit flips, or SQL with the data key as an insider would), keys.json
(other members' slots, the slot list, an older copy) or the WAL of a crashed client. Each case
must end in a one-line tokenvault error at unlock, a failing `verify()` naming the damage, or a
rollback warning that refuses writes: a silent success is the bug these tests exist to catch.
Everything is real: SQLCipher files, Argon2id at the floor, Ed25519 and HPKE.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlcipher3 import dbapi2

from tests.conftest import MEMBER, PASSPHRASE, T0, StepClock, Template, unlock
from tests.reliability._tamper_support import (
    PAGE_SIZE,
    RESERVE,
    assert_clean_error,
    drop_journal_triggers,
    expect_error,
    flip_byte,
    other_hex,
    page_owners,
    raw_db,
    read_keys,
    slot_of,
    write_keys,
)
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.crypto.keys import WRONG_PASSPHRASE, MemberKeys
from tokenvault.domain.errors import AuthenticationError, IntegrityError
from tokenvault.domain.journal import Entry
from tokenvault.domain.merkle import Frontier, hash_leaf
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.services.session import signed_note

BOB = "bob"
BOB_PASSPHRASE = "bob passphrase 1"
MAC_MISMATCH = "keys.json: MAC mismatch"
NOT_EXPECTED_VERSION = "keys.json is not the version vault.db expects"
DOES_NOT_OPEN = "vault.db does not open with the key in keys.json"
LATER = T0 + timedelta(hours=1)  # after the template's creation, like conftest's `clock`


# ---- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bob_template(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared template plus an operator `bob`, built once: three slots, generation 2."""
    root = tmp_path_factory.mktemp("bob-template")
    target = root / "vault"
    shutil.copytree(template.path, target)
    session = unlock(target, StepClock(LATER), root / "state")
    try:
        services.members.add_member(session, BOB, "operator", Secret(BOB_PASSPHRASE), kdf=FLOOR)
    finally:
        session.lock()
    return target


@pytest.fixture
def bob_vault(bob_template: Path, tmp_path: Path) -> Path:
    """A private copy per test: tests below edit its files."""
    target = tmp_path / "bob-vault"
    shutil.copytree(bob_template, target)
    return target


def unlock_alice(vault_dir: Path, state_dir: Path, passphrase: str = PASSPHRASE) -> Session:
    return unlock(vault_dir, StepClock(LATER), state_dir, MEMBER, passphrase)


def journal_size(vault_dir: Path, dek: bytes) -> int:
    with raw_db(vault_dir / "vault.db", dek) as conn:
        return int(conn.execute("SELECT count(*) FROM journal").fetchone()[0])


# ---- vault.db: bit flips -----------------------------------------------------------------

# Tables and indexes unlock reads (meta, members, journal, checkpoint and their indexes):
# damage there must stop unlock; damage elsewhere is found by verify().
READ_AT_UNLOCK = frozenset(
    {
        "meta",
        "sqlite_autoindex_meta_1",
        "members",
        "sqlite_autoindex_members_1",
        "journal",
        "journal_leaves",  # the rollback/fork check reads every leaf hash
        "checkpoint",
    }
)


@dataclass(frozen=True)
class Flip:
    page: str  # "header" (page 1), "last", or the table/index whose root page is hit
    offset: int  # within the page
    unlock_error: str | None  # what unlock says, or None: unlock works and verify() catches it


FLIPS = {
    "header-salt": Flip("header", 0, DOES_NOT_OPEN),
    "header-body": Flip("header", 100, DOES_NOT_OPEN),
    "header-hmac": Flip("header", PAGE_SIZE - 1, DOES_NOT_OPEN),
    "journal-page": Flip("journal", PAGE_SIZE // 2, "vault.db is damaged"),
    "members-page": Flip("members", 10, "vault.db is damaged"),
    "middle-page": Flip("token_versions", PAGE_SIZE // 2, None),
    "middle-page-iv": Flip("token_versions", PAGE_SIZE - RESERVE + 3, None),
    "last-page-body": Flip("last", 50, None),
    "last-page-hmac": Flip("last", PAGE_SIZE - 1, None),
}


@pytest.mark.parametrize("flip", FLIPS.values(), ids=FLIPS.keys())
def test_flipped_byte_in_vault_db_is_detected(
    flip: Flip, session: Session, vault_dir: Path, state_dir: Path
) -> None:
    """SQLCipher's per-page HMAC catches any flipped byte: at unlock when the page is one
    unlock reads, otherwise in verify() (cipher_integrity_check) and at the first read."""
    db_path = vault_dir / "vault.db"
    with raw_db(db_path, session.dek) as conn:
        owners = page_owners(conn)
        page_count = int(conn.execute("PRAGMA page_count").fetchone()[0])
    session.lock()  # closes the last connection: the WAL is folded into vault.db and removed
    assert not (vault_dir / "vault.db-wal").exists()
    assert db_path.stat().st_size == page_count * PAGE_SIZE
    if flip.page == "header":
        page = 1
    elif flip.page == "last":
        # The last page that unlock never reads (the premise of expecting verify, not unlock,
        # to catch it); the journal's leaf index, read at unlock, may sit after it.
        page = max(n for n in range(2, page_count + 1) if owners.get(n) not in READ_AT_UNLOCK)
    else:
        page = next(number for number, name in owners.items() if name == flip.page)
    flip_byte(db_path, (page - 1) * PAGE_SIZE + flip.offset)

    if flip.unlock_error is not None:
        expect_error(IntegrityError, lambda: unlock_alice(vault_dir, state_dir), flip.unlock_error)
        return
    damaged = unlock_alice(vault_dir, state_dir)
    try:
        report = services.verify(damaged)
        assert not report.ok, "verify() accepted a vault.db with a flipped byte"
        assert f"vault.db: HMAC verification failed for page {page}" in report.problems
        with pytest.raises(IntegrityError) as info:
            report.raise_for_problems()
        assert_clean_error(info.value, IntegrityError)
        if flip.page == "token_versions":  # reading through the damaged page fails cleanly
            expect_error(
                IntegrityError, lambda: services.tokens.list_tokens(damaged), "vault.db is damaged"
            )
    finally:
        damaged.lock()


# ---- the WAL of a crashed client ------------------------------------------------------


@pytest.mark.parametrize("where", ["wal-header", "first-frame", "last-frame"])
def test_flipped_byte_in_a_crashed_clients_wal_is_reported_as_rollback(
    where: str, vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    """SQLite treats a WAL frame with a bad checksum as a torn write and silently drops it and
    every frame after it: committed entries vanish. The client's cached checkpoint is what
    notices; the vault must say "rollback" and refuse writes, not carry on quietly."""
    live = unlock_alice(vault_dir, state_dir)
    services.tokens.add(live, TokenDraft(name="first", owner=MEMBER), Secret("s-1"))
    services.tokens.add(live, TokenDraft(name="second", owner=MEMBER), Secret("s-2"))
    seen = live.seen.size
    crashed = tmp_path / "crashed"  # the files as a power cut would leave them: WAL not folded
    crashed.mkdir(mode=0o700)
    for name in ("vault.db", "vault.db-wal", "keys.json"):
        shutil.copy2(vault_dir / name, crashed / name)
    live.lock()
    wal = crashed / "vault.db-wal"
    size = wal.stat().st_size
    offset = {"wal-header": 10, "first-frame": 32 + 24 + 100, "last-frame": size - 100}[where]
    flip_byte(wal, offset)

    session = unlock_alice(crashed, state_dir)
    try:
        rollback = session.unlock_info.rollback
        assert rollback is not None, "entries vanished with the WAL and nobody was told"
        assert rollback.startswith("rollback:")
        assert f"already saw {seen}" in rollback
        expect_error(
            IntegrityError,
            lambda: services.tokens.add(session, TokenDraft(name="x", owner=MEMBER), Secret("s")),
            "writes refused",
        )
    finally:
        session.lock()


# ---- keys.json ---------------------------------------------------------------------------

SLOT_FIELDS = ["wrapped", "dek", "ed25519", "x25519", "nonce", "kdf.salt", "kdf.time_cost"]


def edit_slot_field(slot: dict[str, Any], field: str) -> None:
    """Change one field so it still parses (valid hex, same length, in-bounds KDF cost)."""
    if field == "kdf.time_cost":
        slot["kdf"]["time_cost"] += 1
    elif field == "kdf.memory_kib":
        slot["kdf"]["memory_kib"] *= 2
    elif field == "kdf.salt":
        slot["kdf"]["salt"] = other_hex(slot["kdf"]["salt"])
    else:
        slot[field] = other_hex(slot[field])


@pytest.mark.parametrize("field", [*SLOT_FIELDS, "kdf.memory_kib"])
@pytest.mark.parametrize("member", [BOB, "recovery"])
def test_edited_slot_of_another_member_fails_the_mac(
    member: str, field: str, bob_vault: Path, state_dir: Path
) -> None:
    """Alice cannot check bob's slot cryptographically (she lacks his passphrase), so the MAC
    over the whole file must catch it, or bob's slot could be swapped for an attacker's."""
    data = read_keys(bob_vault)
    edit_slot_field(slot_of(data, member), field)
    write_keys(bob_vault, data)
    expect_error(IntegrityError, lambda: unlock_alice(bob_vault, state_dir), MAC_MISMATCH)


@pytest.mark.parametrize("field", [*SLOT_FIELDS, "kdf.memory_kib"])
def test_edited_own_slot_looks_like_a_wrong_passphrase(
    field: str, vault_dir: Path, state_dir: Path
) -> None:
    """By design a damaged own slot and a wrong passphrase are indistinguishable (AES-GCM with
    the KDF parameters and public keys in the AAD): AuthenticationError, same message."""
    data = read_keys(vault_dir)
    edit_slot_field(slot_of(data, MEMBER), field)
    write_keys(vault_dir, data)
    exc = expect_error(AuthenticationError, lambda: unlock_alice(vault_dir, state_dir))
    assert str(exc) == WRONG_PASSPHRASE


def _remove_bob(data: dict[str, Any]) -> None:
    data["slots"] = [s for s in data["slots"] if s["member"] != BOB]


def _duplicate_bob(data: dict[str, Any]) -> None:
    data["slots"].append(dict(slot_of(data, BOB)))


def _add_renamed_copy(data: dict[str, Any]) -> None:
    data["slots"].append({**slot_of(data, BOB), "member": "mallory"})


def _add_bogus_slot(data: dict[str, Any]) -> None:
    bogus = json.loads(json.dumps(slot_of(data, BOB)))
    for field in ("wrapped", "dek", "ed25519", "x25519", "nonce"):
        bogus[field] = "ab" * (len(bogus[field]) // 2)
    data["slots"].append({**bogus, "member": "mallory"})


def _reorder(data: dict[str, Any]) -> None:
    data["slots"].reverse()


def _swap_member_names(data: dict[str, Any]) -> None:
    bob, recovery = slot_of(data, BOB), slot_of(data, "recovery")
    bob["member"], recovery["member"] = "recovery", BOB


def _bump_generation(data: dict[str, Any]) -> None:
    data["generation"] += 1


def _edit_mac(data: dict[str, Any]) -> None:
    data["mac"] = other_hex(data["mac"])


def _inject_pending(data: dict[str, Any]) -> None:
    data["pending"] = {
        "kind": "add",
        "seq": 99,
        "member": "mallory",
        "previous": None,
        "epoch": None,
        "boxes": {},
    }


SLOT_SET_EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "removed-slot": (_remove_bob, MAC_MISMATCH),
    "duplicated-slot": (_duplicate_bob, "keys.json: duplicate slot for member bob"),
    "added-renamed-copy": (_add_renamed_copy, MAC_MISMATCH),
    "added-bogus-slot": (_add_bogus_slot, MAC_MISMATCH),
    "reordered-slots": (_reorder, MAC_MISMATCH),
    "swapped-member-names": (_swap_member_names, MAC_MISMATCH),
    "generation-bumped": (_bump_generation, MAC_MISMATCH),
    "mac-edited": (_edit_mac, MAC_MISMATCH),
    "injected-pending-record": (_inject_pending, MAC_MISMATCH),
}


@pytest.mark.parametrize(("edit", "message"), SLOT_SET_EDITS.values(), ids=SLOT_SET_EDITS.keys())
def test_edited_slot_list_is_refused(
    edit: Callable[[dict[str, Any]], None], message: str, bob_vault: Path, state_dir: Path
) -> None:
    """Adding, removing, duplicating or reshuffling slots (or the file's own bookkeeping) is
    how an attacker would grant or revoke access: each is an IntegrityError at unlock."""
    data = read_keys(bob_vault)
    edit(data)
    write_keys(bob_vault, data)
    expect_error(IntegrityError, lambda: unlock_alice(bob_vault, state_dir), message)


def _change_passphrase(session: Session) -> None:
    services.members.change_passphrase(session, Secret("a brand new passphrase"), kdf=FLOOR)


def _add_bob(session: Session) -> None:
    services.members.add_member(session, BOB, "operator", Secret(BOB_PASSPHRASE), kdf=FLOOR)


def _remove_recovery(session: Session) -> None:
    services.members.remove_member(session, "recovery")


REPLAYS: dict[str, tuple[Callable[[Session], None], str]] = {
    "after-passphrase-change": (_change_passphrase, NOT_EXPECTED_VERSION),
    "after-adding-a-member": (_add_bob, NOT_EXPECTED_VERSION),
    "after-removing-a-member": (_remove_recovery, DOES_NOT_OPEN),
}


@pytest.mark.parametrize(("change", "message"), REPLAYS.values(), ids=REPLAYS.keys())
def test_older_keys_json_restored_is_refused(
    change: Callable[[Session], None],
    message: str,
    session: Session,
    vault_dir: Path,
    state_dir: Path,
) -> None:
    """A replayed older key file is internally valid (its MAC was right once): the generation
    mirrored in vault.db catches it, and after a removal the old data key no longer opens it.
    Otherwise a replay would resurrect an old passphrase or a removed member's slot."""
    old = (vault_dir / "keys.json").read_bytes()
    change(session)
    session.lock()
    assert (vault_dir / "keys.json").read_bytes() != old
    write_keys(vault_dir, old)
    expect_error(IntegrityError, lambda: unlock_alice(vault_dir, state_dir), message)


def test_old_keys_json_does_not_accept_the_new_passphrase_either(
    session: Session, vault_dir: Path, state_dir: Path
) -> None:
    """The other half of the passphrase-change replay: the old file has no slot for the new
    passphrase, so it is a plain authentication failure, never an unlock."""
    old = (vault_dir / "keys.json").read_bytes()
    _change_passphrase(session)
    session.lock()
    write_keys(vault_dir, old)
    exc = expect_error(
        AuthenticationError,
        lambda: unlock_alice(vault_dir, state_dir, passphrase="a brand new passphrase"),
    )
    assert str(exc) == WRONG_PASSPHRASE


def test_keys_json_of_another_vault_is_refused(
    vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    """Swapping in the key file of another vault where alice has the same passphrase: her slot
    opens, but its data key does not open this vault.db."""
    services.create_vault(
        tmp_path / "other",
        name="Other team",
        member_id=MEMBER,
        passphrase=Secret(PASSPHRASE),
        kdf=FLOOR,
        clock=StepClock(LATER),
        state_dir=tmp_path / "other-state",
    )
    write_keys(vault_dir, (tmp_path / "other" / "keys.json").read_bytes())
    expect_error(IntegrityError, lambda: unlock_alice(vault_dir, state_dir), DOES_NOT_OPEN)


def _half(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _drop_mac(raw: bytes) -> bytes:
    data = json.loads(raw)
    del data["mac"]
    return json.dumps(data).encode()


def _extra_field(raw: bytes) -> bytes:
    return json.dumps({**json.loads(raw), "admin": True}).encode()


def _other_format(raw: bytes) -> bytes:
    return json.dumps({**json.loads(raw), "format": "tokenvault-keys/2"}).encode()


GARBAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda raw: b"",
    "truncated-half": _half,
    "truncated-last-byte": lambda raw: raw.rstrip()[:-1],
    "nul-bytes": lambda raw: b"\x00" * len(raw),
    "random-bytes": lambda raw: bytes((i * 151 + 7) % 256 for i in range(len(raw))),
    "json-null": lambda raw: b"null",
    "json-list": lambda raw: b"[]",
    "json-empty-object": lambda raw: b"{}",
    "json-string": lambda raw: json.dumps(raw.decode()).encode(),
    "missing-mac": _drop_mac,
    "extra-top-level-field": _extra_field,
    "unknown-format": _other_format,
    "duplicate-key": lambda raw: raw.replace(b'"epoch": 1', b'"epoch": 1, "epoch": 1', 1),
}


@pytest.mark.parametrize("mangle", GARBAGE.values(), ids=GARBAGE.keys())
def test_truncated_or_garbage_keys_json_is_refused(
    mangle: Callable[[bytes], bytes], vault_dir: Path, state_dir: Path
) -> None:
    """A cut-short or mangled key file is tampering or corruption (exit 4), not a wrong
    passphrase and not a JSON or Unicode traceback."""
    raw = (vault_dir / "keys.json").read_bytes()
    mangled = mangle(raw)
    assert mangled != raw
    write_keys(vault_dir, mangled)
    expect_error(IntegrityError, lambda: unlock_alice(vault_dir, state_dir), "keys.json")


# ---- the journal and the stored state, edited with SQL ------------------------------------

# The scenario's journal: 0 genesis, 1 recovery added, 2 bob added, 3 token.create,
# 4 token.rotate, 5 token.reveal, 6 token.destroy (v1), 7 token.update. Entry 4 is "middle".
MIDDLE = 4
ENTRIES = 8
TOKEN = "stripe-live"


@pytest.fixture
def busy_session(bob_vault: Path, state_dir: Path) -> Iterator[Session]:
    """Alice on a vault with a token whose life has left entries of several kinds."""
    session = unlock_alice(bob_vault, state_dir)
    try:
        services.tokens.add(session, TokenDraft(name=TOKEN, owner=MEMBER), Secret("sk_live_1"))
        services.tokens.rotate(session, TOKEN, Secret("sk_live_2"))
        services.tokens.reveal(session, TOKEN)
        services.tokens.destroy_secrets(session, TOKEN, [1])
        services.tokens.edit(session, TOKEN, {"notes": "billing"})
        assert session.seen.size == ENTRIES
        yield session
    finally:
        session.lock()


def _line(conn: Any, seq: int) -> bytes:
    return bytes(conn.execute("SELECT line FROM journal WHERE seq = ?", (seq,)).fetchone()[0])


def _set_line(conn: Any, seq: int, line: bytes) -> None:
    conn.execute("UPDATE journal SET line = ? WHERE seq = ?", (line, seq))


def _flip_line_byte(conn: Any, session: Session) -> None:
    line = bytearray(_line(conn, MIDDLE))
    line[len(line) // 2] ^= 0x01
    _set_line(conn, MIDDLE, bytes(line))


def _edit_signed_field(conn: Any, session: Session) -> None:
    line = _line(conn, MIDDLE)
    assert TOKEN.encode() in line
    _set_line(conn, MIDDLE, line.replace(TOKEN.encode(), b"stripe-livf"))


def _change_leaf(conn: Any, session: Session) -> None:
    conn.execute("UPDATE journal SET leaf = ? WHERE seq = ?", (bytes(32), MIDDLE))


def _change_root(conn: Any, session: Session) -> None:
    conn.execute("UPDATE journal SET root = ? WHERE seq = ?", (bytes(32), MIDDLE))


def _swap_lines(conn: Any, session: Session) -> None:
    first, second = _line(conn, MIDDLE - 1), _line(conn, MIDDLE)
    _set_line(conn, MIDDLE - 1, second)
    _set_line(conn, MIDDLE, first)


def _delete_last_fix_checkpoint(conn: Any, session: Session) -> None:
    truncate_journal(conn, session, ENTRIES - 1)


def _delete_last_only(conn: Any, session: Session) -> None:
    conn.execute("DELETE FROM journal WHERE seq = ?", (ENTRIES - 1,))


def _forge_entry(conn: Any, session: Session) -> None:
    """An insider with the data key but not alice's signing key appends an entry in her name."""
    last = json.loads(_line(conn, ENTRIES - 1))
    leaf = bytes(
        conn.execute("SELECT leaf FROM journal WHERE seq = ?", (ENTRIES - 1,)).fetchone()[0]
    )
    entry = Entry(
        vault=session.vault_id,
        seq=ENTRIES,
        ts=last["ts"],
        actor=MEMBER,
        type="token.review",
        body={"token": 1, "name": TOKEN, "note": "looks fine"},
        prev=leaf.hex(),
    )
    forger = MemberKeys.generate()
    line = entry.signed(forger.sign(entry.signing_message())).line
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM journal ORDER BY seq")]
    frontier = Frontier.of([*leaves, hash_leaf(line)])
    conn.execute(
        "INSERT INTO journal (seq, line, leaf, root, ts, actor, type, token_id) "
        "VALUES (?, ?, ?, ?, ?, ?, 'token.review', 1)",
        (ENTRIES, line, hash_leaf(line), frontier.root(), last["ts"], MEMBER),
    )


def _edit_token_metadata(conn: Any, session: Session) -> None:
    conn.execute("UPDATE tokens SET owner = 'mallory' WHERE name = ?", (TOKEN,))


def _replace_secret(conn: Any, session: Session) -> None:
    conn.execute("UPDATE token_versions SET secret = ? WHERE number = 2", (b"attacker-key",))


def _restore_destroyed_secret(conn: Any, session: Session) -> None:
    conn.execute("UPDATE token_versions SET secret = ? WHERE number = 1", (b"sk_live_1",))


def _remove_live_secret(conn: Any, session: Session) -> None:
    conn.execute("UPDATE token_versions SET secret = NULL WHERE number = 2")


def _escalate_member(conn: Any, session: Session) -> None:
    conn.execute("UPDATE members SET role = 'admin' WHERE id = ?", (BOB,))


def _weaken_policy(conn: Any, session: Session) -> None:
    policy = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'policy'").fetchone()[0])
    policy["require_owner"] = False
    conn.execute("UPDATE meta SET value = ? WHERE key = 'policy'", (json.dumps(policy),))


def _bump_keys_generation(conn: Any, session: Session) -> None:
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'keys_generation'")


SQL_TAMPERS: dict[str, tuple[Callable[[Any, Session], None], str]] = {
    "journal-line-byte": (_flip_line_byte, f"journal entry {MIDDLE}: "),
    "journal-line-signed-field": (
        _edit_signed_field,
        f"journal entry {MIDDLE}: signature by {MEMBER} does not verify",
    ),
    "journal-leaf": (_change_leaf, f"journal entry {MIDDLE}: stored leaf hash or root is wrong"),
    "journal-root": (_change_root, f"journal entry {MIDDLE}: stored leaf hash or root is wrong"),
    "journal-swapped-lines": (_swap_lines, f"journal entry {MIDDLE - 1}: seq is {MIDDLE}"),
    "journal-last-deleted-checkpoint-fixed": (
        _delete_last_fix_checkpoint,
        f"rollback: the journal has {ENTRIES - 1} entries but this client already saw {ENTRIES}",
    ),
    "journal-last-deleted": (_delete_last_only, "the stored checkpoint does not match the journal"),
    "journal-forged-entry": (
        _forge_entry,
        f"journal entry {ENTRIES}: signature by {MEMBER} does not verify",
    ),
    "token-metadata": (_edit_token_metadata, "token 1: stored state differs from the journal"),
    "secret-replaced": (_replace_secret, "token 1 v2: secret does not match its fingerprint"),
    "destroyed-secret-restored": (
        _restore_destroyed_secret,
        "token 1 v1: a destroyed secret is still stored",
    ),
    "live-secret-removed": (_remove_live_secret, "token 1 v2: the secret is missing"),
    "member-escalated": (_escalate_member, "members: stored state differs from the journal"),
    "policy-weakened": (_weaken_policy, "policy: stored policy differs from the journal"),
    "keys-generation": (_bump_keys_generation, NOT_EXPECTED_VERSION),
}


@pytest.mark.parametrize(("tamper", "problem"), SQL_TAMPERS.values(), ids=SQL_TAMPERS.keys())
def test_sql_edit_behind_the_services_back_fails_verify(
    tamper: Callable[[Any, Session], None], problem: str, busy_session: Session
) -> None:
    """Any member holds the data key, so SQLCipher does not stop an insider's UPDATE; the
    signed journal and the replay in verify() must, and the report must say what is wrong."""
    assert services.verify(busy_session).ok, "the untouched scenario must verify"
    with raw_db(busy_session.paths.db, busy_session.dek) as conn:
        drop_journal_triggers(conn)
        tamper(conn, busy_session)
    report = services.verify(busy_session)
    assert not report.ok, "verify() accepted a vault edited behind its back"
    assert any(p.startswith(problem) for p in report.problems), report.problems
    with pytest.raises(IntegrityError) as info:
        report.raise_for_problems()
    assert_clean_error(info.value, IntegrityError)


def test_journal_triggers_refuse_casual_edits(busy_session: Session) -> None:
    """Defence in depth: without dropping the triggers, UPDATE and DELETE on the journal abort."""
    with raw_db(busy_session.paths.db, busy_session.dek) as conn:
        for sql in ("UPDATE journal SET ts = ts WHERE seq = 1", "DELETE FROM journal"):
            with pytest.raises(dbapi2.IntegrityError, match="append-only"):
                conn.execute(sql)
    assert services.verify(busy_session).ok


def test_deleted_last_entry_without_checkpoint_fix_stops_unlock(
    busy_session: Session, bob_vault: Path, tmp_path: Path
) -> None:
    """A cut journal whose checkpoint still names the old head does not even unlock, whatever
    the client has cached (here: a client that saw nothing)."""
    with raw_db(bob_vault / "vault.db", busy_session.dek) as conn:
        drop_journal_triggers(conn)
        _delete_last_only(conn, busy_session)
    busy_session.lock()
    expect_error(
        IntegrityError,
        lambda: unlock_alice(bob_vault, tmp_path / "fresh-state"),
        "the stored checkpoint does not match the journal head",
    )


# ---- truncation: the client's cached checkpoint --------------------------------------------


def truncate_journal(conn: Any, session: Session, keep: int) -> None:
    """Cut the journal to `keep` entries and store a checkpoint for the shorter journal,
    correctly signed with the session's key: the best an insider can do."""
    conn.execute("DELETE FROM journal WHERE seq >= ?", (keep,))
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM journal ORDER BY seq")]
    frontier = Frontier.of(leaves)
    note = signed_note(session.vault_id, session.member.id, session.keys, frontier)
    conn.execute(
        "UPDATE checkpoint SET size = ?, root = ?, frontier = ?, note = ? WHERE id = 1",
        (frontier.size, frontier.root(), b"".join(frontier.nodes), note),
    )


@dataclass(frozen=True)
class Truncated:
    vault_dir: Path
    state_dir: Path  # the cache of the client that saw the longer journal
    dek: bytes
    seen: int
    kept: int


@pytest.fixture
def truncated(session: Session, vault_dir: Path, state_dir: Path) -> Truncated:
    """A vault whose last entry (a notes edit) was cut off, with its effect undone and the
    checkpoint re-signed: internally consistent, so only the client's cache can tell."""
    services.tokens.add(session, TokenDraft(name=TOKEN, owner=MEMBER), Secret("sk_live_1"))
    services.tokens.edit(session, TOKEN, {"notes": "billing"})
    seen = session.seen.size
    dek = session.dek
    with raw_db(vault_dir / "vault.db", dek) as conn:
        drop_journal_triggers(conn)
        truncate_journal(conn, session, seen - 1)
        conn.execute("UPDATE tokens SET notes = '' WHERE name = ?", (TOKEN,))
    session.lock()
    return Truncated(vault_dir, state_dir, dek, seen, seen - 1)


def test_truncated_journal_is_reported_as_rollback_at_unlock(truncated: Truncated) -> None:
    """The client saw `seen` entries; the vault now has fewer: unlock says so."""
    session = unlock_alice(truncated.vault_dir, truncated.state_dir)
    try:
        assert session.unlock_info.rollback == (
            f"rollback: the journal has {truncated.kept} entries but this client already saw "
            f"{truncated.seen}; the vault was restored from an older copy or cut short"
        )
    finally:
        session.lock()


def test_truncation_is_invisible_without_the_cache(truncated: Truncated, tmp_path: Path) -> None:
    """Control for the test above: the forged vault is self-consistent (verify() passes for a
    client with no cached checkpoint), so the rollback warning comes from the cache alone.
    README: an insider can cut the journal after the last checkpoint recorded outside."""
    session = unlock_alice(truncated.vault_dir, tmp_path / "fresh-state")
    try:
        assert session.unlock_info.rollback is None
        assert services.verify(session).ok
    finally:
        session.lock()


WRITES: dict[str, Callable[[Session], object]] = {
    "add": lambda s: services.tokens.add(s, TokenDraft(name="new", owner=MEMBER), Secret("x")),
    "edit": lambda s: services.tokens.edit(s, TOKEN, {"notes": "again"}),
    "rotate": lambda s: services.tokens.rotate(s, TOKEN, Secret("sk_live_2")),
    "reveal": lambda s: services.tokens.reveal(s, TOKEN),
    "revoke": lambda s: services.tokens.revoke(s, TOKEN, "compromised"),
    "policy": lambda s: services.policy.update(s, {"review_days": 30}),
    "add-member": _add_bob,
    "change-passphrase": _change_passphrase,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_rolled_back_vault_refuses_writes(
    write: Callable[[Session], object], truncated: Truncated
) -> None:
    """Writing on top of a rolled-back journal would bury the evidence: every write (a reveal
    is one: it journals first) is refused, and neither the journal nor keys.json changes."""
    keys_before = (truncated.vault_dir / "keys.json").read_bytes()
    session = unlock_alice(truncated.vault_dir, truncated.state_dir)
    try:
        assert session.unlock_info.rollback is not None
        expect_error(IntegrityError, lambda: write(session), "writes refused: rollback")
    finally:
        session.lock()
    assert journal_size(truncated.vault_dir, truncated.dek) == truncated.kept
    assert (truncated.vault_dir / "keys.json").read_bytes() == keys_before


def test_verify_reports_the_rollback_unlock_found(truncated: Truncated) -> None:
    """An auditor running verify() after the rollback warning must not be told all is well."""
    session = unlock_alice(truncated.vault_dir, truncated.state_dir)
    try:
        assert session.unlock_info.rollback is not None
        report = services.verify(session)
        assert not report.ok
        assert any(p.startswith("rollback:") for p in report.problems), report.problems
    finally:
        session.lock()
