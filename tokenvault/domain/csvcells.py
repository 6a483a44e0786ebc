"""CSV for spreadsheets: cells that never run as formulas, and one byte form for every CSV.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula (some first strip
a leading tab or CR): a token note such as `=HYPERLINK(...)` would run when an auditor opens
the file. `safe_cell` prefixes such text with a single quote, OWASP's "CSV injection"
advice. Integers we produce (seq, id, version, days) are written as they are, so a column of
numbers stays numeric; only text goes through `safe_cell`.

`csv_bytes` is the one writer: RFC 4180 (quotes only where needed, CRLF line ends), UTF-8 with
a byte-order mark, without which Excel reads UTF-8 as the local code page and mangles every
non-ASCII character (names, the `→` in journal summaries). Python reads it back with
`encoding="utf-8-sig"`.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence

# OWASP CSV injection: the characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")
BOM = codecs.BOM_UTF8

Cell = str | int | None


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` when it would start a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return safe_cell(value)
    raise TypeError(f"a CSV cell is text, an integer or None, not {type(value).__name__}")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The whole file: BOM, header, then one line per row; text cells made formula-safe,
    integers as digits, None as an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_cell(name) for name in header])
    width = len(header)
    for row in rows:
        if len(row) != width:
            raise ValueError(f"a CSV row has {len(row)} cells, the header {width}")
        writer.writerow([_cell(value) for value in row])
    return BOM + buffer.getvalue().encode("utf-8")
