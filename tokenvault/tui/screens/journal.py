"""The journal screen: the signed change journal, newest first, filterable, with its proof.

Why the verification sits in the header: an operator reading the journal should see at a
glance whether it is the journal — every signature, link and replayed state checked by
`services.verify()` — not merely rows in a table. Verifying reads the whole vault, so it runs
in a thread worker and reports back with a message; the rows themselves are one quick read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, Static

from tokenvault.domain.describe import subject, summary
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.journal import Entry
from tokenvault.domain.query import matches_terms, search_terms
from tokenvault.services import Session, VerifyReport, verify
from tokenvault.services import journal as journal_service

COLUMNS = ("Seq", "Time (UTC)", "Actor", "Type", "Subject", "Summary")
HEX_SHOWN = 16  # enough of a hash to compare by eye with `tokenvault vault verify`


def entry_cells(entry: Entry) -> tuple[str, ...]:
    """The row as shown, in the CLI's `journal ls` terms."""
    when = entry.ts[:19].replace("T", " ") + "Z"
    return (str(entry.seq), when, entry.actor, entry.type, subject(entry), summary(entry))


def verified_text(report: VerifyReport) -> str:
    if report.ok:
        return (
            f"✓ verified {report.entries} entries · head root {report.root[:HEX_SHOWN]}… · "
            f"genesis {report.genesis_hash[:HEX_SHOWN]}…"
        )
    more = len(report.problems) - 1
    return f"✗ {report.problems[0]}" + (f" (+{more} more)" if more else "")


class EntryTable(ScrollView, can_focus=True):
    """Read-only rows drawn with the Line API: only the visible lines are ever rendered, so
    refiltering 5,000 entries costs a list comprehension, not a DataTable rebuild (which
    measured ~0.7 s per keystroke at that size). Column widths come from all entries, once,
    so columns stay put while the filter narrows."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-table--header",
        "entry-table--odd",
        "entry-table--cursor",
    }

    DEFAULT_CSS = """
    EntryTable { background: $surface; }
    EntryTable > .entry-table--header { color: $primary; text-style: bold; }
    EntryTable > .entry-table--odd { background: $surface-lighten-1; }
    EntryTable > .entry-table--cursor { background: $panel-lighten-1; }
    EntryTable:focus > .entry-table--cursor { background: $block-cursor-background; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1_000_000_000)", "First", show=False),
        Binding("end", "move(1_000_000_000)", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    def __init__(self, columns: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.rows: list[tuple[str, ...]] = []
        self._widths = [cell_len(c) for c in self.columns]

    def measure(self, rows: Sequence[tuple[str, ...]], cap: int = 40) -> None:
        """Fix column widths from every row that may ever be shown (the last is not capped)."""
        for cells in rows:
            for i, cell in enumerate(cells[:-1]):
                self._widths[i] = min(cap, max(self._widths[i], cell_len(cell)))

    def show(self, rows: list[tuple[str, ...]]) -> None:
        self.rows = rows
        self.virtual_size = Size(0, len(rows) + 1)  # +1: the header line
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def _line(self, cells: Sequence[str]) -> str:
        parts = []
        for cell, width in zip(cells[:-1], self._widths, strict=False):
            fitted = cell if cell_len(cell) <= width else set_cell_size(cell, width - 1) + "…"
            parts.append(set_cell_size(fitted, width))
        return " " + "  ".join([*parts, cells[-1]])

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("entry-table--header")
            text = self._line(self.columns)
        else:
            index = int(self.scroll_offset.y) + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, base)
            text, style = self._line(self.rows[index]), base
            if index % 2:
                style += self.get_component_rich_style("entry-table--odd")
            if index == self.cursor:
                style += self.get_component_rich_style("entry-table--cursor")
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def watch_cursor(self) -> None:
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)
        self.refresh()

    def action_move(self, step: int) -> None:
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 1))

    def on_click(self, event: events.Click) -> None:
        if event.y > 0:
            self.action_move(int(self.scroll_offset.y) + event.y - 1 - self.cursor)


