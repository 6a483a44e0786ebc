"""The import parsers on the sample files in tests/data/import/: what each format maps to
which token field, and each malformed sample's exact error (file:line: problem, no value)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.imports import ImportFormatError, parse

DATA = Path(__file__).parents[1] / "data" / "import"


def records(name: str, fmt: str) -> list[tuple[int, dict[str, object], bytes]]:
    parsed = parse(fmt, (DATA / name).read_bytes(), file=name)
    return [(r.line, r.fields, r.secret.expose()) for r in parsed]


def test_our_csv() -> None:
    got = records("tokens.csv", "csv")
    assert [(line, fields["name"]) for line, fields, _ in got] == [
        (2, "github-deploy"),
        (3, "stripe-live"),
        (4, "slack-bot"),
    ]
    _, fields, secret = got[0]
    assert secret == b"ghp_sampleDeployToken0001"
    assert fields == {
        "name": "github-deploy",
        "service": "github",
        "environment": "production",
        "owner": "platform",
        "notes": "deploy key, rotated by hand",
        "scopes": ("repo", "workflow"),
        "used_by": ("ci: deploy.yml",),
        "tags": ("team-a", "ci"),
        "expires_at": datetime(2027, 3, 1, tzinfo=UTC),
        "rotate_every_days": 90,
    }
    assert got[1][1]["expires_at"] == datetime(2027, 1, 15, 12, tzinfo=UTC)


def test_bom_and_crlf_are_accepted() -> None:
    assert records("bom-crlf.csv", "csv") == [
        (2, {"name": "crlf-one", "service": "aws"}, b"crlf-secret-0001")
    ]


def test_env() -> None:
    got = records("sample.env", "env")
    assert [(line, fields["name"], secret) for line, fields, secret in got] == [
        (2, "github-token", b"ghp_envSample0001"),
        (3, "aws-secret-access-key", b'aws/env"Sample0002'),
        (5, "slack-webhook", b"https://hooks.example.invalid/T000/B000/xyz"),
        (6, "sentry-dsn", b"sentryEnvSample0004"),
    ]
    assert got[0][1]["used_by"] == ("env:GITHUB_TOKEN",)


def test_keepassxc_current_and_old_headers() -> None:
    got = records("keepassxc.csv", "keepassxc-csv")
    assert [(line, fields["name"]) for line, fields, _ in got] == [
        (2, "GitHub deploy"),
        (4, "Datadog API"),  # the quoted notes of line 2 span two lines
    ]
    _, fields, secret = got[0]
    assert secret == b"kpxcSamplePassword0001"
    assert fields == {
        "name": "GitHub deploy",
        "service": "github.com",
        "notes": "username: ci-bot | line one line two",
        "tags": ("group:Root/CI",),
        "issued_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    assert got[1][1]["service"] == "app.datadoghq.com"
    assert "JBSWY3DPEHPK3PXP" not in repr(got)  # the TOTP seed is never imported
    assert records("keepassxc-old.csv", "keepassxc-csv")[0][1]["name"] == "Old entry"


def test_bitwarden_logins_only() -> None:
    got = records("bitwarden.csv", "bitwarden-csv")
    assert [(line, fields["name"], secret) for line, fields, secret in got] == [
        (2, "npm publish", b"bwSamplePassword0001"),
        (4, "pypi upload", b"bwSamplePassword0002"),
    ]
    assert got[1][1] == {
        "name": "pypi upload",
        "service": "upload.pypi.org",
        "notes": "username: __token__ | token for CI",
        "tags": ("folder:Infra",),
    }
    assert "bwHiddenFieldSample" not in repr(got)
    assert "JBSWY3DPEHPK3PXP" not in repr(got)


MALFORMED = [
    ("bad-utf8.csv", "csv", "bad-utf8.csv:3: not valid UTF-8"),
    ("missing-column.csv", "csv", "missing-column.csv:1: missing column(s): secret"),
    (
        "bad-date.csv",
        "csv",
        "bad-date.csv:2: expires_at: not a date (use YYYY-MM-DD or an ISO date-time with a zone)",
    ),
    ("duplicate-name.csv", "csv", "duplicate-name.csv:4: name 'twice' is also on line 2"),
    ("duplicate-secret.csv", "csv", "duplicate-secret.csv:3: the secret is the same as on line 2"),
    ("empty-secret.csv", "csv", "empty-secret.csv:2: secret: the secret is empty"),
    ("oversized-name.csv", "csv", "oversized-name.csv:2: name is longer than 200 characters"),
    (
        "oversized-secret.csv",
        "csv",
        "oversized-secret.csv:2: secret: the secret is larger than 65536 bytes",
    ),
    ("unknown-column.csv", "csv", "unknown-column.csv:1: unknown column(s): 'colour'"),
    ("wrong-field-count.csv", "csv", "wrong-field-count.csv:2: 3 fields, but the header has 2"),
    ("bad-line.env", "env", "bad-line.env:2: not a KEY=VALUE line"),
    ("unterminated.env", "env", "unterminated.env:1: unterminated double quote"),
    ("empty-value.env", "env", "empty-value.env:1: EMPTY_ONE: the secret is empty"),
    (
        "keepassxc-missing-password.csv",
        "keepassxc-csv",
        "keepassxc-missing-password.csv:1: missing column(s): Password",
    ),
    ("tokens.csv", "bitwarden-csv", "tokens.csv:1: missing column(s): type, login_password"),
]


@pytest.mark.parametrize(("name", "fmt", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_sample(name: str, fmt: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse(fmt, (DATA / name).read_bytes(), file=name)
    assert str(caught.value) == message


def test_empty_file_and_header_only() -> None:
    with pytest.raises(ImportFormatError, match=r"^x.csv: empty file: no header line$"):
        parse("csv", b"", file="x.csv")
    with pytest.raises(ImportFormatError, match=r"^x.csv: no records to import$"):
        parse("csv", b"name,secret\n", file="x.csv")


# A marker prefix, so a secret cannot be a word the message has anyway ("rotate_every…").
SECRET = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'#\\,;"),
    min_size=12,
    max_size=40,
).map(lambda tail: "Zq9" + tail)


@given(secret=SECRET, where=st.sampled_from(["expires_at", "rotate_every_days", "name"]))
def test_errors_never_echo_the_secret(secret: str, where: str) -> None:
    """A record broken in any field: the message names line and field, never the secret."""
    cells = {"name": "n" * 201 if where == "name" else "ok", "expires_at": "", "days": ""}
    if where == "expires_at":
        cells["expires_at"] = "someday"
    if where == "rotate_every_days":
        cells["days"] = "0"
    data = (
        "name,secret,expires_at,rotate_every_days\n"
        f"{cells['name']},{secret},{cells['expires_at']},{cells['days']}\n"
    ).encode()
    with pytest.raises(ImportFormatError) as caught:
        parse("csv", data, file="f.csv")
    assert str(caught.value).startswith("f.csv:2: ")
    assert secret not in str(caught.value)


@given(value=SECRET)
def test_env_value_round_trips_and_stays_out_of_errors(value: str) -> None:
    assert parse("env", f"KEY_A={value}\n".encode(), file="e")[0].secret.expose() == value.encode()
    with pytest.raises(ImportFormatError) as caught:
        parse("env", f"KEY_A={value}\nKEY_B={value}\n".encode(), file="e")
    assert value not in str(caught.value)
