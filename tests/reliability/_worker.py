"""The child processes of the reliability tests, run as `python _worker.py COMMAND ...`.

Why a separate program: a crash test is only worth something if SIGKILL hits a real process
that owns its own SQLCipher connection, WAL locks, flock on keys.lock and file descriptors,
exactly like a CLI or TUI process would. Everything here is the real service API on real files;
the only interference is in `remove`/`unlock`, which wrap two functions *in this process only*
so that the process kills itself at an exact step of a key change.

Protocol (stdout, one line per record, flushed at once so a record that was written survives
the SIGKILL that follows it):

    ready {json}    unlocked; the mutation loop or the removal starts now
    begin {json}    about to call a service function (the op that may be in flight)
    done {json}     the call *returned*; "seq" is the journal entry it wrote
    phase NAME      a key-change step just happened: staged / final (a keys.json write),
                    rekey-start / rekey-done, or kill@POINT right before dying there
    paused WHAT     waiting for one line on stdin before going on (race tests)
    result {json}   the outcome of a race probe
    finished        the command completed without being killed

Any exception escapes: traceback on stderr, exit status 1. The parent treats that as a failure,
so an OperationalError ("database is locked") can never hide.

Importing this module has no side effects (the tests import KILL_POINTS from it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from tokenvault import services
from tokenvault.crypto.keyfile import KeyFile
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.model import Secret, Token
from tokenvault.services import Session, TokenDraft, keystore
from tokenvault.services.paths import VaultPaths
from tokenvault.storage import journal as journal_rows
from tokenvault.storage import rows
from tokenvault.storage.db import Database

# ---- constants shared with the tests ----------------------------------------------------

OPS = ("add", "edit", "rotate", "revoke", "reveal", "review", "policy")
# Relative frequencies: adds keep new tokens coming, revokes stay rare so live tokens remain.
OP_WEIGHTS = {
    "add": 22,
    "edit": 18,
    "rotate": 16,
    "reveal": 16,
    "review": 12,
    "policy": 8,
    "revoke": 8,
}
MIN_LIVE_BEFORE_REVOKE = 4

# Where `remove`/`unlock` may SIGKILL themselves. keystore.write is called twice by a removal
# (staged file, final file) and once by an unlock that settles a leftover; Database.rekey
# once by whoever settles a confirmed removal.
KILL_POINTS = (
    "write1-before",  # (a) before anything is written (keys.lock held, write transaction open)
    "write1-after",  # (b) staged keys.json written, journal not committed
    "rekey-before",  # (c) journal committed, PRAGMA rekey not run
    "rekey-after",  # (d) rekey committed (new-key pages still only in the WAL)
    "write2-before",  # (d') rekey and WAL checkpoint done, final keys.json not written
    "write2-after",  # (e) final keys.json written, remove_member has not returned
    "returned",  # (e') remove_member returned
)


def emit(kind: str, payload: Any = None) -> None:
    """One protocol record, flushed immediately."""
    text = kind if payload is None else f"{kind} {json.dumps(payload, sort_keys=True)}"
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def die_now() -> NoReturn:
    """SIGKILL ourselves: no atexit, no finally, no flush of anything not yet written."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: SIGKILL did not kill the process")


def wait_for_go(what: str) -> None:
    """Block until the parent says "go": a barrier, or a pause at an exact race point."""
    emit("paused", what)
    line = sys.stdin.readline()
    if line.strip() != "go":
        raise SystemExit(f"expected 'go' on stdin, got {line!r}")


# ---- command: mutate ----------------------------------------------------------------------


