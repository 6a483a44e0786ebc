"""Exports: the signed journal an auditor verifies offline (design.md §7), the same journal as
a CSV for a spreadsheet, and the token inventory as a CSV (now or as of an instant).

Journal exports are journaled first (`journal.export` with a fresh nonce, in its own write
transaction); then one read snapshot gives every line up to and including that entry, so the
file ends with its own export entry even if someone committed in between, and the exporter
signs a checkpoint for that size. In the JSON Lines file line 1 is the manifest, signed
by the exporter; every other line is an entry exactly as stored and hashed. The CSVs are for
people (domain/csvcells.py makes their cells formula-safe) and cannot be verified; the
inventory export is a read and is not journaled. Every file is written atomically, mode 0600.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tokenvault.domain import export as manifest_format
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.csvcells import Cell, csv_bytes
from tokenvault.domain.describe import subject, summary
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.journal import Entry
from tokenvault.domain.merkle import Frontier, hash_leaf
from tokenvault.domain.model import Member
from tokenvault.domain.records import token_record
from tokenvault.domain.timefmt import format_ts
from tokenvault.services.asof import decode_stored, inventory_at
from tokenvault.services.inventory import Inventory, inventory
from tokenvault.services.session import Session, signed_note
from tokenvault.storage import fs, rows
from tokenvault.storage import journal as journal_rows

JOURNAL_CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "role",  # the actor's role when they signed (roles never change; members are added once)
    "type",
    "subject",
    "summary",
    "body",  # the canonical JSON (RFC 8785) of the body, as hashed and signed
    "prev",
    "leaf_hash",  # SHA-256(0x00 || line): the next entry's prev, the Merkle leaf
    "sig",
)
# Field names and values as in domain/records.py (`show --json`), a public contract.
INVENTORY_CSV_COLUMNS = (
    "id",
    "name",
    "service",
    "environment",
    "owner",
    "scopes",
    "used_by",
    "tags",
    "status",
    "issued_at",
    "expires_at",
    "rotate_every_days",
    "last_rotated_at",
    "rotation_due_at",
    "last_reviewed_at",
    "last_used_at",
    "version",
    "fingerprint",
    "created_at",
    "created_by",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
    "revoke_ticket",
    "notes",
    "exposed_at",
    "discovered",
)
LIST_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    size: int  # entries in the file, its own journal.export entry included
    root: str  # hex RFC 6962 root over those entries: record it for next time
    genesis_hash: str


@dataclass(frozen=True, slots=True)
class InventoryExport:
    path: Path
    tokens: int
    as_of: datetime  # the instant the statuses were judged at (now without --as-of)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Every entry line of one read, checked against the stored checkpoint."""

    lines: list[bytes]
    leaves: list[bytes]
    root: bytes
    note: str
    members: list[Member]

    @property
    def result(self) -> tuple[int, str, str]:
        return len(self.lines), self.root.hex(), self.leaves[0].hex()


def _journal_the_export(session: Session) -> Entry:
    """Append the `journal.export` entry (a fresh nonce, the tree just before it) and commit."""
    with session.write() as writer:
        entry = writer.append(
            "journal.export",
            {
                "nonce": secrets.token_hex(16),
                "size": writer.next_seq,
                "root": writer.frontier.root().hex(),
            },
        )
    return entry


def _snapshot(session: Session, export: Entry) -> _Snapshot:
    """The journal up to and including our export entry: the file ends with it even if another
    member committed in between (the verifier requires the exporter's entry to be the last),
    with a checkpoint for that size signed now by the exporter."""
    size = export.seq + 1
    with session.read() as db:
        lines = [row.line for row in itertools.islice(journal_rows.rows(db), size)]
        stored_root = journal_rows.root_at(db, size)
        members = rows.all_members(db)
    leaves = [hash_leaf(line) for line in lines]
    tree = Frontier.of(leaves)
    if len(lines) != size or lines[-1] != export.line or stored_root != tree.root():
        raise IntegrityError("the stored journal does not match its hashes; run verify")
    ids = _member_ids(lines)
    members = [m for m in members if m.id in ids]  # not those added after our entry
    note = signed_note(session.vault_id, session.member.id, session.keys, tree)
    return _Snapshot(lines, leaves, tree.root(), note, members)


