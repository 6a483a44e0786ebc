"""Expected failures of the real console script (issue #3, design.md §8): the documented exit
code, one line on stderr, no traceback, nothing on stdout, and nothing written.

"Nothing written" is checked through a session opened before the command, which reads the
journal without folding failed unlock attempts; where it matters, a fresh unlock afterwards
(`cli.journal()`) shows whether the command recorded a failed attempt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Result, assert_one_line_error, secret_file
from tests.conftest import MEMBER, PASSPHRASE
from tokenvault import services
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft

WRONG = "not the passphrase at all"
NO_FILE = {"TOKENVAULT_PASSPHRASE_FILE": ""}  # the fixture drops empty values


class Watch:
    """An open session on the test's vault: seeds tokens and reads the journal."""

    def __init__(self, cli: Cli) -> None:
        self.session = cli.session()
        self.before = self.entries()

    def entries(self) -> list[Entry]:
        return list(reversed(services.journal.recent(self.session, limit=10**6)))

    def new(self) -> list[Entry]:
        """What was appended since `before` (asserting nothing before it changed)."""
        entries = self.entries()
        assert entries[: len(self.before)] == self.before
        return entries[len(self.before) :]

    def seed(self, name: str) -> None:
        draft = TokenDraft(name=name, owner=MEMBER)
        services.tokens.add(self.session, draft, Secret(f"tv-errors-{name}"))
        self.before = self.entries()


@pytest.fixture
def watch(cli: Cli) -> Iterator[Watch]:
    w = Watch(cli)
    try:
        yield w
    finally:
        w.session.lock()


def refused(result: Result, code: int, *fragments: str) -> None:
    assert_one_line_error(result, code, *fragments)
    assert result.out == ""


def wrong_file(tmp_path: Path) -> dict[str, str]:
    return {"TOKENVAULT_PASSPHRASE_FILE": str(secret_file(tmp_path / "wrong", WRONG))}


# ---- authentication ----------------------------------------------------------------------


def test_a_wrong_passphrase_is_refused_then_reported(
    cli: Cli, watch: Watch, tmp_path: Path
) -> None:
    r = cli("add", "x", "--owner", "o", stdin="tv-never-stored", env=wrong_file(tmp_path))
    refused(r, 3, "wrong passphrase")
    assert watch.new() == []

    # The next successful unlock reports the attempt and folds it into the journal.
    r = cli("ls", "--json")
    assert r.code == 0, r.err
    assert r.out.strip() == "[]"
    assert len(r.err_lines) == 1
    assert r.err.startswith(f"tokenvault: warning: 1 failed unlock attempt(s) for {MEMBER}")
    (entry,) = watch.new()
    assert entry.type == "unlock.failed"
    assert (entry.body["member"], entry.body["count"]) == (MEMBER, 1)
    assert entry.body["first"] == entry.body["last"]


def test_an_unknown_member_cannot_unlock(cli: Cli, watch: Watch) -> None:
    """Unlocking as someone with no key slot (a typo, or a removed member) is an
    authentication failure, recorded like a wrong passphrase."""
    refused(cli("--member", "zed", "ls"), 3, "zed is not a member of this vault")
    assert watch.new() == []
    folded = cli.journal()[len(watch.before) :]  # the next unlock folds the attempt in
    assert [(e.type, e.body["member"]) for e in folded] == [("unlock.failed", "zed")]
    assert cli("verify").code == 0


# ---- passphrase sources ------------------------------------------------------------------


def test_no_passphrase_source_and_no_terminal(cli: Cli, watch: Watch) -> None:
    # stdin carries the right passphrase: it must not be taken as one (it is the secret's).
    r = cli("add", "x", "--owner", "o", stdin=PASSPHRASE + "\n", env=NO_FILE)
    refused(r, 2, "--passphrase-file", "--passphrase-fd", "no terminal")
    assert watch.new() == []


def test_passphrase_from_a_descriptor(cli: Cli, watch: Watch) -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, PASSPHRASE.encode() + b"\n")  # the writer keeps the pipe open
        r = cli(
            "--passphrase-fd",
            str(read_end),
            "add",
            "from-fd",
            "--owner",
            "o",
            stdin="tv-fd-secret",
            env=NO_FILE,
            pass_fds=[read_end],
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert (r.code, r.err) == (0, ""), r.err
    assert [(e.type, e.body["name"]) for e in watch.new()] == [("token.create", "from-fd")]


def test_an_explicit_descriptor_overrides_the_environment_file(cli: Cli, watch: Watch) -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, PASSPHRASE.encode() + b"\n")
        r = cli("--passphrase-fd", str(read_end), "ls", "--json", pass_fds=[read_end])
    finally:
        os.close(read_end)
        os.close(write_end)
    assert (r.code, r.err) == (0, ""), r.err
    assert watch.new() == []


