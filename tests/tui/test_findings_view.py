"""Pilot tests for the findings view and the detail pane's findings, on a real vault.

The screen is hosted by a tiny App (as the due view's tests do) for what it shows and how it
filters; the whole app (`TokenVaultApp`, unlocked through its screen) for the way back to the
main screen, the detail pane, the help and the palette. The vault holds one token per kind of
finding, so every row is known: and the rows are checked against `services.findings.check`
itself, the report `tokenvault check` prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.conftest import PASSPHRASE, StepClock, unlock
from tests.tui.test_due_journal_help import Host as DueHost
from tests.tui.test_due_journal_help import drive, screen_text, settled, static_text
from tokenvault import services
from tokenvault.domain.findings import Severity
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft
from tokenvault.services.findings import check
from tokenvault.tui.app import TokenVaultApp
from tokenvault.tui.screens.findings import (
    FindingsScreen,
    FindingsTable,
    column_widths,
    natural_widths,
)
from tokenvault.tui.screens.help import HelpScreen
from tokenvault.tui.screens.main import MainScreen
from tokenvault.tui.screens.unlock import UnlockScreen
from tokenvault.tui.widgets.token_table import TokenTable

SIZE = (120, 34)
SECRETS = {
    "prod-admin": "SECRET-prod-admin-7f3e",
    "staging-admin": "SECRET-staging-admin-1c2d",
    "no-owner": "SECRET-no-owner-9a8b",
    "expired-key": "SECRET-expired-4e5f",
    "no-deploy": "SECRET-no-deploy-6a7b",
    "no-expiry": "SECRET-no-expiry-2c3d",
    "[b]markup": "SECRET-markup-8e9f",
    "clean": "SECRET-clean-0a1b",
    "revoked-admin": "SECRET-revoked-5c6d",
}
# At warning and above (the default), most severe first, then by token name.
WARNING_AND_UP = [
    ("error", "EXPIRED_ACTIVE", "expired-key"),
    ("error", "NO_OWNER", "no-owner"),
    ("error", "BROAD_SCOPE", "prod-admin"),
    ("warning", "UNUSED_DEPLOYMENT", "[b]markup"),
    ("warning", "UNUSED_DEPLOYMENT", "no-deploy"),
    ("warning", "BROAD_SCOPE", "staging-admin"),
]
INFO = [("info", "NO_EXPIRY", "no-expiry")]


def add(session: Session, name: str, **fields: Any) -> None:
    now = session.clock()
    fields.setdefault("owner", "platform")
    fields.setdefault("used_by", ("ci: deploy.yml",))
    fields.setdefault("expires_at", now + timedelta(days=30))
    services.tokens.add(session, TokenDraft(name=name, **fields), Secret(SECRETS[name]))


def fill(session: Session) -> None:
    """One token per kind of finding (policy: the defaults, an owner required), and two
    without any: a clean one and a revoked one. The token without an owner predates the
    policy's rule (the service refuses to add one now)."""
    now = session.clock()
    add(session, "prod-admin", environment="production", scopes=("admin", "read"))
    add(session, "staging-admin", environment="staging", scopes=("admin",))
    services.policy.update(session, {"require_owner": False})
    add(session, "no-owner", owner="")  # from before the policy asked for owners
    services.policy.update(session, {"require_owner": True})
    add(session, "expired-key", owner="payments", issued_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=3))  # fmt: skip
    add(session, "no-deploy", owner="sre", used_by=())
    add(session, "no-expiry", owner="sre", expires_at=None)
    add(session, "[b]markup", owner="[red]x", used_by=())  # shown as typed, never as markup
    add(session, "clean")
    add(session, "revoked-admin", environment="production", scopes=("*",))
    services.tokens.revoke(session, "revoked-admin", "decommissioned")


@pytest.fixture
def vault(session: Session) -> Session:
    fill(session)
    return session


class Host(DueHost):
    """Pushes the findings screen on mount (as the due view's host); records the tokens it
    hands back."""

    def on_findings_screen_token_chosen(self, message: FindingsScreen.TokenChosen) -> None:
        self.chosen.append(message.name)


def rows(app: App[Any]) -> list[tuple[str, str, str]]:
    table = app.screen.query_one(FindingsTable)
    return [(f.severity.value, f.code.value, f.token) for f in table.findings]