def _member_ids(lines: Sequence[bytes]) -> set[str]:
    """Everyone the genesis entry or a member.add in `lines` introduced (JCS orders the keys,
    so the type appears as this exact text)."""
    ids = {decode_stored(0, lines[0]).actor}
    for seq, line in enumerate(lines):
        if b'"type":"member.add"' in line:
            ids.add(decode_stored(seq, line).body["member"]["id"])
    return ids


def export_journal(session: Session, out: Path) -> ExportResult:
    fs.check_can_write(out)
    export = _journal_the_export(session)
    snap = _snapshot(session, export)
    size, root, genesis = snap.result
    unsigned = {
        "format": manifest_format.FORMAT,
        "vault": session.vault_id,
        "vault_name": session.vault_name,
        "exported_at": format_ts(session.clock()),
        "exported_by": session.member.id,
        "algorithms": dict(manifest_format.ALGORITHMS),
        "size": size,
        "root": root,
        "genesis": genesis,
        "checkpoint": manifest_format.note_to_lines(snap.note),
        "nonce": export.body["nonce"],
        "members": [
            {"id": m.id, "role": m.role.value, "ed25519": m.ed25519.hex(), "x25519": m.x25519.hex()}
            for m in sorted(snap.members, key=lambda m: m.id)
        ],
    }
    signature = session.keys.sign(manifest_format.signing_message(unsigned))
    manifest = manifest_format.encode_manifest(unsigned, signature)
    fs.atomic_write(out, b"".join(line + b"\n" for line in (manifest, *snap.lines)))
    return ExportResult(out, size, root, genesis)


def export_journal_csv(session: Session, out: Path) -> ExportResult:
    """The journal as a CSV, one row per entry (its own `journal.export` entry included),
    journaled exactly like `export_journal`. For reading, not for verifying."""
    fs.check_can_write(out)
    snap = _snapshot(session, _journal_the_export(session))
    fs.atomic_write(out, csv_bytes(JOURNAL_CSV_COLUMNS, journal_csv_rows(snap.lines, snap.leaves)))
    return ExportResult(out, *snap.result)


def journal_csv_rows(lines: Sequence[bytes], leaves: Sequence[bytes]) -> Iterator[list[Cell]]:
    roles: dict[str, str] = {}
    for seq, (line, leaf) in enumerate(zip(lines, leaves, strict=True)):
        entry = decode_stored(seq, line)
        if entry.type in ("vault.genesis", "member.add"):
            member = entry.body["member"]
            roles[member["id"]] = member["role"]
        yield [
            entry.seq,
            entry.ts,
            entry.actor,
            roles.get(entry.actor),
            entry.type,
            subject(entry),
            summary(entry),
            canonical_bytes(entry.body).decode("utf-8"),
            entry.prev,
            leaf.hex(),
            entry.sig,
        ]


def export_inventory(
    session: Session, out: Path, *, as_of: datetime | None = None
) -> InventoryExport:
    """Every token's metadata as a CSV, never a secret (the current version's fingerprint
    only): the stored inventory now, or the journal replayed to `as_of`. Not journaled."""
    found = inventory(session) if as_of is None else inventory_at(session, as_of)
    fs.atomic_write(out, csv_bytes(INVENTORY_CSV_COLUMNS, inventory_csv_rows(found)))
    return InventoryExport(out, len(found.tokens), found.now)


def inventory_csv_rows(found: Inventory) -> Iterator[list[Cell]]:
    """One row per token, by id, its status judged at `found.now`."""
    for token in sorted(found.tokens, key=lambda t: t.id):
        record = token_record(token, found.policy, found.now)
        yield [_inventory_cell(record[column]) for column in INVENTORY_CSV_COLUMNS]


def _inventory_cell(value: object) -> Cell:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in a token record")
