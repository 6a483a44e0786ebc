"""CSV cells a spreadsheet never runs as formulas, and the one byte form every CSV has."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.csvcells import BOM, FORMULA_STARTS, csv_bytes, safe_cell


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("", ""),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
        ("github-deploy", "github-deploy"),
        ("→ v2", "→ v2"),
    ],
)
def test_safe_cell_quotes_exactly_the_owasp_starts(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_csv_bytes_form_bom_crlf_minimal_quoting_and_raw_integers() -> None:
    data = csv_bytes(
        ("seq", "text", "none"),
        [(1, "plain", None), (-2, 'has, comma and "quote"', "=1+1"), (30, "two\nlines", "")],
    )
    assert data == (
        BOM + b"seq,text,none\r\n"
        b"1,plain,\r\n"
        b'-2,"has, comma and ""quote""",\'=1+1\r\n'
        b'30,"two\nlines",\r\n'
    )


def test_csv_bytes_refuses_a_row_of_the_wrong_width_or_a_stray_type() -> None:
    with pytest.raises(ValueError, match="2 cells, the header 3"):
        csv_bytes(("a", "b", "c"), [("x", "y")])
    with pytest.raises(TypeError, match="bool"):
        csv_bytes(("a",), [(True,)])
    with pytest.raises(TypeError, match="float"):
        csv_bytes(("a",), [(1.5,)])  # type: ignore[list-item]


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_no_text_cell_reads_back_as_a_formula_and_nothing_is_lost(values: list[str]) -> None:
    values = [v.replace("\x00", "") for v in values]  # csv cannot hold NUL; the vault never has one
    (_header, row) = read_back(csv_bytes([f"c{i}" for i in range(len(values))], [values]))
    assert len(row) == len(values)
    for value, cell in zip(values, row, strict=True):
        assert cell[:1] not in FORMULA_STARTS
        assert cell == (("'" + value) if value[:1] in FORMULA_STARTS else value)
