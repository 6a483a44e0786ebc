"""C2SP tlog-checkpoint text and signed-note framing for the journal's head.

A checkpoint commits to the whole journal in three lines (origin, size, base64 root). It is
signed as a C2SP signed note so that standard transparency-log tooling can read it, and a later
checkpoint can be proven to extend an earlier one with a consistency proof.

    tokenvault/<vault id>
    <size>
    <base64 root>

    — tokenvault/<vault id>/<member id> <base64(key id || Ed25519 signature)>

The key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key): 0x01 is the
C2SP signature-type byte for Ed25519. Signature verification itself lives in crypto/.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from tokenvault.domain.errors import ValidationError

ORIGIN_PREFIX = "tokenvault/"
_SIG_LINE = re.compile(r"\u2014 (\S+) ([A-Za-z0-9+/=]+)\n")
ED25519_TYPE = b"\x01"


class CheckpointError(ValidationError):
    """A checkpoint or signed note that does not parse."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> bytes:
        """The signed text: three lines, each ending in a newline."""
        root64 = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root64}\n".encode()


@dataclass(frozen=True, slots=True)
class NoteSignature:
    key_name: str
    key_id: bytes
    signature: bytes


def origin_for(vault_id: str) -> str:
    return ORIGIN_PREFIX + vault_id


def key_name(vault_id: str, member_id: str) -> str:
    return f"{ORIGIN_PREFIX}{vault_id}/{member_id}"


def key_id(name: str, ed25519_public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + ed25519_public).digest()[:4]


def format_note(checkpoint: Checkpoint, signatures: list[NoteSignature]) -> str:
    lines = [checkpoint.body().decode(), "\n"]
    for sig in signatures:
        blob = base64.b64encode(sig.key_id + sig.signature).decode("ascii")
        lines.append(f"\u2014 {sig.key_name} {blob}\n")
    return "".join(lines)


def parse_checkpoint(body: bytes) -> Checkpoint:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("checkpoint is not UTF-8") from None
    parts = text.split("\n")
    # origin, size, root, then extension lines (none for us), and the trailing "" after "\n".
    if len(parts) != 4 or parts[3] != "":
        raise CheckpointError("checkpoint must have exactly three lines")
    origin, size_text, root64 = parts[0], parts[1], parts[2]
    if not origin.startswith(ORIGIN_PREFIX) or not re.fullmatch(r"[0-9a-f]{32}", origin[11:]):
        raise CheckpointError("checkpoint origin is not tokenvault/<vault id>")
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size_text):
        raise CheckpointError("checkpoint size is not a decimal number")
    try:
        root = base64.b64decode(root64, validate=True)
    except binascii.Error:
        raise CheckpointError("checkpoint root is not base64") from None
    if len(root) != 32 or base64.b64encode(root).decode() != root64:
        raise CheckpointError("checkpoint root is not a canonical base64 SHA-256 hash")
    return Checkpoint(origin, int(size_text), root)


def parse_note(note: str) -> tuple[Checkpoint, list[NoteSignature]]:
    """Split a signed note into its checkpoint and signature lines (not yet verified)."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointError("signed note has no blank line before its signatures")
    checkpoint = parse_checkpoint((body + "\n").encode())
    signatures: list[NoteSignature] = []
    for line in re.findall(r"[^\n]*\n", sigs) if sigs else []:
        match = _SIG_LINE.fullmatch(line)
        if match is None:
            raise CheckpointError("malformed signature line in signed note")
        try:
            blob = base64.b64decode(match.group(2), validate=True)
        except binascii.Error:
            raise CheckpointError("signature in signed note is not base64") from None
        if len(blob) != 4 + 64:
            raise CheckpointError("signature in signed note has the wrong length")
        signatures.append(NoteSignature(match.group(1), blob[:4], blob[4:]))
    if not signatures or "".join(re.findall(r"[^\n]*\n", sigs)) != sigs:
        raise CheckpointError("signed note has no well-formed signature")
    return checkpoint, signatures
