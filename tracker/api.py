"""The Python API: ``tracker.open(path)`` and the `Store` it returns."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from tracker import analytics, queries, snapshots
from tracker import append as appending
from tracker import compact as compacting
from tracker.formats import Source


class Store:
    """A tracker store on disk. Readers return Polars frames; every call opens the file briefly.

    Opening per call (≈30 ms) rather than holding a connection keeps the file free for other
    processes: DuckDB allows one writer per file, and a held connection locks others out. While
    `tracker serve` runs on the store, reads go to its snapshot instead (`tracker.snapshots`).

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

    def _read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return snapshots.reader(self.path)

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
        data: appending.Release | bytes | list[appending.Release],
        *,
        name: str | None = None,
        source: str | None = None,
        published: date | datetime | str | None = None,
        title: str | None = None,
        url: str | None = None,
        format: str | None = None,
        alfred_output: str | None = None,
        sheet: str | None = None,
        mapping: Mapping[str, str] | str | Path | None = None,
        dry_run: bool = False,
    ) -> list[appending.AppendResult]:
        """Append release files (any known format) or frames of ``series_id, period, value``.

        Everything given is appended in one transaction, as by ``tracker append``.

        Parameters
        ----------
        data
            A path, the file's bytes (with ``name``), a binary file object, a
            `tracker.formats.Source`, a Polars frame, or a list of them.
        name
            The file name of ``data`` given as bytes, used in messages (``may.csv:3: …``) and
            recorded on the release.
        source, published, title, url
            Release metadata, as ``--source`` etc.: they override what the file says.
        format
            A format name instead of sniffing the content (``tracker append --format``).
        alfred_output
            ``"all"`` or ``"changes"``: which ALFRED download a vintage-wide file is when its
            README does not say (``tracker append --alfred-output``).
        sheet
            The sheet of an Excel workbook to read (default: its first; ``--sheet``).
        mapping
            Series ids to rename, ``{"RATE": "USA.YIELD.10Y"}`` (``--map``), or a mapping file,
            CSV ``from,to`` or TOML (``--mapping``).
        dry_run
            Compute the diff (``AppendResult.changes``) but write nothing.

        Raises
        ------
        tracker.errors.ValidationError
            Bad rows, one line per problem; nothing is written then.
        """
        if isinstance(data, bytes | bytearray):
            if not name:
                raise TypeError("give name= with bytes: the file name messages use")
            data = Source(name, data=bytes(data))
        if isinstance(mapping, str | Path):
            from tracker.formats.mapping import load_mapping

            mapping = load_mapping(Path(mapping))
        meta = appending.ReleaseMeta(
            source=source, published=appending.parse_published(published), title=title, url=url
        )
        return appending.append(
            self.path,
            data,
            meta=meta,
            mapping=mapping,
            format=format,
            alfred_output=alfred_output,
            sheet=sheet,
            dry_run=dry_run,
        )

    def compact(self, *, dry_run: bool = False) -> compacting.CompactResult:
        """Rewrite the observations in (series_id, period, release_id) order (one transaction).

        Every row and release id is kept; one-series questions then read one place of the file.
        Does nothing when the rows are already in order; ``dry_run`` only checks the order.
        """
        return compacting.compact(self.path, dry_run=dry_run)

    # Analytics: the same readers as tracker.analytics, over the SQL views and macros.

    def transformed(
        self,
        series_id: str,
        code: str,
        *,
        as_of: date | datetime | str | None = None,
        frequency: str | None = None,
        method: str = "avg",
    ) -> pl.DataFrame:
        """A series through a FRED units transform (lin, chg, ch1, pch, pc1, pca, cch, cca, log).

        Raises `tracker.errors.TransformError` for a refused transform (e.g. pc1 of a growth rate).
        """
        with self._read() as con:
            return analytics.transformed(
                con, series_id, code, as_of=as_of, frequency=frequency, method=method
            )

    def rebased(
        self,
        series_id: str,
        base_period: date | datetime | str,
        *,
        as_of: date | datetime | str | None = None,
        frequency: str | None = None,
        method: str = "avg",
    ) -> pl.DataFrame:
        """A series as an index = 100 in ``base_period`` (a period code such as 2020, or a date)."""
        with self._read() as con:
            return analytics.rebased(
                con, series_id, base_period, as_of=as_of, frequency=frequency, method=method
            )

    def aggregated(
        self,
        series_id: str,
        frequency: str,
        method: str = "avg",
        *,
        as_of: date | datetime | str | None = None,
    ) -> pl.DataFrame:
        """A series at a lower frequency; periods missing a sub-period have value NULL."""
        with self._read() as con:
            return analytics.aggregated(con, series_id, frequency, method, as_of=as_of)

    def trends(self, *, as_of: date | datetime | str | None = None) -> pl.DataFrame:
        """Per series: latest value, changes, rolling means, slope, streak and a headline."""
        with self._read() as con:
            return analytics.trends(con, as_of=as_of)

    def forecast_evolution(self, series_id: str | None = None) -> pl.DataFrame:
        """Each forecast by target period and release, with its revision and forecast error."""
        with self._read() as con:
            return analytics.forecast_evolution(con, series_id)

    def regimes(
        self, series_id: str | None = None, *, as_of: date | datetime | str | None = None
    ) -> pl.DataFrame:
        """Policy levels with the dates they were in force (effective_to NULL while in force)."""
        with self._read() as con:
            return analytics.regimes(con, series_id, as_of=as_of)

    def revision_stats(self) -> pl.DataFrame:
        """Per series: how often and how much its values were revised."""
        with self._read() as con:
            return analytics.revision_stats(con)

    def revision_triangle(self, series_id: str) -> pl.DataFrame:
        """Every period's value as known after each release of the series."""
        with self._read() as con:
            return analytics.revision_triangle(con, series_id)

    def run_checks(self) -> dict[str, pl.DataFrame]:
        """Run the data checks in sql/checks/: name -> offending rows (empty = pass)."""
        with self._read() as con:
            return analytics.run_checks(con)


def open(path: str | Path | None = None) -> Store:
    """Open a store (default ``$TRACKER_DB`` or ``data/tracker.duckdb``)."""
    return Store(path)
