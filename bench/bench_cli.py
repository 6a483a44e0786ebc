"""Whole-process timings of the command line (not tests): what a script or an operator waits
for, Python start-up and Argon2id included, next to `pass show` when pass(1) is installed.
With --write, replaces the "Command line" section of docs/benchmarks.md.

    python bench/bench_cli.py [--write] [--tokens 1000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _report import machine, write_section

from tokenvault import services
from tokenvault.crypto import kdf
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft

PASSPHRASE = "benchmark passphrase"
SCRIPT = Path(sys.executable).with_name("tokenvault")


def run_times(argv: list[str], env: dict[str, str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(samples)
    return f"{median * 1000:.0f} ms median, {p95 * 1000:.0f} ms p95 (n={len(samples)})"


def build_vault(root: Path, tokens: int) -> Path:
    vault = root / "vault"
    services.create_vault(
        vault, name="bench", member_id="ops", passphrase=Secret(PASSPHRASE), kdf=kdf.FLOOR,
        state_dir=root / "state",
    )  # fmt: skip
    session = services.unlock(vault, "ops", Secret(PASSPHRASE), state_dir=root / "state")
    try:
        for i in range(tokens):
            draft = TokenDraft(name=f"token-{i:05d}", owner="platform", service="github")
            services.tokens.add(session, draft, Secret(f"ghp_bench_{i:032d}"))
    finally:
        session.lock()
    return vault


def pass_show(root: Path, repeat: int) -> str | None:
    """`pass show` with an unprotected GnuPG key (the best case: no pinentry, no agent wait)."""
    if not (shutil.which("pass") and shutil.which("gpg")):
        return None
    home = root / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home), "PASSWORD_STORE_DIR": str(root / "store")}
    gen = ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "bench@example.org"]
    subprocess.run([*gen, "default", "default", "never"], env=env, check=True, capture_output=True)
    subprocess.run(["pass", "init", "bench@example.org"], env=env, check=True, capture_output=True)
    subprocess.run(
        ["pass", "insert", "-m", "gh"],
        env=env,
        input=b"ghp_bench\n",
        check=True,
        capture_output=True,
    )
    return ms(run_times(["pass", "show", "gh"], env, repeat))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o700)
        vault = build_vault(root, args.tokens)
        pw = root / "pw"
        pw.write_text(PASSPHRASE + "\n")
        pw.chmod(0o600)
        env = {
            **os.environ,
            "TOKENVAULT_VAULT": str(vault),
            "TOKENVAULT_PASSPHRASE_FILE": str(pw),
            "XDG_STATE_HOME": str(root / "xdg-state"),
        }
        n, few = args.repeat, max(5, args.repeat // 2)
        cases = [
            ("`tokenvault --version` (start-up, no unlock)", ["--version"], n),
            (
                "`tokenvault get token-00000` (floor KDF, journaled reveal)",
                ["get", "token-00000"],
                n,
            ),
            (f"`tokenvault ls --json` ({args.tokens} tokens)", ["ls", "--json"], few),
            (f"`tokenvault ls` ({args.tokens} tokens, table)", ["ls"], few),
        ]
        rows = [(what, ms(run_times([str(SCRIPT), *argv], env, k))) for what, argv, k in cases]
        shown = pass_show(root, args.repeat)
        rows.append(("`pass show gh` (GnuPG, unprotected key)", shown or "pass not installed"))
    lines = "\n".join(f"| {what} | {result} |" for what, result in rows)
    report = (
        "## Command line\n\n"
        f"Machine: {machine()}. Measured {datetime.now(UTC):%Y-%m-%d}.\n"
        "Command: `python bench/bench_cli.py --write "
        f"--tokens {args.tokens} --repeat {args.repeat}`\n\n"
        "Whole processes, as a script or cron sees them: Python start-up, imports, Argon2id at "
        "the floor (m=64 MiB, t=3, p=4), SQLCipher open, the journaled reveal.\n\n"
        "| what | time |\n|---|---|\n" + lines + "\n\n"
        "Where the time goes: about 140 ms is Python start-up and imports (the `--version` "
        "row) and about 110 ms is Argon2id, paid on every invocation by design — there is no "
        "agent holding keys between commands. `pass` delegates the passphrase to gpg-agent "
        "(here an unprotected key), so it pays neither.\n"
    )
    print(report)
    if args.write:
        write_section("Command line", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
