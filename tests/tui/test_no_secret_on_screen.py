"""No stored snapshot and no exported screen shows a secret, unless it is being revealed.

The screen is read back from Textual's SVG as lines of text (`screen_lines`) and searched for
every demo secret (`demo_secret(row, v)`, v = 1..4, for every DEMO_TOKENS row) and for the
secret pasted into the rotate modal. A secret leaks when any 12 characters of its random part
are on one line: that also catches one folded over two lines or cut short with an ellipsis.
The reveal state (`v` on a token) must show exactly one secret, the token's current one,
whole — so the check is seen to find a secret when there is one to find.

The screen states are test_snapshots.py's scenarios, on the same demo vault.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.tui.test_snapshots import (
    REVEALED,
    ROTATE_TYPED,
    SCENARIOS,
    SIZE,
    SNAPSHOTS,
    Scenario,
    demo_app,
    demo_template,
)
from tokenvault.domain.model import Secret
from tokenvault.services.demo import DEMO_TOKENS, demo_secret, discovered_secret
from tokenvault.tui.app import TokenVaultApp

REVEAL = "reveal_state"  # the one scenario that shows a secret
_TEXT = re.compile(
    r'<text\b[^>]*?\bx="(?P<x>[\d.]+)"[^>]*?'
    r'clip-path="url\(#terminal-(?:\d+-)?line-(?P<line>\d+)\)"[^>]*>(?P<text>.*?)</text>',
    re.DOTALL,
)
CELL_WIDTH = 12.2  # Rich's export_svg: 0.61 x the 20 px font


def screen_lines(svg: str) -> list[str]:
    """The terminal's text, line by line (blank ones included), as drawn in the SVG."""
    cells: dict[int, dict[int, str]] = {}
    for match in _TEXT.finditer(svg):
        line = cells.setdefault(int(match["line"]), {})
        column = round(float(match["x"]) / CELL_WIDTH)
        for char in html.unescape(match["text"]).replace("\xa0", " ").rstrip("\n"):
            line[column] = char
            column += max(1, cell_len(char))
    rows = [cells.get(y, {}) for y in range(max(cells, default=-1) + 1)]
    return ["".join(row.get(x, " ") for x in range(max(row, default=-1) + 1)) for row in rows]


class Known:
    """A secret the screens must not show, and how to tell it is there."""

    def __init__(self, label: str, secret: Secret) -> None:
        self.label = label
        self.text = secret.expose_text()
        random_part = self.text[-32:]  # demo_secret: a readable prefix, then 32 hex digits
        self.fragments = [random_part[i : i + 12] for i in range(len(random_part) - 11)]

    def leaked(self, lines: list[str]) -> bool:
        """Any 12 characters of the random part on one line: whole, folded or clipped."""
        return any(fragment in line for line in lines for fragment in self.fragments)

    def shown_whole(self, lines: list[str]) -> bool:
        """The whole secret readable: on one line, or folded by a left-aligned widget (the
        line ends with its head, the next line goes on with its tail at the same column)."""
        if any(self.text in line for line in lines):
            return True
        for above, below in itertools.pairwise(lines):
            for cut in range(1, len(self.text)):
                head, tail = self.text[:cut], self.text[cut:]
                column = above.find(head)
                while column >= 0:
                    if above[column:].rstrip() == head and below[column:].startswith(tail):
                        return True
                    column = above.find(head, column + 1)
        return False


CURRENT = {row.name: 1 + sum(act.kind == "rotate" for act in row.acts) for row in DEMO_TOKENS}
REVEALED_LABEL = f"{REVEALED} v{CURRENT[REVEALED]}"
KNOWN = [
    *(Known(f"{row.name} v{v}", demo_secret(row, v)) for row in DEMO_TOKENS for v in (1, 2, 3, 4)),
    Known("the secret pasted into the rotate modal", Secret(ROTATE_TYPED)),
    Known("the discovered token's secret", discovered_secret()),
]


def leaks(lines: list[str]) -> list[str]:
    return [known.label for known in KNOWN if known.leaked(lines)]


def check_screen(scenario: str, lines: list[str]) -> None:
    """No secret at all; in the reveal state, the revealed token's current one, whole."""
    shown = "\n".join(lines)
    assert shown.strip(), f"{scenario}: no text found in the SVG"
    if scenario == REVEAL:
        assert leaks(lines) == [REVEALED_LABEL], shown
        current = next(known for known in KNOWN if known.label == REVEALED_LABEL)
        assert current.shown_whole(lines), shown
    else:
        assert leaks(lines) == [], shown


@pytest.fixture(scope="session")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_template(tmp_path_factory.getbasetemp() / "demo")  # shared: built once


@pytest.fixture
def app(demo_vault: Path, tmp_path: Path) -> TokenVaultApp:
    return demo_app(demo_vault, tmp_path)


def test_the_check_finds_whole_folded_and_clipped_secrets() -> None:
    known = KNOWN[0]
    secret = known.text
    assert known.shown_whole([f"  {secret}  "])
    assert known.shown_whole([f"x │ {secret[:30]}", f"y │ {secret[30:]}", ""])
    assert not known.shown_whole([f"x │ {secret[:30]}", f"y  │ {secret[30:]}"])
    assert known.leaked([f"{secret[:25]}…"])
    assert not known.leaked([secret[:18], "•" * len(secret)])  # the prefix is no secret
    assert leaks([ROTATE_TYPED]) == ["the secret pasted into the rotate modal"]


def test_no_snapshot_shows_a_secret() -> None:
    """Every stored snapshot, as committed; the reveal one holds the current secret."""
    stored = {path.stem.removeprefix("test_"): path for path in SNAPSHOTS.glob("*.svg")}
    assert set(stored) >= set(SCENARIOS), f"missing snapshots in {SNAPSHOTS}"
    for scenario, path in sorted(stored.items()):
        check_screen(scenario, screen_lines(path.read_text(encoding="utf-8")))


def exported(app: TokenVaultApp, scenario: Scenario) -> str:
    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await scenario(pilot)
            await pilot.pause()
            return app.export_screenshot()

    return asyncio.run(run())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_exported_screen_shows_a_secret(app: TokenVaultApp, scenario: str) -> None:
    check_screen(scenario, screen_lines(exported(app, SCENARIOS[scenario])))
