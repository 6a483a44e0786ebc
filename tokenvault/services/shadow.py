"""Shadow tokens: credential-shaped strings in a file's text that detect-secrets' detectors and
heuristic filters flag (AWS, GitHub, GitLab, Slack, Stripe, JWT, private keys, high-entropy
strings …). Whether a value is also a vault secret is the caller's business (leakscan.py). The
only module that imports detect_secrets.

    detector = ShadowDetector()                       # configure once, ≈ 20 ms
    hits = detector.scan_text("deploy/.env", text)    # list[ShadowHit], by line, then column

Decisions, each with its reason:

- Text in, never a path. The file walker (scanfiles.py) has already read the file under its
  symlink, size and binary rules; detect-secrets never opens, stats or re-parses a file here.
  Its transformers (a YAML re-parse that quotes bare values, an "eager" INI/config one) are not
  used: every line is scanned as written. So a bare, unquoted high-entropy value in YAML is not
  seen by the two entropy detectors, which want quotes (prefixed tokens are found anyway).
- Detectors: detect-secrets' default list (`default_settings()`: every plugin it ships, the
  Base64/Hex entropy detectors at their default limits 4.5 and 3.0), except `KeywordDetector`
  unless `keywords=True`. That one flags a value by the *name* it is assigned to
  (`password = "…"`, `secret: …`), not by its shape: in tests, fixtures, docs and examples it is
  mostly noise, its values are often short words, and a shadow token is a credential of a
  recognisable kind that should be in the vault. (`IPPublicDetector` is kept, being on the list,
  but its findings are all digits, which the default `is_not_alphanumeric_string` filter drops.)
- Filters: detect-secrets' defaults, at the stages its own scan loop runs them: per file
  (lock files, swagger paths, non-text extensions), per line (`pragma: allowlist secret`,
  indirect references such as `key = get_key()`), per value (sequential strings, UUIDs,
  `*_id = …`, templates `{…}` `<…>` `${…}`, a leading `$`, no letter at all). Not
  `is_invalid_file`, which stats the path (the walker decided that). Never network
  verification: it is not in the default settings, and nothing here turns it on.
- The value is the whole token. detect-secrets reports a regex's first capture group when it
  has one; the GitHub and GitLab patterns capture only their prefix (`ghp`, `glpat`; upstream
  issue Yelp/detect-secrets#858), which would make the column right by luck and the redaction
  wrong. Here a pattern detector's value is its whole match, unless that match holds context
  (a space, quote, `=`, `:`, `@` …: `aws_secret = "…"`, `https://user:PASSWORD@host`), where the
  group is the value, as detect-secrets means it. A JWT's value includes its signature (the
  pattern's last part is lazy and stops before it). A private key's value is what
  detect-secrets flags, the header text (`BEGIN RSA PRIVATE KEY`): the key itself, on the
  lines below, is neither flagged nor held, so two keys of one kind share a value.
- One hit per (line, value), at the value's first occurrence on the line. When several
  detectors flag the same value the most specific name is kept: a pattern detector (a vendor's
  format, a private key header, a JWT …) before "Hex High Entropy String" before "Base64 High
  Entropy String" before "Secret Keyword"; between equals, the name that sorts first.
- Long lines. detect-secrets itself has no bound, and some of its patterns go quadratic on
  hostile lines (100,000 characters of `eyJ` take the JWT pattern 3 s; a minified bundle of
  a few MB would take minutes). Lines up to `WINDOW` characters are scanned whole; a longer
  line is scanned in windows of `WINDOW` characters every `WINDOW // 2`, and a value touching
  a cut is left to the neighbouring window that holds it whole. Any value up to
  `WINDOW // 2 - 1` characters is found; columns count from the real line start. In a window,
  the line heuristics (`*_id =` before the value, allowlist pragma) see only the window.
- Global state. detect-secrets keeps its settings in a process-wide singleton, which its scan
  functions read on every call. A detector is configured once, inside `default_settings()` (a
  `transient_settings`) under a lock, keeps the plugin objects and filter functions it was
  given, and leaves the global settings as it found them; several detectors (with and without
  keywords) coexist. While scanning, the one global read left is the plugins' own check of
  whether network verification is on, which stays off. Importing detect-secrets has a side
  effect of its own: `logging.captureWarnings(True)`, for the whole process.
- Nothing here prints or logs, and no message names a value: a detector that raises becomes an
  `OperationalError` naming the detector, path and line only, with the original exception
  (whose text could quote the line) dropped.
"""

