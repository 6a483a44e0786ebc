"""Canonical JSON (RFC 8785 / JCS) under the journal's value rules.

Journal values are objects, arrays, strings, booleans, null and integers in the IEEE-safe range;
floats are refused because two verifiers can disagree on their shortest form, and strings must
satisfy the text rules. `parse_canonical` is the strict reader: duplicate keys, floats, non-finite
numbers and any line that is not byte-identical to its canonical re-encoding are rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.limits import SAFE_INT_MAX
from tokenvault.domain.text import forbidden_character, is_clean, json_text_is_clean


class CanonicalError(ValidationError):
    """A value or a line breaks the canonical-encoding rules."""


def check_value(value: object, path: str = "$") -> None:
    """Raise CanonicalError naming the JSON path of the first value that breaks the rules."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -SAFE_INT_MAX <= value <= SAFE_INT_MAX:
            raise CanonicalError(f"{path}: integer outside ±(2^53-1)")
        return
    if isinstance(value, str):
        _check_string(value, path)
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key is not a string")
            _check_string(key, f"{path} key")
            check_value(item, f"{path}.{key}")
        return
    raise CanonicalError(
        f"{path}: {type(value).__name__} is not allowed (integers only, no floats)"
    )


def _check_string(value: str, path: str) -> None:
    if not is_clean(value):
        bad = forbidden_character(value)
        why = f"contains {bad}" if bad else "is not NFC"
        raise CanonicalError(f"{path}: string {why}")


class _Doubt(Exception):
    """The fast reader or encoder cannot vouch for a value; the strict one decides and names
    the error."""


def _doubt(text: str) -> Any:
    raise _Doubt


def _safe_int(text: str) -> int:
    value = int(text)
    if not -SAFE_INT_MAX <= value <= SAFE_INT_MAX:
        raise _Doubt
    return value


def canonical_bytes(value: Mapping[str, Any]) -> bytes:
    """The JCS encoding of an object that satisfies the journal's value rules."""
    encoded = _encode_fast(value)
    return encoded if encoded is not None else _encode_strict(value)


def _encode_strict(value: Mapping[str, Any]) -> bytes:
    check_value(value)
    return rfc8785.dumps(value)


# Characters beyond the BMP: the only ones whose code-point order (Python's sort_keys) differs
# from UTF-16 code-unit order (RFC 8785 §3.2.3), so the fast encoder leaves them to rfc8785.
_ASTRAL_TEXT = re.compile("[\U00010000-\U0010ffff]")


def _encode_fast(value: Mapping[str, Any]) -> bytes | None:
    """`_encode_strict(value)`, if `value` certainly satisfies the rules; None when in doubt.

    The write path's cost (rfc8785 and check_value are Python, ~0.25 ms per journal entry;
    this is ~20 us). json's C encoder writes what RFC 8785 writes for these values (sorted
    keys, no spaces, raw UTF-8) when no character lies beyond the BMP. The rules are checked on
    the result: reading it back (integers in range, no float) must give a value equal to the
    one given (which catches non-string keys, tuples and anything else the encoder coerced),
    and the text rules hold for every string exactly when they hold for the canonical text as
    a whole (text.json_text_is_clean). tests/unit/test_canonical.py checks that whatever this
    accepts, the strict path accepts and encodes to the same bytes."""
    try:
        text = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError):
        return None
    if _ASTRAL_TEXT.search(text) is not None or not json_text_is_clean(text):
        return None
    try:
        again = json.loads(text, parse_float=_doubt, parse_constant=_doubt, parse_int=_safe_int)
    except (ValueError, RecursionError, _Doubt):
        return None
    return text.encode("utf-8") if again == value else None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise CanonicalError(f"duplicate key {key!r:.40}")
        result[key] = value
    return result


def _reject_float(text: str) -> Any:
    raise CanonicalError("floats are not allowed")


def _reject_constant(text: str) -> Any:
    raise CanonicalError(f"{text} is not allowed")


# UTF-8 lead bytes of U+10000..U+10FFFF: the only characters whose code-point order (Python's
# sort) differs from UTF-16 code-unit order (RFC 8785 §3.2.3).
_ASTRAL = re.compile(rb"[\xf0-\xf4]")


def _parse_fast(line: bytes) -> dict[str, Any] | None:
    """The object, if `line` is certainly canonical and clean; None when in doubt.

    json's C parser and encoder stand in for the hooks and rfc8785: a duplicate key cannot
    survive the byte comparison, floats and NaN are refused by the parser, and without
    characters beyond the BMP the C encoder (sorted keys, no spaces, raw UTF-8) writes exactly
    what RFC 8785 writes for these values. The text rules hold for every string exactly when
    they hold for the canonical text as a whole (text.json_text_is_clean)."""
    if _ASTRAL.search(line) is not None:
        return None
    try:
        text = line.decode("utf-8")
        value = json.loads(text, parse_float=_doubt, parse_constant=_doubt, parse_int=_safe_int)
    except (ValueError, RecursionError, _Doubt):
        return None
    if not isinstance(value, dict) or not json_text_is_clean(text):
        return None
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return value if encoded.encode("utf-8") == line else None


def parse_canonical(line: bytes) -> dict[str, Any]:
    """Strictly parse one canonical JSON object; the bytes must re-encode identically."""
    value = _parse_fast(line)
    return value if value is not None else _parse_strict(line)


def _parse_strict(line: bytes) -> dict[str, Any]:
    """Strictly parse one canonical JSON object; the bytes must re-encode identically."""
    try:
        text = line.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise CanonicalError("line is not valid UTF-8") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except CanonicalError:
        raise
    except (json.JSONDecodeError, RecursionError):
        raise CanonicalError("line is not valid JSON") from None
    if not isinstance(value, dict):
        raise CanonicalError("line is not a JSON object")
    if _encode_strict(value) != line:
        raise CanonicalError("line is not in canonical (RFC 8785) form")
    return value
