"""The real `tokenvault` process in a real terminal (tmux): unlock, filter, copy, quit — the
operator's twenty-times-a-day path, seen exactly as they see it (capture-pane)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import SCRIPT
from tokenvault.services.demo import DEMO_PASSPHRASE

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, socket: Path, session: str) -> None:
        self.base = ["tmux", "-S", str(socket)]
        self.session = session

    def run(self, *args: str) -> str:
        return subprocess.run(
            [*self.base, *args], capture_output=True, text=True, check=True
        ).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    socket = tmp_path / "tmux.sock"
    mux = Tmux(socket, "tv")
    env_home = tmp_path / "home"
    env_home.mkdir(mode=0o700)
    mux.run(
        "new-session", "-d", "-s", "tv", "-x", "120", "-y", "34",
        "-e", f"HOME={env_home}", "-e", f"XDG_STATE_HOME={env_home / 'state'}",
        "-e", f"XDG_DATA_HOME={env_home / 'data'}", "-e", "TERM=xterm-256color",
        "bash", "--norc", "--noprofile",
    )  # fmt: skip
    try:
        yield mux
    finally:
        subprocess.run([*mux.base, "kill-server"], capture_output=True, check=False)


def test_unlock_filter_copy_quit(tmux: Tmux, tmp_path: Path) -> None:
    vault = tmp_path / "demo"
    tmux.type(f"{SCRIPT} demo --dir {vault}; echo EXIT=$?")
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "member: alice" in s, "the unlock screen", timeout=60)
    assert DEMO_PASSPHRASE in screen  # the demo prints its (public) passphrase on the screen
    tmux.type(DEMO_PASSPHRASE)
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "41 of 41 tokens" in s, "the main screen")
    time.sleep(0.5)  # a person's reaction time: the first frame is up, focus settles
    tmux.keys("/")
    tmux.wait_for(lambda s: " c Copy" not in s, "the filter to take focus")
    tmux.type("stripe live")
    tmux.wait_for(
        lambda s: "1 of 41" in s and "stripe-live-secret-key" in s,  # the detail pane follows
        "the filter to narrow to one token",
    )
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "copied" in s, "the copy notification")
    assert "sk_live_demo" not in screen  # copied, never shown
    tmux.keys("q")  # Enter handed the keys back to the table
    screen = tmux.wait_for(lambda s: re.search(r"EXIT=\d", s) is not None, "the process to exit")
    assert "EXIT=0" in screen
