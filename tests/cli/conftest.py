"""Running the real `tokenvault` console script in a subprocess, as scripts and cron do.

Each test gets its own copy of the template vault (tests/conftest.py), its own XDG state and
data directories, and a 0600 passphrase file. The child starts in a new session, so it has no
controlling terminal: a command that would prompt fails with exit 2 instead of hanging.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MEMBER, PASSPHRASE
from tokenvault import services
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import Secret

SCRIPT = Path(sys.executable).with_name("tokenvault")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str
    raw_out: bytes

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def secret_file(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


@dataclass
class Cli:
    vault: Path
    home: Path
    passphrase_file: Path

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "TOKENVAULT_VAULT": str(self.vault),
            "TOKENVAULT_PASSPHRASE_FILE": str(self.passphrase_file),
        }
        env.update(extra or {})
        return {k: v for k, v in env.items() if v != ""}

    def __call__(
        self,
        *args: str,
        stdin: bytes | str = b"",
        env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (),
        timeout: float = 60,
    ) -> Result:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        proc = subprocess.run(
            [str(SCRIPT), *args],
            input=data,
            capture_output=True,
            env=self.env(env),
            pass_fds=tuple(pass_fds),
            start_new_session=True,  # no controlling terminal: prompts cannot hang
            timeout=timeout,
            check=False,
        )
        return Result(
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
            proc.stdout,
        )

    # In-process reads through the real services, to check what a command changed.
    def session(self, member: str = MEMBER, passphrase: str = PASSPHRASE) -> services.Session:
        return services.unlock(
            self.vault, member, Secret(passphrase), state_dir=self.home / "probe-state"
        )

    def journal(self) -> list[Entry]:
        """Every entry, oldest first."""
        session = self.session()
        try:
            return list(reversed(services.journal.recent(session, limit=10**6)))
        finally:
            session.lock()

    def journal_size(self) -> int:
        return len(self.journal())


@pytest.fixture
def cli(vault_dir: Path, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    return Cli(vault_dir, home, secret_file(tmp_path / "passphrase", PASSPHRASE))


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """An expected failure: the documented code, one stderr line, no traceback."""
    assert result.code == code, (result.code, result.err)
    assert len(result.err_lines) == 1, result.err
    assert result.err.startswith("tokenvault: error: ")
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


Runner = Callable[..., Result]
