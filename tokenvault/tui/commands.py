"""The command palette: "area: verb" commands that reuse the screens' actions (style rule 3).
Token commands appear only while a token is highlighted."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class TokenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tokenvault.tui.screens.main import MainScreen
        from tokenvault.tui.widgets.token_table import TokenTable

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        found: list[tuple[str, str, Callable[[], object]]] = [
            ("token: add", "Inventory a new token", screen.action_add),
            ("token: filter", "Focus the filter box", screen.action_focus_filter),
            (
                "filter: exposed",
                "Toggle is:exposed — live secrets a scan found in a file (E)",
                screen.action_filter_exposed,
            ),
            (
                "filter: discovered",
                "Toggle is:discovered — tokens from a scanner report (D)",
                screen.action_filter_discovered,
            ),
            ("view: due", "Tokens due, overdue or expired", screen.action_due),
            ("view: findings", "Policy findings, most severe first", screen.action_findings),
            ("journal: open", "The signed journal, verified", screen.action_journal),
            ("vault: lock", "Drop the keys and lock now", partial(self.app.run_action, "lock")),
            ("app: help", "All keys", screen.action_help),
        ]
        if screen.filter_text:
            found.append(("filter: clear", "Show every token (Esc)", screen.clear_filter))
        if screen.query_one(TokenTable).highlighted is not None:
            found += [
                ("token: copy", "Copy the secret (journaled)", screen.action_copy),
                ("token: reveal", "Show the secret for 10 s", screen.action_reveal),
                ("token: edit", "Edit the metadata", screen.action_edit),
                ("token: rotate", "Store a new secret version", screen.action_rotate),
                ("token: revoke", "Revoke the token", screen.action_revoke),
                ("token: review", "Attest it is still needed", screen.action_review),
            ]
        return found

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
