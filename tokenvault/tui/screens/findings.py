"""The findings view: every policy finding in the vault, most severe first, filtered by
severity — the same report as `tokenvault check`.

Why a screen of its own: the due view answers "what must I rotate this week", this one "what
would an auditor flag". It loads `services.findings.check()` in a thread worker, so the rules
are domain.findings' alone and the moment is the session's clock — the clock the app unlocked
with, the one the due view and the main table use. The filter is the report's own
`at_least()`, at warning unless asked (as `check --severity`).

The rows are drawn with the Line API, as widgets/token_table.py: a vault of 100,000 tokens can
hold more findings than tokens, and a DataTable measures every cell (about 10 s at 100k rows).
The table shows each finding on one line; the highlighted one is spelled out in full below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Static

from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.findings import Code, Finding, Severity
from tokenvault.services import Session
from tokenvault.services.findings import FindingsReport, check
from tokenvault.tui.widgets.token_table import fit

DEFAULT_SEVERITY = Severity.WARNING  # as `tokenvault check`
LABELS = ("SEVERITY", "CODE", "TOKEN", "OWNER", "FINDING", "CONTROL")
GAP = 1  # blank cells between columns
SEVERITY_WIDTH = 9  # " warning ", a badge with a space either side
CODE_WIDTH = max(len(code.value) for code in Code)
TOKEN_WIDTH = (12, 24)  # (minimum, at most): longer names are cut, shown whole below
OWNER_WIDTH = (6, 10)
CONTROL_WIDTH = (12, 32)  # 12: "SOC 2 CC6.1…" keeps the criterion readable
MESSAGE_MINIMUM = 20
SHOWING = {  # what the counts line says each filter shows
    Severity.INFO: "every finding",
    Severity.WARNING: "warning and above",
    Severity.ERROR: "errors only",
}


def cells(finding: Finding) -> tuple[str, ...]:
    """The text of each column, in LABELS order (the severity is drawn as a badge)."""
    return (
        f" {finding.severity.value} ",
        finding.code.value,
        finding.token,
        finding.owner or "-",
        finding.message,
        finding.control,
    )


def natural_widths(findings: Sequence[Finding]) -> tuple[int, int, int, int]:
    """The widest token, owner, message and control (labels included), for column_widths."""
    token, owner, message, control = (cell_len(label) for label in LABELS[2:])
    for f in findings:
        token = max(token, cell_len(f.token))
        owner = max(owner, cell_len(f.owner))
        message = max(message, cell_len(f.message))
        control = max(control, cell_len(f.control))
    return token, owner, message, control


def column_widths(total: int, natural: tuple[int, int, int, int]) -> tuple[int, ...]:
    """Widths for `total` cells: severity and code whole; token, owner and control as wide as
    their text up to a cap; the message takes the rest (what it does not need goes to the
    control). Too narrow for the minimums: the line is cut at the right."""
    token_n, owner_n, message_n, control_n = natural
    token = min(token_n, TOKEN_WIDTH[1])
    owner = min(owner_n, OWNER_WIDTH[1])
    control = min(control_n, CONTROL_WIDTH[0])
    message = total - GAP * (len(LABELS) - 1) - SEVERITY_WIDTH - CODE_WIDTH
    message -= token + owner + control
    if message > message_n:  # room to spare: the control first, then the message again
        extra = min(message - message_n, min(control_n, CONTROL_WIDTH[1]) - control)
        control, message = control + extra, message - extra
    sized = [token, owner]
    for i, minimum in ((1, OWNER_WIDTH[0]), (0, TOKEN_WIDTH[0])):  # the owner gives way first
        take = max(0, min(MESSAGE_MINIMUM - message, sized[i] - minimum))
        sized[i], message = sized[i] - take, message + take
    token, owner = sized
    return SEVERITY_WIDTH, CODE_WIDTH, token, owner, max(message, MESSAGE_MINIMUM), control


class FindingsTable(ScrollView, can_focus=True):
    """Findings with a cursor, one a line; `show` refills them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Select", tooltip="Select this token in the token list",
                id="findings-choose"),
        Binding("up", "move(-1)", "Up", show=False, id="findings-table.up",
                tooltip="Highlight the finding above"),
        Binding("down", "move(1)", "Down", show=False, id="findings-table.down",
                tooltip="Highlight the finding below"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="findings-table.page-up",
                tooltip="Move up one screen"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="findings-table.page-down",
                tooltip="Move down one screen"),
        Binding("home", "move(-1_000_000_000)", "First", show=False,
                id="findings-table.first", tooltip="Highlight the first finding"),
        Binding("end", "move(1_000_000_000)", "Last", show=False, id="findings-table.last",
                tooltip="Highlight the last finding"),
    ]  # fmt: skip

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "findings-table--header",
        "findings-table--cursor",
        *(f"findings-table--severity-{severity.value}" for severity in Severity),
    }

    DEFAULT_CSS = """
    FindingsTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        &:focus > .findings-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .findings-table--header { background: $panel; text-style: bold; }
        & > .findings-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .findings-table--severity-error { color: $text-error; text-style: bold reverse; }
        & > .findings-table--severity-warning { color: $text-warning; text-style: bold; }
        & > .findings-table--severity-info { color: $text-primary; }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor moved to `finding` (None: the table is empty)."""

        finding: Finding | None

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on `finding`."""

        finding: Finding

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: Sequence[Finding] = ()
        self.cursor = 0
        self._natural = natural_widths(())
        self._widths: tuple[int, ...] = ()
        self._widths_for = -1  # the width _widths were computed for

    @property
    def highlighted(self) -> Finding | None:
        return self.findings[self.cursor] if self.findings else None

    def measure(self, natural: tuple[int, int, int, int]) -> None:
        """Column widths from every finding that may be shown (so they stay put across
        filters): natural_widths() of the whole report."""
        self._natural, self._widths_for = natural, -1

    def show(self, findings: Sequence[Finding]) -> None:
        """New rows; the cursor stays on the same finding when it is still there."""
        kept = self.highlighted
        self.findings = findings
        position = 0
        if kept is not None:
            position = next((i for i, f in enumerate(findings) if f is kept), 0)
        self.virtual_size = Size(0, len(findings) + 1)  # + the header line
        self.scroll_to(y=0, animate=False)
        self._move(position, force=True)

    def action_move(self, step: int) -> None:
        self._move(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * self._page_height())

    def action_select(self) -> None:
        finding = self.highlighted
        if finding is not None:
            self.post_message(self.Selected(finding))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        position = self.scroll_offset.y + offset.y - 1
        if position < len(self.findings):
            self._move(position)
            if event.chain >= 2:
                self.action_select()

    def _move(self, position: int, *, force: bool = False) -> None:
        old = self.cursor
        self.cursor = max(0, min(position, len(self.findings) - 1))
        if self.cursor != old or force:
            self._scroll_to_cursor()
            self.refresh()
            self.post_message(self.Highlighted(self.highlighted))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, page = self.scroll_offset.y, self._page_height()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._widths_for:
            self._widths, self._widths_for = column_widths(width, self._natural), width
        if y == 0:
            style = self.get_component_rich_style("findings-table--header")
            return self._strip(LABELS, style, style, width)
        position = self.scroll_offset.y + y - 1
        if position >= len(self.findings):
            return Strip.blank(width, self.rich_style)
        finding = self.findings[position]
        base = self.rich_style
        if position == self.cursor:
            base = self.get_component_rich_style("findings-table--cursor")
        badge = base + self.get_component_rich_style(
            f"findings-table--severity-{finding.severity.value}", partial=True
        )
        return self._strip(cells(finding), base, badge, width)

    def _strip(self, texts: Sequence[str], base: Style, badge: Style, width: int) -> Strip:
        gap = Segment(" " * GAP, base)
        segments: list[Segment] = []
        for i, (text, w) in enumerate(zip(texts, self._widths, strict=True)):
            if i:
                segments.append(gap)
            segments.append(Segment(fit(text, w), badge if i == 0 else base))
        return Strip(segments).adjust_cell_length(width, base)


class FindingsScreen(Screen[None]):
    """The vault's policy findings; 1/2/3 choose the lowest severity shown, Enter hands the
    chosen token back."""

    @dataclass
    class Loaded(Message):
        """The report was made (in the worker thread), or why it could not be."""

        report: FindingsReport | None
        natural: tuple[int, int, int, int] = (0, 0, 0, 0)
        failure: str = ""

    @dataclass
    class TokenChosen(Message):
        """The operator picked this finding's token (posted to the screen below)."""

        name: str

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", key_display="esc",
                tooltip="Close the findings and return to the token list", id="findings-back"),
        Binding("1", "at_least('info')", "All", tooltip="Show every finding, info and up",
                id="findings-all"),
        Binding("2", "at_least('warning')", "Warning+",
                tooltip="Show warnings and errors (as `tokenvault check`)",
                id="findings-warning"),
        Binding("3", "at_least('error')", "Errors", tooltip="Show errors only",
                id="findings-error"),
    ]  # fmt: skip

    AUTO_FOCUS = "#findings-table"

    DEFAULT_CSS = """
    FindingsScreen { layout: vertical; }
    FindingsScreen #findings-title { padding: 0 1; text-style: bold; background: $panel; }
    FindingsScreen #findings-counts { padding: 0 1; color: $text-muted; }
    FindingsScreen #findings-counts.-failed { color: $error; }
    FindingsScreen #findings-empty { padding: 1 2; color: $success; display: none; }
    FindingsScreen.-empty #findings-empty { display: block; }
    FindingsScreen.-empty #findings-table, FindingsScreen.-empty #findings-detail {
        display: none;
    }
    FindingsScreen #findings-detail {
        height: 4; padding: 0 1; border-top: hkey $panel; background: $surface;
    }
    """

    def __init__(self, session: Session, severity: Severity = DEFAULT_SEVERITY) -> None:
        super().__init__()
        self._session = session
        self.severity = severity
        self.report: FindingsReport | None = None
        self.shown: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield Static("Policy findings — most severe first", id="findings-title")
        yield Static("loading…", id="findings-counts")
        yield Static(id="findings-empty")
        yield FindingsTable(id="findings-table")
        yield Static(id="findings-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="findings-load")
    def reload(self) -> None:
        """Judge every token off the event loop (a second or two at 100k tokens)."""
        try:
            report = check(self._session)
        except TokenVaultError as exc:
            self.post_message(self.Loaded(None, failure=f"cannot read the vault: {exc}"))
            return
        self.post_message(self.Loaded(report, natural_widths(report.findings)))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        self.report = event.report
        if event.report is None:
            counts = self.query_one("#findings-counts", Static)
            counts.update(Content(event.failure))
            counts.add_class("-failed")
            return
        self.query_one(FindingsTable).measure(event.natural)
        self._show()

    def _show(self) -> None:
        """The report's findings at or above the chosen severity, and the counts."""
        if self.report is None:
            return
        self.shown = self.report.at_least(self.severity)
        counts = self.report.counts()
        tokens = self.report.tokens_checked
        self.query_one("#findings-counts", Static).update(
            Content.from_markup(
                "[$text-error]$errors error[/] · [$text-warning]$warnings warning[/] · "
                "$infos info — $tokens checked — showing $which ($shown)",
                errors=str(counts[Severity.ERROR]),
                warnings=str(counts[Severity.WARNING]),
                infos=str(counts[Severity.INFO]),
                tokens=f"{tokens} token{'s' if tokens != 1 else ''}",
                which=SHOWING[self.severity],
                shown=str(len(self.shown)),
            )
        )
        hidden = len(self.report.findings) - len(self.shown)
        empty = f"No findings at or above {self.severity.value}."
        if self.severity is Severity.INFO:
            empty = "No findings: every token meets the policy."
        elif hidden:
            empty += f" {hidden} below it: press 1 to show every finding."
        self.query_one("#findings-empty", Static).update(Content(empty))
        self.set_class(not self.shown, "-empty")
        self.query_one(FindingsTable).show(self.shown)

    @on(FindingsTable.Highlighted)
    def _highlighted(self, event: FindingsTable.Highlighted) -> None:
        event.stop()
        detail = self.query_one("#findings-detail", Static)
        f = event.finding
        if f is None:
            detail.update("")
            return
        where = ", ".join(x for x in (f.owner and f"owner {f.owner}", f.environment) if x)
        detail.update(
            Content.from_markup(
                "[b]$token[/b]$where · $code ($severity)\n$message\n[$text-muted]control:[/] "
                "$control",
                token=f.token,
                where=f" ({where})" if where else "",
                code=f.code.value,
                severity=f.severity.value,
                message=f.message,
                control=f.control,
            )
        )

    @on(FindingsTable.Selected)
    def _selected(self, event: FindingsTable.Selected) -> None:
        event.stop()
        self._choose(event.finding.token)

    def action_at_least(self, severity: str) -> None:
        self.severity = Severity(severity)
        self._show()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _choose(self, name: str) -> None:
        """Pop, then tell the screen that pushed us (it bubbles on to the app)."""
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        self.app.pop_screen()
        target = below if below is not None else self.app
        target.post_message(self.TokenChosen(name))
