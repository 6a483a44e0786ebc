"""What each layer drags in at import time, measured in a clean interpreter.

The layer rules are enforced statically by import-linter; this checks the runtime result:
the services never pull in a UI toolkit, the domain never pulls in crypto or the database
driver, and the offline verifier runs without the store.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(module: str) -> set[str]:
    code = (
        f"import sys, {module}; print('\\n'.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("tokenvault.services", {"textual", "rich"}),
        ("tokenvault.domain.replay", {"cryptography", "argon2", "sqlcipher3", "platformdirs"}),
        ("tokenvault.domain.journal", {"cryptography", "argon2", "sqlcipher3"}),
        ("tokenvault.audit.chain", {"sqlcipher3", "platformdirs", "argon2"}),
        ("tokenvault.cli", {"textual", "sqlcipher3", "cryptography"}),
        ("tokenvault.cli.app", {"textual", "rich"}),
    ],
)
def test_layers_load_only_what_they_need(module: str, forbidden: set[str]) -> None:
    assert not loaded_after(module) & forbidden


def test_python_dash_m_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tokenvault", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("tokenvault ")
