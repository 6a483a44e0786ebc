"""Rendering for people (aligned tables, dates, coloured statuses) and for scripts (JSON).

Results go to stdout, warnings and errors to stderr as one line each, so `--json` output can
be piped straight into jq.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from tokenvault.domain.model import Status
from tokenvault.domain.status import days_left

PROG = "tokenvault"
STATUS_COLOURS = {
    Status.REVOKED: "bright_black",
    Status.EXPIRED: "red",
    Status.OVERDUE: "red",
    Status.DUE: "yellow",
    Status.OK: "green",
}
CELL_MAX = 40


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def warn(text: str) -> None:
    click.echo(f"{PROG}: warning: {text}", err=True)


def error_line(text: str) -> None:
    click.echo(f"{PROG}: error: {_one_line(text)}", err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d")


def relative_days(moment: datetime, now: datetime) -> str:
    days = days_left(moment, now)
    if days > 0:
        return f"in {days}d"
    return "today" if days == 0 else f"{-days}d late"


def status_cell(status: Status) -> str:
    return click.style(status.value, fg=STATUS_COLOURS[status])


def clip(text: str, width: int = CELL_MAX) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns, two spaces apart; ANSI colour does not count toward width."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(click.unstyle(cell)))

    def line(cells: Sequence[str]) -> str:
        padded = [c + " " * (w - len(click.unstyle(c))) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    click.echo(line([click.style(h, bold=True) for h in headers]))
    for row in rows:
        click.echo(line(row))


def fields(pairs: Sequence[tuple[str, str]]) -> None:
    """`key: value` lines with the keys aligned (for `show`)."""
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        click.echo(f"{key + ':':<{width + 1}} {value}")
