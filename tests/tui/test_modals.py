"""The token modals driven with Pilot: what each returns, where each error shows, what never
renders (the secret), and that production revocation waits for the name to be typed back.

Each modal is hosted alone in a tiny App that stores the dismiss result; the clock is fixed.
The tests are sync functions running their scenario with asyncio.run (design.md §9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select

from tokenvault.domain.model import RevokeReason, Secret, Token, TokenVersion
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.services.tokens import TokenDraft
from tokenvault.tui.modals.results import RevokeResult, RotateResult, TokenFormResult
from tokenvault.tui.modals.revoke import RevokeScreen
from tokenvault.tui.modals.rotate import RotateScreen
from tokenvault.tui.modals.token_form import FormModal, TokenFormScreen

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
SECRET = "ghp_Sup3rS3cretValue42"
NO_RESULT = object()


def make_token(name: str = "github-deploy", **changes: Any) -> Token:
    base = Token(
        id=1,
        name=name,
        service="github",
        environment="production",
        owner="platform",
        scopes=("repo", "read:packages"),
        used_by=("ci: deploy.yml",),
        tags=("critical",),
        notes="",
        created_at=NOW - timedelta(days=10),
        created_by="alice",
        issued_at=NOW - timedelta(days=10),
        expires_at=datetime(2027, 3, 5, tzinfo=UTC),
        rotate_every_days=None,
        last_rotated_at=NOW - timedelta(days=10),
        versions=(TokenVersion(1, "hmac-sha256:k1:" + "0" * 32, NOW, "alice"),),
    )
    return replace(base, **changes)


class Host(App[None]):
    """Pushes one modal on mount and keeps what it dismissed with."""

    def __init__(self, modal: Screen[Any]) -> None:
        super().__init__()
        self.modal = modal
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.results.append)

    @property
    def result(self) -> Any:
        return self.results[0] if self.results else NO_RESULT


Scenario = Callable[[Host, Pilot[None]], Awaitable[None]]


def drive(modal: Screen[Any], scenario: Scenario) -> Host:
    app = Host(modal)

    async def run() -> None:
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.pause()
            await scenario(app, pilot)

    asyncio.run(run())
    return app


async def fill(app: Host, pilot: Pilot[None], **values: str) -> None:
    for widget_id, value in values.items():
        app.screen.query_one(f"#{widget_id}", Input).value = value
    await pilot.pause()


async def save(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()


def error_text(app: Host, widget_id: str) -> str:
    label = app.screen.query_one(f"#{widget_id}-error", Label)
    return str(label.content) if label.has_class("-visible") else ""


def focused_id(app: Host) -> str | None:
    return None if app.focused is None else app.focused.id


def text_of(app: Host, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Label).content)


ADD_VALUES = {
    "name": "github-deploy",
    "owner": "platform",
    "service": "github",
    "environment": "production",
    "scopes": "repo, read:org,",
    "used_by": "ci: deploy.yml,  host web-1",
    "tags": "critical",
    "notes": "deploy key",
    "expires_at": "2027-03-31",
    "rotate_every_days": "30d",
    "issued_at": "-10d",
    "secret": SECRET,
    "secret_again": SECRET,
}


# ---- add ----------------------------------------------------------------------------------


def test_add_returns_parsed_fields_a_draft_and_the_secret() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert text_of(app, "title") == "Add token"
        assert focused_id(app) == "name"
        await fill(app, pilot, **ADD_VALUES)
        await save(pilot)

    app = drive(TokenFormScreen(NOW, policy=DEFAULT_POLICY), scenario)
    result = app.result
    assert isinstance(result, TokenFormResult)
    assert result.changes == {
        "name": "github-deploy",
        "owner": "platform",
        "service": "github",
        "environment": "production",
        "scopes": ("repo", "read:org"),
        "used_by": ("ci: deploy.yml", "host web-1"),
        "tags": ("critical",),
        "notes": "deploy key",
        "expires_at": datetime(2027, 3, 31, tzinfo=UTC),
        "rotate_every_days": 30,
        "issued_at": NOW - timedelta(days=10),
    }  # last_rotated_at left blank: the service's default (when issued)
    assert result.secret == Secret(SECRET)
    assert result.draft() == TokenDraft(**result.changes)
    assert result.draft().last_rotated_at is None
    assert SECRET not in repr(result)


def test_add_blank_fields_mean_never_and_the_policy_default() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, name="ci", owner="me", secret="x", secret_again="x")
        await save(pilot)

    result = drive(TokenFormScreen(NOW), scenario).result
    assert isinstance(result, TokenFormResult)
    assert result.changes["expires_at"] is None
    assert result.changes["rotate_every_days"] is None
    assert result.changes["scopes"] == ()
    assert "issued_at" not in result.changes
    assert "last_rotated_at" not in result.changes


def test_enter_moves_to_the_next_field_and_submits_from_the_last() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await pilot.press("c", "i", "enter")
        assert focused_id(app) == "owner"
        await pilot.press("tab")  # Tab follows the reading order
        assert focused_id(app) == "service"
        await fill(app, pilot, owner="me", secret="x", secret_again="x")
        app.screen.query_one("#secret_again", Input).focus()
        await pilot.press("enter")
        await pilot.pause()

    result = drive(TokenFormScreen(NOW), scenario).result
    assert isinstance(result, TokenFormResult)
    assert result.changes["name"] == "ci"


def test_the_save_button_submits() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, name="ci", secret="x", secret_again="x")
        await pilot.click("#submit")
        await pilot.pause()

    assert isinstance(drive(TokenFormScreen(NOW), scenario).result, TokenFormResult)


def test_mismatched_secrets_show_an_error_and_keep_the_form_open() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **(ADD_VALUES | {"secret_again": SECRET + "x"}))
        await save(pilot)
        assert error_text(app, "secret_again") == "the two entries differ"
        assert isinstance(app.screen, TokenFormScreen)
        assert focused_id(app) == "secret_again"
        await fill(app, pilot, secret_again=SECRET)  # typing clears the error
        assert error_text(app, "secret_again") == ""

    assert drive(TokenFormScreen(NOW), scenario).result is NO_RESULT


def test_an_empty_secret_is_refused() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **(ADD_VALUES | {"secret": "", "secret_again": ""}))
        await save(pilot)
        assert error_text(app, "secret") == "the secret is empty"

    assert drive(TokenFormScreen(NOW), scenario).result is NO_RESULT


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("expires_at", "31/12/2026", "is not a date"),
        ("issued_at", "+3d", "issued_at is in the future"),
        ("rotate_every_days", "ninety", "is not a number of days"),
        ("rotate_every_days", "0d", "between 1 and 3650"),
        ("name", "  ", "name must not be empty"),
        ("tags", "ok, bad\u202eone", "control or bidi character"),
    ],
)
def test_a_bad_value_shows_its_error_under_the_field(field: str, text: str, message: str) -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **(ADD_VALUES | {field: text}))
        await save(pilot)
        assert message in error_text(app, field)
        assert focused_id(app) == field

    assert drive(TokenFormScreen(NOW, policy=DEFAULT_POLICY), scenario).result is NO_RESULT


def test_the_policy_rules_apply_in_place() -> None:
    strict = replace(DEFAULT_POLICY, require_owner=True, require_expiry=True)

    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **(ADD_VALUES | {"owner": ""}))
        await save(pilot)
        assert "requires an owner" in error_text(app, "owner")
        await fill(app, pilot, owner="platform", expires_at="")
        await save(pilot)
        assert "requires an expiry" in error_text(app, "expires_at")

    assert drive(TokenFormScreen(NOW, policy=strict), scenario).result is NO_RESULT


def test_without_a_policy_an_owner_is_optional() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **(ADD_VALUES | {"owner": ""}))
        await save(pilot)

    result = drive(TokenFormScreen(NOW), scenario).result
    assert isinstance(result, TokenFormResult)
    assert result.changes["owner"] == ""


# ---- edit ---------------------------------------------------------------------------------


def test_edit_is_prefilled_without_secret_fields() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert text_of(app, "title") == "Edit github-deploy"
        values = {i.id: i.value for i in app.screen.query(Input)}
        assert values["scopes"] == "repo, read:packages"
        assert values["expires_at"] == "2027-03-05"
        assert values["issued_at"] == "2026-11-15T09:00:00.000Z"
        assert "secret" not in values
        await save(pilot)  # nothing changed

    result = drive(TokenFormScreen(NOW, make_token(), DEFAULT_POLICY), scenario).result
    assert result == TokenFormResult(changes={})
    with pytest.raises(ValueError, match="not a draft"):
        result.draft()


def test_edit_returns_only_what_changed_including_a_rename() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(
            app,
            pilot,
            name="gh-deploy",
            scopes="repo,read:packages",  # retyped, same value: not a change
            tags="",
            expires_at="never",
            rotate_every_days="30",
        )
        await save(pilot)

    result = drive(TokenFormScreen(NOW, make_token(), DEFAULT_POLICY), scenario).result
    assert result == TokenFormResult(
        changes={"name": "gh-deploy", "tags": (), "expires_at": None, "rotate_every_days": 30}
    )


def test_edit_checks_the_policy_against_the_whole_token() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, owner="")
        await save(pilot)
        assert "requires an owner" in error_text(app, "owner")
        await fill(app, pilot, owner="platform", last_rotated_at="2026-11-01")  # < issued
        await save(pilot)
        assert "before issued_at" in error_text(app, "last_rotated_at")

    token = make_token()
    assert drive(TokenFormScreen(NOW, token, DEFAULT_POLICY), scenario).result is NO_RESULT


# ---- rotate -------------------------------------------------------------------------------


def rotate(**values: str) -> Any:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await fill(app, pilot, **values)
        await save(pilot)

    return drive(RotateScreen(make_token(), NOW), scenario).result


def test_rotate_returns_the_secret_and_leaves_the_expiry_alone() -> None:
    result = rotate(secret=SECRET, secret_again=SECRET)
    assert result == RotateResult(secret=Secret(SECRET), expires_at=None, expires_changed=False)
    assert result.rotate_options() == {}


def test_rotate_with_a_new_expiry() -> None:
    result = rotate(secret=SECRET, secret_again=SECRET, expires="+365d")
    assert result == RotateResult(Secret(SECRET), NOW + timedelta(days=365), expires_changed=True)
    assert result.rotate_options() == {"expires_at": NOW + timedelta(days=365)}


def test_rotate_never_clears_the_expiry() -> None:
    result = rotate(secret=SECRET, secret_again=SECRET, expires="never")
    assert result.rotate_options() == {"expires_at": None}


def test_rotate_refuses_a_mismatch_an_empty_secret_and_a_bad_date() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert text_of(app, "title") == "Rotate github-deploy"
        assert focused_id(app) == "secret"
        await fill(app, pilot, secret=SECRET, secret_again="other")
        await save(pilot)
        assert error_text(app, "secret_again") == "the two entries differ"
        await fill(app, pilot, secret="", secret_again="", expires="soon")
        await save(pilot)
        assert error_text(app, "secret") == "the secret is empty"
        assert "is not a date" in error_text(app, "expires")
        assert isinstance(app.screen, RotateScreen)

    assert drive(RotateScreen(make_token(), NOW), scenario).result is NO_RESULT


# ---- revoke -------------------------------------------------------------------------------


def test_revoking_a_production_token_waits_for_its_exact_name() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert text_of(app, "title") == "Revoke github-deploy"
        assert focused_id(app) == "reason"
        button = app.screen.query_one("#submit", Button)
        app.screen.query_one("#reason", Select).value = RevokeReason.COMPROMISED
        await fill(app, pilot, ticket="SEC-77", note="leaked in a log")
        assert button.disabled
        await save(pilot)  # ctrl+s is disabled too
        assert isinstance(app.screen, RevokeScreen)
        await fill(app, pilot, confirm="Github-Deploy")
        assert button.disabled
        await fill(app, pilot, confirm="github-deploy")
        assert not button.disabled
        await pilot.click("#submit")
        await pilot.pause()

    result = drive(RevokeScreen(make_token()), scenario).result
    assert result == RevokeResult(RevokeReason.COMPROMISED, ticket="SEC-77", note="leaked in a log")


@pytest.mark.parametrize("environment", ["PROD", " Production "])
def test_production_is_recognised_case_insensitively(environment: str) -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert app.screen.query_one("#submit", Button).disabled
        assert app.screen.query("#confirm")

    drive(RevokeScreen(make_token(environment=environment)), scenario)


def test_revoking_elsewhere_needs_no_confirmation_but_a_reason() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        assert not app.screen.query("#confirm")
        assert not app.screen.query_one("#submit", Button).disabled
        await save(pilot)
        assert error_text(app, "reason") == "choose a reason"
        app.screen.query_one("#reason", Select).value = RevokeReason.DECOMMISSIONED
        await pilot.pause()
        await save(pilot)

    result = drive(RevokeScreen(make_token(environment="staging")), scenario).result
    assert result == RevokeResult(RevokeReason.DECOMMISSIONED, ticket="", note="")


# ---- every modal --------------------------------------------------------------------------

MODALS: list[Callable[[], FormModal[Any]]] = [
    lambda: TokenFormScreen(NOW),
    lambda: TokenFormScreen(NOW, make_token(), DEFAULT_POLICY),
    lambda: RotateScreen(make_token(), NOW),
    lambda: RevokeScreen(make_token()),
]


@pytest.mark.parametrize("make", MODALS, ids=["add", "edit", "rotate", "revoke"])
def test_escape_cancels(make: Callable[[], FormModal[Any]]) -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await pilot.press("escape")
        await pilot.pause()

    assert drive(make(), scenario).results == [None]


@pytest.mark.parametrize("make", MODALS, ids=["add", "edit", "rotate", "revoke"])
def test_bindings_are_declared_with_ids_and_tooltips(make: Callable[[], FormModal[Any]]) -> None:
    merged = make()._bindings.key_to_bindings  # the class's BINDINGS merged with its bases'
    assert {"escape", "ctrl+s"} <= merged.keys()
    ours: list[Binding] = [*merged["escape"], *merged["ctrl+s"]]
    assert [b.id for b in ours] == ["modal-cancel", "modal-submit"]
    assert all(b.tooltip for b in ours)


@pytest.mark.parametrize(
    ("make", "first", "second"),
    [
        (lambda: TokenFormScreen(NOW), "secret", "secret_again"),
        (lambda: RotateScreen(make_token(), NOW), "secret", "secret_again"),
    ],
    ids=["add", "rotate"],
)
def test_no_secret_is_ever_rendered_or_copied(
    make: Callable[[], FormModal[Any]], first: str, second: str
) -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        field = app.screen.query_one(f"#{first}", Input)
        assert field.password
        await fill(app, pilot, **{first: SECRET, second: SECRET + "9"})
        await save(pilot)  # an error is on screen now; the secret still is not
        screen = app.export_screenshot()
        assert "the two entries differ" in screen.replace("&#160;", " ")
        assert SECRET not in screen
        assert SECRET[:8] not in screen
        field.focus()
        field.action_select_all()
        await pilot.press("ctrl+c", "ctrl+x")
        assert SECRET not in app.clipboard
        assert field.value == SECRET  # cut did nothing either

    drive(make(), scenario)


def test_escape_closes_an_open_reason_list_before_the_modal() -> None:
    async def scenario(app: Host, pilot: Pilot[None]) -> None:
        await pilot.press("enter")  # the reason list opens
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RevokeScreen)
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()

    assert drive(RevokeScreen(make_token()), scenario).results == [None]
