"""The CLI's table: colour never counts toward a column's width, and odd whitespace in a cell
never breaks a row."""

from __future__ import annotations

import click
import pytest

from tokenvault.cli.output import clip, table


def test_styled_cells_align_like_plain_ones(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        [click.style("error", fg="red"), "NO_OWNER", "a"],
        [click.style("warning", fg="yellow"), "STALE", "bb"],
        ["info", "NO_EXPIRY", ""],
    ]
    table(["SEVERITY", "CODE", "TOKEN"], rows)
    lines = capsys.readouterr().out.splitlines()  # not a terminal: click strips the colour
    assert lines == [
        "SEVERITY  CODE       TOKEN",
        "error     NO_OWNER   a",
        "warning   STALE      bb",
        "info      NO_EXPIRY",
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain name", "plain name"), ("two  spaces", "two spaces"), ("a\nb\tc", "a b c")],
)
def test_clip_folds_whitespace_into_one_line(text: str, shown: str) -> None:
    assert clip(text) == shown
