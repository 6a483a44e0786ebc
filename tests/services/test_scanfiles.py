"""The scan's file walker on a planted tree: what git tracks or would track (or everything),
every skip with its reason, symlinks never followed, and the leaks in it found exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tokenvault.domain.leaks import VaultSecret
from tokenvault.domain.model import Secret
from tokenvault.services.leakscan import scan
from tokenvault.services.scanfiles import FileWalk, walk_files

CURRENT = "ghp_0123456789abcdefABCDEFghijklmnopQR"
RETIRED = "sk_live_51HxYzRetiredVersionOfTheKey00"
SLACK = "xoxb-1111-2222-aaaabbbbccccdddd"
LIMIT = 4096
ROOT = os.geteuid() == 0  # root reads a 000 file: the unreadable case cannot be planted

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def plant(tree: Path, outside: Path) -> None:
    tree.mkdir()
    (tree / ".env").write_text(f"# deploy\nGITHUB_TOKEN={CURRENT}\nOLD={RETIRED}\n")
    (tree / "config.yaml").write_text(f"slack:\n  token: {SLACK}\n  again: '{SLACK}'\n")
    (tree / "deploy.sh").write_text(f'#!/bin/sh\ncurl -H "Authorization: token {CURRENT}" x\n')
    cell = {"cell_type": "code", "source": [f'import os\nKEY = "{RETIRED}"\n']}
    (tree / "notebook.ipynb").write_text(json.dumps({"cells": [cell]}, indent=1) + "\n")
    (tree / ".gitignore").write_text("*.local\n")
    (tree / "secrets.local").write_text(f"{CURRENT}\n")
    (tree / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + CURRENT.encode())
    (tree / "big.log").write_text("x" * LIMIT + CURRENT)
    (tree / "sub").mkdir()
    (tree / "sub" / "loop").symlink_to("../sub", target_is_directory=True)
    (tree / "sub" / "self").symlink_to("self")
    outside.mkdir()
    (outside / "elsewhere.txt").write_text(f"{CURRENT}\n")
    (tree / "outside").symlink_to(outside / "elsewhere.txt")
    (tree / "locked.txt").write_text(f"{SLACK}\n")
    (tree / "locked.txt").chmod(0)


def git(tree: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    plant(root, tmp_path / "elsewhere")
    return root


def rel(tree: Path, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(os.path.relpath(path, tree), second) for path, second in pairs]


def expected_skips(*, git_dir: bool = False) -> list[tuple[str, str]]:
    skips = [
        ("big.log", "too-large"),
        ("locked.txt", "unreadable"),
        ("logo.png", "binary"),
        ("outside", "symlink"),
        ("sub/loop", "symlink"),
        ("sub/self", "symlink"),
    ]
    if ROOT:
        skips.remove(("locked.txt", "unreadable"))
    if git_dir:
        skips.insert(0, (".git", "git-directory"))
    return skips


def walked(tree: Path, **options: bool) -> tuple[list[str], list[tuple[str, str]]]:
    walk = FileWalk([tree], max_bytes=LIMIT, **options)
    files = [os.path.relpath(path, tree) for path, _ in walk]
    return files, rel(tree, [(s.path, s.reason) for s in walk.skips])


TEXT_FILES = [".env", ".gitignore", "config.yaml", "deploy.sh", "notebook.ipynb"]


def with_locked(files: list[str]) -> list[str]:
    return sorted([*files, "locked.txt"]) if ROOT else files


@needs_git
def test_git_tree_scans_what_git_tracks_or_would_track(tree: Path) -> None:
    git(tree, "init", "-q")
    git(tree, "add", ".env", "config.yaml")
    files, skips = walked(tree)
    assert files == with_locked(TEXT_FILES)
    # git lists the symlinks (not what they point to), so the walk never enters sub/loop.
    assert skips == expected_skips()


@needs_git
def test_include_ignored_adds_the_ignored_file_and_skips_dot_git(tree: Path) -> None:
    git(tree, "init", "-q")
    files, skips = walked(tree, include_ignored=True)
    assert files == with_locked(sorted([*TEXT_FILES, "secrets.local"]))
    assert skips == expected_skips(git_dir=True)


def test_outside_git_every_file_in_sorted_order(tree: Path) -> None:
    files, skips = walked(tree)
    assert files == with_locked(sorted([*TEXT_FILES, "secrets.local"]))
    assert skips == expected_skips()


def test_unreadable_file_reports_the_errno_text(tree: Path) -> None:
    if ROOT:
        pytest.skip("root can read a mode-000 file")
    _, skips = walk_files([tree / "locked.txt"])
    assert [(s.reason, s.detail) for s in skips] == [("unreadable", "Permission denied")]


def test_a_missing_argument_and_a_file_argument(tree: Path) -> None:
    files, skips = walk_files([tree / "nope", tree / "deploy.sh", tree / "deploy.sh"])
    assert [Path(p).name for p, _ in files] == ["deploy.sh"]
    assert [(Path(s.path).name, s.reason, s.detail) for s in skips] == [
        ("nope", "missing", "No such file or directory")
    ]


def test_skip_details_never_hold_file_content(tree: Path) -> None:
    _, skips = walk_files([tree], max_bytes=LIMIT)
    assert all(CURRENT not in repr(s) and SLACK not in repr(s) for s in skips)


@needs_git
def test_planted_leaks_found_exactly(tree: Path) -> None:
    git(tree, "init", "-q")
    secrets = [
        VaultSecret(1, "github-deploy", 2, True, Secret(CURRENT)),
        VaultSecret(1, "github-deploy", 1, False, Secret(RETIRED)),
        VaultSecret(2, "slack-bot", 1, True, Secret(SLACK)),
    ]
    walk = FileWalk([tree], max_bytes=LIMIT)
    result = scan(secrets, walk)
    found = [
        (os.path.relpath(h.path, tree), h.line, h.column, h.token_name, h.version, h.current)
        for h in result.hits
    ]
    slack = [
        ("config.yaml", 2, 10, "slack-bot", 1, True),
        ("config.yaml", 3, 11, "slack-bot", 1, True),
    ]
    if ROOT:
        slack.append(("locked.txt", 1, 1, "slack-bot", 1, True))
    assert sorted(found) == sorted(
        [
            (".env", 2, 14, "github-deploy", 2, True),
            (".env", 3, 5, "github-deploy", 1, False),
            *slack,
            ("deploy.sh", 2, 31, "github-deploy", 2, True),
            ("notebook.ipynb", 6, 25, "github-deploy", 1, False),
        ]
    )
    previews = {(os.path.relpath(h.path, tree), h.line): h.preview for h in result.hits}
    assert previews[(".env", 2)] == "GITHUB_TOKEN=«github-deploy v2»"
    assert previews[("config.yaml", 3)] == "  again: '«slack-bot v1»'"
    for hit in result.hits:
        assert all(s not in hit.preview for s in (CURRENT, RETIRED, SLACK))