class JournalFilter(Input):
    """The filter box; Esc here clears it and returns to the rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "screen.clear_filter",
            "Clear filter",
            key_display="esc",
            tooltip="Clear the filter and return to the journal rows",
            id="journal-filter-clear",
        ),
    ]


class JournalScreen(Screen[None]):
    """Journal entries newest first, a filter over every column, and the verify result."""

    @dataclass
    class Loaded(Message):
        """The entries were read and turned into display cells (newest first)."""

        rows: list[tuple[str, ...]]
        failure: str = ""

    @dataclass
    class Verified(Message):
        """The background verification finished: a report, or why none could be made."""

        report: VerifyReport | None
        failure: str = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q",
            "back",
            "Back",
            key_display="esc",
            tooltip="Close the journal and return to the token list",
            id="journal-back",
        ),
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            key_display="/",
            tooltip="Filter entries: every word must appear in some column",
            id="journal-filter",
        ),
        Binding(
            "e",
            "export",
            "Export",
            tooltip="Write the verifiable journal export (arrives with issue #5)",
            id="journal-export",
        ),
    ]

    AUTO_FOCUS = "#journal-table"

    DEFAULT_CSS = """
    JournalScreen { layout: vertical; }
    JournalScreen #journal-title { padding: 0 1; text-style: bold; background: $panel; }
    JournalScreen #journal-verify { padding: 0 1; text-style: bold; }
    JournalScreen #journal-verify.-verifying { color: $text-muted; text-style: italic; }
    JournalScreen #journal-verify.-verified { color: $success; }
    JournalScreen #journal-verify.-failed { color: $error; background: $error-muted; }
    JournalScreen #journal-filter { width: 1fr; }
    JournalScreen #journal-count { padding: 0 1; color: $text-muted; }
    JournalScreen #journal-count.-failed { color: $error; }
    JournalScreen #journal-table { height: 1fr; }
    """

    def __init__(self, session: Session, limit: int = 5000) -> None:
        super().__init__()
        self._session = session
        self._limit = limit
        # (cells, lower-cased haystack) per entry, newest first; built once, filtered often.
        self._rows: list[tuple[tuple[str, ...], str]] = []
        self.shown: list[tuple[str, ...]] = []
        self.report: VerifyReport | None = None
        self.read_failure = ""
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("Journal — newest first", id="journal-title")
        yield Static("verifying…", id="journal-verify", classes="-verifying", markup=False)
        yield JournalFilter(
            placeholder="/ filter: seq, time, actor, type, subject, summary",
            id="journal-filter",
        )
        yield Static("loading…", id="journal-count", markup=False)
        yield EntryTable(COLUMNS, id="journal-table")
        yield Footer()

    def on_mount(self) -> None:
        self._load()
        self._verify()

    # ---- background work: both read the whole journal, so neither runs on the event loop --

    @work(thread=True, exclusive=True, group="journal-load")
    def _load(self) -> None:
        """Decode the newest entries (~0.6 s for 5,000: each line is strictly re-parsed)."""
        try:
            entries = journal_service.recent(self._session, limit=self._limit)
        except TokenVaultError as exc:  # a damaged line: say so; verify() says where
            self.post_message(self.Loaded([], failure=f"cannot read the journal: {exc}"))
            return
        self.post_message(self.Loaded([entry_cells(entry) for entry in entries]))

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self) -> None:
        """Check the whole vault; the answer comes back as `Verified`."""
        try:
            message = self.Verified(verify(self._session))
        except TokenVaultError as exc:
            message = self.Verified(None, failure=str(exc))
        self.post_message(message)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        self.loaded, self.read_failure = True, event.failure
        self._rows = [(cells, "\n".join(cells).casefold()) for cells in event.rows]
        self.query_one(EntryTable).measure(event.rows)
        self._apply_filter(self.query_one(JournalFilter).value)

    @on(Verified)
    def _verified(self, event: Verified) -> None:
        event.stop()
        self.report = event.report
        header = self.query_one("#journal-verify", Static)
        if event.report is not None:
            text, ok = verified_text(event.report), event.report.ok
        else:
            text, ok = f"✗ verification failed: {event.failure}", False
        header.update(Content(text))
        header.set_classes("-verified" if ok else "-failed")

    # ---- rows and filter ----------------------------------------------------------------

    def _apply_filter(self, text: str) -> None:
        terms = search_terms(text)
        self.shown = [cells for cells, hay in self._rows if matches_terms(hay, terms)]
        self.query_one(EntryTable).show(self.shown)
        total, shown = len(self._rows), len(self.shown)
        count = f"{total} entries" if shown == total else f"{shown} of {total} entries"
        label = self.query_one("#journal-count", Static)
        label.update(self.read_failure or (count if self.loaded else "loading…"))
        label.set_class(bool(self.read_failure), "-failed")

    @on(Input.Changed, "#journal-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply_filter(event.value)

    @on(Input.Submitted, "#journal-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#journal-table").focus()

    def action_focus_filter(self) -> None:
        self.query_one(JournalFilter).focus()

    def action_clear_filter(self) -> None:
        self.query_one(JournalFilter).clear()  # Input.Changed refills the table
        self.query_one("#journal-table").focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_export(self) -> None:
        self.notify("Export arrives with the audit export issue (#5)", markup=False)
