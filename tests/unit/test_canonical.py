"""Canonical JSON: JCS bytes under the journal's value rules, and the strict reader."""

from __future__ import annotations

import contextlib
import enum
import json
import re
import types
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.canonical import (
    CanonicalError,
    _encode_fast,
    _encode_strict,
    _parse_fast,
    _parse_strict,
    canonical_bytes,
    check_value,
    parse_canonical,
)
from tokenvault.domain.journal import Entry, signing_message_of
from tokenvault.domain.limits import SAFE_INT_MAX
from tokenvault.domain.text import is_clean

clean_text = st.text().filter(is_clean)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE_INT_MAX, max_value=SAFE_INT_MAX)
    | clean_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(clean_text, children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(clean_text, json_values, max_size=6)


@given(json_objects)
def test_round_trip_is_byte_identical(value: dict[str, Any]) -> None:
    line = canonical_bytes(value)
    assert parse_canonical(line) == value
    assert canonical_bytes(parse_canonical(line)) == line


@given(json_objects)
def test_matches_rfc8785_and_sorted_compact_json(value: dict[str, Any]) -> None:
    line = canonical_bytes(value)
    assert line == rfc8785.dumps(value)
    # With integers and strings only, JCS equals sorted, compact, UTF-8 JSON except that JCS
    # sorts keys by UTF-16 code units; for BMP-only keys the two orders agree.
    if all(ord(c) < 0xD800 for key in _keys(value) for c in key):
        assert (
            line
            == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({"x": 1.5}, "float"),
        ({"x": 2**53}, "integer outside"),
        ({"x": -(2**53)}, "integer outside"),
        ({"x": "a\u202eb"}, "U+202E"),
        ({"x": "e\u0301"}, "not NFC"),
        ({"x\n": 1}, "U+000A"),
        ({"x": b"bytes"}, "bytes"),
        ({1: "int key"}, "not a string"),
    ],
)
def test_values_outside_the_rules_are_refused(value: dict[Any, Any], why: str) -> None:
    with pytest.raises(CanonicalError, match=re.escape(why)):
        canonical_bytes(value)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"a":1,"a":2}', "duplicate key"),
        (b'{"a":1.0}', "floats"),
        (b'{"a":1e3}', "floats"),
        (b'{"a":NaN}', "NaN"),
        (b'{"a":Infinity}', "Infinity"),
        (b'{"b":1,"a":2}', "canonical"),
        (b'{"a": 1}', "canonical"),
        (b'{"a":"\\u0041"}', "canonical"),
        (b"[1,2]", "not a JSON object"),
        (b'{"a":', "not valid JSON"),
        (b'{"a":"\xff"}', "UTF-8"),
        (b'{"a":"\\u202e"}', "U+202E"),
        (b'{"a":1}\n', "canonical"),
    ],
)
def test_strict_reader_rejects(line: bytes, why: str) -> None:
    with pytest.raises(CanonicalError, match=re.escape(why)):
        parse_canonical(line)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(CanonicalError):
        parse_canonical(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_check_value_names_the_path() -> None:
    with pytest.raises(CanonicalError, match=r"\$\.body\.scopes\[1\]"):
        check_value({"body": {"scopes": ["ok", 1.0]}})


# ---- the fast reader never accepts what the strict reader refuses ---------------------------

any_text = st.text(st.characters(codec="utf-8")) | st.text()  # includes controls, bidi, NFD
loose_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False)
    | any_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3)
    ),
    max_leaves=8,
)


def _encodings(value: dict[str, Any]) -> list[bytes]:
    """The same value written several ways: only a canonical, clean one may be accepted."""
    out = []
    for ensure_ascii in (False, True):
        for seps in ((",", ":"), (", ", ": ")):
            try:
                text = json.dumps(value, sort_keys=True, separators=seps, ensure_ascii=ensure_ascii)
            except ValueError:
                continue
            out.append(text.encode("utf-8", "surrogatepass"))
    with contextlib.suppress(Exception):  # rfc8785 refuses lone surrogates, big integers
        out.append(rfc8785.dumps(value))
    return out


def _strict(line: bytes) -> dict[str, Any] | None:
    try:
        return _parse_strict(line)
    except CanonicalError:
        return None


@given(st.dictionaries(any_text, loose_values, max_size=5))
def test_the_fast_reader_accepts_only_what_the_strict_reader_accepts(
    value: dict[str, Any],
) -> None:
    for line in _encodings(value):
        fast = _parse_fast(line)
        strict = _strict(line)
        if fast is not None:
            assert strict == fast, line
        if strict is not None:
            assert fast in (None, strict), line


