"""The `tokenvault` group: global options, shared before every command."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from tokenvault import __version__, services
from tokenvault.cli.context import Globals
from tokenvault.cli.secrets_in import PassphraseSource
from tokenvault.domain.errors import NotFoundError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@click.option(
    "--vault",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    envvar="TOKENVAULT_VAULT",
    help="Vault directory [env TOKENVAULT_VAULT; default: the per-user data dir].",
)
@click.option(
    "--member",
    metavar="ID",
    envvar="TOKENVAULT_MEMBER",
    help="Member to unlock as [env TOKENVAULT_MEMBER; default: the only member, else $USER].",
)
@click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PATH",
    envvar="TOKENVAULT_PASSPHRASE_FILE",
    help="Read the passphrase from this 0600 file [env TOKENVAULT_PASSPHRASE_FILE].",
)
@click.option(
    "--passphrase-fd",
    type=click.IntRange(min=0),
    metavar="N",
    help="Read the passphrase from this open file descriptor.",
)
@click.version_option(
    __version__, "-V", "--version", prog_name="tokenvault", message="%(prog)s %(version)s"
)
@click.pass_context
def root(
    ctx: click.Context,
    vault: Path | None,
    member: str | None,
    passphrase_file: Path | None,
    passphrase_fd: int | None,
) -> None:
    """tokenvault: the team vault for API tokens, with a signed journal an auditor can verify.

    Secrets never go on the command line: they are read from stdin or a hidden prompt.
    Passphrases come from --passphrase-file, --passphrase-fd or a hidden prompt.

    Exit codes: 0 ok, 1 something found (due, check, scan), 2 usage or bad input (nothing
    changed), 3 authentication failed, 4 integrity failure, 5 operational error.

    \b
    Examples:
      tokenvault demo                     # try it on a demo vault
      tokenvault ls --status overdue      # what needs rotating now
      tokenvault get github-deploy --copy # copy it; the clipboard clears itself
    """
    if passphrase_file is not None and passphrase_fd is not None:
        if ctx.get_parameter_source("passphrase_file") is ParameterSource.ENVIRONMENT:
            passphrase_file = None  # an explicit --passphrase-fd wins over the environment
        else:
            raise click.UsageError("give --passphrase-file or --passphrase-fd, not both")
    ctx.obj = Globals(
        vault=vault if vault is not None else services.default_vault_dir(),
        member=member or None,
        passphrase=PassphraseSource(file=passphrase_file, fd=passphrase_fd),
    )
    if ctx.invoked_subcommand is None:
        if not interactive():
            raise click.UsageError(
                "the TUI needs a terminal; in scripts use a command (see --help)"
            )
        ctx.exit(open_tui(ctx.obj.vault, ctx.obj.member))


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_tui(vault: Path, member: str | None, notice: str = "") -> int:
    """Start the TUI (Textual is imported only now: the CLI's other commands never load it)."""
    if not (vault / "keys.json").exists():
        raise NotFoundError(
            f"no vault at {vault}: create one with `tokenvault init`, try `tokenvault demo`, "
            "or point --vault / TOKENVAULT_VAULT at one"
        )
    from tokenvault.tui import run

    return run(vault, member=member, notice=notice)
