"""Readers over the analytics views and macros, returning Polars frames.

Every derived number (transforms, rebasing, aggregation, trends, forecast evolution, policy regimes,
revision statistics) is computed in SQL (``sql/views/4x..5x``), so the CLI, the dashboard and a user
in any DuckDB client get the same figure. This module binds arguments, orders rows and turns the SQL
guards' errors into `TransformError`.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from tracker import db, periods, queries
from tracker.errors import PeriodError, TrackerError, TransformError
from tracker.vocab import TRANSFORM_CODES, UNIT_KINDS

Moment = date | datetime | str


class ChecksFailed(TrackerError):
    """One or more data checks in ``sql/checks/`` returned offending rows."""


def allowed_transforms(
    con: duckdb.DuckDBPyConnection,
    unit_kind: str,
    *,
    series_id: str | None = None,
    unit: str | None = None,
) -> dict[str, str | None]:
    """Which transforms apply to a series of ``unit_kind``: code -> None, or the reason it is refused.

    The keys are `tracker.vocab.TRANSFORM_CODES` plus ``"rebase"`` (for `rebased`). The rule and
    the text are the SQL macro ``transform_refusal``'s, asked for every code in one query:
    percent changes, logs and rebasing of a rate, growth rate or share are refused; levels and
    indices allow everything.

    Parameters
    ----------
    con
        A connection to a store (the macro).
    unit_kind
        The series' ``unit_kind``.
    series_id, unit
        Name the series and its unit in the reason, exactly as the SQL error does
        (default: "this series", no unit).

    Examples
    --------
    >>> allowed_transforms(con, "growth_yoy", series_id="CHN.EXPORTS.YOY", unit="% y/y")["pc1"]  # doctest: +SKIP
    'pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate (% y/y); use ch1 for the change in percentage points'
    """  # noqa: E501
    if unit_kind not in UNIT_KINDS:
        raise TransformError(
            f"unknown unit_kind '{unit_kind}' (use one of {', '.join(UNIT_KINDS)})"
        )
    rows = con.execute(
        """
        SELECT c.code, transform_refusal(c.code, $series_id, $unit_kind, $unit)
        FROM unnest($codes) WITH ORDINALITY AS c(code, position)
        ORDER BY c.position
        """,
        {
            "codes": [*TRANSFORM_CODES, "rebase"],
            "series_id": series_id,
            "unit_kind": unit_kind,
            "unit": unit,
        },
    ).fetchall()
    return dict(rows)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pl.DataFrame:
    """Run an analytics query; a guard's SQL error becomes a `TransformError` with its text."""
    try:
        return con.sql(sql, params=params).pl()
    except duckdb.InvalidInputException as exc:
        # The SQL guards (DuckDB's error() function) arrive as InvalidInputException.
        raise TransformError(db.error_text(exc)) from None


def _moment(as_of: Moment | None) -> datetime | None:
    return None if as_of is None else queries._ts(as_of)


def _base_span(base_period: Moment, frequency: str) -> tuple[date, date]:
    """(first, last) day of a base period given as a period code or a date."""
    if isinstance(base_period, datetime):
        return base_period.date(), base_period.date()
    if isinstance(base_period, date):
        return base_period, base_period
    try:
        kind, start, end = periods.parse(base_period)
    except PeriodError as exc:
        raise TransformError(f"base period {exc.message}") from None
    if kind == "date" and frequency not in ("D", "irregular"):
        # An ISO date names the observation that contains it.
        return start, start
    return start, end


def transformed(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    code: str,
    *,
    as_of: Moment | None = None,
    frequency: str | None = None,
    method: str = "avg",
) -> pl.DataFrame:
    """A series through a FRED units transform (``lin, chg, ch1, pch, pc1, pca, cch, cca, log``).

    The as-of cut comes first; with ``frequency`` the series is aggregated (``method``) before
    it is transformed. Columns: ``series_id, period, period_end, value, unit``.

    Raises
    ------
    TransformError
        Unknown code, or a percent change of a rate/growth rate/share (the SQL guard's message).
    """
    queries.require_series(con, series_id)
    return _run(
        con,
        """
        SELECT * FROM transformed($id, $code, as_of := $as_of, frequency := $frequency,
                                  method := $method)
        ORDER BY period
        """,
        {
            "id": series_id,
            "code": code,
            "as_of": _moment(as_of),
            "frequency": frequency,
            "method": method,
        },
    )


