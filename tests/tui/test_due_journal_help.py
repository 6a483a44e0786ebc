"""Pilot tests for the due view, the journal screen and the help modal, on a real vault.

Each screen is hosted by a tiny App that pushes it on mount, exactly as the main screen will;
the vault is the real SQLCipher one from tests/conftest.py with tokens in every status.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tests.conftest import StepClock
from tests.reliability._tamper_support import drop_journal_triggers, raw_db
from tokenvault import services
from tokenvault.domain.model import Secret, Status
from tokenvault.services import Session, TokenDraft
from tokenvault.tui.screens.due import DueScreen, DueTable
from tokenvault.tui.screens.help import HelpScreen
from tokenvault.tui.screens.journal import EntryTable, JournalFilter, JournalScreen

SIZE = (120, 34)
SECRETS = {
    "overdue-key": "ghp_SECRET_overdue_4f1a",
    "expired-key": "sk_live_SECRET_expired_77c2",
    "overdue-today": "xoxb-SECRET-today-0d9e",
    "due-soon": "AKIA_SECRET_due_soon_5b3c",
    "[b]markup": "SECRET-markup-77aa",
    "ok-key": "glpat-SECRET-ok-a1b2",
    "revoked-key": "SECRET-revoked-e5f6",
    "rotated-key": "SECRET-rotated-v1-c3d4",
}
ROTATED_SECRET = "SECRET-rotated-v2-9a8b"


class Host(App[None]):
    """Pushes one screen on mount and records what it posted to the screens below."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self._make = make
        self.chosen: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self._make())

    def on_due_screen_token_chosen(self, message: DueScreen.TokenChosen) -> None:
        self.chosen.append(message.name)


def drive(
    app: Host,
    script: Callable[[Pilot[None]], Coroutine[Any, Any, None]],
    *,
    settle: bool = True,
) -> None:
    """Run `script` against `app` at 120x34, after its workers have reported unless told
    not to (no async plugin here: asyncio.run is enough)."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            if settle:
                await settled(app, pilot)
            await script(pilot)

    asyncio.run(main())


async def settled(app: App[None], pilot: Pilot[None]) -> None:
    """Every thread worker has reported and its message has been handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()


def add(session: Session, name: str, **fields: Any) -> None:
    draft = TokenDraft(name=name, owner=fields.pop("owner", "platform"), **fields)
    services.tokens.add(session, draft, Secret(SECRETS[name]))


@pytest.fixture
def vault(session: Session, clock: StepClock) -> Session:
    """Tokens in every status at `clock.now` (policy: rotate every 90 days, remind 14)."""
    now = clock.now
    add(session, "overdue-key", environment="production", last_rotated_at=now - timedelta(100))
    add(
        session,
        "expired-key",
        owner="payments",
        environment="staging",
        issued_at=now - timedelta(30),
        expires_at=now - timedelta(3),
    )
    add(session, "overdue-today", last_rotated_at=now - timedelta(days=90, hours=2))
    add(session, "due-soon", issued_at=now - timedelta(10), expires_at=now + timedelta(5))
    add(session, "[b]markup", owner="[red]x", expires_at=now + timedelta(10))  # shown as typed
    add(session, "ok-key")
    add(session, "revoked-key", issued_at=now - timedelta(30), expires_at=now - timedelta(1))
    services.tokens.revoke(session, "revoked-key", "decommissioned", ticket="OPS-1")
    add(session, "rotated-key", last_rotated_at=now - timedelta(200))
    services.tokens.rotate(session, "rotated-key", Secret(ROTATED_SECRET))
    return session


def table_rows(app: App[None], selector: str) -> list[list[str]]:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def journal_rows(app: App[None]) -> list[list[str]]:
    return [list(cells) for cells in app.screen.query_one(EntryTable).rows]


