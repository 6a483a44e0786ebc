"""Policy commands: show and set (admins), each change journaled with before and after."""

from __future__ import annotations

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import emit_json, fields
from tokenvault.cli.root import root
from tokenvault.domain.policy import POLICY_KEYS, parse_text
from tokenvault.services import policy as policy_service


@root.group()
def policy() -> None:
    """Show or change the team's policy (reminder window, rotation, lifetimes …)."""


@policy.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@pass_globals
def policy_show(g: Globals, as_json: bool) -> None:
    """Show every policy key and its value.

    \b
    Example:
      tokenvault policy show --json
    """
    with g.session() as session:
        current = policy_service.show(session)
    data = current.to_json()
    if as_json:
        emit_json(data)
        return
    fields([(key, _text(value)) for key, value in data.items()])


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return "none" if value is None else str(value)


@policy.command(name="set")
@click.argument("key", type=click.Choice(sorted(POLICY_KEYS)), metavar="KEY")
@click.argument("value")
@pass_globals
def policy_set(g: Globals, key: str, value: str) -> None:
    """Set one policy KEY to VALUE (admins only; journaled as policy.update).

    Durations may carry a unit (30d or 4w for *_days; 300s, 5m or 1h for *_seconds); each
    key has a range and a wrong unit or value is refused before anything is asked. Booleans
    are true/false; lists are comma-separated; 'none' clears max_lifetime_days.

    \b
    Examples:
      tokenvault policy set reminder_days 30d
      tokenvault policy set broad_scopes "*,admin,root"
    """
    parsed = parse_text(key, value)  # bad input fails before the passphrase is asked
    with g.session() as session:
        before = policy_service.show(session)
        after = policy_service.update(session, {key: parsed})
    if after == before:
        click.echo(f"{key} is already {_text(after.to_json()[key])}; nothing changed")
    else:
        click.echo(f"{key}: {_text(before.to_json()[key])} → {_text(after.to_json()[key])}")
