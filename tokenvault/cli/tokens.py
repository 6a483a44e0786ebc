"""Token commands: add, edit, ls, show, get, rotate, revoke, review."""

from __future__ import annotations

import sys
from typing import Any

import click

from tokenvault.cli import clipboard
from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.options import EXPIRES, given_metadata, metadata_options
from tokenvault.cli.output import (
    clip,
    day,
    emit_json,
    fields,
    relative_days,
    status_cell,
    table,
)
from tokenvault.cli.root import root
from tokenvault.cli.secrets_in import read_new_secret
from tokenvault.domain.model import RevealHow, RevokeReason, Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.query import TokenQuery
from tokenvault.domain.records import token_record, version_record
from tokenvault.domain.status import next_deadline, rotation_due_at, token_status
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import TokenDraft, inventory, tokens
from tokenvault.services import policy as policy_service

STATUS_CHOICE = click.Choice([s.value for s in Status])


@root.command(short_help="Inventory a token; the secret comes from stdin or a prompt.")
@click.argument("name")
@metadata_options(owner_required=True)
@pass_globals
@click.pass_context
def add(ctx: click.Context, g: Globals, /, name: str, **values: Any) -> None:
    """Inventory a token; its secret is read from stdin (or asked twice at a terminal).

    Past --issued, --last-rotated and even --expires are accepted: inventorying tokens that
    already exist is the normal case (they then show as overdue or expired).

    \b
    Example:
      printf %s "$GITHUB_TOKEN" | tokenvault add github-deploy --owner platform \\
          --service github --env production --scope repo --expires +90d
    """
    draft = TokenDraft(name=name, **given_metadata(ctx, values))
    with g.session() as session:
        secret = read_new_secret("secret")
        token = tokens.add(session, draft, secret)
        click.echo(f"added {token.name} (version 1, {token.current.fingerprint})")


@root.command()
@click.argument("name")
@metadata_options(owner_required=False)
@click.option("--add-scope", multiple=True, help="Add a scope; repeatable.")
@click.option("--remove-scope", multiple=True, help="Remove a scope; repeatable.")
@click.option("--rename", help="A new name.")
@pass_globals
@click.pass_context
def edit(
    ctx: click.Context,
    g: Globals,
    /,
    name: str,
    add_scope: tuple[str, ...],
    remove_scope: tuple[str, ...],
    rename: str | None,
    **values: Any,
) -> None:
    """Change a token's metadata (never its secret: see rotate).

    List flags (--scope, --used-by, --tag) replace the whole list when given; an empty
    value (--tag '') clears it. --expires never and --rotate-every default clear those.

    \b
    Example:
      tokenvault edit github-deploy --remove-scope admin:org --owner payments
    """
    changes = given_metadata(ctx, values)
    if rename is not None:
        changes["name"] = rename
    if not changes and not add_scope and not remove_scope:
        raise click.UsageError("nothing to change: give at least one flag")
    with g.session() as session:
        before = tokens.get(session, name)
        after = tokens.edit(
            session, name, changes, add_scopes=add_scope, remove_scopes=remove_scope
        )
    if after == before:
        click.echo(f"{after.name}: nothing changed")
    else:
        click.echo(f"updated {after.name}")


def _sort_key(token: Token) -> tuple[str, int]:
    return (token.name.casefold(), token.id)


