"""Named SVG snapshots of every TUI screen state on the demo vault, at 120x34.

Each snapshot is the real app (`TokenVaultApp`) on a private copy of one demo vault, built
once per test process (so once per xdist worker) with a fixed `now`; the app runs with the
same fixed clock, its own state directory and no system clipboard, and is unlocked as alice
with the demo passphrase. What still differs between two builds is masked before the
screenshot, each mask documented where it is applied (`mask_vault_path`,
`mask_journal_hashes`); every Input's cursor blink is frozen (`freeze`), so the cursor is
always drawn. The scenarios here are also what test_no_secret_on_screen.py exports and checks,
and what scripts/screenshots.py saves as the README's screenshots (kept equal to their
snapshots by the last test here).

Update the snapshots after an intended change without xdist (syrupy's clean-up of unused
snapshots would see one worker's tests only), then look at what changed:

    pytest tests/tui/test_snapshots.py --snapshot-update -n 0
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tokenvault.services.demo import DEMO_PASSPHRASE, DEMO_TOKENS, build_demo, demo_secret
from tokenvault.tui.app import TokenVaultApp
from tokenvault.tui.modals.revoke import RevokeScreen
from tokenvault.tui.modals.rotate import RotateScreen
from tokenvault.tui.modals.token_form import TokenFormScreen
from tokenvault.tui.screens.due import DueScreen, DueTable
from tokenvault.tui.screens.findings import FindingsScreen, FindingsTable
from tokenvault.tui.screens.help import HelpScreen
from tokenvault.tui.screens.journal import JournalScreen
from tokenvault.tui.screens.main import MainScreen
from tokenvault.tui.widgets.detail import DetailPane
from tokenvault.tui.widgets.token_table import TokenTable

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SIZE = (120, 34)
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
WAIT_SECONDS = 15.0  # for a worker (unlock, listing, verify): a hang fails, never blocks

DETAILED = "github-pat-release-bot"  # notes, an expiry, four versions: a full detail pane
PRODUCTION = "stripe-live-secret-key"  # revoking it asks for its name to be typed back
REVEALED = DETAILED
ROW = {row.name: row for row in DEMO_TOKENS}
# Pasted into both masked inputs of the rotate modal: it must show as dots only.
ROTATE_TYPED = demo_secret(ROW[DETAILED], 5).expose_text()

# The flagged scenario: the demo's gitleaks report left a leaked token exposed and a
# discovered one (exposed too: its secret is in the scanned files).
EXPOSED_LINE = "Exposed since"

# Masks: values that differ on every build, replaced by fixed text of the same shape.
MASKED_VAULT = "/tmp/tokenvault-demo/vault"  # shown text only, never a file used
MASKED_HASH = "0" * 16

SnapCompare = Callable[..., bool]
Scenario = Callable[[Pilot[Any]], Awaitable[None]]


# ---- the vault and the app -----------------------------------------------------------


@functools.cache
def demo_template(root: Path) -> Path:
    """The demo vault under `root`, built on the first call only (≈3 s), history to NOW."""
    build_demo(root / "vault", now=NOW, state_dir=root / "state")
    return root / "vault"


def demo_app(template: Path, tmp_path: Path) -> TokenVaultApp:
    """The app on a private copy of the demo vault (reveal and copy write journal entries),
    with the fixed clock, a fresh state directory and no system clipboard."""
    vault = tmp_path / "vault"
    shutil.copytree(template, vault)
    return TokenVaultApp(
        vault,
        member="alice",
        clock=lambda: NOW,
        state_dir=tmp_path / "state",
        clipboard=lambda: None,
    )


@pytest.fixture(scope="session")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_template(tmp_path_factory.getbasetemp() / "demo")


@pytest.fixture
def app(demo_vault: Path, tmp_path: Path) -> TokenVaultApp:
    return demo_app(demo_vault, tmp_path)


# ---- driving the app -----------------------------------------------------------------


def tv(pilot: Pilot[Any]) -> TokenVaultApp:
    app = pilot.app
    assert isinstance(app, TokenVaultApp)
    return app


async def wait_until(pilot: Pilot[Any], ready: Callable[[], bool], what: str) -> None:
    """Let workers report and messages settle until `ready()`, at most WAIT_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if ready():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what} (screen: {pilot.app.screen!r})")
        await pilot.pause(0.01)


async def freeze(pilot: Pilot[Any]) -> None:
    """Stop every Input's cursor blink: the cursor is then always drawn, never half the time."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def paste(pilot: Pilot[Any], text: str) -> None:
    """Paste into the focused widget, as a terminal delivers a paste: one event, where
    typing it key by key costs Pilot ~0.1 s a key (it waits for the app to idle)."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), f"pasting into {focused!r}"
    focused.post_message(events.Paste(text))
    await pilot.pause()


