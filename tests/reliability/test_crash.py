"""Crash consistency: SIGKILL a process at random moments while it mutates a vault.

A child process (`_worker.py mutate`) unlocks the vault and runs random token and policy
mutations until it is killed; it reports each op twice on stdout: `begin` before the service
call and `done` only after the call returned. The parent kills it after a random delay, then
unlocks the vault itself and checks:

- the vault unlocks (no rollback alarm) and `verify()` is clean;
- the journal only grew: every earlier entry is byte-for-byte unchanged;
- every op whose call returned has its entry at the seq it reported, carrying its marker
  (token name, note text, secret fingerprint, policy value); at most one more entry exists,
  and only if it is the op that was in flight;
- no marker appears twice (nothing applied twice);
- the stored tokens are exactly the committed ones, with their secrets, notes and revocations.

The same vault is reused across all kill cycles of a test, so each child starts from whatever
the previous kill left behind, which is the situation a real crash produces.

Set TOKENVAULT_RELIABILITY_SEED to replay a run (the seed is printed; pytest shows it on a
failure). Kill moments also depend on scheduling, so a replay is close, not exact.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE
from tests.reliability._support import (
    Ledger,
    assert_killed,
    assert_verified,
    base_seed,
    duplicated_markers,
    entry_mismatch,
    fp_of,
    journal,
    spawn,
    unlock,
    worker_args,
)

KILLS_PER_VAULT = 26  # two vaults: 52 kills per run
MAX_KILL_DELAY_S = 0.06  # after `ready`: long enough for a few dozen ops, most kills land mid-op


@pytest.mark.parametrize("vault_no", [0, 1])
def test_sigkill_during_random_mutations_loses_and_duplicates_nothing(
    vault_no: int, vault_dir: Path, state_dir: Path, tmp_path: Path
) -> None:
    seed = base_seed() + vault_no
    print(f"TOKENVAULT_RELIABILITY_SEED={seed - vault_no} (vault {vault_no})")
    rng = random.Random(seed)
    ledger = Ledger()
    stats: Counter[str] = Counter()

    session = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    leaves = [entry.leaf_hash for entry in journal(session)]
    session.lock()

    for cycle in range(KILLS_PER_VAULT):
        args = worker_args(vault_dir, state_dir, MEMBER, PASSPHRASE)
        args += ["--seed", str(rng.randrange(2**32)), "--prefix", f"v{vault_no}c{cycle}"]
        with spawn("mutate", args, tmp_path, f"cycle{cycle}") as child:
            child.expect("ready")
            time.sleep(rng.uniform(0, MAX_KILL_DELAY_S))  # the random kill moment
            child.kill()
            returncode = child.finish()
        assert_killed(child, returncode)
        begun, done = child.kinds("begin"), child.kinds("done")
        assert len(begun) - len(done) in (0, 1), "the worker broke its begin/done protocol"
        assert all(b["marker"] == d["marker"] for b, d in zip(begun, done, strict=False))
        in_flight = begun[-1] if len(begun) > len(done) else None

        session = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
        try:
            info = session.unlock_info
            assert info.rollback is None, info.rollback
            assert info.repaired is None, "a token mutation left key-file repair behind"
            assert not info.warnings, info.warnings
            entries = assert_verified(session)
            fp = fp_of(session)

            # Only grows: the history before this cycle is untouched.
            assert [e.leaf_hash for e in entries[: len(leaves)]] == leaves
            new = entries[len(leaves) :]
            committed_in_flight = len(new) - len(done)
            assert committed_in_flight in ((0, 1) if in_flight else (0,)), (
                f"cycle {cycle}: {len(done)} ops returned, {len(new)} new entries"
            )

            # Every returned op is there, in order, at the seq it reported.
            for k, op in enumerate(done):
                assert op["seq"] == len(leaves) + k, f"cycle {cycle}: {op} has the wrong seq"
                problem = entry_mismatch(op, entries[op["seq"]], fp)
                assert problem is None, f"cycle {cycle}: {problem}"
                ledger.apply(op, returned=True)
            if committed_in_flight:
                assert in_flight is not None
                problem = entry_mismatch(in_flight, new[-1], fp)
                assert problem is None, f"cycle {cycle}: extra entry is not the op in flight"
                ledger.apply(in_flight, returned=False)

            assert not duplicated_markers(entries), f"cycle {cycle}: an op was applied twice"
            ledger.check_tokens(session)
            ledger.check_policy(session)
        finally:
            session.lock()

        leaves = [e.leaf_hash for e in entries]
        stats["kills"] += 1
        stats["ops returned"] += len(done)
        stats["killed mid-op"] += in_flight is not None
        stats["in-flight op committed"] += committed_in_flight

    session = unlock(vault_dir, state_dir, MEMBER, PASSPHRASE)
    try:
        ledger.reveal_all(session)
        stats["entries"] = len(assert_verified(session))
    finally:
        session.lock()
    assert stats["kills"] == KILLS_PER_VAULT
    assert stats["ops returned"] > 0, "no mutation ever completed before a kill"
    assert set(ledger.counts) >= {"add", "edit", "rotate", "reveal", "review"}
    print(f"vault {vault_no}: {dict(stats)}; committed ops by kind: {dict(ledger.counts)}")
