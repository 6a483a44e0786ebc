"""The add/edit token form, and the frame every token modal shares.

Every value goes through the domain functions the CLI uses (`dateinput`, `clean_field`,
`check_secret`, `check_token_rules`), so a form cannot accept what `tokenvault add` refuses and
no rule is written here a second time; errors show under the field they concern. `FormModal`
(dialog frame, Esc/ctrl+s bindings, in-place errors, Enter moves on) and `SecretInput` live
here too, beside their first user, for the rotate and revoke modals to build on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label
from textual.widgets.button import ButtonVariant

from tokenvault.domain.dateinput import parse_days, parse_optional_when, parse_when
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import EDITABLE_FIELDS, Secret, Token
from tokenvault.domain.policy import DEFAULT_POLICY, Policy
from tokenvault.domain.timefmt import format_ts, truncate_ms
from tokenvault.domain.validate import check_secret, check_token_rules, clean_field
from tokenvault.services.tokens import TokenDraft, draft_values
from tokenvault.tui.modals.results import TokenFormResult

ResultT = TypeVar("ResultT")


class SecretInput(Input):
    """A masked input whose content never leaves it: copy and cut do nothing (Input's own
    would put the secret on the clipboard, where nothing would ever clear it)."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, password=True, id=id)

    def action_copy(self) -> None:
        return None

    def action_cut(self) -> None:
        return None


def field(label: str, widget: Widget, *, classes: str = "field") -> Vertical:
    """A labelled field with its (initially hidden) error label `#<widget id>-error`."""
    error = Label("", id=f"{widget.id}-error", classes="error", markup=False)
    return Vertical(Label(label, classes="label"), widget, error, classes=classes)


def when_text(moment: datetime | None) -> str:
    """A stored time as the date syntax reads it back: `2026-12-31` for midnight UTC."""
    if moment is None:
        return ""
    utc = moment.astimezone(UTC)
    return utc.date().isoformat() if utc.time() == time(0) else format_ts(utc)


class FormModal(ModalScreen[ResultT]):
    """A centred dialog: Esc cancels; ctrl+s, the submit button or Enter in the last input
    dismisses with `collect()` when it returns a result (Enter elsewhere moves on)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without changing anything",
            id="modal-cancel",
        ),
        Binding(
            "ctrl+s", "submit", "Save", tooltip="Check the form and save it", id="modal-submit"
        ),
    ]

    DEFAULT_CSS = """
    FormModal {
        align: center middle;
        & > #dialog {
            width: 90%; max-width: 112; height: auto; max-height: 100%;
            padding: 0 1; border: round $primary; background: $surface;
        }
        & .title { text-style: bold; color: $primary; padding-bottom: 1; }
        & .field { height: auto; }
        & .label { color: $text-muted; }
        & .error { display: none; color: $error; width: 100%; }
        & .error.-visible { display: block; }
        & #form-error { width: 1fr; }
        & Input.-has-error { border: tall $error 60%; }
        & Input.-has-error:focus { border: tall $error; }
        & Select.-has-error > SelectCurrent { border: tall $error 60%; }
        & .hint { color: $text-muted; width: 100%; }
        & .warning { color: $warning; text-style: bold; width: 100%; }
        & #buttons { height: auto; align-horizontal: right; }
        & #buttons Button { margin-left: 2; }
    }
    """

    def buttons(
        self, label: str, variant: ButtonVariant = "primary", *, disabled: bool = False
    ) -> Horizontal:
        """The submit and cancel buttons, after the error line of the form as a whole."""
        return Horizontal(
            Label("", id="form-error", classes="error", markup=False),
            Button(label, id="submit", variant=variant, disabled=disabled),
            Button("Cancel", id="cancel"),
            id="buttons",
        )

    def set_error(self, widget_id: str, message: str) -> None:
        """Show `message` under the widget (or on the form's line when it has no label)."""
        errors = self.query(f"#{widget_id}-error").results(Label)
        label = next(errors, None) or self.query_one("#form-error", Label)
        label.update(message)
        label.add_class("-visible")
        self.query(f"#{widget_id}").add_class("-has-error")

    def clear_error(self, widget_id: str | None) -> None:
        """Hide the error of one field (and the form's); None hides every error."""
        chosen = ".error" if widget_id is None else f"#{widget_id}-error, #form-error"
        for label in self.query(chosen).results(Label):
            label.update("")
            label.remove_class("-visible")
        self.query(".-has-error" if widget_id is None else f"#{widget_id}").remove_class(
            "-has-error"
        )

    def focus_first_error(self) -> None:
        for widget in self.query(".-has-error"):
            if widget.focusable:
                widget.focus()
                return

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        self.clear_error(None)
        result = self.collect()
        if result is None:
            self.focus_first_error()
        else:
            self.dismiss(result)

    def collect(self) -> ResultT | None:
        """The checked result, or None after showing what is wrong."""
        raise NotImplementedError

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self.clear_error(event.input.id)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()

    def read_secret_pair(self, first_id: str, second_id: str) -> Secret | None:
        """The secret typed twice, checked; None (with an error in place) otherwise."""
        first = Secret(self.query_one(f"#{first_id}", Input).value)
        second = Secret(self.query_one(f"#{second_id}", Input).value)
        try:
            check_secret(first)
        except ValidationError as exc:
            self.set_error(first_id, str(exc))
            return None
        if first != second:
            self.set_error(second_id, "the two entries differ")
            return None
        return first


# (token field = input id, label, placeholder); the grid fills three columns in this order.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "e.g. github-deploy"),
    ("owner", "Owner", "a member, person or team"),
    ("service", "Service", "github, aws, stripe …"),
    ("environment", "Environment", "production, staging, ci …"),
    ("scopes", "Scopes (comma-separated)", "repo, read:org"),
    ("tags", "Tags (comma-separated)", "critical, team-x"),
    ("used_by", "Used by (comma-separated)", "ci: deploy.yml, host web-1"),
    ("notes", "Notes", "anything but the secret"),
    ("expires_at", "Expires (blank: never)", "2027-03-31, +90d"),
    ("rotate_every_days", "Rotate every (blank: policy)", "90d"),
    ("issued_at", "Issued (blank: now)", "2026-01-31, -30d"),
    ("last_rotated_at", "Last rotated (blank: issued)", "2026-01-31, -30d"),
)
_LISTS = frozenset({"scopes", "tags", "used_by"})
_PAST = frozenset({"issued_at", "last_rotated_at"})  # optional when adding, required after
# The date-order rules only, for a form opened without the vault's policy.
_NO_POLICY = replace(DEFAULT_POLICY, require_owner=False, require_expiry=False)
# check_token_rules names no field: the first of these words in its message says which.
_RULE_WORDS = (
    ("last_rotated_at", "last_rotated_at"),
    ("issued_at", "issued_at"),
    ("expir", "expires_at"),
    ("owner", "owner"),
)


