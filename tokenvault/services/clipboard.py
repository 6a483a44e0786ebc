"""The system clipboard, for both faces: copy a secret, and later clear it only if the
clipboard still holds it — compared by SHA-256, so whoever waits keeps a hash, not the secret.
If the member copied something else meanwhile, that is left alone (pass(1) does the same).

pyperclip ignores the tools' exit status (a stale WAYLAND_DISPLAY over ssh "copies" nothing),
so the clipboard is probed with a harmless marker before anything is revealed, and read back
after the copy. The tools' own complaints are kept off our stderr: one line per failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyperclip

from tokenvault.domain.errors import InputError, OperationalError
from tokenvault.domain.model import Secret

NO_CLIPBOARD = (
    "no system clipboard found (install wl-clipboard, xclip or xsel; on macOS pbcopy is "
    "built in); nothing was revealed"
)


@dataclass(frozen=True, slots=True)
class Clipboard:
    copy: Callable[[str], None]
    paste: Callable[[], str]


PROBE = "tokenvault: clipboard check"


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send fd 2 to /dev/null while a clipboard tool runs (it inherits our stderr)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def system_clipboard() -> Clipboard:
    """The platform's clipboard, proven to work, or OperationalError — before anything is
    revealed. (The marker stays on the clipboard; the secret replaces it a moment later.)"""
    copy, paste = pyperclip.determine_clipboard()
    if not copy or not paste:
        raise OperationalError(NO_CLIPBOARD)
    board = Clipboard(copy, paste)
    if not _holds(board, _digest(PROBE), write=PROBE):
        raise OperationalError(
            "the clipboard does not work here (copy then paste failed); nothing was revealed"
        )
    return board


def _holds(board: Clipboard, digest: bytes, *, write: str | None = None) -> bool:
    """Whether the clipboard holds the text with `digest` (after writing `write`)."""
    try:
        with _quiet_stderr():
            if write is not None:
                board.copy(write)
            current = board.paste()
    except pyperclip.PyperclipException:
        return False
    return hmac.compare_digest(_digest(current), digest)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def copy_secret(board: Clipboard, secret: Secret) -> bytes:
    """Copy; return the digest the clearer compares against."""
    try:
        text = secret.expose_text()
    except UnicodeDecodeError:
        raise InputError(
            "this secret is not text and cannot go on the clipboard; use get"
        ) from None
    digest = _digest(text)
    if not _holds(board, digest, write=text):
        raise OperationalError("the clipboard did not take the secret (its tool failed)")
    return digest


def clear_if_unchanged(board: Clipboard, digest: bytes) -> bool:
    """Clear the clipboard if it still holds the secret with this digest."""
    if not _holds(board, digest):
        return False
    with _quiet_stderr():
        board.copy("")
    return True