def test_a_passphrase_file_and_a_descriptor_together(cli: Cli, watch: Watch) -> None:
    r = cli("--passphrase-file", str(cli.passphrase_file), "--passphrase-fd", "0", "ls")
    refused(r, 2, "not both")
    assert watch.new() == []


@pytest.mark.parametrize("mode", [0o640, 0o604], ids=["group-readable", "world-readable"])
def test_a_passphrase_file_others_can_read(
    cli: Cli, watch: Watch, tmp_path: Path, mode: int
) -> None:
    loose = secret_file(tmp_path / "loose", PASSPHRASE)  # the right passphrase, wrong mode
    loose.chmod(mode)
    r = cli(
        "add", "x", "--owner", "o", stdin="tv-s", env={"TOKENVAULT_PASSPHRASE_FILE": str(loose)}
    )
    refused(r, 2, str(loose), "chmod 600")
    assert watch.new() == []


def test_a_missing_passphrase_file(cli: Cli, watch: Watch, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    refused(cli("--passphrase-file", str(missing), "ls"), 2, str(missing))
    assert watch.new() == []


# ---- vault, command line -----------------------------------------------------------------


def test_no_vault_at_the_path(cli: Cli, tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"
    refused(cli("--vault", str(nowhere), "ls"), 2, "no vault", str(nowhere))
    assert not nowhere.exists()  # nothing was created there


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["ls", "--frobnicate"]],
    ids=["command", "option"],
)
def test_an_unknown_command_or_option(cli: Cli, watch: Watch, args: list[str]) -> None:
    refused(cli(*args), 2, "frobnicate")
    assert watch.new() == []


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["add", "x", "--owner", "o", "--expires", "2026-13-45"], "--expires"),
        (["add", "x", "--owner", "o", "--issued", "2026-01-01T08:30"], "--issued"),  # no zone
        (["rotate", "x", "--expires", "soon"], "--expires"),
        (["add", "x", "--owner", "o", "--rotate-every", "quarterly"], "--rotate-every"),
    ],
    ids=["expires-date", "issued-naive", "rotate-expires", "rotate-every"],
)
def test_a_malformed_date_is_refused_before_unlock(
    cli: Cli, watch: Watch, tmp_path: Path, args: list[str], flag: str
) -> None:
    # A wrong passphrase: had the command tried to unlock, it would exit 3 and leave a
    # failed attempt for the next unlock to fold.
    refused(cli(*args, stdin="tv-s", env=wrong_file(tmp_path)), 2, flag)
    assert watch.new() == []
    assert cli.journal() == watch.before


@pytest.mark.parametrize(
    "args",
    [["get", "nope"], ["rotate", "nope"], ["review", "nope"]],
    ids=lambda args: args[0],
)
def test_an_unknown_token(cli: Cli, watch: Watch, args: list[str]) -> None:
    # rotate says so before reading the (empty) stdin as the new secret
    refused(cli(*args), 2, "no token named 'nope'")
    assert watch.new() == []


# ---- integrity and contention --------------------------------------------------------------


def test_a_tampered_database(cli: Cli) -> None:
    db = cli.vault / "vault.db"
    data = bytearray(db.read_bytes())
    middle = len(data) // 2 + 512
    data[middle : middle + 32] = bytes(b ^ 0x5A for b in data[middle : middle + 32])
    db.write_bytes(bytes(data))
    keys = (cli.vault / "keys.json").read_bytes()

    r = cli("add", "x", "--owner", "o", stdin="tv-tampered")
    refused(r, 4, "vault.db")
    assert db.read_bytes() == data  # nothing was written
    assert (cli.vault / "keys.json").read_bytes() == keys
    assert not (cli.vault / "vault.db-wal").exists()


def test_a_vault_busy_beyond_the_timeout(cli: Cli, watch: Watch) -> None:
    watch.seed("gh-deploy")
    with watch.session.write():  # BEGIN IMMEDIATE, held while the child waits (10 s)
        r = cli("review", "gh-deploy")
    refused(r, 5, "try again")
    assert watch.new() == []

    # The lock was released: the same command now goes through.
    r = cli("review", "gh-deploy")
    assert (r.code, r.err) == (0, ""), r.err
    assert [e.type for e in watch.new()] == ["token.review"]
