"""The `?` help modal: the keys active where it was opened, and how the filter reads words.

Why it takes the bindings as data: the app passes the calling screen's active bindings, so
the help can never list a key that does not work there, nor miss a remapped one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

FILTER_HELP = (
    "Filter: type words separated by spaces; a token is listed when every word appears, "
    "ignoring case, in its name, service, owner, environment, scopes, tags or used_by. "
    "Example: 'stripe prod'. '/' focuses the filter, Esc clears it. "
    "Two terms select flags: 'is:exposed' (marked ! — a scan found the live secret in a file: "
    "rotate it) and 'is:discovered' (marked ? — brought in by a secret-scanner report, owner "
    "unknown until someone takes it); E and D toggle them."
)


class HelpScreen(ModalScreen[None]):
    """A modal table of (key, action, what it does) rows and a note on the filter syntax."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark",
            "close",
            "Close",
            key_display="esc",
            tooltip="Close the help",
            id="help-close",
        ),
    ]

    AUTO_FOCUS = "#help-keys"

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-dialog {
        width: 90%;
        max-width: 110;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; color: $primary; padding: 0 0 1 0; }
    HelpScreen #help-keys { height: auto; max-height: 20; }
    HelpScreen #help-filter { padding: 1 0 0 0; color: $text; }
    HelpScreen #help-hint { padding: 1 0 0 0; color: $text-muted; }
    """

    def __init__(self, bindings: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.key_rows = list(bindings)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys", id="help-title")
            yield DataTable(id="help-keys", cursor_type="row", show_cursor=False)
            yield Static(FILTER_HELP, id="help-filter", markup=False)
            yield Static("Esc, q or ? closes this help.", id="help-hint", markup=False)

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#help-keys", DataTable)
        table.add_column("Key", key="key")
        table.add_column("Action", key="action")
        table.add_column("What it does", key="tooltip")
        # Text, never str: a DataTable parses str as markup ("[" is a common key display).
        table.add_rows([tuple(Text(cell) for cell in row) for row in self.key_rows])

    def action_close(self) -> None:
        self.dismiss(None)
