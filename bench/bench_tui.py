"""TUI listing benchmarks (not tests): what an operator waits for in the token table at 1k, 10k
and 100k tokens — the first frame after unlock, each keystroke in the filter box, memory.
With --write, replaces the "TUI" section of docs/benchmarks.md.

    python bench/bench_tui.py [--write] [--sizes 1000,10000,100000] [--repeat 3]

Vaults are built once by bench/_vaults.py through the real services (`tokens.add_many`, batches
of 10,000, Argon2 at the floor) and cached under the temp directory, one per size
(`tokenvault-bench-N`), so a re-run measures without rebuilding (100k tokens take about 90 s to
build). Each size is measured in fresh child processes, so each max RSS belongs to that size alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from _report import machine, write_section
from _vaults import build_vault, kdf_seconds, unlock
from textual import on
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input

from tokenvault.services.listing import token_rows
from tokenvault.tui.widgets.token_table import TokenTable

QUERIES = ("stripe prod billing", "pci terraform")  # typed char by char, then deleted
ONE_OFF = ("kdf", "unlock", "listing", "set_rows", "first_frame")


class BenchApp(App[None]):
    """A filter box over the table: the main screen's two widgets and its one wire between
    them, without the detail pane, header counts or services behind them."""

    def compose(self) -> ComposeResult:
        yield Input(id="filter")
        yield TokenTable()

    def on_mount(self) -> None:
        self.frames: list[float] = []  # perf_counter() at the end of each screen update
        self.filter_seconds: list[float] = []
        self.filtered_at = 0.0
        screen = self.screen
        compose = screen._compositor_refresh

        def timed_refresh() -> None:  # every frame the terminal would be sent
            compose()
            self.frames.append(time.perf_counter())

        screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        start = time.perf_counter()
        self.query_one(TokenTable).apply_filter(event.value)
        self.filtered_at = time.perf_counter()
        self.filter_seconds.append(self.filtered_at - start)

    def frame_after(self, moment: float) -> float | None:
        return next((t for t in self.frames if t > moment), None)


async def _frame(app: BenchApp, pilot: Pilot[None], after: float) -> float:
    """The time of the first frame drawn after `after` (forcing one, as the update timer
    would at most 1/MAX_FPS later)."""
    while (frame := app.frame_after(after)) is None:
        await pilot.pause()
    return frame


async def measure(n: int) -> dict[str, Any]:
    """One run at `n` tokens, in this process: timings in seconds, RSS in MiB."""
    argon = kdf_seconds()
    started = time.perf_counter()
    session = unlock(n)
    unlocked = time.perf_counter() - started
    app = BenchApp()
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            table = app.query_one(TokenTable)
            await pilot.pause()
            start = time.perf_counter()
            listing = token_rows(session)
            listed = time.perf_counter()
            table.set_rows(listing.rows)
            filled = time.perf_counter()
            first = await _frame(app, pilot, filled)
            assert table.visible_count == n
            assert table.render_line(1).text.strip()
            app.query_one("#filter", Input).focus()
            await pilot.pause()
            latencies = []
            for query in QUERIES:
                for key in [*query, *["backspace"] * len(query)]:
                    pressed = time.perf_counter()
                    await pilot.press(key)
                    assert app.filtered_at > pressed
                    latencies.append(await _frame(app, pilot, app.filtered_at) - pressed)
            assert table.visible_count == n
    finally:
        session.lock()
    return {
        "kdf": argon,
        "unlock": unlocked,
        "listing": listed - start,
        "set_rows": filled - listed,
        "first_frame": first - start,
        "keys": latencies,
        "filters": app.filter_seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def summarize(n: int, runs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over runs for the one-off timings; pooled keystrokes; the highest RSS."""
    keys = sorted(k for run in runs for k in run["keys"])
    filters = sorted(f for run in runs for f in run["filters"])
    out = {m: statistics.median(r[m] for r in runs) for m in ONE_OFF}
    beyond = statistics.median(r["unlock"] - r["kdf"] + r["first_frame"] for r in runs)
    return {
        "n": n,
        **out,
        "beyond_kdf": beyond,
        "key_p50": statistics.median(keys),
        "key_p95": _p95(keys),
        "key_max": keys[-1],
        "filter_p95": _p95(filters),
        "samples": len(keys),
        "runs": len(runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
    }


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(results: list[dict[str, float]], command: str) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:,.0f} ms"

    rows = "\n".join(
        f"| {r['n']:,.0f} | {ms(r['unlock'])} | {ms(r['listing'])} | {ms(r['set_rows'])} "
        f"| {ms(r['first_frame'])} | **{ms(r['beyond_kdf'])}** | {ms(r['key_p50'])} "
        f"| **{ms(r['key_p95'])}** | {ms(r['key_max'])} | {ms(r['filter_p95'])} "
        f"| **{r['rss_mb']:.0f} MB** |"
        for r in results
    )
    first = results[0]
    return (
        "## TUI\n\n"
        f"Machine: {machine()}. Measured {datetime.now(UTC):%Y-%m-%d}.\n"
        f"Command: `{command}`\n\n"
        "Targets (issue 4), at 100,000 tokens: first frame after unlock < 1.5 s beyond the KDF, "
        "filter + redraw p95 < 50 ms per keystroke, < 400 MB RSS.\n\n"
        "| tokens | unlock | listing | set_rows | first frame | unlock + first frame, KDF excluded "
        "| key p50 | key p95 | key max | filter alone p95 | max RSS |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n" + rows + "\n\n"
        "How it is measured. Each size runs in fresh processes (median of "
        f"{first['runs']:.0f} runs; keystrokes pooled), on a vault built through "
        "`tokens.add_many` (realistic names, services, owners, scopes, consumers and tags; 1% "
        "revoked; expiries and rotations spread around now) and cached between runs. *unlock* "
        "is `services.unlock` with Argon2id at the floor, KDF included (its median alone is "
        "subtracted in the bold column, the issue's target). The table is hosted in a minimal "
        "headless app (`App.run_test`, 120x34), not the real `TokenVaultApp`: a filter `Input` "
        "wired to `TokenTable.apply_filter` as on the main screen, without the detail pane, "
        "header counts and the service calls behind them. *first frame* runs from the "
        "unlocked session in hand: `services.listing.token_rows` (*listing*), "
        "`TokenTable.set_rows` (*set_rows*), then the first screen update with rows on it. "
        f"*key*: {first['samples'] / first['runs']:.0f} keystrokes per run (typing "
        + " and ".join(f"`{q}`" for q in QUERIES)
        + " and deleting each, char by char), each timed from `pilot.press` to the end of the "
        "first screen update after the filter ran; the update is forced at once, where a "
        "terminal app waits for the next frame tick (at most 1/60 s) and then writes it out. "
        "*filter alone* is `apply_filter` (`FilterIndex.select` plus the table's bookkeeping). "
        "*max RSS* is the process's peak (`getrusage`): Python, Textual and the open vault "
        "included.\n\n"
        "Where the time goes at 100,000 tokens (profiled apart from this script). *listing*: "
        "the SQLCipher read of the twelve listed columns about 0.25 s, turning them into "
        "values (timestamps through `parse_ts`, each distinct JSON list parsed once) about "
        "0.15 s, status, rotation date, deadline and filter text by the domain's own "
        "functions about 0.35 s, the frozen `TokenRow`s about 0.13 s, the sort 0.04 s; the "
        "cyclic garbage collector is paused meanwhile (it cost 40% more). *unlock* beyond the "
        "KDF is mostly the cached-checkpoint check recomputing the Merkle root over every "
        "journal leaf: 0.45 s at 100,000 entries when the leaves were read from the journal "
        "table, about 0.1 s since schema 2's covering index (seq, leaf). *key max* includes "
        "full garbage collection passes over the 100,000 rows (70-100 ms each); the real main "
        "screen calls `gc.freeze()` after a listing is loaded, which removes them (max 35-43 ms "
        "in a trial); this minimal host does not.\n" + verdict(results)
    )


