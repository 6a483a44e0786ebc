"""The journal export's manifest (line 1 of a `tokenvault-journal-export/1` file).

    {"format", "vault", "vault_name", "exported_at", "exported_by", "algorithms", "size",
     "root", "genesis", "checkpoint", "nonce", "members", "sig"}

`checkpoint` is the C2SP signed note for (size, root) as a list of its lines (without newlines).
`sig` is the exporter's Ed25519 signature over MANIFEST_CONTEXT || JCS(manifest without "sig").
The writer (services/export.py) and the offline verifier (audit/verify_export.py) share these
definitions; docs/journal-format.md is the reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tokenvault.domain.canonical import CanonicalError, canonical_bytes, parse_canonical
from tokenvault.domain.journal_schema import HEX32, SIG, integer, nonempty, obj, one_of, pattern
from tokenvault.domain.limits import SAFE_INT_MAX, VAULT_NAME_MAX
from tokenvault.domain.model import Role
from tokenvault.domain.text import MEMBER_ID_RE
from tokenvault.domain.timefmt import parse_ts

FORMAT = "tokenvault-journal-export/1"
MANIFEST_CONTEXT = b"tokenvault/export-manifest/v1\n"
ALGORITHMS = {"hash": "sha256", "sig": "ed25519", "canon": "rfc8785", "tree": "rfc6962"}
MAX_MEMBERS = 10_000

_HEX32 = re.compile(r"[0-9a-f]{32}")
_MEMBER_ID = pattern(MEMBER_ID_RE, "a member id")
_MEMBER = obj(
    {
        "id": _MEMBER_ID,
        "role": one_of(*(r.value for r in Role)),
        "ed25519": HEX32,
        "x25519": HEX32,
    }
)


def members_field(value: Any, path: str) -> None:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_MEMBERS:
        raise CanonicalError(f"{path}: must be a non-empty array")
    for i, item in enumerate(value):
        _MEMBER(item, f"{path}[{i}]")


def timestamp_field(value: Any, path: str) -> None:
    try:
        parse_ts(value)
    except Exception:
        raise CanonicalError(f"{path}: must be a canonical UTC timestamp") from None


def checkpoint_field(value: Any, path: str) -> None:
    if (
        not isinstance(value, list)
        or not 5 <= len(value) <= 64
        or not all(isinstance(line, str) and len(line) <= 1024 for line in value)
    ):
        raise CanonicalError(f"{path}: must be the signed checkpoint note's lines")


def note_to_lines(note: str) -> list[str]:
    """The signed note as the manifest carries it: its lines without their newlines (JSON
    strings in the journal's value rules cannot hold control characters)."""
    return note.removesuffix("\n").split("\n")


def lines_to_note(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


_MANIFEST = obj(
    {
        "format": one_of(FORMAT),
        "vault": pattern(_HEX32, "a 32-hex-digit vault id"),
        "vault_name": nonempty(VAULT_NAME_MAX),
        "exported_at": timestamp_field,
        "exported_by": _MEMBER_ID,
        "algorithms": obj({name: one_of(value) for name, value in ALGORITHMS.items()}),
        "size": integer(1, SAFE_INT_MAX),
        "root": HEX32,
        "genesis": HEX32,
        "checkpoint": checkpoint_field,
        "nonce": pattern(_HEX32, "16 bytes of lowercase hex"),
        "members": members_field,
        "sig": SIG,
    }
)


def signing_message(manifest: Mapping[str, Any]) -> bytes:
    """What the exporter signs: the context line and the manifest without its `sig`."""
    unsigned = {k: v for k, v in manifest.items() if k != "sig"}
    return MANIFEST_CONTEXT + canonical_bytes(unsigned)


def encode_manifest(unsigned: Mapping[str, Any], signature: bytes) -> bytes:
    return canonical_bytes({**unsigned, "sig": signature.hex()})


def parse_manifest(line: bytes) -> dict[str, Any]:
    """Strictly parse and check the manifest line (format and algorithms exactly as expected).
    Raises CanonicalError naming the first problem."""
    data = parse_canonical(line)
    if data.get("format") != FORMAT:
        raise CanonicalError(f"not a {FORMAT} file (format {data.get('format')!r:.60})")
    if data.get("algorithms") != ALGORITHMS:
        raise CanonicalError("manifest algorithms are not the expected ones (downgrade?)")
    _MANIFEST(data, "manifest")
    return data