@root.command(name="ls")
@click.option(
    "--status", "statuses", multiple=True, type=STATUS_CHOICE, help="Only this status; repeatable."
)
@click.option("--owner", help="Only this owner.")
@click.option("--env", "environment", help="Only this environment.")
@click.option("--service", help="Only this service.")
@click.option(
    "--search",
    default="",
    help="Words to find in name, service, owner, env, scopes, tags, used-by.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@pass_globals
def ls(
    g: Globals,
    statuses: tuple[str, ...],
    owner: str | None,
    environment: str | None,
    service: str | None,
    search: str,
    as_json: bool,
) -> None:
    """List tokens with expiry, rotation and status; never secrets.

    \b
    Examples:
      tokenvault ls --status overdue --status expired
      tokenvault ls --env production --json | jq -r '.[].name'
    """
    query = TokenQuery(
        statuses=frozenset(Status(s) for s in statuses),
        owner=owner,
        environment=environment,
        service=service,
        search=search,
    )
    with g.session() as session:
        inv = inventory(session)
    chosen = sorted(query.select(inv.tokens, inv.policy, inv.now), key=_sort_key)
    if as_json:
        emit_json([token_record(t, inv.policy, inv.now) for t in chosen])
        return
    if not chosen:
        click.echo("no tokens match", err=True)
        return
    rows = []
    for t in chosen:
        status = token_status(t, inv.policy, inv.now)
        when = "-" if t.revoked else relative_days(next_deadline(t, inv.policy), inv.now)
        rows.append(
            [
                clip(t.name),
                clip(t.service, 16),
                clip(t.environment, 12),
                clip(t.owner, 16),
                day(t.expires_at),
                day(rotation_due_at(t, inv.policy)) if not t.revoked else "-",
                when,
                status_cell(status),
            ]
        )
    table(["NAME", "SERVICE", "ENV", "OWNER", "EXPIRES", "ROTATE BY", "NEXT", "STATUS"], rows)


def _show_text(token: Token, policy: Policy, record: dict[str, Any], history: list[Any]) -> None:
    status = Status(record["status"])
    pairs = [
        ("name", token.name),
        ("status", status_cell(status)),
        ("service", token.service or "-"),
        ("environment", token.environment or "-"),
        ("owner", token.owner or "-"),
        ("scopes", ", ".join(token.scopes) or "-"),
        ("used by", ", ".join(token.used_by) or "-"),
        ("tags", ", ".join(token.tags) or "-"),
        ("notes", token.notes or "-"),
        ("issued", format_ts(token.issued_at)),
        ("expires", record["expires_at"] or "never"),
        (
            "rotation",
            f"every {token.rotate_every_days or policy.rotation_days}d, "
            f"last {record['last_rotated_at']}, due {record['rotation_due_at']}",
        ),
        ("last reviewed", record["last_reviewed_at"] or "never"),
        ("last used", record["last_used_at"] or "never"),
        ("created", f"{record['created_at']} by {token.created_by}"),
    ]
    if token.revoked:
        pairs.append(
            (
                "revoked",
                f"{record['revoked_at']} by {token.revoked_by}: {record['revoke_reason']}"
                + (f" ({token.revoke_ticket})" if token.revoke_ticket else "")
                + (f" — {token.revoke_note}" if token.revoke_note else ""),
            )
        )
    fields(pairs)
    click.echo("\nversions:")
    for v in sorted(token.versions, key=lambda v: -v.number):
        state = (
            "current"
            if v.number == token.current_version and not token.revoked
            else "destroyed"
            if v.destroyed_at
            else "retired"
        )
        click.echo(
            f"  v{v.number}  {state:<9}  {format_ts(v.created_at)}  {v.created_by}  {v.fingerprint}"
        )
    if history:
        click.echo("\nrecent journal:")
        for entry in history:
            click.echo(f"  #{entry.seq}  {entry.ts}  {entry.actor:<12}  {entry.type}")


@root.command(short_help="All metadata, versions and recent journal of a token; never the secret.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@pass_globals
def show(g: Globals, name: str, as_json: bool) -> None:
    """All metadata, version history and recent journal entries of one token; never the secret.

    \b
    Example:
      tokenvault show stripe-live --json | jq .expires_at
    """
    with g.session() as session:
        token = tokens.get(session, name)
        policy = policy_service.show(session)
        history = tokens.history(session, name, limit=10)
        record = token_record(token, policy, session.clock())
    if as_json:
        versions = sorted(token.versions, key=lambda v: v.number)
        emit_json(
            record | {"versions": [version_record(v, token.current_version) for v in versions]}
        )
        return
    _show_text(token, policy, record, history)


@root.command(short_help="Print or copy a token's secret (journaled).")
@click.argument("name")
@click.option("--copy", is_flag=True, help="Copy to the clipboard instead of printing.")
@click.option(
    "--version", "version", type=click.IntRange(min=1), help="A retired version's secret."
)
@pass_globals
def get(g: Globals, name: str, copy: bool, version: int | None) -> None:
    """Print a token's secret (journaled as a reveal) or copy it (journaled as a copy).

    The secret is written to stdout as stored, with a newline only when stdout is a
    terminal. A copy is cleared from the clipboard after the policy's seconds if the
    clipboard still holds it.

    \b
    Examples:
      curl -H "Authorization: Bearer $(tokenvault get sentry-ci)" …
      tokenvault get github-deploy --copy
    """
    board = None
    with g.session() as session:
        if copy:  # an unknown name, then a broken clipboard: both fail before any reveal
            tokens.get(session, name)
            board = clipboard.system_clipboard()
        how = RevealHow.COPY if copy else RevealHow.VIEW
        secret = tokens.reveal(session, name, how=how, version=version, require_text=copy)
        seconds = policy_service.show(session).clipboard_clear_seconds
    if board is None:
        out = sys.stdout.buffer
        out.write(secret.expose())
        if sys.stdout.isatty():
            out.write(b"\n")
        out.flush()
        return
    digest = clipboard.copy_secret(board, secret)
    clipboard.clear_later(board, digest, seconds)
    click.echo(f"copied {name} to the clipboard; it clears in {seconds} s", err=True)


@root.command()
@click.argument("name")
@click.option(
    "--expires",
    type=EXPIRES,
    default=None,
    help="New expiry: DATE, +Nd or 'never' (default: unchanged).",
)
@pass_globals
@click.pass_context
def rotate(ctx: click.Context, g: Globals, name: str, expires: Any) -> None:
    """Store a new secret version (from stdin or the prompt); the old one is retired.

    \b
    Example:
      printf %s "$NEW" | tokenvault rotate stripe-live --expires +365d
    """
    changes: dict[str, Any] = {}
    source = ctx.get_parameter_source("expires")
    if source is not None and source.name == "COMMANDLINE":
        changes["expires_at"] = expires
    with g.session() as session:
        tokens.get(session, name)  # unknown name: say so before asking for a secret
        secret = read_new_secret("new secret")
        token = tokens.rotate(session, name, secret, **changes)
    click.echo(
        f"rotated {token.name} to version {token.current_version} ({token.current.fingerprint})"
    )


@root.command(short_help="Mark a token revoked, with a reason; the journal keeps it.")
@click.argument("name")
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r.value for r in RevokeReason]),
    help="Why (recorded in the journal).",
)
@click.option("--ticket", default="", help="Change or incident reference.")
@click.option("--note", default="", help="A note.")
@pass_globals
def revoke(g: Globals, name: str, reason: str, ticket: str, note: str) -> None:
    """Mark a token revoked (revoke it at its provider too); metadata and journal stay.

    \b
    Example:
      tokenvault revoke old-ci-key --reason decommissioned --ticket OPS-1234
    """
    with g.session() as session:
        token = tokens.revoke(session, name, reason, ticket=ticket, note=note)
    click.echo(f"revoked {token.name} ({reason})")


@root.command(short_help="Attest that the token is still needed with this scope.")
@click.argument("name")
@click.option("--note", default="", help="What was checked.")
@pass_globals
def review(g: Globals, name: str, note: str) -> None:
    """Attest, as the owner (or an admin), that the token is still needed with this scope.

    \b
    Example:
      tokenvault review github-deploy --note "Q4 access review"
    """
    with g.session() as session:
        token = tokens.review(session, name, note=note)
    click.echo(f"reviewed {token.name}")
