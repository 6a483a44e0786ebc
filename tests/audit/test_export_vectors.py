"""tests/vectors/exports/: sample export files and the verdict each must get.

The generator (tests/vectors/export_vectors.py) must reproduce the files byte for byte; our
verifier must reach every verdict in expected.json (status, first bad line, seq, a fragment of
the reason), in-process and through the real `tokenvault verify-export` command. The genuine
exports are also checked with independent code (hashlib, json, libsodium), like the journal
vectors in tests/unit/test_vectors.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import VerifyKey

from tests.vectors.export_vectors import EXPORTS, STATUS_EXIT, build_vault, outputs
from tests.vectors.journal_vectors import seeded_keys
from tokenvault.audit.verify_export import INVALID, verify_export
from tokenvault.domain import export as manifest_format
from tokenvault.domain.merkle import Frontier
from tokenvault.services.session import signed_note

EXPECTED: list[dict[str, Any]] = json.loads((EXPORTS / "expected.json").read_text("utf-8"))
BY_NAME = {case["case"]: case for case in EXPECTED}

CHECKPOINT = re.compile(r"([1-9][0-9]*):([0-9a-f]{64})")
SCRIPT = Path(sys.executable).with_name("tokenvault")
CLI_CASES = (
    "genuine-anchored-genesis",
    "genuine-unanchored",
    "genuine-all-anchors",
    "changed-field-old-signature",
    "tail-truncated-manifest-kept",
    "crlf-line-endings",
    "small-order-genesis-key",
    "older-export-as-newer",
    "resealed-truncation-vs-previous",
    "genuine-anchored-checkpoint",
    "older-export-vs-checkpoint",
)


def read(name: str) -> bytes:
    return (EXPORTS / name).read_bytes()


def test_the_generator_reproduces_every_file() -> None:
    wanted = outputs()
    stored = {path.name: path.read_bytes() for path in EXPORTS.iterdir()}
    assert sorted(stored) == sorted(wanted), "run: python tests/vectors/export_vectors.py"
    for name, data in sorted(wanted.items()):
        assert stored[name] == data, f"{name} differs; run: python tests/vectors/export_vectors.py"


def test_the_vectors_stay_small() -> None:
    assert sum(path.stat().st_size for path in EXPORTS.iterdir()) < 330_000


def test_the_expected_table_is_consistent() -> None:
    assert len(BY_NAME) == len(EXPECTED), "case names must be unique"
    files = {path.name for path in EXPORTS.iterdir()} - {"expected.json"}
    used: set[str] = set()
    for case in EXPECTED:
        assert list(case) == [
            "case",
            "file",
            "genesis",
            "previous",
            "status",
            "exit",
            "line",
            "seq",
            "reason",
            "why",
            "base",
        ]
        assert case["file"] in files, case["case"]
        used.add(case["file"])
        previous = case["previous"]
        if previous is not None and CHECKPOINT.fullmatch(previous) is None:
            assert previous in files, case["case"]
            used.add(previous)
        assert case["base"] is None or case["base"] in files, case["case"]
        assert case["exit"] == STATUS_EXIT[case["status"]]
        assert case["why"].endswith("."), case["case"]
        if case["status"] == INVALID:
            assert case["line"] >= 1, case["case"]
            assert case["reason"], case["case"]
            if case["seq"] is None:
                assert case["line"] == 1, case["case"]  # the manifest, or the file as a whole
            else:
                assert case["line"] == case["seq"] + 2, case["case"]
        else:
            assert (case["line"], case["seq"], case["reason"]) == (None, None, None)
    assert used == files, "every sample file is used by some case"
    statuses = {case["status"] for case in EXPECTED}
    assert statuses == {"verified", "unanchored", "invalid"}


def anchor(case: dict[str, Any]) -> dict[str, Any]:
    """`previous` names an earlier export in this directory, or is a checkpoint SIZE:ROOT."""
    previous = case["previous"]
    if previous is None:
        return {}
    if (match := CHECKPOINT.fullmatch(previous)) is not None:
        return {"previous_checkpoint": (int(match[1]), bytes.fromhex(match[2]))}
    return {"previous": read(previous)}


@pytest.mark.parametrize("case", EXPECTED, ids=[case["case"] for case in EXPECTED])
def test_our_verifier_reaches_the_expected_verdict(case: dict[str, Any]) -> None:
    verdict = verify_export(read(case["file"]), genesis=case["genesis"], **anchor(case))
    got = (verdict.status, verdict.line, verdict.seq)
    assert got == (case["status"], case["line"], case["seq"]), verdict.failure_line()
    if case["reason"] is not None:
        assert case["reason"] in verdict.reason, verdict.failure_line()
    if verdict.status != INVALID:
        assert verdict.summary is not None


def _verify_command(case: dict[str, Any]) -> list[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tokenvault"]
    command += ["verify-export", str(EXPORTS / case["file"])]
    if case["genesis"]:
        command += ["--genesis", case["genesis"]]
    previous = case["previous"]
    if previous and CHECKPOINT.fullmatch(previous):
        command += ["--previous", previous]
    elif previous:
        command += ["--previous", str(EXPORTS / previous)]
    return command


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_command_line_exit_code_and_message(name: str, tmp_path: Path) -> None:
    case = BY_NAME[name]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    proc = subprocess.run(
        _verify_command(case),
        capture_output=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == case["exit"], err
    assert "Traceback" not in err
    if case["status"] == INVALID:
        seq = "-" if case["seq"] is None else str(case["seq"])
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"tokenvault: error: line {case['line']} (seq {seq}): "), err
        assert case["reason"] in lines[0], err
        assert proc.stdout == b""
    else:
        out = proc.stdout.decode("utf-8")
        assert out.startswith(f"{case['status']}: "), out
        verdict = verify_export(read(case["file"]), genesis=case["genesis"])
        assert verdict.summary is not None
        assert verdict.summary.root in out
        assert ("truncation cannot be ruled out" in err) == (case["status"] == "unanchored")


# ---- the genuine files, checked with independent code -------------------------------------


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _jcs(value: Any) -> bytes:
    """Enough of RFC 8785 for these files: sorted keys, no spaces, UTF-8, integers only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("name", ["genuine.jsonl", "earlier.jsonl", "other-vault.jsonl"])
