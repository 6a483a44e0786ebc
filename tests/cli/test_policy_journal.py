"""`policy show / set` and `journal ls` through the real console script.

A policy change adds exactly one signed `policy.update` entry carrying before and after; a
refused or empty change adds none. `journal ls --json` must hand out the entries exactly as
stored: each array element is the stored canonical line, byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, assert_one_line_error, secret_file
from tests.conftest import MEMBER
from tokenvault import services
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import Secret
from tokenvault.domain.policy import DEFAULT_POLICY, POLICY_KEYS
from tokenvault.services import TokenDraft

ALPHA, BETA = "alpha-api", "beta-webhook"
JOURNAL_HEADER = ["SEQ", "TIME", "(UTC)", "ACTOR", "TYPE", "SUBJECT", "SUMMARY"]


def new_entries(cli: Cli, before: list[Entry]) -> list[Entry]:
    """What was appended since `before` (which must still be the journal's prefix)."""
    after = cli.journal()
    assert [e.line_bytes for e in after[: len(before)]] == [e.line_bytes for e in before]
    return after[len(before) :]


def stored_policy(cli: Cli) -> dict[str, Any]:
    session = cli.session()
    try:
        return services.policy.show(session).to_json()
    finally:
        session.lock()


# ---- policy ---------------------------------------------------------------------------------


def test_policy_show_json_has_exactly_the_policy_keys(cli: Cli) -> None:
    result = cli("policy", "show", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == POLICY_KEYS
    assert data == DEFAULT_POLICY.to_json()
    assert isinstance(data["broad_scopes"], list)


def test_policy_show_text_lists_every_key(cli: Cli) -> None:
    result = cli("policy", "show")
    assert result.code == 0, result.err
    shown = dict(line.split(":", 1) for line in result.out.splitlines())
    assert set(shown) == POLICY_KEYS
    values = {key: value.strip() for key, value in shown.items()}
    assert values["reminder_days"] == "14"
    assert values["require_expiry"] == "false"
    assert values["broad_scopes"] == ", ".join(DEFAULT_POLICY.broad_scopes)


SETS: dict[str, tuple[str, str, Any, Any, str]] = {
    # id: (key, typed value, before, after, the "before → after" line)
    "days-with-unit": ("reminder_days", "30d", 14, 30, "reminder_days: 14 → 30"),
    "days-bare": ("rotation_days", "120", 90, 120, "rotation_days: 90 → 120"),
    "seconds": ("clipboard_clear_seconds", "300s", 20, 300, "clipboard_clear_seconds: 20 → 300"),
    "weeks": ("review_days", "26w", 90, 182, "review_days: 90 → 182"),
    "minutes": ("idle_lock_seconds", "15m", 300, 900, "idle_lock_seconds: 300 → 900"),
    "bool": ("require_expiry", "true", False, True, "require_expiry: false → true"),
    "list": (
        "broad_scopes",
        "*,admin",
        list(DEFAULT_POLICY.broad_scopes),
        ["*", "admin"],
        "broad_scopes: *, admin, root, all, full-access, owner → *, admin",
    ),
    "none": ("max_lifetime_days", "none", 365, None, "max_lifetime_days: 365 → none"),
}


@pytest.mark.parametrize(("key", "text", "before", "after", "line"), SETS.values(), ids=SETS.keys())
def test_policy_set_journals_before_and_after(
    cli: Cli, key: str, text: str, before: Any, after: Any, line: str
) -> None:
    journal = cli.journal()
    result = cli("policy", "set", key, text)
    assert result.code == 0, result.err
    assert result.out == line + "\n"
    [entry] = new_entries(cli, journal)
    assert (entry.type, entry.actor) == ("policy.update", MEMBER)
    assert entry.body == {"changes": {key: {"before": before, "after": after}}}
    assert stored_policy(cli) == DEFAULT_POLICY.to_json() | {key: after}


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("reminder_days", "14d"),
        ("require_expiry", "no"),
        ("broad_scopes", "*,admin,root,all,full-access,owner"),
    ],
    ids=["days", "bool", "list"],
)
def test_policy_set_to_the_current_value_journals_nothing(cli: Cli, key: str, text: str) -> None:
    before = cli.journal()
    result = cli("policy", "set", key, text)
    assert result.code == 0, result.err
    assert result.out.endswith("; nothing changed\n"), result.out
    assert new_entries(cli, before) == []


INVALID: dict[str, tuple[str, str, str]] = {
    "below-range": ("reminder_days", "0", "between 1 and 365"),
    "above-range": ("clipboard_clear_seconds", "601", "between 5 and 600"),
    "not-a-number": ("reminder_days", "abc", "whole number"),
    "wrong-unit": ("reminder_days", "30s", "e.g. 30d or 4w"),
    "months-are-ambiguous": ("stale_days", "6m", "e.g. 30d or 4w"),
    "weeks-for-seconds": ("idle_lock_seconds", "1w", "e.g. 300s, 5m or 1h"),
    "negative": ("rotation_days", "-5", "-5"),  # click: "No such option"; still exit 2
    "not-a-bool": ("require_expiry", "maybe", "true or false"),
    "none-not-allowed": ("reminder_days", "none", "whole number"),
    "unknown-key": ("reminder_weeks", "2", "reminder_weeks"),
}


@pytest.mark.parametrize(("key", "text", "fragment"), INVALID.values(), ids=INVALID.keys())
def test_policy_set_refuses_bad_input_and_journals_nothing(
    cli: Cli, key: str, text: str, fragment: str
) -> None:
    before = cli.journal()
    result = cli("policy", "set", key, text)
    assert_one_line_error(result, 2, fragment)
    assert result.out == ""
    assert new_entries(cli, before) == []
    assert stored_policy(cli) == DEFAULT_POLICY.to_json()


