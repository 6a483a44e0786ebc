"""Secret-scanner reports: gitleaks JSON, trufflehog v3 JSON lines, detect-secrets baselines.

    parse_gitleaks(data, file) / parse_trufflehog(...) / parse_detect_secrets(...)
        -> list[ReportFinding]        (ImportFormatError names file:line and the field)

A finding says where a scanner saw a secret; matching it against the vault (a *leak* of a
known token, or a *discovered* one) is the service's job. Every record is kept, duplicates
included: one token leaked in five files is five findings. An empty report is a clean scan,
not an error. `record` is the report line where the finding's JSON object starts, so messages
and sources can point into the report. Only the fields named below are read: a scanner's
`Match`, `RawV2`, `ExtraData`, `SecretParts`, `Line` … may hold the secret too and are never
touched. Errors name the field, never a value. See docs/import.md for each mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.imports.common import ImportFormatError, decode
from tokenvault.domain.model import Secret
from tokenvault.domain.text import clean_text

Where = tuple[str, int]  # (file, record line) for errors

_WS = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, exactly
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_DECODER = json.JSONDecoder()
# gitleaks --redact (100%) writes this instead of the secret; --redact=N keeps a prefix + "...".
_REDACTED = frozenset({"REDACTED", "REDACT"})
_REDACTED_PROBLEM = "secrets are redacted (gitleaks --redact); re-run without --redact to import"


@dataclass(frozen=True, slots=True)
class ReportFinding:
    """One finding: report line, detector, where the scanner saw it, and the secret or its hash."""

    record: int  # 1-based line in the report where this finding's object starts
    detector: str  # gitleaks RuleID, trufflehog DetectorName, detect-secrets type
    path: str  # the scanned file, as the report gives it ("" when the source has none)
    line: int | None  # line in that file (None: unknown)
    commit: str  # git commit, or ""
    secret: Secret | None = field(repr=False)  # None: the report holds no secret
    sha1: str | None  # detect-secrets hashed_secret (lowercase hex), else None
    verified: bool | None  # the scanner's live check, None when it made none


class _Lines:
    """The 1-based line of character offsets asked for in increasing order (linear overall)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        if pos < self.pos:  # only on an error path: start over
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


# --- a position-aware walk over JSON (values themselves are decoded by the C scanner) --------


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    assert match is not None  # `*` always matches
    return match.end()


def _syntax(file: str, lines: _Lines, pos: int, msg: str) -> ImportFormatError:
    return ImportFormatError(file, lines.at(pos), f"not JSON ({msg})")


def _json_problem(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg})"  # a fixed phrase ("Expecting value"), never the text
    if isinstance(exc, RecursionError):
        return "not JSON (nested too deeply)"
    return "not JSON (a number is too long)"  # beyond sys.get_int_max_str_digits()


def _value(text: str, pos: int, file: str, lines: _Lines) -> tuple[Any, int]:
    """The JSON value starting at `pos` and the offset after it."""
    try:
        return _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else lines.at(pos)
        raise ImportFormatError(file, line, _json_problem(exc)) from None


def _walk_array(text: str, pos: int, file: str, lines: _Lines, item: Callable[[int], int]) -> int:
    """The array at `pos` (a `[`): `item(start)` consumes each element and returns its end."""
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return pos + 1
    while True:
        pos = _skip(text, item(pos))
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return pos + 1
        else:
            raise _syntax(file, lines, pos, "Expecting ',' delimiter")


def _walk_object(
    text: str, pos: int, file: str, lines: _Lines, member: Callable[[str, int], int]
) -> int:
    """The object at `pos` (a `{`): `member(key, start)` consumes each value, returns its end."""
    pos = _skip(text, pos + 1)
    if text.startswith("}", pos):
        return pos + 1
    while True:
        if not text.startswith('"', pos):
            raise _syntax(file, lines, pos, "Expecting property name enclosed in double quotes")
        key, pos = _value(text, pos, file, lines)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise _syntax(file, lines, pos, "Expecting ':' delimiter")
        pos = _skip(text, member(key, _skip(text, pos + 1)))
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("}", pos):
            return pos + 1
        else:
            raise _syntax(file, lines, pos, "Expecting ',' delimiter")


def _document(data: bytes, file: str, opener: str, shape: str) -> tuple[str, int, _Lines]:
    """The decoded text and the offset of its top-level `opener` (`[` or `{`); a document
    that is valid JSON of another shape gets `shape` as its error, invalid JSON the JSON error."""
    text = decode(data, file)
    lines = _Lines(text)
    pos = _skip(text, 0)
    if pos == len(text):
        raise ImportFormatError(file, 0, f"empty file: {shape}")
    if text[pos] != opener:
        _value(text, pos, file, lines)  # raises the JSON error if it is not JSON at all
        raise ImportFormatError(file, lines.at(pos), shape)
    return text, pos, lines


