"""`get --copy`: the CLI process exits at once, so a forked child (detached, stdio closed)
waits out the policy's seconds and then clears the clipboard if it still holds the secret."""

from __future__ import annotations

import contextlib
import os
import time

from tokenvault.services.clipboard import (
    NO_CLIPBOARD,
    PROBE,
    Clipboard,
    clear_if_unchanged,
    copy_secret,
    system_clipboard,
)

__all__ = [
    "NO_CLIPBOARD",
    "PROBE",
    "Clipboard",
    "clear_if_unchanged",
    "clear_later",
    "copy_secret",
    "system_clipboard",
]


def clear_later(board: Clipboard, digest: bytes, seconds: int) -> None:
    """Fork a detached child that clears the clipboard after `seconds`."""
    pid = os.fork()
    if pid:
        return
    try:  # the child: never return into the CLI, never write to the caller's stdio
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        time.sleep(seconds)
        with contextlib.suppress(Exception):
            clear_if_unchanged(board, digest)
    finally:
        os._exit(0)
