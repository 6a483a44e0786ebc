"""The files a scan reads: PATH arguments walked into (path, text) pairs, every skip reported.

- Inside a git work tree: the files git tracks or would track
  (`git ls-files -co --exclude-standard -z`), unless `include_ignored` (then every file, the
  `.git` directory excepted: git's own objects are compressed, and reported as one skip).
  Outside git (or without git installed): every file.
- Symlinks are never followed, neither to files nor to directories, so a loop cannot hang the
  walk and nothing outside the tree is read; each one is reported (`symlink`). A target inside
  the tree is scanned in its own right. A PATH argument itself is resolved by the OS, as `find -H`.
- Skipped and reported: binaries (a NUL byte in the first 8 KiB), files over `max_bytes`,
  anything that is not a regular file, and unreadable files or directories (with the errno
  text) — the walk goes on.
- Order is deterministic: each argument's files sorted by path; a file reached twice is read once.
- Text is UTF-8 decoded with `surrogateescape` (see domain/leaks.py).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 8 * 1024

SYMLINK = "symlink"
BINARY = "binary"
TOO_LARGE = "too-large"
UNREADABLE = "unreadable"
NOT_A_FILE = "not-a-file"
MISSING = "missing"
GIT_DIR = "git-directory"


@dataclass(frozen=True, slots=True)
class Skip:
    """A path not scanned: `reason` is one of the constants above, `detail` says more."""

    path: str
    reason: str
    detail: str = ""


class FileWalk:
    """Iterate to get (path, text) pairs; `skips` fills as the walk goes."""

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        include_ignored: bool = False,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.paths = [os.fspath(p) for p in paths]
        self.include_ignored = include_ignored
        self.max_bytes = max_bytes
        self.skips: list[Skip] = []
        self._seen: set[tuple[int, int]] = set()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for arg in self.paths:
            for path in self.candidates(arg):
                text = self._read(path)
                if text is not None:
                    yield path, text

    def candidates(self, arg: str) -> list[str]:
        """The file paths under one argument, sorted; skips found on the way are recorded."""
        try:
            info = os.stat(arg)
        except OSError as exc:
            self._skip(arg, MISSING if isinstance(exc, FileNotFoundError) else UNREADABLE, exc)
            return []
        if not stat.S_ISDIR(info.st_mode):
            return [arg]
        listed = None if self.include_ignored else _git_files(arg)
        if listed is None:
            found: list[str] = []
            self._walk(arg, found)
            return sorted(found)
        return sorted(os.path.join(arg, rel) for rel in listed)

    def _walk(self, directory: str, found: list[str]) -> None:
        try:
            with os.scandir(directory) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            self._skip(directory, UNREADABLE, exc)
            return
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    self._skip(entry.path, GIT_DIR, "git's own storage")
                else:
                    self._walk(entry.path, found)
            else:  # files, and symlinks: _read reports those in path order, never follows
                found.append(entry.path)

    def _read(self, path: str) -> str | None:
        try:
            info = os.lstat(path)
        except OSError as exc:
            self._skip(path, MISSING if isinstance(exc, FileNotFoundError) else UNREADABLE, exc)
            return None
        if stat.S_ISLNK(info.st_mode):
            self._skip(path, SYMLINK, _link_target(path))
            return None
        if not stat.S_ISREG(info.st_mode):
            self._skip(path, NOT_A_FILE, "not a regular file")
            return None
        if (info.st_dev, info.st_ino) in self._seen:
            return None
        self._seen.add((info.st_dev, info.st_ino))
        if info.st_size > self.max_bytes:
            self._skip(path, TOO_LARGE, f"{info.st_size:,} bytes > {self.max_bytes:,}")
            return None
        try:
            # O_NOFOLLOW: a file swapped for a symlink after the lstat is refused, not followed.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
                if b"\0" in head:
                    self._skip(path, BINARY, f"NUL byte in the first {SNIFF_BYTES:,} bytes")
                    return None
                data = head + handle.read(self.max_bytes + 1 - len(head))
        except OSError as exc:
            self._skip(path, UNREADABLE, exc)
            return None
        if len(data) > self.max_bytes:  # grew since the lstat
            self._skip(path, TOO_LARGE, f"more than {self.max_bytes:,} bytes")
            return None
        return data.decode("utf-8", "surrogateescape")

    def _skip(self, path: str, reason: str, detail: OSError | str) -> None:
        if isinstance(detail, OSError):
            detail = os.strerror(detail.errno) if detail.errno else type(detail).__name__
        self.skips.append(Skip(path, reason, detail))


def _link_target(path: str) -> str:
    try:
        return "-> " + os.readlink(path)
    except OSError:
        return "unreadable link"


def _git_files(directory: str) -> list[str] | None:
    """Paths (relative to `directory`) git tracks or would track there, or None outside git."""
    git = shutil.which("git")
    if git is None:
        return None
    # A fixed argv (git's absolute path, no shell); outside a work tree git exits 128.
    listed = subprocess.run(  # noqa: S603
        [git, "-C", directory, "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        return None
    return sorted({os.fsdecode(p) for p in listed.stdout.split(b"\0") if p})


def walk_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    include_ignored: bool = False,
    max_bytes: int = MAX_BYTES,
) -> tuple[list[tuple[str, str]], list[Skip]]:
    """Read everything at once (tests, small trees): the (path, text) pairs and the skips."""
    walk = FileWalk(paths, include_ignored=include_ignored, max_bytes=max_bytes)
    files = list(walk)
    return files, walk.skips
