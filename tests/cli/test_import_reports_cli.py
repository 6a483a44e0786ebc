"""`tokenvault import --format gitleaks-json|trufflehog-json|detect-secrets-json` through the real
console script: a finding whose secret is in the vault is a leak of that token (a `scan`
entry; the live secret becomes exposed), an unknown one a discovered token that `check`
reports, detect-secrets matches by SHA-1, all in one transaction, and no secret in any output
or journal entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli.conftest import Cli, assert_one_line_error
from tokenvault import services
from tokenvault.domain.model import Token

DATA = Path(__file__).parents[1] / "data" / "import"
GH = "ghp_FAKEtokenvaultSample0000000000000001"
AWS = "AKIAFAKE0SAMPLE00001"
SLACK = "xoxb-0000000000-0000000000000-FAKEsampleSlackBot0001"
GITLAB = "glpat-FAKEsample0000000001"
PLANTED = (GH, AWS, SLACK, GITLAB)


def sample(tmp_path: Path, name: str) -> str:
    target = tmp_path / name
    shutil.copy(DATA / name, target)
    return str(target)


def with_gh_token(cli: Cli) -> None:
    result = cli("add", "gh-ci", "--owner", "alice", stdin=GH)
    assert result.code == 0, result.err


def tokens(cli: Cli) -> dict[str, Token]:
    session = cli.session()
    try:
        return {t.name: t for t in services.tokens.list_tokens(session)}
    finally:
        session.lock()


def check_codes(cli: Cli) -> set[tuple[str, str]]:
    result = cli("check", "--json", "--severity", "info")
    return {(f["token"], f["code"]) for f in json.loads(result.out)}


def assert_no_secret(cli: Cli, *texts: str) -> None:
    blobs = [*texts, *(e.line_bytes.decode() for e in cli.journal())]
    for blob in blobs:
        for planted in PLANTED:
            assert planted not in blob, planted


def test_gitleaks_leaks_and_discovered_tokens(cli: Cli, tmp_path: Path) -> None:
    with_gh_token(cli)
    before = cli.journal_size()
    result = cli("import", sample(tmp_path, "gitleaks.json"), "--format", "gitleaks-json")
    assert result.code == 0, result.err
    assert "leak of gh-ci v1 (current) at src/deploy.py:12 (record at line 2)" in result.out
    assert "leak of gh-ci v1 (current) at .github/workflows/release.yml:27" in result.out
    assert "2 created, 0 skipped, 2 leak(s), 0 unmatched" in result.out
    entries = cli.journal()[before:]
    assert [e.type for e in entries] == ["token.create", "token.create", "scan", "import"]
    created = {e.body["name"]: e.body for e in entries[:2]}
    aws = next(body for name, body in created.items() if "aws" in name)
    assert aws["owner"] == ""
    assert aws["service"] == "aws-access-token"
    assert aws["used_by"] == ["config/aws.env"]
    assert aws["tags"] == ["discovered"]
    assert aws["source"] == "import:gitleaks-json:gitleaks.json:22"
    scan = entries[2].body
    assert scan["source"] == "gitleaks-json"
    assert scan["paths"] == ["gitleaks.json"]
    assert (scan["leaks"], scan["shadow"]) == (2, 2)
    assert {item["name"] for item in scan["leaked"]} == {"gh-ci", *created}
    held = tokens(cli)
    assert held["gh-ci"].exposed_at is not None
    assert all(held[name].discovered and held[name].exposed_at for name in created)
    codes = check_codes(cli)
    assert ("gh-ci", "EXPOSED") in codes
    assert all((name, "DISCOVERED") in codes for name in created)
    assert all((name, "NO_OWNER") not in codes for name in created)
    assert cli("verify").code == 0
    assert_no_secret(cli, result.out, result.err)


def test_reimporting_a_report_creates_nothing_twice(cli: Cli, tmp_path: Path) -> None:
    path = sample(tmp_path, "gitleaks.json")
    first = cli("import", path, "--format", "gitleaks-json")
    assert "3 created" in first.out  # two GitHub findings share one secret: one token
    again = cli("import", path, "--format", "gitleaks-json")
    assert again.code == 0, again.err
    assert "0 created, 0 skipped, 4 leak(s), 0 unmatched" in again.out
    assert len(tokens(cli)) == 3


def test_trufflehog_report(cli: Cli, tmp_path: Path) -> None:
    with_gh_token(cli)
    result = cli("import", sample(tmp_path, "trufflehog.jsonl"), "--format", "trufflehog-json")
    assert result.code == 0, result.err
    assert "2 created, 0 skipped, 2 leak(s), 0 unmatched" in result.out
    services_ = {t.service for t in tokens(cli).values() if t.discovered}
    assert services_ == {"AWS", "Gitlab"}
    assert_no_secret(cli, result.out, result.err)


def test_detect_secrets_matches_by_sha1_and_lists_the_unknown(cli: Cli, tmp_path: Path) -> None:
    with_gh_token(cli)
    path = sample(tmp_path, "detect-secrets.json")
    result = cli("import", path, "--format", "detect-secrets-json")
    assert result.code == 0, result.err
    assert "leak of gh-ci v1 (current) at .github/workflows/release.yml:27" in result.out
    assert "unmatched AWS Access Key at config/aws.env:3" in result.out
    assert "0 created, 0 skipped, 2 leak(s), 2 unmatched" in result.out
    assert tokens(cli)["gh-ci"].exposed_at is not None


def test_dry_run_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    with_gh_token(cli)
    before = cli.journal_size()
    path = sample(tmp_path, "gitleaks.json")
    result = cli("import", path, "--format", "gitleaks-json", "--dry-run")
    assert result.code == 0, result.err
    assert "would create discovered-aws-access-token-1" in result.out
    assert "nothing changed" in result.out
    assert cli.journal_size() == before
    assert set(tokens(cli)) == {"gh-ci"}


def test_a_malformed_report_exits_2_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    before = cli.journal_size()
    for name, fmt, fragment in [
        ("gitleaks-redacted.json", "gitleaks-json", "redacted"),
        ("gitleaks-missing-secret.json", "gitleaks-json", "Secret"),
        ("trufflehog-bad-line.jsonl", "trufflehog-json", "trufflehog-bad-line.jsonl:"),
        ("detect-secrets-bad-hash.json", "detect-secrets-json", "hashed_secret"),
    ]:
        result = cli("import", sample(tmp_path, name), "--format", fmt)
        assert_one_line_error(result, 2, fragment)
        assert_no_secret(cli, result.out, result.err)
    assert cli.journal_size() == before


def test_a_discovered_token_can_be_described_then_owned(cli: Cli, tmp_path: Path) -> None:
    cli("import", sample(tmp_path, "gitleaks.json"), "--format", "gitleaks-json")
    name = next(n for n, t in tokens(cli).items() if t.service == "slack-bot-token")
    # the policy requires an owner, but a token nobody owns yet can still be annotated
    noted = cli("edit", name, "--note", "probably the deploy bot; asking #ops")
    assert noted.code == 0, noted.err
    assert (name, "DISCOVERED") in check_codes(cli)
    owned = cli("edit", name, "--owner", "platform")
    assert owned.code == 0, owned.err
    codes = check_codes(cli)
    assert (name, "DISCOVERED") not in codes
    assert (name, "EXPOSED") in codes  # still in the files: rotate it
    assert tokens(cli)[name].discovered  # the history stays
