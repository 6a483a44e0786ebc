"""The command line face: click commands that parse, call one service, render.

app.py         run(): exit codes and one-line errors
root.py        the group and its global options
context.py     resolving vault, member and passphrase; unlocking
secrets_in.py  passphrases and secrets from files, descriptors, stdin or a hidden prompt
output.py      tables and JSON
options.py     date/duration types, the token metadata flags
tokens.py members.py policy.py journal.py vault.py   the commands
due.py check.py export.py prove.py audit.py         more commands (audit.py: verify-export)
clipboard.py   get --copy and the delayed clear
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tokenvault` console script."""
    from tokenvault.cli.app import run

    return run(argv)