async def unlock(pilot: Pilot[Any], tokens: int = len(DEMO_TOKENS) + 1) -> MainScreen:
    """Paste the passphrase into the focused field and press Enter, as alice would; wait
    for the table to hold every demo token (`tokens` of them)."""
    assert pilot.app.focused is pilot.app.screen.query_one("#unlock-passphrase")
    await paste(pilot, DEMO_PASSPHRASE)
    await pilot.press("enter")

    def ready() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, MainScreen)
            and screen.listing is not None
            and screen.query_one(TokenTable).total_count == tokens
        )

    await wait_until(pilot, ready, "the main screen with the demo tokens")
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def highlight(pilot: Pilot[Any], name: str, *, by_key: bool = False) -> None:
    """Put the cursor on `name` (the due view's way in: `select_name`); `by_key`: on the
    row above, then the Down key, as a person moves it."""
    table = pilot.app.screen.query_one(TokenTable)
    names = [row.name for row in table.rows]
    assert name in names, f"{name} is not in the token table"
    above = names[max(0, names.index(name) - 1)] if by_key else name
    assert table.select_name(above)
    if by_key:
        await pilot.press("down")
    body = pilot.app.screen.query_one("#detail-body", Static)
    await wait_until(pilot, lambda: name in str(body.render()), f"the detail pane of {name}")
    assert table.highlighted is not None
    assert table.highlighted.name == name


def mask_vault_path(pilot: Pilot[Any]) -> None:
    """Mask: the unlock screen names the vault directory, a new temporary path each run."""
    label = pilot.app.screen.query_one("#unlock-vault", Static)
    assert str(label.render()) == str(tv(pilot).vault)
    label.update(Content(MASKED_VAULT))


def mask_journal_hashes(pilot: Pilot[Any]) -> None:
    """Mask: the journal header shows the head root and genesis hash, which hash signatures
    by keys made fresh on every build; only those 16-hex-digit prefixes are replaced."""
    header = pilot.app.screen.query_one("#journal-verify", Static)
    text, count = re.subn(r"\b[0-9a-f]{16}…", f"{MASKED_HASH}…", str(header.render()))
    assert count == 2, f"expected the head root and genesis hash in {text!r}"
    header.update(Content(text))


async def open_screen(
    pilot: Pilot[Any], key: str, screen_type: type[Any], ready: Callable[[Any], bool]
) -> None:
    await pilot.press(key)

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and ready(screen)

    await wait_until(pilot, shown, screen_type.__name__)


# ---- the screen states ---------------------------------------------------------------


