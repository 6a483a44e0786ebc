"""The TUI's clipboard: OSC 52 (works over ssh, in tmux with set-clipboard on) plus the system
clipboard where one exists, and the promise to clear it.

After the policy's seconds, and on lock and quit, the clipboard is cleared — on the system
clipboard only if it still holds our secret (compared by SHA-256; we keep the hash, not the
secret). OSC 52 cannot be read back, so the terminal's clipboard is overwritten with nothing
unconditionally: the lesser evil than leaving a token there.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenvault.domain.model import Secret
from tokenvault.services.clipboard import Clipboard, clear_if_unchanged


@dataclass
class Pending:
    digest: bytes
    clear_at: datetime


class ClipboardKeeper:
    """Copies secrets and clears them later; time comes from the app's clock (tick)."""

    def __init__(
        self,
        osc52: Callable[[str], None],
        system: Callable[[], Clipboard | None],
    ) -> None:
        self._osc52 = osc52
        self._system_factory = system
        self._system: Clipboard | None = None
        self._looked = False
        self.pending: Pending | None = None

    def _board(self) -> Clipboard | None:
        if not self._looked:
            self._looked = True
            with contextlib.suppress(Exception):  # no system clipboard: OSC 52 alone
                self._system = self._system_factory()
        return self._system

    def copy(self, secret: Secret, *, now: datetime, seconds: int) -> bool:
        """Copy; True if a system clipboard took it too (else only the terminal's)."""
        text = secret.expose_text()
        self._osc52(text)
        took = False
        board = self._board()
        if board is not None:
            with contextlib.suppress(Exception):
                board.copy(text)
                took = True
        self.pending = Pending(
            hashlib.sha256(text.encode()).digest(), now + timedelta(seconds=seconds)
        )
        return took

    def tick(self, now: datetime) -> bool:
        """Clear if the time has come; True when it cleared."""
        if self.pending is None or now < self.pending.clear_at:
            return False
        self.clear()
        return True

    def clear(self) -> None:
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        self._osc52("")
        board = self._board()
        if board is not None:
            with contextlib.suppress(Exception):
                clear_if_unchanged(board, pending.digest)
