"""`tokenvault scan` through the real console script: table and JSON, exit codes, baselines
written and honoured, bad baselines refused before anything is journaled, and no secret in
any output, the journal or the baseline."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, assert_one_line_error

_rng = random.Random(11)
LIVE = "ghp_" + "".join(_rng.choice(string.ascii_letters + string.digits) for _ in range(36))
AWS = "AKIA" + "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
SECRETS = (LIVE, AWS)


@pytest.fixture
def repo(cli: Cli, tmp_path: Path) -> Path:
    result = cli("add", "gh-deploy", "--owner", "alice", stdin=LIVE)
    assert result.code == 0, result.err
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".env").write_text(f"GITHUB_TOKEN={LIVE}\n")
    (root / "ci.yaml").write_text(f"env:\n  AWS_ACCESS_KEY_ID: {AWS}\n")
    return root


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        blob = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in SECRETS:
            assert secret not in blob


def test_findings_exit_1_with_a_redacted_table(cli: Cli, repo: Path) -> None:
    result = cli("scan", str(repo))
    assert result.code == 1, result.err
    assert "gh-deploy v1 (current)" in result.out
    assert "«gh-deploy v1»" in result.out
    assert "AWS Access Key" in result.out
    assert "«AWS Access Key»" in result.out
    assert "scanned 2 files: 1 leak(s) of 1 vault token(s), 1 shadow token(s); 2 new" in result.out
    assert_no_secret(result.out, result.err)


def test_json_then_check_reports_exposed(cli: Cli, repo: Path) -> None:
    result = cli("scan", str(repo), "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["new"] == 2
    assert report["files"] == 2
    kinds = {(f["kind"], f["what"], f["line"], f["column"]) for f in report["findings"]}
    assert kinds == {("leak", "gh-deploy v1", 1, 14), ("shadow", "AWS Access Key", 2, 22)}
    assert all(f["fingerprint"].startswith("hmac-sha256:k1:") for f in report["findings"])
    check = cli("check", "--json", "--severity", "error")
    assert any(f["code"] == "EXPOSED" and f["token"] == "gh-deploy" for f in json.loads(check.out))
    assert_no_secret(result.out, *[e.line_bytes for e in cli.journal()])


def test_write_baseline_then_the_scan_passes(cli: Cli, repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    written = cli("scan", str(repo), "--write-baseline", str(baseline), "--reason", "fixtures")
    assert written.code == 0, written.err
    assert f"wrote 2 accepted finding(s) to {baseline}" in written.out
    document = json.loads(baseline.read_text())
    assert {(f["kind"], f["reason"]) for f in document["findings"]} == {
        ("leak", "fixtures"),
        ("shadow", "fixtures"),
    }
    assert_no_secret(baseline.read_bytes())
    again = cli("scan", str(repo), "--baseline", str(baseline))
    assert again.code == 0, again.out
    assert "2 baselined; nothing new" in again.out
    (repo / "more.sh").write_text(f"export KEY={AWS}\n")
    third = cli("scan", str(repo), "--baseline", str(baseline))
    assert third.code == 1
    assert "1 new" in third.out


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{", "not valid JSON"),
        (b'{"format": "other"}', "not a tokenvault scan baseline"),
    ],
)
def test_a_bad_baseline_exits_2_and_journals_nothing(
    cli: Cli, repo: Path, tmp_path: Path, content: bytes, fragment: str
) -> None:
    baseline = tmp_path / "bad.json"
    baseline.write_bytes(content)
    before = cli.journal_size()
    assert_one_line_error(cli("scan", str(repo), "--baseline", str(baseline)), 2, fragment)
    assert cli.journal_size() == before


def test_an_unwritable_baseline_target_is_refused_first(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    before = cli.journal_size()
    target = tmp_path / "missing-dir" / "b.json"
    assert_one_line_error(
        cli("scan", str(repo), "--write-baseline", str(target)), 2, "cannot write"
    )
    assert cli.journal_size() == before


def test_max_file_mib_skips_and_reports(cli: Cli, repo: Path) -> None:
    (repo / "big.txt").write_text("y" * 2_000_000 + LIVE)
    result = cli("scan", str(repo), "--max-file-mib", "1")
    assert "skipped" in result.out
    assert "big.txt: too-large" in result.out
    assert_no_secret(result.out)
    bad = cli("scan", str(repo), "--max-file-mib", "0")
    assert_one_line_error(bad, 2, "max-file-mib")


def test_a_clean_path_exits_0(cli: Cli, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.txt").write_text("hello\n")
    result = cli("scan", str(clean))
    assert result.code == 0, result.err
    assert (
        "scanned 1 file: 0 leak(s) of 0 vault token(s), 0 shadow token(s); nothing new"
        in result.out
    )


def test_reason_without_write_baseline_is_a_usage_error(cli: Cli, repo: Path) -> None:
    before = cli.journal_size()
    assert_one_line_error(cli("scan", str(repo), "--reason", "x"), 2, "--write-baseline")
    assert cli.journal_size() == before
