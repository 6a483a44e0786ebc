"""The scan service on a planted tree: exactly the expected leaks and shadow tokens, every skip,
the `scan` entry, the exposed mark until rotation, and baselines. Real vault, real SQLCipher,
real detect-secrets."""

from __future__ import annotations

import json
import os
import random
import string
from pathlib import Path

import pytest

from tests.conftest import StepClock
from tokenvault import services
from tokenvault.domain.findings import Code
from tokenvault.domain.model import Secret
from tokenvault.domain.scanreport import Baseline, accept
from tokenvault.services import Session, TokenDraft
from tokenvault.services import findings as findings_service
from tokenvault.services.scan import ScanResult, scan

ROOT = os.geteuid() == 0  # root reads a mode-000 file: the unreadable case cannot be planted
LIMIT = 64 * 1024
_rng = random.Random(7)


def _alnum(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


# Built at run time so the repository holds no credential-shaped literal.
GH_LIVE = "ghp_" + _alnum(36)  # a vault token's current secret (also GitHub-shaped)
GH_OLD = "ghp_" + _alnum(36)  # the same token's retired version
DB_PASS = "pw-" + _alnum(20, string.ascii_lowercase)  # a vault secret no detector flags
AWS = "AKIA" + _alnum(16, string.ascii_uppercase + string.digits)  # shadow
GH_SHADOW = "ghp_" + _alnum(36)  # shadow
SLACK = "xoxb-" + "1234567890-" + _alnum(24, string.ascii_lowercase + string.digits)  # shadow


@pytest.fixture
def vault(session: Session) -> Session:
    services.tokens.add(session, TokenDraft(name="gh-deploy", owner="alice"), Secret(GH_OLD))
    services.tokens.rotate(session, "gh-deploy", Secret(GH_LIVE))
    services.tokens.add(session, TokenDraft(name="db-main", owner="alice"), Secret(DB_PASS))
    return session


def plant(root: Path) -> None:
    root.mkdir()
    (root / ".env").write_text(f"GITHUB_TOKEN={GH_LIVE}\nDB_PASSWORD={DB_PASS}\n")
    (root / "deploy.yaml").write_text(f"aws:\n  key_id: {AWS}\n  old: {GH_OLD}\n")
    (root / "run.sh").write_text(f'#!/bin/sh\nexport GH="{GH_SHADOW}"\nexport S={SLACK}\n')
    cell = {"cell_type": "code", "source": [f'db = connect(password="{DB_PASS}")\n']}
    (root / "explore.ipynb").write_text(json.dumps({"cells": [cell]}, indent=1) + "\n")
    (root / "README.md").write_text("Set GITHUB_TOKEN to ${GITHUB_TOKEN} before deploying.\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + GH_LIVE.encode())
    (root / "huge.log").write_text("x" * LIMIT + GH_LIVE)
    (root / "loop").symlink_to(".", target_is_directory=True)
    (root / "locked.txt").write_text(f"{GH_LIVE}\n")
    (root / "locked.txt").chmod(0)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    plant(root)
    return root


def relative(tree: Path, path: str) -> str:
    return os.path.relpath(path, tree)


def found(tree: Path, result: ScanResult) -> list[tuple[str, int, int, str, str]]:
    return [(relative(tree, f.path), f.line, f.column, f.kind, f.what) for f in result.findings]


def expected(*, locked: bool) -> list[tuple[str, int, int, str, str]]:
    rows = [
        (".env", 1, 14, "leak", "gh-deploy v2"),
        (".env", 2, 13, "leak", "db-main v1"),
        ("deploy.yaml", 2, 11, "shadow", "AWS Access Key"),
        ("deploy.yaml", 3, 8, "leak", "gh-deploy v1"),
        ("explore.ipynb", 6, 30, "leak", "db-main v1"),
        ("locked.txt", 1, 1, "leak", "gh-deploy v2"),
        ("run.sh", 2, 12, "shadow", "GitHub Token"),
        ("run.sh", 3, 10, "shadow", "Slack Token"),
    ]
    return rows if locked else [r for r in rows if r[0] != "locked.txt"]


def test_the_planted_tree_gives_exactly_the_expected_findings(vault: Session, tree: Path) -> None:
    result = scan(vault, [str(tree)], max_bytes=LIMIT)
    assert found(tree, result) == expected(locked=ROOT)
    skips = sorted((relative(tree, s.path), s.reason) for s in result.skipped_files)
    assert skips == sorted(
        [("huge.log", "too-large"), ("logo.png", "binary"), ("loop", "symlink")]
        + ([] if ROOT else [("locked.txt", "unreadable")])
    )
    assert result.files == (6 if ROOT else 5)
    leaks = [f for f in result.findings if f.kind == "leak"]
    assert {(f.what, f.current) for f in leaks} >= {("gh-deploy v2", True), ("gh-deploy v1", False)}
    # the GitHub-shaped vault secrets are leaks, never also shadow tokens
    assert not any(f.kind == "shadow" and f.what == "GitHub Token" and ".env" in f.path
                   for f in result.findings)  # fmt: skip
    for f in result.findings:
        for secret in (GH_LIVE, GH_OLD, DB_PASS, AWS, GH_SHADOW, SLACK):
            assert secret not in f.preview
            assert secret not in repr(f)
    assert len(result.new) == len(result.findings)


def test_the_scan_entry_records_counts_and_leaked_versions(vault: Session, tree: Path) -> None:
    result = scan(vault, [str(tree)], max_bytes=LIMIT)
    entry = services.journal.recent(vault, limit=1)[0]
    assert entry.seq == result.entry_seq
    assert entry.type == "scan"
    body = dict(entry.body)
    leaked = body.pop("leaked")
    assert body == {
        "source": "scan",
        "paths": [str(tree)],
        "files": result.files,
        "skipped": len(result.skipped_files),
        "leaks": 5 if ROOT else 4,
        "shadow": 3,
        "baselined": 0,
    }
    gh = services.tokens.get(vault, "gh-deploy")
    db = services.tokens.get(vault, "db-main")
    assert leaked == [
        {"token": gh.id, "name": "gh-deploy", "version": 1,
         "fingerprint": gh.versions[0].fingerprint, "baselined": False},
        {"token": gh.id, "name": "gh-deploy", "version": 2,
         "fingerprint": gh.versions[1].fingerprint, "baselined": False},
        {"token": db.id, "name": "db-main", "version": 1,
         "fingerprint": db.versions[0].fingerprint, "baselined": False},
    ]  # fmt: skip
    line = entry.line_bytes.decode()
    for secret in (GH_LIVE, GH_OLD, DB_PASS, AWS, GH_SHADOW, SLACK):
        assert secret not in line


def test_a_leaked_live_secret_is_exposed_until_rotated(
    vault: Session, tree: Path, clock: StepClock
) -> None:
    scan(vault, [str(tree)], max_bytes=LIMIT, shadow=False)
    gh = services.tokens.get(vault, "gh-deploy")
    assert gh.exposed_at is not None
    codes = {(f.token, f.code) for f in findings_service.check(vault).findings}
    assert ("gh-deploy", Code.EXPOSED) in codes
    assert ("db-main", Code.EXPOSED) in codes
    services.tokens.rotate(vault, "gh-deploy", Secret("ghp_" + _alnum(36)))
    assert services.tokens.get(vault, "gh-deploy").exposed_at is None
    codes = {(f.token, f.code) for f in findings_service.check(vault).findings}
    assert ("gh-deploy", Code.EXPOSED) not in codes
    # a later scan finds only retired versions of gh-deploy now: no new exposure
    scan(vault, [str(tree)], max_bytes=LIMIT, shadow=False)
    assert services.tokens.get(vault, "gh-deploy").exposed_at is None
    assert services.verify(vault).ok


def test_a_baseline_accepts_findings_and_keeps_the_token_unexposed(
    vault: Session, tree: Path
) -> None:
    first = scan(vault, [str(tree)], max_bytes=LIMIT, accept_reason="fixtures")
    assert first.baseline is not None
    assert not first.new
    assert services.tokens.get(vault, "gh-deploy").exposed_at is None
    again = scan(vault, [str(tree)], max_bytes=LIMIT, baseline=first.baseline)
    assert again.new == []
    assert all(f.accepted == "fixtures" for f in again.findings)
    # a new occurrence in another file is new, though the secret was accepted elsewhere
    (tree / "extra.env").write_text(f"AWS_KEY={AWS}\n")
    third = scan(vault, [str(tree)], max_bytes=LIMIT, baseline=first.baseline)
    assert [(relative(tree, f.path), f.what) for f in third.new] == [
        ("extra.env", "AWS Access Key")
    ]
    entry = services.journal.recent(vault, limit=1)[0]
    assert entry.body["baselined"] == len(third.findings) - 1
    assert all(item["baselined"] for item in entry.body["leaked"])
    assert services.verify(vault).ok


def test_a_partial_baseline_still_exposes(vault: Session, tree: Path) -> None:
    everything = scan(vault, [str(tree)], max_bytes=LIMIT, shadow=False)
    # accept the .env occurrence of the live secret only: its other file keeps it exposed
    env_only = accept([f for f in everything.findings if f.path.endswith(".env")], Baseline(), "ok")
    result = scan(vault, [str(tree)], max_bytes=LIMIT, shadow=False, baseline=env_only)
    gh_v2 = [f for f in result.findings if f.what == "gh-deploy v2"]
    if ROOT:  # locked.txt is readable by root and holds the live secret unaccepted
        assert any(f.accepted is None for f in gh_v2)
        assert services.tokens.get(vault, "gh-deploy").exposed_at is not None
    else:
        assert all(f.accepted is not None for f in gh_v2)


def test_a_clean_tree_is_journaled_too(vault: Session, tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "notes.txt").write_text("nothing to see\n")
    result = scan(vault, [str(tmp_path / "clean")])
    assert result.findings == ()
    assert result.files == 1
    entry = services.journal.recent(vault, limit=1)[0]
    assert entry.type == "scan"
    assert entry.body["leaked"] == []
    assert entry.body["leaks"] == 0
