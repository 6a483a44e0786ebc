"""Secrets and passphrases never leave the process except through `reveal`.

One scenario runs a token's whole life with canary secrets (add, reveal, rotate, revoke,
destroy), changes the passphrase to a canary, adds a member with one, and provokes errors whose
*input* is a canary (a too-long secret, a wrong passphrase, invalid edits). Then every file in
the vault and state directories (while the session is open and the WAL holds pages, and after
lock), every journal line, every exception (str, repr, traceback, chain) and the reprs of the
objects a face would print are searched for the canaries: raw, hex and base64. The encrypted
file is also decrypted page by page to prove that destroyed secrets are really gone.
"""

from __future__ import annotations

import secrets
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE, T0, StepClock, Template
from tests.reliability._tamper_support import (
    assert_clean_error,
    decrypted_pages,
    exception_texts,
    files_under,
    leaks,
    raw_db,
)
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain import limits
from tokenvault.domain.errors import (
    AuthenticationError,
    ConflictError,
    TokenVaultError,
    ValidationError,
)
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft

TOKEN = "canary-token"

# Moments at which every file is read; all but the last have the database open (WAL present).
BEFORE_DESTROY = "open-before-destroy"  # live secrets are in the (encrypted) WAL
OPEN_AFTER_FAILURES = "open-after-failed-unlock"
OPEN_AT_END = "open-at-end"
LOCKED = "locked"
SNAPSHOTS = (BEFORE_DESTROY, OPEN_AFTER_FAILURES, OPEN_AT_END, LOCKED)

ERRORS: dict[str, type[TokenVaultError]] = {
    "too-long-secret": ValidationError,
    "rotate-to-a-used-secret": ConflictError,
    "edit-expiry-with-secret": ValidationError,
    "edit-rotation-days-with-secret": ValidationError,
    "edit-scopes-with-secret": ValidationError,
    "edit-name-with-control-char": ValidationError,
    "wrong-passphrase": AuthenticationError,
    "wrong-recovery-code": AuthenticationError,
    "too-long-new-passphrase": ValidationError,
    "reveal-destroyed": ConflictError,
    "old-passphrase-after-change": AuthenticationError,
}

REPRS = (
    "session",
    "second-session",
    "unlock-info",
    "added-token",
    "rotated-token",
    "revoked-token",
    "destroyed-token",
    "revealed-secret",
    "member-keys",
    "added-member",
    "history",
    "verify-report",
)


def canary(kind: str) -> str:
    return f"CANARY-{kind}-{secrets.token_hex(16)}"


@dataclass
class Scenario:
    vault_dir: Path
    state_dir: Path
    needles: dict[str, bytes]  # secrets and passphrases: never in a file, line, message or repr
    key_material: dict[str, bytes]  # data key, fingerprint key, private keys: never in a file
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # moment -> path -> bytes
    modes: dict[str, dict[str, int]] = field(default_factory=dict)  # moment -> path -> st_mode
    pages: dict[str, bytes] = field(default_factory=dict)  # moment -> decrypted vault.db + WAL
    errors: dict[str, TokenVaultError] = field(default_factory=dict)
    reprs: dict[str, str] = field(default_factory=dict)
    journal: list[bytes] = field(default_factory=list)
    session_repr: str = ""


def _snapshot(scenario: Scenario, moment: str, dek: bytes) -> None:
    files: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    for root in (scenario.vault_dir, scenario.state_dir):
        modes[str(root)] = root.stat().st_mode
        for path in root.rglob("*"):
            modes[str(path)] = path.stat().st_mode
        for path in files_under(root):
            files[str(path)] = path.read_bytes()
    scenario.files[moment] = files
    scenario.modes[moment] = modes
    scenario.pages[moment] = b"".join(decrypted_pages(scenario.vault_dir / "vault.db", dek))


