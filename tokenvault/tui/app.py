"""TokenVaultApp: wires the screens to one unlocked session, and keeps three promises on a
single tick driven by the injected clock — the idle lock, the clipboard clear and the reveal
auto-hide — so tests move time instead of sleeping.

A crash prints no locals: Textual's fatal-error path renders a traceback with local
variables, which could hold a secret or a key; ours prints one line (a traceback without
locals only with TOKENVAULT_DEBUG=1).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.screen import Screen

from tokenvault import services
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.model import RevealHow, Token
from tokenvault.services.clipboard import Clipboard, system_clipboard
from tokenvault.tui.clipboard import ClipboardKeeper
from tokenvault.tui.commands import TokenCommands
from tokenvault.tui.messages import TokensChanged, VaultUnlocked
from tokenvault.tui.modals.results import RevokeResult, RotateResult, TokenFormResult
from tokenvault.tui.modals.revoke import RevokeScreen
from tokenvault.tui.modals.rotate import RotateScreen
from tokenvault.tui.modals.token_form import TokenFormScreen
from tokenvault.tui.screens.due import DueScreen
from tokenvault.tui.screens.findings import FindingsScreen
from tokenvault.tui.screens.help import HelpScreen
from tokenvault.tui.screens.journal import JournalScreen
from tokenvault.tui.screens.main import MainScreen
from tokenvault.tui.screens.unlock import UnlockScreen

TICK_SECONDS = 0.5
_ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class TokenVaultApp(App[None]):
    CSS_PATH = "tokenvault.tcss"
    TITLE = "tokenvault"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {TokenCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", tooltip="Clear the clipboard and quit", id="app-quit"),
    ]

    def __init__(
        self,
        vault: Path,
        *,
        member: str | None = None,
        clock: Callable[[], datetime] = services.system_clock,
        state_dir: Path | None = None,
        clipboard: Callable[[], Clipboard | None] = system_clipboard,
        tick_seconds: float = TICK_SECONDS,
        notice: str = "",
    ) -> None:
        super().__init__()
        self.vault = vault
        self.member = member
        self.clock = clock
        self.state_dir = state_dir
        self.tick_seconds = tick_seconds
        self.session: services.Session | None = None
        self.keeper = ClipboardKeeper(self.copy_to_clipboard, clipboard)
        self.last_activity = clock()
        self.reveal_until: datetime | None = None
        self.notice = notice

    # ---- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(self.unlock_screen(self.notice))
        self.set_interval(self.tick_seconds, self.tick)

    def unlock_screen(self, notice: str = "") -> UnlockScreen:
        return UnlockScreen(
            self.vault,
            member=self.member,
            clock=self.clock,
            state_dir=self.state_dir,
            notice=notice,
        )

    @on(VaultUnlocked)
    def unlocked(self, message: VaultUnlocked) -> None:
        self.session = message.session
        self.last_activity = self.clock()
        self.switch_screen(MainScreen(message.session))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):  # what counts as "not idle"
            self.last_activity = self.clock()
        await super().on_event(event)

    def tick(self) -> None:
        """Clipboard clear, reveal auto-hide, idle lock — all against the injected clock."""
        now = self.clock()
        if self.keeper.tick(now):
            self.notify("clipboard cleared", timeout=3)
        if self.reveal_until is not None and now >= self.reveal_until:
            self.reveal_until = None
            for screen in self.screen_stack:
                if isinstance(screen, MainScreen):
                    screen.hide_reveal()
        if self.session is not None:
            idle = self.policy_seconds("idle_lock_seconds")
            if now - self.last_activity >= timedelta(seconds=idle):
                self.lock(f"locked after {idle} s without a key press")

    def policy_seconds(self, key: str) -> int:
        assert self.session is not None
        policy = services.policy.show(self.session)
        return int(getattr(policy, key))

    def lock(self, notice: str = "locked") -> None:
        """Drop keys and connection, clear the clipboard, back to the unlock screen."""
        self.keeper.clear()
        self.reveal_until = None
        if self.session is not None:
            self.session.lock()
            self.session = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(self.unlock_screen(notice))

    def action_lock(self) -> None:
        self.lock("locked")

    async def action_quit(self) -> None:
        self.shutdown()
        self.exit()

    def shutdown(self) -> None:
        self.keeper.clear()
        if self.session is not None:
            self.session.lock()
            self.session = None

    def _fatal_error(self) -> None:  # Textual's version prints locals: never ours
        self.shutdown()
        if os.environ.get("TOKENVAULT_DEBUG"):
            from rich.traceback import Traceback

            self._exit_renderables.append(Traceback(show_locals=False))
        else:
            self._exit_renderables.append(
                "tokenvault: internal error in the TUI; nothing secret was printed. "
                "Run with TOKENVAULT_DEBUG=1 for a traceback (without local variables)."
            )
        self.bell()
        self._close_messages_no_wait()

    def action_command_palette(self) -> None:
        if isinstance(self.screen, MainScreen):  # the palette belongs to the main screen
            super().action_command_palette()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title.lower() not in ("screenshot", "save screenshot"):
                yield command

    # ---- token actions (called by the main screen and the palette) -------------------------

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _changed(self, text: str, name: str | None) -> None:
        self.notify(text, timeout=4)
        if self.main is not None:
            self.main.post_message(TokensChanged(name))

    def _fail(self, exc: TokenVaultError) -> None:
        self.notify(str(exc), title="Not done", severity="error", timeout=8)

    def _token(self, name: str) -> tuple[services.Session | None, Token | None]:
        """The session and the named token, or a notification saying why not."""
        if self.session is None:
            return None, None
        try:
            return self.session, services.tokens.get(self.session, name)
        except TokenVaultError as exc:
            self._fail(exc)
            return self.session, None

    def copy_secret(self, name: str) -> None:
        if self.session is None:
            return
        try:
            seconds = self.policy_seconds("clipboard_clear_seconds")
            secret = services.tokens.reveal(
                self.session, name, how=RevealHow.COPY, require_text=True
            )
        except TokenVaultError as exc:
            self._fail(exc)
            return
        system = self.keeper.copy(secret, now=self.clock(), seconds=seconds)
        where = "clipboard" if system else "terminal clipboard (OSC 52)"
        self.notify(f"copied {name} to the {where}; clears in {seconds} s", timeout=4)
        if self.main is not None:
            self.main.show_detail(self.main.query_one("TokenTable").highlighted)  # type: ignore[attr-defined]

    def hide_reveal_after(self, seconds: int) -> None:
        self.reveal_until = self.clock() + timedelta(seconds=seconds)

    def add_token(self) -> None:
        assert self.session is not None
        session = self.session
        policy = services.policy.show(session)

        def done(result: TokenFormResult | None) -> None:
            if result is None or result.secret is None:
                return
            try:
                token = services.tokens.add(session, result.draft(), result.secret)
            except TokenVaultError as exc:
                self._fail(exc)
                return
            self._changed(f"added {token.name}", token.name)

        self.push_screen(TokenFormScreen(self.clock(), None, policy), done)

    def edit_token(self, name: str) -> None:
        session, token = self._token(name)
        if session is None or token is None:
            return

        def done(result: TokenFormResult | None) -> None:
            if result is None or not result.changes:
                return
            try:
                new = services.tokens.edit(session, name, result.changes)
            except TokenVaultError as exc:
                self._fail(exc)
                return
            self._changed(f"updated {new.name}", new.name)

        self.push_screen(TokenFormScreen(self.clock(), token, services.policy.show(session)), done)

    def rotate_token(self, name: str) -> None:
        session, token = self._token(name)
        if session is None or token is None:
            return

        def done(result: RotateResult | None) -> None:
            if result is None:
                return
            try:
                if result.expires_changed:
                    new = services.tokens.rotate(
                        session, name, result.secret, expires_at=result.expires_at
                    )
                else:
                    new = services.tokens.rotate(session, name, result.secret)
            except TokenVaultError as exc:
                self._fail(exc)
                return
            self._changed(f"rotated {new.name} to v{new.current_version}", new.name)

        self.push_screen(RotateScreen(token, self.clock()), done)

    def revoke_token(self, name: str) -> None:
        session, token = self._token(name)
        if session is None or token is None:
            return

        def done(result: RevokeResult | None) -> None:
            if result is None:
                return
            try:
                services.tokens.revoke(
                    session, name, result.reason, ticket=result.ticket, note=result.note
                )
            except TokenVaultError as exc:
                self._fail(exc)
                return
            self._changed(f"revoked {name} ({result.reason.value})", name)

        self.push_screen(RevokeScreen(token), done)

    def review_token(self, name: str) -> None:
        assert self.session is not None
        try:
            services.tokens.review(self.session, name)
        except TokenVaultError as exc:
            self._fail(exc)
            return
        self._changed(f"reviewed {name}: still needed, scope confirmed", name)

    def open_due(self) -> None:
        assert self.session is not None
        self.push_screen(DueScreen(self.session, self.clock))

    @on(DueScreen.TokenChosen)
    def due_token_chosen(self, message: DueScreen.TokenChosen) -> None:
        if self.main is not None:
            self.main.select_token(message.name)

    def open_findings(self) -> None:
        assert self.session is not None
        self.push_screen(FindingsScreen(self.session))

    @on(FindingsScreen.TokenChosen)
    def findings_token_chosen(self, message: FindingsScreen.TokenChosen) -> None:
        if self.main is not None:
            self.main.select_token(message.name)

    def open_journal(self) -> None:
        assert self.session is not None
        self.push_screen(JournalScreen(self.session))

    def open_help(self) -> None:
        rows = []
        for binding in MainScreen.BINDINGS:
            if isinstance(binding, Binding):
                key = self.get_key_display(binding)
                rows.append((key, binding.description, binding.tooltip))
        self.push_screen(HelpScreen(rows))
