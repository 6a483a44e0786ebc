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
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Cc = C0/C1 controls and DEL, Cs = lone surrogates, Zl/Zp = U+2028/U+2029 line breaks.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

# The same set as one character class (Cc is U+0000-001F and U+007F-009F, fixed by Unicode's
# stability policy), so a clean string costs one C-level scan instead of a category lookup per
# character; tests/unit/test_text.py checks every code point against the two sets above.
_FORBIDDEN_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_JSON_ESCAPE = re.compile(r"\\(.)")

MEMBER_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def forbidden_character(value: str) -> str | None:
    """The first character that breaks the text rules, as `U+XXXX`, or None."""
    found = _FORBIDDEN_RE.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def is_clean(value: str) -> bool:
    """True when the string already satisfies the rules (used by the strict journal reader)."""
    return _FORBIDDEN_RE.search(value) is None and unicodedata.is_normalized("NFC", value)


def json_text_is_clean(text: str) -> bool:
    """For a JSON text in canonical form: do all its strings (keys included) satisfy the rules?
    The encoder writes every character raw except quote, backslash and C0 controls (escaped),
    so: no forbidden character, no escape but \\" and \\\\, and NFC as a whole (quote and
    backslash never compose with a neighbour, so the text is NFC exactly when each string is)."""
    if _FORBIDDEN_RE.search(text) is not None:
        return False
    if "\\" in text and any(m.group(1) not in '"\\' for m in _JSON_ESCAPE.finditer(text)):
        return False
    return unicodedata.is_normalized("NFC", text)


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
