"""Pure parsers for `tokenvault import`: bytes in, records (line, model-form fields, secret) out.

    parse(fmt, data, file=)  -> list[ImportRecord]     (ImportFormatError names file:line)
    parse_report(fmt, data, file=) -> list[ReportFinding]   (scanner reports; may be empty)

One module per format family: `tables` (our CSV, KeePassXC CSV, Bitwarden CSV), `dotenv`, and
`reports` (gitleaks, trufflehog and detect-secrets findings: leaks and discovered tokens).
The columns and how they map to token fields are documented in docs/import.md.
"""

from __future__ import annotations

from collections.abc import Callable

from tokenvault.domain.imports import dotenv, reports, tables
from tokenvault.domain.imports.common import ImportFormatError, ImportRecord
from tokenvault.domain.imports.reports import ReportFinding

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


ReportParser = Callable[[bytes, str], list[ReportFinding]]

# Names as in journal_schema.REPORT_FORMATS (a test keeps them equal).
REPORT_PARSERS: dict[str, ReportParser] = {
    "gitleaks-json": reports.parse_gitleaks,
    "trufflehog-json": reports.parse_trufflehog,
    "detect-secrets-json": reports.parse_detect_secrets,
}
REPORT_FORMATS = tuple(REPORT_PARSERS)


def parse_report(fmt: str, data: bytes, *, file: str) -> list[ReportFinding]:
    """Every finding of a scanner report, or the first problem. No findings is a clean scan,
    not an error: the caller says so."""
    parser = REPORT_PARSERS.get(fmt)
    if parser is None:
        raise ImportFormatError(file, 0, f"unknown report format {fmt!r:.40}")
    return parser(data, file)


__all__ = [
    "FORMATS",
    "REPORT_FORMATS",
    "ImportFormatError",
    "ImportRecord",
    "ReportFinding",
    "parse",
    "parse_report",
]
