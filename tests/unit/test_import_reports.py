"""The scanner-report parsers on the samples in tests/data/import/: every finding each report
holds (report line, detector, path, line, commit, secret or SHA-1), and each malformed
report's exact error (file:line: problem, naming the field and never a value)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain import journal_schema, limits
from tokenvault.domain.imports import (
    FORMATS,
    REPORT_FORMATS,
    ImportFormatError,
    ReportFinding,
    parse_report,
)

DATA = Path(__file__).parents[1] / "data" / "import"

# The fake, credential-shaped secrets planted in the samples.
GH = "ghp_FAKEtokenvaultSample0000000000000001"
AWS = "AKIAFAKE0SAMPLE00001"
AWS_SECRET = "FAKEsampleAwsSecretKey000000000000000001"  # only in trufflehog's RawV2
SLACK = "xoxb-0000000000-0000000000000-FAKEsampleSlackBot0001"
GL = "glpat-FAKEsample0000000001"
PLANTED = (GH, AWS, AWS_SECRET, SLACK, GL)
C1 = "3f2a9c1e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a90"
C2 = "8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"

Row = tuple[int, str, str, int | None, str, bytes | None, str | None, bool | None]


def rows(findings: list[ReportFinding]) -> list[Row]:
    return [
        (
            f.record,
            f.detector,
            f.path,
            f.line,
            f.commit,
            None if f.secret is None else f.secret.expose(),
            f.sha1,
            f.verified,
        )
        for f in findings
    ]


def sample(name: str, fmt: str) -> list[ReportFinding]:
    return parse_report(fmt, (DATA / name).read_bytes(), file=name)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - detect-secrets' own hash


def test_report_formats_match_the_journal_schema() -> None:
    assert REPORT_FORMATS == journal_schema.REPORT_FORMATS
    assert not set(REPORT_FORMATS) & set(FORMATS)  # `import` does not offer them (yet)


def test_gitleaks() -> None:
    got = sample("gitleaks.json", "gitleaks-json")
    assert rows(got) == [
        (2, "github-pat", "src/deploy.py", 12, C1, GH.encode(), None, None),
        (22, "aws-access-token", "config/aws.env", 3, C1, AWS.encode(), None, None),
        (42, "github-pat", ".github/workflows/release.yml", 27, C2, GH.encode(), None, None),
        (62, "slack-bot-token", "scripts/notify.sh", 8, C2, SLACK.encode(), None, None),
    ]
    assert not any(s in repr(got) for s in PLANTED)  # the secret field is left out of repr


def test_gitleaks_empty_report_is_a_clean_scan() -> None:
    assert sample("gitleaks-empty.json", "gitleaks-json") == []


def test_gitleaks_bom_and_crlf() -> None:
    assert rows(sample("gitleaks-bom-crlf.json", "gitleaks-json")) == [
        (2, "aws-access-token", "config/aws.env", 3, C1, AWS.encode(), None, None)
    ]


def test_trufflehog() -> None:
    got = sample("trufflehog.jsonl", "trufflehog-json")
    assert rows(got) == [
        (1, "Github", "src/deploy.py", 12, C1, GH.encode(), None, False),
        (2, "AWS", "config/aws.env", 3, C1, AWS.encode(), None, True),  # Raw, not RawV2
        (3, "Github", ".github/workflows/release.yml", 27, C2, GH.encode(), None, False),
        (5, "Gitlab", "scripts/notify.sh", 9, C2, GL.encode(), None, False),  # line 4 is blank
    ]
    assert AWS_SECRET not in repr(got)


def _th(data: dict[str, Any] | None, **extra: Any) -> str:
    record: dict[str, Any] = {"DetectorName": "Github", "Raw": GH, **extra}
    if data is not None:
        record["SourceMetadata"] = {"Data": data}
    return json.dumps(record)


def test_trufflehog_sources_crlf_and_bom() -> None:
    lines = [
        _th({"Filesystem": {"file": "/srv/app/.env", "line": 4}}),
        _th({"Stdin": {}}),
        _th({"Slack": {"channel_name": "ops", "link": "https://example.slack.com/archives/C0"}}),
        _th({"GCS": {"bucket": "b", "filename": "dump.sql"}}),
        _th({"Git": {"file": "a.py", "line": 0, "commit": C1}}),
        _th(None, Verified=True),
    ]
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n\r\n").encode()
    assert [
        (f.record, f.path, f.line, f.commit, f.verified)
        for f in parse_report("trufflehog-json", data, file="t.jsonl")
    ] == [
        (1, "/srv/app/.env", 4, "", None),
        (2, "", None, "", None),
        (3, "https://example.slack.com/archives/C0", None, "", None),
        (4, "dump.sql", None, "", None),
        (5, "a.py", None, C1, None),  # line 0: unknown
        (6, "", None, "", True),
    ]


def test_detect_secrets() -> None:
    got = sample("detect-secrets.json", "detect-secrets-json")
    assert rows(got) == [
        (31, "GitHub Token", ".github/workflows/release.yml", 27, "", None, sha1(GH), False),
        (40, "AWS Access Key", "config/aws.env", 3, "", None, sha1(AWS), False),
        (47, "Secret Keyword", "config/aws.env", 4, "", None, sha1(AWS_SECRET), False),
        (56, "GitHub Token", "src/deploy.py", 12, "", None, sha1(GH), False),
    ]


def test_detect_secrets_minimal_and_old_baselines() -> None:
    upper = "A" * 40
    data = json.dumps(
        {"results": {"x.py": [{"type": "Hex High Entropy String", "hashed_secret": upper}]}}
    )
    assert rows(parse_report("detect-secrets-json", data.encode(), file="b")) == [
        (1, "Hex High Entropy String", "x.py", None, "", None, "a" * 40, None)
    ]
    assert parse_report("detect-secrets-json", b'{"results": {}}', file="b") == []


REDACTED = "Secret: secrets are redacted (gitleaks --redact); re-run without --redact to import"
NOT_A_LINE = "not a JSON object (is this a log line?)"

MALFORMED = [  # (sample, format, "line: problem")
    ("gitleaks-redacted.json", "gitleaks-json", f"2: {REDACTED}"),
    ("gitleaks-not-array.json", "gitleaks-json", "1: not a JSON array of findings"),
    ("gitleaks-missing-secret.json", "gitleaks-json", "22: Secret is missing"),
    (
        "gitleaks-truncated.json",
        "gitleaks-json",
        "31: not JSON (Expecting property name enclosed in double quotes)",
    ),
    ("detect-secrets.json", "gitleaks-json", "1: not a JSON array of findings"),
    ("trufflehog-bad-line.jsonl", "trufflehog-json", f"2: {NOT_A_LINE}"),
    ("trufflehog-missing-raw.jsonl", "trufflehog-json", "2: Raw is missing"),
    ("gitleaks.json", "trufflehog-json", f"1: {NOT_A_LINE}"),
    (
        "detect-secrets-bad-hash.json",
        "detect-secrets-json",
        "47: hashed_secret: must be 40 hex digits (SHA-1)",
    ),
    (
        "gitleaks.json",
        "detect-secrets-json",
        "1: not a detect-secrets baseline (a JSON object with results)",
    ),
]


@pytest.mark.parametrize(("name", "fmt", "problem"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_sample(name: str, fmt: str, problem: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        sample(name, fmt)
    assert str(caught.value) == f"{name}:{problem}"
    assert not any(s in str(caught.value) for s in PLANTED)


def _gl(**changes: Any) -> dict[str, Any]:
    record = {"RuleID": "github-pat", "File": "a.py", "StartLine": 3, "Secret": GH, "Match": GH}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


def _gitleaks_error(*records: dict[str, Any]) -> str:
    data = json.dumps(list(records), indent=1).encode()
    with pytest.raises(ImportFormatError) as caught:
        parse_report("gitleaks-json", data, file="g.json")
    assert GH not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Secret": ""}, "Secret: the secret is empty"),
        (
            {"Secret": "x" * limits.SECRET_MAX_BYTES + "x"},
            "Secret: the secret is larger than 65536 bytes",
        ),
        ({"Secret": 12}, "Secret: must be text"),
        ({"Secret": "\ud800" + GH}, "Secret: the secret is not valid Unicode"),
        ({"RuleID": ...}, "RuleID is missing"),
        ({"RuleID": " "}, "RuleID must not be empty"),
        ({"RuleID": "r" * 201}, "RuleID is longer than 200 characters"),
        ({"File": ...}, "File is missing"),
        ({"File": "d/" * 251}, "File is longer than 500 characters"),
        ({"File": "a\nb.py"}, "File contains a control or bidi character (U+000A)"),
        ({"StartLine": "3"}, "StartLine: must be a whole number"),
        ({"StartLine": True}, "StartLine: must be a whole number"),
        ({"StartLine": -1}, "StartLine: must be a line number"),
        ({"Commit": ["abc"]}, "Commit: must be text"),
    ],
)
def test_gitleaks_field_errors(changes: dict[str, Any], problem: str) -> None:
    assert _gitleaks_error(_gl(), _gl(**changes)) == f"g.json:9: {problem}"


def test_gitleaks_optional_fields() -> None:
    data = json.dumps([_gl(StartLine=..., Commit=...), _gl(StartLine=0, File="")]).encode()
    got = parse_report("gitleaks-json", data, file="g")
    assert [(f.record, f.path, f.line, f.commit) for f in got] == [
        (1, "a.py", None, ""),
        (1, "", None, ""),
    ]


def test_gitleaks_partial_redaction() -> None:
    """--redact=N keeps a prefix of each secret and appends "...": an error when every secret
    ends so (one secret that happens to end in "..." is kept)."""
    partly = [_gl(Secret=GH[:10] + "..."), _gl(Secret=AWS[:6] + "...")]
    assert _gitleaks_error(*partly) == f"g.json:2: {REDACTED}"
    data = json.dumps([partly[0], _gl()]).encode()
    assert len(parse_report("gitleaks-json", data, file="g")) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "r: empty file: not a JSON array of findings"),
        (b"\n  \n", "r: empty file: not a JSON array of findings"),
        (b"[\n{}, \xff]", "r:2: not valid UTF-8"),
        (b"[\n 1\n]", "r:2: the finding is not a JSON object"),
        (b"[\n] x", "r:2: not JSON (Extra data)"),
        (f"[\n{json.dumps(_gl())}\n{{}}]".encode(), "r:3: not JSON (Expecting ',' delimiter)"),
        (b"[\n", "r:2: not JSON (Expecting value)"),
        (b'[\n{"Secret": "a}]', "r:2: not JSON (Unterminated string starting at)"),
        (b"nope", "r:1: not JSON (Expecting value)"),
        (b"[" * 100_000, "r:1: not JSON (nested too deeply)"),
        (b"[" + b"1" * 5000 + b"]", "r:1: not JSON (a number is too long)"),
    ],
)
def test_gitleaks_document_errors(data: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_report("gitleaks-json", data, file="r")
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (_th({"Git": {"file": "a"}}, Raw=""), "Raw: the secret is empty"),
        (_th({"Git": {"file": "a"}}, DetectorName=None), "DetectorName is missing"),
        (_th({"Git": {"file": "a"}}, Verified="yes"), "Verified: must be true or false"),
        (_th({"Git": {"file": "a", "line": 2.5}}), "line: must be a whole number"),
        (_th({"Git": {"file": 7}}), "file: must be text"),
        (_th({"Git": {}, "Filesystem": {}}), "SourceMetadata.Data: must name exactly one source"),
        (_th({"Git": "a.py"}), "SourceMetadata.Data's source is not a JSON object"),
        ('{"Raw": "' + GH + '", "DetectorName": "x"', "not JSON (Expecting ',' delimiter)"),
        ("[1]", "not a JSON object (is this a log line?)"),
        ("{} {}", "not JSON (Extra data)"),
    ],
)
def test_trufflehog_errors(line: str, problem: str) -> None:
    data = f"{_th({'Git': {'file': 'ok'}})}\n\n{line}\n".encode()
    with pytest.raises(ImportFormatError) as caught:
        parse_report("trufflehog-json", data, file="t")
    assert str(caught.value) == f"t:3: {problem}"
    assert GH not in str(caught.value)


def test_trufflehog_empty_report_is_a_clean_scan() -> None:
    assert parse_report("trufflehog-json", b"", file="t") == []
    assert parse_report("trufflehog-json", b"\n\r\n", file="t") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "d: not a detect-secrets baseline: results is missing"),
        ('{"results": []}', "d:1: results: must be a JSON object"),
        ('{"results": {}, "results": {}}', "d:1: results appears twice"),
        ('{"results": {"a": {}}}', "d:1: results: each file must map to a JSON array"),
        (
            '{"results": {"a\\u0007": []}}',
            "d:1: results contains a control or bidi character (U+0007)",
        ),
        ('{"results": {"a": [7]}}', "d:1: the result is not a JSON object"),
        ('{"results": {"a": [{"type": "t"}]}}', "d:1: hashed_secret is missing"),
        ('{"results": {"a": [{"hashed_secret": "' + "a" * 40 + '"}]}}', "d:1: type is missing"),
        (
            '{"results": {"a": [{"type": "t", "hashed_secret": "' + "g" * 40 + '"}]}}',
            "d:1: hashed_secret: must be 40 hex digits (SHA-1)",
        ),
        ('{"results": {"a": [}}', "d:1: not JSON (Expecting value)"),
        ('{"results" {}}', "d:1: not JSON (Expecting ':' delimiter)"),
        ("{1: 2}", "d:1: not JSON (Expecting property name enclosed in double quotes)"),
        ("[]", "d:1: not a detect-secrets baseline (a JSON object with results)"),
    ],
)
def test_detect_secrets_errors(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_report("detect-secrets-json", text.encode(), file="d")
    assert str(caught.value) == message


def test_unknown_report_format() -> None:
    with pytest.raises(ImportFormatError, match=r"^r: unknown report format 'sarif'$"):
        parse_report("sarif", b"[]", file="r")


def test_large_report_parses_in_linear_time() -> None:
    """Record lines are counted incrementally; a per-record recount would take minutes here."""
    record = json.loads((DATA / "gitleaks.json").read_text())[0]
    data = json.dumps([record] * 30_000, indent=1).encode()
    started = time.perf_counter()
    got = parse_report("gitleaks-json", data, file="big")
    assert time.perf_counter() - started < 10
    assert got[-1].record == 2 + 20 * 29_999


# --- a corrupted report never puts the secret in its error ----------------------------------

SECRET = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'),
    min_size=12,
    max_size=40,
).map(lambda s: "SeCrEt" + s)


def _report(fmt: str, secret: str) -> bytes:
    """A valid report with the secret in every place a scanner writes one (and more)."""
    if fmt == "gitleaks-json":
        records = [_gl(Secret=secret, Match=f"token={secret}", Description=secret)] * 2
        return json.dumps(records, indent=1).encode()
    if fmt == "trufflehog-json":
        line = _th(
            {"Git": {"file": "a.py", "line": 2}},
            Raw=secret,
            RawV2=secret + ":x",
            ExtraData={"hint": secret},
        )
        return f"{line}\n{line}\n".encode()
    result = {
        "type": "Secret Keyword",
        "hashed_secret": sha1(secret),
        "line_number": 1,
        "note": secret,
    }
    return json.dumps({"version": "1.5.0", "results": {"a.py": [result]}}, indent=2).encode()


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, str, bytes]:
    fmt = draw(st.sampled_from(REPORT_FORMATS))
    secret = draw(SECRET)
    data = bytearray(_report(fmt, secret))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        if edit == "truncate":
            del data[at:]
            continue
        if edit == "delete":
            del data[at : at + draw(st.integers(1, 8))]
            continue
        byte = draw(st.sampled_from(b'{}[],:"\\ \n0tn\xff') | st.integers(0, 255))
        data[at : at + (edit == "replace")] = bytes([byte])
    return fmt, secret, bytes(data)


@given(case=corrupted())
def test_corrupted_reports_never_echo_the_secret(case: tuple[str, str, bytes]) -> None:
    fmt, secret, data = case
    try:
        shown = repr(parse_report(fmt, data, file="r"))  # the secret field is left out of repr
    except ImportFormatError as exc:
        shown = str(exc)
        assert shown.startswith("r")
    assert secret not in shown
    assert secret[:16] not in shown
