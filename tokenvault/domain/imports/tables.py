"""CSV imports: our own columns, KeePassXC's CSV export and Bitwarden's CSV export.

Columns are matched by their header name, so their order does not matter; a record's line is
the physical line it starts on (a quoted cell may span lines). CRLF and a UTF-8 BOM are
accepted. See docs/import.md for each mapping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tokenvault.domain.imports.common import (
    ImportFormatError,
    ImportRecord,
    check_unique,
    decode,
    make_record,
    one_line,
    parse_date,
    parse_days,
    split_list,
)

# Our CSV: `name` and `secret` are required; every other column is optional.
CSV_TEXT = ("service", "environment", "owner", "notes")
CSV_LISTS = ("scopes", "used_by", "tags")
CSV_DATES = ("issued_at", "expires_at", "last_rotated_at")
CSV_COLUMNS = ("name", "secret", *CSV_TEXT, *CSV_LISTS, *CSV_DATES, "rotate_every_days")

# KeePassXC 2.7+ (`keepassxc-cli export -f csv`, Database > Export > CSV); 2.6 and older
# write only the first six columns. Both are accepted.
KEEPASSXC_COLUMNS = (
    "Group",
    "Title",
    "Username",
    "Password",
    "URL",
    "Notes",
    "TOTP",
    "Icon",
    "Last Modified",
    "Created",
)
KEEPASSXC_REQUIRED = ("Title", "Password")

# Bitwarden's CSV export (individual vault).
BITWARDEN_COLUMNS = (
    "folder",
    "favorite",
    "type",
    "name",
    "notes",
    "fields",
    "reprompt",
    "login_uri",
    "login_username",
    "login_password",
    "login_totp",
)
BITWARDEN_REQUIRED = ("type", "name", "login_password")


def _rows(
    data: bytes, file: str, required: tuple[str, ...], known: tuple[str, ...] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(start line, {column: cell}) for each non-blank record after the header."""
    reader = csv.reader(io.StringIO(decode(data, file), newline=""))
    header: list[str] | None = None
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is None:
                header = _header(row, file, start, required, known)
                continue
            if len(row) != len(header):
                raise ImportFormatError(
                    file, start, f"{len(row)} fields, but the header has {len(header)}"
                )
            yield start, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise ImportFormatError(file, reader.line_num, f"malformed CSV ({exc})") from None
    if header is None:
        raise ImportFormatError(file, 0, "empty file: no header line")


def _header(
    row: list[str], file: str, line: int, required: tuple[str, ...], known: tuple[str, ...] | None
) -> list[str]:
    header = [cell.strip() for cell in row]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ImportFormatError(file, line, f"duplicate column(s): {', '.join(duplicates)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFormatError(file, line, f"missing column(s): {', '.join(missing)}")
    if known is not None:
        unknown = [c for c in header if c not in known]
        if unknown:
            shown = ", ".join(f"{c!r:.40}" for c in unknown)
            raise ImportFormatError(file, line, f"unknown column(s): {shown}")
    return header


def _host(uri: str) -> str:
    """The host name of a URL (`https://api.github.com/x` -> `api.github.com`), or ""."""
    uri = uri.strip()
    if not uri:
        return ""
    try:
        host = urlsplit(uri if "//" in uri else "//" + uri).hostname
    except ValueError:
        return ""
    return host or ""


def _account_notes(username: str, notes: str) -> str:
    parts = [f"username: {one_line(username)}" if username.strip() else "", one_line(notes)]
    return " | ".join(p for p in parts if p)


def parse_csv(data: bytes, file: str) -> list[ImportRecord]:
    """Our own columns (docs/import.md): one token per row; lists separated by `;`."""
    records = []
    for line, row in _rows(data, file, ("name", "secret"), CSV_COLUMNS):
        fields: dict[str, Any] = {"name": row["name"]}
        for name in CSV_TEXT:
            if name in row:
                fields[name] = row[name]
        for name in CSV_LISTS:
            if name in row:
                fields[name] = split_list(row[name])
        for name in CSV_DATES:
            if row.get(name, "").strip():
                fields[name] = parse_date(row[name], file, line, name)
        if row.get("rotate_every_days", "").strip():
            fields["rotate_every_days"] = parse_days(
                row["rotate_every_days"], file, line, "rotate_every_days"
            )
        records.append(make_record(file, line, fields, row["secret"], column="secret"))
    return check_unique(records, file)


def parse_keepassxc(data: bytes, file: str) -> list[ImportRecord]:
    """KeePassXC's CSV export: Title -> name, Password -> secret, URL's host -> service,
    Group -> a `group:` tag, Username and Notes -> notes, Created -> issued_at. TOTP is a
    secret too and is never imported; Icon and Last Modified are ignored."""
    records = []
    for line, row in _rows(data, file, KEEPASSXC_REQUIRED, None):
        fields: dict[str, Any] = {
            "name": row["Title"],
            "service": _host(row.get("URL", "")),
            "notes": _account_notes(row.get("Username", ""), row.get("Notes", "")),
            "tags": [f"group:{row['Group'].strip()}"] if row.get("Group", "").strip() else [],
        }
        if row.get("Created", "").strip():
            fields["issued_at"] = parse_date(row["Created"], file, line, "Created")
        records.append(make_record(file, line, fields, row["Password"], column="Password"))
    return check_unique(records, file)


def parse_bitwarden(data: bytes, file: str) -> list[ImportRecord]:
    """Bitwarden's CSV export: login items only (secure notes, cards and identities hold no
    token and are skipped). name -> name, login_password -> secret, login_uri's host ->
    service, folder -> a `folder:` tag, login_username and notes -> notes. `fields` (custom
    fields may be hidden secrets) and login_totp are never imported."""
    records = []
    for line, row in _rows(data, file, BITWARDEN_REQUIRED, None):
        if row["type"].strip() != "login":
            continue
        uri = row.get("login_uri", "").split(",")[0]
        folder = row.get("folder", "").strip()
        fields: dict[str, Any] = {
            "name": row["name"],
            "service": _host(uri),
            "notes": _account_notes(row.get("login_username", ""), row.get("notes", "")),
            "tags": [f"folder:{folder}"] if folder else [],
        }
        records.append(
            make_record(file, line, fields, row["login_password"], column="login_password")
        )
    return check_unique(records, file)
