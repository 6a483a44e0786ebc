"""Policy findings (domain/findings.py): every code on both sides of its boundary, timezone
edges and a leap day with the clock as a parameter, and properties for random inventories:
the findings agree with the per-token status, and a fast summary is judged like its Token."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenvault.domain.findings import (
    CONTROLS,
    Code,
    Finding,
    Severity,
    all_findings,
    count_by_severity,
    findings_for,
)
from tokenvault.domain.model import Member, RevokeReason, Role, Status, Token, TokenVersion
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import rotation_due_at, token_status
from tokenvault.storage.listing import AuditSummary

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)
DAY = timedelta(days=1)
POLICY = (
    Policy()
)  # reminder 14, rotation 90, max lifetime 365, owner required, review 90, stale 180


def member(member_id: str, removed: datetime | None = None) -> Member:
    return Member(
        id=member_id,
        role=Role.OPERATOR,
        display_name="",
        ed25519=b"\x01" * 32,
        x25519=b"\x02" * 32,
        added_at=NOW - 400 * DAY,
        added_by="alice",
        removed_at=removed,
        removed_by=None if removed is None else "alice",
    )


MEMBERS = [member("alice"), member("bob", removed=NOW - 5 * DAY)]


def make(name: str = "gh-deploy", **changes: Any) -> Token:
    """A token that breaks nothing at NOW under POLICY; each test changes what it judges."""
    base = Token(
        id=7,
        name=name,
        service="github",
        environment="staging",
        owner="platform",
        scopes=("repo",),
        used_by=("ci: deploy.yml",),
        tags=(),
        notes="",
        created_at=NOW - 10 * DAY,
        created_by="alice",
        issued_at=NOW - 10 * DAY,
        expires_at=NOW + 100 * DAY,
        rotate_every_days=None,
        last_rotated_at=NOW - 10 * DAY,
        versions=(TokenVersion(1, "hmac-sha256:k1:" + "0" * 32, NOW - 10 * DAY, "alice"),),
    )
    return replace(base, **changes)


def judge(
    token: Token, *, policy: Policy = POLICY, now: datetime = NOW, members: list[Member] = MEMBERS
) -> dict[Code, Finding]:
    found = findings_for(token, policy, now, members)
    assert len({f.code for f in found}) == len(found), "one finding per code per token"
    return {f.code: f for f in found}


def codes(token: Token, **kwargs: Any) -> set[Code]:
    return set(judge(token, **kwargs))


def test_a_token_within_policy_has_no_findings() -> None:
    assert judge(make()) == {}


def test_severities_are_ordered_and_never_compare_as_text() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert sorted(Severity, reverse=True) == [Severity.ERROR, Severity.WARNING, Severity.INFO]
    assert [s.value for s in Severity] == ["info", "warning", "error"]
    assert max(Severity) is Severity.ERROR
    assert Severity("warning") >= Severity.WARNING
    with pytest.raises(TypeError):
        _ = Severity.ERROR < "info"


def test_every_code_has_a_soc2_control_and_a_stable_name() -> None:
    assert set(CONTROLS) == set(Code)
    assert all(control.startswith(("SOC 2 CC6.", "SOC 2 CC7.")) for control in CONTROLS.values())
    assert all(code.value == code.name for code in Code)


# ---- NO_OWNER and ORPHANED -----------------------------------------------------------------


@pytest.mark.parametrize("owner", ["", "   "])
def test_no_owner_is_an_error_when_the_policy_requires_one(owner: str) -> None:
    finding = judge(make(owner=owner))[Code.NO_OWNER]
    assert finding.severity is Severity.ERROR
    assert finding.message == "no owner; the policy requires one"
    assert finding.control == "SOC 2 CC6.1 asset inventory"
    relaxed = judge(make(owner=owner), policy=Policy(require_owner=False))[Code.NO_OWNER]
    assert relaxed.severity is Severity.WARNING
    assert relaxed.message == "no owner"


def test_orphaned_only_for_an_owner_who_was_a_member_and_was_removed() -> None:
    finding = judge(make(owner="bob"))[Code.ORPHANED]
    assert finding.severity is Severity.ERROR
    assert finding.message == "owner bob was removed from the vault 2026-11-20 (5 days ago)"
    assert finding.control == "SOC 2 CC6.2 access removal"
    assert Code.ORPHANED in codes(make(owner="Bob"))  # member ids are lower case
    assert codes(make(owner="alice")) == set()  # an active member
    assert codes(make(owner="payments")) == set()  # a team, never a member id: not judged
    relaxed = judge(make(owner="bob"), policy=Policy(require_owner=False))
    assert relaxed[Code.ORPHANED].severity is Severity.WARNING


def test_an_owner_removed_and_added_again_is_not_orphaned() -> None:
    members = [member("bob", removed=NOW - 9 * DAY), member("bob")]
    assert codes(make(owner="bob"), members=members) == set()


def test_orphaned_on_the_day_of_removal() -> None:
    members = [member("bob", removed=NOW - MS)]
    finding = judge(make(owner="bob"), members=members)[Code.ORPHANED]
    assert (
        finding.message == "owner bob was removed from the vault 2026-11-24 (less than a day ago)"
    )


# ---- NO_EXPIRY and LIFETIME_EXCEEDED -------------------------------------------------------


def test_no_expiry_is_information_unless_the_policy_requires_an_expiry() -> None:
    finding = judge(make(expires_at=None))[Code.NO_EXPIRY]
    assert finding.severity is Severity.INFO
    assert finding.message == "no expiry date, so the 365-day lifetime limit cannot hold"
    strict = judge(make(expires_at=None), policy=Policy(require_expiry=True))[Code.NO_EXPIRY]
    assert strict.severity is Severity.ERROR
    assert strict.message == "no expiry date; the policy requires one"
    unlimited = judge(make(expires_at=None), policy=Policy(max_lifetime_days=None))
    assert unlimited[Code.NO_EXPIRY].message == "no expiry date"
    assert Code.LIFETIME_EXCEEDED not in unlimited


def test_lifetime_exactly_at_the_maximum_is_allowed_one_millisecond_more_is_not() -> None:
    issued = NOW - 10 * DAY
    assert codes(make(issued_at=issued, expires_at=issued + 365 * DAY)) == set()
    finding = judge(make(issued_at=issued, expires_at=issued + 365 * DAY + MS))[
        Code.LIFETIME_EXCEEDED
    ]
    assert finding.severity is Severity.ERROR
    assert finding.message == "expires 2027-11-15, 366 days after issue; policy allows 365"
    assert finding.control == "SOC 2 CC6.1 credential lifecycle"


def test_no_lifetime_limit_judges_no_lifetime() -> None:
    token = make(expires_at=NOW + 3650 * DAY)
    assert codes(token) == {Code.LIFETIME_EXCEEDED}
    assert codes(token, policy=Policy(max_lifetime_days=None)) == set()


def test_lifetime_across_a_leap_day_counts_real_days() -> None:
    issued = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)  # a leap day; 2029 is not a leap year
    now = issued + DAY
    base = make(created_at=issued, issued_at=issued, last_rotated_at=issued)
    within = replace(base, expires_at=datetime(2029, 2, 28, 12, 0, tzinfo=UTC))  # 365 days
    assert codes(within, now=now) == set()
    beyond = replace(base, expires_at=datetime(2029, 3, 1, 12, 0, tzinfo=UTC))  # 366 days
    finding = judge(beyond, now=now)[Code.LIFETIME_EXCEEDED]
    assert finding.message == "expires 2029-03-01, 366 days after issue; policy allows 365"


# ---- EXPIRED_ACTIVE and ROTATION_OVERDUE ---------------------------------------------------


def test_expired_at_the_instant_of_expiry_not_a_millisecond_before() -> None:
    assert codes(make(expires_at=NOW + MS)) == set()
    finding = judge(make(expires_at=NOW))[Code.EXPIRED_ACTIVE]
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        "expired 2026-11-25 (less than a day ago) and is not revoked: rotate or revoke it"
    )
    assert finding.control == "SOC 2 CC6.2 access removal"
    late = judge(make(expires_at=NOW - 3 * DAY - MS))[Code.EXPIRED_ACTIVE]
    assert late.message.startswith("expired 2026-11-21 (3 days ago)")


def test_expiry_at_the_last_millisecond_of_a_utc_day() -> None:
    last_ms = datetime(2026, 11, 24, 23, 59, 59, 999000, tzinfo=UTC)
    midnight = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert codes(make(expires_at=midnight), now=last_ms) == set()
    finding = judge(make(expires_at=last_ms), now=midnight)[Code.EXPIRED_ACTIVE]
    assert finding.message.startswith("expired 2026-11-24 (less than a day ago)")


def test_the_same_instant_in_another_zone_gives_the_same_findings() -> None:
    kiribati = timezone(timedelta(hours=14))
    expires = datetime(2026, 11, 24, 23, 59, 59, 999000, tzinfo=UTC)  # 2026-11-25 13:59 there
    token = make(expires_at=expires, owner="bob")
    here = findings_for(token, POLICY, NOW, MEMBERS)
    assert {f.code for f in here} == {Code.EXPIRED_ACTIVE, Code.ORPHANED}
    there = findings_for(token, POLICY, NOW.astimezone(kiribati), MEMBERS)
    assert here == there  # dates in messages are UTC dates
    local = replace(token, expires_at=expires.astimezone(kiribati))
    assert findings_for(local, POLICY, NOW, MEMBERS) == here


def test_rotation_overdue_at_the_rotation_due_instant() -> None:
    assert codes(make(last_rotated_at=NOW - 90 * DAY + MS)) == set()
    finding = judge(make(last_rotated_at=NOW - 90 * DAY))[Code.ROTATION_OVERDUE]
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        "rotation was due 2026-11-25 (less than a day ago); rotate every 90 days"
    )
    own = judge(make(rotate_every_days=30, last_rotated_at=NOW - 40 * DAY))[Code.ROTATION_OVERDUE]
    assert own.message == "rotation was due 2026-11-15 (10 days ago); rotate every 30 days"


def test_an_expired_token_is_not_also_rotation_overdue() -> None:
    token = make(last_rotated_at=NOW - 200 * DAY, expires_at=NOW - DAY)
    assert token_status(token, POLICY, NOW) is Status.EXPIRED
    assert rotation_due_at(token, POLICY) < NOW
    found = codes(token)
    assert Code.EXPIRED_ACTIVE in found
    assert Code.ROTATION_OVERDUE not in found


# ---- BROAD_SCOPE ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "severity"),
    [
        ("production", Severity.ERROR),
        ("Production", Severity.ERROR),
        ("prod", Severity.ERROR),
        ("PRD", Severity.ERROR),
        (" prod ", Severity.ERROR),
        ("staging", Severity.WARNING),
        ("preprod", Severity.WARNING),
        ("", Severity.WARNING),
    ],
)
def test_broad_scope_is_an_error_in_production_only(environment: str, severity: Severity) -> None:
    finding = judge(make(environment=environment, scopes=("repo", "Admin")))[Code.BROAD_SCOPE]
    assert finding.severity is severity
    assert finding.environment == environment
    where = f"in {environment.strip()}" if environment else "(no environment)"
    assert finding.message == f"broad scope Admin {where}"
    assert finding.control == "SOC 2 CC6.3 least privilege"


def test_broad_scopes_match_whole_scopes_ignoring_case() -> None:
    assert codes(make(scopes=("admin:org", "read:admin", "administrator"))) == set()
    finding = judge(make(scopes=("*", "ROOT")))[Code.BROAD_SCOPE]
    assert finding.message == "broad scopes *, ROOT in staging"
    policy = Policy(broad_scopes=("Write:All",))
    assert codes(make(scopes=("write:all",)), policy=policy) == {Code.BROAD_SCOPE}
    assert codes(make(scopes=("admin",)), policy=Policy(broad_scopes=())) == set()


# ---- REVIEW_OVERDUE and STALE --------------------------------------------------------------


def test_review_overdue_exactly_at_the_review_interval_since_added() -> None:
    fresh: dict[str, Any] = {"last_rotated_at": NOW - DAY, "issued_at": NOW - 100 * DAY}
    assert codes(make(created_at=NOW - 90 * DAY + MS, **fresh)) == set()
    finding = judge(make(created_at=NOW - 90 * DAY, **fresh))[Code.REVIEW_OVERDUE]
    assert finding.severity is Severity.WARNING
    assert finding.message == "never reviewed; added 2026-08-27 (90 days ago); review every 90 days"
    assert finding.control == "SOC 2 CC6.2 access review"


def test_review_overdue_counts_from_the_last_review() -> None:
    old: dict[str, Any] = {
        "created_at": NOW - 300 * DAY,
        "issued_at": NOW - 300 * DAY,
        "expires_at": NOW + 50 * DAY,  # a lifetime of 350 days
        "last_rotated_at": NOW - DAY,
    }
    assert codes(make(last_reviewed_at=NOW - 90 * DAY + MS, **old)) == set()
    finding = judge(make(last_reviewed_at=NOW - 90 * DAY, **old))[Code.REVIEW_OVERDUE]
    assert finding.message == "last reviewed 2026-08-27 (90 days ago); review every 90 days"
    assert codes(make(**old), policy=Policy(review_days=365)) == set()


def test_stale_exactly_at_stale_days_without_rotation_review_or_use() -> None:
    quiet: dict[str, Any] = {
        "rotate_every_days": 3650,
        "created_at": NOW - DAY,
        "issued_at": NOW - 300 * DAY,
        "expires_at": NOW + 50 * DAY,  # a lifetime of 350 days
    }
    assert codes(make(last_rotated_at=NOW - 180 * DAY + MS, **quiet)) == set()
    finding = judge(make(last_rotated_at=NOW - 180 * DAY, **quiet))[Code.STALE]
    assert finding.severity is Severity.WARNING
    assert finding.message == (
        "no rotation, review or use since 2026-05-29 (180 days ago); stale after 180 days"
    )
    assert finding.control == "SOC 2 CC6.2 access removal"
    stale = make(last_rotated_at=NOW - 300 * DAY, **quiet)
    assert Code.STALE not in codes(replace(stale, last_used_at=NOW - 179 * DAY))
    reviewed = replace(stale, last_reviewed_at=NOW - 10 * DAY)
    assert Code.STALE not in codes(reviewed)
    used_long_ago = replace(stale, last_used_at=NOW - 200 * DAY)
    assert judge(used_long_ago)[Code.STALE].message.startswith(
        "no rotation, review or use since 2026-05-09 (200 days ago)"
    )


# ---- UNUSED_DEPLOYMENT, revoked tokens, ordering, JSON -------------------------------------


def test_one_day_is_singular() -> None:
    policy = Policy(rotation_days=1, review_days=1, stale_days=1)
    rotated = NOW - 2 * DAY  # due a day ago
    token = make(created_at=NOW - DAY - MS, last_rotated_at=rotated, issued_at=rotated)
    messages = {f.code: f.message for f in findings_for(token, policy, NOW, MEMBERS)}
    assert messages == {
        Code.ROTATION_OVERDUE: "rotation was due 2026-11-24 (1 day ago); rotate every 1 day",
        Code.REVIEW_OVERDUE: "never reviewed; added 2026-11-23 (1 day ago); review every 1 day",
        Code.STALE: "no rotation, review or use since 2026-11-23 (2 days ago); stale after 1 day",
    }


def test_unused_deployment_when_no_consumer_is_recorded() -> None:
    finding = judge(make(used_by=()))[Code.UNUSED_DEPLOYMENT]
    assert finding.severity is Severity.WARNING
    assert finding.message == "no deployment recorded (used_by empty)"
    assert finding.control == "SOC 2 CC6.1 asset inventory"


def everything_wrong(name: str = "bad", **changes: Any) -> Token:
    token = make(
        name=name,
        owner="",
        environment="prod",
        scopes=("admin",),
        used_by=(),
        created_at=NOW - 400 * DAY,
        issued_at=NOW - 400 * DAY,
        expires_at=NOW - DAY,
        last_rotated_at=NOW - 400 * DAY,
    )
    return replace(token, **changes)


def test_a_revoked_token_has_no_findings() -> None:
    assert len(judge(everything_wrong())) >= 6
    revoked = everything_wrong(
        revoked_at=NOW - DAY, revoked_by="alice", revoke_reason=RevokeReason.DECOMMISSIONED
    )
    assert judge(revoked) == {}


def test_all_findings_most_severe_first_then_token_name_then_code() -> None:
    tokens = [
        make("zeta", used_by=()),  # warning
        make("Alpha", used_by=(), expires_at=None),  # warning, info
        everything_wrong("beta"),
        make("gamma", scopes=("admin",), environment="production"),  # error
    ]
    found = all_findings(tokens, POLICY, NOW, MEMBERS)
    assert [(f.severity.value, f.token, f.code.value) for f in found] == [
        ("error", "beta", "BROAD_SCOPE"),
        ("error", "beta", "EXPIRED_ACTIVE"),
        ("error", "beta", "LIFETIME_EXCEEDED"),
        ("error", "beta", "NO_OWNER"),
        ("error", "gamma", "BROAD_SCOPE"),
        ("warning", "Alpha", "UNUSED_DEPLOYMENT"),
        ("warning", "beta", "REVIEW_OVERDUE"),
        ("warning", "beta", "STALE"),
        ("warning", "beta", "UNUSED_DEPLOYMENT"),
        ("warning", "zeta", "UNUSED_DEPLOYMENT"),
        ("info", "Alpha", "NO_EXPIRY"),
    ]
    assert count_by_severity(found) == {Severity.ERROR: 5, Severity.WARNING: 5, Severity.INFO: 1}
    assert list(count_by_severity([])) == [Severity.ERROR, Severity.WARNING, Severity.INFO]


def test_findings_for_one_token_most_severe_first() -> None:
    found = findings_for(everything_wrong(), POLICY, NOW, MEMBERS)
    assert [f.severity for f in found] == sorted((f.severity for f in found), reverse=True)


def test_json_record_has_stable_field_names_and_nulls_for_empty_text() -> None:
    finding = judge(make(owner="", environment="", used_by=()))[Code.NO_OWNER]
    assert finding.to_json() == {
        "code": "NO_OWNER",
        "severity": "error",
        "token": "gh-deploy",
        "token_id": 7,
        "owner": None,
        "environment": None,
        "message": "no owner; the policy requires one",
        "control": "SOC 2 CC6.1 asset inventory",
    }


# ---- properties for random inventories -----------------------------------------------------

offsets = st.integers(min_value=-800 * 24, max_value=800 * 24).map(lambda h: h * timedelta(hours=1))
instants = offsets.map(lambda d: NOW + d)
SCOPES = ("repo", "admin", "ADMIN", "read:org", "*", "write")
ENVS = ("production", "prod", "staging", "dev", "")
OWNERS = ("", "alice", "bob", "payments", "Bob")


@st.composite
def tokens(draw: st.DrawFn) -> Token:
    issued = draw(instants)
    return make(
        owner=draw(st.sampled_from(OWNERS)),
        environment=draw(st.sampled_from(ENVS)),
        scopes=tuple(draw(st.lists(st.sampled_from(SCOPES), max_size=3, unique=True))),
        used_by=tuple(draw(st.lists(st.sampled_from(("ci", "web")), max_size=2, unique=True))),
        created_at=draw(instants),
        issued_at=issued,
        expires_at=draw(st.none() | offsets.map(lambda d: issued + abs(d))),
        rotate_every_days=draw(st.none() | st.integers(min_value=1, max_value=400)),
        last_rotated_at=draw(offsets.map(lambda d: issued + abs(d))),
        last_reviewed_at=draw(st.none() | instants),
        last_used_at=draw(st.none() | instants),
        revoked_at=draw(st.none() | instants),
    )


policies = st.builds(
    Policy,
    reminder_days=st.integers(min_value=1, max_value=60),
    rotation_days=st.integers(min_value=1, max_value=400),
    max_lifetime_days=st.none() | st.integers(min_value=1, max_value=800),
    require_owner=st.booleans(),
    require_expiry=st.booleans(),
    review_days=st.integers(min_value=1, max_value=400),
    stale_days=st.integers(min_value=1, max_value=400),
)


def summary_of(token: Token) -> AuditSummary:
    return AuditSummary(**{field: getattr(token, field) for field in AuditSummary._fields})


@settings(max_examples=300)
@given(token=tokens(), policy=policies, now=instants)
def test_findings_agree_with_the_status_and_with_the_fast_summary(
    token: Token, policy: Policy, now: datetime
) -> None:
    found = findings_for(token, policy, now, MEMBERS)
    found_codes = [f.code for f in found]
    assert len(set(found_codes)) == len(found_codes)
    status = token_status(token, policy, now)
    if status is Status.REVOKED:
        assert found == []
    # Expired beats overdue, as in the status: an expired token is never ROTATION_OVERDUE.
    assert (Code.EXPIRED_ACTIVE in found_codes) == (status is Status.EXPIRED)
    assert (Code.ROTATION_OVERDUE in found_codes) == (status is Status.OVERDUE)
    assert found == findings_for(summary_of(token), policy, now, MEMBERS)
    for finding in found:
        assert "\n" not in finding.message
        assert finding.control == CONTROLS[finding.code]
        assert (finding.token_id, finding.token, finding.owner) == (
            token.id,
            token.name,
            token.owner,
        )


@settings(max_examples=100)
@given(inventory=st.lists(tokens(), max_size=8), policy=policies, now=instants)
def test_all_findings_is_every_tokens_findings_in_order(
    inventory: list[Token], policy: Policy, now: datetime
) -> None:
    inventory = [replace(t, id=i, name=f"t{i}") for i, t in enumerate(inventory)]
    together = all_findings(inventory, policy, now, MEMBERS)
    one_by_one = [f for t in inventory for f in findings_for(t, policy, now, MEMBERS)]
    assert len(together) == len(one_by_one)
    assert set(together) == set(one_by_one)
    keys = [(-f.severity.rank, f.token.casefold(), f.code.value) for f in together]
    assert keys == sorted(keys)


# ---- EXPOSED and DISCOVERED ----------------------------------------------------------------


def test_an_exposed_live_secret_is_an_error_until_rotated() -> None:
    found = judge(make(exposed_at=NOW - 2 * DAY))
    assert found[Code.EXPOSED].severity is Severity.ERROR
    assert "2026-11-23 (2 days ago)" in found[Code.EXPOSED].message
    assert found[Code.EXPOSED].control == "SOC 2 CC7.3 security event response"
    assert Code.EXPOSED not in codes(make(exposed_at=None))


def test_a_revoked_exposed_token_is_done() -> None:
    token = make(exposed_at=NOW - DAY, revoked_at=NOW - DAY, revoke_reason=RevokeReason.COMPROMISED)
    assert judge(token) == {}


def test_a_discovered_token_without_owner_is_discovered_not_no_owner() -> None:
    found = judge(make(owner="", discovered=True))
    assert Code.DISCOVERED in found
    assert Code.NO_OWNER not in found
    assert found[Code.DISCOVERED].severity is Severity.ERROR
    assert "own it or revoke it" in found[Code.DISCOVERED].message


def test_a_discovered_token_leaves_discovered_once_owned() -> None:
    assert Code.DISCOVERED not in codes(make(owner="platform", discovered=True))
    assert Code.NO_OWNER in codes(make(owner="", discovered=False))
