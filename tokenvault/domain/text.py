"""Text rules for every string the vault stores or journals.

Strings are NFC and carry no control, bidi-override or line-separator characters: the journal
is read by auditors in terminals and spreadsheets, and a right-to-left override or an escape
sequence in a token name would make a line say something other than what was signed.
"""

from __future__ import annotations

import re
import unicodedata

from tokenvault.domain.errors import ValidationError

# Explicit bidi formatting characters (Unicode TR9): embeddings, overrides, isolates, marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Cc = C0/C1 controls and DEL, Cs = lone surrogates, Zl/Zp = U+2028/U+2029 line breaks.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

MEMBER_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def forbidden_character(value: str) -> str | None:
    """The first character that breaks the text rules, as `U+XXXX`, or None."""
    for ch in value:
        if ch in _BIDI or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def is_clean(value: str) -> bool:
    """True when the string already satisfies the rules (used by the strict journal reader)."""
    return unicodedata.is_normalized("NFC", value) and forbidden_character(value) is None


def clean_text(value: str, *, field: str, max_len: int, allow_empty: bool = True) -> str:
    """Normalise user input to NFC, strip outer spaces, and enforce the rules and the limit."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text")
    bad = forbidden_character(value)
    if bad is not None:
        raise ValidationError(f"{field} contains a control or bidi character ({bad})")
    result = unicodedata.normalize("NFC", value).strip()
    if not result and not allow_empty:
        raise ValidationError(f"{field} must not be empty")
    if len(result) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters")
    return result


def clean_list(
    values: list[str] | tuple[str, ...], *, field: str, max_items: int, max_len: int
) -> tuple[str, ...]:
    """Clean each item, drop empties and duplicates (first one wins), keep the order."""
    out: list[str] = []
    for item in values:
        text = clean_text(item, field=field, max_len=max_len)
        if text and text not in out:
            out.append(text)
    if len(out) > max_items:
        raise ValidationError(f"{field}: at most {max_items} items")
    return tuple(out)


def check_member_id(value: str) -> str:
    """Member ids are short, lowercase and safe in file names, key names and terminals."""
    if not isinstance(value, str) or MEMBER_ID_RE.fullmatch(value) is None:
        raise ValidationError(
            "member id must be 1-64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value
