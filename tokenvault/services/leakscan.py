"""The leak-scan engine: one Aho-Corasick automaton over every current and retired secret
version, run once over each file's text (one pass, not one per secret). Records, positions and
previews come from domain/leaks.py.

    scanner = LeakScanner(secrets)
    hits = scanner.scan_text("deploy/.env", text)     # every occurrence, overlaps included
    result = scan(secrets, FileWalk(paths))           # LeakScan: hits + skipped secrets
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

from tokenvault.domain.leaks import (
    LeakHit,
    SkippedSecret,
    Span,
    VaultSecret,
    line_starts,
    locate,
    redacted_preview,
    secret_text,
    too_short,
)


@dataclass(frozen=True, slots=True)
class LeakScan:
    """What a scan found: the hits (sorted by path, line, column, token, version) and the
    secret versions that were too short to search."""

    hits: tuple[LeakHit, ...]
    skipped_secrets: tuple[SkippedSecret, ...]
    files: int


class LeakScanner:
    """An automaton built once from the secrets; `scan_text` may be called for many files."""

    def __init__(self, secrets: Iterable[VaultSecret]) -> None:
        owners: dict[str, list[VaultSecret]] = {}
        skipped: list[SkippedSecret] = []
        for candidate in secrets:
            skip = too_short(candidate)
            if skip is not None:
                skipped.append(skip)
                continue
            # Two versions (or tokens) may share a secret: one key, every owner reported.
            owners.setdefault(secret_text(candidate.secret), []).append(candidate)
        self.skipped: tuple[SkippedSecret, ...] = tuple(skipped)
        self.searched = sum(len(group) for group in owners.values())
        self._automaton: ahocorasick.Automaton | None = None
        if owners:
            automaton = ahocorasick.Automaton()
            for key, group in owners.items():
                automaton.add_word(key, (len(key), tuple(group)))
            automaton.make_automaton()
            self._automaton = automaton

    def spans(self, text: str) -> list[Span]:
        """Every occurrence of every searched secret in `text`, in end-offset order."""
        if self._automaton is None:
            return []
        found: list[Span] = []
        for last, (size, group) in self._automaton.iter(text):
            start = last - size + 1
            found.extend(Span(start, last + 1, owner) for owner in group)
        return found

    def scan_text(self, path: str, text: str) -> list[LeakHit]:
        """The hits in one file's text, sorted by position, then token name and version."""
        return self.hits(path, text, self.spans(text))

    def hits(
        self, path: str, text: str, spans: list[Span], *, hide: Sequence[Span] = ()
    ) -> list[LeakHit]:
        """The hits for `spans` (from `self.spans(text)`); `hide`: other secrets' spans in the
        text (shadow tokens) that the previews must redact too."""
        if not spans:
            return []
        own, spans = spans, [*spans, *hide]
        starts = line_starts(text)
        # Spans by start, so each preview looks only at those that can touch its line (a log
        # repeating one token 10,000 times would otherwise cost 10,000^2 comparisons).
        spans.sort(key=lambda s: s.start)
        span_starts = [s.start for s in spans]
        longest = max(s.end - s.start for s in spans)
        hits = []
        for span in own:
            line, column = locate(starts, span.start)
            begin = starts[line - 1]
            end = starts[line] if line < len(starts) else len(text)
            low = bisect.bisect_left(span_starts, begin - longest)
            near = spans[low : bisect.bisect_left(span_starts, end)]
            owner = span.owner
            hits.append(
                LeakHit(
                    token_id=owner.token_id,
                    token_name=owner.token_name,
                    version=owner.version,
                    current=owner.current,
                    path=path,
                    line=line,
                    column=column,
                    preview=redacted_preview(text, starts, span.start, near),
                )
            )
        hits.sort(key=lambda h: (h.line, h.column, h.token_name, h.version))
        return hits


def scan(secrets: Iterable[VaultSecret], files: Iterable[tuple[str, str]]) -> LeakScan:
    """Scan each (path, text) for every secret version; see `LeakScan`."""
    scanner = LeakScanner(secrets)
    hits: list[LeakHit] = []
    count = 0
    for path, text in files:
        count += 1
        hits.extend(scanner.scan_text(path, text))
    hits.sort(key=lambda h: (h.path, h.line, h.column, h.token_name, h.version))
    return LeakScan(tuple(hits), scanner.skipped, count)
