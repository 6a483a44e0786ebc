"""The command line face. Until the CLI issue lands it only says so, plainly."""

from __future__ import annotations

import sys

from tokenvault import __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tokenvault` console script."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        print(f"tokenvault {__version__}")
        return 0
    print(
        f"tokenvault {__version__}: the vault core is installed; the command line and "
        "`tokenvault demo` arrive with the CLI issue (#3).",
        file=sys.stderr,
    )
    return 2
