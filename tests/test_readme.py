"""The README's promise: the test command it shows is the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    test_commands = [c for c in commands if "pytest" in c]
    assert len(test_commands) == 1
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_commands[0] in ci_lines


def test_readme_shows_the_run_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "tokenvault demo" in readme
