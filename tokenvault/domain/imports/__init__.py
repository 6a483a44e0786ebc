"""Pure parsers for `tokenvault import`: bytes in, records (line, model-form fields, secret) out.

    parse(fmt, data, file=)  -> list[ImportRecord]     (ImportFormatError names file:line)

One module per format family: `tables` (our CSV, KeePassXC CSV, Bitwarden CSV) and `dotenv`.
The columns and how they map to token fields are documented in docs/import.md.
"""

from __future__ import annotations

from collections.abc import Callable

from tokenvault.domain.imports import dotenv, tables
from tokenvault.domain.imports.common import ImportFormatError, ImportRecord

Parser = Callable[[bytes, str], list[ImportRecord]]

PARSERS: dict[str, Parser] = {
    "csv": tables.parse_csv,
    "env": dotenv.parse_env,
    "keepassxc-csv": tables.parse_keepassxc,
    "bitwarden-csv": tables.parse_bitwarden,
}
FORMATS = tuple(PARSERS)


def parse(fmt: str, data: bytes, *, file: str) -> list[ImportRecord]:
    """Every record of `data` (a file named `file` in messages), or the first problem."""
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ImportFormatError(file, 0, f"unknown format {fmt!r:.40}")
    records = parser(data, file)
    if not records:
        raise ImportFormatError(file, 0, "no records to import")
    return records


__all__ = ["FORMATS", "ImportFormatError", "ImportRecord", "parse"]