from __future__ import annotations

import bisect
import inspect
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.settings import default_settings, get_filters, get_plugins
from detect_secrets.util.code_snippet import CodeSnippet, get_code_snippet

from tokenvault.domain.errors import OperationalError
from tokenvault.domain.leaks import (
    ShadowHit,
    Span,
    VaultSecret,
    line_starts,
    redacted_preview,
)
from tokenvault.domain.model import Secret

WINDOW = 4096
_STEP = WINDOW // 2
# A pattern match holding one of these is "context + value": the capture group is the value.
_CONTEXT = re.compile(r"[\s\"'`=:@,;()\[\]{}<>]")
# detect-secrets 1.5.0's JWT pattern ends in a lazy `[A-Za-z0-9-_.+/=]*?`, which matches
# nothing: its value stops before the signature. The value here takes what a greedy one would.
_JWT_TAIL = re.compile(r"[A-Za-z0-9\-_.+/=]*")
_NOT_SCANNED = ("detect_secrets.filters.common.is_invalid_file",)
_CONFIGURING = threading.Lock()

Filter = Callable[..., Any]


class _DetectorFailed(Exception):
    """A detector or filter raised: carries its name, never the exception's text."""

    def __init__(self, detector: str) -> None:
        super().__init__(detector)
        self.detector = detector


@dataclass(frozen=True, slots=True)
class _Flagged(VaultSecret):
    """A flagged value dressed as the owner of a `Span`: `redacted_preview` reads only the
    owner's `label`, which here is the detector's name (no `vN`)."""

    @property
    def label(self) -> str:
        return self.token_name


@dataclass(frozen=True, slots=True)
class _Stage:
    """The filters detect-secrets runs at one point of its loop, each with the arguments it
    takes from those available there."""

    filters: tuple[tuple[Filter, frozenset[str]], ...]

    def drops(self, **available: object) -> bool:
        return any(
            check(**{name: available[name] for name in wants}) for check, wants in self.filters
        )


def _stage(filters: Sequence[Filter], key: str, available: set[str], skip: set[str]) -> _Stage:
    """Filters taking `key` whose required arguments are all `available` (detect-secrets calls
    the others too, gets a TypeError and ignores it), minus those in `skip`."""
    chosen = []
    for check in filters:
        parameters = inspect.signature(check).parameters
        required = {n for n, p in parameters.items() if p.default is inspect.Parameter.empty}
        if key in parameters and required <= available and check.__name__ not in skip:
            chosen.append((check, frozenset(parameters.keys() & available)))
    return _Stage(tuple(chosen))


def _configured(keywords: bool) -> tuple[list[BasePlugin], list[Filter]]:
    """The plugin objects and filter functions of detect-secrets' default settings.

    Checked against detect-secrets 1.5.0: `default_settings`, `Settings.disable_plugins` /
    `disable_filters` are its documented way to configure a scan; `get_plugins()` and
    `get_filters()` are the module-level functions its own scan loop reads them from."""
    with _CONFIGURING, default_settings() as settings:
        if not keywords:
            settings.disable_plugins(KeywordDetector.__name__)
        settings.disable_filters(*_NOT_SCANNED)
        return list(get_plugins()), list(get_filters())


def _rank(plugin: BasePlugin) -> int:
    """Lower is more specific (see the module docstring)."""
    if isinstance(plugin, HexHighEntropyString):
        return 1
    if isinstance(plugin, Base64HighEntropyString):
        return 2
    if isinstance(plugin, KeywordDetector):
        return 3
    return 0


def _windows(line: str) -> Iterator[tuple[str, bool, bool]]:
    """(piece, starts_line, ends_line): the pieces of a line to scan; see the docstring."""
    if len(line) <= WINDOW:
        yield line, True, True
        return
    for offset in range(0, len(line) - _STEP, _STEP):
        end = offset + WINDOW
        yield line[offset:end], offset == 0, end >= len(line)


