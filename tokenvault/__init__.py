"""tokenvault: a team vault for API tokens with a signed, append-only journal."""

from __future__ import annotations

__version__ = "0.1.0"
