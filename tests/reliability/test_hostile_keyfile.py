"""A hostile keys.json cannot hang, exhaust or crash unlock.

keys.json is read before anything is authenticated, and its KDF parameters decide how long
Argon2 runs and how much memory it takes: t = 2**32-1 would pin a core for hours, m = 2**32 KiB
would ask for 4 TiB. The strict parser must refuse such a file, and any file that is too
large, too deep or not UTF-8, with a one-line IntegrityError in well under a second and
without running Argon2 at all. A spy (which still calls the real Argon2) counts derivations.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenvault.crypto.kdf as kdf_module
from tests.conftest import MEMBER, PASSPHRASE, StepClock, Template, unlock
from tests.reliability._tamper_support import (
    assert_clean_error,
    expect_error,
    read_keys,
    slot_of,
    write_keys,
)
from tokenvault.crypto.kdf import CEILING, DEFAULT, FLOOR, KdfParams, check_params
from tokenvault.crypto.keyfile import MAX_KEYFILE_BYTES, KeyFile, parse_keyfile
from tokenvault.domain.errors import IntegrityError, TokenVaultError, ValidationError
from tokenvault.domain.model import Secret

FAST = 1.0  # seconds: the bound the issue sets; a refused file takes milliseconds
OTHER = "recovery"  # the template's second slot: hostile values there are refused too


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """(time_cost, memory_kib, parallelism) of every Argon2 derivation, real ones included."""
    calls: list[tuple[int, int, int]] = []
    real = kdf_module.hash_secret_raw  # type: ignore[attr-defined]

    def spy(**kwargs: Any) -> bytes:
        calls.append((kwargs["time_cost"], kwargs["memory_cost"], kwargs["parallelism"]))
        result: bytes = real(**kwargs)
        return result

    monkeypatch.setattr(kdf_module, "hash_secret_raw", spy)
    return calls


def refused_quickly(
    vault_dir: Path, state_dir: Path, calls: list[tuple[int, int, int]], match: str = "keys.json"
) -> TokenVaultError:
    """Unlock must fail with a clean IntegrityError, fast, before any Argon2 derivation."""
    start = time.monotonic()
    exc = expect_error(
        IntegrityError, lambda: unlock(vault_dir, StepClock(), state_dir, MEMBER, PASSPHRASE), match
    )
    elapsed = time.monotonic() - start
    assert elapsed < FAST, f"refusing took {elapsed:.2f} s"
    assert calls == [], f"Argon2 ran on a hostile file: {calls}"
    return exc


# ---- KDF parameters in a slot ------------------------------------------------------------

_VERSION_FLOAT = pytest.param(
    "version",
    19.0,
    id="version-float-19.0",
)

HOSTILE_KDF: list[Any] = [
    # Above the ceiling: these would hang or exhaust memory if Argon2 ever saw them.
    ("memory_kib", 2**32 - 1),
    ("memory_kib", 2**63),
    ("memory_kib", CEILING.memory_kib + 1),
    ("time_cost", 2**32 - 1),
    ("time_cost", CEILING.time_cost + 1),
    ("parallelism", 2**24),
    ("parallelism", CEILING.parallelism + 1),
    # Below the floor: a downgrade that makes the passphrase cheap to guess.
    ("memory_kib", 1024),
    ("memory_kib", FLOOR.memory_kib - 1),
    ("time_cost", 1),
    ("time_cost", FLOOR.time_cost - 1),
    # Zero and negative.
    ("memory_kib", 0),
    ("memory_kib", -1),
    ("time_cost", 0),
    ("time_cost", -(2**31)),
    ("parallelism", 0),
    ("parallelism", -1),
    # Wrong types.
    ("memory_kib", "65536"),
    ("memory_kib", 65536.0),
    ("memory_kib", True),
    ("memory_kib", None),
    ("memory_kib", [65536]),
    ("memory_kib", {"value": 65536}),
    ("time_cost", "3"),
    ("time_cost", 3.0),
    ("time_cost", True),
    ("time_cost", None),
    ("time_cost", 1e400),
    ("parallelism", "4"),
    ("parallelism", 4.5),
    ("parallelism", False),
    ("parallelism", None),
    # Another algorithm or version.
    ("alg", "argon2i"),
    ("alg", "argon2d"),
    ("alg", "ARGON2ID"),
    ("alg", ""),
    ("alg", None),
    ("version", 16),
    ("version", 20),
    ("version", "19"),
    ("version", True),
    ("version", None),
    _VERSION_FLOAT,
    # Salt: short, long, odd, not hex, not a string.
    ("salt", "00" * 8),
    ("salt", "00" * 32),
    ("salt", "0" * 31),
    ("salt", "zz" * 16),
    ("salt", ""),
    ("salt", 1234),
    ("salt", None),
]


def _ids(value: Any) -> str | None:
    return None if isinstance(value, str) and value.isidentifier() else repr(value)[:24]


@pytest.mark.parametrize(("field", "value"), HOSTILE_KDF, ids=_ids)
@pytest.mark.parametrize("member", [MEMBER, OTHER])
def test_hostile_kdf_parameter_is_refused_before_argon2(
    member: str,
    field: str,
    value: Any,
    vault_dir: Path,
    state_dir: Path,
    argon2_calls: list[tuple[int, int, int]],
) -> None:
    """Every slot is bounds-checked at parse time, the unlocking member's and everyone else's,
    so no value in the file ever reaches Argon2."""
    data = read_keys(vault_dir)
    slot_of(data, member)["kdf"][field] = value
    write_keys(vault_dir, data)
    refused_quickly(vault_dir, state_dir, argon2_calls, f"keys.json: slot {member}: ")


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda kdf: kdf.pop("time_cost"), id="missing-field"),
        pytest.param(lambda kdf: kdf.update(iterations=1), id="extra-field"),
        pytest.param(lambda kdf: kdf.clear(), id="empty-object"),
    ],
)
def test_kdf_object_with_the_wrong_fields_is_refused(
    mangle: Callable[[dict[str, Any]], object],
    vault_dir: Path,
    state_dir: Path,
    argon2_calls: list[tuple[int, int, int]],
) -> None:
    """An unknown field could carry a parameter a future parser honours: refused outright."""
    data = read_keys(vault_dir)
    mangle(slot_of(data, MEMBER)["kdf"])
    write_keys(vault_dir, data)
    refused_quickly(vault_dir, state_dir, argon2_calls, "kdf object has the wrong fields")


def test_kdf_that_is_not_an_object_is_refused(
    vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    data = read_keys(vault_dir)
    slot_of(data, MEMBER)["kdf"] = ["argon2id", 19, 65536, 3, 4]
    write_keys(vault_dir, data)
    refused_quickly(vault_dir, state_dir, argon2_calls, "kdf object has the wrong fields")


def test_hostile_kdf_in_a_pending_previous_slot_is_refused(
    vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    """unlock tries `pending.previous` with the passphrase after an interrupted change: its
    parameters are attacker-controlled too and must be bounded before that attempt."""
    data = read_keys(vault_dir)
    previous = json.loads(json.dumps(slot_of(data, MEMBER)))
    previous["kdf"]["time_cost"] = 2**32 - 1
    data["pending"] = {
        "kind": "passphrase",
        "seq": 2,
        "member": MEMBER,
        "previous": previous,
        "epoch": None,
        "boxes": {},
    }
    write_keys(vault_dir, data)
    refused_quickly(vault_dir, state_dir, argon2_calls, "above the ceiling")


def test_a_legitimate_unlock_runs_argon2_once_at_the_slots_cost(
    vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    """Control for the spy: it does see derivations, so `calls == []` above means something."""
    unlock(vault_dir, StepClock(), state_dir).lock()
    assert argon2_calls == [(FLOOR.time_cost, FLOOR.memory_kib, FLOOR.parallelism)]


# ---- size, depth, encoding -------------------------------------------------------------


def _padded(vault_dir: Path, size: int) -> bytes:
    """The real keys.json followed by whitespace up to `size` bytes: still valid JSON, so only
    the size limit can refuse it."""
    raw = (vault_dir / "keys.json").read_bytes()
    return raw + b" " * (size - len(raw))


@pytest.mark.parametrize(
    "size", [MAX_KEYFILE_BYTES + 1, 100 * 1024 * 1024], ids=["4MiB+1", "100MB"]
)
def test_oversized_keys_json_is_refused_quickly(
    size: int, vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    """A key file is a few KiB; a huge one is hostile. Refused fast, without reading it all."""
    write_keys(vault_dir, _padded(vault_dir, size))
    start = time.monotonic()
    with pytest.raises(TokenVaultError) as info:
        unlock(vault_dir, StepClock(), state_dir)
    assert time.monotonic() - start < FAST
    assert_clean_error(info.value, TokenVaultError)
    assert "keys.json" in str(info.value)
    assert argon2_calls == []


def test_oversized_keys_json_is_an_integrity_error(
    vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    write_keys(vault_dir, _padded(vault_dir, 100 * 1024 * 1024))
    refused_quickly(vault_dir, state_dir, argon2_calls, "too large")


def test_keys_json_at_the_size_limit_still_unlocks(vault_dir: Path, state_dir: Path) -> None:
    """The boundary: exactly MAX_KEYFILE_BYTES is allowed (no off-by-one locks a team out)."""
    write_keys(vault_dir, _padded(vault_dir, MAX_KEYFILE_BYTES))
    unlock(vault_dir, StepClock(), state_dir).lock()


DEPTH = 100_000  # far past the interpreter's recursion limit, far below the size limit


def _nested_in_slot(raw: bytes) -> bytes:
    text = raw.decode()
    marker = '"nonce": "'
    assert marker in text
    return text.replace(marker, '"nonce": ' + "[" * DEPTH + "]" * DEPTH + ', "x": "', 1).encode()


MALFORMED: dict[str, Callable[[bytes], bytes]] = {
    "nested-arrays": lambda raw: b"[" * DEPTH + b"]" * DEPTH,
    "nested-objects": lambda raw: b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    "nested-inside-a-slot": _nested_in_slot,
    "invalid-utf8-prefix": lambda raw: b"\xff\xfe" + raw,
    "invalid-utf8-in-string": lambda raw: raw.replace(b'"alice"', b'"al\xc3ice"', 1),
    "overlong-utf8": lambda raw: raw.replace(b'"alice"', b'"\xc0\xafalice"', 1),
    "utf16-encoded": lambda raw: raw.decode().encode("utf-16"),
    "utf8-bom": lambda raw: b"\xef\xbb\xbf" + raw,
    "nul-in-the-middle": lambda raw: raw[:100] + b"\x00" + raw[100:],
    "lone-surrogate-member": lambda raw: raw.replace(b'"alice"', b'"\\ud800"', 1),
    "nan-literal": lambda raw: raw.replace(b'"epoch": 1', b'"epoch": NaN', 1),
    "infinity-literal": lambda raw: raw.replace(b'"epoch": 1', b'"epoch": Infinity', 1),
    "4300-digit-integer": lambda raw: raw.replace(
        b'"memory_kib": 65536', b'"memory_kib": 1' + b"0" * 4299, 1
    ),
}


@pytest.mark.parametrize("mangle", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_keys_json_is_refused_quickly(
    mangle: Callable[[bytes], bytes],
    vault_dir: Path,
    state_dir: Path,
    argon2_calls: list[tuple[int, int, int]],
) -> None:
    """Deep nesting (RecursionError), bad encodings (UnicodeDecodeError) and odd literals must
    come out as IntegrityError, not as the standard library's exception."""
    raw = (vault_dir / "keys.json").read_bytes()
    mangled = mangle(raw)
    assert mangled != raw
    assert len(mangled) <= MAX_KEYFILE_BYTES
    write_keys(vault_dir, mangled)
    refused_quickly(vault_dir, state_dir, argon2_calls)


