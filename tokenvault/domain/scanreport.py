"""What `tokenvault scan` reports, and the baseline file that accepts findings.

A finding is either a *leak* (a vault secret version, current or retired, found in a file) or a
*shadow* token (a credential-shaped string, found by a detect-secrets detector, that is not in
the vault). Both carry the secret's vault fingerprint (`hmac-sha256:k1:…`), never the secret:
the fingerprint is what a baseline entry, `tokenvault import` and the journal match on.

A baseline is a JSON file of accepted findings, meant to be committed next to the code it
covers so CI can run `scan` on every commit:

    {"format": "tokenvault-scan-baseline", "version": 1,
     "findings": [{"fingerprint": "hmac-sha256:k1:…", "path": "tests/fixtures/app.env",
                   "kind": "shadow", "what": "Slack Token", "reason": "revoked test token"}]}

An entry accepts every occurrence of that fingerprint in that file (line numbers move with every
edit; the file and the secret do not). `kind` and `what` are for the people reading the file;
matching uses `fingerprint` and `path` only. Paths are compared after `normpath`, as the scan
reports them: relative when the scanned PATH was relative, so run CI scans from the same
directory the baseline was written in.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.leaks import printable

LEAK, SHADOW = "leak", "shadow"
BASELINE_FORMAT = "tokenvault-scan-baseline"
BASELINE_VERSION = 1
REASON_MAX = limits.NOTE_MAX
_FINGERPRINT = re.compile(r"hmac-sha256:k[0-9]+:[0-9a-f]{32}")
_ENTRY_KEYS = frozenset({"fingerprint", "path", "kind", "what", "reason"})


def report_path(path: str) -> str:
    """A walked path as reports, baselines and terminals show it: normalised and printable
    (a file name can hold escape sequences or bytes that are not UTF-8)."""
    return printable(os.path.normpath(path))


@dataclass(frozen=True, slots=True)
class ScanFinding:
    """One occurrence. For a leak, `token`, `token_id`, `version` and `current` say whose
    secret it is and `what` is `name vN`; for a shadow token they are None and `what` is the
    detector. `accepted` is the baseline's reason when a baseline entry covers it."""

    kind: str
    path: str
    line: int
    column: int
    fingerprint: str
    what: str
    preview: str
    token: str | None = None
    token_id: int | None = None
    version: int | None = None
    current: bool | None = None
    accepted: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.fingerprint, self.path)

    def to_json(self) -> dict[str, Any]:
        """The `scan --json` record; field names are a public contract."""
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "fingerprint": self.fingerprint,
            "what": self.what,
            "token": self.token,
            "token_id": self.token_id,
            "version": self.version,
            "current": self.current,
            "preview": self.preview,
            "baselined": self.accepted is not None,
            "reason": self.accepted,
        }


def sort_key(finding: ScanFinding) -> tuple[str, int, int, str, str]:
    return (finding.path, finding.line, finding.column, finding.kind, finding.what)


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    path: str
    kind: str
    what: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "path": self.path,
            "kind": self.kind,
            "what": self.what,
            "reason": self.reason,
        }


class BaselineError(ValidationError):
    """A baseline file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[BaselineEntry, ...] = ()

    def matcher(self) -> dict[tuple[str, str], str]:
        """(fingerprint, path) -> reason, built once for a whole scan."""
        return {(e.fingerprint, e.path): e.reason for e in self.entries}


def parse_baseline(data: bytes, file: str) -> Baseline:
    """Strictly read a baseline: every problem is one `BaselineError` naming FILE and the
    entry (entries hold no secret, but a hand-edited file might; no value is echoed)."""
    try:
        document = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise BaselineError(f"{file}: not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise BaselineError(
            f"{file}: not a tokenvault scan baseline (format is not {BASELINE_FORMAT!r})"
        )
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{file}: unsupported baseline version (expected {BASELINE_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{file}: `findings` must be an array")
    entries = []
    for number, item in enumerate(findings, 1):
        entries.append(_entry(item, f"{file}: finding {number}"))
    return Baseline(tuple(entries))


def _entry(item: Any, where: str) -> BaselineEntry:
    if not isinstance(item, dict) or not {"fingerprint", "path"} <= set(item):
        raise BaselineError(f"{where}: must be an object with fingerprint and path")
    unknown = sorted(set(item) - _ENTRY_KEYS)
    if unknown:
        raise BaselineError(f"{where}: unknown field {unknown[0]!r:.40}")
    values = {key: item.get(key, "") for key in _ENTRY_KEYS}
    for key, value in values.items():
        if not isinstance(value, str):
            raise BaselineError(f"{where}: {key} must be a string")
    if _FINGERPRINT.fullmatch(values["fingerprint"]) is None:
        raise BaselineError(f"{where}: fingerprint is not a tokenvault fingerprint")
    if not values["path"] or len(values["path"]) > 4096:
        raise BaselineError(f"{where}: path must be 1 to 4096 characters")
    if values["kind"] not in ("", LEAK, SHADOW):
        raise BaselineError(f"{where}: kind must be {LEAK} or {SHADOW}")
    if len(values["reason"]) > REASON_MAX or len(values["what"]) > REASON_MAX:
        raise BaselineError(f"{where}: reason and what are at most {REASON_MAX} characters")
    return BaselineEntry(
        fingerprint=values["fingerprint"],
        path=os.path.normpath(values["path"]),
        kind=values["kind"],
        what=values["what"],
        reason=values["reason"],
    )


def accept(findings: Iterable[ScanFinding], previous: Baseline, reason: str) -> Baseline:
    """A baseline accepting every finding: entries already in `previous` keep their reason,
    new ones get `reason`; one entry per (fingerprint, path), sorted by path then fingerprint.
    Entries of `previous` that matched nothing are dropped (the leak or token is gone)."""
    kept = previous.matcher()
    entries: dict[tuple[str, str], BaselineEntry] = {}
    for f in findings:
        if f.key not in entries:
            entries[f.key] = BaselineEntry(
                f.fingerprint, f.path, f.kind, f.what, kept.get(f.key, reason)
            )
    return Baseline(tuple(entries[key] for key in sorted(entries, key=lambda k: (k[1], k[0]))))


def baseline_bytes(baseline: Baseline) -> bytes:
    """Pretty, sorted, newline-terminated JSON: a baseline is reviewed in diffs."""
    document = {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "findings": [entry.to_json() for entry in baseline.entries],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
