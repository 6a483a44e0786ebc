"""`journal prove`: write an inclusion proof that discloses one journal entry to an auditor."""

from __future__ import annotations

from pathlib import Path

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.journal import journal
from tokenvault.cli.output import fields
from tokenvault.services import prove as prove_service


@journal.command(name="prove")
@click.argument("seq", metavar="SEQ", type=click.IntRange(min=0))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--since",
    "since",
    metavar="SIZE",
    type=click.IntRange(min=1),
    multiple=True,
    help="Also prove the journal extends its first SIZE entries (a checkpoint the auditor "
    "recorded); repeatable. Every earlier export is included without asking.",
)
@pass_globals
def journal_prove(g: Globals, seq: int, out: Path, since: tuple[int, ...]) -> None:
    """Disclose one journal entry (e.g. a token.revoke) without the rest of the journal:
    write to OUT (atomically, mode 0600) the entry exactly as stored, its Merkle inclusion
    proof, the signed checkpoint, consistency proofs from every earlier export and each
    --since SIZE, and the members' public keys, all signed by you. Nothing is journaled:
    the entry is already in the journal. The auditor checks it offline with
    `tokenvault verify-export --entry OUT --previous EARLIER_EXPORT`.

    \b
    Example:
      tokenvault journal ls --token stripe-live
      tokenvault journal prove 41 revoke-41.proof.json --since 30
      tokenvault verify-export --entry revoke-41.proof.json --previous audit-2026-q3.jsonl
    """
    with g.session() as session:
        made = prove_service.prove_entry(session, seq, out, since)
    click.echo(f"proved journal entry {made.seq} ({made.type}) in {made.path}")
    consistency = ", ".join(str(size) for size in made.consistency_from) or "none"
    fields(
        [
            ("seq", str(made.seq)),
            ("type", made.type),
            ("signed by", f"{made.actor} at {made.ts}"),
            ("size", str(made.size)),
            ("root", made.root),
            ("consistency from", consistency),
        ]
    )
