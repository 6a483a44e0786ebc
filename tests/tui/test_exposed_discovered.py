"""Exposed and discovered tokens in the whole app, on a real vault: the table's marks, the
header counts, the E / D keys and the `is:` filter terms, the detail pane's lines, the help,
the palette and the findings view.

The flags are made the honest way: a token is exposed by the real scan service finding its
secret in a file (`services.scan.scan`, which journals a `scan` entry), and discovered by
`services.tokens.add` with a scanner report's source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.conftest import MEMBER, StepClock, unlock
from tests.tui.test_app import MemoryBoard, main_ready, run, unlock_app, until
from tokenvault import services
from tokenvault.domain.findings import Code
from tokenvault.domain.model import Secret
from tokenvault.services import TokenDraft
from tokenvault.services.scan import scan
from tokenvault.tui.app import TokenVaultApp
from tokenvault.tui.screens.findings import FindingsScreen, FindingsTable
from tokenvault.tui.screens.help import HelpScreen
from tokenvault.tui.screens.main import MainScreen
from tokenvault.tui.widgets.token_table import TokenTable

EXPOSED = "stripe-live"
DISCOVERED = "aws-found-key"
PLAIN = ("gh-deploy", "npm-publish")
SECRETS = {
    "gh-deploy": "ghp_flagsTestSecret_1111",
    EXPOSED: "sk_live_flagsTestSecret_2222",
    "npm-publish": "npm_flagsTestSecret_3333",
}
FOUND_SECRET = "AKIAFLAGSTESTKEY4444"
REPORT_SOURCE = "import:gitleaks-json:report.json:3"


def seed_flags(vault: Path, clock: StepClock, state: Path, tmp: Path) -> None:
    """Three owned tokens, one of them exposed by a scan of a file holding its secret, and
    one discovered token nobody owns."""
    session = unlock(vault, clock, state)
    try:
        for name, secret in SECRETS.items():
            draft = TokenDraft(name=name, owner=MEMBER, service=name.split("-")[0])
            services.tokens.add(session, draft, Secret(secret))
        services.tokens.add(
            session,
            TokenDraft(name=DISCOVERED, owner="", service="aws"),
            Secret(FOUND_SECRET),
            source=REPORT_SOURCE,
        )
        leaked = tmp / "leaked"
        leaked.mkdir()
        (leaked / "settings.py").write_text(f'STRIPE_KEY = "{SECRETS[EXPOSED]}"\n')
        result = scan(session, [str(leaked)], shadow=False)
        assert [f.token for f in result.new] == [EXPOSED], result.findings
        assert services.tokens.get(session, EXPOSED).exposed_at is not None
        assert services.tokens.get(session, DISCOVERED).discovered
    finally:
        session.lock()


def table_lines(table: TokenTable) -> dict[str, str]:
    """Each visible row's line as drawn, by token name (the cursor is on one of them)."""
    lines: dict[str, str] = {}
    for y in range(1, table.visible_count + 1):
        text = table.render_line(y).text
        words = text.split()
        name = words[1] if words[0] in ("!", "?", "!?") else words[0]
        lines[name] = text
    return lines


def visible_names(table: TokenTable) -> list[str]:
    return [table.rows[i].name for i in table.visible_indices]


def detail_text(main: MainScreen) -> str:
    return str(main.query_one("#detail-body", Static).render())


