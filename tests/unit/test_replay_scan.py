"""What a `scan` entry does on replay (exposed until rotated, never for a retired or accepted
leak), its schema, and which token.create sources make a token *discovered*."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tokenvault.domain.canonical import CanonicalError
from tokenvault.domain.journal import Entry
from tokenvault.domain.journal_schema import check_body
from tokenvault.domain.model import RevokeReason, Token, TokenVersion
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.replay import ReplayError, VaultState, is_discovery

VAULT = "ab" * 16
FP1 = "hmac-sha256:k1:" + "01" * 16
FP2 = "hmac-sha256:k1:" + "02" * 16
T0 = datetime(2026, 11, 1, tzinfo=UTC)
SCAN_TS = "2026-11-20T10:00:00.000Z"


def state_with(token: Token) -> VaultState:
    state = VaultState(vault_id=VAULT, vault_name="t", fp_key_id="k1", policy=DEFAULT_POLICY)
    state.tokens[token.id] = token
    state.names[token.name] = token.id
    state.size = 5
    return state


def token(**changes: Any) -> Token:
    base = Token(
        id=3, name="stripe-live", service="stripe", environment="prod", owner="pay",
        scopes=(), used_by=(), tags=(), notes="", created_at=T0, created_by="alice",
        issued_at=T0, expires_at=None, rotate_every_days=None, last_rotated_at=T0,
        current_version=2,
        versions=(TokenVersion(1, FP1, T0, "alice", retired_at=T0),
                  TokenVersion(2, FP2, T0, "alice")),
    )  # fmt: skip
    return replace(base, **changes)


def scan_entry(seq: int, leaked: list[dict[str, Any]], ts: str = SCAN_TS) -> Entry:
    body = {
        "source": "scan", "paths": ["."], "files": 10, "skipped": 0,
        "leaks": len(leaked), "shadow": 0, "baselined": 0, "leaked": leaked,
    }  # fmt: skip
    check_body("scan", body)
    return Entry(VAULT, seq, ts, "alice", "scan", body, "00" * 32)


def leak(version: int = 2, fp: str = FP2, baselined: bool = False, **k: Any) -> dict[str, Any]:
    return {"token": 3, "name": "stripe-live", "version": version, "fingerprint": fp,
            "baselined": baselined, **k}  # fmt: skip


def test_a_leak_of_the_live_secret_marks_the_token_exposed() -> None:
    state = state_with(token())
    state.apply(scan_entry(5, [leak()]))
    assert state.tokens[3].exposed_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    # a second scan keeps the first exposure time
    state.apply(scan_entry(6, [leak()], ts="2026-11-21T10:00:00.000Z"))
    assert state.tokens[3].exposed_at == datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("case", "item", "changes"),
    [
        ("a retired version", leak(1, FP1), {}),
        ("an accepted leak", leak(baselined=True), {}),
        ("a revoked token", leak(), {"revoked_at": T0, "revoke_reason": RevokeReason.OTHER}),
    ],
)
def test_leaks_that_do_not_expose(case: str, item: dict[str, Any], changes: dict[str, Any]) -> None:
    state = state_with(token(**changes))
    state.apply(scan_entry(5, [item]))
    assert state.tokens[3].exposed_at is None, case


def test_a_clean_scan_changes_nothing_but_the_size() -> None:
    before = token()
    state = state_with(before)
    state.apply(scan_entry(5, []))
    assert state.tokens[3] == before
    assert state.size == 6


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (leak(fp=FP1), "does not match"),
        (leak(version=9), "no version 9"),
        (leak(name="other"), "differently"),
        ({**leak(), "token": 99}, "no token 99"),
    ],
)
def test_a_scan_entry_that_does_not_fit_the_vault_is_refused(
    item: dict[str, Any], problem: str
) -> None:
    state = state_with(token())
    with pytest.raises(ReplayError, match=problem):
        state.apply(scan_entry(5, [item]))


def test_a_version_listed_twice_is_refused() -> None:
    state = state_with(token())
    with pytest.raises(ReplayError, match="twice"):
        state.apply(scan_entry(5, [leak(), leak()]))


def test_the_scan_body_is_allow_listed() -> None:
    entry = scan_entry(5, [leak()])
    with pytest.raises(CanonicalError, match="unexpected"):
        check_body("scan", {**entry.body, "secret": "x"})
    with pytest.raises(CanonicalError, match="must be one of"):
        check_body("scan", {**entry.body, "source": "csv"})
    with pytest.raises(CanonicalError, match="fingerprint"):
        check_body("scan", {**entry.body, "leaked": [leak(fp="sk_live_abc")]})


@pytest.mark.parametrize(
    ("source", "discovered"),
    [
        ("import:gitleaks-json:report.json:12", True),
        ("import:trufflehog-json:th.jsonl:1", True),
        ("import:detect-secrets-json:b.json:3", True),
        ("import:csv:tokens.csv:2", False),
        ("import:gitleaks-jsonx:r:1", False),
        ("gitleaks-json", False),
        ("demo", False),
        ("", False),
    ],
)
def test_discovered_means_created_from_a_scanner_report(source: str, discovered: bool) -> None:
    assert is_discovery(source) is discovered
