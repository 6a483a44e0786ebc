"""Member removal survives a crash at every step, and at random moments.

Removing a member changes two files that cannot change together: keys.json (staged with a
`pending` record) and vault.db (journal commit, then PRAGMA rekey to a new data key), then the
final keys.json. A child process (`_worker.py remove`) runs a real removal of bob by alice and
SIGKILLs itself at one exact step, found by wrapping keystore.write and Database.rekey inside
the child only. After every kill the parent checks what the design promises:

- every remaining member (alice, carol, the recovery kit) can unlock, whoever comes first
  settles the leftover, and `verify()` is clean;
- no token is lost: the same tokens with the same current secrets (fingerprints of all, and
  reveals: every token of the small vault, every tenth of the big one);
- the removal is all or nothing: done means bob cannot unlock, is not listed, his old data
  key no longer opens vault.db and the journal has exactly one member.remove; not done means
  bob still unlocks, and removing him again then succeeds;
- while a committed removal is still pending, bob is already refused.

Random-moment kills run on a vault with ~7 MB of secrets so PRAGMA rekey takes a measurable
share of the removal; the delays are spread over the whole removal (attempt k of n draws from
the k-th n-th of it), and the phases the child reported bound what the outcome may be.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE, Template
from tests.reliability._support import (
    Child,
    assert_killed,
    assert_verified,
    base_seed,
    fp_of,
    spawn,
    unlock,
    worker_args,
)
from tests.reliability._worker import KILL_POINTS
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.errors import AuthenticationError
from tokenvault.domain.model import Secret
from tokenvault.services import RECOVERY_MEMBER, Session, TokenDraft, keystore
from tokenvault.services.paths import VaultPaths
from tokenvault.storage.db import Database, UnreadableDatabase

BOB, CAROL = "bob", "carol"
PASSPHRASES = {BOB: "bob's own passphrase", CAROL: "carol's own passphrase"}

# Kill points after which the journal holds the member.remove entry.
COMMITTED = frozenset({"rekey-before", "rekey-after", "write2-before", "write2-after", "returned"})
# Kill points that leave keys.json with a pending record for the next unlock to settle.
LEAVES_PENDING = frozenset({"write1-after", "rekey-before", "rekey-after", "write2-before"})


@dataclass(frozen=True)
class MembersVault:
    """A vault with alice (admin), bob and carol (operators) and the recovery kit."""

    vault: Path
    state: Path
    secrets: dict[str, str]  # token name -> its current secret
    recovery: Secret
    bob_dek: bytes  # the data key bob knew: must stop opening vault.db once he is removed
    removal_s: float = 0.0  # how long an uninterrupted removal took (random-kill window)

    def copy_to(self, root: Path) -> tuple[Path, Path]:
        vault, state = root / "vault", root / "state"
        shutil.copytree(self.vault, vault)
        shutil.copytree(self.state, state)
        return vault, state

    def passphrase(self, member: str) -> str | Secret:
        if member == RECOVERY_MEMBER:
            return self.recovery
        return PASSPHRASE if member == MEMBER else PASSPHRASES[member]


def build(root: Path, template: Template, tokens: int, secret_bytes: int) -> MembersVault:
    vault, state = root / "vault", root / "state"
    shutil.copytree(template.path, vault)
    rng = random.Random(tokens)
    secrets: dict[str, str] = {}
    session = unlock(vault, state, MEMBER, PASSPHRASE)
    try:
        services.members.add_member(session, BOB, "operator", Secret(PASSPHRASES[BOB]), kdf=FLOOR)
        services.members.add_member(
            session, CAROL, "operator", Secret(PASSPHRASES[CAROL]), kdf=FLOOR
        )
        for i in range(tokens):
            name = f"token-{i:03d}"
            secrets[name] = f"v1-{i}-" + rng.randbytes(secret_bytes // 2).hex()
            services.tokens.add(session, TokenDraft(name=name, owner=MEMBER), Secret(secrets[name]))
            if i % 3 == 0:
                secrets[name] = f"v2-{i}-" + rng.randbytes(secret_bytes // 2).hex()
                services.tokens.rotate(session, name, Secret(secrets[name]))
            if i % 7 == 0:
                services.tokens.revoke(session, name, "decommissioned")
    finally:
        session.lock()
    bob = unlock(vault, state, BOB, PASSPHRASES[BOB])
    bob_dek = bob.dek
    bob.lock()
    return MembersVault(vault, state, secrets, template.created.recovery_code, bob_dek)


@pytest.fixture(scope="module")
def small_vault(template: Template, tmp_path_factory: pytest.TempPathFactory) -> MembersVault:
    return build(tmp_path_factory.mktemp("rekey-small"), template, tokens=12, secret_bytes=64)


@pytest.fixture(scope="module")
def big_vault(template: Template, tmp_path_factory: pytest.TempPathFactory) -> MembersVault:
    """~7 MB of secrets (PRAGMA rekey is then about half of a removal), and the duration of one
    uninterrupted removal (in a child, as the killed runs do): the random kill window."""
    root = tmp_path_factory.mktemp("rekey-big")
    built = build(root / "template", template, tokens=120, secret_bytes=60_000)
    vault, state = built.copy_to(root / "timing")
    with spawn("remove", remove_args(vault, state), root, "timing") as child:
        returncode = child.finish()
        assert returncode == 0, child.diagnose()
        (done,) = child.kinds("done")
    return MembersVault(
        built.vault, built.state, built.secrets, built.recovery, built.bob_dek, done["elapsed"]
    )


def remove_args(vault: Path, state: Path, *extra: str) -> list[str]:
    return worker_args(vault, state, MEMBER, PASSPHRASE, "--target", BOB, *extra)


@contextlib.contextmanager
def opened(v: MembersVault, vault: Path, state: Path, member: str) -> Iterator[Session]:
    session = unlock(vault, state, member, v.passphrase(member))
    try:
        yield session
    finally:
        session.lock()


def run_killed(command: str, args: list[str], workdir: Path, kill_at: str) -> Child:
    """Run a worker that must SIGKILL itself at `kill_at` (and report reaching it)."""
    with spawn(command, args, workdir, f"{command}-{kill_at}") as child:
        returncode = child.finish()
    assert_killed(child, returncode)
    assert child.kinds("phase")[-1:] == [f"kill@{kill_at}"], child.diagnose()
    return child


def check_tokens(session: Session, v: MembersVault, reveal_every: int) -> None:
    """Same tokens, same current secrets (fingerprints for all, a reveal for a sample)."""
    fp = fp_of(session)
    tokens = {t.name: t for t in services.tokens.list_tokens(session)}
    assert set(tokens) == set(v.secrets), "the token inventory changed"
    for i, (name, secret) in enumerate(sorted(v.secrets.items())):
        assert tokens[name].current.fingerprint == fp(secret), f"{name}: secret changed"
        if i % reveal_every == 0:
            assert services.tokens.reveal(session, name).expose_text() == secret, name


def assert_bob_is_out(v: MembersVault, vault: Path, state: Path) -> None:
    with pytest.raises(AuthenticationError):
        unlock(vault, state, BOB, PASSPHRASES[BOB])
    with pytest.raises(UnreadableDatabase):
        Database.open(vault / "vault.db", v.bob_dek).close()


def check_after_crash(
    v: MembersVault,
    vault: Path,
    state: Path,
    *,
    first: str,
    expect_done: bool | None,
    reveal_every: int = 1,
) -> bool:
    """Let `first` unlock (and settle), then check every promise; whether bob was removed.
    `expect_done` None: either outcome is allowed, but it must be a whole one."""
    paths = VaultPaths(vault)
    pending = keystore.read(paths).pending
    if expect_done and pending is not None:
        # Committed but not settled: bob's old key may still open vault.db, so he is refused.
        with pytest.raises(AuthenticationError):
            unlock(vault, state, BOB, PASSPHRASES[BOB])

    with opened(v, vault, state, first) as session:
        info = session.unlock_info
        assert info.rollback is None, info.rollback
        assert (info.repaired is not None) == (pending is not None), info
        assert keystore.read(paths).pending is None, "unlock left the key change unsettled"
        members = {m.id for m in services.members.list_members(session)}
        done = BOB not in members
        assert members == {MEMBER, CAROL, RECOVERY_MEMBER} | (set() if done else {BOB})
        if expect_done is not None:
            assert done == expect_done, f"removal done={done}, expected {expect_done}"
        removals = [e for e in assert_verified(session) if e.type == "member.remove"]
        assert len(removals) == int(done), "member.remove entries do not match the outcome"
        check_tokens(session, v, reveal_every)

    for member in (MEMBER, CAROL, RECOVERY_MEMBER):
        if member != first:
            with opened(v, vault, state, member) as session:
                assert len(services.tokens.list_tokens(session)) == len(v.secrets)

    if done:
        assert_bob_is_out(v, vault, state)
        return True
    with opened(v, vault, state, BOB) as session:  # not removed: bob still gets in
        assert not session.unlock_info.rollback
    with opened(v, vault, state, MEMBER) as session:  # and a second attempt succeeds
        assert services.members.remove_member(session, BOB).member.id == BOB
    assert_bob_is_out(v, vault, state)
    with opened(v, vault, state, CAROL) as session:
        removals = [e for e in assert_verified(session) if e.type == "member.remove"]
        assert len(removals) == 1
        check_tokens(session, v, reveal_every)
    return False


# ---- kills at each step ------------------------------------------------------------------


STEP_KILLS = [  # (kill point, who unlocks first afterwards: the repair must not need alice)
    ("write1-before", MEMBER),  # (a) nothing written yet
    ("write1-after", CAROL),  # (b) staged keys.json, no journal entry
    ("rekey-before", RECOVERY_MEMBER),  # (c) committed, not rekeyed
    ("rekey-after", CAROL),  # (d) rekeyed, WAL not checkpointed, old keys.json
    ("write2-before", MEMBER),  # (d') rekeyed and checkpointed, old keys.json
    ("write2-after", CAROL),  # (e) final keys.json written
    ("returned", RECOVERY_MEMBER),  # (e') remove_member returned
]


def test_every_kill_point_of_the_worker_is_exercised() -> None:
    """A kill point added to the worker must get a scenario here, not be silently skipped."""
    assert [point for point, _ in STEP_KILLS] == list(KILL_POINTS)


@pytest.mark.parametrize(("kill_at", "first"), STEP_KILLS)
def test_removal_killed_at_each_step_is_all_or_nothing(
    kill_at: str, first: str, small_vault: MembersVault, tmp_path: Path
) -> None:
    vault, state = small_vault.copy_to(tmp_path)
    run_killed("remove", remove_args(vault, state, "--kill-at", kill_at), tmp_path, kill_at)
    pending = keystore.read(VaultPaths(vault)).pending
    assert (pending is not None) == (kill_at in LEAVES_PENDING)
    check_after_crash(small_vault, vault, state, first=first, expect_done=kill_at in COMMITTED)


@pytest.mark.parametrize(
    ("kill_at", "repair_kill_at"),
    [
        ("write1-after", "write1-before"),  # undo of a staged removal not written
        ("write1-after", "write1-after"),  # undo written, the unlock did not return
        ("rekey-before", "rekey-after"),  # the repair's rekey done, final keys.json not
        ("rekey-after", "write1-before"),  # a rekeyed leftover, repair killed before writing
    ],
)
def test_removal_survives_a_crash_during_its_repair(
    kill_at: str, repair_kill_at: str, small_vault: MembersVault, tmp_path: Path
) -> None:
    """The repair at unlock is itself a key change: crash it too, then let alice finish."""
    vault, state = small_vault.copy_to(tmp_path)
    run_killed("remove", remove_args(vault, state, "--kill-at", kill_at), tmp_path, kill_at)
    carol = worker_args(vault, state, CAROL, PASSPHRASES[CAROL], "--kill-at", repair_kill_at)
    run_killed("unlock", carol, tmp_path, repair_kill_at)
    check_after_crash(small_vault, vault, state, first=MEMBER, expect_done=kill_at in COMMITTED)


# ---- kills at random moments -------------------------------------------------------------

RANDOM_KILLS = 5


@pytest.mark.parametrize("attempt", range(RANDOM_KILLS))
def test_removal_killed_at_a_random_moment_is_all_or_nothing(
    attempt: int, big_vault: MembersVault, tmp_path: Path
) -> None:
    seed = base_seed() + attempt
    print(f"TOKENVAULT_RELIABILITY_SEED={seed - attempt} (attempt {attempt})")
    rng = random.Random(seed)
    first = rng.choice([MEMBER, CAROL, RECOVERY_MEMBER])
    vault, state = big_vault.copy_to(tmp_path)
    with spawn("remove", remove_args(vault, state), tmp_path, "remove") as child:
        child.expect("ready")
        share = rng.uniform(attempt, attempt + 1) / RANDOM_KILLS
        time.sleep(share * big_vault.removal_s)  # the random kill moment
        child.kill()
        returncode = child.finish()
    finished = returncode == 0
    if not finished:
        assert_killed(child, returncode)
    phases = child.kinds("phase")
    # The child reports a step just after it happens, so: no "staged" -> nothing committed;
    # "rekey-start" -> the journal entry had committed.
    expect_done: bool | None = None
    if finished or "rekey-start" in phases:
        expect_done = True
    elif "staged" not in phases:
        expect_done = False
    done = check_after_crash(
        big_vault, vault, state, first=first, expect_done=expect_done, reveal_every=10
    )
    print(f"killed={not finished} after phases {phases}: removal done={done}, first={first}")
