"""Leak-scan vocabulary: the secrets to look for, the findings, and the pure parts of a finding
(line and column from an offset, the redacted preview). The multi-pattern search itself needs
pyahocorasick, so it lives in services/leakscan.py.

Decisions, each with its reason:

- Text, not bytes. The installed pyahocorasick wheels are the unicode build (bytes keys need a
  separate build), so files are decoded as UTF-8 with ``errors="surrogateescape"`` and secrets
  the same way: every byte sequence round-trips, so an exact byte match is an exact text match,
  and a column counts characters (an invalid byte counts as one).
- Lines end at ``\\n`` only; a ``\\r`` before it (CRLF) is not part of the preview.
- Secrets shorter than ``MIN_SECRET_CHARS`` are not searched (a 4-character secret matches in
  every other file); each one is listed as skipped so the report can say so.
- The preview redacts *every* occurrence of *every* secret that touches the line (a secret
  that appears twice, or overlaps or contains another, is never half-shown), replaces
  control, bidi and surrogate characters (the preview goes to a terminal), and is clipped to
  ``PREVIEW_MAX`` characters around the finding.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tokenvault.domain.model import Secret

MIN_SECRET_CHARS = 8
PREVIEW_MAX = 120
ELLIPSIS = "…"

# C0/C1 controls, bidi formatting, line separators and lone surrogates (surrogateescape'd bytes).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


@dataclass(frozen=True, slots=True)
class VaultSecret:
    """One secret version to look for. `secret` is a `Secret`, so its repr never shows it."""

    token_id: int
    token_name: str
    version: int
    current: bool
    secret: Secret

    @property
    def label(self) -> str:
        return f"{self.token_name} v{self.version}"


@dataclass(frozen=True, slots=True)
class SkippedSecret:
    """A secret version that was not searched, and why (never the secret itself)."""

    token_name: str
    version: int
    reason: str


@dataclass(frozen=True, slots=True)
class LeakHit:
    """One occurrence of a vault secret in a file. `line` and `column` are 1-based; the column
    counts characters. `preview` is the redacted line."""

    token_id: int
    token_name: str
    version: int
    current: bool
    path: str
    line: int
    column: int
    preview: str


@dataclass(frozen=True, slots=True)
class ShadowHit:
    """A credential-shaped string that a detector flagged (services/shadow.py): a candidate
    *shadow token*, a credential the vault does not hold. `detector` is the detector's stable
    name ("AWS Access Key", "GitHub Token" …); `line` and `column` are 1-based, the column of
    the value's first occurrence on the line, in characters. `secret` is the flagged value (so
    it can be fingerprinted or matched against the vault) and never shown; `preview` is the
    line with every flagged value on it replaced by `«detector»`."""

    detector: str
    path: str
    line: int
    column: int
    secret: Secret = field(repr=False)
    preview: str


@dataclass(frozen=True, slots=True)
class Span:
    """Where one secret occurs in a text: [start, end) in characters, and whose it is."""

    start: int
    end: int
    owner: VaultSecret


def secret_text(secret: Secret) -> str:
    """The secret as the text a file holding its bytes decodes to (see the module docstring)."""
    return secret.expose().decode("utf-8", "surrogateescape")


def too_short(candidate: VaultSecret) -> SkippedSecret | None:
    """A `SkippedSecret` if this version is too short to search for, else None."""
    size = len(secret_text(candidate.secret))
    if size >= MIN_SECRET_CHARS:
        return None
    return SkippedSecret(
        candidate.token_name,
        candidate.version,
        f"shorter than {MIN_SECRET_CHARS} characters: not searched",
    )


def line_starts(text: str) -> list[int]:
    """Offsets where each line begins (line 1 at offset 0)."""
    starts = [0]
    find = text.find
    at = find("\n")
    while at != -1:
        starts.append(at + 1)
        at = find("\n", at + 1)
    return starts


def locate(starts: Sequence[int], offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of a character offset."""
    index = bisect.bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index] + 1


def _merge(spans: Sequence[Span]) -> list[tuple[int, int, list[str]]]:
    """Overlapping or touching spans merged into disjoint ones, each with its labels in order."""
    merged: list[tuple[int, int, list[str]]] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1][1]:
            start, end, labels = merged[-1]
            if span.owner.label not in labels:
                labels.append(span.owner.label)
            merged[-1] = (start, max(end, span.end), labels)
        else:
            merged.append((span.start, span.end, [span.owner.label]))
    return merged


def clip(text: str, size: int) -> str:
    """`text` in at most `size` characters, an ellipsis marking a cut."""
    return text if len(text) <= size else text[: size - 1] + ELLIPSIS


def printable(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text.replace("\t", " "))


def redacted_preview(text: str, starts: Sequence[int], focus: int, spans: Sequence[Span]) -> str:
    """The line holding offset `focus`, every span on it replaced by `«name vN»`, made
    printable and clipped to about `PREVIEW_MAX` characters around the focus.

    `spans` must be every occurrence of every searched secret in `text` (or at least every one
    touching that line): whatever is not in a span is shown."""
    line, _ = locate(starts, focus)
    begin = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    if end > begin and text[end - 1] == "\r":
        end -= 1
    pieces: list[tuple[str, bool]] = []  # (text, is_marker)
    cursor = begin
    focus_piece = 0
    for start, stop, labels in _merge([s for s in spans if s.start < end and s.end > begin]):
        start, stop = max(start, begin), min(stop, end)
        if start > cursor:
            pieces.append((printable(text[cursor:start]), False))
        if start <= focus < max(stop, start + 1):
            focus_piece = len(pieces)
        pieces.append(("«" + printable(", ".join(labels)) + "»", True))
        cursor = max(cursor, stop)
    if cursor < end:
        pieces.append((printable(text[cursor:end]), False))
    return _clip(pieces, focus_piece)


def _clip(pieces: list[tuple[str, bool]], focus_piece: int) -> str:
    """Join the pieces, keeping the focus marker whole and trimming plain text at either end."""
    if sum(len(p) for p, _ in pieces) <= PREVIEW_MAX:
        return "".join(p for p, _ in pieces)
    marker = pieces[focus_piece][0] if pieces else ""
    marker = marker if len(marker) <= PREVIEW_MAX // 2 else marker[: PREVIEW_MAX // 2 - 1] + "»"
    room = max(PREVIEW_MAX - len(marker), 0)
    before = "".join(p for p, _ in pieces[:focus_piece])
    after = "".join(p for p, _ in pieces[focus_piece + 1 :])
    keep_before = min(len(before), room // 2)
    keep_after = min(len(after), room - keep_before)
    keep_before = min(len(before), room - keep_after)
    head = (
        (ELLIPSIS + before[len(before) - keep_before + 1 :])
        if keep_before < len(before)
        else before
    )
    tail = (after[: keep_after - 1] + ELLIPSIS) if keep_after < len(after) else after
    return head + marker + tail
