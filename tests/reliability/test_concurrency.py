"""Two processes writing one vault at the same time, and reads racing a writer.

Every mutation is one BEGIN IMMEDIATE transaction (the head is read under the write lock) and
SQLite waits up to the busy timeout for the lock, so two writers must queue, never fail, never
fork the journal. Two children (`_worker.py mutate --barrier`) unlock, wait on a barrier (a
"go" line the parent sends to both once both are ready) and then each run 200 random
mutations on their own tokens. Then:

- both exit 0 having reported all 200 ops (any OperationalError such as "database is locked"
  would have escaped as a traceback and a non-zero exit);
- the journal has exactly initial + 400 entries in one gap-free, verified chain, and the two
  processes' reported seqs partition the 400 new ones, each entry being that process's op;
- the writes really interleaved (each process wrote between two writes of the other);
- both processes' tokens are all there, with the secrets they last set.

The race tests pin down reads that are not snapshot-consistent: a child pauses between two
reads at the exact point where a commit by another connection breaks them, and the parent
commits a write right there (deterministic, no sleeps). Reads spanning several statements
run in one snapshot, so the commit must not disturb them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE
from tests.reliability._support import (
    Ledger,
    assert_verified,
    base_seed,
    drain,
    entry_mismatch,
    fp_of,
    spawn,
    unlock,
    worker_args,
)
from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft

OPS_PER_PROCESS = 200
BOB, BOB_PASSPHRASE = "bob", "bob's own passphrase"
PASSPHRASES = {MEMBER: PASSPHRASE, BOB: BOB_PASSPHRASE}


@pytest.mark.parametrize(
    "members",
    [
        pytest.param((MEMBER, BOB), id="alice-and-bob"),
        # One member in two terminals: same key, same checkpoint cache file.
        pytest.param((MEMBER, MEMBER), id="alice-twice"),
    ],
)
def test_two_processes_writing_at_once_make_one_linear_journal(
    members: tuple[str, str], vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    seed = base_seed()
    print(f"TOKENVAULT_RELIABILITY_SEED={seed}")
    session = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    try:
        services.members.add_member(session, BOB, "operator", Secret(BOB_PASSPHRASE), kdf=FLOOR)
        initial = len(assert_verified(session))
    finally:
        session.lock()

    with (
        spawn(
            "mutate", mutate_args(vault_dir, state_dir, members[0], 0, seed), tmp_path, "p0"
        ) as first,
        spawn(
            "mutate", mutate_args(vault_dir, state_dir, members[1], 1, seed), tmp_path, "p1"
        ) as second,
    ):
        children = (first, second)
        for child in children:
            child.expect("paused")  # both unlocked and waiting at the barrier
        for child in children:
            child.send("go")
        drain(children)
        returncodes = [child.proc.wait() for child in children]
    for child, returncode in zip(children, returncodes, strict=True):
        assert returncode == 0, f"{child.label} failed\n{child.diagnose()}"
        assert child.stderr_text() == "", child.diagnose()  # no error, not even a warning
        assert len(child.kinds("done")) == OPS_PER_PROCESS, child.diagnose()
        assert child.kinds("finished") == [None]

    session = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    try:
        assert session.unlock_info.rollback is None
        entries = assert_verified(session)
        assert len(entries) == initial + 2 * OPS_PER_PROCESS
        fp = fp_of(session)
        seqs: list[list[int]] = []
        for index, child in enumerate(children):
            ops = child.kinds("done")
            seqs.append([op["seq"] for op in ops])
            assert seqs[-1] == sorted(seqs[-1]), f"{child.label}: its own writes out of order"
            ledger = Ledger()
            for op in ops:
                problem = entry_mismatch(op, entries[op["seq"]], fp)
                assert problem is None, f"{child.label}: {problem}"
                ledger.apply(op, returned=True)
            ledger.check_tokens(session, prefix=f"p{index}-")
        assert sorted(seqs[0] + seqs[1]) == list(range(initial, len(entries)))
        policy_ops = [op for c in children for op in c.kinds("done") if op["op"] == "policy"]
        if policy_ops:  # the policy is shared: the update with the highest seq wins
            last = max(policy_ops, key=lambda op: op["seq"])
            assert services.policy.show(session).reminder_days == last["value"]
        second_seqs = set(seqs[1])
        owner = [seq in second_seqs for seq in range(initial, len(entries))]
        switches = sum(a != b for a, b in itertools.pairwise(owner))
        # >= 3: each process wrote between two writes of the other (the barrier worked).
        assert switches >= 3, f"the writers did not interleave ({switches} switches)"
        print(f"{members}: {len(entries)} entries, writer switched {switches} times")
    finally:
        session.lock()


def mutate_args(vault: Path, state: Path, member: str, index: int, seed: int) -> list[str]:
    """Process `index` works on its own tokens (prefix p<index>) and policy values (parity)."""
    return worker_args(
        vault,
        state,
        member,
        PASSPHRASES[member],
        *("--seed", str(seed + index), "--prefix", f"p{index}", "--count", str(OPS_PER_PROCESS)),
        *("--barrier", "--own-tokens-only", "--policy-parity", str(index)),
    )


# ---- reads racing a writer ----------------------------------------------------------------


def test_unlock_while_another_process_commits(
    vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    writer = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    try:
        args = worker_args(vault_dir, state_dir, MEMBER, PASSPHRASE)
        with spawn("unlock-race", args, tmp_path, "unlocker") as child:
            assert child.expect("paused").payload == "journal-head"
            services.tokens.add(writer, TokenDraft(name="racer", owner=MEMBER), Secret("s"))
            child.send("go")
            result = child.expect("result").payload
            assert child.finish() == 0, child.diagnose()
    finally:
        writer.lock()
    assert result["paused"], "the probe never paused inside journal.head(): update it"
    assert result["error"] is None, result["error"]


def test_verify_while_another_process_commits(
    vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    writer = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    try:
        services.tokens.add(writer, TokenDraft(name="before", owner=MEMBER), Secret("s0"))
        args = worker_args(vault_dir, state_dir, MEMBER, PASSPHRASE)
        with spawn("verify-race", args, tmp_path, "verifier") as child:
            assert child.expect("paused").payload == "verify-state"
            services.tokens.rotate(writer, "before", Secret("s1"))
            child.send("go")
            result = child.expect("result").payload
            assert child.finish() == 0, child.diagnose()
    finally:
        writer.lock()
    assert result["paused"], "the probe never paused before the state check: update it"
    assert result["problems"] == [], result["problems"]
