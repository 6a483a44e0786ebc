"""Import benchmark (not a test): `tokenvault import FILE --format csv` of a generated CSV into
a fresh vault, as a whole process. With --write, replaces the "Import" section of
docs/benchmarks.md.

    python bench/bench_import.py [--write] [--rows 100000] [--repeat 3] [--profile]

The CSV has every column of docs/import.md, realistic names, services, owners, scopes,
consumers and tags (those of bench/_vaults.py), dates around now and a distinct random secret
per row; it is generated once per run with a fixed seed. Each run creates a new vault (Argon2id
at the floor) and imports the file into it with the real console script, the passphrase in a
0600 file and the output (one line per token) to a pipe that is read and dropped: start-up,
unlock, parsing, checks, one token.create entry per token and the `import` entry, signing and
COMMIT are all inside the wall time. The target (issue 7) is < 30 s at 100,000 rows.

--profile runs one import in this process under cProfile instead and prints the functions
with the most time (own and cumulative); nothing is written.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _report import machine, write_section
from _vaults import (
    _ENVS,
    _OWNERS,
    _PURPOSES,
    _SCOPES,
    _SERVICES,
    _TAGS,
    _USERS,
    MEMBER,
    PASSPHRASE,
    kdf_seconds,
)

from tokenvault import services
from tokenvault.crypto import kdf
from tokenvault.domain.model import Secret
from tokenvault.services import imports

SCRIPT = Path(sys.executable).with_name("tokenvault")
TARGET = 30.0  # seconds at 100,000 rows (issue 7)
COLUMNS = (
    "name", "secret", "service", "environment", "owner", "scopes", "used_by", "tags", "notes",
    "issued_at", "expires_at", "rotate_every_days", "last_rotated_at",
)  # fmt: skip
_NOTES = ("", "", "", "rotated by hand", "owner: see wiki", "created for the Q3 migration")


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` distinct tokens in our own CSV format (names and secrets unique)."""
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        service, env, purpose = rng.choice(_SERVICES), rng.choice(_ENVS), rng.choice(_PURPOSES)
        issued = today - timedelta(days=rng.randint(30, 700))
        rotated = issued + timedelta(days=rng.randint(0, (today - issued).days))
        expires = "" if rng.random() < 0.3 else _day(issued + timedelta(days=rng.randint(90, 900)))
        writer.writerow(
            (
                f"{service}-{env}-{purpose}-{i:06d}",
                f"{service[:3]}_{rng.getrandbits(192):048x}",
                service,
                env,
                rng.choice(_OWNERS),
                ";".join(rng.sample(_SCOPES, rng.randint(1, 3))),
                ";".join(rng.sample(_USERS, rng.randint(0, 2))),
                ";".join(rng.sample(_TAGS, rng.randint(0, 2))),
                rng.choice(_NOTES),
                _day(issued) if rng.random() < 0.8 else "",
                expires,
                "" if rng.random() < 0.7 else rng.choice((30, 60, 90, 180)),
                _day(rotated) if rng.random() < 0.5 else "",
            )
        )
    path.write_text(out.getvalue(), encoding="utf-8")


def new_vault(root: Path) -> Path:
    """A fresh, empty vault under `root` (Argon2id at the floor)."""
    root.mkdir(mode=0o700)
    vault = root / "vault"
    services.create_vault(
        vault, name="bench import", member_id=MEMBER, passphrase=Secret(PASSPHRASE),
        kdf=kdf.FLOOR, state_dir=root / "state",
    )  # fmt: skip
    return vault


def run_import(root: Path, csv_path: Path, passfile: Path) -> float:
    vault = new_vault(root)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "XDG_STATE_HOME": str(root / "xdg-state"),
        "TOKENVAULT_VAULT": str(vault),
        "TOKENVAULT_MEMBER": MEMBER,
        "TOKENVAULT_PASSPHRASE_FILE": str(passfile),
    }
    if "PYTHONPATH" in os.environ:  # a source tree that must win over the installed package
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    argv = [str(SCRIPT), "import", str(csv_path), "--format", "csv"]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import: exit {done.returncode}: {done.stderr.decode()}")
    return wall


