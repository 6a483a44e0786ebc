"""Journal entries: the signed, hash-chained record of every change and every use.

An entry line is exactly JCS({"v","vault","seq","ts","actor","type","body","prev","sig"}).
The signature is Ed25519 by the actor over SIG_CONTEXT || JCS(entry without "sig"); `prev` is
the leaf hash of entry seq-1 (64 zeros for seq 0), and leaf hash = SHA-256(0x00 || line), which
is also the entry's leaf in the RFC 6962 tree. docs/journal-format.md is the reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tokenvault.domain.canonical import CanonicalError, canonical_bytes, parse_canonical
from tokenvault.domain.journal_schema import ENTRY_TYPES, check_body
from tokenvault.domain.merkle import hash_leaf
from tokenvault.domain.model import Role
from tokenvault.domain.text import MEMBER_ID_RE
from tokenvault.domain.timefmt import parse_ts

FORMAT_VERSION = 1
SIG_CONTEXT = b"tokenvault/journal-entry/v1\n"
POP_CONTEXT = b"tokenvault/member-pop/v1\n"
ZERO_HASH = "0" * 64
_VAULT_ID = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_KEYS = frozenset({"v", "vault", "seq", "ts", "actor", "type", "body", "prev", "sig"})

# Who may write each type. Everything else may be written by any active member.
ADMIN_TYPES = frozenset({"member.add", "member.remove", "policy.update"})


@dataclass(frozen=True, slots=True)
class Entry:
    vault: str
    seq: int
    ts: str
    actor: str
    type: str
    body: Mapping[str, Any]
    prev: str
    sig: str = ""
    v: int = FORMAT_VERSION
    line_bytes: bytes = field(default=b"", compare=False, repr=False)

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "vault": self.vault,
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "type": self.type,
            "body": dict(self.body),
            "prev": self.prev,
        }

    def signing_message(self) -> bytes:
        return SIG_CONTEXT + canonical_bytes(self.unsigned())

    def signed(self, signature: bytes, message: bytes | None = None) -> Entry:
        """This entry with its signature, and its canonical line. Given the signing message
        it just signed, the line is that message with the `sig` member spliced in (the
        inverse of `signing_message_of`) instead of a second canonical encoding per append."""
        sig = signature.hex()
        if message is None:
            line = canonical_bytes({**self.unsigned(), "sig": sig})
        else:
            line = _with_sig(message.removeprefix(SIG_CONTEXT), sig)
        return replace(self, sig=sig, line_bytes=line)

    @property
    def line(self) -> bytes:
        if not self.line_bytes:
            raise ValueError("entry is not signed yet")
        return self.line_bytes

    @property
    def leaf_hash(self) -> bytes:
        return hash_leaf(self.line)

    @property
    def subject_token(self) -> int | None:
        token = self.body.get("token")
        return token if isinstance(token, int) else None


def pop_message(vault: str, ed25519_hex: str, x25519_hex: str) -> bytes:
    """What a new member's key signs to prove possession (and bind its X25519 key)."""
    return POP_CONTEXT + canonical_bytes(
        {"vault": vault, "ed25519": ed25519_hex, "x25519": x25519_hex}
    )


def _with_sig(unsigned: bytes, sig: str) -> bytes:
    """JCS(entry) from JCS(entry without sig): members are in sorted key order (actor, body,
    prev, seq, sig, ts, type, v, vault), so `sig` goes just before the top-level `ts`, the last
    `,"ts":"` in the text (only type, v and vault follow it, and their values hold no quote)."""
    at = unsigned.rfind(b',"ts":"')
    if at < 0:
        raise CanonicalError("the signing message has no timestamp member")
    return unsigned[:at] + b',"sig":"' + sig.encode("ascii") + b'"' + unsigned[at:]


def signing_message_of(entry: Entry) -> bytes:
    """`entry.signing_message()`, cut out of the line instead of re-encoded, for an entry
    `decode_entry` read (its line is byte-identical to its JCS form). JCS writes members in
    sorted key order (actor, body, prev, seq, sig, ts, type, v, vault), so the encoding without
    `sig` is the line minus its `,"sig":"..."` member; the last occurrence is the top-level one,
    as only ts, type, v and vault follow it and their checked values hold no quote."""
    member = b',"sig":"' + entry.sig.encode("ascii") + b'"'
    at = entry.line.rfind(member)
    if at < 0:
        raise CanonicalError("the line has no signature member")
    return SIG_CONTEXT + entry.line[:at] + entry.line[at + len(member) :]


def decode_entry(line: bytes) -> Entry:
    """Strictly parse and schema-check one entry line. Signatures and the chain are checked by
    the verifier, which knows the members and the previous entry."""
    data = parse_canonical(line)
    if set(data) != _KEYS:
        extra, missing = sorted(set(data) - _KEYS), sorted(_KEYS - set(data))
        raise CanonicalError(f"entry fields do not match (unexpected {extra}, missing {missing})")
    if data["v"] != FORMAT_VERSION:
        raise CanonicalError(f"unsupported entry version {data['v']!r:.20}")
    _expect(data, "vault", _VAULT_ID, "a 32-hex-digit vault id")
    seq = data["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise CanonicalError("seq must be a non-negative integer")
    if not isinstance(data["ts"], str):
        raise CanonicalError("ts must be a string")
    parse_ts(data["ts"])
    _expect(data, "actor", MEMBER_ID_RE, "a member id")
    if data["type"] not in ENTRY_TYPES:
        raise CanonicalError(f"unknown entry type {data['type']!r:.40}")
    check_body(data["type"], data["body"])
    _expect(data, "prev", _HEX64, "a 64-hex-digit hash")
    _expect(data, "sig", _HEX128, "a 128-hex-digit signature")
    return Entry(
        vault=data["vault"],
        seq=seq,
        ts=data["ts"],
        actor=data["actor"],
        type=data["type"],
        body=data["body"],
        prev=data["prev"],
        sig=data["sig"],
        line_bytes=line,
    )


def _expect(data: Mapping[str, Any], key: str, regex: re.Pattern[str], what: str) -> None:
    value = data[key]
    if not isinstance(value, str) or regex.fullmatch(value) is None:
        raise CanonicalError(f"{key} must be {what}")


def required_role(entry_type: str) -> Role | None:
    """The role an actor needs for this entry type (None: any active member)."""
    return Role.ADMIN if entry_type in ADMIN_TYPES else None
