"""Private files: modes, ownership checks, atomic replace, locked append and truncate."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tokenvault.domain.errors import OperationalError
from tokenvault.storage import fs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ensure_private_dir_creates_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    fs.ensure_private_dir(target)
    assert mode(target) == 0o700


@pytest.mark.parametrize("bits", [0o720, 0o702, 0o777])
def test_writable_by_others_is_refused(tmp_path: Path, bits: int) -> None:
    target = tmp_path / "v"
    target.mkdir()
    target.chmod(bits)
    with pytest.raises(OperationalError, match="writable by group or others"):
        fs.check_private(target, is_dir=True)


def test_symlink_and_wrong_kind_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"x")
    real.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(OperationalError, match="not a regular file"):
        fs.check_private(link, is_dir=False)
    with pytest.raises(OperationalError, match="not a regular directory"):
        fs.check_private(real, is_dir=True)
    with pytest.raises(OperationalError, match="does not exist"):
        fs.check_private(tmp_path / "missing", is_dir=False)


def test_atomic_write_is_private_and_leaves_no_temp_files(tmp_path: Path) -> None:
    os.umask(0o022)  # even with a permissive umask
    target = tmp_path / "keys.json"
    fs.atomic_write(target, b"one")
    fs.atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]
    fs.restrict_umask()


def test_atomic_write_failure_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "child").write_bytes(b"x")  # rename onto a non-empty directory fails
    with pytest.raises(OperationalError, match="cannot write"):
        fs.atomic_write(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]


def test_read_private_limits_size(tmp_path: Path) -> None:
    target = tmp_path / "f"
    fs.atomic_write(target, b"x" * 11)
    assert fs.read_private(target, 11) == b"x" * 11
    with pytest.raises(OperationalError, match="larger than 10"):
        fs.read_private(target, 10)


def test_append_and_conditional_truncate(tmp_path: Path) -> None:
    log = tmp_path / "attempts.log"
    fs.append_private(log, b"a\n")
    fs.append_private(log, b"b\n")
    assert log.read_bytes() == b"a\nb\n"
    assert mode(log) == 0o600
    fs.truncate_if(log, lambda: False)
    assert log.read_bytes() == b"a\nb\n"
    fs.truncate_if(log, lambda: True)
    assert log.read_bytes() == b""
    fs.truncate_if(tmp_path / "missing", lambda: True)  # no file: nothing to do


def test_exclusive_lock_creates_a_private_lock_file(tmp_path: Path) -> None:
    lock = tmp_path / "keys.lock"
    with fs.exclusive_lock(lock):
        assert mode(lock) == 0o600
    with fs.exclusive_lock(lock):  # re-acquirable once released
        pass
