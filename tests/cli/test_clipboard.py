"""`get --copy`: the secret goes to the clipboard (never to stdout or stderr), is journaled as a
copy, and a detached child clears it after the policy's seconds only if it is still there.

The clipboard is a fake Wayland one: `wl-copy` / `wl-paste` scripts first on PATH and
WAYLAND_DISPLAY set, which is what makes pyperclip's determine_clipboard() choose wl-clipboard
on Linux. The scripts keep the clipboard in a 0600 file and log each call, so a test can tell
"the clearer looked and left it alone" from "the clearer has not run yet".
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyperclip
import pytest

from tests.cli.conftest import Cli, assert_one_line_error
from tests.conftest import MEMBER
from tokenvault import services
from tokenvault.cli.clipboard import (
    NO_CLIPBOARD,
    PROBE,
    Clipboard,
    clear_if_unchanged,
    copy_secret,
    system_clipboard,
)
from tokenvault.domain.errors import InputError, OperationalError
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft

NAME = "github-deploy"
SECRET = "ghp_clipboardTestSecret0123456789abcdef"
CLEAR_SECONDS = 5  # the policy's minimum
WAIT = 15.0  # generous: the clearer sleeps CLEAR_SECONDS, then runs wl-paste and wl-copy

WL_COPY = """#!/bin/sh
umask 077
if [ "$1" = "--clear" ]; then
    echo clear >> '{log}'
    : > '{store}'
else
    echo copy >> '{log}'
    cat > '{store}.tmp' && mv -f '{store}.tmp' '{store}'
fi
"""
WL_COPY_BROKEN = """#!/bin/sh
echo copy-failed >> '{log}'
cat > /dev/null
exit 1
"""
WL_PASTE = """#!/bin/sh
echo paste >> '{log}'
cat '{store}' 2>/dev/null
exit 0
"""


# ---- the fake clipboard ---------------------------------------------------------------------


@dataclass
class FakeClipboard:
    root: Path
    bin: Path = field(init=False)
    store: Path = field(init=False)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.bin, self.store, self.log = self.root / "bin", self.root / "clip", self.root / "log"
        self.bin.mkdir(parents=True)
        self.install(WL_COPY)
        self._script("wl-paste", WL_PASTE)

    def install(self, wl_copy: str) -> None:
        self._script("wl-copy", wl_copy)

    def _script(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text.format(store=self.store, log=self.log))
        path.chmod(0o700)

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "WAYLAND_DISPLAY": "wayland-test",
        }

    def content(self) -> str:
        return self.store.read_text() if self.store.exists() else ""

    def user_copies(self, text: str) -> None:
        """Someone copies something else (straight into the store: not a logged call)."""
        self.store.write_text(text)

    def calls(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []


@pytest.fixture
def fake(tmp_path: Path) -> FakeClipboard:
    return FakeClipboard(tmp_path / "fake-wayland")


@pytest.fixture
def token(cli: Cli) -> str:
    """One token, added in-process, with the policy's shortest clipboard delay."""
    session = cli.session()
    try:
        services.tokens.add(session, TokenDraft(name=NAME, owner=MEMBER), Secret(SECRET))
        services.policy.update(session, {"clipboard_clear_seconds": CLEAR_SECONDS})
    finally:
        session.lock()
    return NAME


