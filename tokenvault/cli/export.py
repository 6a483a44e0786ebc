"""`export`: CSV files for people and spreadsheets (the auditor's file is `journal export`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tokenvault import services
from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.root import root
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import export as export_service
from tokenvault.services.asof import as_of_instant


class AsOfType(click.ParamType[datetime, Any]):
    """DATE (the end of that day UTC; today: now), an ISO date-time with a zone, -Nd, today."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:  # click names the option itself: "Invalid value for '--as-of': …"
            return as_of_instant(str(value), services.system_clock(), field="")
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)


@root.group(
    name="export", short_help="CSV for spreadsheets: the token inventory, now or as of a date."
)
def export_group() -> None:
    """CSV files for spreadsheets and people. They cannot be verified; the file an auditor
    verifies is `tokenvault journal export` (JSON Lines)."""


@export_group.command(name="inventory")
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as-of",
    "as_of",
    type=AsOfType(),
    default=None,
    help="The inventory at the END of this day UTC (or this instant), replayed from the journal.",
)
@pass_globals
def export_inventory(g: Globals, out: Path, as_of: datetime | None) -> None:
    """Write every token's metadata to OUT as CSV, one row per token (by id): never a secret,
    only the current version's fingerprint (an HMAC, as in the journal). The status (ok, due,
    overdue, expired, revoked) is judged at the as-of instant.

    Without --as-of: the inventory now. With --as-of the journal is replayed up to that
    instant: a date (2026-09-30) means the end of that day UTC, 23:59:59.999Z, and today's
    date means now; an instant after now, or before the vault was created, is refused
    (exit 2).

    A read: this export is not journaled (the journal records changes and reveals). The file
    is written atomically, mode 0600, UTF-8 with a byte-order mark; lists are joined with
    "; ", and a text cell that starts with = + - @, tab or CR gets a leading ' so it never
    runs as a formula.

    \b
    Example:
      tokenvault export inventory tokens-now.csv
      tokenvault export inventory tokens-2026-q3.csv --as-of 2026-09-30
    """
    with g.session() as session:
        made = export_service.export_inventory(session, out, as_of=as_of)
    count = f"{made.tokens} token{'' if made.tokens == 1 else 's'}"
    click.echo(f"exported {count} to {made.path} (as of {format_ts(made.as_of)})")
