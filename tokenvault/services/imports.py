"""`import`: tokens from another tool's file, in ONE transaction with its `import` entry.

    import_file(session, path, fmt, owner=, environment=, service=, dry_run=) -> ImportResult

The file is parsed by `domain.imports` (pure), each record is checked as `add` would check it
(with the file and line in the message), and a record whose secret's fingerprint matches any
version of an existing token is reported and skipped, never duplicated. Then every new token
is journaled as `token.create` (source `import:<format>:<file>:<line>`) and one `import` entry
closes the transaction. `dry_run` does the same checks on a read snapshot and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain import limits
from tokenvault.domain.errors import OperationalError, ValidationError
from tokenvault.domain.imports import REPORT_FORMATS, ImportFormatError, ImportRecord, parse
from tokenvault.domain.model import Token
from tokenvault.domain.timefmt import truncate_ms
from tokenvault.domain.validate import check_token_rules
from tokenvault.services import import_reports as reports
from tokenvault.services.import_results import (
    NO_DEFAULTS,
    Created,
    Defaults,
    ImportResult,
    Skipped,
    file_label,
)
from tokenvault.services.listing import collector_paused
from tokenvault.services.session import Session
from tokenvault.services.tokens import Prepared, TokenDraft, create_prepared, prepare_many
from tokenvault.storage import meta, rows
from tokenvault.storage.db import Database

MAX_FILE_BYTES = 256 * 1024 * 1024  # far beyond 100k tokens; bounds memory for a wrong file


@dataclass
class _Plan:
    create: list[tuple[ImportRecord, Prepared]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_ids: list[int] = field(default_factory=list)


@collector_paused()  # ~10 objects per record, none in a cycle: 40% of the time at 100k
def import_file(
    session: Session,
    path: Path,
    fmt: str,
    *,
    defaults: Defaults = NO_DEFAULTS,
    dry_run: bool = False,
) -> ImportResult:
    label = file_label(Path(path))
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImportFormatError(label, 0, "no such file") from None
    except IsADirectoryError:
        raise ImportFormatError(label, 0, "is a directory") from None
    except OSError as exc:
        raise OperationalError(f"{label}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(label, 0, f"larger than {MAX_FILE_BYTES} bytes")
    if fmt in REPORT_FORMATS:
        return reports.import_report(session, data, fmt, label, defaults, dry_run)
    records = parse(fmt, data, file=label)
    result = ImportResult(fmt, label, dry_run)
    now = truncate_ms(session.clock())
    if dry_run:
        with session.read() as db:
            plan = _plan(session, db, records, fmt, label, defaults, now)
        result.created.extend(Created(r.line, p[0]["name"], None) for r, p in plan.create)
        result.skipped.extend(plan.skipped)
        return result
    with session.write() as writer:
        plan = _plan(session, writer.db, records, fmt, label, defaults, now)
        tokens = create_prepared(session, writer, [p for _, p in plan.create], now)
        writer.append(
            "import",
            {
                "format": fmt,
                "file": label,
                "count": len(tokens),
                "skipped": plan.skipped_ids,
                "tokens": [t.id for t in tokens],
            },
        )
    result.created.extend(
        Created(r.line, t.name, t.id) for (r, _), t in zip(plan.create, tokens, strict=True)
    )
    result.skipped.extend(plan.skipped)
    return result


def _plan(
    session: Session,
    db: Database,
    records: list[ImportRecord],
    fmt: str,
    label: str,
    defaults: Defaults,
    now: datetime,
) -> _Plan:
    """Match, fill and check every record against the vault as it is in `db`."""
    policy = meta.get_policy(db)
    existing = rows.all_tokens(db)
    by_fp: dict[str, tuple[Token, int]] = {
        v.fingerprint: (t, v.number) for t in existing for v in t.versions
    }
    names = {t.name for t in existing}
    plan = _Plan()
    for record in records:
        fields = dict(record.fields)
        name = fields["name"]
        fp = fingerprint(session.fp_key, session.fp_key_id, record.secret.expose())
        match = by_fp.get(fp)
        if match is not None:
            token, version = match
            plan.skipped.append(Skipped(record.line, name, token.name, version))
            plan.skipped_ids.append(token.id)
            continue
        if name in names:
            raise ImportFormatError(label, record.line, f"a token named {name!r:.80} exists")
        for key in ("owner", "environment", "service"):
            if not fields.get(key):
                fields[key] = getattr(defaults, key)
        source = f"import:{fmt}:{label}:{record.line}"[: limits.FIELD_MAX]
        try:
            prepared = prepare_many([(TokenDraft(**fields), record.secret)], now, source)[0]
            check_token_rules(prepared[0], policy, now)
        except ValidationError as exc:
            raise ImportFormatError(label, record.line, str(exc)) from None
        plan.create.append((record, prepared))
    return plan
