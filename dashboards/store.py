"""The store a request reads: its path, and a read-only cursor for the request.

Under `tracker serve` the cursor reads the newest snapshot of the store (`tracker.snapshots`),
otherwise a read-only connection opened for the call and closed before it returns. Either way
the dashboard never holds the store's lock between requests, so `tracker append` in another
terminal is never locked out. What is read comes from `tracker.queries`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tracker import paths, snapshots


def store_path() -> Path:
    """The store of the running app (``create_app(db_path)`` or ``$TRACKER_DB``), per request."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("TRACKER_DB"):
        return Path(current_app.config["TRACKER_DB"])
    return paths.default_db()


@contextmanager
def reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor for one request, with Python replacement scans off (a missing view
    must be an error, not a Python variable of the same name picked up by DuckDB).

    Under `tracker serve` it reads the newest snapshot through one connection per process
    (`tracker.snapshots.reader`), so the dashboard never holds the lock `tracker append` needs;
    otherwise it opens the store read-only for the request and closes it.
    """
    with snapshots.reader(Path(path)) as con:
        yield con