def test_integer_literal_beyond_pythons_digit_limit_is_an_integrity_error(
    vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    raw = (vault_dir / "keys.json").read_bytes()
    write_keys(vault_dir, raw.replace(b'"memory_kib": 65536', b'"memory_kib": 1' + b"0" * 5000))
    refused_quickly(vault_dir, state_dir, argon2_calls)


@pytest.mark.parametrize("kind", [[], {}], ids=["list", "object"])
def test_unhashable_pending_kind_is_an_integrity_error(
    kind: Any, vault_dir: Path, state_dir: Path, argon2_calls: list[tuple[int, int, int]]
) -> None:
    data = read_keys(vault_dir)
    data["pending"] = {
        "kind": kind,
        "seq": 2,
        "member": MEMBER,
        "previous": None,
        "epoch": None,
        "boxes": {},
    }
    write_keys(vault_dir, data)
    refused_quickly(vault_dir, state_dir, argon2_calls, "pending")


# ---- the bounds themselves ---------------------------------------------------------------

BAD_PARAMS: dict[str, Any] = {
    "memory-below-floor": KdfParams(FLOOR.memory_kib - 1, 3, 4),
    "time-below-floor": KdfParams(FLOOR.memory_kib, FLOOR.time_cost - 1, 4),
    "parallelism-zero": KdfParams(FLOOR.memory_kib, 3, 0),
    "parallelism-negative": KdfParams(FLOOR.memory_kib, 3, -4),
    "memory-above-ceiling": KdfParams(CEILING.memory_kib + 1, 3, 4),
    "time-above-ceiling": KdfParams(FLOOR.memory_kib, CEILING.time_cost + 1, 4),
    "time-2**32-1": KdfParams(FLOOR.memory_kib, 2**32 - 1, 4),
    "parallelism-above-ceiling": KdfParams(FLOOR.memory_kib, 3, CEILING.parallelism + 1),
    "memory-bool": KdfParams(True, 3, 4),
    "time-bool": KdfParams(FLOOR.memory_kib, True, 4),
    "parallelism-bool": KdfParams(FLOOR.memory_kib, 3, True),
    "memory-float": KdfParams(float(FLOOR.memory_kib), 3, 4),  # type: ignore[arg-type]
    "time-str": KdfParams(FLOOR.memory_kib, "3", 4),  # type: ignore[arg-type]
    "parallelism-none": KdfParams(FLOOR.memory_kib, 3, None),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("params", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_check_params_refuses_out_of_bounds(params: KdfParams) -> None:
    """check_params is the single gate both the parser and derive_kek go through."""
    with pytest.raises(ValidationError) as info:
        check_params(params)
    assert_clean_error(info.value, ValidationError)


@pytest.mark.parametrize(
    "params",
    [FLOOR, DEFAULT, CEILING, KdfParams(FLOOR.memory_kib, FLOOR.time_cost, 1)],
    ids=["floor", "default", "ceiling", "floor-p1"],
)
def test_check_params_accepts_the_bounds_inclusive(params: KdfParams) -> None:
    assert check_params(params) is params


def test_derive_kek_rechecks_bounds(argon2_calls: list[tuple[int, int, int]]) -> None:
    """Defence in depth: even a caller that skips the parser cannot run Argon2 with t=2**32-1."""
    start = time.monotonic()
    with pytest.raises(ValidationError):
        kdf_module.derive_kek(Secret(b"x"), b"\x00" * 16, KdfParams(FLOOR.memory_kib, 2**32 - 1, 4))
    assert time.monotonic() - start < FAST
    assert argon2_calls == []


# ---- any single edit: parsed or IntegrityError, nothing else -----------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _with_pending(raw: bytes) -> dict[str, Any]:
    """The template's keys.json plus a well-formed pending passphrase change, so the fuzzer
    reaches the pending parser as well."""
    data: dict[str, Any] = json.loads(raw)
    data["pending"] = {
        "kind": "passphrase",
        "seq": 2,
        "member": MEMBER,
        "previous": json.loads(json.dumps(data["slots"][0])),
        "epoch": None,
        "boxes": {},
    }
    return data


@pytest.fixture(scope="module")
def keyfile_paths(template_keys: bytes) -> list[tuple[Any, ...]]:
    return list(_paths(_with_pending(template_keys)))


@pytest.fixture(scope="module")
def template_keys(template: Template) -> bytes:
    raw: bytes = (template.path / "keys.json").read_bytes()
    return raw


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_single_value_edit_parses_or_is_an_integrity_error(
    data: st.DataObject, template_keys: bytes, keyfile_paths: list[tuple[Any, ...]]
) -> None:
    """Replace any one value (or the whole file) with any JSON value: parse_keyfile returns a
    KeyFile or raises IntegrityError, never TypeError/KeyError/ValueError. A parsed file's KDF
    parameters are always within bounds (nothing unchecked can reach Argon2)."""
    document: Any = _with_pending(template_keys)
    path = data.draw(st.sampled_from(keyfile_paths), label="path")
    value = data.draw(_json_values, label="value")
    if path:
        parent: Any = document
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    else:
        document = value
    raw = json.dumps(document, allow_nan=True).encode()
    try:
        keyfile = parse_keyfile(raw)
    except IntegrityError as exc:
        assert_clean_error(exc, IntegrityError)
        return
    assert isinstance(keyfile, KeyFile)
    slots = [*keyfile.slots]
    if keyfile.pending is not None and keyfile.pending.previous is not None:
        slots.append(keyfile.pending.previous)
    for slot in slots:
        assert check_params(slot.keys.kdf) == slot.keys.kdf
