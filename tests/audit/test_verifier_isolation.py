"""The offline verifier runs with the rest of the package unavailable: no store, no services,
no faces, no SQLCipher, no Argon2 — what an auditor's machine needs is domain, crypto
verification code, cryptography and rfc8785."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.audit.test_export_verify import add
from tokenvault.services import Session
from tokenvault.services.export import export_journal
from tokenvault.services.prove import prove_entry

BLOCKED = (
    "tokenvault.storage", "tokenvault.services", "tokenvault.cli", "tokenvault.tui",
    "sqlcipher3", "argon2", "platformdirs", "textual", "click", "pyperclip",
)  # fmt: skip

BLOCKER = """
import importlib.abc, sys
BLOCKED = {blocked!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"{{name}} is unavailable on the auditor's machine")
        return None

sys.meta_path.insert(0, Block())
"""

PROGRAM = (
    BLOCKER
    + """
from tokenvault.audit.verify_export import verify_export
data = open(sys.argv[1], "rb").read()
verdict = verify_export(data, genesis=sys.argv[2], previous=None)
loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
print(verdict.status, loaded)
"""
)


def test_verify_export_needs_none_of_the_vault_code(session: Session, tmp_path: Path) -> None:
    add(session, "gh-deploy")
    result = export_journal(session, tmp_path / "export.jsonl")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            PROGRAM.format(blocked=BLOCKED),
            str(result.path),
            result.genesis_hash,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split(None, 1) == ["verified", "[]\n"]


PROOF_PROGRAM = (
    BLOCKER
    + """
from tokenvault.audit.verify_proof import verify_proof
proof = open(sys.argv[1], "rb").read()
previous = open(sys.argv[2], "rb").read()
verdict = verify_proof(proof, previous=previous)
loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
print(verdict.status, loaded)
"""
)


def test_verify_proof_needs_none_of_the_vault_code(session: Session, tmp_path: Path) -> None:
    earlier = export_journal(session, tmp_path / "export.jsonl")
    add(session, "gh-deploy")
    proof = tmp_path / "entry.proof.json"
    made = prove_entry(session, earlier.size, proof)  # after the export: a consistency proof
    assert made.consistency_from == (earlier.size,)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            PROOF_PROGRAM.format(blocked=BLOCKED),
            str(proof),
            str(earlier.path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split(None, 1) == ["verified", "[]\n"]
