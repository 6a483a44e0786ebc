"""`import --format gitleaks-json|trufflehog-json|detect-secrets-json`: a secret scanner's
report, linked to the vault.

Findings are grouped by secret (one secret leaked in five files is one group of five). Each
group is matched against every stored version of every token — by fingerprint, or for
detect-secrets, which stores only SHA-1 hashes, by the SHA-1 of each stored secret:

- **matched**: a leak of that token version. All leaks go into one `scan` entry (source: the
  format), exactly as `tokenvault scan` records its own, so a leaked live secret is marked
  exposed until rotated.
- **unknown, with its secret**: a *discovered* token (and exposed: its secret is in the
  scanned files), created as found — owner empty (unless
  --owner), service the detector (unless --service), used_by the files, tag `discovered`, a
  note saying where it was found — and journaled as `token.create` with source
  `import:<format>:<report>:<record line>`, which is what makes it discovered on replay.
  The policy's owner and expiry rules do not stop it: `check` says DISCOVERED until someone
  owns or revokes it.
- **unknown, without its secret** (detect-secrets): reported as unmatched; nothing to store.

One transaction: the token.create entries, the `scan` entry, then the `import` entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.imports import ImportFormatError, ReportFinding, parse_report
from tokenvault.domain.leaks import clip, printable
from tokenvault.domain.model import Secret
from tokenvault.domain.timefmt import truncate_ms
from tokenvault.services.import_results import (
    Created,
    Defaults,
    ImportResult,
    Leak,
    Unmatched,
)
from tokenvault.services.scan import record_scan
from tokenvault.services.session import Session
from tokenvault.services.tokens import Prepared, TokenDraft, create_prepared, prepare_many
from tokenvault.storage import rows
from tokenvault.storage.db import Database

DISCOVERED_TAG = "discovered"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class _Stored:
    token_id: int
    name: str
    version: int
    current: bool
    fingerprint: str


@dataclass
class _Plan:
    create: list[tuple[int, Prepared]] = field(default_factory=list)  # (record, prepared)
    leaks: list[Leak] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    leaked: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    matched_ids: list[int] = field(default_factory=list)


def import_report(
    session: Session, data: bytes, fmt: str, label: str, defaults: Defaults, dry_run: bool
) -> ImportResult:
    findings = parse_report(fmt, data, file=label)
    result = ImportResult(fmt, label, dry_run)
    now = truncate_ms(session.clock())
    if dry_run:
        with session.read() as db:
            plan = _plan(session, db, findings, fmt, label, defaults, now)
        result.created.extend(Created(r, p[0]["name"], None) for r, p in plan.create)
    else:
        with session.write() as writer:
            plan = _plan(session, writer.db, findings, fmt, label, defaults, now)
            tokens = create_prepared(session, writer, [p for _, p in plan.create], now)
            # A discovered token's secret sits in the scanned files: it is leaked, and
            # exposed from the start (a rotation, once someone owns it, clears that).
            leaked = dict(plan.leaked)
            for token in tokens:
                leaked[(token.id, 1)] = (token.current.fingerprint, False)
            counts = {
                "files": 0,
                "skipped": 0,
                "leaks": len(plan.leaks),  # of secrets already in the vault
                "shadow": len(findings) - len(plan.leaks),
                "baselined": 0,
            }
            record_scan(writer, fmt, [label], counts, leaked)
            writer.append(
                "import",
                {
                    "format": fmt,
                    "file": label,
                    "count": len(tokens),
                    "skipped": plan.matched_ids,
                    "tokens": [t.id for t in tokens],
                },
            )
        result.created.extend(
            Created(r, t.name, t.id) for (r, _), t in zip(plan.create, tokens, strict=True)
        )
    result.leaks.extend(plan.leaks)
    result.unmatched.extend(plan.unmatched)
    return result


def _plan(
    session: Session,
    db: Database,
    findings: list[ReportFinding],
    fmt: str,
    label: str,
    defaults: Defaults,
    now: datetime,
) -> _Plan:
    by_fp: dict[str, _Stored] = {}
    by_sha1: dict[str, _Stored] = {}
    hashed = any(f.secret is None for f in findings)
    for token_id, name, number, current, fp, value in rows.scan_secrets(db):
        version = _Stored(token_id, name, number, current, fp)
        by_fp.setdefault(fp, version)
        if hashed:
            by_sha1.setdefault(hashlib.sha1(value, usedforsecurity=False).hexdigest(), version)
    names = rows.token_names(db)

    groups: dict[str, list[ReportFinding]] = {}
    for finding in findings:
        if finding.secret is not None:
            fp = fingerprint(session.fp_key, session.fp_key_id, finding.secret.expose())
            groups.setdefault(fp, []).append(finding)
        else:
            groups.setdefault("sha1:" + (finding.sha1 or ""), []).append(finding)

    plan = _Plan()
    for key, group in groups.items():
        stored = by_sha1.get(key[5:]) if key.startswith("sha1:") else by_fp.get(key)
        if stored is not None:
            plan.leaks.extend(
                Leak(f.record, stored.name, stored.version, stored.current, f.path, f.line)
                for f in group
            )
            plan.leaked[(stored.token_id, stored.version)] = (stored.fingerprint, False)
            if stored.token_id not in plan.matched_ids:
                plan.matched_ids.append(stored.token_id)
            continue
        first = group[0]
        if first.secret is None:
            plan.unmatched.extend(Unmatched(f.record, f.detector, f.path, f.line) for f in group)
            continue
        name = _unique_name(first.detector, names)
        names.add(name)
        draft = TokenDraft(
            name=name,
            service=defaults.service or first.detector,
            environment=defaults.environment,
            owner=defaults.owner,
            used_by=_used_by(group),
            tags=(DISCOVERED_TAG,),
            notes=_note(fmt, label, group),
        )
        source = f"import:{fmt}:{label}:{first.record}"[: limits.FIELD_MAX]
        try:
            prepared = prepare_many([(draft, _secret(first))], now, source)[0]
        except ValidationError as exc:
            raise ImportFormatError(label, first.record, str(exc)) from None
        plan.create.append((first.record, prepared))
    return plan


def _secret(finding: ReportFinding) -> Secret:
    assert finding.secret is not None  # grouped by fingerprint only when it has one
    return finding.secret


def _unique_name(detector: str, taken: set[str]) -> str:
    """`discovered-<detector>-<n>`, the smallest free n: readable, and the same for the same
    vault and report (a re-import matches by fingerprint, so it never needs the name)."""
    slug = _SLUG.sub("-", detector.casefold()).strip("-")[:40] or "secret"
    n = 1
    while f"discovered-{slug}-{n}" in taken:
        n += 1
    return f"discovered-{slug}-{n}"


def _used_by(group: Sequence[ReportFinding]) -> list[str]:
    seen: dict[str, None] = {}
    for finding in group:
        if finding.path:
            seen.setdefault(clip(printable(finding.path), limits.USED_BY_MAX), None)
    return list(seen)[: limits.LIST_MAX_ITEMS]


def _note(fmt: str, label: str, group: Sequence[ReportFinding]) -> str:
    places = []
    for finding in group[:5]:
        where = printable(finding.path) or "(no file)"
        if finding.line:
            where += f":{finding.line}"
        if finding.commit:
            where += f" @ {finding.commit[:12]}"
        places.append(where)
    more = f" and {len(group) - 5} more" if len(group) > 5 else ""
    verified = " The scanner verified it live." if any(f.verified for f in group) else ""
    text = f"Found by {fmt} ({label}) in {'; '.join(places)}{more}.{verified}"
    return clip(text, limits.NOTE_MAX)
