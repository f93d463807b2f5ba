"""The Python API: ``tracker.open(path)`` and the `Store` it returns."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from tracker import append as appending
from tracker import db, formats, queries
from tracker.formats import RawRelease


class Store:
    """A tracker store on disk. Readers return Polars frames; every call opens the file briefly.

    Opening per call (≈30 ms) rather than holding a connection keeps the file free for other
    processes: DuckDB allows one writer per file, and a held connection locks others out.

    Examples
    --------
    >>> import tracker
    >>> store = tracker.open("data/tracker.duckdb")
    >>> store.series("WLD.GDP.OECD_FCST", as_of="2025-05-01")  # doctest: +SKIP
    """

    def __init__(self, path: str | Path | None = None):
        from tracker import paths

        self.path = Path(path) if path is not None else paths.default_db()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _read(self) -> duckdb.DuckDBPyConnection:
        return db.connect(self.path, read_only=True)

    def latest(self, series_id: str | None = None) -> pl.DataFrame:
        """The newest version of every observation (or one series')."""
        with self._read() as con:
            return queries.latest(con, series_id)

    def series(self, series_id: str, *, as_of: date | datetime | str | None = None) -> pl.DataFrame:
        """One series as now known, or as known at ``as_of``."""
        with self._read() as con:
            return queries.series(con, series_id, as_of=as_of)

    def vintages(self, series_id: str) -> pl.DataFrame:
        """Every version of every observation of a series."""
        with self._read() as con:
            return queries.vintages(con, series_id)

    def revisions(self, series_id: str | None = None) -> pl.DataFrame:
        """Values that changed between releases."""
        with self._read() as con:
            return queries.revisions(con, series_id)

    def releases(self) -> pl.DataFrame:
        """Every release, newest first."""
        with self._read() as con:
            return queries.releases(con)

    def summary(self, text: str | None = None) -> pl.DataFrame:
        """The catalogue with each series' latest reading."""
        with self._read() as con:
            return queries.summary(con, text)

    def query(self, sql: str, params: list | dict | None = None) -> pl.DataFrame:
        """Run read-only SQL against the store's tables and views."""
        from tracker import sqlconsole

        return sqlconsole.run(self.path, sql, params=params).frame

    def append(
        self,
        data: str | Path | pl.DataFrame,
        *,
        source: str | None = None,
        published: date | datetime | str | None = None,
        title: str | None = None,
        url: str | None = None,
        format: str | None = None,
        dry_run: bool = False,
    ) -> list[appending.AppendResult]:
        """Append a release file (any known format) or a frame of ``series_id, period, value``.

        Raises `tracker.errors.ValidationError` on bad rows; nothing is written then.
        """
        meta = appending.ReleaseMeta(
            source=source, published=appending.parse_published(published), title=title, url=url
        )
        if isinstance(data, pl.DataFrame):
            frame = data
            if "line" not in frame.columns:
                frame = frame.with_row_index("line", offset=1)
            raws = [(RawRelease(frame=formats.conform(frame), format="frame"), "frame")]
        else:
            path = Path(data)
            raws = [(raw, path.name) for raw in formats.read(path, format=format)]
        with appending.open_for_append(self.path) as con:
            return appending.append_releases(con, raws, meta, dry_run=dry_run)


def open(path: str | Path | None = None) -> Store:
    """Open a store (default ``$TRACKER_DB`` or ``data/tracker.duckdb``)."""
    return Store(path)