@dataclass
class Mutator:
    """Random but always-valid mutations against a session, reported after they return."""

    session: Session
    rng: random.Random
    prefix: str
    member: str
    admin: bool
    policy_parity: int | None = None
    live: list[str] = field(default_factory=list)
    counter: int = 0

    def load(self, only_prefix: bool) -> None:
        """Start from what the vault holds now: a previous (killed) child may have committed
        an op it never reported, so the model is re-read rather than carried over."""
        tokens = services.tokens.list_tokens(self.session)
        self.live = [
            t.name
            for t in tokens
            if not t.revoked and (not only_prefix or t.name.startswith(self.prefix + "-"))
        ]

    def pick_op(self) -> str:
        if not self.live:
            return "add"
        names = [op for op in OPS if self._allowed(op)]
        weights = [OP_WEIGHTS[op] for op in names]
        return self.rng.choices(names, weights)[0]

    def _own_value(self, days: int) -> bool:
        return self.policy_parity is None or days % 2 == self.policy_parity

    def _allowed(self, op: str) -> bool:
        if op == "policy":
            return self.admin
        if op == "revoke":
            return len(self.live) >= MIN_LIVE_BEFORE_REVOKE
        return True

    def plan(self, op: str) -> dict[str, Any]:
        """Everything the parent needs to recognise this op's journal entry, decided before
        the call (so a `begin` record describes the op that may be in flight)."""
        self.counter += 1
        marker = f"{self.prefix}-{self.counter}-{self.rng.getrandbits(32):08x}"
        plan: dict[str, Any] = {"op": op, "marker": marker, "member": self.member}
        if op == "add":
            plan["name"] = f"{self.prefix}-t{self.counter}-{self.rng.getrandbits(24):06x}"
            plan["secret"] = f"sk-{marker}"
        elif op == "policy":
            # A value nobody else sets (see --policy-parity) and not the current one, so the
            # update always writes an entry even with another admin writing concurrently.
            current = services.policy.show(self.session).reminder_days
            values = [d for d in range(1, 121) if d != current and self._own_value(d)]
            plan["value"] = self.rng.choice(values)
        else:
            plan["name"] = self.rng.choice(self.live)
            if op == "rotate":
                plan["secret"] = f"sk-{marker}"
        return plan

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Call the service; return what to report (the plan plus results)."""
        s = self.session
        op, name, marker = plan["op"], plan.get("name", ""), plan["marker"]
        result = dict(plan)
        if op == "add":
            draft = TokenDraft(name=name, owner=self.member, service="svc", notes="")
            services.tokens.add(s, draft, Secret(plan["secret"]))
            self.live.append(name)
        elif op == "edit":
            services.tokens.edit(s, name, {"notes": marker})
        elif op == "rotate":
            services.tokens.rotate(s, name, Secret(plan["secret"]))
        elif op == "revoke":
            services.tokens.revoke(s, name, "compromised", note=marker)
            self.live.remove(name)
        elif op == "reveal":
            result["revealed"] = services.tokens.reveal(s, name).expose_text()
        elif op == "review":
            services.tokens.review(s, name, note=marker)
        elif op == "policy":
            services.policy.update(s, {"reminder_days": plan["value"]})
        else:  # pragma: no cover - OPS is closed
            raise ValueError(op)
        # The write path advances the session's seen checkpoint to the new head right after
        # COMMIT, so size - 1 is the seq of the entry this call wrote (each op writes one).
        result["seq"] = s.seen.size - 1
        return result


def cmd_mutate(args: argparse.Namespace) -> None:
    session = services.unlock(
        Path(args.vault), args.member, Secret(args.passphrase), state_dir=Path(args.state)
    )
    mutator = Mutator(
        session=session,
        rng=random.Random(args.seed),
        prefix=args.prefix,
        member=args.member,
        admin=session.is_admin,
        policy_parity=args.policy_parity,
    )
    mutator.load(only_prefix=args.own_tokens_only)
    emit("ready", {"entries": session.seen.size, "live": len(mutator.live)})
    if args.barrier:
        wait_for_go("barrier")
    done = 0
    while args.count is None or done < args.count:
        plan = mutator.plan(mutator.pick_op())
        emit("begin", plan)
        emit("done", mutator.run(plan))
        done += 1
    session.lock()
    emit("finished")


# ---- commands: remove / unlock with a kill point --------------------------------------------


def install_keychange_hooks(kill_at: str | None) -> None:
    """Wrap keystore.write and Database.rekey in this process: report each step on stdout and
    SIGKILL at `kill_at`. Reporting before dying tells the parent which step was reached."""
    real_write = keystore.write
    real_rekey = Database.rekey
    writes = 0

    def point(name: str) -> None:
        if name == kill_at:
            emit("phase", f"kill@{name}")
            die_now()

    def write(paths: VaultPaths, keyfile: KeyFile) -> None:
        nonlocal writes
        writes += 1
        point(f"write{writes}-before")
        real_write(paths, keyfile)
        emit("phase", "staged" if keyfile.pending is not None else "final")
        point(f"write{writes}-after")

    def rekey(self: Database, new_key: bytes) -> None:
        emit("phase", "rekey-start")
        point("rekey-before")
        real_rekey(self, new_key)
        emit("phase", "rekey-done")
        point("rekey-after")

    keystore.write = write
    Database.rekey = rekey  # type: ignore[method-assign]


def cmd_remove(args: argparse.Namespace) -> None:
    session = services.unlock(
        Path(args.vault), args.member, Secret(args.passphrase), state_dir=Path(args.state)
    )
    install_keychange_hooks(args.kill_at)
    emit("ready", {"entries": session.seen.size})
    start = time.perf_counter()
    removal = services.members.remove_member(session, args.target)
    elapsed = time.perf_counter() - start
    emit("done", {"epoch": removal.epoch, "elapsed": elapsed, "seq": session.seen.size - 1})
    if args.kill_at == "returned":
        emit("phase", "kill@returned")
        die_now()
    session.lock()
    emit("finished")


def cmd_unlock(args: argparse.Namespace) -> None:
    """Unlock (settling whatever a crash left) with the hooks installed *before* unlock, so the
    repair itself can be killed at a step."""
    install_keychange_hooks(args.kill_at)
    emit("ready", {})
    session = services.unlock(
        Path(args.vault), args.member, Secret(args.passphrase), state_dir=Path(args.state)
    )
    emit("done", {"repaired": session.unlock_info.repaired})
    session.lock()
    emit("finished")


# ---- commands: race probes ----------------------------------------------------------------


def cmd_unlock_race(args: argparse.Namespace) -> None:
    """Unlock, pausing inside the first journal.head() call right after its first read, so the
    parent can commit a write exactly between head()'s reads. Reports the outcome instead of
    raising, so the parent can tell the known failure from anything else."""
    real_head = journal_rows.head
    real_query_one = Database.query_one
    state = {"in_head": False, "paused": False}

    def head(db: Database) -> journal_rows.Head:
        state["in_head"] = True
        try:
            return real_head(db)
        finally:
            state["in_head"] = False

    def query_one(self: Database, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = real_query_one(self, sql, params)
        if state["in_head"] and not state["paused"]:
            state["paused"] = True
            wait_for_go("journal-head")
        return row

    journal_rows.head = head
    Database.query_one = query_one  # type: ignore[method-assign]
    emit("ready", {})
    try:
        session = services.unlock(
            Path(args.vault), args.member, Secret(args.passphrase), state_dir=Path(args.state)
        )
    except TokenVaultError as exc:
        emit("result", {"paused": state["paused"], "error": f"{type(exc).__name__}: {exc}"})
    else:
        session.lock()
        emit("result", {"paused": state["paused"], "error": None})
    emit("finished")


def cmd_verify_race(args: argparse.Namespace) -> None:
    """Unlock, then verify() pausing after the journal was read and before the stored token
    rows are compared with its replay, so the parent can commit a write exactly there."""
    session = services.unlock(
        Path(args.vault), args.member, Secret(args.passphrase), state_dir=Path(args.state)
    )
    real_all_tokens = rows.all_tokens
    paused = False

    def all_tokens(db: Database) -> list[Token]:
        nonlocal paused
        if not paused:
            paused = True
            wait_for_go("verify-state")
        return real_all_tokens(db)

    emit("ready", {})
    rows.all_tokens = all_tokens
    report = services.verify(session)
    session.lock()
    emit("result", {"paused": paused, "problems": list(report.problems)})
    emit("finished")


# ---- entry point --------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="_worker.py")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--vault", required=True)
        p.add_argument("--state", required=True)
        p.add_argument("--member", required=True)
        p.add_argument("--passphrase", required=True)

    mutate = sub.add_parser("mutate")
    common(mutate)
    mutate.add_argument("--seed", type=int, required=True)
    mutate.add_argument("--prefix", required=True)
    mutate.add_argument("--count", type=int, default=None, help="default: until killed")
    mutate.add_argument("--barrier", action="store_true", help="wait for 'go' on stdin")
    mutate.add_argument("--own-tokens-only", action="store_true")
    mutate.add_argument("--policy-parity", type=int, choices=(0, 1), default=None)

    remove = sub.add_parser("remove")
    common(remove)
    remove.add_argument("--target", required=True)
    remove.add_argument("--kill-at", choices=KILL_POINTS, default=None)

    unlock = sub.add_parser("unlock")
    common(unlock)
    unlock.add_argument("--kill-at", choices=KILL_POINTS, default=None)

    for name in ("unlock-race", "verify-race"):
        common(sub.add_parser(name))
    return parser.parse_args(argv)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "mutate": cmd_mutate,
    "remove": cmd_remove,
    "unlock": cmd_unlock,
    "unlock-race": cmd_unlock_race,
    "verify-race": cmd_verify_race,
}


def main(argv: Sequence[str]) -> None:
    args = parse_args(argv)
    COMMANDS[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
