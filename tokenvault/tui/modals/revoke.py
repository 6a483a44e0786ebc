"""The revoke modal: a reason code, a ticket and a note; for production, the name typed back.

Revocation cannot be undone, and a production token revoked by mistake is an outage, so for
those the Revoke button (and ctrl+s) stay disabled until the token's exact name is typed —
the GitHub "type the repository name" pattern. The reason codes are `RevokeReason`, the same
choices the CLI's `--reason` offers; ticket and note follow the service's text rules.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Label, Select

from tokenvault.domain import limits
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import RevokeReason, Token
from tokenvault.domain.text import clean_text
from tokenvault.tui.modals.results import RevokeResult
from tokenvault.tui.modals.token_form import FormModal, field

PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})

_REASONS: tuple[tuple[str, RevokeReason], ...] = (
    ("compromised — leaked or suspected", RevokeReason.COMPROMISED),
    ("owner-left — its owner is gone", RevokeReason.OWNER_LEFT),
    ("decommissioned — nothing uses it any more", RevokeReason.DECOMMISSIONED),
    ("rotated — replaced by a new token", RevokeReason.ROTATED),
    ("scope-reduced — replaced by a narrower one", RevokeReason.SCOPE_REDUCED),
    ("other — say why in the note", RevokeReason.OTHER),
)


def is_production(token: Token) -> bool:
    return token.environment.strip().casefold() in PRODUCTION_ENVIRONMENTS


class RevokeScreen(FormModal[RevokeResult]):
    """Dismisses with a `RevokeResult`, or None on Esc."""

    AUTO_FOCUS = "#reason"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "submit",
            "Revoke",
            tooltip="Mark the token revoked (revoke it at its provider too)",
            id="modal-submit",
        ),
    ]

    DEFAULT_CSS = """
    RevokeScreen > #dialog { max-width: 72; border: round $error; }
    RevokeScreen .title { color: $error; }
    """

    def __init__(self, token: Token) -> None:
        super().__init__()
        self._token = token
        self._guarded = is_production(token)
        self._confirmed = not self._guarded

    def compose(self) -> ComposeResult:
        name = self._token.name
        with Vertical(id="dialog"):
            yield Label(f"Revoke {name}", id="title", classes="title", markup=False)
            yield Label(
                "The token stays in the inventory and the journal; revoke it at its provider too.",
                classes="hint",
            )
            yield field("Reason", Select(_REASONS, prompt="Choose a reason", id="reason"))
            yield field("Ticket", Input(placeholder="OPS-1234 (optional)", id="ticket"))
            yield field("Note", Input(placeholder="what happened (optional)", id="note"))
            if self._guarded:
                yield Label(
                    f"This is a {self._token.environment} token. Type {name} to confirm.",
                    classes="warning",
                    markup=False,
                )
                yield field("Token name", Input(placeholder="the exact name", id="confirm"))
            yield self.buttons("Revoke", variant="error", disabled=not self._confirmed)
        yield Footer()

    @on(Input.Changed, "#confirm")
    def _confirm_changed(self, event: Input.Changed) -> None:
        self._confirmed = event.value == self._token.name  # exact: no trimming, no case folding
        self.query_one("#submit", Button).disabled = not self._confirmed
        self.refresh_bindings()

    @on(Select.Changed, "#reason")
    def _reason_changed(self) -> None:
        self.clear_error("reason")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit" and not self._confirmed:
            return None  # shown, greyed out
        return True

    def collect(self) -> RevokeResult | None:
        if not self._confirmed:
            self.set_error("confirm", f"type {self._token.name} to confirm")
            return None
        reason = self.query_one("#reason", Select).value
        failed = False
        if not isinstance(reason, RevokeReason):
            self.set_error("reason", "choose a reason")
            failed = True
        texts = {"ticket": limits.FIELD_MAX, "note": limits.NOTE_MAX}
        cleaned: dict[str, str] = {}
        for key, max_len in texts.items():
            try:
                value = self.query_one(f"#{key}", Input).value
                cleaned[key] = clean_text(value, field=key, max_len=max_len)
            except ValidationError as exc:
                self.set_error(key, str(exc))
                failed = True
        if failed or not isinstance(reason, RevokeReason):
            return None
        return RevokeResult(reason=reason, ticket=cleaned["ticket"], note=cleaned["note"])
