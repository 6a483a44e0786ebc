"""TokenTable under Pilot: cursor keys, messages, filtering, refills that keep the cursor on
its token, and what the lines on screen say (1,000 synthetic rows, 120x34). Tests are sync
functions running their scenario with asyncio.run (design.md §9)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

from textual import on
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tokenvault.domain.model import Status, Token
from tokenvault.domain.query import search_text
from tokenvault.services.listing import TokenRow
from tokenvault.tui.widgets.token_table import (
    COLUMNS,
    ELLIPSIS,
    TokenTable,
    column_widths,
    count_marks,
    fit,
    marks,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SIZE = (120, 34)
PAGE = SIZE[1] - 1  # the header line stays


def make_row(i: int, name: str | None = None, status: Status | None = None) -> TokenRow:
    status = status or list(Status)[i % len(Status)]
    service = ("github", "stripe", "aws")[i % 3]
    env = ("prod", "staging")[i % 2]
    name = name or f"{service}-{env}-token-{i:04d}"
    scopes = ("repo", "read:org") if i % 2 else ()
    expires = None if i % 4 == 0 else NOW + timedelta(days=i)
    rotation = None if status is Status.REVOKED else NOW + timedelta(days=90 - i % 90)
    return TokenRow(
        id=i + 1,
        name=name,
        service=service,
        environment=env,
        owner=("platform", "payments")[i % 2],
        scopes=scopes,
        used_by=("ci-runner",) if i % 5 == 0 else (),
        tags=(),
        expires_at=expires,
        rotation_due_at=rotation,
        deadline=rotation,
        status=status,
        haystack="\n".join([name, service, env, *scopes]).casefold(),
    )


ROWS = [make_row(i) for i in range(1000)]


class TableApp(App[None]):
    def __init__(self, rows: list[TokenRow]) -> None:
        super().__init__()
        self.rows = rows
        self.highlighted: list[TokenRow | None] = []
        self.selected: list[TokenRow] = []

    def compose(self) -> ComposeResult:
        yield TokenTable(self.rows)

    @on(TokenTable.Highlighted)
    def remember_highlight(self, event: TokenTable.Highlighted) -> None:
        assert event.control is self.screen.query_one(TokenTable)
        self.highlighted.append(event.row)

    @on(TokenTable.Selected)
    def remember_selection(self, event: TokenTable.Selected) -> None:
        self.selected.append(event.row)


Scenario = Callable[[TableApp, TokenTable, Pilot[None]], Awaitable[None]]


def run(scenario: Scenario, rows: list[TokenRow] = ROWS, size: tuple[int, int] = SIZE) -> None:
    app = TableApp(rows)

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(app, app.screen.query_one(TokenTable), pilot)

    asyncio.run(go())


def screen_lines(table: TokenTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def test_first_frame_shows_the_header_and_the_first_rows() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[0].split() == [
            "NAME", "SERVICE", "ENV", "OWNER", "SCOPES", "EXPIRES", "ROTATE", "BY", "STATUS"
        ]  # fmt: skip
        assert lines[1].split()[:4] == ["github-prod-token-0000", "github", "prod", "platform"]
        assert "never" in lines[1]
        assert "2026-11-26" in lines[2]  # expires
        assert lines[1].rstrip().endswith("revoked")
        assert " - " in lines[1]  # a revoked token has no rotation date
        assert len(lines) == SIZE[1]
        assert table.total_count == table.visible_count == 1000
        assert app.highlighted == [ROWS[0]]
        assert table.highlighted == ROWS[0]

    run(scenario)


def test_cursor_keys_move_highlight_and_scroll() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        table.focus()
        await pilot.press("down", "down")
        assert table.highlighted == ROWS[2]
        await pilot.press("up")
        assert app.highlighted == [ROWS[0], ROWS[1], ROWS[2], ROWS[1]]
        await pilot.press("up", "up")  # stops at the top without a message
        assert table.cursor == 0
        assert app.highlighted[-1] == ROWS[0]
        assert app.highlighted.count(ROWS[0]) == 2
        await pilot.press("pagedown")
        assert table.cursor == PAGE
        await pilot.press("pagedown", "pageup")
        assert table.cursor == PAGE
        await pilot.press("end")
        await pilot.pause()
        assert table.highlighted == ROWS[-1]
        lines = screen_lines(table)
        assert lines[0].startswith("NAME")  # the header stays
        assert ROWS[-1].name in lines[-1]
        assert ROWS[-PAGE].name in lines[1]
        await pilot.press("home")
        await pilot.pause()
        assert table.highlighted == ROWS[0]
        assert ROWS[0].name in screen_lines(table)[1]

    run(scenario)


def test_enter_posts_selected_with_the_row() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        table.focus()
        await pilot.press("down", "enter")
        assert app.selected == [ROWS[1]]

    run(scenario)


def test_filter_narrows_and_moves_the_cursor_to_the_first_match() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        table.focus()
        await pilot.press("down", "down", "down")
        table.apply_filter("STRIPE stag")
        await pilot.pause()
        wanted = [r for r in ROWS if r.service == "stripe" and r.environment == "staging"]
        assert table.visible_count == len(wanted)
        assert table.total_count == 1000
        assert table.filter_text == "STRIPE stag"
        assert table.highlighted == wanted[0]
        assert app.highlighted[-1] == wanted[0]
        shown = [line for line in screen_lines(table)[1:] if line.strip()]
        assert [line.split()[0] for line in shown] == [r.name for r in wanted[:PAGE]]
        table.apply_filter("STRIPE stage")  # narrower
        table.apply_filter("nothing matches this")
        await pilot.pause()
        assert table.visible_count == 0
        assert table.highlighted is None
        assert app.highlighted[-1] is None
        assert "no token matches the filter" in screen_lines(table)[1]
        table.apply_filter("")
        await pilot.pause()
        assert table.visible_count == 1000
        assert table.highlighted == ROWS[0]

    run(scenario)


def test_set_rows_keeps_the_cursor_on_the_same_token() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        table.focus()
        for _ in range(3):
            await pilot.press("pagedown")
        kept = table.highlighted
        assert kept is not None
        messages = len(app.highlighted)
        # a fresh listing: a new token sorts first, the kept one was renamed in place
        renamed = replace(kept, name=kept.name + "-renamed")
        fresh = [make_row(5000, name="aaa-first"), *(renamed if r == kept else r for r in ROWS)]
        table.set_rows(fresh)
        await pilot.pause()
        assert table.highlighted == renamed
        assert app.highlighted[-1] == renamed
        assert len(app.highlighted) == messages + 1
        assert renamed.name in "".join(screen_lines(table))
        table.set_rows(list(fresh))  # the same rows again: nothing to announce
        assert len(app.highlighted) == messages + 1
        # the token is gone: the cursor stays at the same position
        position = table.cursor
        table.set_rows([r for r in fresh if r.id != kept.id])
        assert table.cursor == position
        assert table.highlighted is not None
        assert table.highlighted.id != kept.id

    run(scenario)


def test_set_rows_keeps_the_filter() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        table.apply_filter("aws")
        table.set_rows(ROWS[:30])
        await pilot.pause()
        assert table.visible_count == len([r for r in ROWS[:30] if r.service == "aws"])
        table.set_rows([])
        await pilot.pause()
        assert table.highlighted is None
        assert "no token" in screen_lines(table)[1]

    run(scenario)


def test_select_name_and_id_and_click() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        assert table.select_name(ROWS[500].name)
        await pilot.pause()
        assert table.highlighted == ROWS[500]
        assert ROWS[500].name in "".join(screen_lines(table))
        assert table.select_id(ROWS[7].id)
        assert table.highlighted == ROWS[7]
        assert not table.select_name("no such token")
        table.apply_filter("github")
        assert not table.select_id(ROWS[1].id)  # filtered out (stripe)
        await pilot.pause()
        await pilot.click(TokenTable, offset=(3, 3))  # the third visible row
        assert table.highlighted == table.rows[table.visible_indices[2]]
        await pilot.click(TokenTable, offset=(3, 3), times=2)
        assert app.selected == [table.highlighted]

    run(scenario)


def test_status_badges_use_their_component_styles() -> None:
    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        await pilot.pause()
        for y, row in enumerate(ROWS[1:6], start=2):  # row 0 is under the cursor
            badge = list(table.render_line(y))[-1]
            assert badge.text.strip() == row.status.value
            part = table.get_component_rich_style(
                f"token-table--status-{row.status.value}", partial=True
            )
            assert badge.style is not None
            if part.color is not None:
                assert badge.style.color == part.color
        expired = table.get_component_rich_style("token-table--status-expired", partial=True)
        ok = table.get_component_rich_style("token-table--status-ok", partial=True)
        assert expired.color != ok.color

    run(scenario, ROWS[:10])


def test_long_cells_are_cut_with_an_ellipsis_and_lines_fit_the_width() -> None:
    long = make_row(0, name="a-very-long-token-name-" * 5 + "tail", status=Status.OK)
    wide = make_row(1, name="名前" * 30, status=Status.DUE)

    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        await pilot.pause()
        width = table.scrollable_content_region.width
        for y in range(3):
            assert table.render_line(y).cell_length == width
        assert ELLIPSIS in table.render_line(1).text
        assert "tail" not in table.render_line(1).text
        assert ELLIPSIS in table.render_line(2).text

    run(scenario, [long, wide], size=(80, 10))


def test_column_widths_fill_the_width_scopes_giving_way_first() -> None:
    gaps = len(COLUMNS) - 1
    for total in (200, 118, 100, 84, 72):
        assert sum(column_widths(total)) + gaps == total
    name, service, env, owner, scopes, *_ = column_widths(100)
    assert (name, service, env, owner) == (28, 10, 7, 10)  # their preferred widths
    assert scopes < 18
    assert column_widths(84)[0] >= 20  # names stay readable beside a detail pane
    narrow = column_widths(40)  # too narrow: every minimum, cut at the right
    assert narrow == tuple(c.minimum for c in COLUMNS)


def test_fit_pads_and_cuts_by_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc" + ELLIPSIS
    assert fit("名前名前", 5) == "名前" + ELLIPSIS
    assert fit("名前", 5) == "名前 "
    assert fit("x", 0) == ""


def flagged(row: TokenRow, *, exposed: bool = False, discovered: bool = False) -> TokenRow:
    """`row` with the filter text domain.query.search_text gives a token with these flags."""
    token = SimpleNamespace(
        name=row.name, service=row.service, owner=row.owner, environment=row.environment,
        scopes=row.scopes, tags=row.tags, used_by=row.used_by, revoked_at=None,
        exposed_at=NOW if exposed else None, discovered=discovered,
    )  # fmt: skip
    return replace(
        row, haystack=search_text(cast(Token, token)), exposed=exposed, discovered=discovered
    )


def test_exposed_and_discovered_marks_lead_the_line_in_their_own_styles() -> None:
    rows = [
        make_row(0, status=Status.OK),
        flagged(make_row(1, status=Status.OK), exposed=True),
        flagged(make_row(2, status=Status.DUE), discovered=True),
        flagged(make_row(3, status=Status.OVERDUE), exposed=True, discovered=True),
        make_row(4, status=Status.DUE),
    ]
    assert [marks(row) for row in rows] == ["", "!", "?", "!?", ""]
    assert count_marks(rows) == (2, 2)

    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[0].startswith("NAME")  # no column of its own: marks lead the name
        for line, row in zip(lines[1:6], rows, strict=True):
            glyphs = marks(row)
            assert line.startswith(f"{glyphs} {row.name}" if glyphs else row.name)
        service = lines[0].index("SERVICE")
        assert all(
            line[service:].startswith(row.service)
            for line, row in zip(lines[1:6], rows, strict=True)
        )  # the other columns stay aligned
        exposed = table.get_component_rich_style("token-table--exposed", partial=True)
        discovered = table.get_component_rich_style("token-table--discovered", partial=True)
        both = list(table.render_line(4))
        assert both[0].text == "!"
        assert both[1].text == "?"
        assert both[0].style is not None
        assert both[1].style is not None
        assert both[0].style.reverse
        assert both[0].style.bold
        assert both[0].style.color == exposed.color
        assert both[1].style.bold
        assert both[1].style.color == discovered.color
        assert exposed.color != discovered.color
        due = table.get_component_rich_style("token-table--status-due", partial=True)
        assert not due.reverse  # an exposed mark outweighs a due badge
        off_cursor = list(table.render_line(2))  # the exposed row, not under the cursor
        assert off_cursor[0].text == "!"
        name = next(s for s in off_cursor if s.text.startswith(" " + rows[1].name))
        assert name.style is not None
        assert name.style.bold
        assert name.style.color == exposed.color  # the whole name says it, not just the mark
        assert next(iter(table.render_line(5))).text.startswith(rows[4].name)  # no mark

    run(scenario, rows)


def test_the_filter_selects_flagged_rows_by_their_is_terms() -> None:
    rows = [
        flagged(make_row(0), exposed=True),
        make_row(1),
        flagged(make_row(2), discovered=True),
        flagged(make_row(3), exposed=True, discovered=True),
    ]

    async def scenario(app: TableApp, table: TokenTable, pilot: Pilot[None]) -> None:
        await pilot.pause()
        table.apply_filter("is:exposed")
        assert list(table.visible_indices) == [0, 3]
        table.apply_filter("is:discovered")
        assert list(table.visible_indices) == [2, 3]
        table.apply_filter("is:discovered is:exposed")
        assert list(table.visible_indices) == [3]
        table.apply_filter("")
        assert table.visible_count == 4
        await pilot.pause()

    run(scenario, rows)