def drawn(app: App[Any]) -> list[str]:
    """The table's lines as drawn (header first), right-trimmed."""
    table = app.screen.query_one(FindingsTable)
    return [table.render_line(y).text.rstrip() for y in range(len(table.findings) + 1)]


def assert_no_secret(app: App[Any]) -> None:
    shown = screen_text(app)
    assert not [name for name, secret in SECRETS.items() if secret in shown]
    assert "SECRET" not in shown


# ---- the screen ----------------------------------------------------------------------------


def test_findings_view_lists_the_report_most_severe_first(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        assert rows(app) == WARNING_AND_UP
        assert static_text(app, "#findings-counts") == (
            "3 error · 3 warning · 1 info — 8 tokens checked — showing warning and above (6)"
        )
        lines = drawn(app)
        assert lines[0].split() == ["SEVERITY", "CODE", "TOKEN", "OWNER", "FINDING", "CONTROL"]
        assert lines[3].split()[:4] == ["error", "BROAD_SCOPE", "prod-admin", "platform"]
        assert "broad scope admin in production" in lines[3]
        assert "SOC 2 CC6.3" in lines[3]
        assert lines[2].split()[:4] == ["error", "NO_OWNER", "no-owner", "-"]
        shown = screen_text(app)
        assert "[b]markup" in shown
        assert "[red]x" in shown
        assert screen.query_one(FindingsTable).has_focus
        assert not screen.has_class("-empty")
        assert_no_secret(app)

    drive(app, script)


def test_findings_view_shows_what_tokenvault_check_reports(vault: Session) -> None:
    """No rule of its own: the rows are the service's report, filtered by its at_least()."""
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        report = check(vault)
        for key, severity in (("1", Severity.INFO), ("3", Severity.ERROR)):
            await pilot.press(key)
            assert list(app.screen.query_one(FindingsTable).findings) == report.at_least(severity)

    drive(app, script)


def test_severity_keys_filter_the_rows(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("1")
        assert rows(app) == WARNING_AND_UP + INFO
        assert static_text(app, "#findings-counts").endswith("showing every finding (7)")
        await pilot.press("3")
        assert rows(app) == WARNING_AND_UP[:3]
        assert static_text(app, "#findings-counts").endswith("showing errors only (3)")
        await pilot.press("2")
        assert rows(app) == WARNING_AND_UP
        assert isinstance(app.screen, FindingsScreen)

    drive(app, script)


def test_the_cursor_stays_on_its_finding_across_filters(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        table = app.screen.query_one(FindingsTable)
        await pilot.press("down", "down")
        assert table.highlighted is not None
        assert table.highlighted.token == "prod-admin"
        await pilot.press("1")
        assert table.highlighted is not None
        assert table.highlighted.token == "prod-admin"
        await pilot.press("end", "3")  # no-expiry (info) is gone: back to the top
        assert table.cursor == 0

    drive(app, script)


def test_the_highlighted_finding_is_spelled_out_below(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        detail = "#findings-detail"
        await pilot.press("down", "down")
        assert static_text(app, detail) == (
            "prod-admin (owner platform, production) · BROAD_SCOPE (error)\n"
            "broad scope admin in production\n"
            "control: SOC 2 CC6.3 least privilege"
        )
        await pilot.press("down")
        assert static_text(app, detail).startswith("[b]markup (owner [red]x) · UNUSED_DEPLOYMENT")

    drive(app, script)


def test_enter_chooses_the_token_and_goes_back(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.chosen == ["prod-admin"]
        assert not isinstance(app.screen, FindingsScreen)

    drive(app, script)


@pytest.mark.parametrize("key", ["escape", "q"])
def test_escape_and_q_go_back(vault: Session, key: str) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, FindingsScreen)
        assert app.chosen == []

    drive(app, script)


def test_nothing_at_or_above_warning_says_so(session: Session) -> None:
    add(session, "clean")
    add(session, "no-expiry", owner="sre", expires_at=None)  # info only
    app = Host(lambda: FindingsScreen(session))

    async def script(pilot: Pilot[None]) -> None:
        assert rows(app) == []
        assert app.screen.has_class("-empty")
        assert static_text(app, "#findings-empty") == (
            "No findings at or above warning. 1 below it: press 1 to show every finding."
        )
        assert "No findings at or above warning" in screen_text(app)
        await pilot.press("enter")  # nothing to choose: stays
        assert isinstance(app.screen, FindingsScreen)
        assert app.chosen == []
        await pilot.press("1")
        assert rows(app) == INFO
        assert not app.screen.has_class("-empty")

    drive(app, script)


def test_an_empty_vault_has_no_findings_at_all(session: Session) -> None:
    app = Host(lambda: FindingsScreen(session))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("1")
        assert static_text(app, "#findings-empty") == "No findings: every token meets the policy."
        assert static_text(app, "#findings-counts").startswith("0 error · 0 warning · 0 info")

    drive(app, script)


def test_the_report_is_made_in_a_worker(vault: Session) -> None:
    """Hold the session's lock (reentrant: the app runs on this thread) so the worker waits
    inside the service while the screen is already up."""
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        try:
            assert static_text(app, "#findings-counts") == "loading…"
            assert rows(app) == []
            await pilot.press("1")  # filtering before the report is harmless
        finally:
            vault._mutex.release()
        await settled(app, pilot)
        assert rows(app) == WARNING_AND_UP + INFO  # the filter chosen meanwhile holds

    vault._mutex.acquire()
    drive(app, script, settle=False)


def test_a_vault_that_cannot_be_read_says_why(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))
    vault.lock()

    async def script(pilot: Pilot[None]) -> None:
        assert static_text(app, "#findings-counts").startswith("cannot read the vault: ")
        assert app.screen.query_one("#findings-counts").has_class("-failed")
        assert rows(app) == []

    drive(app, script)


def test_severity_badges_use_their_component_styles(vault: Session) -> None:
    app = Host(lambda: FindingsScreen(vault))

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("1", "end")  # the cursor off the error rows
        table = app.screen.query_one(FindingsTable)
        badges = {}
        for y, severity in ((1, "error"), (4, "warning"), (6, "warning"), (7, "info")):
            badge = table.render_line(y)._segments[0]
            assert badge.text.strip() == severity
            expected = table.get_component_rich_style(f"findings-table--severity-{severity}")
            assert badge.style is not None
            assert badge.style.color == expected.color
            badges[severity] = badge.style
        assert len({style.color for style in badges.values()}) == 3

    drive(app, script)


@pytest.mark.parametrize("owner", [FindingsScreen, FindingsTable])
def test_every_binding_has_an_id_and_a_tooltip(owner: type[DOMNode]) -> None:
    for binding in owner.BINDINGS:
        assert isinstance(binding, Binding)
        assert binding.id, binding
        assert binding.tooltip, binding


def test_the_message_column_takes_what_the_others_leave() -> None:
    natural = (30, 8, 90, 32)  # token, owner, message, control
    widths = column_widths(118, natural)
    assert sum(widths) + len(widths) - 1 == 118
    assert widths[:4] == (9, 17, 24, 8)
    assert widths[5] == 12
    wide = column_widths(200, natural)
    assert wide[5] == 32
    assert wide[4] >= 90
    assert sum(wide) + len(wide) - 1 == 200
    narrow = column_widths(80, natural)
    assert narrow[4] == 20
    assert narrow[2] >= 12
    assert natural_widths([]) == (5, 5, 7, 7)  # the labels


# ---- the whole app: the way back, the detail pane, help and palette ----------------------


def seed(vault_dir: Path, clock: StepClock, state_dir: Path) -> None:
    session = unlock(vault_dir, clock, state_dir)
    try:
        fill(session)
    finally:
        session.lock()


def run(
    vault_dir: Path,
    clock: StepClock,
    state_dir: Path,
    body: Callable[[Pilot[Any], TokenVaultApp], Awaitable[None]],
) -> None:
    async def go() -> None:
        app = TokenVaultApp(
            vault_dir, clock=clock, state_dir=state_dir, clipboard=lambda: None,
            tick_seconds=3600,
        )  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await body(pilot, app)

    asyncio.run(go())


async def until(pilot: Pilot[Any], ready: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.02)
        if ready():
            return
    raise AssertionError(f"timed out waiting for {what} (screen: {pilot.app.screen!r})")


async def main_screen(pilot: Pilot[Any]) -> MainScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
    app.screen.query_one("#unlock-passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, MainScreen) and screen.query_one(TokenTable).total_count > 0

    await until(pilot, ready, "the main screen")
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def findings_screen(pilot: Pilot[Any]) -> FindingsScreen:
    await pilot.press("f")

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, FindingsScreen) and screen.report is not None

    await until(pilot, ready, "the findings")
    screen = pilot.app.screen
    assert isinstance(screen, FindingsScreen)
    return screen


def pane_findings(main: MainScreen) -> str:
    return str(main.query_one("#detail-findings", Static).render())


def test_f_opens_the_findings_and_enter_lands_on_the_token(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        main = await main_screen(pilot)
        await pilot.press("slash", *"clean")  # a filter that hides the chosen token
        table = main.query_one(TokenTable)
        await pilot.press("enter")  # copies clean and hands the keys back to the table
        assert table.visible_count == 1
        screen = await findings_screen(pilot)
        assert rows(app) == WARNING_AND_UP
        assert screen.report is not None
        assert screen.report.now == clock.now
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: app.screen is main, "the main screen again")
        assert table.highlighted is not None
        assert table.highlighted.name == "prod-admin"
        assert main.query_one("#filter", Input).value == ""  # cleared to show it
        await until(pilot, lambda: "BROAD_SCOPE" in pane_findings(main), "the pane's findings")
        assert pane_findings(main) == (
            "findings (1)\nerror BROAD_SCOPE\nbroad scope admin in production"
        )
        await findings_screen(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, "back on the main screen")
        assert table.highlighted is not None
        assert table.highlighted.name == "prod-admin"

    run(vault_dir, clock, state_dir, body)


def test_the_detail_pane_lists_the_tokens_findings(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        main = await main_screen(pilot)
        table = main.query_one(TokenTable)
        expected = {
            "expired-key": "findings (1)\nerror EXPIRED_ACTIVE\nexpired 2026-11-22 (3 days "
            "ago) and is not revoked: rotate or revoke it",
            "no-expiry": "findings (1)\ninfo NO_EXPIRY\nno expiry date, so the 365-day "
            "lifetime limit cannot hold",
            "[b]markup": "findings (1)\nwarning UNUSED_DEPLOYMENT\nno deployment recorded "
            "(used_by empty)",
            "clean": "findings\nnone",
            "revoked-admin": "findings\nnone: revoked",
        }
        for name, text in expected.items():
            assert table.select_name(name)

            def ready(text: str = text) -> bool:
                return pane_findings(main) == text

            await until(pilot, ready, f"the findings of {name}")
        # the same findings as the report, for every token
        assert app.session is not None
        report = check(app.session)
        by_token = report.by_token()
        for row in table.rows:
            assert table.select_name(row.name)
            found = by_token.get(row.id, [])
            codes = [f"{f.severity.value} {f.code.value}" for f in found]

            def shown(codes: list[str] = codes) -> bool:
                lines = pane_findings(main).splitlines()
                return [line for line in lines if line.split(" ")[0] in
                        ("error", "warning", "info")] == codes  # fmt: skip

            await until(pilot, shown, f"the findings of {row.name}")

    run(vault_dir, clock, state_dir, body)


def test_help_and_palette_offer_the_findings(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        main = await main_screen(pilot)
        binding = main.active_bindings["f"].binding
        assert (binding.id, binding.action) == ("findings", "findings")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        keys = app.screen.query_one("#help-keys")
        help_rows = [
            [str(cell) for cell in keys.get_row_at(i)]  # type: ignore[attr-defined]
            for i in range(keys.row_count)  # type: ignore[attr-defined]
        ]
        assert ["f", "Findings", "Policy findings, most severe first"] in help_rows
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, "the main screen")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"findings")

        def prompts() -> list[str]:
            if not app.screen.query(OptionList):
                return []
            options = app.screen.query_one(OptionList)
            found = (options.get_option_at_index(i) for i in range(options.option_count))
            return [str(option.prompt) for option in found]

        await until(pilot, lambda: any("view: findings" in p for p in prompts()), "the command")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FindingsScreen), "the findings")

    run(vault_dir, clock, state_dir, body)