@pytest.fixture(scope="module")
def scenario(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Run the canary scenario once for the module; the tests below only inspect what it left."""
    root = tmp_path_factory.mktemp("leakage")
    vault_dir, state_dir = root / "vault", root / "state"
    shutil.copytree(template.path, vault_dir)
    clock = StepClock(T0 + timedelta(hours=1))
    v1, v2, refused = canary("v1"), canary("v2"), canary("refused")
    wrong, new, bob, too_long = canary("wrong"), canary("new"), canary("bob"), canary("long")
    scenario = Scenario(
        vault_dir,
        state_dir,
        needles={
            "secret v1": v1.encode(),
            "secret v2": v2.encode(),
            "refused secret": refused.encode(),
            "original passphrase": PASSPHRASE.encode(),
            "wrong passphrase": wrong.encode(),
            "new passphrase": new.encode(),
            "bob's passphrase": bob.encode(),
            "refused passphrase": too_long.encode(),
        },
        key_material={},
    )

    def unlock_as(member: str, passphrase: str) -> Session:
        return services.unlock(
            vault_dir, member, Secret(passphrase), clock=clock, state_dir=state_dir
        )

    def capture(label: str, action: Callable[[], object]) -> None:
        with pytest.raises(TokenVaultError) as info:
            action()
        scenario.errors[label] = info.value

    session = unlock_as(MEMBER, PASSPHRASE)
    second: Session | None = None
    try:
        tokens = services.tokens
        added = tokens.add(session, TokenDraft(name=TOKEN, owner=MEMBER), Secret(v1))
        revealed = tokens.reveal(session, TOKEN)
        assert revealed.expose() == v1.encode()
        rotated = tokens.rotate(session, TOKEN, Secret(v2))
        assert tokens.reveal(session, TOKEN, how="copy").expose() == v2.encode()
        _snapshot(scenario, BEFORE_DESTROY, session.dek)

        big = Secret(refused * (limits.SECRET_MAX_BYTES // len(refused) + 1))
        draft = TokenDraft(name="other", owner=MEMBER)
        capture("too-long-secret", lambda: tokens.add(session, draft, big))
        capture("rotate-to-a-used-secret", lambda: tokens.rotate(session, TOKEN, Secret(v1)))
        capture("edit-expiry-with-secret", lambda: tokens.edit(session, TOKEN, {"expires_at": v2}))
        capture(
            "edit-rotation-days-with-secret",
            lambda: tokens.edit(session, TOKEN, {"rotate_every_days": v2}),
        )
        capture("edit-scopes-with-secret", lambda: tokens.edit(session, TOKEN, {"scopes": v2}))
        capture(
            "edit-name-with-control-char",
            lambda: tokens.edit(session, TOKEN, {"name": v2 + "\x1b[2J"}),
        )
        capture("wrong-passphrase", lambda: unlock_as(MEMBER, wrong))
        capture("wrong-recovery-code", lambda: unlock_as("recovery", wrong))
        capture(
            "too-long-new-passphrase",
            lambda: services.members.change_passphrase(session, Secret(too_long * 40), kdf=FLOOR),
        )
        _snapshot(scenario, OPEN_AFTER_FAILURES, session.dek)

        revoked = tokens.revoke(session, TOKEN, "compromised", ticket="INC-1")
        destroyed = tokens.destroy_secrets(session, TOKEN)
        capture("reveal-destroyed", lambda: tokens.reveal(session, TOKEN))
        services.members.change_passphrase(session, Secret(new), kdf=FLOOR)
        member = services.members.add_member(session, "bob", "operator", Secret(bob), kdf=FLOOR)
        capture("old-passphrase-after-change", lambda: unlock_as(MEMBER, PASSPHRASE))
        second = unlock_as(MEMBER, new)  # folds the failed attempts into the journal
        assert second.unlock_info.failed_attempts, "the failed unlocks were not reported"
        report = services.verify(second)
        assert report.ok, report.problems

        scenario.reprs = {
            "session": repr(session),
            "second-session": repr(second),
            "unlock-info": repr(second.unlock_info),
            "added-token": repr(added),
            "rotated-token": repr(rotated),
            "revoked-token": repr(revoked),
            "destroyed-token": repr(destroyed),
            "revealed-secret": f"{revealed!r} {revealed!s} {[revealed]!r}",
            "member-keys": repr(session.keys),
            "added-member": repr(member),
            "history": repr(tokens.history(second, TOKEN)),
            "verify-report": repr(report),
        }
        scenario.session_repr = repr(session) + repr(second)
        dek = session.dek
        scenario.key_material = {
            "data key": dek,
            "fingerprint key": session.fp_key,
            "private keys": session.keys._private_bytes(),
        }
        with raw_db(vault_dir / "vault.db", dek) as conn:
            scenario.journal = [bytes(r[0]) for r in conn.execute("SELECT line FROM journal")]
            note = conn.execute("SELECT note FROM checkpoint").fetchone()[0]
            scenario.journal.append(str(note).encode())
        _snapshot(scenario, OPEN_AT_END, dek)
    finally:
        session.lock()
        if second is not None:
            second.lock()
    _snapshot(scenario, LOCKED, dek)
    return scenario


# ---- files ------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", SNAPSHOTS)
def test_no_file_holds_a_secret_a_passphrase_or_key_material(
    moment: str, scenario: Scenario
) -> None:
    """vault.db, its WAL and SHM, keys.json, attempts.log, keys.lock, temp files, the state
    dir's checkpoint cache: nothing on disk is plaintext secret material."""
    needles = {**scenario.needles, **scenario.key_material}
    found = [
        leak
        for path, data in scenario.files[moment].items()
        for leak in leaks(data, needles, Path(path).name)
    ]
    assert found == []


def test_the_file_snapshots_cover_the_risky_files(scenario: Scenario) -> None:
    """Guard against a vacuous pass: the open snapshots include a non-empty WAL and the
    attempts log with the failed unlocks, and the locked one has the WAL folded away."""
    open_names = {Path(p).name: d for p, d in scenario.files[OPEN_AFTER_FAILURES].items()}
    assert open_names.get("vault.db-wal"), "no WAL while the session was open"
    assert b"alice" in open_names.get("attempts.log", b""), "failed unlock was not logged"
    assert "vault.db-shm" in open_names
    end_names = {Path(p).name for p in scenario.files[OPEN_AT_END]}
    assert {"keys.lock", "vault.db-wal"} <= end_names
    locked_names = {Path(p).name for p in scenario.files[LOCKED]}
    assert "vault.db-wal" not in locked_names
    assert any(name.endswith(".json") for name in locked_names - {"keys.json"}), "no cache"


@pytest.mark.parametrize("moment", SNAPSHOTS)
def test_vault_and_state_files_are_private(moment: str, scenario: Scenario) -> None:
    """0700 directories and 0600 files (WAL and SHM too, which SQLite creates itself):
    anyone else who can read them can copy the vault, anyone who can write can swap it."""
    wrong = {
        path: oct(stat.S_IMODE(mode))
        for path, mode in scenario.modes[moment].items()
        if stat.S_IMODE(mode) != (0o700 if stat.S_ISDIR(mode) else 0o600)
    }
    assert wrong == {}
    assert str(scenario.vault_dir / "vault.db") in scenario.modes[moment]


# ---- inside the encrypted database -------------------------------------------------------


def test_page_decryption_sees_live_secrets(scenario: Scenario) -> None:
    """Control: before destroy, both versions are found inside the decrypted pages, so the
    absence checks below are not an artefact of a broken decryptor."""
    pages = scenario.pages[BEFORE_DESTROY]
    assert scenario.needles["secret v1"] in pages
    assert scenario.needles["secret v2"] in pages


@pytest.mark.parametrize("moment", SNAPSHOTS)
def test_no_passphrase_or_refused_secret_is_stored_in_the_database(
    moment: str, scenario: Scenario
) -> None:
    """Passphrases and refused input never reach the database, even encrypted."""
    needles = {k: v for k, v in scenario.needles.items() if not k.startswith("secret v")}
    assert leaks(scenario.pages[moment], needles, f"decrypted pages ({moment})") == []


@pytest.mark.parametrize("moment", [OPEN_AT_END, LOCKED])
def test_destroyed_secrets_are_gone_from_every_page(moment: str, scenario: Scenario) -> None:
    """destroy_secrets promises the bytes are erased (secure_delete, WAL checkpointed): not in
    any page of vault.db, free pages and stale WAL frames included."""
    destroyed = {k: v for k, v in scenario.needles.items() if k.startswith("secret v")}
    assert leaks(scenario.pages[moment], destroyed, f"decrypted pages ({moment})") == []


# ---- journal, errors, reprs --------------------------------------------------------------


def test_no_journal_line_holds_a_secret_or_passphrase(scenario: Scenario) -> None:
    """The journal is exported to auditors: it carries fingerprints, never secrets."""
    assert len(scenario.journal) > 10
    found = [
        leak
        for seq, line in enumerate(scenario.journal)
        for leak in leaks(line, scenario.needles, f"journal line {seq}")
    ]
    assert found == []


@pytest.mark.parametrize(("label", "expected"), ERRORS.items(), ids=ERRORS.keys())
def test_error_messages_do_not_echo_secret_input(
    label: str, expected: type[TokenVaultError], scenario: Scenario
) -> None:
    """A secret typed into the wrong field, a wrong passphrase or a refused secret must not
    come back in str, repr, the traceback or any chained exception (faces print them)."""
    exc = scenario.errors[label]
    assert_clean_error(exc, expected)
    found = [
        leak
        for text in exception_texts(exc)
        for leak in leaks(text.encode(), scenario.needles, label)
    ]
    assert found == []


@pytest.mark.parametrize("label", REPRS)
def test_reprs_do_not_contain_secrets_or_passphrases(label: str, scenario: Scenario) -> None:
    """Textual's crash report and any debug log print locals: these reprs are what they show."""
    assert leaks(scenario.reprs[label].encode(), scenario.needles, label) == []


def test_session_repr_has_no_key_material(scenario: Scenario) -> None:
    """A session in a traceback's locals (pytest --showlocals, Textual's crash screen) must not
    hand out the data key that opens vault.db."""
    found = leaks(scenario.session_repr.encode(), _printed_forms(scenario.key_material), "repr")
    assert found == []


def _printed_forms(material: Mapping[str, bytes]) -> dict[str, bytes]:
    """Key bytes as a repr shows them (b'...' escapes), besides the raw/hex forms."""
    forms = dict(material)
    for label, value in material.items():
        forms[f"{label} (bytes repr)"] = repr(value)[2:-1].encode()
    return forms
