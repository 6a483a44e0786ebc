"""Journal commands: read the signed change journal and export it for an audit."""

from __future__ import annotations

from pathlib import Path

import click

from tokenvault.cli.audit import record
from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip, fields, table
from tokenvault.cli.root import root
from tokenvault.domain.describe import subject, summary
from tokenvault.services import export as export_service
from tokenvault.services import journal as journal_service


@root.group()
def journal() -> None:
    """The signed, append-only record of every change and every reveal."""


@journal.command(name="ls")
@click.option("--token", "token", metavar="NAME", help="Only entries about this token.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="How many, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of the entries as stored.")
@pass_globals
def journal_ls(g: Globals, token: str | None, limit: int, as_json: bool) -> None:
    """List journal entries, newest first. With --json each array element is the entry
    exactly as stored, hashed and signed (entries hold fingerprints, never secrets).

    \b
    Examples:
      tokenvault journal ls --token stripe-live
      tokenvault journal ls --limit 1000 --json | jq -c 'select(.type == "token.reveal")'
    """
    with g.session() as session:
        entries = journal_service.recent(session, limit=limit, token=token)
    if as_json:  # a JSON array whose elements are the stored lines, byte for byte
        lines = [entry.line_bytes.decode("utf-8") for entry in entries]
        click.echo("[\n" + ",\n".join(lines) + "\n]" if lines else "[]")
        return
    rows = [
        [
            str(e.seq),
            e.ts[:19].replace("T", " ") + "Z",
            e.actor,
            e.type,
            clip(subject(e), 32),
            clip(summary(e), 60),
        ]
        for e in entries
    ]
    table(["SEQ", "TIME (UTC)", "ACTOR", "TYPE", "SUBJECT", "SUMMARY"], rows)


@journal.command(name="export")
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: the signed file an auditor verifies; csv: one row per entry, for spreadsheets.",
)
@pass_globals
def journal_export(g: Globals, out: Path, fmt: str) -> None:
    """Write the whole journal to OUT for an auditor: a signed manifest line, then every entry
    exactly as hashed and signed (JSON Lines, written atomically, mode 0600). The export is
    itself journaled first, with a fresh nonce. Record the printed genesis hash and the
    `record` line (SIZE:ROOT) outside the vault: the auditor checks the next export against
    them with `tokenvault verify-export --genesis HASH --previous SIZE:ROOT`.

    --format csv writes the same entries (its own export entry included, journaled the same
    way) as a spreadsheet: one row per entry with seq, ts, actor, the actor's role, type,
    subject, summary, the body's canonical JSON, prev, leaf_hash and sig; UTF-8 with a
    byte-order mark, and a text cell that starts with = + - @, tab or CR gets a leading ' so
    it never runs as a formula. The CSV cannot be verified: hand the auditor the jsonl export.

    \b
    Example:
      tokenvault journal export audit-2026-q4.jsonl
      tokenvault verify-export audit-2026-q4.jsonl --genesis GENESIS_HASH
      tokenvault journal export journal-2026-q4.csv --format csv
    """
    write = export_service.export_journal_csv if fmt == "csv" else export_service.export_journal
    with g.session() as session:
        made = write(session, out)
    click.echo(f"exported {made.size} journal entries to {made.path}")
    fields(
        [
            ("size", str(made.size)),
            ("root", made.root),
            ("genesis hash", made.genesis_hash),
            ("record", record(made.size, made.root)),
        ]
    )
