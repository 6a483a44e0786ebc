"""Canonical JSON (RFC 8785 / JCS) under the journal's value rules.

Journal values are objects, arrays, strings, booleans, null and integers in the IEEE-safe range;
floats are refused because two verifiers can disagree on their shortest form, and strings must
satisfy the text rules. `parse_canonical` is the strict reader: duplicate keys, floats, non-finite
numbers and any line that is not byte-identical to its canonical re-encoding are rejected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.limits import SAFE_INT_MAX
from tokenvault.domain.text import forbidden_character, is_clean


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


def canonical_bytes(value: Mapping[str, Any]) -> bytes:
    """The JCS encoding of an object that satisfies the journal's value rules."""
    check_value(value)
    return rfc8785.dumps(value)


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


def parse_canonical(line: bytes) -> dict[str, Any]:
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
    if canonical_bytes(value) != line:
        raise CanonicalError("line is not in canonical (RFC 8785) form")
    return value