def verdict(results: list[dict[str, float]]) -> str:
    """The targets, met or not, at the largest size measured (only 100,000 is judged)."""
    big = max(results, key=lambda r: r["n"])
    if big["n"] < 100_000:
        return ""
    checks = [
        ("first frame after unlock, KDF excluded", big["beyond_kdf"] * 1000, 1500, "ms"),
        ("keystroke p95", big["key_p95"] * 1000, 50, "ms"),
        ("max RSS", big["rss_mb"], 400, "MB"),
    ]
    said = "; ".join(
        f"{what} {value:,.0f} {unit} against {limit:,} {unit}: "
        + ("met" if value < limit else "**missed**")
        for what, value, limit, unit in checks
    )
    return (
        f"\nAt 100,000 tokens: {said}. (Counted from the unlocked session in hand instead, "
        f"the first frame takes {big['first_frame'] * 1000:,.0f} ms.)\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child))))
        return 0
    results = []
    for n in (int(size) for size in args.sizes.split(",")):
        build_vault(n)
        child = [sys.executable, __file__, "--child", str(n)]
        runs = [
            json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
            for _ in range(args.repeat)
        ]
        results.append(summarize(n, runs))
    command = f"python bench/bench_tui.py --write --sizes {args.sizes} --repeat {args.repeat}"
    text = report(results, command)
    print(text)
    if args.write:
        write_section("TUI", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
