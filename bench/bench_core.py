"""Benchmarks of the vault core (not tests): unlock cost, journaled mutations per second,
reveal latency, verify() and unlock at a larger journal. Prints a table and, with --write,
replaces the core section of docs/benchmarks.md.

    python bench/bench_core.py [--write] [--mutations 300] [--large 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from _report import machine, write_section

from tokenvault import services
from tokenvault.crypto import kdf
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft

PASS = Secret("benchmark passphrase")
ROOT = Path(__file__).parent.parent


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def unlock_and_lock(vault: Path, state: Path) -> None:
    services.unlock(vault, "ops", PASS, state_dir=state).lock()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--large", type=int, default=5000)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        state = base / "state"
        for label, params in (("floor", kdf.FLOOR), ("default", kdf.DEFAULT)):
            vault = base / label
            services.create_vault(
                vault,
                name="bench",
                member_id="ops",
                passphrase=PASS,
                kdf=params,
                state_dir=state,
            )
            samples = timed(partial(unlock_and_lock, vault, state), 5)
            rows.append(
                (
                    f"unlock, Argon2id {label} (m={params.memory_kib // 1024} MiB, "
                    f"t={params.time_cost}, p={params.parallelism})",
                    f"{statistics.median(samples) * 1000:.0f} ms (median of 5)",
                )
            )
        session = services.unlock(base / "floor", "ops", PASS, state_dir=state)
        n = args.mutations
        names = iter(range(n))
        add = timed(
            lambda: services.tokens.add(
                session, TokenDraft(name=f"t{next(names)}", owner="ops"), Secret("s" * 40)
            ),
            n,
        )
        rows.append(("token add (one journaled transaction)", rate(add)))
        review = timed(lambda: services.tokens.review(session, "t1"), n)
        rows.append(("token review (smallest journaled mutation)", rate(review)))
        reveal = timed(lambda: services.tokens.reveal(session, "t2"), n)
        rows.append(("reveal (journal entry committed, then secret returned)", rate(reveal)))
        for i in range(args.large - 3 * n):
            services.tokens.review(session, f"t{i % n}")
        size = services.verify(session).entries
        verify = timed(lambda: services.verify(session), 3)
        rows.append(
            (f"verify() at {size} entries, {n} tokens", f"{statistics.median(verify):.2f} s")
        )
        session.lock()
        relock = timed(partial(unlock_and_lock, base / "floor", state), 3)
        rows.append(
            (
                f"unlock at {size} entries (floor; includes the cached-checkpoint check)",
                f"{statistics.median(relock) * 1000:.0f} ms",
            )
        )
    table = "\n".join(f"| {what} | {value} |" for what, value in rows)
    report = (
        "## Vault core\n\n"
        f"Machine: {machine()}. Measured {datetime.now(UTC):%Y-%m-%d}.\n"
        f"Command: `python bench/bench_core.py --write --mutations {n} --large {args.large}`\n\n"
        "| what | result |\n|---|---|\n" + table + "\n"
    )
    print(report)
    if args.write:
        write_section("Vault core", report)
    return 0


def rate(samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{1 / median:.0f} /s (median {median * 1000:.1f} ms over {len(samples)})"


if __name__ == "__main__":
    sys.exit(main())
