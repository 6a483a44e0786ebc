"""`journal export --format csv` and `export inventory [--as-of]` through the real console
script: what is journaled (one entry, or none), 0600 files, formula-safe cells, no secret
bytes, and one-line exit-2 refusals that write nothing."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, assert_one_line_error
from tokenvault.domain.merkle import Frontier

EVIL = "=cmd|' /C calc'!A0"
SECRETS = {"deploy": "ghp_cli_sekrit_AAA", "billing": "sk_live_cli_sekrit_BBB"}


def add_tokens(cli: Cli) -> None:
    r = cli("add", EVIL, "--owner", "alice", "--service", "@github", stdin=SECRETS["deploy"])
    assert r.code == 0, r.err
    r = cli(
        "add", "billing", "--owner", "payments", "--note", "-1 + 1", "--tag", "pci",
        "--tag", "+prod", "--expires", "+60d", stdin=SECRETS["billing"],
    )  # fmt: skip
    assert r.code == 0, r.err


def read_csv(path: Path) -> list[dict[str, str]]:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for spreadsheets
    for secret in SECRETS.values():
        assert secret.encode() not in data
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def printed(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(size|root|genesis hash):\s+(\S+)$", out, re.M))


def test_journal_export_csv_journals_one_entry_and_prints_size_root_genesis(
    cli: Cli, tmp_path: Path
) -> None:
    add_tokens(cli)
    before = cli.journal()
    out = tmp_path / "journal.csv"
    result = cli("journal", "export", str(out), "--format", "csv")
    assert result.code == 0, result.err
    after = cli.journal()
    assert len(after) == len(before) + 1
    assert after[-1].type == "journal.export"
    assert after[-1].body["size"] == len(before)
    leaves = [e.leaf_hash for e in after]
    assert printed(result.out) == {
        "size": str(len(after)),
        "root": Frontier.of(leaves).root().hex(),
        "genesis hash": leaves[0].hex(),
    }
    rows = read_csv(out)
    assert [r["seq"] for r in rows] == [str(e.seq) for e in after]
    assert [r["leaf_hash"] for r in rows] == [leaf.hex() for leaf in leaves]
    assert [r["sig"] for r in rows] == [e.sig for e in after]
    created = [r for r in rows if r["type"] == "token.create"]
    assert [r["subject"] for r in created] == ["'" + EVIL, "billing"]
    assert json.loads(created[0]["body"])["service"] == "@github"  # JSON cell: starts with {
    assert rows[-1]["type"] == "journal.export"


def test_journal_export_defaults_to_the_verifiable_jsonl(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    result = cli("journal", "export", str(out))
    assert result.code == 0, result.err
    manifest = json.loads(out.read_bytes().split(b"\n")[0])
    assert manifest["format"] == "tokenvault-journal-export/1"


def test_journal_export_unknown_format_exits_2_and_journals_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    size = cli.journal_size()
    result = cli("journal", "export", str(tmp_path / "x.xml"), "--format", "xml")
    assert_one_line_error(result, 2, "--format")
    assert cli.journal_size() == size
    assert not (tmp_path / "x.xml").exists()


def test_export_inventory_is_not_journaled_and_has_formula_safe_rows(
    cli: Cli, tmp_path: Path
) -> None:
    add_tokens(cli)
    size = cli.journal_size()
    out = tmp_path / "inventory.csv"
    result = cli("export", "inventory", str(out))
    assert result.code == 0, result.err
    assert re.fullmatch(
        rf"exported 2 tokens to {re.escape(str(out))} \(as of \S+Z\)\n", result.out
    ), result.out
    assert cli.journal_size() == size  # a read: nothing journaled
    rows = read_csv(out)
    assert [(r["id"], r["name"], r["service"], r["owner"]) for r in rows] == [
        ("1", "'" + EVIL, "'@github", "alice"),
        ("2", "billing", "", "payments"),
    ]
    billing = rows[1]
    assert (billing["notes"], billing["tags"], billing["status"]) == ("'-1 + 1", "pci; +prod", "ok")
    assert billing["version"] == "1"
    assert billing["fingerprint"] == cli.journal()[-1].body["fingerprint"]

    today = tmp_path / "today.csv"
    assert cli("export", "inventory", str(today), "--as-of", "today").code == 0
    assert read_csv(today) == rows  # the journal replayed to now is the stored inventory


def test_export_inventory_as_of_an_instant_between_two_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("add", "first", "--owner", "alice", stdin=SECRETS["deploy"]).code == 0
    first_ts = cli.journal()[-1].ts
    assert cli("add", "second", "--owner", "alice", stdin=SECRETS["billing"]).code == 0
    assert cli.journal()[-1].ts > first_ts
    out = tmp_path / "then.csv"
    result = cli("export", "inventory", str(out), "--as-of", first_ts)
    assert result.code == 0, result.err
    assert f"(as of {first_ts})" in result.out
    assert [r["name"] for r in read_csv(out)] == ["first"]


@pytest.mark.parametrize(
    ("as_of", "fragment"),
    [
        ("2026-11-24", "before the vault was created"),  # the template's genesis: 2026-11-25
        ("2999-01-01", "is in the future"),
        ("+1d", "is in the future"),
        ("next week", "is not a date"),
    ],
)
def test_export_inventory_refuses_a_bad_as_of_with_exit_2_and_writes_nothing(
    cli: Cli, tmp_path: Path, as_of: str, fragment: str
) -> None:
    size = cli.journal_size()
    out = tmp_path / "inventory.csv"
    result = cli("export", "inventory", str(out), "--as-of", as_of)
    assert_one_line_error(result, 2, fragment)
    assert not out.exists()
    assert not list(tmp_path.glob(".inventory.csv*"))
    assert cli.journal_size() == size


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("where", ["missing-dir", "is-a-dir"])
def test_journal_export_to_an_unwritable_path_exits_2_and_journals_nothing(
    cli: Cli, tmp_path: Path, fmt: str, where: str
) -> None:
    out = tmp_path / "no-such-dir" / "audit.out" if where == "missing-dir" else tmp_path
    before = cli.journal_size()
    result = cli("journal", "export", str(out), "--format", fmt)
    assert_one_line_error(result, 2, "cannot write" if where == "missing-dir" else "directory")
    assert cli.journal_size() == before
