"""The token commands through the real console script: add, edit, ls, show, get, rotate,
revoke and review (issue #3).

Each test checks the exit code, the exact stdout or JSON shape, and that the journal grew by
exactly the expected entries (none on a failure). The `tv` fixture keeps one in-process
session open on the test's vault to read the journal (and to seed tokens cheaply, so most
subprocesses are the command under test); at teardown it checks that no secret the test used
appeared in any output but `get`'s stdout, nor in any journal line.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, Result, assert_one_line_error, secret_file
from tests.conftest import PASSPHRASE, Template
from tokenvault import services
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import RevokeReason, Secret, Token
from tokenvault.domain.timefmt import parse_ts
from tokenvault.services import TokenDraft

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
FINGERPRINT = re.compile(r"hmac-sha256:k\d+:[0-9a-f]{32}")
REQUIRED_KEYS = (
    "id",
    "name",
    "service",
    "environment",
    "owner",
    "scopes",
    "used_by",
    "tags",
    "notes",
    "created_at",
    "expires_at",
    "rotate_every_days",
    "last_rotated_at",
    "rotation_due_at",
    "last_reviewed_at",
    "status",
    "version",
    "revoked_at",
    "revoke_reason",
)
LIST_KEYS = ("scopes", "used_by", "tags")
TIME_KEYS = (
    "created_at",
    "expires_at",
    "last_rotated_at",
    "rotation_due_at",
    "last_reviewed_at",
    "revoked_at",
)
TABLE_HEADERS = ["NAME", "SERVICE", "ENV", "OWNER", "EXPIRES", "ROTATE BY", "NEXT", "STATUS"]
PEM = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
    b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    b"QyNTUxOQAAACDx0tvM2fakeKeyMaterialForTestsOnly0123456789abcdefAAAAJgQ==\n"
    b"-----END OPENSSH PRIVATE KEY-----"
)


def now() -> datetime:
    return datetime.now(UTC)


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def near(text: str, expected: datetime, slack: timedelta = timedelta(minutes=2)) -> bool:
    """A journal/JSON timestamp within `slack` of what the test computed."""
    return abs(parse_ts(text) - expected) <= slack


def parse_json(result: Result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def check_record(record: dict[str, Any]) -> None:
    """The `ls --json` / `show --json` contract: every key, arrays, null or canonical times."""
    missing = [k for k in REQUIRED_KEYS if k not in record]
    assert not missing, missing
    for key in LIST_KEYS:
        assert isinstance(record[key], list), key
        assert all(isinstance(item, str) for item in record[key]), key
    for key in TIME_KEYS:
        assert record[key] is None or TS.fullmatch(record[key]), (key, record[key])
    for key in ("id", "version"):
        assert type(record[key]) is int, key
    assert record["rotate_every_days"] is None or type(record["rotate_every_days"]) is int
    assert record["status"] in {"ok", "due", "overdue", "expired", "revoked"}


def columns(header: str, line: str) -> dict[str, str]:
    """Cut a table row at the header's column starts (cells may be empty)."""
    starts = [header.index(name) for name in TABLE_HEADERS]
    ends = [*starts[1:], None]
    return {
        name: line[start:end].strip()
        for name, start, end in zip(TABLE_HEADERS, starts, ends, strict=True)
    }


def show_fields(out: str) -> dict[str, str]:
    """`show`'s aligned `key: value` block (up to the first blank line)."""
    block = out.split("\n\n", 1)[0]
    pairs = (line.split(":", 1) for line in block.splitlines())
    return {key: value.strip() for key, value in pairs}


