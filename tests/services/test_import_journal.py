"""An import's journal, byte for byte: what the batched write path stores must be exactly what
the one-entry-at-a-time path wrote before it (same inputs, same clock, same keys).

The reference below is that earlier path, spelled out with the domain's primitives: each body
built field by field, the entry checked by `check_value` and encoded by `rfc8785` itself (never
the fast encoder), signed (Ed25519 is deterministic, so the signature is reproducible), the line
re-encoded with its `sig`, the leaf hashed and the RFC 6962 frontier advanced one leaf at a time.
Every stored column of every new journal row, the checkpoint and the token rows are compared.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import rfc8785

from tests.conftest import StepClock
from tokenvault import services
from tokenvault.crypto.fingerprint import fingerprint
from tokenvault.domain.canonical import check_value
from tokenvault.domain.imports import parse
from tokenvault.domain.journal import SIG_CONTEXT
from tokenvault.domain.merkle import hash_leaf
from tokenvault.domain.model import EDITABLE_FIELDS, Secret
from tokenvault.domain.replay import field_to_json
from tokenvault.domain.timefmt import format_ts, truncate_ms
from tokenvault.services import Session, TokenDraft
from tokenvault.services import imports as import_service
from tokenvault.services.import_results import Defaults, file_label
from tokenvault.storage import journal as journal_rows
from tokenvault.storage import rows

HEADER = (
    "name", "secret", "service", "environment", "owner", "scopes", "used_by", "tags", "notes",
    "issued_at", "expires_at", "rotate_every_days", "last_rotated_at",
)  # fmt: skip

# Names and notes that exercise the encoders: non-ASCII, characters beyond the BMP (JCS and
# Python order them differently only as keys; here they are values), quotes, backslashes.
ODD_TEXT = (
    "café-déploiement", "日本語トークン", "emoji-\U0001f511-key", 'say "hi"', "back\\slash",
    "tab-free but spaced  out", "ελληνικά", "mixed \u00e9\U0001d11e\u4e2d",
)  # fmt: skip


def _csv(rows_: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows_)
    return out.getvalue().encode("utf-8")


def _records(count: int) -> list[tuple[str, ...]]:
    records: list[tuple[str, ...]] = []
    for i in range(count):
        odd = ODD_TEXT[i % len(ODD_TEXT)]
        records.append(
            (
                f"{odd}-{i:03d}" if i % 3 == 0 else f"token-{i:03d}",
                f"secret-{i:03d}-\U0001f511-{odd}",
                ("github", "aws", "", "stripe")[i % 4],
                ("prod", "", "staging")[i % 3],
                ("platform", "", "payments")[i % 3],
                ";".join(("repo", "read:org", odd, "admin")[: i % 4]),
                ";".join(("ci: deploy.yml", "host-1")[: i % 3]),
                ";".join(("pci", "sox")[: i % 2 + 1]),
                odd if i % 2 else "",
                ("2025-01-15", "", "2024-06-01T08:30:00Z")[i % 3],
                ("2027-03-01", "", "2026-12-31T23:59:59.999Z")[i % 3],
                ("", "90", "3650")[i % 3],
                ("", "2025-06-01", "")[i % 3],
            )
        )
    return records


def _reference_line(
    session: Session, seq: int, ts: str, entry_type: str, body: dict[str, Any], prev: bytes
) -> bytes:
    unsigned: dict[str, Any] = {
        "v": 1,
        "vault": session.vault_id,
        "seq": seq,
        "ts": ts,
        "actor": session.member.id,
        "type": entry_type,
        "body": body,
        "prev": prev.hex(),
    }
    check_value(unsigned)
    signature = session.keys.sign(SIG_CONTEXT + rfc8785.dumps(unsigned))
    full = {**unsigned, "sig": signature.hex()}
    check_value(full)
    return rfc8785.dumps(full)


def test_import_journal_is_byte_identical_to_the_one_at_a_time_path(
    session: Session, clock: StepClock, tmp_path: Path
) -> None:
    # One existing token whose secret the file repeats: skipped, listed in the import entry.
    existing = services.tokens.add(
        session, TokenDraft(name="already-here", owner="ops"), Secret("secret-005-dup")
    )
    records = _records(40)
    records[5] = (*records[5][:1], "secret-005-dup", *records[5][2:])
    path = tmp_path / "tokens.csv"
    path.write_bytes(_csv(records))
    clock.advance(minutes=5)
    defaults = Defaults(owner="ops", environment="dev")

    now = truncate_ms(clock())
    with session.read() as db:
        head = journal_rows.head(db)
        first_id = rows.next_token_id(db)
        label = file_label(path)
        parsed = parse("csv", path.read_bytes(), file=label)
        plan = import_service._plan(session, db, parsed, "csv", label, defaults, now)
    assert plan.skipped_ids == [existing.id]
    assert len(plan.create) == 39

    result = import_service.import_file(session, path, "csv", defaults=defaults)
    assert [c.token_id for c in result.created] == list(range(first_id, first_id + 39))

    # The reference: one entry at a time, as the code wrote them before the batched path.
    ts = format_ts(now)
    frontier, prev = head.frontier.copy(), head.leaf
    expected: list[tuple[Any, ...]] = []
    bodies: list[tuple[str, dict[str, Any]]] = []
    for offset, (_, (values, secret, source)) in enumerate(plan.create):
        body = {
            "token": first_id + offset,
            **{field: field_to_json(field, values[field]) for field in EDITABLE_FIELDS},
            "version": 1,
            "fingerprint": fingerprint(session.fp_key, session.fp_key_id, secret.expose()),
            "source": source,
        }
        bodies.append(("token.create", body))
    ids = list(range(first_id, first_id + 39))
    import_body = {"format": "csv", "file": label, "count": 39, "skipped": [existing.id]}
    import_body["tokens"] = ids
    bodies.append(("import", import_body))
    for entry_type, body in bodies:
        line = _reference_line(session, frontier.size, ts, entry_type, body, prev)
        leaf = hash_leaf(line)
        frontier.append(leaf)
        token_id = body["token"] if entry_type == "token.create" else None
        expected.append(
            (
                frontier.size - 1,
                line,
                leaf,
                frontier.root(),
                ts,
                session.member.id,
                entry_type,
                token_id,
            )
        )
        prev = leaf

    stored = [
        (seq, bytes(line), bytes(leaf), bytes(root), ts_, actor, type_, token_id)
        for seq, line, leaf, root, ts_, actor, type_, token_id in session.db.query(
            "SELECT seq, line, leaf, root, ts, actor, type, token_id FROM journal "
            "WHERE seq >= ? ORDER BY seq",
            (head.size,),
        )
    ]
    assert len(stored) == len(expected)
    for got, want in zip(stored, expected, strict=True):
        assert got == want, got[0]

    size, root, _ = journal_rows.stored_note(session.db)
    assert (size, root) == (frontier.size, frontier.root())
    assert journal_rows.head(session.db).frontier == frontier

    # The rows: every token as its entry says, with its secret stored as version 1.
    for offset, (_, (values, secret, _source)) in enumerate(plan.create):
        token = rows.token_by_id(session.db, first_id + offset)
        assert token is not None
        assert {field: getattr(token, field) for field in EDITABLE_FIELDS} == values
        assert token.created_at == now
        assert token.created_by == session.member.id
        assert [(v.number, v.fingerprint) for v in token.versions] == [
            (1, bodies[offset][1]["fingerprint"])
        ]
        assert rows.secret(session.db, token.id, 1) == secret.expose()
    assert services.verify(session).ok
