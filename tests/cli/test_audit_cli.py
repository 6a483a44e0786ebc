"""`journal export` and `verify-export` through the real console script: verify-export needs
no vault and no passphrase, and its exit codes are 0 anchored, 1 unanchored, 4 invalid, 2
unreadable; `journal prove` discloses one entry that `verify-export --entry` checks."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from tests.cli.conftest import Cli, Result, assert_one_line_error
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.merkle import hash_leaf, root_of

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


# ---- --previous SIZE:ROOT and --entry PROOF (one disclosed entry) ---------------------------


def record_of(result_out: str) -> str:
    match = re.search(r"^record:\s+(\d+:[0-9a-f]{64})$", result_out, re.M)
    assert match is not None, result_out
    return match.group(1)


def revoke(cli: Cli, name: str) -> int:
    assert cli("add", name, "--owner", "alice", stdin=f"sk_{name}").code == 0
    result = cli("revoke", name, "--reason", "compromised")
    assert result.code == 0, result.err
    return cli.journal_size() - 1


def prove(cli: Cli, seq: int, out: Path, *since: int) -> Result:
    args = [arg for size in since for arg in ("--since", str(size))]
    result = cli("journal", "prove", str(seq), str(out), *args)
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    return result


def test_previous_checkpoint_is_the_printed_record(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    recorded = export(cli, out)
    first = cli("verify-export", str(out), env=NO_VAULT)
    checkpoint = record_of(first.out)
    assert checkpoint == f"{recorded['size']}:{recorded['root']}"

    newer = tmp_path / "newer.jsonl"
    export(cli, newer)
    extends = cli("verify-export", str(newer), "--previous", checkpoint, env=NO_VAULT)
    assert extends.code == 0, extends.err
    assert extends.err == ""
    upper = cli("verify-export", str(newer), "--previous", checkpoint.upper(), env=NO_VAULT)
    assert upper.code == 0, upper.err

    size, root = checkpoint.split(":")
    forked = f"{size}:{'0' * 64}"
    bad = cli("verify-export", str(newer), "--previous", forked, env=NO_VAULT)
    assert_one_line_error(bad, 4, "does not extend the previous checkpoint")
    later = f"{int(size) + 50}:{root}"
    ahead = cli("verify-export", str(newer), "--previous", later, env=NO_VAULT)
    assert_one_line_error(ahead, 4, "does not extend the previous checkpoint")

    for junk in ("5:abc", "0:" + "0" * 64, "not-a-file.jsonl"):
        usage = cli("verify-export", str(newer), "--previous", junk, env=NO_VAULT)
        assert_one_line_error(usage, 2, "--previous", "neither an existing file nor")


def test_prove_and_verify_one_entry(cli: Cli, tmp_path: Path) -> None:
    earlier = tmp_path / "q3.jsonl"
    export(cli, earlier)
    checkpoint = record_of(cli("verify-export", str(earlier), env=NO_VAULT).out)
    seq = revoke(cli, "stripe-live")
    size = cli.journal_size()

    proof = tmp_path / "revoke.proof.json"
    made = prove(cli, seq, proof)
    assert f"proved journal entry {seq} (token.revoke)" in made.out
    assert re.search(rf"^seq:\s+{seq}$", made.out, re.M)
    assert re.search(rf"^size:\s+{size}$", made.out, re.M)
    assert re.search(r"^root:\s+[0-9a-f]{64}$", made.out, re.M)
    assert re.search(rf"^consistency from:\s+{checkpoint.split(':')[0]}$", made.out, re.M)
    assert cli.journal_size() == size  # proving journals nothing

    bare = cli("verify-export", "--entry", str(proof), env=NO_VAULT)
    assert bare.code == 1, bare.err
    assert f"unanchored: journal entry {seq} (token.revoke by alice" in bare.out
    assert "prover's word" in bare.err

    anchored = cli("verify-export", "--entry", str(proof), "--previous", str(earlier), env=NO_VAULT)
    assert anchored.code == 0, anchored.err
    assert anchored.err == ""
    assert re.search(r"^anchored by:\s+previous export \(size \d+\)$", anchored.out, re.M)

    as_json = cli(
        "verify-export", "--entry", str(proof), "--previous", str(earlier), "--json", env=NO_VAULT
    )
    assert as_json.code == 0
    verdict = json.loads(as_json.out)
    assert verdict["status"] == "verified"
    assert verdict["summary"]["type"] == "token.revoke"
    assert verdict["summary"]["seq"] == seq

    # after the recorded checkpoint: the tree extends it, but nothing vouches for the keys
    after = cli("verify-export", "--entry", str(proof), "--previous", checkpoint, env=NO_VAULT)
    assert after.code == 1, after.err
    assert "comes after the previous checkpoint" in after.err
    # an entry inside the recorded checkpoint is anchored by it
    inside = tmp_path / "genesis.proof.json"
    prove(cli, 0, inside)
    ok = cli("verify-export", "--entry", str(inside), "--previous", checkpoint, env=NO_VAULT)
    assert ok.code == 0, ok.err


def test_prove_since_a_recorded_size(cli: Cli, tmp_path: Path) -> None:
    seq = revoke(cli, "stripe-live")
    out = tmp_path / "audit.jsonl"
    export(cli, out)
    checkpoint = record_of(cli("verify-export", str(out), env=NO_VAULT).out)
    # a checkpoint the auditor recorded at seq + 1 (not an export point)
    lines = out.read_bytes().split(b"\n")[1 : seq + 2]
    recorded = f"{seq + 1}:{root_of([hash_leaf(line) for line in lines]).hex()}"
    assert recorded != checkpoint
    proof = tmp_path / "p.json"
    prove(cli, seq, proof)
    missing = cli("verify-export", "--entry", str(proof), "--previous", recorded, env=NO_VAULT)
    assert missing.code == 1
    assert f"re-run journal prove with --since {seq + 1}" in missing.err
    prove(cli, seq, proof, seq + 1)
    tied = cli("verify-export", "--entry", str(proof), "--previous", recorded, env=NO_VAULT)
    assert tied.code == 0, tied.err


def test_prove_usage_errors_exit_2(cli: Cli, tmp_path: Path) -> None:
    size = cli.journal_size()
    out = tmp_path / "p.json"
    assert_one_line_error(
        cli("journal", "prove", str(size), str(out)), 2, f"no journal entry {size}"
    )
    assert_one_line_error(
        cli("journal", "prove", "0", str(out), "--since", str(size + 1)), 2, "consistency"
    )
    assert_one_line_error(cli("journal", "prove", "0", str(out), "--since", "0"), 2, "--since")
    assert not out.exists()

    prove(cli, 0, out)
    export(cli, tmp_path / "a.jsonl")
    both = cli("verify-export", str(tmp_path / "a.jsonl"), "--entry", str(out), env=NO_VAULT)
    assert_one_line_error(both, 2, "exactly one")
    neither = cli("verify-export", env=NO_VAULT)
    assert_one_line_error(neither, 2, "exactly one")
    pinned = cli("verify-export", "--entry", str(out), "--genesis", "0" * 64, env=NO_VAULT)
    assert_one_line_error(pinned, 2, "--genesis")
    missing = cli("verify-export", "--entry", str(tmp_path / "nope.json"), env=NO_VAULT)
    assert_one_line_error(missing, 2, "cannot read the proof")


def test_tampered_proof_exits_4(cli: Cli, tmp_path: Path) -> None:
    seq = revoke(cli, "stripe-live")
    out = tmp_path / "p.json"
    prove(cli, seq, out)
    proof = json.loads(out.read_bytes())
    proof["entry"] = proof["entry"].replace('"compromised"', '"other"')
    bad = tmp_path / "bad.json"
    bad.write_bytes(canonical_bytes(proof) + b"\n")
    result = cli("verify-export", "--entry", str(bad), env=NO_VAULT)
    assert_one_line_error(result, 4, "proof: the inclusion path does not lead")
    as_json = cli("verify-export", "--entry", str(bad), "--json", env=NO_VAULT)
    assert as_json.code == 4
    assert json.loads(as_json.out)["failure"]["reason"].startswith("the inclusion path")
