"""Runs the command group and turns every expected failure into one stderr line and the
documented exit code (design.md §8), never a traceback."""

from __future__ import annotations

import os
import sys

import click

from tokenvault.cli import (  # noqa: F401 (registration)
    audit,
    check,
    due,
    export,
    imports,
    journal,
    members,
    policy,
    prove,
    scan,
    tokens,
    vault,
)
from tokenvault.cli.output import error_line
from tokenvault.cli.root import root
from tokenvault.domain.errors import TokenVaultError

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_AUTH, EXIT_INTEGRITY, EXIT_OPERATIONAL = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130


def _usage_hint(exc: click.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        return f" (see '{ctx.command_path} --help')"
    return ""


def run(argv: list[str] | None = None) -> int:
    try:
        result = root.main(args=argv, prog_name="tokenvault", standalone_mode=False)
    except click.exceptions.Abort:
        error_line("aborted")
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        error_line(exc.format_message() + _usage_hint(exc))
        return EXIT_USAGE if exc.exit_code in (1, 2) else exc.exit_code
    except TokenVaultError as exc:
        error_line(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        error_line("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `tokenvault ls | head`: the reader left; not our failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        error_line(f"{exc.strerror or type(exc).__name__}{where}")
        return EXIT_OPERATIONAL
    except Exception as exc:
        if os.environ.get("TOKENVAULT_DEBUG"):
            raise
        error_line(
            f"internal error ({type(exc).__name__}); nothing secret was printed. "
            "Run with TOKENVAULT_DEBUG=1 for a traceback and report it."
        )
        return EXIT_OPERATIONAL
    return result if isinstance(result, int) else EXIT_OK
