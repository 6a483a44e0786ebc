"""Parent-side helpers for the reliability tests: running `_worker.py` children, reading their
protocol records under deadlines, and checking a vault against what the children reported.

Why deadlines everywhere: a child that hangs (a deadlock on keys.lock or the SQLite write lock)
must fail the test with its stderr, not hang the suite. The deadlines only bound failures; no
test asserts on timing. Every child is killed and reaped when its `with` block ends, pass or
fail, so no process outlives its test.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tokenvault
from tokenvault import services
from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain.journal import Entry, decode_entry
from tokenvault.domain.model import Secret
from tokenvault.services import Session
from tokenvault.storage import journal as journal_rows

WORKER = Path(__file__).with_name("_worker.py")
# Children import the very tokenvault the parent imported (not whatever an installed copy is).
SOURCE_ROOT = Path(tokenvault.__file__).resolve().parents[1]
DEADLINE_S = 90.0  # generous: bounds a hang under a loaded xdist run, never a timing check

# What each worker op writes to the journal.
ENTRY_TYPE = {
    "add": "token.create",
    "edit": "token.update",
    "rotate": "token.rotate",
    "revoke": "token.revoke",
    "reveal": "token.reveal",
    "review": "token.review",
    "policy": "policy.update",
}


@dataclass(frozen=True)
class Record:
    kind: str
    payload: Any


class Child:
    """One `_worker.py` process: stdout read as protocol records, stderr kept in a file."""

    def __init__(self, command: str, args: Sequence[str], workdir: Path, label: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.label = label
        self.stderr_path = workdir / f"{label}.stderr"
        self._stderr = self.stderr_path.open("wb")
        path = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), command, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._buffer = b""
        self._eof = False
        self.records: list[Record] = []

    # ---- reading ----------------------------------------------------------------------------

    @property
    def fd(self) -> int:
        return self._fd

    @property
    def eof(self) -> bool:
        return self._eof

    def feed(self) -> None:
        """Read what is available now (call when select says readable)."""
        chunk = os.read(self._fd, 65536)
        if not chunk:
            self._eof = True
            if self._buffer:
                self._take(self._buffer)  # a partial last line: keep it, the parser will see
                self._buffer = b""
            return
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._take(line)

    def _take(self, raw: bytes) -> None:
        text = raw.decode()
        kind, _, rest = text.partition(" ")
        self.records.append(Record(kind, json.loads(rest) if rest else None))

    def expect(self, kind: str, deadline_s: float = DEADLINE_S) -> Record:
        """Read until a record of `kind` arrives; fail with stderr on EOF or deadline."""
        seen = len(self.records)
        end = time.monotonic() + deadline_s
        while True:
            for record in self.records[seen:]:
                if record.kind == kind:
                    return record
            seen = len(self.records)
            if self._eof:
                raise AssertionError(f"{self.label}: exited before '{kind}'\n{self.diagnose()}")
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.label}: no '{kind}' in {deadline_s} s\n{self.diagnose()}"
                )
            readable, _, _ = select.select([self._fd], [], [], remaining)
            if readable:
                self.feed()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    # ---- ending -----------------------------------------------------------------------------

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)

    def finish(self, deadline_s: float = DEADLINE_S) -> int:
        """Read every remaining record (all a killed child wrote is still in the pipe), then
        reap the process; its exit status."""
        drain([self], deadline_s)
        return self.proc.wait(timeout=deadline_s)

    def stderr_text(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def diagnose(self) -> str:
        last = [f"{r.kind} {r.payload}" for r in self.records[-5:]]
        return f"last records: {last}\nstderr:\n{self.stderr_text()[-4000:]}"

    def kinds(self, kind: str) -> list[Any]:
        return [r.payload for r in self.records if r.kind == kind]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self.proc.wait(timeout=DEADLINE_S)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self._stderr.close()


def drain(children: Sequence[Child], deadline_s: float = DEADLINE_S) -> None:
    """Read all children's stdout concurrently until each one's EOF (so neither blocks on a
    full pipe while we wait for the other)."""
    end = time.monotonic() + deadline_s
    while True:
        open_ = [c for c in children if not c.eof]
        if not open_:
            return
        remaining = end - time.monotonic()
        if remaining <= 0:
            stuck = "\n".join(f"{c.label}: {c.diagnose()}" for c in open_)
            raise AssertionError(f"children did not finish in {deadline_s} s\n{stuck}")
        readable, _, _ = select.select([c.fd for c in open_], [], [], remaining)
        for child in open_:
            if child.fd in readable:
                child.feed()


@contextlib.contextmanager
def spawn(command: str, args: Sequence[str], workdir: Path, label: str) -> Iterator[Child]:
    """A running worker, killed and reaped when the block ends (pass or fail)."""
    child = Child(command, args, workdir, label)
    try:
        yield child
    finally:
        child.close()


def worker_args(vault: Path, state: Path, member: str, passphrase: str, *extra: str) -> list[str]:
    return [
        "--vault",
        str(vault),
        "--state",
        str(state),
        "--member",
        member,
        "--passphrase",
        passphrase,
        *extra,
    ]


def base_seed() -> int:
    """The run's random seed: TOKENVAULT_RELIABILITY_SEED replays one (the tests print it)."""
    raw = os.environ.get("TOKENVAULT_RELIABILITY_SEED")
    return int(raw) if raw else random.SystemRandom().randrange(2**32)


def assert_killed(child: Child, returncode: int) -> None:
    assert returncode == -signal.SIGKILL, (
        f"{child.label} was not SIGKILLed (exit status {returncode})\n{child.diagnose()}"
    )


