"""The rotate modal: a new secret, typed twice into masked inputs, and optionally a new expiry.

Rotation is the operation people do under pressure (a leak, an expiring key), so the dialog
asks for the least: the secret, its confirmation, and an expiry only if it should change. The
secret is checked with the domain's `check_secret` and the expiry read with the CLI's date
syntax; whether the secret is new for this token is the service's to say (it needs the key).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label

from tokenvault.domain.dateinput import parse_optional_when
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import Token
from tokenvault.domain.validate import clean_field
from tokenvault.tui.modals.results import RotateResult
from tokenvault.tui.modals.token_form import FormModal, SecretInput, field


class RotateScreen(FormModal[RotateResult]):
    """Dismisses with a `RotateResult`, or None on Esc."""

    AUTO_FOCUS = "#secret"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "submit",
            "Rotate",
            tooltip="Store the new secret; the old one is retired",
            id="modal-submit",
        ),
    ]

    DEFAULT_CSS = """
    RotateScreen > #dialog { max-width: 72; }
    """

    def __init__(self, token: Token, now: datetime) -> None:
        super().__init__()
        self._token = token
        self._now = now

    def compose(self) -> ComposeResult:
        token = self._token
        current = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "never"
        with Vertical(id="dialog"):
            yield Label(f"Rotate {token.name}", id="title", classes="title", markup=False)
            yield Label(
                f"Version {token.current_version} will be retired. Current expiry: {current}.",
                classes="hint",
                markup=False,
            )
            yield field("New secret", SecretInput(id="secret", placeholder="the new token"))
            yield field("New secret again", SecretInput(id="secret_again", placeholder="again"))
            yield field(
                "New expiry",
                Input(placeholder="blank = unchanged; YYYY-MM-DD, +90d or never", id="expires"),
            )
            yield self.buttons("Rotate")
        yield Footer()

    def collect(self) -> RotateResult | None:
        text = self.query_one("#expires", Input).value
        expires = None
        changed = bool(text.strip())
        failed = False
        if changed:
            try:
                parsed = parse_optional_when(text, self._now, field="")
                expires = clean_field("expires_at", parsed)
            except ValidationError as exc:
                self.set_error("expires", str(exc))
                failed = True
        secret = self.read_secret_pair("secret", "secret_again")
        if secret is None or failed:
            return None
        return RotateResult(secret=secret, expires_at=expires, expires_changed=changed)
