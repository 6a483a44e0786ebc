"""`tokenvault import` through the real console script: success, dry run, skip-by-fingerprint,
each failure exits 2 with one line naming file:line and leaves the vault unchanged, the journal
gets N token.create + 1 import entry in one transaction, and no secret reaches any output."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, assert_one_line_error
from tokenvault import services

DATA = Path(__file__).parents[1] / "data" / "import"

# Every secret planted in the sample files (including TOTP seeds and Bitwarden hidden fields,
# which are never imported): none may appear in stdout, stderr or the journal.
PLANTED = (
    "ghp_sampleDeployToken0001",
    "sk_live_sampleStripe0002",
    "xoxb-sampleSlack0003",
    "ghp_envSample0001",
    "Sample0002",
    "hooks.example.invalid",
    "sentryEnvSample0004",
    "kpxcSamplePassword",
    "JBSWY3DPEHPK3PXP",
    "bwSamplePassword",
    "bwHiddenFieldSample",
    "badDateSecret0001",
    "twiceSecret",
    "dupSecretValue0001",
    "oversizedSecret0001",
    "xxxxxxxxxxxxxxxx",
)


def names(cli: Cli) -> list[str]:
    session = cli.session()
    try:
        return sorted(t.name for t in services.tokens.list_tokens(session))
    finally:
        session.lock()


def journal_lines(cli: Cli) -> list[bytes]:
    return [e.line_bytes for e in cli.journal()]


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        blob = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for planted in PLANTED:
            assert planted not in blob, planted


def sample(tmp_path: Path, name: str) -> str:
    target = tmp_path / name
    shutil.copy(DATA / name, target)
    return str(target)


def test_csv_import_creates_tokens_and_one_import_entry(cli: Cli, tmp_path: Path) -> None:
    before = cli.journal_size()
    result = cli("import", sample(tmp_path, "tokens.csv"), "--format", "csv", "--owner", "ops")
    assert result.code == 0, result.err
    assert "created github-deploy (line 2)" in result.out
    assert "imported tokens.csv: 3 created, 0 skipped" in result.out
    entries = cli.journal()[before:]
    assert [e.type for e in entries] == ["token.create"] * 3 + ["import"]
    created = entries[:3]
    assert [e.body["source"] for e in created] == [f"import:csv:tokens.csv:{n}" for n in (2, 3, 4)]
    assert entries[-1].body == {
        "format": "csv",
        "file": "tokens.csv",
        "count": 3,
        "skipped": [],
        "tokens": [e.body["token"] for e in created],
    }
    by_name = {e.body["name"]: e.body for e in created}
    assert by_name["slack-bot"]["owner"] == "ops"  # filled: the file left it empty
    assert by_name["github-deploy"]["owner"] == "platform"  # never overridden
    assert by_name["github-deploy"]["scopes"] == ["repo", "workflow"]
    assert by_name["github-deploy"]["rotate_every_days"] == 90
    assert_no_secret(result.out, result.err, *journal_lines(cli))
    assert cli("verify").code == 0


def test_dry_run_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    before = journal_lines(cli)
    result = cli("import", sample(tmp_path, "sample.env"), "--format", "env", "--owner", "ops",
                 "--dry-run")  # fmt: skip
    assert result.code == 0, result.err
    assert "would create github-token (line 2)" in result.out
    assert "dry run of sample.env: 4 to create, 0 skipped; nothing changed" in result.out
    assert journal_lines(cli) == before
    assert "github-token" not in names(cli)
    assert_no_secret(result.out, result.err)


def test_known_secret_is_skipped_not_duplicated(cli: Cli, tmp_path: Path) -> None:
    added = cli("add", "existing-gh", "--owner", "ops", stdin="ghp_envSample0001")
    assert added.code == 0, added.err
    before = cli.journal_size()
    result = cli("import", sample(tmp_path, "sample.env"), "--format", "env", "--owner", "ops")
    assert result.code == 0, result.err
    assert (
        "skipped github-token (line 2): matches existing token existing-gh (version 1)"
        in result.out
    )
    assert "3 created, 1 skipped" in result.out
    entries = cli.journal()[before:]
    assert [e.type for e in entries] == ["token.create"] * 3 + ["import"]
    existing_id = next(
        e.body["token"] for e in cli.journal() if e.body.get("name") == "existing-gh"
    )
    assert entries[-1].body["skipped"] == [existing_id]
    assert "github-token" not in names(cli)
    assert_no_secret(result.out, result.err, *journal_lines(cli))


@pytest.mark.parametrize(
    ("file", "fmt", "message"),
    [
        ("bad-utf8.csv", "csv", "bad-utf8.csv:3: not valid UTF-8"),
        ("missing-column.csv", "csv", "missing-column.csv:1: missing column(s): secret"),
        ("bad-date.csv", "csv", "bad-date.csv:2: expires_at: not a date"),
        ("duplicate-name.csv", "csv", "duplicate-name.csv:4: name 'twice' is also on line 2"),
        ("empty-secret.csv", "csv", "empty-secret.csv:2: secret: the secret is empty"),
        ("oversized-secret.csv", "csv", "oversized-secret.csv:2: secret: the secret is larger"),
        ("duplicate-secret.csv", "csv", "duplicate-secret.csv:3: the secret is the same as on"),
        ("bad-line.env", "env", "bad-line.env:2: not a KEY=VALUE line"),
        ("keepassxc-missing-password.csv", "keepassxc-csv", ":1: missing column(s): Password"),
    ],
)
def test_bad_file_exits_2_and_changes_nothing(
    cli: Cli, tmp_path: Path, file: str, fmt: str, message: str
) -> None:
    before, tokens_before = journal_lines(cli), names(cli)
    result = cli("import", sample(tmp_path, file), "--format", fmt, "--owner", "ops")
    assert_one_line_error(result, 2, message)
    assert str(tmp_path) not in result.err  # the base name only
    assert journal_lines(cli) == before
    assert names(cli) == tokens_before
    assert_no_secret(result.out, result.err)


def test_name_taken_in_the_vault_rolls_back_everything(cli: Cli, tmp_path: Path) -> None:
    assert cli("add", "stripe-live", "--owner", "ops", stdin="anotherSecretValue").code == 0
    before, tokens_before = journal_lines(cli), names(cli)
    result = cli("import", sample(tmp_path, "tokens.csv"), "--format", "csv", "--owner", "ops")
    assert_one_line_error(result, 2, "tokens.csv:3: a token named 'stripe-live' exists")
    assert journal_lines(cli) == before
    assert names(cli) == tokens_before
    dry = cli("import", sample(tmp_path, "tokens.csv"), "--format", "csv", "--owner", "ops",
              "--dry-run")  # fmt: skip
    assert_one_line_error(dry, 2, "tokens.csv:3: a token named 'stripe-live' exists")
    assert journal_lines(cli) == before


def test_policy_owner_rule_names_the_line(cli: Cli, tmp_path: Path) -> None:
    before = journal_lines(cli)
    result = cli("import", sample(tmp_path, "tokens.csv"), "--format", "csv")
    assert_one_line_error(result, 2, "tokens.csv:4: the policy requires an owner")
    assert journal_lines(cli) == before


def test_password_manager_exports(cli: Cli, tmp_path: Path) -> None:
    for file, fmt in (("keepassxc.csv", "keepassxc-csv"), ("bitwarden.csv", "bitwarden-csv")):
        result = cli("import", sample(tmp_path, file), "--format", fmt, "--owner", "ops")
        assert result.code == 0, result.err
        assert_no_secret(result.out, result.err)
    assert {"GitHub deploy", "Datadog API", "npm publish", "pypi upload"} <= set(names(cli))
    assert "A secure note" not in names(cli)
    assert_no_secret(*journal_lines(cli))


def test_vault_with_import_verifies_and_its_export_too(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", sample(tmp_path, "sample.env"), "--format", "env",
               "--owner", "ops").code == 0  # fmt: skip
    assert cli("verify").code == 0
    listed = cli("journal", "ls", "--limit", "1")
    assert listed.code == 0, listed.err
    assert "sample.env" in listed.out  # the subject: the file's base name
    assert re.search(r"imported \d+ \(env\)", listed.out), listed.out
    out = tmp_path / "audit.jsonl"
    exported = cli("journal", "export", str(out))
    assert exported.code == 0, exported.err
    genesis = re.search(r"^genesis hash:\s+(\S+)$", exported.out, re.M)
    assert genesis is not None
    checked = cli("verify-export", str(out), "--genesis", genesis.group(1),
                  env={"TOKENVAULT_VAULT": "", "TOKENVAULT_PASSPHRASE_FILE": ""})  # fmt: skip
    assert checked.code == 0, checked.err
    assert b'"type":"import"' in out.read_bytes()
    assert_no_secret(out.read_bytes())


def test_unknown_format_and_missing_file_exit_2(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", sample(tmp_path, "tokens.csv"), "--format", "yaml").code == 2
    missing = cli("import", str(tmp_path / "nope.csv"), "--format", "csv")
    assert_one_line_error(missing, 2, "nope.csv: no such file")