def profile(root: Path, csv_path: Path, top: int = 35) -> None:
    """One import in this process under cProfile (the vault is created outside it)."""
    new_vault(root)
    session = services.unlock(root / "vault", MEMBER, Secret(PASSPHRASE), state_dir=root / "state")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    try:
        profiler.enable()
        result = imports.import_file(session, csv_path, "csv")
        profiler.disable()
    finally:
        session.lock()
    wall = time.perf_counter() - start
    print(f"{len(result.created):,} created in {wall:.1f} s (under the profiler)", file=sys.stderr)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def report(rows: int, samples: list[float], kdf_s: float, command: str) -> str:
    median = statistics.median(samples)
    verdict = "met" if median < TARGET else "**missed**"
    runs = ", ".join(f"{s:.1f}" for s in samples)
    return (
        "## Import\n\n"
        f"Machine: {machine()}. Measured {datetime.now(UTC):%Y-%m-%d}.\n"
        f"Command: `{command}`\n\n"
        f"`tokenvault import tokens.csv --format csv` of a generated {rows:,}-row CSV (every "
        "column of docs/import.md; realistic names, services, owners, scopes, consumers and "
        "tags; a distinct random secret per row) into a fresh vault, as a whole process: "
        f"start-up, unlock (Argon2id at the floor, {kdf_s * 1000:.0f} ms), parsing, checks, "
        f"{rows:,} token.create entries and one `import` entry in one transaction, the "
        "checkpoint and COMMIT, and one output line per token.\n\n"
        "| rows | median | runs |\n|---|---|---|\n"
        f"| {rows:,} | **{median:.1f} s** ({rows / median:,.0f} tokens/s) | {runs} s |\n\n"
        f"Target (issue 7): < {TARGET:.0f} s at 100,000 rows: {verdict}.\n\n"
        "Before the batched write path (commit 17eb01d, same file, same machine, measured "
        "just before): 80.8 s. What changed, per token: the canonical encoding of each entry "
        "by json's C encoder, checked by reading it back, instead of rfc8785 and check_value "
        "in Python (about 0.08 ms to 0.02 ms per entry; rfc8785 remains for what the fast "
        "path doubts); "
        "the journal rows, tokens and versions (secret included, instead of an UPDATE after "
        "the INSERT) written by one executemany per table after every check, instead of four "
        "or five statements per token; the garbage collector paused for the import (parsing "
        "and planning took twice as long with it); timestamps formatted without strftime; "
        "fingerprints by hmac.digest. The journal is byte-identical "
        "(tests/services/test_import_journal.py).\n\n"
        "Then (same day), two findings about SQLCipher's `cipher_memory_security = ON`, "
        "which mlocks, wipes and munlocks every allocation SQLite makes from the heap rather "
        "than from its per-connection lookaside memory: (1) a cached prepared statement keeps "
        "the memory it was prepared in, so vault connections now keep no statement cache "
        "(`cached_statements=0`; a 20,000-row insert took 0.38 s with one cached read and "
        "0.10 s without): 50.0 s to 42.6 s; (2) the name check before the import used "
        "`name IN (?, ...)` queries of 500 parameters, and after one of those the "
        "connection's inserts made about 100 times more allocations (strace: 96,129 mlock "
        "calls for 5,000 tokens against 998 without it); it now reads every name once and "
        "intersects: 42.6 s to the figure above. Both were found by counting mlock calls "
        "between markers with `strace -e trace=mlock,write`.\n\n"
        "Where the time goes now: parsing the CSV about 3 s, checking and planning about "
        "3 s, signing and chaining the entries about 8 s (Ed25519 0.04 ms, encoding 0.02 ms, "
        "the Merkle root after each entry), the three inserts about 3 s, and start-up, "
        "output and COMMIT the rest. Secrets have no per-version AEAD of their own "
        "(SQLCipher encrypts the pages), so there is no such cost to cut.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="one in-process cProfile run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tokenvault-import-") as tmp:
        base = Path(tmp)
        csv_path = base / "tokens.csv"
        write_csv(csv_path, args.rows)
        if args.profile:
            profile(base / "profiled", csv_path)
            return 0
        passfile = base / "pass"
        passfile.write_text(PASSPHRASE)
        passfile.chmod(0o600)
        samples = []
        for i in range(args.repeat):
            samples.append(run_import(base / f"run{i}", csv_path, passfile))
            print(f"  run {i + 1}: {samples[-1]:.1f} s", file=sys.stderr)
    kdf_s = kdf_seconds()
    command = f"python bench/bench_import.py --write --rows {args.rows} --repeat {args.repeat}"
    section = report(args.rows, samples, kdf_s, command)
    print(section)
    if args.write:
        write_section("Import", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
