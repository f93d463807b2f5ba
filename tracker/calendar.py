"""Release calendar: what is due, what is late, and the schedules publishers announce.

The rules live in SQL (``release_calendar_asof``): a schedule a publisher gives (``release_dates``:
FRED release dates from `tracker pull`, or a calendar file imported here), else the series' own
publication pattern kept with the store. This module reads that view and imports calendar files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from tracker.errors import ValidationError, problem


def upcoming(
    con: duckdb.DuckDBPyConnection, *, today: date, days: int = 14, everything: bool = False
) -> pl.DataFrame:
    """What is overdue and what is expected within ``days`` of ``today`` (or every series with
    ``everything``), overdue first, then by expected date."""
    return con.sql(
        """
        SELECT series_id, frequency, last_published_at, expected_on, basis, confidence,
               overdue, overdue_since, days_until, basis_detail
        FROM release_calendar_asof(CAST($today AS DATE))
        WHERE $everything OR overdue OR (expected_on IS NOT NULL AND days_until BETWEEN 0 AND $days)
        ORDER BY overdue DESC, expected_on NULLS LAST, series_id
        """,
        params={"today": today, "days": days, "everything": everything},
    ).pl()


def import_file(con: duckdb.DuckDBPyConnection, path: Path, *, source: str | None = None) -> int:
    """Import announced release dates from a CSV with columns ``series_id, expected_on`` and
    optionally ``release`` (its name). Returns the dates added; dates already known for a series
    are replaced. Every bad row is reported at once and nothing is imported."""
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        message = f"cannot be read as CSV: {exc}"
        raise ValidationError([problem(path.name, None, None, message)]) from None
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    missing = [c for c in ("series_id", "expected_on") if c not in frame.columns]
    if missing:
        raise ValidationError(
            [problem(path.name, 1, None, f"missing column(s) {', '.join(missing)} (a calendar "
                     "file has series_id, expected_on and optionally release)")]
        )  # fmt: skip
    if "release" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("release"))
    frame = frame.with_row_index("line", offset=2).with_columns(
        pl.col("series_id").str.strip_chars(),
        pl.col("expected_on").str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias("day"),
    )
    known = {r[0] for r in con.execute("SELECT series_id FROM series").fetchall()}
    problems = []
    for row in frame.iter_rows(named=True):
        if row["series_id"] not in known:
            problems.append(
                problem(path.name, row["line"], "series_id",
                        f"'{row['series_id']}' is not a known series (define it first, or check "
                        "the id with `tracker series`)")
            )  # fmt: skip
        if row["day"] is None:
            problems.append(
                problem(path.name, row["line"], "expected_on",
                        f"'{row['expected_on']}' is not a date (use YYYY-MM-DD)")
            )  # fmt: skip
    if problems:
        raise ValidationError(problems)
    rows = frame.select("series_id", "day", "release").unique(["series_id", "day"], keep="last")
    label = source or f"calendar file {path.name}"
    with_source = rows.with_columns(pl.lit(label).alias("source"))
    con.register("calendar_rows", with_source)
    try:
        con.execute(
            """
            INSERT OR REPLACE INTO release_dates
                (series_id, expected_on, source, release, fetched_at)
            SELECT series_id, day, source, release, current_localtimestamp()
            FROM calendar_rows
            """
        )
    finally:
        con.unregister("calendar_rows")
    return rows.height