def static_text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app: App[None]) -> str:
    """The exported SVG with its entities decoded (spaces are exported as &#160;)."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def assert_no_secret(app: App[None]) -> None:
    screenshot = screen_text(app)
    for secret in [*SECRETS.values(), ROTATED_SECRET]:
        assert secret not in screenshot
    assert "SECRET" not in screenshot


# ---- due view ------------------------------------------------------------------------------


def test_due_view_lists_what_needs_action_most_urgent_first(
    vault: Session, clock: StepClock
) -> None:
    app = Host(lambda: DueScreen(vault, clock))

    async def script(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, DueScreen)
        rows = table_rows(app, "#due-table")
        assert rows == [
            ["overdue-key", "platform", "production", "rotation", "2026-11-15", "10 days late",
             "overdue"],
            ["expired-key", "payments", "staging", "expires", "2026-11-22", "3 days late",
             "expired"],
            ["overdue-today", "platform", "-", "rotation", "2026-11-25", "today", "overdue"],
            ["due-soon", "platform", "-", "expires", "2026-11-30", "5 days left", "due"],
            ["[b]markup", "[red]x", "-", "expires", "2026-12-05", "10 days left", "due"],
        ]  # fmt: skip
        assert [r.status for r in app.screen.rows] == [
            Status.OVERDUE,
            Status.EXPIRED,
            Status.OVERDUE,
            Status.DUE,
            Status.DUE,
        ]
        counts = static_text(app, "#due-counts")
        assert counts == "2 overdue · 1 expired · 2 due in the next 14 days"
        assert "[b]markup" in screen_text(app)
        badge = app.screen.query_one("#due-table", DataTable).get_row_at(1)[-1]
        assert badge.style, "the status badge is coloured by its component class"
        assert_no_secret(app)

    drive(app, script)


def test_due_view_clips_long_names(session: Session, clock: StepClock) -> None:
    name = "very-long-" + "x" * 150
    services.tokens.add(
        session,
        TokenDraft(name=name, owner="ops", expires_at=clock.now + timedelta(days=2)),
        Secret("SECRET-long-1"),
    )
    app = Host(lambda: DueScreen(session, clock))

    async def script(pilot: Pilot[None]) -> None:
        shown = screen_text(app)
        assert "very-long-xxxx" in shown
        assert name not in shown
        assert "2 days left" in shown  # the other columns still fit the screen

    drive(app, script)


def test_due_view_reads_in_a_worker(vault: Session, clock: StepClock) -> None:
    app = Host(lambda: DueScreen(vault, clock))

    async def script(pilot: Pilot[None]) -> None:
        try:
            assert static_text(app, "#due-counts") == "loading…"
            assert not app.screen.has_class("-empty")
        finally:
            vault._mutex.release()
        await settled(app, pilot)
        assert static_text(app, "#due-counts").startswith("2 overdue")

    vault._mutex.acquire()
    drive(app, script, settle=False)


def test_due_view_enter_chooses_the_token_and_goes_back(vault: Session, clock: StepClock) -> None:
    app = Host(lambda: DueScreen(vault, clock))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.chosen == ["overdue-today"]
        assert not isinstance(app.screen, DueScreen)

    drive(app, script)


@pytest.mark.parametrize("key", ["escape", "q"])
def test_due_view_goes_back(vault: Session, clock: StepClock, key: str) -> None:
    app = Host(lambda: DueScreen(vault, clock))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, DueScreen)
        assert app.chosen == []

    drive(app, script)


def test_due_view_says_so_when_nothing_is_due(session: Session, clock: StepClock) -> None:
    add(session, "ok-key")
    app = Host(lambda: DueScreen(session, clock))

    async def script(pilot: Pilot[None]) -> None:
        assert table_rows(app, "#due-table") == []
        assert app.screen.has_class("-empty")
        assert "Nothing is due" in screen_text(app)
        await pilot.press("enter")  # nothing to choose: stays
        assert isinstance(app.screen, DueScreen)

    drive(app, script)


# ---- journal screen ----------------------------------------------------------------------


def test_journal_rows_newest_first_and_verified(vault: Session) -> None:
    app = Host(lambda: JournalScreen(vault))
    head = vault.seen.size

    async def script(pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        rows = journal_rows(app)
        assert [int(r[0]) for r in rows] == list(range(head - 1, -1, -1))
        assert rows[0][2:5] == ["alice", "token.rotate", "rotated-key"]
        assert rows[0][1] == "2026-11-25 10:00:00Z"
        assert rows[2][4:] == ["revoked-key", "revoked: decommissioned (OPS-1)"]
        assert rows[-1][3] == "vault.genesis"
        assert static_text(app, "#journal-count") == f"{head} entries"
        report = screen.report
        assert report is not None
        assert report.ok
        assert static_text(app, "#journal-verify") == (
            f"✓ verified {head} entries · head root {report.root[:16]}… · "
            f"genesis {report.genesis_hash[:16]}…"
        )
        assert screen.query_one("#journal-verify").has_class("-verified")
        shown = screen_text(app)
        assert "rotated v1 → v2" in shown
        assert "[b]markup" in shown  # user text is never read as markup
        assert "✓ verified" in shown
        assert_no_secret(app)

    drive(app, script)


def test_journal_shows_progress_until_the_workers_report(vault: Session) -> None:
    """Hold the session's lock (reentrant: the app runs on this thread) so both worker
    threads wait inside the service while the screen is already up."""
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        try:
            assert static_text(app, "#journal-verify") == "verifying…"
            assert app.screen.query_one("#journal-verify").has_class("-verifying")
            assert static_text(app, "#journal-count") == "loading…"
            await pilot.press("slash", "v", "2")  # typing while loading is fine
            assert static_text(app, "#journal-count") == "loading…"
        finally:
            vault._mutex.release()
        await settled(app, pilot)
        assert static_text(app, "#journal-verify").startswith("✓ verified")
        assert [r[3] for r in journal_rows(app)] == ["token.rotate"]  # "rotated v1 → v2"

    vault._mutex.acquire()
    drive(app, script, settle=False)


def test_journal_filter_narrows_and_escape_clears(vault: Session) -> None:
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        total = len(journal_rows(app))
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"ops-1")  # the revoke ticket, any case
        assert [r[3] for r in journal_rows(app)] == ["token.revoke"]
        assert static_text(app, "#journal-count") == f"1 of {total} entries"
        await pilot.press(*" alice")  # every word must match, in any column
        assert [r[3] for r in journal_rows(app)] == ["token.revoke"]
        await pilot.press(*" zzz")
        assert journal_rows(app) == []
        await pilot.pause()
        assert "0 of" in screen_text(app)
        await pilot.press("escape")  # in the filter: clears it, stays on the screen
        assert isinstance(app.screen, JournalScreen)
        assert app.screen.query_one(Input).value == ""
        assert isinstance(app.focused, EntryTable)
        assert len(journal_rows(app)) == total
        await pilot.press("escape")  # outside the filter: back
        assert not isinstance(app.screen, JournalScreen)

    drive(app, script)


def test_journal_filter_takes_keys_that_are_bindings_elsewhere(vault: Session) -> None:
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("slash", *"due-soon", "q", "e", "slash")
        assert app.screen.query_one(Input).value == "due-soonqe/"
        assert isinstance(app.screen, JournalScreen)
        assert not app._notifications
        await pilot.press("enter")  # back to the rows, filter kept
        assert isinstance(app.focused, EntryTable)
        assert app.screen.query_one(Input).value == "due-soonqe/"

    drive(app, script)


def test_journal_rows_scroll_with_the_cursor(vault: Session) -> None:
    for i in range(40):
        services.tokens.review(vault, "ok-key", note=f"check {i}")
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        table = app.screen.query_one(EntryTable)
        assert table.has_focus
        await pilot.press("end")
        assert table.cursor == len(table.rows) - 1
        assert table.scroll_offset.y > 0
        await pilot.pause()
        assert "vault created by alice" in screen_text(app)
        await pilot.press("home", "down", "down")
        assert (table.cursor, table.scroll_offset.y) == (2, 0)

    drive(app, script)


def test_journal_export_says_when_it_arrives(vault: Session) -> None:
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("e")
        messages = [n.message for n in app._notifications]
        assert messages == ["Export arrives with the audit export issue (#5)"]
        assert app.screen.active_bindings["e"].binding.id == "journal-export"

    drive(app, script)


def test_journal_header_shows_a_tampered_journal(vault: Session) -> None:
    """An insider edits one signed line behind the services' back (as tests/reliability)."""
    seq = 3
    with raw_db(vault.paths.db, vault.dek) as conn:
        drop_journal_triggers(conn)
        query = "SELECT line FROM journal WHERE seq = ?"
        line = bytearray(conn.execute(query, (seq,)).fetchone()[0])
        line[len(line) // 2] ^= 0x01
        conn.execute("UPDATE journal SET line = ? WHERE seq = ?", (bytes(line), seq))
    app = Host(lambda: JournalScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        header = static_text(app, "#journal-verify")
        assert header.startswith(f"✗ journal entry {seq}: ")
        assert app.screen.query_one("#journal-verify").has_class("-failed")
        assert static_text(app, "#journal-count").startswith("cannot read the journal: ")
        assert journal_rows(app) == []
        assert_no_secret(app)

    drive(app, script)


@pytest.mark.parametrize(
    "owner", [DueScreen, DueTable, JournalScreen, JournalFilter, EntryTable, HelpScreen]
)
def test_every_shown_binding_has_an_id_and_a_tooltip(owner: type[DOMNode]) -> None:
    for binding in owner.BINDINGS:
        assert isinstance(binding, Binding)
        if binding.show:
            assert binding.id, binding
            assert binding.tooltip, binding


# ---- help --------------------------------------------------------------------------------

KEYS = [
    ("c", "Copy", "Copy the secret to the clipboard"),
    ("[", "Prev", "A key display that looks like markup"),
    ("d", "Due", "Tokens due, overdue or expired"),
]


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
def test_help_lists_the_given_keys_and_closes(key: str) -> None:
    app = Host(lambda: HelpScreen(KEYS))

    async def script(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, HelpScreen)
        assert table_rows(app, "#help-keys") == [list(row) for row in KEYS]
        shot = screen_text(app)
        assert "Keys" in shot
        assert "used_by" in shot
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

    drive(app, script)


def test_due_badges_follow_the_theme(vault: Session, clock: StepClock) -> None:
    app = Host(lambda: DueScreen(vault, clock))

    def badge() -> object:
        return app.screen.query_one("#due-table", DataTable).get_row_at(1)[-1].style

    async def script(pilot: Pilot[None]) -> None:
        app.theme = "textual-dark"
        await pilot.pause()
        dark = badge()
        app.theme = "textual-light"
        await pilot.pause()
        assert badge() != dark

    drive(app, script)
