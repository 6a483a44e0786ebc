"""keys.json: strict parsing, MAC over the whole file, and serialisation round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from tokenvault.crypto import kdf
from tokenvault.crypto.keyfile import KeyFile, Pending, Slot, parse_keyfile
from tokenvault.crypto.keys import MemberKeys, new_dek, seal_dek, wrap_keys
from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.model import Secret

VAULT = "33" * 16


def _slot(member: str, dek: bytes) -> Slot:
    keys = MemberKeys.generate()
    return Slot(
        member=member,
        keys=wrap_keys(VAULT, member, keys, Secret("pass phrase"), kdf.FLOOR),
        ed25519=keys.ed25519_public,
        x25519=keys.x25519_public,
        dek_box=seal_dek(dek, keys.x25519_public, VAULT, 1),
    )


@pytest.fixture(scope="module")
def dek() -> bytes:
    return new_dek()


@pytest.fixture(scope="module")
def keyfile(dek: bytes) -> KeyFile:
    slots = (_slot("alice", dek), _slot("bob", dek))
    pending = Pending("rekey", 7, "bob", epoch=2, boxes={"alice": slots[0].dek_box})
    return KeyFile(VAULT, 1, 3, slots, pending).sealed(dek)


def test_round_trip(keyfile: KeyFile, dek: bytes) -> None:
    parsed = parse_keyfile(keyfile.serialize())
    assert parsed == keyfile
    parsed.check_mac(dek)


def test_mac_detects_every_kind_of_slot_change(keyfile: KeyFile, dek: bytes) -> None:
    changed = [
        replace(keyfile, slots=keyfile.slots[:1]),
        replace(keyfile, slots=(*keyfile.slots, keyfile.slots[0])),
        replace(keyfile, slots=keyfile.slots[::-1]),
        replace(keyfile, generation=2),
        replace(keyfile, epoch=2),
        replace(keyfile, pending=None),
        replace(
            keyfile,
            slots=(replace(keyfile.slots[0], dek_box=keyfile.slots[1].dek_box), keyfile.slots[1]),
        ),
    ]
    for other in changed:
        with pytest.raises(IntegrityError, match="MAC mismatch"):
            other.check_mac(dek)
    with pytest.raises(IntegrityError, match="MAC mismatch"):
        keyfile.check_mac(new_dek())


def _edit(keyfile: KeyFile, mutate: Any) -> bytes:
    data = json.loads(keyfile.serialize())
    mutate(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda d: d.update(format="other"), "unknown format"),
        (lambda d: d.update(vault="XYZ"), "vault id"),
        (lambda d: d.update(slots=[]), "no key slots"),
        (lambda d: d["slots"].append(d["slots"][0]), "duplicate slot for member alice"),
        (lambda d: d["slots"][0].update(member="Alice!"), "not a member id"),
        (lambda d: d["slots"][0].update(nonce="00"), "slot alice.nonce"),
        (lambda d: d["slots"][0].update(wrapped="zz"), "not lowercase hex"),
        (lambda d: d["slots"][0].update(extra=1), "wrong fields"),
        (lambda d: d["slots"][0]["kdf"].update(time_cost=2**32 - 1), "above the ceiling"),
        (lambda d: d["slots"][1]["kdf"].update(memory_kib=8), "below the floor"),
        (lambda d: d.update(epoch=0), "epoch"),
        (lambda d: d.update(generation="1"), "generation"),
        (lambda d: d["pending"].update(kind="delete"), "pending.kind"),
        (lambda d: d.update(mac="00"), "mac"),
    ],
)
def test_strict_parser(keyfile: KeyFile, mutate: Any, why: str) -> None:
    with pytest.raises(IntegrityError, match=why):
        parse_keyfile(_edit(keyfile, mutate))


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"\xff\xfe", b"[]", b'{"a":1,"a":2}', b"[" * 100_000]
)
def test_garbage_is_an_integrity_error(raw: bytes) -> None:
    with pytest.raises(IntegrityError):
        parse_keyfile(raw)


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(IntegrityError, match="too large"):
        parse_keyfile(b" " * (4 * 1024 * 1024 + 1))
