"""What an import reports, shared by the table formats (services/imports.py) and the scanner
reports (services/import_reports.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.text import clean_text


@dataclass(frozen=True, slots=True)
class Defaults:
    """Values for fields a record leaves empty (never overriding what the file says)."""

    owner: str = ""
    environment: str = ""
    service: str = ""


@dataclass(frozen=True, slots=True)
class Created:
    line: int
    name: str
    token_id: int | None  # None in a dry run


@dataclass(frozen=True, slots=True)
class Skipped:
    line: int
    name: str  # the record's name
    existing: str  # the token whose secret it is
    version: int


@dataclass(frozen=True, slots=True)
class Leak:
    """A scanner-report finding whose secret is a vault token's version."""

    record: int
    token: str
    version: int
    current: bool
    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A finding that neither matches the vault nor can become a token (no secret in it)."""

    record: int
    detector: str
    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class ImportResult:
    format: str
    file: str
    dry_run: bool
    created: list[Created] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)  # scanner reports only
    unmatched: list[Unmatched] = field(default_factory=list)  # detect-secrets only


def file_label(path: Path) -> str:
    """The base name as journaled and shown in messages (no directory; clean text)."""
    name = path.name[: limits.FIELD_MAX // 2]
    try:
        return clean_text(name, field="file", max_len=limits.FIELD_MAX, allow_empty=False)
    except ValidationError:
        return "(file name with control characters)"


NO_DEFAULTS = Defaults()