@dataclass
class Vault:
    """The test's vault: the CLI runner, an open session to read the journal, and a record of
    every output and secret for the leak check."""

    cli: Cli
    session: services.Session
    known: list[Entry] = field(default_factory=list)
    secrets: list[bytes] = field(default_factory=list)
    outputs: list[tuple[str, Result]] = field(default_factory=list)

    # ---- running the CLI -----------------------------------------------------------------

    def run(
        self, *args: str, stdin: bytes | str = b"", env: dict[str, str] | None = None
    ) -> Result:
        result = self.cli(*args, stdin=stdin, env=env)
        assert "Traceback" not in result.err
        self.outputs.append((args[0] if args else "", result))
        return result

    def ok(self, *args: str, stdin: bytes | str = b"", env: dict[str, str] | None = None) -> Result:
        result = self.run(*args, stdin=stdin, env=env)
        assert result.code == 0, result.err
        assert result.err == ""
        return result

    def refused(
        self,
        code: int,
        *args: str,
        fragments: tuple[str, ...] = (),
        stdin: bytes | str = b"",
        env: dict[str, str] | None = None,
    ) -> Result:
        """An expected failure: one stderr line, the code, nothing on stdout, no entry."""
        result = self.run(*args, stdin=stdin, env=env)
        assert_one_line_error(result, code, *fragments)
        assert result.out == ""
        self.expect()
        return result

    def add(self, name: str, secret: bytes, *flags: str) -> str:
        """`add` with the secret on stdin; checks its one line and returns the fingerprint."""
        self.secrets.append(secret.removesuffix(b"\n"))
        result = self.ok("add", name, *flags, stdin=secret)
        line = re.fullmatch(rf"added {re.escape(name)} \(version 1, (\S+)\)\n", result.out)
        assert line, result.out
        assert FINGERPRINT.fullmatch(line.group(1))
        return line.group(1)

    # ---- the journal ---------------------------------------------------------------------

    def journal(self) -> list[Entry]:
        return list(reversed(services.journal.recent(self.session, limit=10**6)))

    def expect(self, *types: str) -> list[Entry]:
        """The entries written since the last call: exactly `types`, appended, nothing else."""
        entries = self.journal()
        assert entries[: len(self.known)] == self.known, "the journal was rewritten"
        new = entries[len(self.known) :]
        assert [e.type for e in new] == list(types)
        self.known = entries
        return new

    def one(self, entry_type: str) -> dict[str, Any]:
        (entry,) = self.expect(entry_type)
        return copy.deepcopy(dict(entry.body))  # the test may change it; `known` must not

    # ---- in-process seeding and reads ----------------------------------------------------

    def seed(self, name: str, secret: bytes, **fields: Any) -> Token:
        fields.setdefault("owner", "platform")
        self.secrets.append(secret)
        token = services.tokens.add(self.session, TokenDraft(name=name, **fields), Secret(secret))
        self.expect("token.create")
        return token

    def token(self, name: str) -> Token:
        return services.tokens.get(self.session, name)

    def revoke(self, name: str) -> None:
        services.tokens.revoke(self.session, name, RevokeReason.OTHER)
        self.expect("token.revoke")

    # ---- the leak check ------------------------------------------------------------------

    def assert_no_secret_leaked(self) -> None:
        needles = [s for s in self.secrets if s]
        needles += [line for s in self.secrets for line in s.split(b"\n") if len(line) >= 16]
        for command, result in self.outputs:
            for needle in needles:
                if command != "get":
                    assert needle not in result.raw_out, (command, needle)
                assert needle not in result.err.encode(), (command, needle)
        for entry in self.journal():
            for needle in needles:
                assert needle not in entry.line_bytes, (entry.type, needle)


@pytest.fixture
def tv(cli: Cli) -> Iterator[Vault]:
    session = cli.session()
    try:
        vault = Vault(cli, session)
        vault.known = vault.journal()
        yield vault
        vault.assert_no_secret_leaked()
    finally:
        session.lock()


# ---- add, ls, show ---------------------------------------------------------------------


