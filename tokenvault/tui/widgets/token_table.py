"""The token table: 100,000 rows, filtered on every keystroke, drawn a screenful at a time.

Textual's DataTable measures and stores every cell of every row (about 10 s to refill 100k
rows, design.md §9). This is a Line-API `ScrollView` instead: it holds the rows and the list of
visible row indices, and `render_line` draws only the lines on screen, so a refill or a new
filter costs the filter itself plus one screen. Line 0 is the column header, fixed while the
rows scroll under it. Rows come from `services.listing` and carry no secret.

Marks lead the name cell of a flagged token, so they survive a narrow terminal and cost
nothing to the others: `!` (bold, reversed, error colour, and the name bold in that colour, so
it outweighs a due badge) for a token whose live secret a scan found in a file; `?` (bold,
primary colour) for one a secret-scanner report brought in. Glyphs, not colour alone, so they
read in a monochrome terminal; the header counts spell them out.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tokenvault.domain.model import Status
from tokenvault.services.listing import TokenRow
from tokenvault.tui.filtering import FilterIndex

ELLIPSIS = "…"
GAP = 1  # blank cells between columns


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    preferred: int  # width when the terminal is wide enough for every preferred width
    minimum: int
    grow: int = 0  # share of the width left over once every column has its preferred width


# The dates and the badge have fixed widths; the preferred widths fit a 120-column terminal
# (118 cells beside the scrollbar). Narrower, scopes give way first and the name last.
COLUMNS: tuple[Column, ...] = (
    Column("NAME", 28, 12, grow=3),
    Column("SERVICE", 10, 6),
    Column("ENV", 7, 4),
    Column("OWNER", 10, 6),
    Column("SCOPES", 18, 6, grow=2),
    Column("EXPIRES", 10, 10),
    Column("ROTATE BY", 10, 10),
    Column("STATUS", 9, 9),
)
SHRINK_ORDER = (4, 3, 1, 2, 0)  # scopes, owner, service, env, name
EXPOSED_MARK = "!"
DISCOVERED_MARK = "?"


def column_widths(total: int) -> tuple[int, ...]:
    """Widths that fill `total` cells (gaps included): the preferred widths, with what is left
    shared by the growing columns, or taken in SHRINK_ORDER down to each minimum. Below the
    minimums the line is wider than `total` and cut at the right."""
    available = total - GAP * (len(COLUMNS) - 1)
    widths = [c.preferred for c in COLUMNS]
    spare = available - sum(widths)
    if spare >= 0:
        grow_total = sum(c.grow for c in COLUMNS)
        for i, c in enumerate(COLUMNS):
            widths[i] += spare * c.grow // grow_total
        widths[0] += available - sum(widths)  # rounding leftovers to the name
    for i in SHRINK_ORDER:
        if spare >= 0:
            break
        take = min(-spare, widths[i] - COLUMNS[i].minimum)
        widths[i] -= take
        spare += take
    return tuple(widths)


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis."""
    if text.isascii():
        if len(text) <= width:
            return text.ljust(width)
        return text[: width - 1] + ELLIPSIS if width > 0 else ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + ELLIPSIS if width > 0 else ""


def marks(row: TokenRow) -> str:
    """The glyphs leading a flagged token's name ("" for most tokens)."""
    return (EXPOSED_MARK if row.exposed else "") + (DISCOVERED_MARK if row.discovered else "")


def count_marks(rows: Sequence[TokenRow]) -> tuple[int, int]:
    """How many rows are (exposed, discovered), for the header counts."""
    return sum(row.exposed for row in rows), sum(row.discovered for row in rows)


def cells(row: TokenRow) -> tuple[str, ...]:
    """The text of each column for one row (status is drawn as a badge)."""
    expires = "never" if row.expires_at is None else row.expires_at.strftime("%Y-%m-%d")
    rotation = "-" if row.rotation_due_at is None else row.rotation_due_at.strftime("%Y-%m-%d")
    return (
        row.name,
        row.service,
        row.environment,
        row.owner,
        ", ".join(row.scopes),
        expires,
        rotation,
        f" {row.status.value} ",
    )


