"""`python -m tokenvault` runs the command line."""

from __future__ import annotations

from tokenvault.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
