"""`due`: what expires or needs rotating soon, for people, scripts, cron and calendars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip, day, json_array, relative_days, status_cell, table
from tokenvault.cli.root import root
from tokenvault.domain.dateinput import parse_window
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import due as due_service

EXIT_NONE_LATE, EXIT_LATE = 0, 1  # 1: something is expired or overdue ("something found")


class WindowType(click.ParamType[int, Any]):
    """30d, 2w or a bare number of days."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        try:  # click names the option itself: "Invalid value for '--within': …"
            return parse_window(str(value), field="")
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


@root.command(short_help="What expires or needs rotating soon; exit 1 if anything is late.")
@click.option(
    "--within",
    "within_days",
    type=WindowType(),
    default=None,
    help="Window: 30d, 2w or 30 (days) [default: the policy's reminder window; 90d with --ics].",
)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.option(
    "--ics",
    "ics",
    metavar="OUT",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write an iCalendar file (events with 30/7/1-day alarms) instead of the table.",
)
@pass_globals
@click.pass_context
def due(
    ctx: click.Context, g: Globals, /, within_days: int | None, as_json: bool, ics: Path | None
) -> None:
    """Tokens whose expiry or rotation falls within the window, plus every overdue and
    expired one, most urgent first, with the owner and the days left or late. Revoked
    tokens are never listed. STATUS is the token's status under the policy, as in `ls`: with a
    window wider than the reminder window, a token beyond the reminder window shows `ok`.

    Exit 1 if anything is expired or overdue (also with --ics), else 0: cron mails you,
    CI fails. A read: nothing is journaled.

    --ics OUT writes a calendar (RFC 5545, atomically, mode 0600) with one all-day event per
    listed token on its deadline's UTC date and alarms 30, 7 and 1 days before; an expired
    or overdue token's event is dated today. Its window is --within, else 90 days. Event
    UIDs are stable, so importing a newer file updates the events. Instead of the table, one
    line says what was written (--json still prints the JSON).

    \b
    Examples:
      tokenvault due --within 30d
      tokenvault due --json | jq -r '.[] | select(.days_left < 0) | .token'
      tokenvault due --ics ~/calendars/tokens.ics
    """
    with g.session() as session:
        made = None if ics is None else due_service.write_ics(session, ics, within_days)
        report = due_service.due(session, within_days) if made is None else made.report
    _render(report, made, as_json=as_json)
    ctx.exit(EXIT_LATE if report.late else EXIT_NONE_LATE)


def _render(
    report: due_service.DueReport, made: due_service.IcsExport | None, *, as_json: bool
) -> None:
    if as_json:
        click.echo(
            json_array(
                [
                    {
                        "token": item.token.name,
                        "token_id": item.token.id,
                        "owner": item.token.owner,
                        "environment": item.token.environment,
                        "service": item.token.service,
                        "status": item.status.value,
                        "what": item.what,
                        "deadline": format_ts(item.deadline),
                        "days_left": item.days,
                    }
                    for item in report.items
                ]
            )
        )
        return
    window = _days(report.within_days)
    if made is not None:
        upcoming = made.events - report.late
        click.echo(
            f"wrote {made.events} event{'' if made.events == 1 else 's'} to {made.path}: "
            f"{report.late} expired or overdue (dated today), {upcoming} due within {window}"
        )
        return
    if not report.items:
        click.echo(f"nothing is due within {window}, and nothing is overdue or expired")
        return
    rows = [
        [
            status_cell(item.status),
            clip(item.token.name),
            clip(item.token.owner, 16) or "-",
            item.what,
            day(item.deadline),
            relative_days(item.deadline, report.now),
        ]
        for item in report.items
    ]
    table(["STATUS", "TOKEN", "OWNER", "WHAT", "DEADLINE", "DAYS"], rows)