async def unlock_screen(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    mask_vault_path(pilot)
    await freeze(pilot)


async def main_screen(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await freeze(pilot)


async def filter_applied(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await pilot.press("slash", *"stripe")
    table = pilot.app.screen.query_one(TokenTable)
    stripe = sum(1 for row in DEMO_TOKENS if row.service == "stripe")
    await wait_until(pilot, lambda: table.visible_count == stripe, "the stripe tokens only")
    await freeze(pilot)


async def detail_pane(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await highlight(pilot, DETAILED, by_key=True)
    await freeze(pilot)


async def add_token_modal(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await open_screen(pilot, "a", TokenFormScreen, lambda _: True)
    await freeze(pilot)


async def edit_token_modal(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await highlight(pilot, DETAILED)
    await open_screen(pilot, "e", TokenFormScreen, lambda _: True)
    await freeze(pilot)


async def rotate_modal(pilot: Pilot[Any]) -> None:
    """The new secret typed twice (Enter moves to the second field): dots only."""
    await unlock(pilot)
    await highlight(pilot, DETAILED)
    await open_screen(pilot, "r", RotateScreen, lambda _: True)
    await paste(pilot, ROTATE_TYPED)
    await pilot.press("enter")
    await paste(pilot, ROTATE_TYPED)
    assert [field.value for field in pilot.app.screen.query(Input)][:2] == [ROTATE_TYPED] * 2
    await freeze(pilot)


async def revoke_modal(pilot: Pilot[Any]) -> None:
    """A production token: the dialog asks for its name before Revoke is enabled."""
    await unlock(pilot)
    await highlight(pilot, PRODUCTION)
    await open_screen(pilot, "x", RevokeScreen, lambda screen: bool(screen.query("#confirm")))
    await freeze(pilot)


async def due_view(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await open_screen(
        pilot, "d", DueScreen, lambda screen: screen.query_one(DueTable).row_count > 0
    )
    await freeze(pilot)


async def findings_view(pilot: Pilot[Any]) -> None:
    """At warning and above (the default), after the report has loaded."""
    await unlock(pilot)
    await open_screen(
        pilot, "f", FindingsScreen, lambda screen: bool(screen.query_one(FindingsTable).findings)
    )
    await freeze(pilot)


async def journal_screen(pilot: Pilot[Any]) -> None:
    """After the background verification has reported (the header's final text)."""
    await unlock(pilot)
    await open_screen(
        pilot, "j", JournalScreen, lambda screen: screen.loaded and screen.report is not None
    )
    mask_journal_hashes(pilot)
    await freeze(pilot)


async def help_screen(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await open_screen(pilot, "question_mark", HelpScreen, lambda _: True)
    await freeze(pilot)


async def reveal_state(pilot: Pilot[Any]) -> None:
    """The one state that shows a secret: `v` on a token, within its ten seconds."""
    await unlock(pilot)
    await highlight(pilot, REVEALED)
    await pilot.press("v")
    pane = pilot.app.screen.query_one(DetailPane)
    await wait_until(pilot, lambda: pane.revealed, "the revealed secret")
    await freeze(pilot)


async def flagged_filter(pilot: Pilot[Any]) -> None:
    """E narrows to the demo's exposed tokens: the leaked datadog key and the discovered Slack
    token (both from the demo's gitleaks report); the detail pane shows the first."""
    main = await unlock(pilot)
    table = main.query_one(TokenTable)
    await pilot.press("E")
    await wait_until(pilot, lambda: table.visible_count == 2, "the exposed tokens only")
    body = main.query_one("#detail-body", Static)
    await wait_until(pilot, lambda: EXPOSED_LINE in str(body.render()), "the detail pane")
    await freeze(pilot)


SCENARIOS: dict[str, Scenario] = {
    scenario.__name__: scenario
    for scenario in (
        unlock_screen,
        main_screen,
        filter_applied,
        detail_pane,
        add_token_modal,
        edit_token_modal,
        rotate_modal,
        revoke_modal,
        due_view,
        findings_view,
        journal_screen,
        help_screen,
        reveal_state,
        flagged_filter,
    )
}
# screenshots/<name>.svg, written by scripts/screenshots.py: these scenarios' screens.
README_SCREENSHOTS = {
    "main": "main_screen",
    "due": "due_view",
    "findings": "findings_view",
    "journal": "journal_screen",
    "rotate": "rotate_modal",
    "flagged": "flagged_filter",
}
SCREENSHOTS = Path(__file__).parents[2] / "screenshots"


def snap(snap_compare: SnapCompare, app: TokenVaultApp, scenario: Scenario) -> None:
    """Compare the screen after `scenario` with its snapshot. An error inside the scenario
    ends the app quietly (it runs in the app, whose crash path prints one line), so it is
    kept and raised here instead of the plugin's bare `assert svg is not None`."""
    errors: list[Exception] = []

    async def run_before(pilot: Pilot[Any]) -> None:
        try:
            await scenario(pilot)
        except Exception as exc:
            errors.append(exc)
            raise

    try:
        same = snap_compare(app, terminal_size=SIZE, run_before=run_before)
    except AssertionError:
        if errors:
            raise errors[0] from None
        raise
    if errors:
        raise errors[0]
    assert same, "the screen differs from its snapshot: see snapshot_report.html"


# ---- the named snapshots --------------------------------------------------------------


def test_unlock_screen(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, unlock_screen)


def test_main_screen(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, main_screen)


def test_filter_applied(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, filter_applied)


def test_detail_pane(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, detail_pane)


def test_add_token_modal(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, add_token_modal)


def test_edit_token_modal(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, edit_token_modal)


def test_rotate_modal(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, rotate_modal)


def test_revoke_modal(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, revoke_modal)


def test_due_view(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, due_view)


def test_findings_view(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, findings_view)


def test_journal_screen(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, journal_screen)


def test_help_screen(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, help_screen)


def test_reveal_state(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, reveal_state)


def test_the_readme_screenshots_are_these_snapshots() -> None:
    """scripts/screenshots.py runs the same scenarios: after a change to a screen, the
    screenshots follow its snapshot (no app is run here, the files are compared)."""

    def normal(svg_file: Path) -> str:  # without Rich's per-export id, as the plugin does
        text = svg_file.read_text(encoding="utf-8")
        return re.sub(r"\bterminal-\d+-([\w-]+)", r"terminal-\1", text)

    for name, scenario in README_SCREENSHOTS.items():
        shot, snapshot = SCREENSHOTS / f"{name}.svg", SNAPSHOTS / f"test_{scenario}.svg"
        assert shot.is_file(), f"{shot} is missing: run python scripts/screenshots.py"
        assert normal(shot) == normal(snapshot), (
            f"{shot} is not the {scenario} snapshot: run python scripts/screenshots.py"
        )


def test_flagged_filter(snap_compare: SnapCompare, app: TokenVaultApp) -> None:
    snap(snap_compare, app, flagged_filter)
