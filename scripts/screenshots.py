"""Regenerate the screenshots in screenshots/ (the README shows main.svg) from the demo vault.

    python scripts/screenshots.py                 # all of them
    python scripts/screenshots.py findings        # only screenshots/findings.svg

writes screenshots/main.svg, due.svg, findings.svg, journal.svg and rotate.svg (or only the
ones named) at 120x34. It builds a fresh demo vault in a temporary directory with its history
ending at a fixed `now`, runs the app on it with that same fixed clock (`App.run_test`), and
writes each `export_screenshot()`.
The screens are the snapshot tests' scenarios (tests/tui/test_snapshots.py: the same clock,
unlock, masks and frozen cursor), so each file equals its snapshot — a test there says when
they part, i.e. when this needs running again — running it twice gives the same files, and
no screenshot shows what the secret checks have not seen. Run it from a checkout with the
test extras installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scenarios live in the tests package of this checkout

from tests.tui.test_snapshots import (  # noqa: E402 - needs the path above
    README_SCREENSHOTS,
    SCENARIOS,
    SCREENSHOTS,
    SIZE,
    Scenario,
    demo_app,
    demo_template,
)


async def shoot(template: Path, workdir: Path, scenario: Scenario, target: Path) -> Path:
    """Run `scenario` on a private copy of the demo vault; save the screen as `target`."""
    app = demo_app(template, workdir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await scenario(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        # simplified (runs of one style merged), as the snapshot plugin exports them
        target.write_text(app.export_screenshot(simplify=True), encoding="utf-8")
    return target


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(README_SCREENSHOTS))
    if unknown:
        known = ", ".join(README_SCREENSHOTS)
        print(f"no screenshot named {', '.join(unknown)} (known: {known})", file=sys.stderr)
        return 2
    wanted = {name: s for name, s in README_SCREENSHOTS.items() if not names or name in names}
    SCREENSHOTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tokenvault-screenshots-") as tmp:
        root = Path(tmp)
        template = demo_template(root / "demo")
        for name, scenario in wanted.items():
            workdir = root / name
            workdir.mkdir()
            saved = asyncio.run(
                shoot(template, workdir, SCENARIOS[scenario], SCREENSHOTS / f"{name}.svg")
            )
            print(saved.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
