"""Member commands: member add / remove / ls, and passwd."""

from __future__ import annotations

from pathlib import Path

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip, day, emit_json, table
from tokenvault.cli.root import root
from tokenvault.cli.secrets_in import read_new_passphrase
from tokenvault.domain.model import Role
from tokenvault.domain.records import member_record
from tokenvault.services import members

NEW_PASSPHRASE_FILE = click.option(
    "--new-passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the new passphrase from this 0600 file (else asked twice at the terminal).",
)


@root.group(short_help="Add, remove and list the people who can unlock the vault.")
def member() -> None:
    """Add, remove and list the people who can unlock the vault (admins only change them)."""


@member.command(name="add")
@click.argument("member_id", metavar="ID")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="admin or operator."
)
@click.option("--display-name", default="", help="A human name for listings.")
@NEW_PASSPHRASE_FILE
@pass_globals
def member_add(
    g: Globals, member_id: str, role: str, display_name: str, new_passphrase_file: Path | None
) -> None:
    """Add a member; their passphrase is set now (typed by them, or from a file).

    \b
    Example:
      tokenvault member add bob --role operator --display-name "Bob Ops"
    """
    with g.session() as session:
        passphrase = read_new_passphrase(new_passphrase_file, who=member_id)
        added = members.add_member(session, member_id, role, passphrase, display_name=display_name)
    click.echo(f"added {added.id} as {added.role.value}; ed25519 {added.ed25519.hex()}")


@member.command(name="remove")
@click.argument("member_id", metavar="ID")
@pass_globals
def member_remove(g: Globals, member_id: str) -> None:
    """Remove a member: the data key is replaced, and the tokens they could read are listed.

    A removed member keeps whatever they copied before: rotate the listed tokens at their
    providers.

    \b
    Example:
      tokenvault member remove bob
    """
    with g.session() as session:
        removal = members.remove_member(session, member_id)
    click.echo(f"removed {removal.member.id}; the vault is re-keyed (epoch {removal.epoch})")
    if removal.exposed:
        click.echo(f"rotate these {len(removal.exposed)} token(s) at their providers:")
        for token in sorted(removal.exposed, key=lambda t: t.name.casefold()):
            click.echo(f"  {token.name}")


@member.command(name="ls")
@click.option("--all", "include_removed", is_flag=True, help="Include removed members.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@pass_globals
def member_ls(g: Globals, include_removed: bool, as_json: bool) -> None:
    """List members with their role and signing key.

    \b
    Example:
      tokenvault member ls --json
    """
    with g.session() as session:
        found = members.list_members(session, include_removed=include_removed)
    if as_json:
        emit_json([member_record(m) for m in found])
        return
    rows = [
        [
            m.id,
            m.role.value,
            clip(m.display_name or "-", 24),
            day(m.added_at),
            m.added_by,
            "active" if m.active else f"removed {day(m.removed_at)}",
            m.ed25519.hex()[:16],
        ]
        for m in found
    ]
    table(["ID", "ROLE", "NAME", "ADDED", "BY", "STATE", "ED25519"], rows)


@root.command()
@NEW_PASSPHRASE_FILE
@pass_globals
def passwd(g: Globals, new_passphrase_file: Path | None) -> None:
    """Change your passphrase (your keys are re-wrapped; nobody else is affected).

    \b
    Example:
      tokenvault --member alice passwd
    """
    with g.session() as session:
        passphrase = read_new_passphrase(new_passphrase_file, who=session.member.id)
        members.change_passphrase(session, passphrase)
        click.echo(f"passphrase changed for {session.member.id}")
