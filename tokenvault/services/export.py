"""`journal export`: the signed JSON Lines export an auditor verifies offline (design.md §7).

The export is journaled first (`journal.export` with a fresh nonce, in its own write
transaction), then one read snapshot gives every line and the stored checkpoint for that head,
so the file holds its own export entry. Line 1 is the manifest, signed by the exporter; every
other line is an entry exactly as stored and hashed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from tokenvault.domain import export as manifest_format
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.merkle import Frontier, hash_leaf
from tokenvault.domain.timefmt import format_ts
from tokenvault.services.session import Session
from tokenvault.storage import fs, rows
from tokenvault.storage import journal as journal_rows


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    size: int  # entries in the file, its own journal.export entry included
    root: str  # hex RFC 6962 root over those entries: record it for next time
    genesis_hash: str


def export_journal(session: Session, out: Path) -> ExportResult:
    nonce = secrets.token_hex(16)
    with session.write() as writer:
        writer.append(
            "journal.export",
            {"nonce": nonce, "size": writer.next_seq, "root": writer.frontier.root().hex()},
        )
    with session.read() as db:
        lines = [row.line for row in journal_rows.rows(db)]
        size, stored_root, note = journal_rows.stored_note(db)
        members = rows.all_members(db)
    leaves = [hash_leaf(line) for line in lines]
    tree = Frontier.of(leaves)
    if size != len(lines) or stored_root != tree.root():
        raise IntegrityError("the stored checkpoint does not match the journal; run verify")
    unsigned = {
        "format": manifest_format.FORMAT,
        "vault": session.vault_id,
        "vault_name": session.vault_name,
        "exported_at": format_ts(session.clock()),
        "exported_by": session.member.id,
        "algorithms": dict(manifest_format.ALGORITHMS),
        "size": size,
        "root": tree.root().hex(),
        "genesis": leaves[0].hex(),
        "checkpoint": manifest_format.note_to_lines(note),
        "nonce": nonce,
        "members": [
            {"id": m.id, "role": m.role.value, "ed25519": m.ed25519.hex(), "x25519": m.x25519.hex()}
            for m in sorted(members, key=lambda m: m.id)
        ],
    }
    signature = session.keys.sign(manifest_format.signing_message(unsigned))
    manifest = manifest_format.encode_manifest(unsigned, signature)
    fs.atomic_write(out, b"".join(line + b"\n" for line in (manifest, *lines)))
    return ExportResult(out, size, tree.root().hex(), leaves[0].hex())
