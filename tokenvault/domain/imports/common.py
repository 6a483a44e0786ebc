"""What every import parser shares: the record, the error, decoding, dates and field cleaning.

Errors name the file, the line and the field, never a value: a malformed line may hold a
secret in any column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import Secret
from tokenvault.domain.validate import clean_field

BOM = "\ufeff"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ImportFormatError(ValidationError):
    """A problem in an import file, at `file:line` (line 0: the file as a whole)."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.problem = file, line, problem


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One token to import: where it starts in the file, its cleaned fields, its secret."""

    line: int
    fields: dict[str, Any] = field(repr=False)
    secret: Secret = field(repr=False)


def decode(data: bytes, file: str) -> str:
    """UTF-8 text with a leading BOM stripped (spreadsheets write one); CRLF stays for the
    parsers, which accept it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(file, line, "not valid UTF-8") from None
    return text.removeprefix(BOM)


def parse_date(value: str, file: str, line: int, name: str) -> datetime:
    """`YYYY-MM-DD` (midnight UTC) or an ISO 8601 date-time with a time zone (`…Z` too)."""
    raw = value.strip()
    try:
        if _DATE.fullmatch(raw):
            return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ImportFormatError(
            file, line, f"{name}: not a date (use YYYY-MM-DD or an ISO date-time with a zone)"
        )
    return moment.astimezone(UTC)


def parse_days(value: str, file: str, line: int, name: str) -> int:
    raw = value.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= limits.ROTATE_EVERY_MAX_DAYS:
        raise ImportFormatError(
            file, line, f"{name}: not a whole number of days in 1..{limits.ROTATE_EVERY_MAX_DAYS}"
        )
    return int(raw)


def split_list(value: str) -> list[str]:
    """A list cell: items separated by `;` (empty items dropped when cleaned)."""
    return value.split(";") if value.strip() else []


def make_record(
    file: str, line: int, fields: dict[str, Any], secret: str, *, column: str
) -> ImportRecord:
    """Clean every field (limits, text rules) and check the secret; errors name line and
    field only."""
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            cleaned[name] = clean_field(name, value)
        except ValidationError as exc:
            raise ImportFormatError(file, line, str(exc)) from None
    if not cleaned.get("name"):
        raise ImportFormatError(file, line, "name is empty")
    encoded = secret.encode("utf-8")
    if not encoded:
        raise ImportFormatError(file, line, f"{column}: the secret is empty")
    if len(encoded) > limits.SECRET_MAX_BYTES:
        raise ImportFormatError(
            file, line, f"{column}: the secret is larger than {limits.SECRET_MAX_BYTES} bytes"
        )
    return ImportRecord(line, cleaned, Secret(encoded))


def check_unique(records: list[ImportRecord], file: str) -> list[ImportRecord]:
    """No name twice and no secret twice in one file (each error names both lines)."""
    names: dict[str, int] = {}
    secrets: dict[bytes, int] = {}
    for record in records:
        name = record.fields["name"]
        if name in names:
            raise ImportFormatError(
                file, record.line, f"name {name!r:.80} is also on line {names[name]}"
            )
        names[name] = record.line
        value = record.secret.expose()
        if value in secrets:
            raise ImportFormatError(
                file, record.line, f"the secret is the same as on line {secrets[value]}"
            )
        secrets[value] = record.line
    return records


def one_line(value: str) -> str:
    """Multi-line text (password-manager notes) as one line: the vault stores no controls."""
    return " ".join(value.split())
