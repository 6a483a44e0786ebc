"""The inclusion proof (`tokenvault-inclusion-proof/1`): one journal entry disclosed on its own.

One canonical (JCS) object, then a newline:

    {"format", "vault", "vault_name", "proved_at", "proved_by", "algorithms", "entry", "index",
     "size", "root", "path", "checkpoint", "consistency", "members", "sig"}

`entry` is the entry line exactly as stored (a JSON string), `index` its seq, `path` the RFC 9162
inclusion path to `root` of the tree of `size` entries; `checkpoint` the signed note for (size,
root) as a list of lines (like the export manifest's); `consistency` a list of
{"size", "root", "path"}: RFC 9162 consistency proofs from earlier tree sizes to `size`, sorted
by size; `members` every member ever added, sorted by id (like the manifest's). `sig` is the
prover's Ed25519 signature over PROOF_CONTEXT || JCS(proof without "sig").

The writer (services/prove.py) and the offline verifier (audit/verify_proof.py) share these
definitions; the manifest helpers come from domain/export.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tokenvault.domain.canonical import CanonicalError, canonical_bytes, parse_canonical
from tokenvault.domain.export import ALGORITHMS as ALGORITHMS  # the manifest's, re-exported
from tokenvault.domain.export import (  # the manifest's checks, shared (not copied)
    checkpoint_field,
    members_field,
    timestamp_field,
)
from tokenvault.domain.journal_schema import HEX32, SIG, integer, nonempty, obj, one_of, pattern
from tokenvault.domain.limits import SAFE_INT_MAX, VAULT_NAME_MAX
from tokenvault.domain.text import MEMBER_ID_RE

FORMAT = "tokenvault-inclusion-proof/1"
PROOF_CONTEXT = b"tokenvault/inclusion-proof/v1\n"
MAX_PATH = 64  # a tree of at most 2^53 - 1 leaves has at most 53 levels
MAX_CONSISTENCY = 10_000  # the writer keeps the most recent export points beyond this
MAX_ENTRY_CHARS = 1024 * 1024  # far above any entry the schema allows

_HEX32 = re.compile(r"[0-9a-f]{32}")
_MEMBER_ID = pattern(MEMBER_ID_RE, "a member id")


def _hashes(value: Any, path: str) -> None:
    if not isinstance(value, list) or len(value) > MAX_PATH:
        raise CanonicalError(f"{path}: must be an array of at most {MAX_PATH} hashes")
    for i, item in enumerate(value):
        HEX32(item, f"{path}[{i}]")


def _entry(value: Any, path: str) -> None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ENTRY_CHARS:
        raise CanonicalError(f"{path}: must be the entry line as a string")


_CONSISTENCY_ITEM = obj({"size": integer(1, SAFE_INT_MAX), "root": HEX32, "path": _hashes})


def _consistency(value: Any, path: str) -> None:
    if not isinstance(value, list) or len(value) > MAX_CONSISTENCY:
        raise CanonicalError(f"{path}: must be an array of at most {MAX_CONSISTENCY} proofs")
    last = 0
    for i, item in enumerate(value):
        _CONSISTENCY_ITEM(item, f"{path}[{i}]")
        if item["size"] <= last:
            raise CanonicalError(f"{path}: sizes must be strictly increasing")
        last = item["size"]


def _sorted_members(value: Any, path: str) -> None:
    members_field(value, path)
    ids = [m["id"] for m in value]
    if ids != sorted(set(ids)):
        raise CanonicalError(f"{path}: must be sorted by id, each id once")


_PROOF = obj(
    {
        "format": one_of(FORMAT),
        "vault": pattern(_HEX32, "a 32-hex-digit vault id"),
        "vault_name": nonempty(VAULT_NAME_MAX),
        "proved_at": timestamp_field,
        "proved_by": _MEMBER_ID,
        "algorithms": obj({name: one_of(value) for name, value in ALGORITHMS.items()}),
        "entry": _entry,
        "index": integer(0, SAFE_INT_MAX - 1),
        "size": integer(1, SAFE_INT_MAX),
        "root": HEX32,
        "path": _hashes,
        "checkpoint": checkpoint_field,
        "consistency": _consistency,
        "members": _sorted_members,
        "sig": SIG,
    }
)


def signing_message(proof: Mapping[str, Any]) -> bytes:
    """What the prover signs: the context line and the proof without its `sig`."""
    unsigned = {k: v for k, v in proof.items() if k != "sig"}
    return PROOF_CONTEXT + canonical_bytes(unsigned)


def encode_proof(unsigned: Mapping[str, Any], signature: bytes) -> bytes:
    """The file's bytes: the canonical proof and a newline."""
    return canonical_bytes({**unsigned, "sig": signature.hex()}) + b"\n"


def parse_proof(data: bytes) -> dict[str, Any]:
    """Strictly parse and check a proof file: one canonical object and exactly one newline,
    format and algorithms exactly as expected. Raises CanonicalError naming the first problem."""
    if not data.endswith(b"\n") or b"\n" in data[:-1]:
        raise CanonicalError("a proof file is one line ending in a newline")
    proof = parse_canonical(data[:-1])
    if proof.get("format") != FORMAT:
        raise CanonicalError(f"not a {FORMAT} file (format {proof.get('format')!r:.60})")
    if proof.get("algorithms") != ALGORITHMS:
        raise CanonicalError("proof algorithms are not the expected ones (downgrade?)")
    _PROOF(proof, "proof")
    return proof
