"""keys.json: one slot per member (modelled on LUKS2 keyslots), a MAC, and pending state.

    {"format": "tokenvault-keys/1", "vault": id, "epoch": n, "generation": g,
     "slots": [{"member", "kdf": {...argon2id, salt}, "nonce", "wrapped", "ed25519", "x25519",
                "dek"}],
     "pending": null | {"kind": "add"|"passphrase"|"rekey", "seq", "member", "previous",
                        "epoch", "boxes"},
     "mac": HMAC-SHA256(HKDF(DEK of this epoch), JCS(everything but "mac"))}

The MAC lets any unlocked member detect added, removed, edited or swapped slots; `generation`
is mirrored in the database so a replayed older file is caught too. `pending` records a key
change whose journal entry may not have committed (see services/keychange.py): it is never
trusted on its own, only against the journal.

The parser is strict and checks every slot's KDF bounds before any Argon2 runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tokenvault.crypto.kdf import params_from_json
from tokenvault.crypto.keys import KEYFILE_FORMAT, WrappedKeys, keyfile_mac_key
from tokenvault.domain.canonical import CanonicalError, canonical_bytes
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.text import MEMBER_ID_RE

MAX_KEYFILE_BYTES = 4 * 1024 * 1024  # ~10k members; anything larger is hostile
PENDING_KINDS = frozenset({"add", "passphrase", "rekey"})
_VAULT_ID = re.compile(r"[0-9a-f]{32}")
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


@dataclass(frozen=True, slots=True)
class Slot:
    member: str
    keys: WrappedKeys
    ed25519: bytes
    x25519: bytes
    dek_box: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "kdf": self.keys.kdf.to_json(self.keys.salt),
            "nonce": self.keys.nonce.hex(),
            "wrapped": self.keys.ciphertext.hex(),
            "ed25519": self.ed25519.hex(),
            "x25519": self.x25519.hex(),
            "dek": self.dek_box.hex(),
        }


@dataclass(frozen=True, slots=True)
class Pending:
    kind: str
    seq: int
    member: str
    previous: Slot | None = None  # "passphrase": the slot as it was before
    epoch: int | None = None  # "rekey": the epoch after the removal
    boxes: Mapping[str, bytes] = field(default_factory=dict)  # "rekey": new DEK per member

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "member": self.member,
            "previous": None if self.previous is None else self.previous.to_json(),
            "epoch": self.epoch,
            "boxes": {m: box.hex() for m, box in sorted(self.boxes.items())},
        }


@dataclass(frozen=True, slots=True)
class KeyFile:
    vault: str
    epoch: int
    generation: int
    slots: tuple[Slot, ...]
    pending: Pending | None = None
    mac: bytes = b""

    def slot(self, member: str) -> Slot | None:
        for slot in self.slots:
            if slot.member == member:
                return slot
        return None

    def members(self) -> frozenset[str]:
        return frozenset(slot.member for slot in self.slots)

    def _content(self) -> dict[str, Any]:
        return {
            "format": KEYFILE_FORMAT,
            "vault": self.vault,
            "epoch": self.epoch,
            "generation": self.generation,
            "slots": [slot.to_json() for slot in self.slots],
            "pending": None if self.pending is None else self.pending.to_json(),
        }

    def _expected_mac(self, dek: bytes) -> bytes:
        return hmac.new(
            keyfile_mac_key(dek), canonical_bytes(self._content()), hashlib.sha256
        ).digest()

    def sealed(self, dek: bytes) -> KeyFile:
        """This file with its MAC under `dek` (the data key of `epoch`)."""
        return replace(self, mac=self._expected_mac(dek))

    def check_mac(self, dek: bytes) -> None:
        if not hmac.compare_digest(self.mac, self._expected_mac(dek)):
            raise IntegrityError(
                "keys.json: MAC mismatch: key slots were added, removed, edited or replayed"
            )

    def serialize(self) -> bytes:
        data = {**self._content(), "mac": self.mac.hex()}
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("ascii")


# ---- strict parsing ----------------------------------------------------------------------


def _dup_check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise IntegrityError(f"keys.json: duplicate field {key!r:.30}")
        result[key] = value
    return result


def _fields(raw: Any, expected: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict) or set(raw) != expected:
        raise IntegrityError(f"keys.json: {where} has the wrong fields")
    return raw


def _hex(raw: Any, size: int | None, where: str) -> bytes:
    # Lowercase, no spaces: one spelling per value, so the file has a single valid form.
    if not isinstance(raw, str) or _LOWER_HEX.fullmatch(raw) is None:
        raise IntegrityError(f"keys.json: {where} is not lowercase hex")
    value = bytes.fromhex(raw)
    if size is not None and len(value) != size:
        raise IntegrityError(f"keys.json: {where} has the wrong length")
    return value


def _int(raw: Any, where: str, low: int = 0) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < low or raw > 2**53:
        raise IntegrityError(f"keys.json: {where} is not a valid integer")
    return raw


def _member(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or MEMBER_ID_RE.fullmatch(raw) is None:
        raise IntegrityError(f"keys.json: {where} is not a member id")
    return raw


_SLOT_FIELDS = {"member", "kdf", "nonce", "wrapped", "ed25519", "x25519", "dek"}


def _slot(raw: Any, where: str) -> Slot:
    data = _fields(raw, _SLOT_FIELDS, where)
    member = _member(data["member"], f"{where}.member")
    where = f"slot {member}"
    kdf, salt = params_from_json(data["kdf"], where)  # bounds checked here, before any hashing
    return Slot(
        member=member,
        keys=WrappedKeys(
            kdf=kdf,
            salt=salt,
            nonce=_hex(data["nonce"], 12, f"{where}.nonce"),
            ciphertext=_hex(data["wrapped"], 64 + 16, f"{where}.wrapped"),
        ),
        ed25519=_hex(data["ed25519"], 32, f"{where}.ed25519"),
        x25519=_hex(data["x25519"], 32, f"{where}.x25519"),
        dek_box=_hex(data["dek"], 32 + 32 + 16, f"{where}.dek"),
    )


def _pending(raw: Any) -> Pending | None:
    if raw is None:
        return None
    data = _fields(raw, {"kind", "seq", "member", "previous", "epoch", "boxes"}, "pending")
    if not isinstance(data["kind"], str) or data["kind"] not in PENDING_KINDS:
        raise IntegrityError("keys.json: pending.kind is unknown")
    boxes_raw = data["boxes"]
    if not isinstance(boxes_raw, dict):
        raise IntegrityError("keys.json: pending.boxes is not an object")
    return Pending(
        kind=data["kind"],
        seq=_int(data["seq"], "pending.seq"),
        member=_member(data["member"], "pending.member"),
        previous=None if data["previous"] is None else _slot(data["previous"], "pending.previous"),
        epoch=None if data["epoch"] is None else _int(data["epoch"], "pending.epoch", 1),
        boxes={
            _member(m, "pending.boxes"): _hex(box, 80, f"pending.boxes.{m}")
            for m, box in boxes_raw.items()
        },
    )


def parse_keyfile(data: bytes) -> KeyFile:
    """Parse keys.json strictly; every problem is an IntegrityError naming the part at fault."""
    if len(data) > MAX_KEYFILE_BYTES:
        raise IntegrityError("keys.json: file is too large")
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_dup_check)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, huge integers
        raise IntegrityError("keys.json: not valid JSON") from None
    top = _fields(
        raw, {"format", "vault", "epoch", "generation", "slots", "pending", "mac"}, "the file"
    )
    if top["format"] != KEYFILE_FORMAT:
        raise IntegrityError("keys.json: unknown format")
    vault = top["vault"]
    if not isinstance(vault, str) or _VAULT_ID.fullmatch(vault) is None:
        raise IntegrityError("keys.json: vault id is malformed")
    if not isinstance(top["slots"], list) or not top["slots"]:
        raise IntegrityError("keys.json: no key slots")
    slots = tuple(_slot(s, f"slot #{i}") for i, s in enumerate(top["slots"]))
    seen: set[str] = set()
    for slot in slots:
        if slot.member in seen:
            raise IntegrityError(f"keys.json: duplicate slot for member {slot.member}")
        seen.add(slot.member)
    keyfile = KeyFile(
        vault=vault,
        epoch=_int(top["epoch"], "epoch", 1),
        generation=_int(top["generation"], "generation", 1),
        slots=slots,
        pending=_pending(top["pending"]),
        mac=_hex(top["mac"], 32, "mac"),
    )
    try:
        canonical_bytes(keyfile._content())
    except CanonicalError:
        raise IntegrityError("keys.json: contains values outside the canonical rules") from None
    return keyfile