# ---- reading the vault ------------------------------------------------------------------------


def unlock(vault: Path, state: Path, member: str, passphrase: str | Secret) -> Session:
    secret = passphrase if isinstance(passphrase, Secret) else Secret(passphrase)
    return services.unlock(vault, member, secret, state_dir=state)


def journal(session: Session) -> list[Entry]:
    """Every journal entry, decoded strictly, in seq order."""
    with session.read() as db:
        return [decode_entry(row.line) for row in journal_rows.rows(db)]


def fp_of(session: Session) -> Callable[[str], str]:
    """The vault's keyed fingerprint of a secret (how entries and versions name secrets)."""
    key, key_id = session.fp_key, session.fp_key_id
    return lambda secret: fingerprint(key, key_id, secret.encode())


def assert_verified(session: Session) -> list[Entry]:
    """verify() is clean and the journal is one gap-free chain; its entries."""
    report = services.verify(session)
    assert report.ok, report.problems
    entries = journal(session)
    assert [e.seq for e in entries] == list(range(len(entries))), "journal seqs have gaps"
    assert report.entries == len(entries)
    return entries


def entry_mismatch(op: dict[str, Any], entry: Entry, fp: Callable[[str], str]) -> str | None:
    """Why `entry` is not the entry `op` writes (None when it is)."""
    want = ENTRY_TYPE[op["op"]]
    if entry.type != want or entry.actor != op["member"]:
        return f"seq {entry.seq}: {entry.type} by {entry.actor}, expected {want} by {op['member']}"
    body = entry.body
    if op["op"] == "policy":
        ok = body["changes"].get("reminder_days", {}).get("after") == op["value"]
    elif body.get("name") != op["name"]:
        return f"seq {entry.seq}: about token {body.get('name')!r}, expected {op['name']!r}"
    elif op["op"] in ("add", "rotate"):
        ok = body["fingerprint"] == fp(op["secret"])
    elif op["op"] == "edit":
        ok = body["changes"].get("notes", {}).get("after") == op["marker"]
    elif op["op"] in ("revoke", "review"):
        ok = body["note"] == op["marker"]
    else:  # reveal: identified by its token and seq; the secret is checked by the ledger
        ok = True
    return None if ok else f"seq {entry.seq}: body does not carry the marker of {op}"


def duplicated_markers(entries: Iterable[Entry]) -> list[tuple[str, str]]:
    """Markers (token names, note texts, secret fingerprints) found in more than one entry:
    every op uses fresh ones, so a duplicate means an op was applied twice."""
    keys: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        body = entry.body
        if entry.type == "token.create":
            keys["create", body["name"]] += 1
            keys["secret", body["fingerprint"]] += 1
        elif entry.type == "token.rotate":
            keys["secret", body["fingerprint"]] += 1
        elif entry.type == "token.update" and "notes" in body["changes"]:
            keys["notes", body["changes"]["notes"]["after"]] += 1
        elif entry.type in ("token.review", "token.revoke") and body["note"]:
            keys[entry.type, body["note"]] += 1
    return [key for key, count in keys.items() if count > 1]


@dataclass
class Ledger:
    """What the vault must hold, built only from ops whose call returned (plus an in-flight op
    once the journal proves it committed). Tokens are keyed by name."""

    secrets: dict[str, str] = field(default_factory=dict)  # current secret
    revoked: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)
    policy_reminder_days: int | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def apply(self, op: dict[str, Any], *, returned: bool) -> None:
        """Record one committed op; for a returned reveal, check what it returned."""
        kind, name = op["op"], op.get("name", "")
        self.counts[kind] += 1
        if kind in ("add", "rotate"):
            self.secrets[name] = op["secret"]
        elif kind == "edit":
            self.notes[name] = op["marker"]
        elif kind == "revoke":
            self.revoked.add(name)
        elif kind == "policy":
            self.policy_reminder_days = op["value"]
        elif kind == "reveal" and returned:
            assert op["revealed"] == self.secrets[name], (
                f"reveal of {name} returned another secret than its last committed one"
            )

    def check_tokens(self, session: Session, prefix: str = "") -> None:
        """The tokens named `prefix`... are exactly the ledger's, with its secrets, notes and
        revocations (secrets compared by fingerprint: revealing here would add entries)."""
        fp = fp_of(session)
        tokens = {
            t.name: t for t in services.tokens.list_tokens(session) if t.name.startswith(prefix)
        }
        missing = sorted(set(self.secrets) - set(tokens))
        extra = sorted(set(tokens) - set(self.secrets))
        assert not missing, f"tokens whose add returned are missing: {missing}"
        assert not extra, f"tokens nobody added: {extra}"
        for name, token in tokens.items():
            assert token.current.fingerprint == fp(self.secrets[name]), f"{name}: secret"
            assert token.revoked == (name in self.revoked), f"{name}: revocation"
            assert token.notes == self.notes.get(name, ""), f"{name}: notes"

    def check_policy(self, session: Session) -> None:
        """The policy holds the last committed update (single-writer ledgers only)."""
        if self.policy_reminder_days is not None:
            policy = services.policy.show(session)
            assert policy.reminder_days == self.policy_reminder_days

    def reveal_all(self, session: Session) -> None:
        """The end-to-end check: every token's secret comes back out of the vault."""
        for name, secret in sorted(self.secrets.items()):
            assert services.tokens.reveal(session, name).expose_text() == secret, name