def new_entries(cli: Cli, before: list[Entry]) -> list[Entry]:
    after = cli.journal()
    assert [e.line_bytes for e in after[: len(before)]] == [e.line_bytes for e in before]
    return after[len(before) :]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> float:
    """Poll until `condition()`; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - start


def assert_copy_entry(entry: Entry) -> None:
    assert (entry.type, entry.actor) == ("token.reveal", MEMBER)
    assert (entry.body["name"], entry.body["how"], entry.body["version"]) == (NAME, "copy", 1)


# ---- through the console script -------------------------------------------------------------


def test_get_copy_puts_the_secret_on_the_clipboard_and_clears_it(
    cli: Cli, fake: FakeClipboard
) -> None:
    session = cli.session()
    try:
        services.tokens.add(session, TokenDraft(name=NAME, owner=MEMBER), Secret(SECRET))
    finally:
        session.lock()
    assert cli("policy", "set", "clipboard_clear_seconds", f"{CLEAR_SECONDS}s").code == 0
    before = cli.journal()

    start = time.monotonic()
    result = cli("get", NAME, "--copy", env=fake.env())
    on_clipboard = fake.content()

    assert result.code == 0, result.err
    assert on_clipboard == SECRET
    assert result.raw_out == b""
    assert SECRET not in result.err
    assert result.err == f"copied {NAME} to the clipboard; it clears in {CLEAR_SECONDS} s\n"
    [entry] = new_entries(cli, before)
    assert_copy_entry(entry)
    assert SECRET.encode() not in entry.line_bytes

    wait_for(lambda: fake.content() == "", "the clipboard cleared")
    assert time.monotonic() - start >= CLEAR_SECONDS
    # probe (copy, paste), the secret (copy, read back), then the clearer (paste, clear)
    assert fake.calls() == ["copy", "paste", "copy", "paste", "paste", "clear"]


def test_a_clipboard_overwritten_meanwhile_is_left_alone(
    cli: Cli, fake: FakeClipboard, token: str
) -> None:
    result = cli("get", token, "--copy", env=fake.env())
    assert result.code == 0, result.err
    assert fake.content() == SECRET
    fake.user_copies("something the member copied since")

    wait_for(lambda: fake.calls().count("paste") >= 3, "the clearer looked at the clipboard")
    time.sleep(1.0)  # let it finish deciding

    assert fake.content() == "something the member copied since"
    assert fake.calls() == ["copy", "paste", "copy", "paste", "paste"]


def _bare_path(tmp_path: Path) -> dict[str, str]:
    """WAYLAND_DISPLAY set, but no wl-copy on PATH (only `which`, which pyperclip runs)."""
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    which = shutil.which("which")
    assert which is not None
    (bare / "which").symlink_to(which)
    return {"PATH": str(bare), "WAYLAND_DISPLAY": "wayland-test"}


NO_CLIPBOARD_ENVS: dict[str, Callable[[Path], dict[str, str]]] = {
    "no-display": lambda tmp_path: {"WAYLAND_DISPLAY": "", "DISPLAY": ""},
    "wayland-without-wl-clipboard": _bare_path,
}


@pytest.mark.parametrize("make_env", NO_CLIPBOARD_ENVS.values(), ids=NO_CLIPBOARD_ENVS.keys())
def test_no_clipboard_fails_before_revealing(
    cli: Cli, token: str, tmp_path: Path, make_env: Callable[[Path], dict[str, str]]
) -> None:
    before = cli.journal()
    result = cli("get", token, "--copy", env=make_env(tmp_path))
    assert_one_line_error(result, 5, NO_CLIPBOARD)
    assert result.raw_out == b""
    assert SECRET not in result.err
    assert new_entries(cli, before) == []  # no reveal was journaled


def test_get_copy_of_an_unknown_token_leaves_the_clipboard_alone(
    cli: Cli, fake: FakeClipboard, token: str
) -> None:
    before = cli.journal()
    result = cli("get", "no-such-token", "--copy", env=fake.env())
    assert_one_line_error(result, 2, "no-such-token")
    assert fake.calls() == []
    assert new_entries(cli, before) == []


def test_get_copy_of_a_binary_secret_is_refused_without_a_reveal(
    cli: Cli, fake: FakeClipboard
) -> None:
    session = cli.session()
    try:
        services.tokens.add(
            session, TokenDraft(name="binary-key", owner=MEMBER), Secret(b"\xff\x00k")
        )
    finally:
        session.lock()
    before = cli.journal()
    result = cli("get", "binary-key", "--copy", env=fake.env())
    assert_one_line_error(result, 2, "not text")
    assert fake.content() == PROBE  # only the harmless probe ever reached the clipboard
    assert new_entries(cli, before) == []


def test_a_failing_clipboard_tool_is_an_operational_error(
    cli: Cli, fake: FakeClipboard, token: str
) -> None:
    fake.install(WL_COPY_BROKEN)  # e.g. a stale WAYLAND_DISPLAY over ssh
    result = cli("get", token, "--copy", env=fake.env())
    assert fake.content() != SECRET
    assert result.raw_out == b""
    assert SECRET not in result.err
    assert_one_line_error(result, 5)


# ---- clipboard.py in-process ------------------------------------------------------------------


class MemoryBoard:
    """An in-memory clipboard that records every copy."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.copies: list[str] = []
        self.broken = False

    def copy(self, text: str) -> None:
        if self.broken:
            raise pyperclip.PyperclipException("no clipboard")
        self.copies.append(text)
        self.text = text

    def paste(self) -> str:
        if self.broken:
            raise pyperclip.PyperclipException("no clipboard")
        return self.text

    def board(self) -> Clipboard:
        return Clipboard(self.copy, self.paste)


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def test_clear_if_unchanged_clears_our_secret() -> None:
    memory = MemoryBoard(SECRET)
    assert clear_if_unchanged(memory.board(), digest(SECRET)) is True
    assert (memory.text, memory.copies) == ("", [""])


@pytest.mark.parametrize("other", ["something else", "", SECRET + " ", SECRET[:-1]])
def test_clear_if_unchanged_leaves_anything_else_alone(other: str) -> None:
    memory = MemoryBoard(other)
    assert clear_if_unchanged(memory.board(), digest(SECRET)) is False
    assert (memory.text, memory.copies) == (other, [])


def test_clear_if_unchanged_survives_a_clipboard_that_went_away() -> None:
    memory = MemoryBoard(SECRET)
    memory.broken = True
    assert clear_if_unchanged(memory.board(), digest(SECRET)) is False
    assert memory.copies == []


def test_copy_secret_returns_the_digest_the_clearer_needs() -> None:
    memory = MemoryBoard("before")
    token_digest = copy_secret(memory.board(), Secret(SECRET))
    assert memory.text == SECRET
    assert token_digest == digest(SECRET)
    assert SECRET.encode() not in token_digest
    assert clear_if_unchanged(memory.board(), token_digest) is True
    assert memory.text == ""


def test_copy_secret_refusals() -> None:
    with pytest.raises(InputError, match="not text"):
        copy_secret(MemoryBoard().board(), Secret(b"\xff\xfe"))
    broken = MemoryBoard()
    broken.broken = True
    with pytest.raises(OperationalError, match="did not take"):
        copy_secret(broken.board(), Secret(SECRET))


def test_system_clipboard_without_a_mechanism(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = pyperclip.init_no_clipboard()
    monkeypatch.setattr(pyperclip, "determine_clipboard", lambda: missing)
    with pytest.raises(OperationalError) as info:
        system_clipboard()
    assert str(info.value) == NO_CLIPBOARD
