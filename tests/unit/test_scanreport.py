"""Scan baselines (domain/scanreport.py): strict reading, what an entry accepts, and what
`--write-baseline` writes."""

from __future__ import annotations

import json

import pytest

from tokenvault.domain.scanreport import (
    LEAK,
    SHADOW,
    Baseline,
    BaselineEntry,
    BaselineError,
    ScanFinding,
    accept,
    baseline_bytes,
    parse_baseline,
    report_path,
)

FP_A = "hmac-sha256:k1:" + "aa" * 16
FP_B = "hmac-sha256:k1:" + "bb" * 16


def finding(
    fp: str = FP_A, path: str = "deploy/.env", line: int = 3, kind: str = SHADOW
) -> ScanFinding:
    return ScanFinding(kind, path, line, 1, fp, "Slack Token", "SLACK=«Slack Token»")


def document(*entries: object, **top: object) -> bytes:
    doc = {"format": "tokenvault-scan-baseline", "version": 1, "findings": list(entries), **top}
    return json.dumps(doc).encode()


def test_a_written_baseline_reads_back_and_accepts_its_findings() -> None:
    found = [finding(), finding(line=9), finding(FP_B, "ci/run.sh", kind=LEAK)]
    baseline = accept(found, Baseline(), "test fixtures")
    assert [(e.path, e.fingerprint) for e in baseline.entries] == [
        ("ci/run.sh", FP_B),
        ("deploy/.env", FP_A),
    ]  # one entry per (fingerprint, path), sorted by path
    again = parse_baseline(baseline_bytes(baseline), "b.json")
    assert again == baseline
    matcher = again.matcher()
    assert all(matcher[f.key] == "test fixtures" for f in found)
    assert finding(path="other/.env").key not in matcher  # the same secret elsewhere is new


def test_rewriting_keeps_old_reasons_and_drops_what_is_gone() -> None:
    old = Baseline(
        (
            BaselineEntry(FP_A, "deploy/.env", SHADOW, "Slack Token", "revoked in 2025"),
            BaselineEntry(FP_B, "gone.txt", LEAK, "x v1", "fixture"),
        )
    )
    new = accept([finding(), finding(FP_B, "ci/run.sh")], old, "accepted by alice")
    assert {e.path: e.reason for e in new.entries} == {
        "deploy/.env": "revoked in 2025",
        "ci/run.sh": "accepted by alice",
    }


def test_baseline_paths_are_normalised() -> None:
    entry = {"fingerprint": FP_A, "path": "./deploy//.env"}
    baseline = parse_baseline(document(entry), "b.json")
    assert baseline.entries[0].path == "deploy/.env"
    assert report_path("./deploy/../deploy/.env") == "deploy/.env"
    assert report_path("evil\x1b[2J.txt") == "evil\ufffd[2J.txt"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff", "not valid UTF-8"),
        (b"{", "b.json:1: not valid JSON"),
        (b"[]", "not a tokenvault scan baseline"),
        (document(version=2), "unsupported baseline version"),
        (document(findings={}), "must be an array"),
        (document({"path": "a"}), "finding 1: must be an object with fingerprint and path"),
        (document({"fingerprint": "ghp_secretvalue", "path": "a"}), "finding 1: fingerprint"),
        (document({"fingerprint": FP_A, "path": ""}), "path must be"),
        (document({"fingerprint": FP_A, "path": "a", "kind": "x"}), "kind must be"),
        (document({"fingerprint": FP_A, "path": "a", "secret": "s"}), "unknown field 'secret'"),
        (document({"fingerprint": FP_A, "path": "a", "reason": 3}), "reason must be a string"),
    ],
)
def test_a_bad_baseline_is_one_clear_error_without_values(data: bytes, problem: str) -> None:
    with pytest.raises(BaselineError, match=problem) as caught:
        parse_baseline(data, "b.json")
    assert "ghp_secretvalue" not in str(caught.value)