def test_marks_counts_and_e_d_keys_filter_exposed_and_discovered(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    seed_flags(vault_dir, clock, state_dir, tmp_path)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        table = main.query_one(TokenTable)
        lines = table_lines(table)
        assert set(lines) == {EXPOSED, DISCOVERED, *PLAIN}
        assert lines[EXPOSED].startswith(f"! {EXPOSED}")  # the exposed mark, left of the name
        assert lines[DISCOVERED].startswith(f"? {DISCOVERED}")  # the discovered mark
        for name in PLAIN:
            assert lines[name].startswith(name)
        counts = str(main.query_one("#counts", Static).render())
        assert counts.startswith("! 1 exposed · ? 1 discovered · ")
        assert counts.endswith("4 of 4 tokens")

        filter_box = main.query_one("#filter", Input)
        assert table.has_focus
        await pilot.press("E")
        await until(pilot, lambda: table.visible_count == 1, "the exposed filter")
        assert filter_box.value == "is:exposed"  # the term shows in the box
        assert visible_names(table) == [EXPOSED]
        assert str(main.query_one("#counts", Static).render()).endswith("1 of 4 tokens")
        await until(pilot, lambda: "Exposed since" in detail_text(main), "the exposed line")
        assert "Exposed since 2026-11-25: rotate it" in detail_text(main)
        assert "Discovered" not in detail_text(main)

        await pilot.press("E")  # again: the term goes, every token is back
        await until(pilot, lambda: table.visible_count == 4, "every token")
        assert filter_box.value == ""

        await pilot.press("D")
        await until(pilot, lambda: table.visible_count == 1, "the discovered filter")
        assert filter_box.value == "is:discovered"
        assert visible_names(table) == [DISCOVERED]
        await until(pilot, lambda: "Discovered" in detail_text(main), "the discovered line")
        assert "Discovered by a scanner report; owner unknown" in detail_text(main)
        assert "Exposed" not in detail_text(main)

        await pilot.press("E")  # both terms: no token is both
        await until(pilot, lambda: table.visible_count == 0, "an empty selection")
        assert filter_box.value == "is:discovered is:exposed"
        assert "no token matches the filter" in table.render_line(1).text

        await pilot.press("escape")  # Esc clears the filter
        await until(pilot, lambda: table.visible_count == 4, "every token after Esc")
        assert filter_box.value == ""

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_is_terms_typed_in_the_filter_box_narrow_with_free_text(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    seed_flags(vault_dir, clock, state_dir, tmp_path)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        table = main.query_one(TokenTable)
        await pilot.press("slash", *"is:exposed")
        await until(pilot, lambda: visible_names(table) == [EXPOSED], "is:exposed typed")
        await pilot.press(*" gh")  # and a word of another token: nothing
        await until(pilot, lambda: table.visible_count == 0, "is:exposed gh")
        main.query_one("#filter", Input).value = "IS:DISCOVERED aws"  # case does not matter
        await until(pilot, lambda: visible_names(table) == [DISCOVERED], "is:discovered aws")
        main.query_one("#filter", Input).value = "is:"  # both flags share the prefix
        await until(pilot, lambda: table.visible_count == 2, "is:")
        assert set(visible_names(table)) == {EXPOSED, DISCOVERED}
        await pilot.press("escape")
        await until(pilot, lambda: table.visible_count == 4, "every token")

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_rotation_clears_the_exposed_mark(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    seed_flags(vault_dir, clock, state_dir, tmp_path)
    session = unlock(vault_dir, clock, state_dir)
    try:
        services.tokens.rotate(session, EXPOSED, Secret("sk_live_flagsTestSecret_rotated"))
    finally:
        session.lock()

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        table = main.query_one(TokenTable)
        assert table_lines(table)[EXPOSED].startswith(EXPOSED)
        assert str(main.query_one("#counts", Static).render()).startswith("? 1 discovered · ")
        await pilot.press("E")
        await until(pilot, lambda: table.visible_count == 0, "no exposed token")

    run(vault_dir, clock, state_dir, MemoryBoard(), body)


def test_help_palette_and_findings_know_the_flags(
    vault_dir: Path, clock: StepClock, state_dir: Path, tmp_path: Path
) -> None:
    seed_flags(vault_dir, clock, state_dir, tmp_path)

    async def body(pilot: Pilot[Any], app: TokenVaultApp) -> None:
        await unlock_app(pilot)
        main = await main_ready(pilot)
        footer_keys = {b.binding.key for b in main.active_bindings.values() if b.binding.show}
        assert not {"E", "D"} & footer_keys  # the footer stays as it was
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        keys = app.screen.query_one("#help-keys")
        help_rows = [
            [str(cell) for cell in keys.get_row_at(i)]  # type: ignore[attr-defined]
            for i in range(keys.row_count)  # type: ignore[attr-defined]
        ]
        assert [row[:2] for row in help_rows if row[0] in ("E", "D")] == [
            ["E", "Exposed"],
            ["D", "Discovered"],
        ]
        note = str(app.screen.query_one("#help-filter", Static).render())
        assert "is:exposed" in note
        assert "is:discovered" in note
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, "the main screen")

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"filter: disc")

        def prompts() -> list[str]:
            if not app.screen.query(OptionList):
                return []
            options = app.screen.query_one(OptionList)
            found = (options.get_option_at_index(i) for i in range(options.option_count))
            return [str(option.prompt) for option in found]

        await until(pilot, lambda: any("filter: discovered" in p for p in prompts()), "command")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is main, "the main screen")
        table = main.query_one(TokenTable)
        await until(pilot, lambda: visible_names(table) == [DISCOVERED], "the palette's filter")

        await pilot.press("f")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, FindingsScreen)
                and bool(app.screen.query_one(FindingsTable).findings)
            ),
            "the findings",
        )
        findings = app.screen.query_one(FindingsTable)
        codes = {(f.code, f.token) for f in findings.findings}
        assert (Code.EXPOSED, EXPOSED) in codes
        assert (Code.DISCOVERED, DISCOVERED) in codes
        assert (Code.NO_OWNER, DISCOVERED) not in codes  # DISCOVERED replaces it
        drawn = [findings.render_line(y).text for y in range(1, len(findings.findings) + 1)]
        assert any("EXPOSED" in line and EXPOSED in line for line in drawn)
        assert any("DISCOVERED" in line and DISCOVERED in line for line in drawn)

    run(vault_dir, clock, state_dir, MemoryBoard(), body)