def test_add_with_every_flag_then_ls_and_show(tv: Vault) -> None:
    start = now()
    past_expiry = day(start - timedelta(days=30))
    fingerprint = tv.add(
        "github-deploy",
        b"ghp_tvTestEveryFlag0123456789abcdef\n",
        *("--owner", "platform", "--service", "github", "--env", "production"),
        *("--scope", "repo", "--scope", "read:org"),
        *("--used-by", "GitHub Actions deploy.yml", "--used-by", "host build-01"),
        *("--tag", "pci", "--tag", "tier-1", "--note", "deploy key for prod"),
        *("--expires", "+60d", "--rotate-every", "90d"),
    )
    body = tv.one("token.create")
    assert body["name"] == "github-deploy"
    assert (body["owner"], body["service"], body["environment"]) == (
        "platform",
        "github",
        "production",
    )
    assert body["scopes"] == ["repo", "read:org"]
    assert body["used_by"] == ["GitHub Actions deploy.yml", "host build-01"]
    assert body["tags"] == ["pci", "tier-1"]
    assert body["notes"] == "deploy key for prod"
    assert near(body["expires_at"], start + timedelta(days=60))
    assert body["rotate_every_days"] == 90
    assert body["version"] == 1
    assert body["fingerprint"] == fingerprint
    assert near(body["issued_at"], start)
    assert body["last_rotated_at"] == body["issued_at"]

    # Inventorying what already exists: past dates are accepted and show in the status.
    tv.add(
        "legacy-jenkins",
        b"jenkins-tvLegacyApiToken-77aa\n",
        *("--owner", "ci-team", "--issued", "-400d", "--last-rotated", "-200d"),
    )
    body = tv.one("token.create")
    assert near(body["issued_at"], start - timedelta(days=400))
    assert near(body["last_rotated_at"], start - timedelta(days=200))
    tv.add(
        "aws-retired",
        b"AKIA-tvRetiredKey-0099\n",
        *("--owner", "platform", "--service", "aws", "--issued", "-400d"),
        *("--expires", past_expiry),
    )
    assert tv.one("token.create")["expires_at"] == f"{past_expiry}T00:00:00.000Z"

    records = {rec["name"]: rec for rec in parse_json(tv.ok("ls", "--json"))}
    assert list(records) == ["aws-retired", "github-deploy", "legacy-jenkins"]
    for record in records.values():
        check_record(record)
    assert {name: rec["status"] for name, rec in records.items()} == {
        "aws-retired": "expired",
        "github-deploy": "ok",
        "legacy-jenkins": "overdue",
    }
    gh = records["github-deploy"]
    assert gh["scopes"] == ["repo", "read:org"]
    assert gh["used_by"] == ["GitHub Actions deploy.yml", "host build-01"]
    assert gh["tags"] == ["pci", "tier-1"]
    assert (gh["service"], gh["environment"], gh["owner"], gh["notes"]) == (
        "github",
        "production",
        "platform",
        "deploy key for prod",
    )
    assert gh["rotate_every_days"] == 90
    assert gh["version"] == 1
    assert gh["revoked_at"] is gh["revoke_reason"] is gh["last_reviewed_at"] is None
    legacy = records["legacy-jenkins"]  # absent optional values are null
    assert legacy["expires_at"] is legacy["rotate_every_days"] is None
    assert (legacy["scopes"], legacy["used_by"], legacy["tags"]) == ([], [], [])
    due = parse_ts(legacy["last_rotated_at"]) + timedelta(days=90)  # the policy's period
    assert parse_ts(legacy["rotation_due_at"]) == due

    shown = parse_json(tv.ok("show", "github-deploy", "--json"))
    check_record(shown)
    assert {k: v for k, v in shown.items() if k != "versions"} == gh
    assert shown["versions"] == [
        {
            "version": 1,
            "current": True,
            "fingerprint": fingerprint,
            "created_at": gh["created_at"],
            "created_by": "alice",
            "retired_at": None,
            "destroyed_at": None,
        }
    ]

    text = tv.ok("show", "github-deploy").out
    fields_ = show_fields(text)
    assert fields_["name"] == "github-deploy"
    assert fields_["status"] == "ok"
    assert fields_["scopes"] == "repo, read:org"
    assert fields_["used by"] == "GitHub Actions deploy.yml, host build-01"
    assert fields_["tags"] == "pci, tier-1"
    assert fields_["notes"] == "deploy key for prod"
    assert fields_["expires"] == gh["expires_at"]
    assert fields_["created"] == f"{gh['created_at']} by alice"
    assert re.search(rf"^  v1  current +{gh['created_at']}  alice  {fingerprint}$", text, re.M)
    assert re.search(r"^  #\d+  \S+  alice +token\.create$", text, re.M)
    assert "\x1b[" not in text  # no colour when stdout is not a terminal
    tv.expect()  # ls and show journal nothing


