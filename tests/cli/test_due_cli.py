"""`tokenvault due` through the real console script (issue 6): the table most urgent first,
`--json`, `--within`, the exit codes cron and CI rely on, and the `--ics` calendar.

The CLI reads the system clock (it has no clock to inject), so the tokens are seeded in
process with deadlines relative to the real now, whole days away: a few seconds between the
seeding and the command never change a day count. Every test checks that nothing was
journaled (`due` is a read) and the seeded secrets never appear in any output.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Alarm, Calendar, Event

from tests.cli.conftest import Cli, Result, assert_one_line_error
from tokenvault import services
from tokenvault.domain.model import Secret, Token
from tokenvault.domain.timefmt import format_ts
from tokenvault.services import TokenDraft

JSON_KEYS = [
    "token",
    "token_id",
    "owner",
    "environment",
    "service",
    "status",
    "what",
    "deadline",
    "days_left",
]
HEADERS = ["STATUS", "TOKEN", "OWNER", "WHAT", "DEADLINE", "DAYS"]


def secret_of(name: str) -> str:
    return f"SECRET-{name}-7f3a9c"


@dataclass
class Seeded:
    cli: Cli
    tokens: dict[str, Token]
    vault_id: str
    journal_size: int

    def deadline(self, name: str, what: str) -> datetime:
        token = self.tokens[name]
        if what == "expires":
            assert token.expires_at is not None
            return token.expires_at
        return token.last_rotated_at + timedelta(days=token.rotate_every_days or 90)

    def run(self, *args: str) -> Result:
        result = self.cli("due", *args)
        for token in self.tokens:
            assert secret_of(token) not in result.out + result.err
        return result

    def assert_nothing_journaled(self) -> None:
        assert self.cli.journal_size() == self.journal_size


def seed(cli: Cli, drafts: list[TokenDraft], revoke: tuple[str, ...] = ()) -> Seeded:
    session = cli.session()
    try:
        made = services.tokens.add_many(
            session, [(d, Secret(secret_of(d.name))) for d in drafts], source="test"
        )
        for name in revoke:
            services.tokens.revoke(session, name, "decommissioned")
        vault_id = session.vault_id
    finally:
        session.lock()
    return Seeded(cli, {t.name: t for t in made}, vault_id, cli.journal_size())


def inventory(now: datetime) -> list[TokenDraft]:
    """One token of each kind, with deadlines whole days from `now`."""
    day = timedelta(days=1)
    return [
        TokenDraft(
            name="stripe-live",
            owner="payments",
            service="stripe",
            environment="production",
            used_by=["api-gateway", "billing-worker"],
            expires_at=now + 3 * day,
            last_rotated_at=now,
        ),
        TokenDraft(
            name="gh-deploy", owner="platform", expires_at=now + 40 * day, last_rotated_at=now
        ),
        TokenDraft(
            name="old-ci",
            owner="ci",
            issued_at=now - 200 * day,
            expires_at=now - 2 * day,
            last_rotated_at=now - 10 * day,
        ),
        TokenDraft(name="late-rot", owner="ops", last_rotated_at=now - 95 * day),
        TokenDraft(name="fine", owner="ops", last_rotated_at=now, rotate_every_days=365),
        TokenDraft(name="gone", owner="ops", expires_at=now + day, last_rotated_at=now),
    ]


@pytest.fixture
def seeded(cli: Cli) -> Seeded:
    return seed(cli, inventory(datetime.now(UTC)), revoke=("gone",))


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def table(result: Result) -> list[list[str]]:
    lines = result.out.splitlines()
    assert cells(lines[0]) == HEADERS
    return [cells(line) for line in lines[1:]]


# ---- the table and the exit codes ------------------------------------------------------


def test_due_lists_the_late_then_the_due_most_urgent_first_and_exits_1(seeded: Seeded) -> None:
    result = seeded.run()
    assert (result.code, result.err) == (1, "")
    day = seeded.deadline
    assert table(result) == [
        ["overdue", "late-rot", "ops", "rotation", f"{day('late-rot', 'rotation'):%Y-%m-%d}",
         "5d late"],
        ["expired", "old-ci", "ci", "expires", f"{day('old-ci', 'expires'):%Y-%m-%d}", "2d late"],
        ["due", "stripe-live", "payments", "expires", f"{day('stripe-live', 'expires'):%Y-%m-%d}",
         "in 3d"],
    ]  # fmt: skip
    seeded.assert_nothing_journaled()


def test_due_exits_0_when_something_is_due_but_nothing_is_late(cli: Cli) -> None:
    now = datetime.now(UTC)
    seeded = seed(cli, [d for d in inventory(now) if d.name in ("stripe-live", "fine")])
    result = seeded.run()
    assert (result.code, result.err) == (0, "")
    assert [row[:2] for row in table(result)] == [["due", "stripe-live"]]


def test_due_on_an_empty_vault_says_so_in_one_line(cli: Cli) -> None:
    result = cli("due")
    assert (result.code, result.err) == (0, "")
    assert result.out == "nothing is due within 14 days, and nothing is overdue or expired\n"
    result = cli("due", "--json")
    assert (result.code, json.loads(result.out)) == (0, [])


def test_the_empty_line_names_the_window_asked_for(cli: Cli) -> None:
    result = cli("due", "--within", "1")
    assert result.out == "nothing is due within 1 day, and nothing is overdue or expired\n"


# ---- --json -------------------------------------------------------------------------------


def test_due_json_has_stable_fields_in_the_table_order(seeded: Seeded) -> None:
    result = seeded.run("--json")
    assert (result.code, result.err) == (1, "")
    data: list[dict[str, Any]] = json.loads(result.out)
    assert all(list(item) == JSON_KEYS for item in data)
    assert data[2] == {
        "token": "stripe-live",
        "token_id": seeded.tokens["stripe-live"].id,
        "owner": "payments",
        "environment": "production",
        "service": "stripe",
        "status": "due",
        "what": "expires",
        "deadline": format_ts(seeded.deadline("stripe-live", "expires")),
        "days_left": 3,
    }
    assert [(i["token"], i["status"], i["what"], i["days_left"]) for i in data] == [
        ("late-rot", "overdue", "rotation", -5),
        ("old-ci", "expired", "expires", -2),
        ("stripe-live", "due", "expires", 3),
    ]
    assert all(i["deadline"].endswith("Z") for i in data)
    seeded.assert_nothing_journaled()


# ---- --within -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "names"),
    [
        ("0", ["late-rot", "old-ci"]),
        ("3d", ["late-rot", "old-ci", "stripe-live"]),
        ("2w", ["late-rot", "old-ci", "stripe-live"]),
        ("39", ["late-rot", "old-ci", "stripe-live"]),
        ("6w", ["late-rot", "old-ci", "stripe-live", "gh-deploy"]),
        ("40d", ["late-rot", "old-ci", "stripe-live", "gh-deploy"]),
    ],
)
def test_within_sets_the_window(seeded: Seeded, within: str, names: list[str]) -> None:
    result = seeded.run("--within", within, "--json")
    assert result.code == 1
    assert [item["token"] for item in json.loads(result.out)] == names


def test_a_token_beyond_the_reminder_window_keeps_its_status(seeded: Seeded) -> None:
    rows = table(seeded.run("--within", "30d", "--within", "6w"))  # the last one counts
    assert rows[-1][:2] == ["ok", "gh-deploy"]
    assert rows[-1][-1] == "in 40d"


@pytest.mark.parametrize("within", ["x", "-1d", "30 days", "2m", "1.5w", "99999w", ""])
def test_a_bad_within_is_one_line_exit_2_and_nothing_is_journaled(
    seeded: Seeded, within: str
) -> None:
    result = seeded.run("--within", within)
    assert_one_line_error(result, 2, "--within")
    assert result.out == ""
    seeded.assert_nothing_journaled()


# ---- --ics --------------------------------------------------------------------------------


def read_calendar(path: Path) -> tuple[Calendar, list[Event]]:
    calendar = Calendar.from_ical(path.read_bytes())
    return calendar, list(calendar.events)


def by_summary(events: list[Event]) -> dict[str, Event]:
    return {str(event["SUMMARY"]): event for event in events}


@pytest.fixture
def ics_run(seeded: Seeded, tmp_path: Path) -> tuple[Seeded, Result, Path, date]:
    out = tmp_path / "team.ics"
    before = datetime.now(UTC).date()
    result = seeded.run("--ics", str(out))
    return seeded, result, out, before


def test_ics_has_one_event_per_token_in_90_days_and_the_late_ones(
    ics_run: tuple[Seeded, Result, Path, date],
) -> None:
    seeded, result, out, _ = ics_run
    assert (result.code, result.err) == (1, "")  # late tokens: exit 1 with --ics too
    assert result.out == (
        f"wrote 4 events to {out}: 2 expired or overdue (dated today), 2 due within 90 days\n"
    )
    _, events = read_calendar(out)
    events_by = by_summary(events)
    assert sorted(events_by) == sorted(
        [
            "Overdue: rotate late-rot (ops)",
            "Expired: old-ci (ci)",
            "stripe-live expires (payments)",
            "gh-deploy expires (platform)",
        ]
    )  # not "fine" (rotation in a year), never the revoked "gone"
    upcoming = events_by["stripe-live expires (payments)"]
    deadline = seeded.deadline("stripe-live", "expires").date()
    assert upcoming.start == deadline
    assert upcoming.end == deadline + timedelta(days=1)
    assert upcoming.uid == (
        f"{seeded.vault_id}-{seeded.tokens['stripe-live'].id}-expires-{deadline}@tokenvault"
    )
    description = str(upcoming["DESCRIPTION"])
    for fragment in (
        "owner: payments",
        "service: stripe",
        "environment: production",
        "used by: api-gateway, billing-worker",
        "tokenvault rotate stripe-live --expires DATE",
    ):
        assert fragment in description
    seeded.assert_nothing_journaled()


def test_ics_dates_late_tokens_today_and_counts_the_days_moved(
    ics_run: tuple[Seeded, Result, Path, date],
) -> None:
    seeded, _, out, before = ics_run
    after = datetime.now(UTC).date()
    events = by_summary(read_calendar(out)[1])
    late = events["Overdue: rotate late-rot (ops)"]
    assert late.start in (before, after)
    deadline = seeded.deadline("late-rot", "rotation").date()
    assert late.sequence == (late.start - deadline).days == 5
    assert late.uid.endswith(f"-rotation-{deadline}@tokenvault")  # the deadline, not today
    assert "tokenvault rotate late-rot" in str(late["DESCRIPTION"])


def test_ics_alarms_30_7_and_1_days_before_every_event(
    ics_run: tuple[Seeded, Result, Path, date],
) -> None:
    _, _, out, _ = ics_run
    _, events = read_calendar(out)
    for event in events:
        alarms = [c for c in event.subcomponents if isinstance(c, Alarm)]
        assert [a.TRIGGER for a in alarms] == [
            timedelta(days=-30),
            timedelta(days=-7),
            timedelta(days=-1),
        ]
        assert all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
        assert all(str(a["DESCRIPTION"]) == str(event["SUMMARY"]) for a in alarms)


def test_ics_uids_are_stable_across_runs_and_the_file_is_private_and_secret_free(
    ics_run: tuple[Seeded, Result, Path, date], tmp_path: Path
) -> None:
    seeded, _, out, _ = ics_run
    again = tmp_path / "again.ics"
    assert seeded.run("--ics", str(again)).code == 1
    first, second = read_calendar(out)[1], read_calendar(again)[1]
    assert [e.uid for e in first] == [e.uid for e in second]
    assert len({e.uid for e in first}) == len(first)
    for path in (out, again):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        data = path.read_bytes()
        for name in seeded.tokens:
            assert secret_of(name).encode() not in data
        assert b"SECRET" not in data
        assert b"hmac-sha256" not in data  # not even a fingerprint
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    seeded.assert_nothing_journaled()


def test_ics_follows_within_and_json_still_prints(seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "week.ics"
    result = seeded.run("--within", "7d", "--ics", str(out), "--json")
    assert result.code == 1
    names = [item["token"] for item in json.loads(result.out)]
    assert names == ["late-rot", "old-ci", "stripe-live"]
    assert len(read_calendar(out)[1]) == 3


def test_ics_with_nothing_due_is_an_empty_calendar_and_exit_0(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "empty.ics"
    result = cli("due", "--ics", str(out))
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"wrote 0 events to {out}: 0 expired or overdue (dated today), 0 due within 90 days\n"
    )
    calendar, events = read_calendar(out)
    assert events == []
    assert str(calendar["PRODID"]) == "-//tokenvault//due//EN"


@pytest.mark.parametrize("where", ["missing/team.ics", "."])
def test_ics_to_an_unwritable_place_is_one_line_exit_2(
    seeded: Seeded, tmp_path: Path, where: str
) -> None:
    out = tmp_path / where
    result = seeded.run("--ics", str(out))
    assert_one_line_error(result, 2)
    assert result.out == ""
    assert not (tmp_path / "missing").exists()
    seeded.assert_nothing_journaled()
