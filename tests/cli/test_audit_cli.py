"""`journal export` and `verify-export` through the real console script: verify-export needs
no vault and no passphrase, and its exit codes are 0 anchored, 1 unanchored, 4 invalid, 2
unreadable."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from tests.cli.conftest import Cli, assert_one_line_error

NO_VAULT = {"TOKENVAULT_VAULT": "", "TOKENVAULT_PASSPHRASE_FILE": ""}


def export(cli: Cli, out: Path) -> dict[str, str]:
    result = cli("journal", "export", str(out))
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    values = dict(re.findall(r"^(size|root|genesis hash):\s+(\S+)$", result.out, re.M))
    assert set(values) == {"size", "root", "genesis hash"}, result.out
    return values


def test_export_and_verify_round_trip(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    recorded = export(cli, out)
    assert cli.journal()[-1].type == "journal.export"

    anchored = cli("verify-export", str(out), "--genesis", recorded["genesis hash"], env=NO_VAULT)
    assert anchored.code == 0, anchored.err
    assert recorded["root"] in anchored.out
    assert anchored.err == ""

    bare = cli("verify-export", str(out), env=NO_VAULT)
    assert bare.code == 1, bare.err
    assert "truncation cannot be ruled out" in bare.err

    as_json = cli("verify-export", str(out), "--json", env=NO_VAULT)
    assert as_json.code == 1
    assert '"status": "unanchored"' in as_json.out

    newer = tmp_path / "newer.jsonl"
    export(cli, newer)
    extends = cli("verify-export", str(newer), "--previous", str(out), env=NO_VAULT)
    assert extends.code == 0, extends.err


def test_tampered_export_exits_4_with_the_line(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    export(cli, out)
    lines = out.read_bytes().split(b"\n")[:-1]
    del lines[2]  # entry seq 1
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(line + b"\n" for line in lines))
    result = cli("verify-export", str(bad), env=NO_VAULT)
    assert_one_line_error(result, 4, "line 3 (seq 1):")

    newer = tmp_path / "newer.jsonl"
    export(cli, newer)
    backwards = cli("verify-export", str(out), "--previous", str(newer), env=NO_VAULT)
    assert_one_line_error(backwards, 4, "line 1 (seq -):", "does not extend")


def test_unreadable_file_and_bad_usage_exit_2(cli: Cli, tmp_path: Path) -> None:
    missing = cli("verify-export", str(tmp_path / "nope.jsonl"), env=NO_VAULT)
    assert_one_line_error(missing, 2)
    out = tmp_path / "audit.jsonl"
    export(cli, out)
    bad_hash = cli("verify-export", str(out), "--genesis", "xyz", env=NO_VAULT)
    assert_one_line_error(bad_hash, 2, "--genesis")