def rebased(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    base_period: Moment,
    *,
    as_of: Moment | None = None,
    frequency: str | None = None,
    method: str = "avg",
) -> pl.DataFrame:
    """A series as an index = 100 in ``base_period``.

    ``base_period`` is a period code (``2020``, ``2020-Q1``, ``2020-01``: a coarser period than the
    series' makes its average 100) or a date (the observation containing it).
    Columns: ``series_id, period, period_end, value, unit``.
    """
    meta = queries.require_series(con, series_id)
    first, last = _base_span(base_period, frequency or meta["frequency"])
    return _run(
        con,
        """
        SELECT * FROM rebased($id, $first, base_end := $last, as_of := $as_of,
                              frequency := $frequency, method := $method)
        ORDER BY period
        """,
        {
            "id": series_id,
            "first": first,
            "last": last,
            "as_of": _moment(as_of),
            "frequency": frequency,
            "method": method,
        },
    )


def aggregated(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    frequency: str,
    method: str = "avg",
    *,
    as_of: Moment | None = None,
) -> pl.DataFrame:
    """A series at a lower frequency (``S``, ``Q``, ``A``) by ``avg``, ``sum`` or ``eop``.

    A target period missing any sub-period has value NULL (FRED's coverage rule).
    Columns: ``series_id, period, period_end, value, unit, frequency, covered, expected``.
    """
    queries.require_series(con, series_id)
    return _run(
        con,
        "SELECT * FROM aggregated($id, $frequency, $method, as_of := $as_of) ORDER BY period",
        {"id": series_id, "frequency": frequency, "method": method, "as_of": _moment(as_of)},
    )


def trends(con: duckdb.DuckDBPyConnection, *, as_of: Moment | None = None) -> pl.DataFrame:
    """One row per actual and policy series: latest value, changes, means, slope, streak, headline.

    ``as_of`` reads `trends_asof` (the trends as they looked on that date) instead of `trends`.
    """
    if as_of is None:
        return con.sql("SELECT * FROM trends ORDER BY series_id").pl()
    return con.sql(
        "SELECT * FROM trends_asof($ts) ORDER BY series_id", params={"ts": _moment(as_of)}
    ).pl()


def forecast_evolution(
    con: duckdb.DuckDBPyConnection, series_id: str | None = None
) -> pl.DataFrame:
    """Each forecast by target period and release, with revisions and (once known) the error."""
    order = "ORDER BY series_id, target_period, release_id"
    if series_id is None:
        return con.sql(f"SELECT * FROM forecast_evolution {order}").pl()
    queries.require_series(con, series_id)
    return con.sql(
        f"SELECT * FROM forecast_evolution WHERE series_id = $id {order}",
        params={"id": series_id},
    ).pl()


def regimes(
    con: duckdb.DuckDBPyConnection,
    series_id: str | None = None,
    *,
    as_of: Moment | None = None,
) -> pl.DataFrame:
    """Policy levels with the dates they were in force (``effective_to`` NULL while in force)."""
    if series_id is not None:
        queries.require_series(con, series_id)
    return con.sql(
        """
        SELECT * FROM regimes_asof($ts)
        WHERE $id IS NULL OR series_id = $id
        ORDER BY series_id, effective_from
        """,
        params={"ts": _moment(as_of), "id": series_id},
    ).pl()


def revision_stats(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per series: revised periods, revision count, mean (absolute) revision, first vs latest."""
    return con.sql("SELECT * FROM revision_stats ORDER BY series_id").pl()


def revision_triangle(con: duckdb.DuckDBPyConnection, series_id: str) -> pl.DataFrame:
    """Every period's value as known after each release of the series (long, for a heatmap)."""
    queries.require_series(con, series_id)
    return con.sql(
        "SELECT * FROM revision_triangle WHERE series_id = $id ORDER BY period, release_id",
        params={"id": series_id},
    ).pl()


def run_checks(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Run the data checks in ``sql/checks/``: check name -> offending rows (empty = pass)."""
    return db.run_checks(con)
