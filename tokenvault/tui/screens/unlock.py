"""Unlock: choose the member, type the passphrase; Argon2id runs in a thread with a visible
indicator (style rule 4). A wrong passphrase keeps focus in the field with an inline error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, LoadingIndicator, Select, Static

from tokenvault import services
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.model import Secret
from tokenvault.tui.messages import VaultUnlocked


class UnlockScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "Quit", tooltip="Leave tokenvault", id="quit"),
    ]

    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen #unlock-box {
        width: 64; height: auto; padding: 1 2;
        border: round $primary; background: $surface;
    }
    UnlockScreen #unlock-title { text-style: bold; color: $primary; }
    UnlockScreen #unlock-vault { color: $text-muted; margin-bottom: 1; }
    UnlockScreen #unlock-error { color: $error; height: auto; }
    UnlockScreen #unlock-notice { color: $warning; height: auto; }
    UnlockScreen LoadingIndicator { height: 1; display: none; }
    UnlockScreen.-busy LoadingIndicator { display: block; }
    UnlockScreen Select, UnlockScreen Input { margin-bottom: 1; }
    """

    def __init__(
        self,
        vault: Path,
        *,
        member: str | None,
        clock: Callable[[], datetime],
        state_dir: Path | None,
        notice: str = "",
    ) -> None:
        super().__init__()
        self.vault = vault
        self.member = member
        self.clock = clock
        self.state_dir = state_dir
        self.notice = notice
        self.members: list[str] = []
        self.problem = ""
        try:
            self.members = services.member_ids(vault)
        except TokenVaultError as exc:
            self.problem = str(exc)
        self.vault_name = services.last_seen_name(vault, state_dir)

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            title = f"{self.vault_name} — unlock" if self.vault_name else "tokenvault — unlock"
            yield Label(title, id="unlock-title", markup=False)
            yield Static(str(self.vault), id="unlock-vault", markup=False)
            chosen = self.member or self._default_member()
            if self.member is None and len(self.members) > 1:
                yield Select(
                    [(m, m) for m in self.members],
                    value=chosen if chosen in self.members else Select.NULL,
                    prompt="member",
                    id="unlock-member",
                )
            else:
                yield Label(f"member: {chosen or '?'}", id="unlock-member-label")
            yield Input(password=True, placeholder="passphrase", id="unlock-passphrase")
            yield LoadingIndicator()
            yield Static(self.notice, id="unlock-notice")
            yield Static(self.problem, id="unlock-error")

    def _default_member(self) -> str | None:
        people = [m for m in self.members if m != services.RECOVERY_MEMBER]
        return people[0] if len(people) == 1 else None

    def on_mount(self) -> None:
        self.query_one("#unlock-passphrase", Input).focus()

    def chosen_member(self) -> str | None:
        if self.member:
            return self.member
        selects = self.query("#unlock-member").results(Select)
        for select in selects:
            value = select.value
            return value if isinstance(value, str) else None
        return self._default_member()

    @on(Input.Submitted, "#unlock-passphrase")
    def submit(self, event: Input.Submitted) -> None:
        member = self.chosen_member()
        if not member:
            self.show_error("choose a member first")
            return
        if not event.value:
            return
        passphrase = Secret(event.value)
        event.input.value = ""
        self.add_class("-busy")
        event.input.disabled = True
        self.unlock(member, passphrase)

    @work(thread=True, exclusive=True, group="unlock")
    def unlock(self, member: str, passphrase: Secret) -> None:
        try:
            session = services.unlock(
                self.vault, member, passphrase, clock=self.clock, state_dir=self.state_dir
            )
        except TokenVaultError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self.post_message, VaultUnlocked(session))

    def show_error(self, text: str) -> None:
        self.remove_class("-busy")
        field = self.query_one("#unlock-passphrase", Input)
        field.disabled = False
        field.focus()
        self.query_one("#unlock-error", Static).update(text)
