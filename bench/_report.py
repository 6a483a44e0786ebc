"""Shared by the benchmark scripts: the machine line and writing one section of
docs/benchmarks.md (each script owns the section under its heading)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).parent.parent
HEAD = (
    "# Benchmarks\n\nNumbers come from the scripts in `bench/`, never from timed unit tests."
    " Each section names the machine and the command that produced it.\n\n"
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )


def write_section(heading: str, section: str) -> None:
    """Replace the `## heading` section (or append it) in docs/benchmarks.md."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else HEAD
    start = text.find(f"## {heading}\n")
    if start == -1:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text)
