"""`tokenvault check` through the real console script: the table, the JSON records, exit 0/1
by severity, --severity filtering, a bad --severity, and that checking journals nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cli.conftest import Cli, Result, assert_one_line_error
from tokenvault import services
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft

JSON_FIELDS = [
    "code",
    "severity",
    "token",
    "token_id",
    "owner",
    "environment",
    "message",
    "control",
]
HEADERS = ["SEVERITY", "CODE", "TOKEN", "OWNER", "FINDING"]
DAY = timedelta(days=1)


@pytest.fixture
def seeded(cli: Cli) -> Iterator[Session]:
    """An open in-process session to seed tokens cheaply (the CLI runs are what is tested)."""
    session = cli.session()
    try:
        yield session
    finally:
        session.lock()


def add(session: Session, name: str, **fields: Any) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "owner": "platform",
        "environment": "staging",
        "scopes": ("repo",),
        "used_by": ("ci: deploy.yml",),
        "expires_at": now + 100 * DAY,
    }
    values.update(fields)
    services.tokens.add(session, TokenDraft(name=name, **values), Secret(f"secret-of-{name}"))


def rows(result: Result) -> list[dict[str, str]]:
    """The table's rows, cut at the header's column starts; the count line is left out."""
    lines = result.out.splitlines()
    header, body = lines[0], lines[1:-1]
    assert header.split() == HEADERS
    starts = [header.index(name) for name in HEADERS]
    ends = [*starts[1:], None]
    return [
        {name: line[a:b].strip() for name, a, b in zip(HEADERS, starts, ends, strict=True)}
        for line in body
    ]


def findings_json(result: Result) -> list[dict[str, Any]]:
    data = json.loads(result.out)
    # The same text as every other --json (json.dumps with indent=2), so diffs stay readable.
    assert result.out == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert isinstance(data, list)
    return data


def test_table_lists_findings_most_severe_first_with_a_count_line(
    cli: Cli, seeded: Session
) -> None:
    add(seeded, "clean")
    add(seeded, "prod-admin", environment="production", scopes=("repo", "admin"))
    add(seeded, "no-consumer", used_by=())
    add(seeded, "forever", expires_at=None)
    add(seeded, "Already-Expired", expires_at=datetime.now(UTC) - 3 * DAY,
        issued_at=datetime.now(UTC) - 30 * DAY)  # fmt: skip
    before = cli.journal_size()
    result = cli("check")
    assert result.code == 1, result.err
    assert result.err == ""
    assert [(r["SEVERITY"], r["CODE"], r["TOKEN"], r["OWNER"]) for r in rows(result)] == [
        ("error", "EXPIRED_ACTIVE", "Already-Expired", "platform"),
        ("error", "BROAD_SCOPE", "prod-admin", "platform"),
        ("warning", "UNUSED_DEPLOYMENT", "no-consumer", "platform"),
    ]
    by_code = {r["CODE"]: r["FINDING"] for r in rows(result)}
    assert by_code["BROAD_SCOPE"] == "broad scope admin in production"
    assert by_code["EXPIRED_ACTIVE"].endswith(
        "(3 days ago) and is not revoked: rotate or revoke it"
    )
    assert result.out.splitlines()[-1] == (
        "2 errors, 1 warning in 5 tokens checked (1 below warning not shown)"
    )
    everything = cli("check", "--severity", "info")
    assert everything.code == 1
    assert [r["CODE"] for r in rows(everything)][-1] == "NO_EXPIRY"
    assert everything.out.splitlines()[-1] == "2 errors, 1 warning, 1 info in 5 tokens checked"
    assert cli.journal_size() == before, "check journals nothing"


def test_json_records_have_the_stable_fields(cli: Cli, seeded: Session) -> None:
    add(seeded, "prod-admin", environment="production", scopes=("*",), used_by=())
    add(seeded, "teamless", environment="")
    services.policy.update(seeded, {"require_owner": False})
    add(seeded, "ownerless", owner="", environment="")
    result = cli("check", "--json")
    assert result.code == 1, result.err
    assert result.err == ""
    records = findings_json(result)
    assert all(list(record) == JSON_FIELDS for record in records)
    assert [(r["severity"], r["code"], r["token"]) for r in records] == [
        ("error", "BROAD_SCOPE", "prod-admin"),
        ("warning", "NO_OWNER", "ownerless"),
        ("warning", "UNUSED_DEPLOYMENT", "prod-admin"),
    ]
    broad = records[0]
    assert broad["owner"] == "platform"
    assert broad["environment"] == "production"
    assert broad["message"] == "broad scope * in production"
    assert broad["control"] == "SOC 2 CC6.3 least privilege"
    assert type(broad["token_id"]) is int
    assert records[1]["owner"] is None  # empty text is null, as in `ls --json`
    assert records[1]["environment"] is None


def test_exit_0_when_nothing_reaches_the_severity(cli: Cli, seeded: Session) -> None:
    result = cli("check")
    assert (result.code, result.out, result.err) == (
        0,
        "0 errors, 0 warnings in 0 tokens checked\n",
        "",
    )
    add(seeded, "forever", expires_at=None)  # NO_EXPIRY: info while expiry is optional
    quiet = cli("check")
    assert quiet.code == 0, quiet.err
    assert quiet.out == "0 errors, 0 warnings in 1 token checked (1 below warning not shown)\n"
    assert findings_json(cli("check", "--json")) == []
    loud = cli("check", "--severity", "INFO", "--json")  # the level ignores case
    assert loud.code == 1
    assert [r["code"] for r in findings_json(loud)] == ["NO_EXPIRY"]


def test_severity_error_shows_and_fails_only_on_errors(cli: Cli, seeded: Session) -> None:
    add(seeded, "no-consumer", used_by=())
    warnings_only = cli("check", "--severity", "error", "--json")
    assert warnings_only.code == 0, warnings_only.err
    assert findings_json(warnings_only) == []
    add(seeded, "overdue", last_rotated_at=datetime.now(UTC) - 100 * DAY,
        issued_at=datetime.now(UTC) - 100 * DAY)  # fmt: skip
    errors = cli("check", "--severity", "error")
    assert errors.code == 1
    assert [(r["SEVERITY"], r["CODE"], r["TOKEN"]) for r in rows(errors)] == [
        ("error", "ROTATION_OVERDUE", "overdue")
    ]
    assert errors.out.splitlines()[-1] == "1 error in 2 tokens checked (1 below error not shown)"


def test_revoked_tokens_are_not_judged(cli: Cli, seeded: Session) -> None:
    add(seeded, "gone", environment="production", scopes=("admin",), used_by=())
    services.tokens.revoke(seeded, "gone", "decommissioned")
    result = cli("check", "--severity", "info")
    assert (result.code, result.out) == (0, "0 errors, 0 warnings, 0 info in 0 tokens checked\n")


def test_a_bad_severity_is_a_usage_error_before_any_unlock(cli: Cli) -> None:
    result = cli("check", "--severity", "fatal")
    assert_one_line_error(result, 2, "--severity", "fatal")
    assert result.out == ""


def test_a_wrong_passphrase_is_exit_3_and_one_line(cli: Cli, tmp_path: Any) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    result = cli("check", env={"TOKENVAULT_PASSPHRASE_FILE": str(wrong)})
    assert_one_line_error(result, 3)
    assert result.out == ""
