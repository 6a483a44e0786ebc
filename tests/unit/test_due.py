"""domain.due: which tokens need action and in what order (the one rule of the TUI's due view
and `tokenvault due`), at its boundaries and with a window; and `--within` as typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_cli_inputs import NOW, make_token
from tokenvault.domain.dateinput import MAX_WINDOW_DAYS, parse_window
from tokenvault.domain.due import LATE, NEEDS_ACTION, due_items
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import RevokeReason, Status, Token
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.status import days_left, next_deadline, token_status
from tokenvault.storage.listing import TokenSummary


def test_due_items_skip_ok_and_revoked_and_put_the_most_urgent_first() -> None:
    tokens = [
        make_token("fine"),
        make_token("gone", revoked_at=NOW, revoked_by="alice", revoke_reason=RevokeReason.OTHER),
        make_token("soon", expires_at=NOW + timedelta(days=3)),
        make_token("late", last_rotated_at=NOW - timedelta(days=100)),
        make_token("dead", expires_at=NOW - timedelta(hours=1)),
    ]
    items = due_items(tokens, DEFAULT_POLICY, NOW)
    assert [(i.token.name, i.status, i.what, i.days) for i in items] == [
        ("late", Status.OVERDUE, "rotation", -10),
        ("dead", Status.EXPIRED, "expires", 0),
        ("soon", Status.DUE, "expires", 3),
    ]


# ---- boundaries: the reminder window, expiry, rotation, time zones, leap days -------------

MS = timedelta(milliseconds=1)
FRESH = {"last_rotated_at": NOW}  # rotation due at NOW + 90 d: expiry decides below
Row = tuple[str, Status, str, datetime, int]


def listed(token: Token, now: datetime = NOW, within_days: int | None = None) -> list[Row]:
    return [
        (i.token.name, i.status, i.what, i.deadline, i.days)
        for i in due_items([token], DEFAULT_POLICY, now, within_days)
    ]


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(days=14) + MS, []),  # one millisecond beyond the window: not yet
        (timedelta(days=14), [(Status.DUE, 14)]),  # exactly at the window: due
        (timedelta(days=14) - MS, [(Status.DUE, 14)]),  # 13.99…: shown as 14 days left
        (MS, [(Status.DUE, 1)]),  # a millisecond left is still "in 1d"
        (timedelta(0), [(Status.EXPIRED, 0)]),  # at expiry: expired, today
        (-MS, [(Status.EXPIRED, 0)]),  # late by less than a day: "today"
        (-timedelta(days=1), [(Status.EXPIRED, -1)]),
    ],
)
def test_expiry_at_the_edges(offset: timedelta, expected: list[tuple[Status, int]]) -> None:
    token = make_token("t", expires_at=NOW + offset, **FRESH)
    assert [(status, days) for _, status, _, _, days in listed(token)] == expected
    assert all(what == "expires" for _, _, what, _, _ in listed(token))


@pytest.mark.parametrize(
    ("rotated_ago", "status", "days"),
    [
        (timedelta(days=90) - MS, Status.DUE, 1),  # rotation due in a millisecond
        (timedelta(days=90), Status.OVERDUE, 0),  # exactly due: overdue, today
        (timedelta(days=90) + MS, Status.OVERDUE, 0),
        (timedelta(days=76), Status.DUE, 14),  # rotation due exactly at the window
    ],
)
def test_rotation_at_the_edges(rotated_ago: timedelta, status: Status, days: int) -> None:
    token = make_token("t", expires_at=None, last_rotated_at=NOW - rotated_ago)
    assert listed(token) == [("t", status, "rotation", NOW - rotated_ago + timedelta(90), days)]


def test_rotation_just_beyond_the_window_is_not_listed() -> None:
    token = make_token("t", expires_at=None, last_rotated_at=NOW - timedelta(days=76) + MS)
    assert listed(token) == []


@pytest.mark.parametrize(
    ("expiry_vs_rotation", "what"),
    [(-MS, "expires"), (timedelta(0), "expires"), (MS, "rotation")],
)
def test_the_earlier_of_expiry_and_rotation_is_the_deadline(
    expiry_vs_rotation: timedelta, what: str
) -> None:
    rotation_due = NOW + timedelta(days=5)
    token = make_token(
        "t",
        last_rotated_at=rotation_due - timedelta(days=90),
        expires_at=rotation_due + expiry_vs_rotation,
    )
    [(_, status, shown_what, deadline, _)] = listed(token)
    assert (status, shown_what) == (Status.DUE, what)
    assert deadline == min(rotation_due, rotation_due + expiry_vs_rotation)


@pytest.mark.parametrize("hours", [-12, -5, 0, 5.5, 14])
def test_the_same_instants_in_any_time_zone_give_the_same_items(hours: float) -> None:
    zone = timezone(timedelta(hours=hours))
    tokens = [
        make_token("soon", expires_at=NOW + timedelta(days=14), **FRESH),
        make_token("later", expires_at=NOW + timedelta(days=14) + MS, **FRESH),
        make_token("gone", expires_at=NOW - MS, **FRESH),
    ]
    local = [
        replace(t, expires_at=t.expires_at.astimezone(zone) if t.expires_at else None)
        for t in tokens
    ]
    in_utc = due_items(tokens, DEFAULT_POLICY, NOW)
    in_zone = due_items(local, DEFAULT_POLICY, NOW.astimezone(zone))
    assert [(i.token.name, i.status, i.days) for i in in_zone] == [
        (i.token.name, i.status, i.days) for i in in_utc
    ]
    assert [i.token.name for i in in_utc] == ["gone", "soon"]


def test_the_window_is_elapsed_time_not_calendar_days() -> None:
    """Late in the UTC day, a deadline 14 days and a minute away falls on the 14th calendar
    day after today in UTC (and on the 15th in UTC+2): it is still outside the window."""
    now = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    just_in = make_token("in", expires_at=now + timedelta(days=14), last_rotated_at=now)
    just_out = make_token(
        "out", expires_at=now + timedelta(days=14, minutes=1), last_rotated_at=now
    )
    for clock in (now, now.astimezone(timezone(timedelta(hours=2)))):
        assert [i.token.name for i in due_items([just_in, just_out], DEFAULT_POLICY, clock)] == [
            "in"
        ]


def test_leap_day_plus_365_days_is_the_28th_of_february() -> None:
    leap = datetime(2028, 2, 29, 12, tzinfo=UTC)
    token = make_token("leap", expires_at=None, last_rotated_at=leap, rotate_every_days=365)
    deadline = datetime(2029, 2, 28, 12, tzinfo=UTC)
    assert listed(token, deadline - timedelta(days=14)) == [
        ("leap", Status.DUE, "rotation", deadline, 14)
    ]
    assert listed(token, deadline - timedelta(days=14) - MS) == []
    assert listed(token, deadline)[0][1:] == (Status.OVERDUE, "rotation", deadline, 0)


def test_an_expiry_on_a_leap_day_counts_the_29th() -> None:
    expiry = datetime(2028, 2, 29, tzinfo=UTC)
    token = make_token("leap", expires_at=expiry, last_rotated_at=expiry - timedelta(days=30))
    assert listed(token, datetime(2028, 2, 15, tzinfo=UTC)) == [
        ("leap", Status.DUE, "expires", expiry, 14)
    ]
    assert listed(token, datetime(2028, 2, 15, tzinfo=UTC) - MS) == []
    assert listed(token, datetime(2028, 3, 1, tzinfo=UTC))[0][1::3] == (Status.EXPIRED, -1)


# ---- within_days ------------------------------------------------------------------------


def _window_tokens() -> list[Token]:
    return [
        make_token("in-3d", expires_at=NOW + timedelta(days=3), **FRESH),
        make_token("in-20d", expires_at=NOW + timedelta(days=20), **FRESH),
        make_token("in-30d", expires_at=NOW + timedelta(days=30), **FRESH),
        make_token("in-31d", expires_at=NOW + timedelta(days=30) + MS, **FRESH),
        make_token("late", expires_at=None, last_rotated_at=NOW - timedelta(days=400)),
        make_token("expired", expires_at=NOW - timedelta(days=300), **FRESH),
        make_token(
            "revoked",
            expires_at=NOW - timedelta(days=1),
            revoked_at=NOW - timedelta(days=2),
            revoked_by="alice",
            revoke_reason=RevokeReason.OTHER,
        ),
    ]


@pytest.mark.parametrize(
    ("within", "names"),
    [
        (None, ["late", "expired", "in-3d"]),  # the policy's 14 days
        (0, ["late", "expired"]),  # only what is already late
        (2, ["late", "expired"]),
        (3, ["late", "expired", "in-3d"]),
        (30, ["late", "expired", "in-3d", "in-20d", "in-30d"]),
        (36_500, ["late", "expired", "in-3d", "in-20d", "in-30d", "in-31d"]),
    ],
)
def test_within_days_widens_or_narrows_the_window(within: int | None, names: list[str]) -> None:
    items = due_items(_window_tokens(), DEFAULT_POLICY, NOW, within)
    assert [i.token.name for i in items] == names


def test_the_status_stays_the_policys_whatever_the_window() -> None:
    items = {i.token.name: i for i in due_items(_window_tokens(), DEFAULT_POLICY, NOW, 30)}
    assert items["in-3d"].status is Status.DUE
    assert items["in-20d"].status is Status.OK  # listed (asked for 30 days), not "due"
    assert (items["in-20d"].what, items["in-20d"].days) == ("expires", 20)


def test_within_the_reminder_window_is_the_default() -> None:
    policy = replace(DEFAULT_POLICY, reminder_days=25)
    assert due_items(_window_tokens(), policy, NOW) == due_items(_window_tokens(), policy, NOW, 25)
    assert [i.token.name for i in due_items(_window_tokens(), policy, NOW)][-1] == "in-20d"


def summary_of(t: Token) -> TokenSummary:
    return TokenSummary(
        t.id, t.name, t.service, t.environment, t.owner, t.scopes, t.used_by, t.tags,
        t.expires_at, t.rotate_every_days, t.last_rotated_at, t.revoked_at, t.exposed_at,
        t.discovered,
    )  # fmt: skip


def test_token_summaries_are_judged_as_tokens() -> None:
    tokens = _window_tokens()
    summaries = [summary_of(t) for t in tokens]
    for within in (None, 0, 30):
        whole = due_items(tokens, DEFAULT_POLICY, NOW, within)
        light = due_items(summaries, DEFAULT_POLICY, NOW, within)
        assert [(i.token.name, i.status, i.what, i.deadline, i.days) for i in light] == [
            (i.token.name, i.status, i.what, i.deadline, i.days) for i in whole
        ]


# ---- agreement with the per-token status, for random inventories -------------------------

_offsets = st.integers(min_value=-400 * 24, max_value=400 * 24).map(lambda h: timedelta(hours=h))


@st.composite
def _tokens(draw: st.DrawFn) -> list[Token]:
    count = draw(st.integers(min_value=0, max_value=12))
    out = []
    for i in range(count):
        out.append(
            make_token(
                f"t{i}",
                expires_at=draw(st.none() | _offsets.map(lambda d: NOW + d)),
                last_rotated_at=NOW - draw(_offsets.map(abs)),
                rotate_every_days=draw(st.none() | st.integers(min_value=1, max_value=400)),
                revoked_at=draw(st.none() | st.just(NOW - timedelta(days=1))),
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(_tokens(), st.none() | st.integers(min_value=0, max_value=500))
def test_due_items_agree_with_the_status_of_every_token(
    tokens: list[Token], within: int | None
) -> None:
    items = due_items(tokens, DEFAULT_POLICY, NOW, within)
    window = timedelta(days=DEFAULT_POLICY.reminder_days if within is None else within)
    expected = {
        t.name
        for t in tokens
        if token_status(t, DEFAULT_POLICY, NOW) in LATE
        or (t.revoked_at is None and next_deadline(t, DEFAULT_POLICY) - NOW <= window)
    }
    assert {i.token.name for i in items} == expected
    if within is None:  # the default is exactly the tokens whose status needs action
        assert expected == {
            t.name for t in tokens if token_status(t, DEFAULT_POLICY, NOW) in NEEDS_ACTION
        }
    for item in items:
        assert item.status is token_status(item.token, DEFAULT_POLICY, NOW)
        expected_deadline = (
            item.token.expires_at
            if item.status is Status.EXPIRED
            else next_deadline(item.token, DEFAULT_POLICY)
        )
        assert item.deadline == expected_deadline
        assert item.days == days_left(item.deadline, NOW)
    assert [i.deadline for i in items] == sorted(i.deadline for i in items)


# ---- --within as typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [("30d", 30), ("2w", 14), ("30", 30), (" 2W ", 14), ("0", 0), ("36500d", MAX_WINDOW_DAYS)],
)
def test_parse_window(text: str, days: int) -> None:
    assert parse_window(text) == days


@pytest.mark.parametrize("text", ["-1d", "1.5w", "30 days", "2m", "1y", "", "d", "٣٠", "3e1"])
def test_parse_window_refuses_with_a_hint(text: str) -> None:
    with pytest.raises(ValidationError, match=r"30d, 2w or 30"):
        parse_window(text, field="--within")


def test_parse_window_refuses_more_than_a_hundred_years() -> None:
    with pytest.raises(ValidationError, match="at most 36500 days"):
        parse_window("5215w")


def test_an_expired_token_is_listed_by_its_expiry_even_when_rotation_came_due_first() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    token = make_token(
        "old",
        last_rotated_at=now - timedelta(days=200),  # rotation due 110 days ago
        expires_at=now - timedelta(days=3),
    )
    [item] = due_items([token], DEFAULT_POLICY, now)
    assert item.status is Status.EXPIRED
    assert (item.what, item.deadline, item.days) == ("expires", token.expires_at, -3)