def test_a_past_last_rotated_alone_is_accepted_and_overdue(tv: Vault) -> None:
    r = tv.run("add", "old-webhook", "--owner", "ops", "--last-rotated", "-200d", stdin="tv-wh-1")
    tv.secrets.append(b"tv-wh-1")
    assert r.code == 0, r.err
    tv.expect("token.create")
    assert parse_json(tv.ok("ls", "--json"))[0]["status"] == "overdue"


def test_a_past_expiry_alone_is_accepted_and_expired(tv: Vault) -> None:
    r = tv.run("add", "old-pat", "--owner", "ops", "--expires", "-30d", stdin="tv-pat-expired-1")
    tv.secrets.append(b"tv-pat-expired-1")
    assert r.code == 0, r.err
    tv.expect("token.create")
    assert parse_json(tv.ok("ls", "--json"))[0]["status"] == "expired"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        pytest.param(b"tv-plain-8c1f0e27\n", b"tv-plain-8c1f0e27", id="trailing-newline"),
        pytest.param(PEM + b"\n", PEM, id="multi-line-pem"),
    ],
)
def test_the_secret_from_stdin_is_kept_byte_exact(tv: Vault, given: bytes, stored: bytes) -> None:
    fingerprint = tv.add("deploy-key", given, "--owner", "platform")
    tv.expect("token.create")

    got = tv.ok("get", "deploy-key")
    assert got.raw_out == stored  # exactly the bytes: no newline added when not a terminal
    body = tv.one("token.reveal")
    assert body == {
        "token": tv.token("deploy-key").id,
        "name": "deploy-key",
        "version": 1,
        "fingerprint": fingerprint,
        "how": "view",
    }


def test_a_duplicate_name_is_refused(tv: Vault) -> None:
    tv.seed("stripe-live", b"sk_live_tvDuplicate01")
    tv.secrets.append(b"sk_live_tvDuplicate02")
    tv.refused(
        2,
        "add",
        "stripe-live",
        "--owner",
        "payments",
        stdin="sk_live_tvDuplicate02",
        fragments=("already exists",),
    )
    assert tv.token("stripe-live").owner == "platform"


# ---- edit ------------------------------------------------------------------------------