def _as_text(key: str, value: Any) -> str:
    """A token's stored value as the form shows it (and reads it back unchanged)."""
    if key in _LISTS:
        return ", ".join(value)
    if key == "rotate_every_days":
        return "" if value is None else f"{value}d"
    if isinstance(value, datetime) or value is None:
        return when_text(value)
    return str(value)


def _parse(key: str, text: str, now: datetime) -> Any:
    """One field as typed, in its model form (ValidationError names what is wrong)."""
    raw: Any = text
    if key in _LISTS:
        raw = text.split(",")  # clean_list strips items and drops empty ones
    elif key == "expires_at":
        raw = parse_optional_when(text, now, field="") if text.strip() else None
    elif key == "rotate_every_days":
        raw = parse_days(text, field="") if text.strip() else None
    elif key in _PAST:
        raw = parse_when(text, now, field="")
    return clean_field(key, raw)


def _rule_field(message: str) -> str:
    found = [(message.find(word), key) for word, key in _RULE_WORDS if word in message]
    return min(found)[1] if found else "form"


class TokenFormScreen(FormModal[TokenFormResult]):
    """Add a token (`token=None`: metadata and the secret, twice) or edit one (prefilled,
    no secret; the name may change). Dismisses with a `TokenFormResult`, or None on Esc."""

    AUTO_FOCUS = "#name"

    DEFAULT_CSS = """
    TokenFormScreen #grid {
        grid-size: 3; grid-columns: 1fr 1fr 1fr; grid-rows: auto; grid-gutter: 0 2;
        height: auto;
    }
    TokenFormScreen .wide { column-span: 2; }
    """

    def __init__(
        self, now: datetime, token: Token | None = None, policy: Policy | None = None
    ) -> None:
        super().__init__()
        self._now = now
        self._token = token
        self._policy = policy
        self._initial = (
            {}
            if token is None
            else {key: _as_text(key, getattr(token, key)) for key, *_ in _FIELDS}
        )

    def compose(self) -> ComposeResult:
        title = "Add token" if self._token is None else f"Edit {self._token.name}"
        with Vertical(id="dialog"):
            yield Label(title, id="title", classes="title", markup=False)
            with Grid(id="grid"):
                for key, label, placeholder in _FIELDS:
                    widget = Input(self._initial.get(key, ""), placeholder=placeholder, id=key)
                    yield field(
                        self._label(key, label),
                        widget,
                        classes="field wide" if key == "used_by" else "field",
                    )
                if self._token is None:
                    yield field("Secret", SecretInput(id="secret", placeholder="the token itself"))
                    yield field("Secret again", SecretInput(id="secret_again", placeholder="again"))
            yield self.buttons("Save")
        yield Footer()

    def _label(self, key: str, label: str) -> str:
        if key in _PAST and self._token is not None:
            return label.partition(" (")[0]  # an edit keeps the stored time unless retyped
        if key == "rotate_every_days" and self._policy is not None:
            return f"Rotate every (blank: {self._policy.rotation_days}d)"
        return label

    def collect(self) -> TokenFormResult | None:
        adding = self._token is None
        values: dict[str, Any] = {}
        failed = False
        for key, *_ in _FIELDS:
            text = self.query_one(f"#{key}", Input).value
            if not adding and text == self._initial[key]:
                continue  # untouched: never re-read (nor refused) a stored value
            if adding and key in _PAST and not text.strip():
                continue  # the service's default (now; last rotated = issued)
            try:
                value = _parse(key, text, self._now)
            except ValidationError as exc:
                self.set_error(key, str(exc))
                failed = True
                continue
            if self._token is None or value != getattr(self._token, key):
                values[key] = value
        secret = self.read_secret_pair("secret", "secret_again") if adding else None
        if failed or (adding and secret is None):
            return None
        if adding or values:
            try:
                self._check_rules(values)
            except ValidationError as exc:
                self.set_error(_rule_field(str(exc)), str(exc))
                return None
        return TokenFormResult(changes=values, secret=secret)

    def _check_rules(self, values: dict[str, Any]) -> None:
        """The cross-field and policy rules on the token as it would be stored."""
        now = truncate_ms(self._now)
        if self._token is None:
            whole = draft_values(TokenDraft(**values), now)  # the service's own defaults
        else:
            whole = {key: getattr(self._token, key) for key in EDITABLE_FIELDS} | values
        discovered = self._token is not None and self._token.discovered
        check_token_rules(whole, self._policy or _NO_POLICY, now, discovered=discovered)
