"""Text rules: NFC, no control / bidi / line-separator characters, limits."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.text import (
    BIDI,
    FORBIDDEN_CATEGORIES,
    check_member_id,
    clean_list,
    clean_text,
    forbidden_character,
    is_clean,
)


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("a\x00b", "U+0000"),
        ("tab\there", "U+0009"),
        ("new\nline", "U+000A"),
        ("esc\x1b[31m", "U+001B"),
        ("del\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("rlo\u202eevil", "U+202E"),
        ("isolate\u2066x", "U+2066"),
        ("mark\u200f", "U+200F"),
        ("arabic letter mark\u061c", "U+061C"),
        ("line\u2028sep", "U+2028"),
        ("para\u2029sep", "U+2029"),
    ],
)
def test_forbidden_characters_are_named(value: str, bad: str) -> None:
    assert forbidden_character(value) == bad
    with pytest.raises(ValidationError, match=re.escape(bad)):
        clean_text(value, field="name", max_len=100)


def test_ordinary_unicode_is_allowed() -> None:
    for value in ("stripe-live", "Ünïcödé", "日本語のトークン", "emoji 👩\u200d💻 ok"):
        assert forbidden_character(value) is None


def test_clean_text_normalises_to_nfc_and_strips() -> None:
    decomposed = "Cafe\u0301"
    assert clean_text(f"  {decomposed} ", field="x", max_len=10) == "Caf\u00e9"
    assert not is_clean(decomposed)
    assert is_clean("Caf\u00e9")


def test_limits_and_empty() -> None:
    with pytest.raises(ValidationError, match="longer than 3"):
        clean_text("abcd", field="x", max_len=3)
    with pytest.raises(ValidationError, match="must not be empty"):
        clean_text("   ", field="x", max_len=3, allow_empty=False)
    with pytest.raises(ValidationError, match="must be text"):
        clean_text(3, field="x", max_len=3)  # type: ignore[arg-type]


def test_clean_list_dedupes_keeps_order_and_bounds() -> None:
    assert clean_list(["b", "a", "b", " ", "c"], field="t", max_items=5, max_len=5) == (
        "b",
        "a",
        "c",
    )
    with pytest.raises(ValidationError, match="at most 2"):
        clean_list(["a", "b", "c"], field="t", max_items=2, max_len=5)


@pytest.mark.parametrize("good", ["alice", "a", "ops.bot-1", "x_y", "0day"])
def test_member_ids_accepted(good: str) -> None:
    assert check_member_id(good) == good


@pytest.mark.parametrize("bad", ["", "Alice", "-x", ".x", "a b", "a/b", "ä", "x" * 65, "a\n"])
def test_member_ids_rejected(bad: str) -> None:
    with pytest.raises(ValidationError):
        check_member_id(bad)


@given(st.text())
def test_clean_text_output_is_always_clean(value: str) -> None:
    try:
        result = clean_text(value, field="x", max_len=10_000)
    except ValidationError:
        assert forbidden_character(value) is not None
    else:
        assert is_clean(result)


def test_the_character_class_is_exactly_the_category_rule() -> None:
    """forbidden_character scans with one regex; it must forbid exactly the characters the
    stated rule does (bidi formatting, Cc, Cs, Zl, Zp), over every code point."""
    for code in range(0x110000):
        ch = chr(code)
        rule = ch in BIDI or unicodedata.category(ch) in FORBIDDEN_CATEGORIES
        assert (forbidden_character(ch) is not None) == rule, f"U+{code:04X}"
