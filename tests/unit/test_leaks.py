"""The leak-scan engine: positions (line, column in characters), every occurrence found once
(overlapping and contained secrets included), and previews that never show a secret."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenvault.domain.leaks import (
    MIN_SECRET_CHARS,
    PREVIEW_MAX,
    VaultSecret,
    line_starts,
    locate,
)
from tokenvault.domain.model import Secret
from tokenvault.services.leakscan import LeakScanner, scan

STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
GITHUB = "ghp_R2d2C3poBb8Luke0Leia1Han2Solo3Chewie"


def vs(name: str, secret: str | bytes, version: int = 1, current: bool = True) -> VaultSecret:
    return VaultSecret(sum(map(ord, name)), name, version, current, Secret(secret))


def positions(text: str, *secrets: VaultSecret) -> list[tuple[str, int, int, int]]:
    return [
        (h.token_name, h.version, h.line, h.column)
        for h in LeakScanner(secrets).scan_text("f", text)
    ]


def test_line_and_column_at_start_end_and_later_lines() -> None:
    s = vs("stripe", STRIPE)
    assert positions(STRIPE, s) == [("stripe", 1, 1, 1)]
    assert positions("KEY=" + STRIPE, s) == [("stripe", 1, 1, 5)]
    assert positions("a\nbb\nKEY=" + STRIPE + "\n", s) == [("stripe", 1, 3, 5)]
    assert positions("x\n\n\n" + STRIPE, s) == [("stripe", 1, 4, 1)]


def test_crlf_and_unicode_before_the_secret() -> None:
    s = vs("stripe", STRIPE)
    text = "first\r\nnäme = «ünïcode» 🔑 " + STRIPE + "\r\nlast\r\n"
    (hit,) = LeakScanner([s]).scan_text("f", text)
    assert (hit.line, hit.column) == (2, len("näme = «ünïcode» 🔑 ") + 1)
    assert hit.preview == "näme = «ünïcode» 🔑 «stripe v1»"  # no trailing \r


def test_invalid_utf8_bytes_count_as_one_character_each() -> None:
    raw = b"\xff\xfe=" + STRIPE.encode()
    (hit,) = LeakScanner([vs("s", STRIPE)]).scan_text("f", raw.decode("utf-8", "surrogateescape"))
    assert hit.column == 4
    assert hit.preview == "\ufffd\ufffd=«s v1»"


def test_a_secret_that_is_not_utf8_is_found_as_bytes_would_be() -> None:
    secret = b"\xc3\x28binary-secret-\xff"
    text = (b"x=" + secret + b"\n").decode("utf-8", "surrogateescape")
    (hit,) = LeakScanner([vs("b", secret)]).scan_text("f", text)
    assert (hit.line, hit.column, hit.preview) == (1, 3, "x=«b v1»")


def test_overlapping_and_contained_secrets_are_each_reported_and_all_redacted() -> None:
    outer = vs("outer", "AAAABBBBCCCCDDDD")
    inner = vs("inner", "BBBBCCCC")
    overlap = vs("overlap", "DDDDEEEEFFFF")
    text = "x AAAABBBBCCCCDDDDEEEEFFFF y"
    hits = LeakScanner([outer, inner, overlap]).scan_text("f", text)
    assert [(h.token_name, h.column) for h in hits] == [("outer", 3), ("inner", 7), ("overlap", 15)]
    for hit in hits:
        assert hit.preview == "x «outer v1, inner v1, overlap v1» y"


def test_a_secret_twice_on_a_line_is_redacted_twice_and_reported_twice() -> None:
    hits = LeakScanner([vs("gh", GITHUB)]).scan_text("f", f"a={GITHUB} b={GITHUB}")
    assert [h.column for h in hits] == [3, 3 + len(GITHUB) + 3]
    assert {h.preview for h in hits} == {"a=«gh v1» b=«gh v1»"}


def test_retired_versions_and_shared_secrets_are_all_reported() -> None:
    old = vs("deploy", GITHUB, version=1, current=False)
    new = vs("deploy", STRIPE, version=2, current=True)
    twin = vs("copy", STRIPE, version=1, current=True)
    hits = LeakScanner([old, new, twin]).scan_text("f", f"{GITHUB}\n{STRIPE}\n")
    assert [(h.token_name, h.version, h.current, h.line) for h in hits] == [
        ("deploy", 1, False, 1),
        ("copy", 1, True, 2),
        ("deploy", 2, True, 2),
    ]


def test_a_multiline_secret_is_redacted_on_every_line_it_touches() -> None:
    pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0\n-----END KEY-----"
    text = "key: |\n  " + pem.replace("\n", "\n") + "\nnext: 1\n"
    (hit,) = LeakScanner([vs("pem", pem)]).scan_text("f", text)
    assert (hit.line, hit.column) == (2, 3)
    assert hit.preview == "  «pem v1»"


def test_short_secrets_are_skipped_and_said_so() -> None:
    short = vs("pin", "1234567")
    ok = vs("ok", "12345678")
    scanner = LeakScanner([short, ok])
    assert [(s.token_name, s.version) for s in scanner.skipped] == [("pin", 1)]
    assert str(MIN_SECRET_CHARS) in scanner.skipped[0].reason
    assert "1234567" not in repr(scanner.skipped)
    assert [h.token_name for h in scanner.scan_text("f", "12345678")] == ["ok"]


def test_no_secrets_and_no_hits() -> None:
    assert LeakScanner([]).scan_text("f", "anything") == []
    assert LeakScanner([vs("s", STRIPE)]).scan_text("f", "") == []


def test_long_lines_are_clipped_around_the_hit_and_control_characters_replaced() -> None:
    text = "\x1b[31m" + "a" * 500 + STRIPE + "b" * 500 + "\t" + GITHUB
    hits = LeakScanner([vs("s", STRIPE), vs("g", GITHUB)]).scan_text("f", text)
    first = hits[0].preview
    assert len(first) <= PREVIEW_MAX
    assert "«s v1»" in first
    assert first.startswith("…")
    assert first.endswith("…")
    assert "\x1b" not in hits[1].preview
    assert "\t" not in hits[1].preview
    assert hits[1].preview.endswith("«g v1»")


def test_scan_sorts_hits_across_files_and_counts_files() -> None:
    result = scan([vs("s", STRIPE)], [("b.env", STRIPE), ("a.env", "x\n" + STRIPE)])
    assert [(h.path, h.line) for h in result.hits] == [("a.env", 2), ("b.env", 1)]
    assert result.files == 2


def test_reprs_never_show_the_secret() -> None:
    secret = vs("s", STRIPE)
    (hit,) = LeakScanner([secret]).scan_text("f", STRIPE)
    assert STRIPE not in repr(secret)
    assert STRIPE not in repr(hit)


def test_line_starts_and_locate() -> None:
    starts = line_starts("ab\n\ncd")
    assert starts == [0, 3, 4]
    assert [locate(starts, i) for i in (0, 1, 2, 3, 4, 5)] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (3, 1),
        (3, 2),
    ]


# Secrets from an alphabet without the marker's characters, so a preview cannot spell one by
# accident; filler from a wider alphabet (newlines, CR, non-ASCII) that may contain parts of them.
SECRET_CHARS = st.text(alphabet="abcAB01_-", min_size=MIN_SECRET_CHARS, max_size=20)
FILLER = st.text(alphabet="abcAB01_- =\n\r\té🔑", max_size=300)


def occurrences(text: str, needle: str) -> set[int]:
    found, at = set(), text.find(needle)
    while at != -1:
        found.add(at)
        at = text.find(needle, at + 1)
    return found


@settings(max_examples=300, deadline=None)
@given(
    secrets=st.lists(SECRET_CHARS, min_size=1, max_size=5, unique=True),
    pieces=st.lists(st.tuples(FILLER, st.integers(0, 4)), min_size=1, max_size=8),
)
def test_every_occurrence_found_once_and_no_preview_shows_a_secret(
    secrets: list[str], pieces: list[tuple[str, int]]
) -> None:
    text = "".join(filler + secrets[i % len(secrets)] for filler, i in pieces)
    vault = [vs(f"t{i}", s) for i, s in enumerate(secrets)]
    hits = LeakScanner(vault).scan_text("f", text)
    starts = line_starts(text)
    expected = sorted(
        (f"t{i}", *locate(starts, at)) for i, s in enumerate(secrets) for at in occurrences(text, s)
    )
    assert sorted((h.token_name, h.line, h.column) for h in hits) == expected
    for hit in hits:
        assert len(hit.preview) <= PREVIEW_MAX
        assert "\n" not in hit.preview
        assert "\r" not in hit.preview
        for secret in secrets:
            assert secret not in hit.preview


@pytest.mark.parametrize("size", [MIN_SECRET_CHARS, 40, 200])
def test_marker_kept_whole_when_clipped(size: int) -> None:
    secret = "Z" * size
    hits = LeakScanner([vs("n" * 10, secret)]).scan_text("f", "q" * 300 + secret + "r" * 300)
    assert hits[0].preview.count("«nnnnnnnnnn v1»") == 1
    assert len(hits[0].preview) <= PREVIEW_MAX


def test_many_hits_in_one_file_each_preview_redacts_its_neighbours() -> None:
    text = "".join(f"k{i}={STRIPE} {GITHUB}\n" for i in range(5000))
    hits = LeakScanner([vs("s", STRIPE), vs("g", GITHUB)]).scan_text("f", text)
    assert len(hits) == 10_000
    assert {h.preview.split("=", 1)[1] for h in hits} == {"«s v1» «g v1»"}
