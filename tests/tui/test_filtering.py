"""FilterIndex: reusing earlier results (narrowing, the recent cache) never changes what a
query selects — always exactly domain.query's rule applied to every row afresh."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenvault.domain.query import matches_terms, search_terms
from tokenvault.tui.filtering import RECENT_RESULTS, FilterIndex, implies, toggle_term


@dataclass(frozen=True)
class Row:
    haystack: str


# A small alphabet so that terms often match, with case and a casefold expansion (ß -> ss).
CHARS = "abcsS ß-\n"
haystacks = st.lists(st.text("abcsß-\n", max_size=12).map(str.casefold), max_size=40)


def brute_force(rows: list[Row], text: str) -> list[int]:
    terms = search_terms(text)
    return [i for i, row in enumerate(rows) if matches_terms(row.haystack, terms)]


@st.composite
def edits(draw: st.DrawFn) -> list[str]:
    """A session in the filter box: characters typed, deleted, the box cleared or replaced."""
    texts, text = [], ""
    for _ in range(draw(st.integers(1, 25))):
        action = draw(st.sampled_from(["type", "type", "type", "delete", "clear", "paste"]))
        if action == "type":
            text += draw(st.sampled_from(CHARS))
        elif action == "delete":
            text = text[:-1]
        elif action == "clear":
            text = ""
        else:
            text = draw(st.text(CHARS, max_size=6))
        texts.append(text)
    return texts


@settings(max_examples=300, deadline=None)
@given(haystacks, edits())
def test_narrowing_selects_what_a_fresh_selection_selects(hay: list[str], texts: list[str]) -> None:
    rows = [Row(h) for h in hay]
    index = FilterIndex(rows)
    for text in texts:
        assert index.select(text) == FilterIndex(rows).select(text) == brute_force(rows, text)


@settings(max_examples=100, deadline=None)
@given(haystacks, st.lists(st.text(CHARS, max_size=5), min_size=RECENT_RESULTS + 5))
def test_the_recent_cache_stays_bounded_and_right(hay: list[str], texts: list[str]) -> None:
    rows = [Row(h) for h in hay]
    index = FilterIndex(rows)
    for text in [*texts, *reversed(texts)]:
        assert index.select(text) == brute_force(rows, text)
    assert len(index._recent) <= RECENT_RESULTS


@given(st.lists(st.text("abs", min_size=1, max_size=4), max_size=3),
       st.lists(st.text("abs", min_size=1, max_size=4), max_size=3))  # fmt: skip
def test_implies_means_every_match_of_the_narrower_query_matches_the_wider(
    narrower: list[str], wider: list[str]
) -> None:
    if implies(tuple(narrower), tuple(wider)):
        for hay in ["".join(narrower), "\n".join(narrower)]:
            if matches_terms(hay, narrower):
                assert matches_terms(hay, wider)


def test_typing_narrows_and_deleting_restores() -> None:
    hay = ["stripe\nprod", "stripe\nstaging", "github\nprod", "Stripe".casefold()]
    rows = [Row(h) for h in hay]
    index = FilterIndex(rows)
    assert index.select("") == [0, 1, 2, 3]
    assert index.select("str") == [0, 1, 3]
    assert index.select("STRIPE p") == [0, 1, 3]  # the p of stripe
    assert index.select("STRIPE pr") == [0]
    assert index.select("stripe  prod ") == [0]
    assert index.select("prod") == [0, 2]
    assert index.select("str") == [0, 1, 3]
    assert index.select("   ") == [0, 1, 2, 3]
    assert index.select("nothing") == []
    assert len(index) == 4


def test_no_rows() -> None:
    index = FilterIndex([])
    assert index.select("") == []
    assert index.select("a") == []


def test_toggle_term_adds_at_the_end_and_removes_wherever_it_stands() -> None:
    assert toggle_term("", "is:exposed") == "is:exposed"
    assert toggle_term("stripe  prod", "is:exposed") == "stripe prod is:exposed"
    assert toggle_term("stripe is:exposed prod", "is:exposed") == "stripe prod"
    assert toggle_term("IS:Exposed", "is:exposed") == ""  # as the filter reads it
    assert toggle_term("is:exposedx", "is:exposed") == "is:exposedx is:exposed"
    assert toggle_term("is:exposed", "is:discovered") == "is:exposed is:discovered"
