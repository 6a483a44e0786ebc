"""`import`: inventory tokens from a file another tool wrote (one transaction, journaled)."""

from __future__ import annotations

from pathlib import Path

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip
from tokenvault.cli.root import root
from tokenvault.domain.imports import FORMATS
from tokenvault.services import imports as import_service


@root.command(
    name="import", short_help="Inventory tokens from a CSV, .env, KeePassXC or Bitwarden file."
)
@click.argument("file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="The file's format (docs/import.md lists each one's columns).",
)
@click.option("--owner", default="", help="Owner for records that have none.")
@click.option("--env", "environment", default="", help="Environment for records that have none.")
@click.option("--service", default="", help="Service for records that have none.")
@click.option("--dry-run", is_flag=True, help="Check and show what would happen; change nothing.")
@pass_globals
def import_(
    g: Globals,
    file: Path,
    fmt: str,
    owner: str,
    environment: str,
    service: str,
    dry_run: bool,
) -> None:
    """Inventory every token in FILE in one transaction: all of them, or none. Each new
    token is journaled as token.create (source import:FORMAT:FILE:LINE), then one `import`
    entry. A record whose secret is already in the vault (any version of any token, matched
    by fingerprint) is reported and skipped, never duplicated. Any problem (bad UTF-8,
    missing column, bad date, duplicate name, empty or oversized secret …) is one error
    naming FILE:LINE and the field, never a value; exit 2 and the vault is unchanged.

    --owner, --env and --service fill only the fields a record leaves empty. The scanner
    reports (gitleaks-json, trufflehog-json, detect-secrets-json) arrive with `scan`.

    \b
    Examples:
      tokenvault import tokens.csv --format csv --dry-run
      tokenvault import .env --format env --owner platform --env staging --service acme
      tokenvault import keepassxc.csv --format keepassxc-csv --owner platform
    """
    defaults = import_service.Defaults(owner=owner, environment=environment, service=service)
    with g.session() as session:
        result = import_service.import_file(session, file, fmt, defaults=defaults, dry_run=dry_run)
    verb = "would create" if dry_run else "created"
    for row in result.created:
        click.echo(f"{verb} {clip(row.name, 60)} (line {row.line})")
    for skip in result.skipped:
        click.echo(
            f"skipped {clip(skip.name, 60)} (line {skip.line}): matches existing token "
            f"{clip(skip.existing, 60)} (version {skip.version})"
        )
    counts = f"{len(result.created)} created, {len(result.skipped)} skipped"
    if dry_run:
        click.echo(
            f"dry run of {result.file}: {counts.replace('created', 'to create')}; nothing changed"
        )
    else:
        click.echo(f"imported {result.file}: {counts}; journaled as one import entry")
