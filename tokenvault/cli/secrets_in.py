"""Reading passphrases and secrets without ever taking them from argv or the environment.

Passphrase sources, in order: `--passphrase-file` (or TOKENVAULT_PASSPHRASE_FILE), then
`--passphrase-fd`, then a hidden prompt on the controlling terminal. A file or descriptor gives
its first line. With no source and no terminal we stop (exit 2) rather than read stdin, which
may be carrying the token's secret.

A new secret comes from stdin when stdin is not a terminal (the whole input, minus one trailing
newline, so `printf` and `echo` both work and a PEM key keeps its lines), else from the prompt,
asked twice.
"""

from __future__ import annotations

import os
import stat
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

from tokenvault.domain import limits
from tokenvault.domain.errors import InputError
from tokenvault.domain.model import Secret

PASSPHRASE_READ_MAX = 4096
NO_TERMINAL = (
    "no passphrase source and no terminal to ask on: use --passphrase-file, "
    "--passphrase-fd or TOKENVAULT_PASSPHRASE_FILE"
)


@dataclass(frozen=True, slots=True)
class PassphraseSource:
    file: Path | None = None
    fd: int | None = None

    def read(self, prompt: str, *, confirm: bool = False) -> Secret:
        if self.file is not None:
            return read_passphrase_file(self.file, what="--passphrase-file")
        if self.fd is not None:
            return _first_line(_read_fd(self.fd), "--passphrase-fd")
        return ask(prompt, confirm=confirm, no_terminal=NO_TERMINAL)


def _first_line(data: bytes, where: str) -> Secret:
    line = data.split(b"\n", 1)[0].removesuffix(b"\r")
    if not line:
        raise InputError(f"{where}: the passphrase is empty")
    return Secret(line)


def read_passphrase_file(path: Path, *, what: str) -> Secret:
    """A passphrase file must be a regular file nobody else can read (like ssh keys)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{what} {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{what} {path}: not a regular file")
        if info.st_mode & 0o077:
            raise InputError(f"{what} {path}: readable by others; chmod 600 it")
        data = os.read(fd, PASSPHRASE_READ_MAX + 1)
    finally:
        os.close(fd)
    if len(data) > PASSPHRASE_READ_MAX:
        raise InputError(f"{what} {path}: larger than {PASSPHRASE_READ_MAX} bytes")
    return _first_line(data, f"{what} {path}")


def _read_fd(fd: int) -> bytes:
    """Up to the first newline (the writer may keep the pipe open) or EOF."""
    chunks = bytearray()
    try:
        while len(chunks) <= PASSPHRASE_READ_MAX:
            byte = os.read(fd, 1)
            if not byte or byte == b"\n":
                break
            chunks += byte
    except OSError as exc:
        raise InputError(f"--passphrase-fd {fd}: {exc.strerror}") from None
    if len(chunks) > PASSPHRASE_READ_MAX:
        raise InputError(f"--passphrase-fd {fd}: larger than {PASSPHRASE_READ_MAX} bytes")
    return bytes(chunks)


def _open_tty() -> int | None:
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None


def has_terminal() -> bool:
    fd = _open_tty()
    if fd is None:
        return False
    os.close(fd)
    return True


def _prompt_tty(fd: int, prompt: str) -> bytes:
    os.write(fd, prompt.encode())
    try:
        old = termios.tcgetattr(fd)
    except termios.error:
        old = None
    try:
        if old is not None:
            quiet = termios.tcgetattr(fd)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        line = bytearray()
        while len(line) <= limits.SECRET_MAX_BYTES:
            byte = os.read(fd, 1)
            if not byte:
                raise InputError("no input (end of file at the prompt)")
            if byte == b"\n":
                break
            line += byte
        return bytes(line.removesuffix(b"\r"))
    finally:
        if old is not None:
            termios.tcsetattr(fd, termios.TCSAFLUSH, old)
        os.write(fd, b"\n")


def ask(prompt: str, *, confirm: bool, no_terminal: str) -> Secret:
    """A hidden prompt on /dev/tty (never stdin, never echoed); twice when confirming."""
    fd = _open_tty()
    if fd is None:
        raise InputError(no_terminal)
    try:
        first = _prompt_tty(fd, prompt)
        if not first:
            raise InputError("nothing entered")
        if confirm and _prompt_tty(fd, "Again: ") != first:
            raise InputError("the two entries differ; nothing was changed")
        return Secret(first)
    finally:
        os.close(fd)


def read_new_secret(what: str) -> Secret:
    """A token's secret: stdin when piped, else asked twice at the terminal."""
    if sys.stdin is not None and not sys.stdin.isatty():
        data = sys.stdin.buffer.read(limits.SECRET_MAX_BYTES + 3)
        if data.endswith(b"\n"):
            data = data[:-1].removesuffix(b"\r")
        if not data:
            raise InputError(f"the {what} read from stdin is empty")
        return Secret(data)
    return ask(
        f"{what[:1].upper()}{what[1:]}: ",
        confirm=True,
        no_terminal=f"no {what}: pipe it on stdin or run in a terminal",
    )


def read_new_passphrase(file: Path | None, *, who: str) -> Secret:
    """A new passphrase: from `--new-passphrase-file`, else asked twice at the terminal."""
    if file is not None:
        return read_passphrase_file(file, what="--new-passphrase-file")
    return ask(
        f"New passphrase for {who}: ",
        confirm=True,
        no_terminal="no terminal to ask for the new passphrase: use --new-passphrase-file",
    )


__all__ = [
    "NO_TERMINAL",
    "PassphraseSource",
    "ask",
    "has_terminal",
    "read_new_passphrase",
    "read_new_secret",
    "read_passphrase_file",
]
