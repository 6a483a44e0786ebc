"""Files on disk: private permissions, atomic replace, appends, and an advisory lock.

Every file the vault writes is 0600 in a 0700 directory owned by the current user, and a vault
whose directory or files are writable by others, or owned by someone else, is refused: anyone
who can write there can swap keys.json or vault.db. The POSIX-only parts (modes, owners,
umask, flock) sit behind the functions here so another platform can be added in one place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from tokenvault.domain.errors import OperationalError, ValidationError


class FileTooLarge(OperationalError):
    """A file is larger than its documented bound (callers decide what that means)."""


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict_umask() -> None:
    """New files are private even if a library (SQLite's -wal, -shm) creates them."""
    os.umask(0o077)


def _io_error(action: str, path: Path, exc: OSError) -> OperationalError:
    reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or type(exc).__name__)
    return OperationalError(f"cannot {action} {path}: {reason}")


def check_private(path: Path, *, is_dir: bool) -> None:
    """Refuse a path owned by another user or writable by group/others."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise OperationalError(f"{path} does not exist") from None
    except OSError as exc:
        raise _io_error("inspect", path, exc) from None
    kind_ok = stat.S_ISDIR(info.st_mode) if is_dir else stat.S_ISREG(info.st_mode)
    if not kind_ok:
        raise OperationalError(f"{path} is not a regular {'directory' if is_dir else 'file'}")
    if info.st_uid != os.geteuid():
        raise OperationalError(f"{path} is owned by another user; refusing to use it")
    if info.st_mode & 0o022:
        raise OperationalError(
            f"{path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run: chmod {'700' if is_dir else '600'} {path}"
        )


def ensure_private_dir(path: Path) -> None:
    """Create the directory (0700, parents too) if missing, then check it."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise _io_error("create", path, exc) from None
    check_private(path, is_dir=True)


def read_private(path: Path, max_bytes: int) -> bytes:
    """Read a private file (checked first), refusing anything larger than max_bytes."""
    check_private(path, is_dir=False)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _io_error("read", path, exc) from None
    if len(data) > max_bytes:
        raise FileTooLarge(f"{path} is larger than {max_bytes} bytes")
    return data


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_can_write(path: Path) -> None:
    """Refuse, before anything is journaled, an output path that atomic_write cannot create:
    a missing or unwritable directory, or a directory in the file's place."""
    parent = path.parent
    if path.is_dir():
        raise ValidationError(f"cannot write {path}: it is a directory")
    if not parent.is_dir():
        raise ValidationError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError(f"cannot write {path}: no permission to write in {parent}")


def atomic_write(path: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Replace `path` with `data` so a crash leaves the old or the new file, never a mix:
    private temp file in the same directory, fsync, rename over, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if sync_dir:
            fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _io_error("write", path, exc) from None


def append_private(path: Path, data: bytes) -> None:
    """Append one record to a private file under its lock (so a concurrent `truncate_if`
    cannot drop it), fsynced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _io_error("append to", path, exc) from None


def truncate_if(path: Path, condition: Callable[[], bool]) -> None:
    """Empty `path` if `condition()` holds while its lock is held (appenders wait)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _io_error("open", path, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if condition():
            os.ftruncate(fd, 0)
            os.fsync(fd)
    except OSError as exc:
        raise _io_error("truncate", path, exc) from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on `path` (created 0600) for the block: shared for readers that
    need a stable view, exclusive for writers."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
    except OSError as exc:
        raise _io_error("open lock file", path, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def exclusive_lock(path: Path) -> contextlib.AbstractContextManager[None]:
    return file_lock(path, shared=False)


def remove_tree_quietly(path: Path) -> None:
    """Best-effort removal of a half-built vault directory (its files only, no recursion)."""
    with contextlib.suppress(OSError):
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