def test_genuine_exports_against_independent_code(name: str) -> None:
    data = read(name)
    assert data.endswith(b"\n")
    assert b"\r" not in data
    manifest_line, *lines = data.split(b"\n")[:-1]
    manifest = json.loads(manifest_line)
    assert _jcs(manifest) == manifest_line
    keys = {m["id"]: bytes.fromhex(m["ed25519"]) for m in manifest["members"]}
    prev, leaves = "0" * 64, []
    for seq, line in enumerate(lines):
        entry = json.loads(line)
        assert _jcs(entry) == line
        assert (entry["seq"], entry["prev"], entry["vault"]) == (seq, prev, manifest["vault"])
        unsigned = {k: v for k, v in entry.items() if k != "sig"}
        message = b"tokenvault/journal-entry/v1\n" + _jcs(unsigned)
        VerifyKey(keys[entry["actor"]]).verify(message, bytes.fromhex(entry["sig"]))
        leaf = hashlib.sha256(b"\x00" + line).digest()
        leaves.append(leaf)
        prev = leaf.hex()
    assert manifest["size"] == len(lines)
    assert manifest["root"] == _mth(leaves).hex()
    assert manifest["genesis"] == leaves[0].hex()
    unsigned_manifest = {k: v for k, v in manifest.items() if k != "sig"}
    VerifyKey(keys[manifest["exported_by"]]).verify(
        b"tokenvault/export-manifest/v1\n" + _jcs(unsigned_manifest),
        bytes.fromhex(manifest["sig"]),
    )
    origin, size, root64, blank, signature_line = manifest["checkpoint"]
    assert (origin, size, blank) == (f"tokenvault/{manifest['vault']}", str(len(lines)), "")
    assert base64.b64decode(root64) == _mth(leaves)
    dash, key_name, blob64 = signature_line.split(" ")
    assert (dash, key_name) == (
        "\u2014",
        f"tokenvault/{manifest['vault']}/{manifest['exported_by']}",
    )
    blob = base64.b64decode(blob64)
    exporter = keys[manifest["exported_by"]]
    assert blob[:4] == hashlib.sha256(key_name.encode() + b"\n\x01" + exporter).digest()[:4]
    VerifyKey(exporter).verify(f"{origin}\n{size}\n{root64}\n".encode(), blob[4:])


def test_genuine_checkpoints_are_signed_as_the_vault_signs_them() -> None:
    """The generator mirrors services: its notes equal services/session.signed_note's."""
    journal, earlier, genuine = build_vault()
    for export in (earlier, genuine):
        size, exporter = export.unsigned["size"], export.unsigned["exported_by"]
        frontier = Frontier.of([entry.leaf_hash for entry in journal.entries[:size]])
        note = signed_note(journal.vault, exporter, seeded_keys(exporter), frontier)
        assert export.unsigned["checkpoint"] == manifest_format.note_to_lines(note)
