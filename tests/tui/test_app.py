"""Pilot tests of the whole app on a real vault: unlock, the banners, copy and its clearing,
reveal and its auto-hide, the idle lock, the palette, and a crash that prints no locals.

Time is the StepClock from tests/conftest.py; tests move it and call `app.tick()` instead of
sleeping. The system clipboard is an in-memory one (OSC 52 is the app's own `_clipboard`).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.conftest import MEMBER, PASSPHRASE, StepClock, unlock
from tokenvault import services
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft
from tokenvault.services.clipboard import Clipboard
from tokenvault.tui.app import TokenVaultApp
from tokenvault.tui.screens.main import MainScreen
from tokenvault.tui.screens.unlock import UnlockScreen
from tokenvault.tui.widgets.detail import DetailPane
from tokenvault.tui.widgets.token_table import TokenTable

SIZE = (120, 34)
SECRETS = {"gh-deploy": "ghp_appTestSecret_1111", "stripe-live": "sk_live_appTestSecret_2222"}


class MemoryBoard:
    def __init__(self) -> None:
        self.text = ""

    def copy(self, text: str) -> None:
        self.text = text

    def paste(self) -> str:
        return self.text

    def board(self) -> Clipboard:
        return Clipboard(self.copy, self.paste)


def seed(vault: Path, clock: StepClock, state: Path) -> None:
    session = unlock(vault, clock, state)
    try:
        for name, secret in SECRETS.items():
            draft = TokenDraft(name=name, owner=MEMBER, service=name.split("-")[0])
            services.tokens.add(session, draft, Secret(secret))
    finally:
        session.lock()


def make_app(vault: Path, clock: StepClock, state: Path, board: MemoryBoard) -> TokenVaultApp:
    return TokenVaultApp(
        vault, member=MEMBER, clock=clock, state_dir=state, clipboard=board.board, tick_seconds=3600
    )


async def until(pilot: Pilot[Any], check: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        if check():
            return
    raise AssertionError(f"timed out waiting for {what}")


async def unlock_app(pilot: Pilot[Any], passphrase: str = PASSPHRASE) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
    app.screen.query_one("#unlock-passphrase", Input).value = passphrase
    await pilot.press("enter")


async def main_ready(pilot: Pilot[Any]) -> MainScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await until(pilot, lambda: screen.query_one(TokenTable).total_count > 0, "the rows")
    return screen


def run(
    vault: Path, clock: StepClock, state: Path, board: MemoryBoard,
    body: Callable[[Pilot[Any], TokenVaultApp], Awaitable[None]],
) -> None:  # fmt: skip
    async def go() -> None:
        app = make_app(vault, clock, state, board)
        async with app.run_test(size=SIZE) as pilot:
            await body(pilot, app)

    asyncio.run(go())


def journal_types(vault: Path, clock: StepClock, state: Path) -> list[tuple[str, dict[str, Any]]]:
    session = unlock(vault, clock, state)
    try:
        return [(e.type, dict(e.body)) for e in services.journal.recent(session, limit=1000)]
    finally:
        session.lock()


def test_wrong_passphrase_keeps_focus_then_unlocks_with_a_banner(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot, "not the passphrase")
        screen = app.screen
        error = screen.query_one("#unlock-error", Static)
        await until(pilot, lambda: "wrong passphrase" in str(error.render()), "the inline error")
        field = screen.query_one("#unlock-passphrase", Input)
        assert field.has_focus
        assert field.value == ""
        await unlock_app(pilot)
        main = await main_ready(pilot)
        assert main.query_one(TokenTable).total_count == 2
        messages = [n.message for n in app._notifications]
        assert any("1 failed unlock attempt" in m for m in messages), messages

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_rollback_is_an_unmissable_banner(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(vault_dir, older)
    seed(vault_dir, clock, state_dir)  # this client has now seen a longer journal
    shutil.rmtree(vault_dir)
    shutil.copytree(older, vault_dir)  # someone puts the old files back

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await until_main(pilot)
        banner = main.query_one("#banner", Static)
        assert banner.has_class("-shown")
        assert "ROLLBACK OR FORK" in str(banner.render())

    async def until_main(pilot: Pilot[Any]) -> MainScreen:
        await until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "main")
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        return screen

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_filter_then_enter_copies_and_the_clipboard_clears_after_the_policy_seconds(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)
    board = MemoryBoard()

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        await pilot.press("slash", *"stripe", "enter")
        table = main.query_one(TokenTable)
        assert table.visible_count == 1
        assert board.text == SECRETS["stripe-live"]
        assert app._clipboard == SECRETS["stripe-live"]  # OSC 52 too
        assert table.has_focus
        clock.advance(seconds=19)
        app.tick()
        assert board.text == SECRETS["stripe-live"]
        clock.advance(seconds=1)
        app.tick()
        assert board.text == ""
        assert app._clipboard == ""

    run(vault_dir, clock, state_dir, board, body)
    copies = [b for t, b in journal_types(vault_dir, clock, state_dir) if t == "token.reveal"]
    assert [(b["name"], b["how"]) for b in copies] == [("stripe-live", "copy")]


def test_a_clipboard_changed_meanwhile_is_left_alone(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)
    board = MemoryBoard()

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        await main_ready(pilot)
        await pilot.press("c")
        board.text = "something else the operator copied"
        clock.advance(seconds=30)
        app.tick()
        assert board.text == "something else the operator copied"

    run(vault_dir, clock, state_dir, board, body)


def test_reveal_shows_the_secret_then_hides_it_after_ten_seconds(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        before = app.export_screenshot()
        assert not any(secret in before for secret in SECRETS.values())
        await pilot.press("v")
        pane = main.query_one(DetailPane)
        assert pane.revealed
        shown = app.export_screenshot()
        assert SECRETS["gh-deploy"] in shown
        clock.advance(seconds=9)
        app.tick()
        assert pane.revealed
        clock.advance(seconds=1)
        app.tick()
        await pilot.pause()
        assert not pane.revealed
        assert SECRETS["gh-deploy"] not in app.export_screenshot()

    run(vault_dir, clock, state_dir, MemoryBoard(), body)
    reveals = [b for t, b in journal_types(vault_dir, clock, state_dir) if t == "token.reveal"]
    assert [(b["name"], b["how"]) for b in reveals] == [("gh-deploy", "view")]


def test_idle_lock_drops_the_session_and_clears_the_clipboard(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)
    board = MemoryBoard()

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        await main_ready(pilot)
        await pilot.press("c")
        session = app.session
        assert session is not None
        assert board.text == SECRETS["gh-deploy"]
        clock.advance(seconds=299)
        app.tick()
        assert isinstance(app.screen, MainScreen)
        clock.advance(seconds=1)
        app.tick()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert app.session is None
        assert session.locked
        assert board.text == ""
        assert "locked after 300 s" in str(app.screen.query_one("#unlock-notice", Static).render())
        await unlock_app(pilot)  # and back in
        await main_ready(pilot)

    run(vault_dir, clock, state_dir, board, body)


def test_key_presses_postpone_the_idle_lock_and_ctrl_l_locks_now(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        await main_ready(pilot)
        clock.advance(seconds=200)
        await pilot.press("down")
        clock.advance(seconds=200)
        app.tick()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert app.session is None

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_quit_clears_the_clipboard_and_locks(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)
    board = MemoryBoard()
    seen: list[Any] = []

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        await main_ready(pilot)
        await pilot.press("c")
        seen.append(app.session)
        await pilot.press("q")
        await pilot.pause()

    run(vault_dir, clock, state_dir, board, body)
    assert board.text == ""
    assert seen[0].locked


def test_palette_has_area_verb_commands_and_no_screenshot(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await until(pilot, lambda: isinstance(app.screen, UnlockScreen), "unlock")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)  # no palette before unlocking
        await unlock_app(pilot)
        await main_ready(pilot)
        titles = [c.title.lower() for c in app.get_system_commands(app.screen)]
        assert not any("screenshot" in t for t in titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"rotate")

        def prompts() -> list[str]:
            if not app.screen.query(OptionList):
                return []
            options = app.screen.query_one(OptionList)
            found = (options.get_option_at_index(i) for i in range(options.option_count))
            return [str(option.prompt) for option in found]

        await until(pilot, lambda: any("token: rotate" in p for p in prompts()), "the command")

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_add_through_the_form_lands_in_the_vault(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        form.query_one("#name", Input).value = "slack-bot"
        form.query_one("#owner", Input).value = "sre"
        form.query_one("#secret", Input).value = "xoxb-app-test"
        form.query_one("#secret_again", Input).value = "xoxb-app-test"
        await pilot.press("ctrl+s")
        table = main.query_one(TokenTable)
        await until(pilot, lambda: table.total_count == 3, "the new row")

    run(vault_dir, clock, state_dir, MemoryBoard(), body)
    session = unlock(vault_dir, clock, state_dir)
    try:
        assert services.tokens.reveal(session, "slack-bot") == Secret("xoxb-app-test")
    finally:
        session.lock()


def test_a_crash_prints_no_locals(vault_dir: Path, clock: StepClock, state_dir: Path) -> None:
    app = make_app(vault_dir, clock, state_dir, MemoryBoard())
    secret_in_a_local = "ghp_THIS_MUST_NOT_PRINT"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        app._fatal_error()
    rendered = " ".join(str(r) for r in app._exit_renderables)
    assert secret_in_a_local not in rendered
    assert "internal error" in rendered


def test_arrow_keys_in_the_filter_move_the_table_cursor(
    vault_dir: Path, clock: StepClock, state_dir: Path
) -> None:
    seed(vault_dir, clock, state_dir)
    board = MemoryBoard()

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        await pilot.press("slash", "down", "enter")  # gh-deploy is first; down: stripe-live
        assert main.query_one(TokenTable).visible_count == 2
        assert board.text == SECRETS["stripe-live"]

    run(vault_dir, clock, state_dir, board, body)
