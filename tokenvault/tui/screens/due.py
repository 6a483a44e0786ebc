"""The due view: every token that needs action (due, overdue, expired), most urgent first.

Why a screen of its own: the main table answers "find a token", this one answers "what must I
do this week". It loads `services.due.due()` in a thread worker: the same report as
`tokenvault due` (one light read, `domain.due` deciding which tokens and in what order, by
`domain.status`'s rules), so it can never disagree with `tokenvault due` or `tokenvault ls`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tokenvault.domain.due import NEEDS_ACTION, DueItem
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.model import Status
from tokenvault.services import Session
from tokenvault.services.due import due

COLUMNS = (
    ("name", "Name"),
    ("owner", "Owner"),
    ("environment", "Env"),
    ("what", "Due"),
    ("date", "Date"),
    ("days", "When"),
    ("status", "Status"),
)
CELL_MAX = 40  # a 200-character name is clipped with "…", not given the whole screen


@dataclass(frozen=True, slots=True)
class DueRow:
    """One line of the view, already in display terms (so tests can read what is shown)."""

    name: str
    owner: str
    environment: str
    what: str  # "expires" or "rotation": which deadline next_deadline() picked
    deadline: datetime
    days: int  # domain.status.days_left: > 0 left, 0 today, < 0 late
    status: Status

    @property
    def cells(self) -> tuple[str, ...]:
        """The row as shown, in COLUMNS order (the badge last)."""
        day = self.deadline.strftime("%Y-%m-%d")
        where = (self.owner or "-", self.environment or "-")
        return (self.name, *where, self.what, day, self.days_text, self.status.value)

    @property
    def days_text(self) -> str:
        if self.days == 0:
            return "today"
        count = abs(self.days)
        unit = "day" if count == 1 else "days"
        return f"{count} {unit} left" if self.days > 0 else f"{count} {unit} late"


def due_rows(items: Iterable[DueItem[Any]]) -> list[DueRow]:
    """The due report's items as shown (domain.due decided which, and in what order)."""
    return [
        DueRow(
            name=item.token.name,
            owner=item.token.owner,
            environment=item.token.environment,
            what=item.what,
            deadline=item.deadline,
            days=item.days,
            status=item.status,
        )
        for item in items
    ]


class DueTable(DataTable[Text]):
    """The due rows; its status badges take their colours from component classes."""

    # DataTable's own Enter (select_cursor → RowSelected) is hidden; this one is in the footer.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Select",
            tooltip="Select this token in the token list",
            id="due-choose",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        f"status--{status.value}" for status in NEEDS_ACTION
    }

    DEFAULT_CSS = """
    DueTable > .status--expired { color: $error; text-style: bold; }
    DueTable > .status--overdue { color: $warning; text-style: bold; }
    DueTable > .status--due { color: $accent; }
    """


class DueScreen(Screen[None]):
    """Tokens that are due, overdue or expired; Enter hands the chosen name back."""

    @dataclass
    class Loaded(Message):
        """The snapshot was read and the rows computed (in the worker thread)."""

        rows: list[DueRow]
        reminder_days: int
        failure: str = ""

    @dataclass
    class TokenChosen(Message):
        """The operator picked this token in the due view (posted to the screen below)."""

        name: str

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q",
            "back",
            "Back",
            key_display="esc",
            tooltip="Close the due view and return to the token list",
            id="due-back",
        ),
    ]

    AUTO_FOCUS = "#due-table"

    DEFAULT_CSS = """
    DueScreen { layout: vertical; }
    DueScreen #due-title { padding: 0 1; text-style: bold; color: $text; background: $panel; }
    DueScreen #due-counts { padding: 0 1; color: $text-muted; }
    DueScreen #due-counts.-urgent { color: $warning; }
    DueScreen #due-counts.-failed { color: $error; }
    DueScreen #due-empty { padding: 1 2; color: $success; display: none; }
    DueScreen.-empty #due-empty { display: block; }
    DueScreen.-empty #due-table { display: none; }
    DueScreen #due-table { height: 1fr; }
    """

    def __init__(self, session: Session, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._session = session
        self._clock = clock
        self.rows: list[DueRow] = []
        self.reminder_days = 0

    def compose(self) -> ComposeResult:
        yield Static("Due, overdue and expired — most urgent first", id="due-title")
        yield Static("loading…", id="due-counts", markup=False)
        yield Static(id="due-empty", markup=False)
        yield DueTable(id="due-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill_table())
        self.reload()

    @work(thread=True, exclusive=True, group="due-load")
    def reload(self) -> None:
        """Read one snapshot off the event loop (100k tokens take a second or two)."""
        try:
            report = due(self._session, clock=self._clock)
        except TokenVaultError as exc:
            self.post_message(self.Loaded([], 0, failure=f"cannot read the vault: {exc}"))
            return
        self.post_message(self.Loaded(due_rows(report.items), report.within_days))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        self.rows, self.reminder_days = event.rows, event.reminder_days
        self._show_counts(event.failure)
        self._fill_table()

    def _show_counts(self, failure: str) -> None:
        count = {s: sum(1 for r in self.rows if r.status is s) for s in NEEDS_ACTION}
        days = f"{self.reminder_days} day{'s' if self.reminder_days != 1 else ''}"
        text = failure or (
            f"{count[Status.OVERDUE]} overdue · {count[Status.EXPIRED]} expired · "
            f"{count[Status.DUE]} due in the next {days}"
        )
        counts = self.query_one("#due-counts", Static)
        counts.update(text)
        counts.set_class(bool(count[Status.OVERDUE] or count[Status.EXPIRED]), "-urgent")
        counts.set_class(bool(failure), "-failed")
        self.query_one("#due-empty", Static).update(
            f"Nothing is due, overdue or expired in the next {days}."
        )
        self.set_class(not self.rows and not failure, "-empty")

    def _fill_table(self) -> None:
        """Columns sized here, from the rows: DataTable measures on idle and, when a frame is
        drawn in between, keeps showing label-width columns (seen in Textual 8.2.8)."""
        table = self.query_one(DueTable)
        cursor = table.cursor_row  # kept across a theme change's refill
        cells = [row.cells for row in self.rows]
        table.clear(columns=True)
        for i, (key, label) in enumerate(COLUMNS):
            width = min(CELL_MAX, max([cell_len(label), *(cell_len(c[i]) for c in cells)]))
            table.add_column(label, key=key, width=width)
        for row, texts in zip(self.rows, cells, strict=True):
            badge = table.get_component_rich_style(f"status--{row.status.value}")
            # Text, never str: a DataTable parses str as markup, and names are user text.
            line = [Text(text, no_wrap=True, overflow="ellipsis") for text in texts[:-1]]
            table.add_row(*line, Text(texts[-1], style=badge), key=row.name)
        table.move_cursor(row=cursor, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#due-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._choose(event.row_key.value)

    def _choose(self, name: str) -> None:
        """Pop, then tell the screen that pushed us (it bubbles on to the app)."""
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        self.app.pop_screen()
        target = below if below is not None else self.app
        target.post_message(self.TokenChosen(name))
