"""C2SP checkpoint text and signed-note framing."""

from __future__ import annotations

import base64

import pytest

from tokenvault.domain import checkpoint as cp

VAULT = "0123456789abcdef0123456789abcdef"
ROOT = bytes(range(32))


def test_body_is_three_lines() -> None:
    body = cp.Checkpoint(cp.origin_for(VAULT), 42, ROOT).body()
    assert body == (f"tokenvault/{VAULT}\n42\n{base64.b64encode(ROOT).decode()}\n".encode())
    assert cp.parse_checkpoint(body) == cp.Checkpoint(f"tokenvault/{VAULT}", 42, ROOT)


def test_note_round_trip() -> None:
    checkpoint = cp.Checkpoint(cp.origin_for(VAULT), 7, ROOT)
    name = cp.key_name(VAULT, "alice")
    signature = cp.NoteSignature(name, cp.key_id(name, b"\x11" * 32), b"\x22" * 64)
    note = cp.format_note(checkpoint, [signature])
    assert note.endswith("\n")
    assert "\n\n\u2014 tokenvault/" in note
    assert cp.parse_note(note) == (checkpoint, [signature])


def test_key_id_is_c2sp() -> None:
    import hashlib

    name = "tokenvault/x/alice"
    pub = b"\x01" * 32
    assert cp.key_id(name, pub) == hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]


@pytest.mark.parametrize(
    "body",
    [
        b"tokenvault/x\n1\nAAAA\n",  # origin not a vault id
        f"tokenvault/{VAULT}\n01\n{base64.b64encode(ROOT).decode()}\n".encode(),  # leading zero
        f"tokenvault/{VAULT}\n-1\n{base64.b64encode(ROOT).decode()}\n".encode(),
        f"tokenvault/{VAULT}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n".encode(),
        f"tokenvault/{VAULT}\n1\n{base64.b64encode(ROOT).decode()}".encode(),  # no final newline
        f"tokenvault/{VAULT}\n1\n{base64.b64encode(ROOT).decode()}\nextra\n".encode(),
        b"\xff\n",
    ],
)
def test_malformed_checkpoints(body: bytes) -> None:
    with pytest.raises(cp.CheckpointError):
        cp.parse_checkpoint(body)


@pytest.mark.parametrize(
    "tail",
    [
        "",
        "\u2014 name !!!\n",
        "- name AAAA\n",
        "\u2014 name " + base64.b64encode(b"x" * 10).decode(),
    ],
)
def test_malformed_notes(tail: str) -> None:
    body = cp.Checkpoint(cp.origin_for(VAULT), 1, ROOT).body().decode()
    with pytest.raises(cp.CheckpointError):
        cp.parse_note(body + "\n" + tail)
