"""The main screen: filter box, token table, detail pane, header counts, footer.

Typing in the filter narrows the table at once (the table filters an in-memory index; the
vault is read again only after a change). Enter — in the filter or on a row — copies the
highlighted token: `/`, a few letters, Enter. E and D toggle the filter terms `is:exposed`
and `is:discovered` in the box, where they stay visible and Esc clears them.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from tokenvault import services
from tokenvault.domain.errors import TokenVaultError
from tokenvault.domain.findings import findings_for
from tokenvault.domain.model import Member, RevealHow, Status
from tokenvault.domain.query import DISCOVERED, EXPOSED
from tokenvault.services.listing import Listing, TokenRow, token_rows
from tokenvault.tui.filtering import toggle_term
from tokenvault.tui.messages import TokensChanged
from tokenvault.tui.widgets.detail import DetailPane
from tokenvault.tui.widgets.token_table import (
    DISCOVERED_MARK,
    EXPOSED_MARK,
    TokenTable,
    count_marks,
)

if TYPE_CHECKING:
    from tokenvault.tui.app import TokenVaultApp

REVEAL_SECONDS = 10


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(  # the filter box says "/" itself: the footer keeps its room for Quit
            "/",
            "focus_filter",
            "Filter",
            tooltip="Type to filter the tokens",
            id="filter",
            show=False,
        ),
        Binding("c", "copy", "Copy", tooltip="Copy the secret (journaled)", id="copy"),
        Binding(
            "v", "reveal", "Reveal", tooltip="Show the secret for 10 s (journaled)", id="reveal"
        ),
        Binding("a", "add", "Add", tooltip="Inventory a new token", id="add"),
        Binding("e", "edit", "Edit", tooltip="Edit the token's metadata", id="edit"),
        Binding("r", "rotate", "Rotate", tooltip="Store a new secret version", id="rotate"),
        Binding("x", "revoke", "Revoke", tooltip="Revoke the token", id="revoke"),
        Binding("w", "review", "Review", tooltip="Attest it is still needed", id="review"),
        Binding("d", "due", "Due", tooltip="What is due, overdue or expired", id="due"),
        Binding(  # not in the footer: at 120 columns it would push Help and Quit off it
            "f",
            "findings",
            "Findings",
            tooltip="Policy findings, most severe first",
            id="findings",
            show=False,
        ),
        Binding(  # E and D: listed on `?` and in the palette; the footer has no room
            "E",
            "filter_exposed",
            "Exposed",
            tooltip="Filter to tokens whose live secret a scan found (is:exposed); again: all",
            id="filter-exposed",
            show=False,
        ),
        Binding(
            "D",
            "filter_discovered",
            "Discovered",
            tooltip="Filter to tokens from a scanner report (is:discovered); again: all",
            id="filter-discovered",
            show=False,
        ),
        Binding("j", "journal", "Journal", tooltip="The signed journal", id="journal"),
        Binding("ctrl+l", "app.lock", "Lock", tooltip="Lock the vault now", id="lock"),
        Binding("question_mark", "help", "Help", tooltip="All keys", id="help"),
        Binding("q", "app.quit", "Quit", tooltip="Clear the clipboard and quit", id="quit"),
    ]

    DEFAULT_CSS = """
    MainScreen #counts { height: 1; padding: 0 1; background: $panel; }
    MainScreen #banner {
        height: auto; padding: 0 1; background: $error; color: $text; display: none;
    }
    MainScreen #banner.-shown { display: block; }
    MainScreen #filter { margin: 0 0; border: tall $panel; }
    MainScreen #body { height: 1fr; }
    MainScreen TokenTable { width: 1fr; }
    MainScreen DetailPane { width: 40; }
    """

    def __init__(self, session: services.Session) -> None:
        super().__init__()
        self.session = session
        self.listing: Listing | None = None
        self.members: list[Member] = []  # removed ones too: the ORPHANED rule reads them
        self.status_counts: Counter[Status] = Counter()
        self.flag_counts = (0, 0)  # (exposed, discovered)

    @property
    def tv(self) -> TokenVaultApp:
        from tokenvault.tui.app import TokenVaultApp

        assert isinstance(self.app, TokenVaultApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        yield Static("loading…", id="counts")
        yield Input(
            placeholder="/ filter: name, service, owner, env, scope, tag, used by", id="filter"
        )
        with Horizontal(id="body"):
            yield TokenTable()
            yield DetailPane()
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"{self.session.vault_name} — {self.session.member.id}"
        info = self.session.unlock_info
        if info.rollback:
            banner = self.query_one("#banner", Static)
            banner.update(f"ROLLBACK OR FORK: {info.rollback} — writes are refused")
            banner.add_class("-shown")
        for failed in info.failed_attempts:
            self.notify(
                f"{failed.count} failed unlock attempt(s) for {failed.member} "
                "since the last unlock",
                title="Failed unlocks",
                severity="warning",
                timeout=15,
            )
        self.query_one(TokenTable).focus()
        self.load()

    # ---- data ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="listing")
    def load(self) -> None:
        listing = token_rows(self.session)
        members = services.members.list_members(self.session, include_removed=True)
        counts = count_marks(listing.rows)  # here, off the event loop (~20 ms at 100k)
        self.app.call_from_thread(self.show_listing, listing, members, counts)

    def show_listing(
        self, listing: Listing, members: list[Member], flag_counts: tuple[int, int] = (0, 0)
    ) -> None:
        self.listing = listing
        self.members = members
        self.flag_counts = flag_counts
        self.status_counts = Counter(row.status for row in listing.rows)
        # The rows live as long as the listing: move them out of the collector's generations,
        # or its full passes over 100k rows stall keystrokes (70-100 ms, bench_tui.py).
        gc.collect()
        gc.freeze()
        table = self.query_one(TokenTable)
        table.set_rows(listing.rows)
        table.apply_filter(self.query_one("#filter", Input).value)
        self.update_counts()
        self.show_detail(table.highlighted)

    def update_counts(self) -> None:
        if self.listing is None:
            return
        counts = self.status_counts
        table = self.query_one(TokenTable)
        days = self.listing.policy.reminder_days
        exposed, discovered = self.flag_counts
        flags = ""  # only when there are some: the marks' legend, in their own styles
        if exposed:
            flags += f"[b reverse $text-error]{EXPOSED_MARK}[/] [b $error]{exposed} exposed[/] · "
        if discovered:
            flags += f"[b $text-primary]{DISCOVERED_MARK} {discovered} discovered[/] · "
        self.query_one("#counts", Static).update(
            f"{flags}[$error]{counts[Status.OVERDUE]} overdue[/]"
            f" · [$error]{counts[Status.EXPIRED]} expired[/]"
            f" · [$warning]{counts[Status.DUE]} due within {days}d[/]"
            f" · {table.visible_count} of {table.total_count} tokens"
        )

    def show_detail(self, row: TokenRow | None) -> None:
        pane = self.query_one(DetailPane)
        if row is None or self.listing is None:
            pane.show(None, services.policy.show(self.session), self.tv.clock(), [])
            return
        try:
            token = services.tokens.get(self.session, row.name)
            history = services.tokens.history(self.session, row.name, limit=6)
        except TokenVaultError as exc:
            self.notify(str(exc), severity="error")
            return
        policy, now = self.listing.policy, self.tv.clock()
        # The findings view's rules, for this one token (domain.findings: never a copy here).
        found = findings_for(token, policy, now, self.members)
        pane.show(token, policy, now, history, found)

    # ---- events ----------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Up/down/page keys typed in the filter move the table's cursor (the filter keeps
        the focus, so the next letters still narrow)."""
        if not self.query_one("#filter", Input).has_focus:
            return
        table = self.query_one(TokenTable)
        moves = {
            "up": table.action_cursor_up,
            "down": table.action_cursor_down,
            "pageup": table.action_page_up,
            "pagedown": table.action_page_down,
        }
        if event.key in moves:
            event.stop()
            event.prevent_default()
            moves[event.key]()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one(TokenTable).apply_filter(event.value)
        self.update_counts()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        """Enter copies the top match and hands the keys back to the table (q, c, v …)."""
        self.action_copy()
        self.query_one(TokenTable).focus()

    @on(TokenTable.Highlighted)
    def highlighted(self, event: TokenTable.Highlighted) -> None:
        self.show_detail(event.row)

    @on(TokenTable.Selected)
    def selected(self) -> None:
        self.action_copy()

    @on(TokensChanged)
    def tokens_changed(self) -> None:
        self.load()

    def key_escape(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus or field.value:
            self.clear_filter()

    @property
    def filter_text(self) -> str:
        return self.query_one("#filter", Input).value

    def clear_filter(self) -> None:
        """Empty the filter box (every token shows again) and hand the keys to the table."""
        self.query_one("#filter", Input).value = ""
        self.query_one(TokenTable).focus()

    # ---- actions ---------------------------------------------------------------------------

    def current(self) -> TokenRow | None:
        row = self.query_one(TokenTable).highlighted
        if row is None:
            self.notify("no token selected", severity="warning")
        return row

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_filter_exposed(self) -> None:
        self.toggle_filter_term(EXPOSED)

    def action_filter_discovered(self) -> None:
        self.toggle_filter_term(DISCOVERED)

    def toggle_filter_term(self, term: str) -> None:
        """Add `term` to the filter box, or take it out; the box's Changed event filters."""
        field = self.query_one("#filter", Input)
        field.value = toggle_term(field.value, term)

    def action_copy(self) -> None:
        row = self.current()
        if row is not None:
            self.tv.copy_secret(row.name)

    def action_reveal(self) -> None:
        row = self.current()
        if row is None:
            return
        try:
            secret = services.tokens.reveal(self.session, row.name, how=RevealHow.VIEW)
            text = secret.expose_text()
        except UnicodeDecodeError:
            self.notify("this secret is not text; use `tokenvault get`", severity="warning")
            return
        except TokenVaultError as exc:
            self.notify(str(exc), severity="error")
            return
        self.query_one(DetailPane).reveal(text, REVEAL_SECONDS)
        self.tv.hide_reveal_after(REVEAL_SECONDS)

    def hide_reveal(self) -> None:
        self.query_one(DetailPane).hide_secret()

    def action_add(self) -> None:
        self.tv.add_token()

    def action_edit(self) -> None:
        row = self.current()
        if row is not None:
            self.tv.edit_token(row.name)

    def action_rotate(self) -> None:
        row = self.current()
        if row is not None:
            self.tv.rotate_token(row.name)

    def action_revoke(self) -> None:
        row = self.current()
        if row is not None:
            self.tv.revoke_token(row.name)

    def action_review(self) -> None:
        row = self.current()
        if row is not None:
            self.tv.review_token(row.name)

    def action_due(self) -> None:
        self.tv.open_due()

    def action_findings(self) -> None:
        self.tv.open_findings()

    def action_journal(self) -> None:
        self.tv.open_journal()

    def action_help(self) -> None:
        self.tv.open_help()

    def select_token(self, name: str) -> None:
        """Put the cursor on `name` (from the due or findings view), clearing a filter that
        hides it."""
        table = self.query_one(TokenTable)
        if not table.select_name(name):
            self.query_one("#filter", Input).value = ""
            table.apply_filter("")
            table.select_name(name)
