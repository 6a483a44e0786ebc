"""The CLI's table: colour never counts toward a column's width, and odd whitespace in a cell
never breaks a row."""

from __future__ import annotations

import json

import click
import pytest

from tokenvault.cli.output import clip, json_array, table


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


def test_the_fast_json_text_is_exactly_what_json_dumps_writes() -> None:
    text = 'quote " backslash \\ newline \n tab \t é ☃ \u2028 nul \x00 \U0001f511'
    records = [{"a": text, "n": 7, "z": None, "e": ""}, {"a": "", "n": -1, "z": None, "e": "x"}]
    assert json_array(records) == json.dumps(records, ensure_ascii=False, indent=2)
    assert json_array([]) == json.dumps([], ensure_ascii=False, indent=2)
    with pytest.raises(TypeError):
        json_array([{"flag": True}])