def test_an_operator_cannot_change_the_policy(cli: Cli, tmp_path: Path) -> None:
    session = cli.session()
    try:
        services.members.add_member(session, "bob", "operator", Secret("bob's passphrase"))
    finally:
        session.lock()
    bob_file = secret_file(tmp_path / "bob", "bob's passphrase")
    before = cli.journal()
    result = cli(
        "--member", "bob", "--passphrase-file", str(bob_file), "policy", "set", "reminder_days", "3"
    )
    assert_one_line_error(result, 3, "only an admin")
    assert new_entries(cli, before) == []


# ---- journal ls -------------------------------------------------------------------------------


@pytest.fixture
def history(cli: Cli) -> list[Entry]:
    """Two tokens with some history, built in-process; the whole journal, oldest first."""
    session = cli.session()
    try:
        services.tokens.add(session, TokenDraft(name=ALPHA, owner=MEMBER), Secret("a1"))
        services.tokens.add(session, TokenDraft(name=BETA, owner="payments"), Secret("b1"))
        services.tokens.rotate(session, ALPHA, Secret("a2"))
        services.tokens.reveal(session, ALPHA)
        services.tokens.revoke(session, BETA, "compromised", ticket="SEC-1")
        services.policy.update(session, {"reminder_days": 30})
    finally:
        session.lock()
    return cli.journal()


def rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    assert lines[0].split() == JOURNAL_HEADER
    return [line.split() for line in lines[1:]]


def test_journal_ls_is_a_table_newest_first(cli: Cli, history: list[Entry]) -> None:
    result = cli("journal", "ls")
    assert result.code == 0, result.err
    table = rows(result.out)
    newest_first = list(reversed(history))
    assert [int(r[0]) for r in table] == [e.seq for e in newest_first]
    assert [r[0] for r in table] == [str(n) for n in range(len(history) - 1, -1, -1)]
    for row, entry in zip(table, newest_first, strict=True):
        assert row[1] == entry.ts[:10]
        assert row[2] == entry.ts[11:19] + "Z"
        assert (row[3], row[4]) == (entry.actor, entry.type)
    assert new_entries(cli, history) == []  # reading journals nothing


def test_journal_ls_token_filter(cli: Cli, history: list[Entry]) -> None:
    alpha_id = next(e.body["token"] for e in history if e.body.get("name") == ALPHA)
    about_alpha = [e for e in reversed(history) if e.body.get("token") == alpha_id]
    assert [e.type for e in about_alpha] == ["token.reveal", "token.rotate", "token.create"]

    table = cli("journal", "ls", "--token", ALPHA)
    data = cli("journal", "ls", "--token", ALPHA, "--json")

    assert (table.code, data.code) == (0, 0), (table.err, data.err)
    assert [(int(r[0]), r[4], r[5]) for r in rows(table.out)] == [
        (e.seq, e.type, ALPHA) for e in about_alpha
    ]
    assert [e["seq"] for e in json.loads(data.out)] == [e.seq for e in about_alpha]


def test_journal_ls_unknown_token_is_refused(cli: Cli) -> None:
    before = cli.journal()
    result = cli("journal", "ls", "--token", "no-such-token")
    assert_one_line_error(result, 2, "no-such-token")
    assert result.out == ""
    assert new_entries(cli, before) == []


@pytest.mark.parametrize("limit", [1, 3])
def test_journal_ls_limit_keeps_the_newest(cli: Cli, history: list[Entry], limit: int) -> None:
    result = cli("journal", "ls", "--limit", str(limit))
    assert result.code == 0, result.err
    assert [int(r[0]) for r in rows(result.out)] == [e.seq for e in history[::-1][:limit]]


def test_journal_ls_default_limit_is_50(cli: Cli) -> None:
    session = cli.session()
    try:
        for n in range(50):
            services.tokens.add(session, TokenDraft(name=f"bulk-{n:02}", owner=MEMBER), Secret("x"))
    finally:
        session.lock()
    journal = cli.journal()
    assert len(journal) > 50
    result = cli("journal", "ls")
    assert result.code == 0, result.err
    assert [int(r[0]) for r in rows(result.out)] == [e.seq for e in journal[::-1][:50]]


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_journal_ls_bad_limit_is_refused(cli: Cli, limit: str) -> None:
    result = cli("journal", "ls", "--limit", limit)
    assert_one_line_error(result, 2, "--limit")
    assert result.out == ""


@pytest.mark.parametrize(
    "args", [(), ("--limit", "2"), ("--token", ALPHA)], ids=["all", "limit", "token"]
)
def test_journal_ls_json_gives_the_stored_lines(
    cli: Cli, history: list[Entry], args: tuple[str, ...]
) -> None:
    result = cli("journal", "ls", "--json", *args)
    assert result.code == 0, result.err
    elements = json.loads(result.out)
    assert isinstance(elements, list)
    by_seq = {e.seq: e for e in history}
    expected = [e.seq for e in reversed(history)]
    if "--limit" in args:
        expected = expected[:2]
    if "--token" in args:
        alpha_id = next(e.body["token"] for e in history if e.body.get("name") == ALPHA)
        expected = [s for s in expected if by_seq[s].body.get("token") == alpha_id]
    assert [element["seq"] for element in elements] == expected
    for element in elements:
        stored = by_seq[element["seq"]]
        assert element == json.loads(stored.line_bytes)
        assert canonical_bytes(element) == stored.line_bytes
        assert stored.line_bytes in result.raw_out  # verbatim, not re-encoded
    assert set(elements[0]) == {"v", "vault", "seq", "ts", "actor", "type", "body", "prev", "sig"}