def test_edit(tv: Vault) -> None:
    start = now()
    token = tv.seed(
        "ci-token",
        b"glpat-tvEdit0001",
        scopes=("api", "read_repository"),
        issued_at=start - timedelta(days=100),
    )
    tv.seed("other", b"glpat-tvEdit0002")

    # Metadata flags; list flags replace the whole list.
    out = tv.ok(
        "edit",
        "ci-token",
        *("--owner", "payments", "--service", "gitlab", "--env", "staging"),
        *("--note", "moved to payments", "--scope", "read_api", "--used-by", "runner-1"),
        *("--tag", "pci", "--tag", "tier-2", "--expires", "+30d", "--rotate-every", "60d"),
        *("--last-rotated", "-10d"),
    ).out
    assert out == "updated ci-token\n"
    body = tv.one("token.update")
    assert (body["token"], body["name"]) == (token.id, "ci-token")
    changes = body["changes"]
    assert set(changes) == {
        "owner",
        "service",
        "environment",
        "notes",
        "scopes",
        "used_by",
        "tags",
        "expires_at",
        "rotate_every_days",
        "last_rotated_at",
    }
    assert changes["owner"] == {"before": "platform", "after": "payments"}
    assert changes["scopes"] == {"before": ["api", "read_repository"], "after": ["read_api"]}
    assert changes["used_by"] == {"before": [], "after": ["runner-1"]}
    assert changes["tags"] == {"before": [], "after": ["pci", "tier-2"]}
    assert changes["rotate_every_days"] == {"before": None, "after": 60}
    assert changes["expires_at"]["before"] is None
    assert near(changes["expires_at"]["after"], start + timedelta(days=30))
    assert near(changes["last_rotated_at"]["after"], start - timedelta(days=10))

    # --add-scope / --remove-scope change the list in place; an empty --tag clears the
    # list and --expires never the expiry.
    r = tv.ok(
        *("edit", "ci-token", "--add-scope", "write_repository", "--add-scope", "deploy"),
        *("--remove-scope", "read_api", "--tag", "", "--expires", "never"),
    )
    assert r.out == "updated ci-token\n"
    changes = tv.one("token.update")["changes"]
    assert changes.pop("expires_at")["after"] is None
    assert changes == {
        "scopes": {"before": ["read_api"], "after": ["write_repository", "deploy"]},
        "tags": {"before": ["pci", "tier-2"], "after": []},
    }

    # --rename: the old name is gone, the journal names the token as it was.
    assert tv.ok("edit", "ci-token", "--rename", "gitlab-ci").out == "updated gitlab-ci\n"
    body = tv.one("token.update")
    assert body == {
        "token": token.id,
        "name": "ci-token",
        "changes": {"name": {"before": "ci-token", "after": "gitlab-ci"}},
    }
    edited = tv.token("gitlab-ci")
    assert edited.id == token.id
    assert (edited.owner, edited.service, edited.environment) == ("payments", "gitlab", "staging")
    assert edited.scopes == ("write_repository", "deploy")

    # Same values again: nothing changes and nothing is journaled.
    r = tv.ok(
        *("edit", "gitlab-ci", "--owner", "payments"),
        *("--scope", "write_repository", "--scope", "deploy"),
    )
    assert r.out == "gitlab-ci: nothing changed\n"
    tv.expect()

    tv.refused(2, "edit", "gitlab-ci", fragments=("nothing to change",))
    tv.refused(2, "edit", "gitlab-ci", "--rename", "other", fragments=("already exists",))
    assert tv.token("gitlab-ci") == edited


# ---- ls filters on a shared, read-only inventory ----------------------------------------


