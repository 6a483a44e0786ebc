"""Public contracts on paper: every command has help with an example, every option a help
line, and the README's usage block is exactly `tokenvault --help`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests.cli.conftest import SCRIPT
from tokenvault.cli.app import run
from tokenvault.cli.root import root

README = Path(__file__).parents[2] / "README.md"


def walk(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from walk(command, f"{path} ")


COMMANDS = list(walk(root))


def test_the_contract_commands_exist() -> None:
    names = {path for path, _ in COMMANDS}
    assert {
        "init", "demo", "add", "edit", "ls", "show", "get", "rotate", "revoke", "review",
        "member add", "member remove", "member ls", "passwd", "policy show", "policy set",
        "journal ls", "verify", "backup",
    } <= names  # fmt: skip


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help(path: str, command: click.Command) -> None:
    assert command.help, path
    assert len(command.help.strip()) > 20, path
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"{path} has no example in its help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts[0]} has no help text"


def help_output(*args: str) -> str:
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(SCRIPT), *args, "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout


def test_readme_usage_block_is_the_real_help() -> None:
    block = re.search(r"<!-- usage -->\n```text\n(.*?)```", README.read_text(), re.S)
    assert block is not None, "README lacks the <!-- usage --> block"
    assert block.group(1) == help_output(), "README usage block is stale: paste `tokenvault --help`"


@pytest.mark.parametrize("path", ["add", "member add", "policy set"])
def test_subcommand_help_runs(path: str) -> None:
    assert "Example" in help_output(*path.split())


def test_help_and_version_exit_zero_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    assert run(["--version"]) == 0
    assert "tokenvault" in capsys.readouterr().out