def _end(text: str, pos: int, file: str, lines: _Lines) -> None:
    pos = _skip(text, pos)
    if pos != len(text):
        raise _syntax(file, lines, pos, "Extra data")


# --- fields ----------------------------------------------------------------------------------


def _get(obj: dict[str, Any], key: str, kind: type, what: str, where: Where) -> Any:
    """obj[key] if it has the JSON type `kind`; None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int to Python, never to JSON
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ImportFormatError(*where, f"{key}: must be {what}")
    return value


def _text(obj: dict[str, Any], key: str, where: Where, *, max_len: int, required: bool) -> str:
    """Cleaned text (NFC, no controls, within `max_len`); required text must not be empty."""
    value = _get(obj, key, str, "text", where)
    if value is None:
        if required:
            raise ImportFormatError(*where, f"{key} is missing")
        return ""
    try:
        return clean_text(value, field=key, max_len=max_len, allow_empty=not required)
    except ValidationError as exc:
        raise ImportFormatError(*where, str(exc)) from None


def _line(obj: dict[str, Any], key: str, where: Where) -> int | None:
    """A line number: a whole number >= 0, where 0 (or absent) means unknown."""
    value = _get(obj, key, int, "a whole number", where)
    if value is not None and not 0 <= value <= limits.SAFE_INT_MAX:
        raise ImportFormatError(*where, f"{key}: must be a line number")
    return value or None


def _verified(obj: dict[str, Any], key: str, where: Where) -> bool | None:
    value: bool | None = _get(obj, key, bool, "true or false", where)
    return value


def _secret(obj: dict[str, Any], key: str, where: Where) -> Secret:
    value = _get(obj, key, str, "text", where)
    if value is None:
        raise ImportFormatError(*where, f"{key} is missing")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: no scanner writes one
        raise ImportFormatError(*where, f"{key}: the secret is not valid Unicode") from None
    if not encoded:
        raise ImportFormatError(*where, f"{key}: the secret is empty")
    if len(encoded) > limits.SECRET_MAX_BYTES:
        raise ImportFormatError(
            *where, f"{key}: the secret is larger than {limits.SECRET_MAX_BYTES} bytes"
        )
    return Secret(encoded)


def _path(obj: dict[str, Any], key: str, where: Where) -> str:
    """A scanned file's path (it becomes a used_by item): text, may be empty."""
    return _text(obj, key, where, max_len=limits.USED_BY_MAX, required=False)