class ShadowDetector:
    """detect-secrets configured once; `scan_text` may be called for many files."""

    def __init__(self, *, keywords: bool = False) -> None:
        plugins, filters = _configured(keywords)
        self._plugins = tuple((plugin, plugin.secret_type, _rank(plugin)) for plugin in plugins)
        self.detectors: tuple[str, ...] = tuple(sorted(name for _, name, _ in self._plugins))
        self._per_file = _stage(filters, "filename", {"filename"}, set())
        line_args = {"filename", "line", "context"}
        self._per_line = _stage(filters, "line", line_args, set())
        self._per_value = _stage(filters, "secret", {"filename", "secret", "plugin", "line"}, set())
        # Run again after the per-value ones, as detect-secrets does, but not those that only
        # see the line: they have already said no to it.
        already = {check.__name__ for check, wants in self._per_line.filters if wants <= line_args}
        self._in_context = _stage(
            filters, "context", {"filename", "secret", "plugin", "line", "context"}, already
        )

    def scan_text(self, path: str, text: str, *, hide: Sequence[Span] = ()) -> list[ShadowHit]:
        """The shadow-token hits in one file's text (lines end at `\\n`), sorted by line, then
        column, then detector. `path` is used for the file-level filters and the detectors that
        look at the file's type, never opened. `hide`: spans of other secrets in `text` (such
        as `LeakScanner.spans(text)`) that the previews must hide too, under their own labels."""
        if self._per_file.drops(filename=path):
            return []
        lines = text.split("\n")
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        found: dict[tuple[int, str], tuple[int, str]] = {}  # (line, value) -> (rank, detector)
        for number, line in enumerate(lines, start=1):
            if not line or line.isspace():
                continue
            for value, rank, detector in self._scan_line(path, lines, number, line):
                key = (number, value)
                if key not in found or (rank, detector) < found[key]:
                    found[key] = (rank, detector)
        return self._hits(path, text, lines, found, hide) if found else []

    def _scan_line(
        self, path: str, lines: list[str], number: int, line: str
    ) -> set[tuple[str, int, str]]:
        """(value, rank, detector) for each value kept on one line (windows merged)."""
        context = get_code_snippet(lines, number)
        values: set[tuple[str, int, str]] = set()
        failed = ""
        try:
            for piece, starts_line, ends_line in _windows(line.rstrip()):
                for value, start, rank, name in self._scan_piece(path, piece, context):
                    cut_before = start == 0 and not starts_line
                    cut_after = start + len(value) == len(piece) and not ends_line
                    if not (cut_before or cut_after):
                        values.add((value, rank, name))
        except _DetectorFailed as error:
            failed = error.detector
        if failed:
            # Raised outside the `except`, so the original (whose text may quote the line) is
            # neither chained nor shown.
            raise OperationalError(
                f"shadow-token scan: detector {failed!r} failed on {path}:{number}"
            )
        return values

    def _scan_piece(
        self, path: str, piece: str, context: CodeSnippet
    ) -> Iterator[tuple[str, int, int, str]]:
        """(value, start in piece, rank, detector) for each value the detectors and filters
        keep in one line or window. The line filters run once a detector has reported
        something: they depend on the line alone, so the outcome is detect-secrets' own, and
        most lines of a file report nothing."""
        line_dropped: bool | None = None
        for plugin, name, rank in self._plugins:
            try:
                reported = plugin.analyze_line(filename=path, line=piece, context=context)
                if not reported:
                    continue
                if line_dropped is None:
                    line_dropped = self._per_line.drops(filename=path, line=piece, context=context)
                if line_dropped:
                    return
                kept = [
                    whole
                    for potential in reported
                    if (secret := potential.secret_value)
                    and self._keeps(plugin, path, piece, context, secret)
                    for whole in _whole_values(plugin, piece, secret)
                ]
            except Exception as error:
                raise _DetectorFailed(name) from error
            for value, start in kept:
                yield value, start, rank, name

    def _keeps(
        self, plugin: BasePlugin, path: str, piece: str, context: CodeSnippet, secret: str
    ) -> bool:
        args = {"filename": path, "secret": secret, "plugin": plugin, "line": piece}
        if self._per_value.drops(**args):
            return False
        return not self._in_context.drops(**args, context=context)

    def _hits(
        self,
        path: str,
        text: str,
        lines: list[str],
        found: dict[tuple[int, str], tuple[int, str]],
        hide: Sequence[Span],
    ) -> list[ShadowHit]:
        starts = line_starts(text)
        hidden = sorted(hide, key=lambda s: s.start)
        hidden_starts = [s.start for s in hidden]
        longest = max((s.end - s.start for s in hidden), default=0)
        # Every flagged value of the file, under its most specific name: a preview also hides
        # a value that was flagged on another line. One automaton finds them all on a line
        # (overlaps included), as many files flag thousands of values.
        everywhere: dict[str, tuple[int, str]] = {}
        for (_, value), ranked in found.items():
            everywhere[value] = min(ranked, everywhere.get(value, ranked))
        automaton = ahocorasick.Automaton()
        for value, (_, name) in everywhere.items():
            automaton.add_word(value, (len(value), _owner(name, value)))
        automaton.make_automaton()
        by_line: dict[int, dict[str, str]] = {}
        for (number, value), (_, detector) in found.items():
            by_line.setdefault(number, {})[value] = detector
        hits = []
        for number, own in by_line.items():
            line, begin = lines[number - 1], starts[number - 1]
            spans = [
                Span(begin + last - size + 1, begin + last + 1, owner)
                for last, (size, owner) in automaton.iter(line)
            ]
            low = bisect.bisect_left(hidden_starts, begin - longest)
            spans += hidden[low : bisect.bisect_left(hidden_starts, begin + len(line))]
            for value, detector in own.items():
                column = line.find(value) + 1
                hits.append(
                    ShadowHit(
                        detector=detector,
                        path=path,
                        line=number,
                        column=column,
                        secret=_secret(value),
                        preview=redacted_preview(text, starts, begin + column - 1, spans),
                    )
                )
        hits.sort(key=lambda h: (h.line, h.column, h.detector))
        return hits


