"""tracker: economic indicators with every release kept, replayable as known on any date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.api import Store, open

__all__ = ["Store", "TrackerError", "open"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The API imports Polars, DuckDB and every format: loaded on first use, so that the CLI
    # (`import tracker.cli`) and the dashboard do not pay for it.
    if name in ("Store", "open"):
        from tracker import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "Store", "open"])