class TokenTable(ScrollView, can_focus=True):
    """Rows of tokens with a cursor; `apply_filter` narrows them, `set_rows` refills them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="token-table.up",
                tooltip="Highlight the token above"),
        Binding("down", "cursor_down", "Down", show=False, id="token-table.down",
                tooltip="Highlight the token below"),
        Binding("pageup", "page_up", "Page up", show=False, id="token-table.page-up",
                tooltip="Move up one screen"),
        Binding("pagedown", "page_down", "Page down", show=False, id="token-table.page-down",
                tooltip="Move down one screen"),
        Binding("home", "first", "First", show=False, id="token-table.first",
                tooltip="Highlight the first token"),
        Binding("end", "last", "Last", show=False, id="token-table.last",
                tooltip="Highlight the last token"),
        Binding("enter", "select", "Select", show=False, id="token-table.select",
                tooltip="Act on the highlighted token"),
    ]  # fmt: skip

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "token-table--header",
        "token-table--cursor",
        "token-table--revoked",
        "token-table--empty",
        "token-table--exposed",
        "token-table--discovered",
        "token-table--exposed-name",
        *(f"token-table--status-{status.value}" for status in Status),
    }

    DEFAULT_CSS = """
    TokenTable {
        width: 1fr;
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        &:focus {
            background-tint: $foreground 5%;
            & > .token-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .token-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .token-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .token-table--revoked { color: $text-disabled; }
        & > .token-table--empty { color: $text-muted; text-style: italic; }
        & > .token-table--status-revoked { text-style: dim; }
        & > .token-table--status-expired { color: $text-error; text-style: bold reverse; }
        & > .token-table--status-overdue { color: $text-error; text-style: bold; }
        & > .token-table--status-due { color: $text-warning; text-style: bold; }
        & > .token-table--status-ok { color: $text-success; }
        & > .token-table--exposed { color: $text-error; text-style: bold reverse; }
        & > .token-table--discovered { color: $text-primary; text-style: bold; }
        & > .token-table--exposed-name { color: $text-error; text-style: bold; }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor moved to `row` (None: no row is visible)."""

        table: TokenTable
        row: TokenRow | None

        @property
        def control(self) -> TokenTable:
            return self.table

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on `row`."""

        table: TokenTable
        row: TokenRow

        @property
        def control(self) -> TokenTable:
            return self.table

    def __init__(
        self,
        rows: Sequence[TokenRow] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rows: Sequence[TokenRow] = ()
        self._index = FilterIndex(())
        self._visible: list[int] = []
        self._filter = ""
        self._cursor = 0  # position in _visible
        self._announced: TokenRow | None = None  # the row the last Highlighted carried
        self._widths: tuple[int, ...] = ()
        self._widths_for = -1  # the width _widths were computed for
        self._strips: LRUCache[tuple[int, bool], Strip] = LRUCache(256)
        self._live = False  # mounted: may scroll and post messages
        self.set_rows(rows)

    def on_mount(self) -> None:
        self._live = True
        self._changed(self._cursor)

    # ---- the API ---------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[TokenRow]:
        return self._rows

    @property
    def visible_indices(self) -> Sequence[int]:
        """Indices into `rows` of the rows the filter selects, in order."""
        return self._visible

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def total_count(self) -> int:
        return len(self._rows)

    @property
    def visible_count(self) -> int:
        return len(self._visible)

    @property
    def cursor(self) -> int:
        """The cursor's position among the visible rows."""
        return self._cursor

    @property
    def highlighted(self) -> TokenRow | None:
        if not self._visible:
            return None
        return self._rows[self._visible[self._cursor]]

    def set_rows(self, rows: Sequence[TokenRow]) -> None:
        """Show new rows (a fresh listing), filtered as before; the cursor stays on the same
        token when it is still visible, else at the same position."""
        kept = self.highlighted
        self._rows = rows
        self._index = FilterIndex(rows)
        self._visible = self._index.select(self._filter)
        position = self._cursor
        if kept is not None:
            kept_id = kept.id
            found = self._position_where(lambda row: row.id == kept_id)
            if found is not None:
                position = found
        self._changed(position)

    def apply_filter(self, text: str) -> None:
        """Show the rows whose text holds every term of `text` (domain.query's rule); the
        cursor goes to the first match, as the best one to act on."""
        if text == self._filter:
            return
        self._filter = text
        self._visible = self._index.select(text)
        self._changed(0, rescroll=True)

    def select_id(self, token_id: int) -> bool:
        """Put the cursor on the token with this id if the filter shows it (posts
        Highlighted, not Selected); False when it is not shown."""
        return self._move_where(lambda row: row.id == token_id)

    def select_name(self, name: str) -> bool:
        """Put the cursor on the token with this name if the filter shows it (posts
        Highlighted, not Selected); False when it is not shown."""
        return self._move_where(lambda row: row.name == name)

    # ---- cursor ----------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self._cursor + 1)

    def action_page_up(self) -> None:
        self._move(self._cursor - self._page_height())

    def action_page_down(self) -> None:
        self._move(self._cursor + self._page_height())

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._visible) - 1)

    def action_select(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        position = self.scroll_offset.y + offset.y - 1
        if position < len(self._visible):
            self._move(position)
            if event.chain >= 2:
                self.action_select()

    def _position_where(self, wanted: Callable[[TokenRow], bool]) -> int | None:
        """The visible position of the first row that is `wanted` (one pass over the rows,
        a few ms at 100k, then a bisection of the visible indices)."""
        index = next((i for i, row in enumerate(self._rows) if wanted(row)), None)
        if index is None:
            return None
        at = bisect_left(self._visible, index)
        return at if at < len(self._visible) and self._visible[at] == index else None

    def _move_where(self, wanted: Callable[[TokenRow], bool]) -> bool:
        position = self._position_where(wanted)
        if position is not None:
            self._move(position)
        return position is not None

    def _move(self, position: int) -> None:
        old = self._cursor
        self._cursor = max(0, min(position, len(self._visible) - 1))
        if self._cursor != old and not self._scroll_to_cursor():
            self.refresh_line(old + 1)  # + the header line
            self.refresh_line(self._cursor + 1)
        self._announce()

    def _changed(self, position: int, *, rescroll: bool = False) -> None:
        """After new rows or a new filter: clamp the cursor, size the scroll area, redraw."""
        self._cursor = max(0, min(position, len(self._visible) - 1))
        self._strips.clear()
        self.virtual_size = Size(0, len(self._visible) + 1)  # + the header line
        if not self._live:
            return  # on_mount finishes the job
        if rescroll:
            self.scroll_to(y=0, animate=False)
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        if not self._live:
            return
        row = self.highlighted
        if row != self._announced:
            self._announced = row
            self.post_message(self.Highlighted(self, row))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> bool:
        """Scroll so the cursor's row is on screen; True when the view moved."""
        if not self._live or not self.size:
            return False
        top, page = self.scroll_offset.y, self._page_height()
        if self._cursor < top:
            target = self._cursor
        elif self._cursor >= top + page:
            target = self._cursor - page + 1
        else:
            return False
        self.scroll_to(y=target, animate=False)
        return True

    # ---- drawing ---------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._scroll_to_cursor()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._widths_for:
            self._widths, self._widths_for = column_widths(width), width
            self._strips.clear()
        if y == 0:
            return self._header(width)
        position = self.scroll_offset.y + y - 1
        if position >= len(self._visible):
            if position == 0:
                return self._empty_line(width)
            return Strip.blank(width, self.rich_style)
        index = self._visible[position]
        key = (index, position == self._cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._row_strip(self._rows[index], key[1], width)
            self._strips[key] = strip
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("token-table--header")
        labels = (fit(c.label, w) for c, w in zip(COLUMNS, self._widths, strict=True))
        return Strip([Segment((" " * GAP).join(labels), style)]).adjust_cell_length(width, style)

    def _empty_line(self, width: int) -> Strip:
        text = "no tokens yet" if not self._rows else "no token matches the filter"
        style = self.get_component_rich_style("token-table--empty")
        return Strip([Segment(fit(text, width), style)], width)

    def _row_strip(self, row: TokenRow, is_cursor: bool, width: int) -> Strip:
        if is_cursor:
            base = self.get_component_rich_style("token-table--cursor")
        elif row.status is Status.REVOKED:
            base = self.get_component_rich_style("token-table--revoked")
        else:
            base = self.rich_style
        badge: Style = base + self.get_component_rich_style(
            f"token-table--status-{row.status.value}", partial=True
        )
        texts = cells(row)
        segments: list[Segment] = []
        gap = Segment(" " * GAP, base)
        for i, (text, w) in enumerate(zip(texts, self._widths, strict=True)):
            if i:
                segments.append(gap)
            if i == 0 and (row.exposed or row.discovered):
                segments += self._flagged_name(row, text, w, base, is_cursor)
                continue
            segments.append(Segment(fit(text, w), badge if i == len(texts) - 1 else base))
        return Strip(segments).adjust_cell_length(width, base)

    def _flagged_name(
        self, row: TokenRow, name: str, width: int, base: Style, is_cursor: bool
    ) -> list[Segment]:
        """`!? name`: each glyph in its own style, then the name in what is left of the cell."""
        glyphs = marks(row)
        exposed = self.get_component_rich_style("token-table--exposed", partial=True)
        discovered = self.get_component_rich_style("token-table--discovered", partial=True)
        segments = [
            Segment(glyph, base + (exposed if glyph == EXPOSED_MARK else discovered))
            for glyph in glyphs[:width]
        ]
        rest = width - len(segments)
        if rest > 0:
            style = base
            if row.exposed and not is_cursor:
                style = base + self.get_component_rich_style(
                    "token-table--exposed-name", partial=True
                )
            segments.append(Segment(fit(" " + name, rest), style))
        return segments