def flagged_spans(text: str, hits: Sequence[ShadowHit]) -> list[Span]:
    """Every occurrence in `text` of every value in `hits`, labelled with its detector: for
    the other previews of the same file to hide (`LeakScanner.hits(..., hide=)`)."""
    if not hits:
        return []
    automaton = ahocorasick.Automaton()
    for hit in hits:
        value = hit.secret.expose().decode("utf-8", "surrogateescape")
        automaton.add_word(value, (len(value), _owner(hit.detector, value)))
    automaton.make_automaton()
    return [Span(last - size + 1, last + 1, owner) for last, (size, owner) in automaton.iter(text)]


def _whole_values(plugin: BasePlugin, line: str, reported: str) -> Iterator[tuple[str, int]]:
    """(value, start) of what `reported` stands for on the line: for a pattern detector, each
    match it comes from (its whole match, or the group when the match holds context; a JWT
    with its signature; see the module docstring); otherwise `reported` itself at its first
    occurrence."""
    if not isinstance(plugin, RegexBasedDetector):
        at = line.find(reported)
        if at != -1:
            yield reported, at
        return
    for pattern in plugin.denylist:
        for match in pattern.finditer(line):
            start, end = match.span()
            if match.group(0) != reported:
                index = next((i for i, g in enumerate(match.groups(), 1) if g == reported), 0)
                if not index:
                    continue
                if _CONTEXT.search(match.group(0)):
                    start, end = match.span(index)
            tail = _JWT_TAIL.match(line, end) if isinstance(plugin, JwtTokenDetector) else None
            end = tail.end() if tail else end
            yield line[start:end], start


def _secret(value: str) -> Secret:
    # The text was decoded with surrogateescape (domain/leaks.py): back to the file's bytes.
    return Secret(value.encode("utf-8", "surrogateescape"))


def _owner(detector: str, value: str) -> _Flagged:
    return _Flagged(
        token_id=0, token_name=detector, version=0, current=False, secret=_secret(value)
    )