@given(json_objects, st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=3))
def test_byte_flips_never_make_the_readers_disagree(
    value: dict[str, Any], at: int, junk: bytes
) -> None:
    line = canonical_bytes(value)
    at %= len(line)
    for bent in (line[:at] + junk + line[at + 1 :], line[:at] + junk + line[at:]):
        fast = _parse_fast(bent)
        if fast is not None:
            assert _strict(bent) == fast, bent


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":1,"a":1}',  # duplicate key: the C parser keeps one, the bytes then differ
        b'{"a":1.0}',
        b'{"a":NaN}',
        b'{"a":9007199254740992}',
        b'{"a":-0}',
        b'{"a":"\\u0041"}',  # an escape JCS would not write
        b'{"a":"e\xcc\x81"}',  # NFD
        b'{"a":"\xe2\x80\xae"}',  # U+202E
        b'{"\xf0\x9f\x98\x80":1,"\xee\x80\x80":2}',  # astral key sorted by code point
        b'{"b":1,"a":2}',
        b'["a"]',
    ],
)
def test_the_fast_reader_has_doubts_about_every_known_trap(line: bytes) -> None:
    assert _parse_fast(line) is None


# ---- the fast encoder accepts exactly what the strict encoder accepts -----------------------


class _Color(enum.IntEnum):
    RED = 1


class _Kind(enum.StrEnum):
    CREATE = "token.create"


class _Text(str):
    pass


odd_scalars = (
    st.sampled_from([_Color.RED, _Kind.CREATE, _Text("ok"), _Text("e\u0301"), b"x", 2**53])
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False)
)
odd_keys = any_text | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
odd_values = st.recursive(
    st.none() | st.booleans() | any_text | odd_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(odd_keys, children, max_size=3)
        | st.dictionaries(any_text, children, max_size=3).map(types.MappingProxyType)
    ),
    max_leaves=8,
)


def _strict_bytes(value: Any) -> bytes | None:
    try:
        return _encode_strict(value)
    except Exception:  # CanonicalError, or rfc8785's own refusals
        return None


def _assert_fast_agrees(value: Any) -> None:
    fast = _encode_fast(value)
    if fast is not None:
        assert _strict_bytes(value) == fast, value


@given(st.dictionaries(odd_keys, odd_values, max_size=5))
def test_the_fast_encoder_accepts_only_what_the_strict_encoder_accepts(
    value: dict[Any, Any],
) -> None:
    _assert_fast_agrees(value)


@given(json_objects)
def test_the_fast_encoder_writes_the_strict_bytes_for_every_clean_value(
    value: dict[str, Any],
) -> None:
    fast = _encode_fast(value)
    assert fast is None or fast == _encode_strict(value)
    if not any(ord(c) > 0xFFFF for c in json.dumps(value, ensure_ascii=False)):
        assert fast is not None, value  # beyond the BMP is the only doubt a clean value raises
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.0},
        {"a": 2.0**60},
        {"a": float("nan")},
        {"a": 2**53},
        {"a": -(2**53)},
        {1: "int key"},
        {True: "bool key"},
        {None: "null key"},
        {"a": (1, 2)},  # a tuple: strict encodes it as a list; fast reads back a list, doubts
        {"a": b"bytes"},
        {"a": "e\u0301"},  # NFD
        {"a": "\u202e"},
        {"a\n": 1},
        {"a": "\ud800"},
        {"\U0001f600": 1, "\ue000": 2},  # sorted by code point vs UTF-16 code units
        {"a": types.MappingProxyType({"b": 1})},
        {"a": _Color.RED, "b": _Kind.CREATE, "c": _Text("x")},
    ],
)
def test_the_fast_encoder_doubts_or_agrees_on_every_known_trap(value: dict[Any, Any]) -> None:
    _assert_fast_agrees(value)
    if _strict_bytes(value) is None:
        assert _encode_fast(value) is None


def test_a_cycle_is_refused_by_both() -> None:
    value: dict[str, Any] = {}
    value["self"] = value
    assert _encode_fast(value) is None


# ---- an entry's line from its signing message ------------------------------------------------


@given(json_objects, st.binary(min_size=64, max_size=64))
def test_the_line_spliced_from_the_signing_message_is_the_canonical_line(
    body: dict[str, Any], signature: bytes
) -> None:
    entry = Entry(
        vault="ab" * 16,
        seq=3,
        ts="2026-01-02T03:04:05.678Z",
        actor="alice",
        type="token.review",
        body=body,
        prev="00" * 32,
    )
    spliced = entry.signed(signature, entry.signing_message())
    assert spliced.line == entry.signed(signature).line
    assert spliced.line == canonical_bytes({**entry.unsigned(), "sig": signature.hex()})
    assert signing_message_of(spliced) == entry.signing_message()
