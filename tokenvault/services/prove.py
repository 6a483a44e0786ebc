"""`journal prove`: disclose one journal entry with an inclusion proof an auditor checks offline.

A proof is a read: it discloses an entry that is already in the journal (the same bytes
`journal ls --json` prints; entries hold fingerprints, never secrets), so it writes no journal
entry and the proved tree is the journal as it stands. One read snapshot gives every line, the
stored checkpoint for that head and the members; the file is signed by the prover.

Consistency proofs go from every earlier export point (the tree size right after each
`journal.export` entry, which is the size of that export file) and from every `since` size to
the proved tree, so an auditor holding any earlier export or recorded checkpoint can tie the
proof to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tokenvault.domain import proof as proof_format
from tokenvault.domain.errors import IntegrityError, ValidationError
from tokenvault.domain.export import note_to_lines
from tokenvault.domain.journal import decode_entry
from tokenvault.domain.merkle import (
    Frontier,
    consistency_proof,
    hash_leaf,
    inclusion_proof,
    root_of,
)
from tokenvault.domain.timefmt import format_ts
from tokenvault.services.session import Session
from tokenvault.storage import fs, rows
from tokenvault.storage import journal as journal_rows

_EXPORT_MARK = b'"type":"journal.export"'


@dataclass(frozen=True, slots=True)
class ProofResult:
    path: Path
    seq: int
    type: str
    actor: str
    ts: str
    size: int  # the proved tree: the whole journal when the proof was made
    root: str  # hex
    consistency_from: tuple[int, ...]  # the earlier tree sizes the proof ties itself to


def prove_entry(session: Session, seq: int, out: Path, since: Iterable[int] = ()) -> ProofResult:
    with session.read() as db:
        lines = [row.line for row in journal_rows.rows(db)]
        size, stored_root, note = journal_rows.stored_note(db)
        members = rows.all_members(db)
    leaves = [hash_leaf(line) for line in lines]
    root = root_of(leaves)
    if size != len(lines) or stored_root != root:
        raise IntegrityError("the stored checkpoint does not match the journal; run verify")
    if not 0 <= seq < size:
        raise ValidationError(f"no journal entry {seq}: the journal has entries 0 to {size - 1}")
    wanted = sorted(set(since))
    for old in wanted:
        if not 1 <= old <= size:
            raise ValidationError(
                f"cannot prove consistency from size {old}: the journal has {size} entries"
            )
    if len(wanted) > proof_format.MAX_CONSISTENCY:
        raise ValidationError(f"at most {proof_format.MAX_CONSISTENCY} earlier sizes")
    points = [p for p in _export_points(lines, size) if p not in wanted]
    room = proof_format.MAX_CONSISTENCY - len(wanted)  # keep the most recent export points
    sizes = sorted({*wanted, *points[len(points) - room :]})
    old_roots = _roots_at(leaves, sizes)
    entry = decode_entry(lines[seq])
    unsigned = {
        "format": proof_format.FORMAT,
        "vault": session.vault_id,
        "vault_name": session.vault_name,
        "proved_at": format_ts(session.clock()),
        "proved_by": session.member.id,
        "algorithms": dict(proof_format.ALGORITHMS),
        "entry": lines[seq].decode("utf-8"),
        "index": seq,
        "size": size,
        "root": root.hex(),
        "path": [node.hex() for node in inclusion_proof(leaves, seq)],
        "checkpoint": note_to_lines(note),
        "consistency": [
            {
                "size": old,
                "root": old_roots[old].hex(),
                "path": [node.hex() for node in consistency_proof(leaves, old)],
            }
            for old in sizes
        ],
        "members": [
            {"id": m.id, "role": m.role.value, "ed25519": m.ed25519.hex(), "x25519": m.x25519.hex()}
            for m in sorted(members, key=lambda m: m.id)
        ],
    }
    signature = session.keys.sign(proof_format.signing_message(unsigned))
    fs.atomic_write(out, proof_format.encode_proof(unsigned, signature))
    return ProofResult(out, seq, entry.type, entry.actor, entry.ts, size, root.hex(), tuple(sizes))


def _roots_at(leaves: list[bytes], sizes: list[int]) -> dict[int, bytes]:
    """The tree root after each of `sizes` entries, in one pass."""
    wanted, roots, frontier = set(sizes), {}, Frontier()
    for leaf in leaves:
        frontier.append(leaf)
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    return roots


def _export_points(lines: list[bytes], size: int) -> list[int]:
    """The size of each earlier export file: seq + 1 of each journal.export entry, below
    `size` (an export of exactly this tree needs no consistency proof)."""
    points = []
    for seq, line in enumerate(lines):
        if _EXPORT_MARK in line and seq + 1 < size and decode_entry(line).type == "journal.export":
            points.append(seq + 1)
    return points