@pytest.fixture(scope="module")
def stocked(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One vault per module (per xdist worker) with a token in every status; tests only read."""
    root = tmp_path_factory.mktemp("stocked")
    shutil.copytree(template.path, root / "vault")
    home = root / "home"
    home.mkdir(mode=0o700)
    cli = Cli(root / "vault", home, secret_file(root / "passphrase", PASSPHRASE))
    t = now()
    drafts = [
        TokenDraft(
            name="gh-deploy",
            owner="platform",
            service="github",
            environment="production",
            scopes=("repo", "read:org"),
            tags=("pci",),
            used_by=("GitHub Actions",),
            expires_at=t + timedelta(days=200),
        ),
        TokenDraft(
            name="stripe-live",
            owner="payments",
            service="stripe",
            environment="production",
            used_by=("checkout API",),
            issued_at=t - timedelta(days=400),
            last_rotated_at=t - timedelta(days=200),
        ),
        TokenDraft(
            name="aws-old",
            owner="Platform",
            service="aws",
            environment="staging",
            tags=("legacy",),
            issued_at=t - timedelta(days=400),
            expires_at=t - timedelta(days=30),
        ),
        TokenDraft(
            name="sentry-ci",
            owner="platform",
            service="sentry",
            environment="ci",
            scopes=("project:write",),
            issued_at=t - timedelta(days=80),
        ),
        TokenDraft(name="npm-publish", owner="release", service="npm", environment="ci"),
    ]
    session = cli.session()
    try:
        for i, draft in enumerate(drafts):
            services.tokens.add(session, draft, Secret(f"tv-stocked-secret-{i}"))
        services.tokens.revoke(session, "npm-publish", RevokeReason.DECOMMISSIONED)
    finally:
        session.lock()
    return cli


def test_ls_table(stocked: Cli) -> None:
    r = stocked("ls")
    assert b"tv-stocked-secret" not in r.raw_out
    assert (r.code, r.err) == (0, "")
    header, *rows = r.out.splitlines()
    assert re.split(r"\s{2,}", header) == TABLE_HEADERS
    cells = {c["NAME"]: c for c in (columns(header, row) for row in rows)}
    assert list(cells) == ["aws-old", "gh-deploy", "npm-publish", "sentry-ci", "stripe-live"]
    assert {name: c["STATUS"] for name, c in cells.items()} == {
        "aws-old": "expired",
        "gh-deploy": "ok",
        "npm-publish": "revoked",
        "sentry-ci": "due",
        "stripe-live": "overdue",
    }
    gh = cells["gh-deploy"]
    assert (gh["SERVICE"], gh["ENV"], gh["OWNER"]) == ("github", "production", "platform")
    assert gh["EXPIRES"] in {day(now() + timedelta(days=d)) for d in (199, 200)}
    assert re.fullmatch(r"in (8[89]|90)d", gh["NEXT"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", gh["ROTATE BY"])
    assert cells["stripe-live"]["EXPIRES"] == "-"
    assert re.fullmatch(r"11[01]d late", cells["stripe-live"]["NEXT"])  # days are floored
    assert re.fullmatch(r"in (9|10)d", cells["sentry-ci"]["NEXT"])
    assert cells["npm-publish"]["NEXT"] == cells["npm-publish"]["ROTATE BY"] == "-"
    assert "\x1b[" not in r.out


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--status", "overdue", "--status", "expired"], ["aws-old", "stripe-live"]),
        (["--status", "revoked", "--status", "ok"], ["gh-deploy", "npm-publish"]),
        (["--owner", "PLATFORM"], ["aws-old", "gh-deploy", "sentry-ci"]),
        (["--env", "production"], ["gh-deploy", "stripe-live"]),
        (["--service", "Stripe"], ["stripe-live"]),
        (["--search", "Checkout api"], ["stripe-live"]),  # two words, in used_by
        (["--search", "READ:ORG pci"], ["gh-deploy"]),  # a scope and a tag
        (["--search", "staging legacy", "--owner", "platform"], ["aws-old"]),
        (["--env", "ci", "--search", "nothing-like-this"], []),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0].startswith("--") else None,
)
def test_ls_filters(stocked: Cli, args: list[str], names: list[str]) -> None:
    r = stocked("ls", *args, "--json")
    assert b"tv-stocked-secret" not in r.raw_out
    assert r.err == ""
    records = parse_json(r)
    assert [rec["name"] for rec in records] == names
    for record in records:
        check_record(record)


# ---- get, rotate -----------------------------------------------------------------------


def test_rotate_then_get_each_version(tv: Vault) -> None:
    first, second = b"sk_live_tvRotateFirst01", b"sk_live_tvRotateSecond2"
    old = tv.seed("stripe-live", first)
    start = now()

    r = tv.ok("rotate", "stripe-live", "--expires", "+300d", stdin=second + b"\n")
    tv.secrets.append(second)
    match = re.fullmatch(rf"rotated stripe-live to version 2 \(({FINGERPRINT.pattern})\)\n", r.out)
    assert match, r.out
    body = tv.one("token.rotate")
    assert body["version"] == 2
    assert body["fingerprint"] == match.group(1) != old.current.fingerprint
    assert body["retired"] == {"version": 1, "fingerprint": old.current.fingerprint}
    assert body["expires_at"]["before"] is None
    assert near(body["expires_at"]["after"], start + timedelta(days=300))

    assert tv.ok("get", "stripe-live").raw_out == second
    assert tv.one("token.reveal")["version"] == 2
    assert tv.ok("get", "stripe-live", "--version", "1").raw_out == first
    reveal = tv.one("token.reveal")
    assert (reveal["version"], reveal["fingerprint"], reveal["how"]) == (
        1,
        old.current.fingerprint,
        "view",
    )

    shown = parse_json(tv.ok("show", "stripe-live", "--json"))
    check_record(shown)
    assert shown["version"] == 2
    v1, v2 = shown["versions"]
    assert (v1["version"], v1["current"], v2["version"], v2["current"]) == (1, False, 2, True)
    assert TS.fullmatch(v1["retired_at"])
    assert v2["retired_at"] is None

    tv.refused(2, "rotate", "stripe-live", stdin=second, fragments=("already used",))
    tv.refused(2, "get", "stripe-live", "--version", "9", fragments=("no version 9",))
    tv.revoke("stripe-live")
    tv.refused(2, "rotate", "stripe-live", stdin=b"sk_live_tvRotateThird3", fragments=("revoked",))
    tv.secrets.append(b"sk_live_tvRotateThird3")


# ---- revoke, review --------------------------------------------------------------------


@pytest.mark.parametrize("reason", [r.value for r in RevokeReason])
def test_revoke_accepts_each_reason(tv: Vault, reason: str) -> None:
    token = tv.seed("old-ci-key", b"tv-revoke-me-0001")
    r = tv.ok(
        "revoke",
        "old-ci-key",
        "--reason",
        reason,
        "--ticket",
        "OPS-1234",
        "--note",
        "left in a log",
    )
    assert r.out == f"revoked old-ci-key ({reason})\n"
    assert tv.one("token.revoke") == {
        "token": token.id,
        "name": "old-ci-key",
        "reason": reason,
        "ticket": "OPS-1234",
        "note": "left in a log",
    }
    revoked = tv.token("old-ci-key")
    assert revoked.revoked_at is not None
    assert revoked.revoke_reason == RevokeReason(reason)


def test_revoke_refusals_and_the_revoked_record(tv: Vault) -> None:
    tv.seed("old-ci-key", b"tv-revoke-me-0002")
    tv.refused(2, "revoke", "old-ci-key", "--reason", "bored", fragments=("--reason",))
    assert not tv.token("old-ci-key").revoked
    tv.ok("revoke", "old-ci-key", "--reason", "compromised", "--ticket", "INC-7")
    tv.expect("token.revoke")
    tv.refused(2, "revoke", "old-ci-key", "--reason", "other", fragments=("already revoked",))
    record = parse_json(tv.ok("ls", "--status", "revoked", "--json"))[0]
    check_record(record)
    assert (record["status"], record["revoke_reason"]) == ("revoked", "compromised")
    assert TS.fullmatch(record["revoked_at"])


def test_review_by_an_admin_and_by_the_owner(tv: Vault, tmp_path: Path) -> None:
    bob_passphrase = "bob's own passphrase"
    services.members.add_member(tv.session, "bob", "operator", Secret(bob_passphrase))
    tv.expect("member.add")
    platform = tv.seed("gh-deploy", b"tv-review-0001", owner="platform")
    bobs = tv.seed("bobs-token", b"tv-review-0002", owner="bob")
    tv.seed("gone", b"tv-review-0003")
    tv.revoke("gone")
    as_bob = {"TOKENVAULT_PASSPHRASE_FILE": str(secret_file(tmp_path / "bob", bob_passphrase))}

    # Two members now: each command names who runs it.
    r = tv.ok("--member", "alice", "review", "gh-deploy", "--note", "Q4 access review")
    assert r.out == "reviewed gh-deploy\n"
    (entry,) = tv.expect("token.review")
    assert entry.actor == "alice"
    assert entry.body == {"token": platform.id, "name": "gh-deploy", "note": "Q4 access review"}
    assert tv.token("gh-deploy").last_reviewed_at is not None

    assert (
        tv.ok("--member", "bob", "review", "bobs-token", env=as_bob).out == "reviewed bobs-token\n"
    )
    (entry,) = tv.expect("token.review")
    assert (entry.actor, entry.body["token"], entry.body["note"]) == ("bob", bobs.id, "")

    tv.refused(3, "--member", "bob", "review", "gh-deploy", env=as_bob, fragments=("owner",))
    tv.refused(2, "--member", "alice", "review", "gone", fragments=("revoked",))
