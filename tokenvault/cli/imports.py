"""`import`: inventory tokens from a file another tool wrote (one transaction, journaled)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip
from tokenvault.cli.root import root
from tokenvault.domain.imports import FORMATS, REPORT_FORMATS
from tokenvault.services import imports as import_service
from tokenvault.services.import_results import Defaults, ImportResult


@root.command(
    name="import",
    short_help="Inventory tokens from CSV, .env, KeePassXC, Bitwarden or scanner reports.",
)
@click.argument("file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS + REPORT_FORMATS),
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

    --owner, --env and --service fill only the fields a record leaves empty.

    A scanner report (gitleaks-json, trufflehog-json, detect-secrets-json) links what the
    scanner found to the vault: a finding whose secret is a token's version is a leak of
    that token (journaled in a `scan` entry; a leaked live secret is marked exposed until
    rotated); an unknown secret becomes a discovered token (owner empty, service = the
    detector, used_by = the files) that `check` reports until someone owns or revokes it.
    detect-secrets reports hold only SHA-1 hashes: unknown ones are listed, not stored.

    \b
    Examples:
      tokenvault import tokens.csv --format csv --dry-run
      tokenvault import .env --format env --owner platform --env staging --service acme
      tokenvault import keepassxc.csv --format keepassxc-csv --owner platform
      gitleaks detect --report-format json --report-path leaks.json
      tokenvault import leaks.json --format gitleaks-json
    """
    defaults = Defaults(owner=owner, environment=environment, service=service)
    with g.session() as session:
        result = import_service.import_file(session, file, fmt, defaults=defaults, dry_run=dry_run)
    for line in report_lines(result):
        click.echo(line)


def report_lines(result: ImportResult) -> Iterator[str]:
    """What `import` prints, line by line: names, places and counts, never a secret."""
    fmt, dry_run = result.format, result.dry_run
    verb = "would create" if dry_run else "created"
    for row in result.created:
        yield f"{verb} {clip(row.name, 60)} (line {row.line})"
    for skip in result.skipped:
        yield (
            f"skipped {clip(skip.name, 60)} (line {skip.line}): matches existing token "
            f"{clip(skip.existing, 60)} (version {skip.version})"
        )
    for leak in result.leaks:
        where = f"{clip(leak.path, 80) or '(no file)'}" + (f":{leak.line}" if leak.line else "")
        state = "current" if leak.current else "retired"
        yield (
            f"leak of {clip(leak.token, 60)} v{leak.version} ({state}) at {where} "
            f"(record at line {leak.record})"
        )
    for miss in result.unmatched:
        where = f"{clip(miss.path, 80) or '(no file)'}" + (f":{miss.line}" if miss.line else "")
        yield (
            f"unmatched {clip(miss.detector, 40)} at {where} (record at line {miss.record}): "
            "no vault secret has this hash, and the report holds no secret to store"
        )
    counts = f"{len(result.created)} created, {len(result.skipped)} skipped"
    if fmt in REPORT_FORMATS:
        counts += f", {len(result.leaks)} leak(s), {len(result.unmatched)} unmatched"
    if dry_run:
        yield (
            f"dry run of {result.file}: {counts.replace('created', 'to create')}; nothing changed"
        )
    else:
        journaled = "scan and import entries" if fmt in REPORT_FORMATS else "one import entry"
        yield f"imported {result.file}: {counts}; journaled as {journaled}"
