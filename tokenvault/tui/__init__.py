"""The Textual face: find and copy a token in a keystroke or two; see what is due.

app.py            TokenVaultApp: wires screens, the session, idle lock, clipboard, crash path
messages.py       small past-event messages (VaultUnlocked, TokenChanged …)
clipboard.py      OSC 52 + system clipboard, cleared after the policy's seconds
commands.py       the command palette ("token: copy", "vault: lock" …)
screens/          unlock, main, due, journal, help
widgets/          token table (Line API), detail pane
modals/           add/edit form, rotate, revoke
"""

from __future__ import annotations

from pathlib import Path


def run(vault: Path, *, member: str | None = None, notice: str = "") -> int:
    """Open the TUI on `vault` (Textual is imported only here, never by the CLI's other paths).
    `notice` is shown on the unlock screen (the demo prints its passphrase there)."""
    from tokenvault.tui.app import TokenVaultApp

    app = TokenVaultApp(vault, member=member, notice=notice)
    app.run()
    return app.return_code or 0