def _object(value: Any, what: str, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ImportFormatError(*where, f"{what} is not a JSON object")
    return value


# --- the formats -----------------------------------------------------------------------------


def parse_gitleaks(data: bytes, file: str) -> list[ReportFinding]:
    """`gitleaks … --report-format json`: a JSON array of findings. Read: RuleID, File and
    Secret (required; Match is never read), StartLine and Commit. A redacted report
    (`--redact`) is an error: a redacted secret cannot be matched."""
    text, pos, lines = _document(data, file, "[", "not a JSON array of findings")
    findings: list[ReportFinding] = []

    def finding(start: int) -> int:
        value, end = _value(text, start, file, lines)
        where = (file, lines.at(start))
        obj = _object(value, "the finding", where)
        if isinstance(obj.get("Secret"), str) and obj["Secret"] in _REDACTED:
            raise ImportFormatError(*where, f"Secret: {_REDACTED_PROBLEM}")
        if "File" not in obj:
            raise ImportFormatError(*where, "File is missing")
        findings.append(
            ReportFinding(
                record=where[1],
                detector=_text(obj, "RuleID", where, max_len=limits.FIELD_MAX, required=True),
                path=_path(obj, "File", where),
                line=_line(obj, "StartLine", where),
                commit=_text(obj, "Commit", where, max_len=limits.FIELD_MAX, required=False),
                secret=_secret(obj, "Secret", where),
                sha1=None,
                verified=None,
            )
        )
        return end

    _end(text, _walk_array(text, pos, file, lines, finding), file, lines)
    # --redact=N (N < 100) keeps a prefix of each secret and appends "...".
    if findings and all(f.secret and f.secret.expose().endswith(b"...") for f in findings):
        raise ImportFormatError(file, findings[0].record, f"Secret: {_REDACTED_PROBLEM}")
    return findings


# trufflehog's SourceMetadata.Data is a protobuf oneof: {"Git": {...}} or {"Filesystem": ...}.
# Sources name the scanned object `file` (Git, Github, Filesystem, …), `filename` (GCS) or
# `path` (Artifactory, GoogleDrive); chat and ticket sources have only a `link`.
_TRUFFLEHOG_PATHS = ("file", "filename", "path", "link")


def parse_trufflehog(data: bytes, file: str) -> list[ReportFinding]:
    """`trufflehog … --json`: one JSON object per line (its logs go to stderr; blank lines are
    skipped, any other line that is not a JSON object is an error). Read: DetectorName and
    Raw (required), Verified, and the `file` (or `filename`, `path`, `link`), `line` and
    `commit` of the one source in SourceMetadata.Data. RawV2 (multi-part credentials, joined
    in a detector-specific way) is never read."""
    findings: list[ReportFinding] = []
    for number, text in enumerate(decode(data, file).split("\n"), start=1):
        if not text.strip(" \t\r"):
            continue
        where = (file, number)
        if not text.lstrip(" \t").startswith("{"):
            raise ImportFormatError(*where, "not a JSON object (is this a log line?)")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ImportFormatError(*where, _json_problem(exc)) from None
        obj = _object(value, "the line", where)
        source = _trufflehog_source(obj, where)
        path_key = next((k for k in _TRUFFLEHOG_PATHS if source.get(k)), "file")
        findings.append(
            ReportFinding(
                record=number,
                detector=_text(obj, "DetectorName", where, max_len=limits.FIELD_MAX, required=True),
                path=_path(source, path_key, where),
                line=_line(source, "line", where),
                commit=_text(source, "commit", where, max_len=limits.FIELD_MAX, required=False),
                secret=_secret(obj, "Raw", where),
                sha1=None,
                verified=_verified(obj, "Verified", where),
            )
        )
    return findings


def _trufflehog_source(obj: dict[str, Any], where: Where) -> dict[str, Any]:
    """The fields of the one source in SourceMetadata.Data ({} when the report has none)."""
    meta = obj.get("SourceMetadata")
    if meta is None:
        return {}
    data = _object(meta, "SourceMetadata", where).get("Data")
    if data is None:
        return {}
    sources = list(_object(data, "SourceMetadata.Data", where).values())
    if len(sources) != 1:
        raise ImportFormatError(*where, "SourceMetadata.Data: must name exactly one source")
    return _object(sources[0], "SourceMetadata.Data's source", where)


def parse_detect_secrets(data: bytes, file: str) -> list[ReportFinding]:
    """A detect-secrets baseline (`detect-secrets scan > .secrets.baseline`). Read: `results`
    (required: {path: [result, …]}) and in each result `type` and `hashed_secret` (required,
    40 hex digits), `line_number` and `is_verified`. The path is the `results` key. A baseline
    holds SHA-1 hashes, never secrets: every finding has secret=None and sha1 set."""
    shape = "not a detect-secrets baseline (a JSON object with results)"
    text, pos, lines = _document(data, file, "{", shape)
    findings: list[ReportFinding] = []
    seen_results = False

    def results_of(path: str) -> Callable[[int], int]:
        def result(start: int) -> int:
            value, end = _value(text, start, file, lines)
            where = (file, lines.at(start))
            obj = _object(value, "the result", where)
            digest = _get(obj, "hashed_secret", str, "text", where)
            if digest is None:
                raise ImportFormatError(*where, "hashed_secret is missing")
            if _SHA1.fullmatch(digest) is None:
                raise ImportFormatError(*where, "hashed_secret: must be 40 hex digits (SHA-1)")
            findings.append(
                ReportFinding(
                    record=where[1],
                    detector=_text(obj, "type", where, max_len=limits.FIELD_MAX, required=True),
                    path=path,
                    line=_line(obj, "line_number", where),
                    commit="",
                    secret=None,
                    sha1=digest.lower(),
                    verified=_verified(obj, "is_verified", where),
                )
            )
            return end

        return result

    def path_member(key: str, start: int) -> int:
        where = (file, lines.at(start))
        path = _path({"results": key}, "results", where)
        if not text.startswith("[", start):
            _value(text, start, file, lines)  # a JSON error first, if there is one
            raise ImportFormatError(*where, "results: each file must map to a JSON array")
        return _walk_array(text, start, file, lines, results_of(path))

    def top_member(key: str, start: int) -> int:
        nonlocal seen_results
        if key != "results":
            return _value(text, start, file, lines)[1]
        where = (file, lines.at(start))
        if seen_results:
            raise ImportFormatError(*where, "results appears twice")
        seen_results = True
        if not text.startswith("{", start):
            _value(text, start, file, lines)
            raise ImportFormatError(*where, "results: must be a JSON object")
        return _walk_object(text, start, file, lines, path_member)

    _end(text, _walk_object(text, pos, file, lines, top_member), file, lines)
    if not seen_results:
        raise ImportFormatError(file, 0, "not a detect-secrets baseline: results is missing")
    return findings
