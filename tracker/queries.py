"""Typed readers over the public views, returning Polars frames.

Every reader takes an open connection; `tracker.api.Store` opens and closes them for you.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from tracker.errors import QueryError, SeriesError

Moment = date | datetime | str


def _ts(value: Moment) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(
            f"error: '{value}' is not a date (use YYYY-MM-DD, e.g. --as-of 2025-06-01)"
        ) from None


def require_series(con: duckdb.DuckDBPyConnection, series_id: str) -> dict:
    """The catalogue row of ``series_id``, or a `SeriesError` that suggests close ids."""
    rel = con.sql("SELECT * FROM series WHERE series_id = $id", params={"id": series_id})
    rows = rel.pl().to_dicts()
    if rows:
        return rows[0]
    close = (
        con.sql(
            """
        SELECT series_id FROM series
        ORDER BY jaro_winkler_similarity(lower(series_id), lower($id)) DESC LIMIT 3
        """,
            params={"id": series_id},
        )
        .pl()["series_id"]
        .to_list()
    )
    hint = f" (did you mean {', '.join(close)}? `tracker series` lists them)" if close else ""
    raise SeriesError(f"error: unknown series '{series_id}'{hint}")


def latest(con: duckdb.DuckDBPyConnection, series_id: str | None = None) -> pl.DataFrame:
    """The newest version of every observation (or of one series), by series and period."""
    if series_id is None:
        return con.sql("SELECT * FROM latest ORDER BY series_id, period").pl()
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM latest WHERE series_id = $id ORDER BY period", params={"id": series_id}
    ).pl()


def series(
    con: duckdb.DuckDBPyConnection, series_id: str, *, as_of: Moment | None = None
) -> pl.DataFrame:
    """One series as now known, or as known at ``as_of`` (a date means that whole day)."""
    require_series(con, series_id)
    if as_of is None:
        return latest(con, series_id)
    return con.sql(
        "SELECT * FROM asof($ts) WHERE series_id = $id ORDER BY period",
        params={"ts": _ts(as_of), "id": series_id},
    ).pl()


def vintages(con: duckdb.DuckDBPyConnection, series_id: str) -> pl.DataFrame:
    """Every version of every observation of a series, oldest release first."""
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM vintages WHERE series_id = $id ORDER BY period, release_id",
        params={"id": series_id},
    ).pl()


def revisions(con: duckdb.DuckDBPyConnection, series_id: str | None = None) -> pl.DataFrame:
    """Values that changed between releases (all series, or one)."""
    if series_id is None:
        return con.sql("SELECT * FROM revisions ORDER BY series_id, period, release_id").pl()
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM revisions WHERE series_id = $id ORDER BY period, release_id",
        params={"id": series_id},
    ).pl()


def releases(con: duckdb.DuckDBPyConnection, *, limit: int | None = None) -> pl.DataFrame:
    """The releases, newest first, with their retraction (when, by whom, why) if any."""
    sql = """
        SELECT r.*, x.retracted_at, x.retracted_by, x.reason AS retraction_reason
        FROM releases AS r LEFT JOIN retractions AS x USING (release_id)
        ORDER BY r.published_at DESC, r.release_id DESC
    """
    if limit is not None:
        return con.sql(sql + " LIMIT $n", params={"n": limit}).pl()
    return con.sql(sql).pl()


def summary(con: duckdb.DuckDBPyConnection, text: str | None = None) -> pl.DataFrame:
    """The catalogue with latest readings; ``text`` filters on id, name, geo, source, tags."""
    if not text:
        return con.sql("SELECT * FROM series_summary ORDER BY series_id").pl()
    return con.sql(
        """
        SELECT * FROM series_summary
        WHERE concat_ws(' ', series_id, name, geo, source, description, array_to_string(tags, ' '))
              ILIKE '%' || $text || '%'
        ORDER BY series_id
        """,
        params={"text": text},
    ).pl()


def period_codes(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.Series:
    """The period code (``2025-05``, ``2024-01/02``, ``2025-Q2``) of each row of a frame with
    ``series_id``, ``frequency`` and a period column (its first column after those two) as the
    ``period_code`` macro writes it, spans included (their end comes from the kept state)."""
    column = next(c for c in frame.columns if c not in ("series_id", "frequency"))
    rows = frame.select("series_id", "frequency", pl.col(column).alias("period")).with_row_index()
    con.register("coded_rows", rows)
    try:
        return con.sql(
            """
            SELECT CASE WHEN r.period IS NOT NULL
                        THEN period_code(r.frequency, r.period, o.period_end) END AS code
            FROM coded_rows AS r
            LEFT JOIN current_observations AS o
                ON o.series_id = r.series_id AND o.period = r.period
            ORDER BY r.index
            """
        ).pl()["code"]
    finally:
        con.unregister("coded_rows")


def events(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The event annotations, oldest first."""
    return con.sql("SELECT * FROM events ORDER BY starts_on, event_id").pl()
