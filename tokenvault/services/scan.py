"""`tokenvault scan`: find the vault's secrets, and credentials it does not hold, in files.

    result = scan(session, ["."], baseline=read_baseline(path))

One pass over the files (services/scanfiles.py walks them) runs two searches on each text:
the Aho-Corasick automaton over every stored secret version (services/leakscan.py: *leaks*)
and detect-secrets' detectors (services/shadow.py: *shadow* tokens). A shadow hit whose value
is a vault secret, or that overlaps a leak on its line, is the leak, not a second finding.

Then one `scan` journal entry records the paths, the counts and, for each leaked secret version,
the token, version and fingerprint; applying it (domain/replay.py `scanned`) marks a token
*exposed* when its live secret leaked outside the baseline, until a rotation. Every run is
journaled, a clean one included: "we scan every commit" is itself evidence. The secrets are
read from the store only for the search and never leave this module: findings, the entry and
the baseline carry fingerprints and redacted previews.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain import limits
from tokenvault.domain.errors import OperationalError
from tokenvault.domain.journal import Entry
from tokenvault.domain.leaks import (
    LeakHit,
    ShadowHit,
    SkippedSecret,
    Span,
    VaultSecret,
    clip,
    line_starts,
    locate,
    secret_text,
)
from tokenvault.domain.model import Secret, Token
from tokenvault.domain.replay import scanned
from tokenvault.domain.scanreport import (
    LEAK,
    SHADOW,
    Baseline,
    BaselineError,
    ScanFinding,
    accept,
    baseline_bytes,
    parse_baseline,
    report_path,
    sort_key,
)
from tokenvault.services.leakscan import LeakScanner
from tokenvault.services.scanfiles import MAX_BYTES, FileWalk, Skip
from tokenvault.services.session import JournalWriter, Session
from tokenvault.storage import fs, rows

BASELINE_MAX_BYTES = 16 * 1024 * 1024
PATHS_JOURNALED = 100  # the schema's list limit; more arguments are summarised in the last item


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: tuple[ScanFinding, ...]  # sorted by path, line, column
    skipped_files: tuple[Skip, ...]  # paths made printable
    skipped_secrets: tuple[SkippedSecret, ...]  # too short to search
    files: int  # files searched
    entry_seq: int  # the `scan` journal entry
    baseline: Baseline | None  # what --write-baseline should write, else None

    @property
    def new(self) -> list[ScanFinding]:
        """The findings no baseline entry accepts: these fail the scan."""
        return [f for f in self.findings if f.accepted is None]


def read_baseline(path: Path) -> Baseline:
    label = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(BASELINE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise BaselineError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise BaselineError(f"{label}: is a directory") from None
    except OSError as exc:
        raise OperationalError(f"{label}: cannot read ({exc.strerror})") from None
    if len(data) > BASELINE_MAX_BYTES:
        raise BaselineError(f"{label}: larger than {BASELINE_MAX_BYTES} bytes")
    return parse_baseline(data, label)


def check_baseline_target(path: Path) -> None:
    """Refuse an unwritable --write-baseline path before the scan is journaled."""
    fs.check_can_write(path)


def write_baseline(path: Path, baseline: Baseline) -> None:
    fs.atomic_write(path, baseline_bytes(baseline))


def scan(
    session: Session,
    paths: Sequence[str],
    *,
    baseline: Baseline | None = None,
    accept_reason: str | None = None,
    include_ignored: bool = False,
    max_bytes: int = MAX_BYTES,
    shadow: bool = True,
) -> ScanResult:
    """Search `paths`, judge the findings against `baseline`, journal one `scan` entry.

    `accept_reason` (for --write-baseline): every finding is accepted, the new ones with this
    reason, and the result carries the baseline to write."""
    with session.read() as db:
        stored = list(rows.scan_secrets(db))
    secrets = [
        VaultSecret(tid, name, num, cur, Secret(value)) for tid, name, num, cur, _, value in stored
    ]
    fingerprints = {(tid, num): fp for tid, _, num, _, fp, _ in stored}
    vault_texts = {secret_text(s.secret) for s in secrets}
    del stored

    # detect-secrets (and the `requests` it imports) costs about 70 ms to import: only a scan
    # pays it, not every command whose CLI module imports this one.
    from tokenvault.services.shadow import ShadowDetector, flagged_spans

    scanner = LeakScanner(secrets)
    detector = ShadowDetector() if shadow else None
    walk = FileWalk(paths, include_ignored=include_ignored, max_bytes=max_bytes)
    findings: list[ScanFinding] = []
    files = 0
    for raw_path, text in walk:
        files += 1
        path = report_path(raw_path)
        spans = scanner.spans(text)
        shadows: list[ShadowHit] = []
        if detector is not None:
            # Each kind of preview hides the other kind's values on its line too.
            taken = _leak_lines(text, spans)
            shadows = [
                hit
                for hit in detector.scan_text(path, text, hide=spans)
                if not _is_vault_secret(hit, vault_texts, taken)
            ]
        leaks = scanner.hits(path, text, spans, hide=flagged_spans(text, shadows))
        findings.extend(_leak(hit, fingerprints) for hit in leaks)
        findings.extend(_shadow(session, hit) for hit in shadows)

    accepted = baseline.matcher() if baseline is not None else {}
    judged = []
    for finding in findings:
        reason = accepted.get(finding.key, accept_reason)
        judged.append(finding if reason is None else replace(finding, accepted=reason))
    judged.sort(key=sort_key)
    to_write = None
    if accept_reason is not None:
        to_write = accept(judged, baseline or Baseline(), accept_reason)

    skipped_files = tuple(Skip(report_path(s.path), s.reason, s.detail) for s in walk.skips)
    seq = _journal(session, paths, judged, files, len(skipped_files))
    return ScanResult(tuple(judged), skipped_files, scanner.skipped, files, seq, to_write)


def _leak(hit: LeakHit, fingerprints: dict[tuple[int, int], str]) -> ScanFinding:
    return ScanFinding(
        kind=LEAK,
        path=hit.path,
        line=hit.line,
        column=hit.column,
        fingerprint=fingerprints[(hit.token_id, hit.version)],
        what=f"{hit.token_name} v{hit.version}",
        preview=hit.preview,
        token=hit.token_name,
        token_id=hit.token_id,
        version=hit.version,
        current=hit.current,
    )


def _shadow(session: Session, hit: ShadowHit) -> ScanFinding:
    value = hit.secret.expose()
    return ScanFinding(
        kind=SHADOW,
        path=hit.path,
        line=hit.line,
        column=hit.column,
        fingerprint=fingerprint(session.fp_key, session.fp_key_id, value),
        what=hit.detector,
        preview=hit.preview,
    )


def _leak_lines(text: str, spans: list[Span]) -> dict[int, list[tuple[int, int]]]:
    """line -> [(first column, last column + 1)] of the leaks on it (1-based, as hits)."""
    if not spans:
        return {}
    starts = line_starts(text)
    taken: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        line, column = locate(starts, span.start)
        taken[line].append((column, column + span.end - span.start))
    return taken


def _is_vault_secret(
    hit: ShadowHit, vault_texts: set[str], taken: dict[int, list[tuple[int, int]]]
) -> bool:
    value = secret_text(hit.secret)
    if value in vault_texts:
        return True
    end = hit.column + len(value)
    return any(start < end and hit.column < stop for start, stop in taken.get(hit.line, ()))


def _journal(
    session: Session, paths: Sequence[str], findings: list[ScanFinding], files: int, skipped: int
) -> int:
    leaked: dict[tuple[int, int], tuple[str, bool]] = {}
    for f in findings:
        if f.kind == LEAK and f.token_id is not None and f.version is not None:
            key = (f.token_id, f.version)
            _, accepted = leaked.get(key, ("", True))
            leaked[key] = (f.fingerprint, accepted and f.accepted is not None)
    counts = {
        "files": files,
        "skipped": skipped,
        "leaks": sum(f.kind == LEAK for f in findings),
        "shadow": sum(f.kind == SHADOW for f in findings),
        "baselined": sum(f.accepted is not None for f in findings),
    }
    with session.write() as writer:
        entry = record_scan(writer, "scan", journal_paths(paths), counts, leaked)
    return entry.seq


def record_scan(
    writer: JournalWriter,
    source: str,
    paths: list[str],
    counts: Mapping[str, int],
    leaked: Mapping[tuple[int, int], tuple[str, bool]],
) -> Entry:
    """Append one `scan` entry inside the caller's transaction and store what it does (the
    exposed marks). `counts`: files, skipped, leaks, shadow, baselined. `leaked`: (token id,
    version) -> (fingerprint, every occurrence accepted). A scanner-report import calls this
    too, in its own transaction."""
    db = writer.db
    tokens: dict[int, Token] = {}
    items: list[dict[str, Any]] = []
    for (token_id, version), (fp, accepted) in sorted(leaked.items()):
        token = tokens.get(token_id) or rows.token_by_id(db, token_id)
        if token is None:  # not possible: tokens are never deleted
            raise OperationalError(f"token {token_id} vanished during the scan")
        tokens[token_id] = token
        # the name as it is now: a rename since the search is fine
        items.append(
            {"token": token_id, "name": token.name, "version": version, "fingerprint": fp,
             "baselined": accepted}
        )  # fmt: skip
    entry = writer.append("scan", {"source": source, "paths": paths, **counts, "leaked": items})
    for item in items:
        token = tokens[item["token"]]
        new = scanned(token, item, entry)
        if new is not token:
            rows.save_token(db, new)
            tokens[new.id] = new
    return entry


def journal_paths(paths: Sequence[str]) -> list[str]:
    """The PATH arguments as the entry records them: printable, each within the field limit,
    at most PATHS_JOURNALED items (the last one then counts the rest)."""
    shown = [clip(report_path(os.fspath(p)), limits.FIELD_MAX) for p in paths] or ["."]
    if len(shown) > PATHS_JOURNALED:
        rest = len(shown) - (PATHS_JOURNALED - 1)
        shown = [*shown[: PATHS_JOURNALED - 1], f"… and {rest} more"]
    return shown
