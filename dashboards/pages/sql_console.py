"""The SQL console's examples, catalogue and runner (the page is `dashboards.pages.sql`)."""

from __future__ import annotations

from dashboards.store import reader
from tracker import queries, sqlconsole

SQL_MAX_ROWS = 5000
SQL_TIMEOUT = 10.0
#: Row cap of a SQL-console CSV download (the displayed grid stops at SQL_MAX_ROWS).
SQL_DOWNLOAD_ROWS = 1_000_000
#: Each reads the kept state, or one series of the history: milliseconds on any store.
EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "OECD forecast revisions",
        "SELECT * FROM revisions WHERE series_id = 'WLD.GDP.OECD_FCST'",
    ),
    (
        "World forecasts as of 1 May 2025",
        "SELECT * FROM asof(DATE '2025-05-01') WHERE series_id LIKE 'WLD%'",
    ),
    (
        "Latest China trade",
        "SELECT series_id, period, value, published_at\nFROM latest\n"
        "WHERE series_id LIKE 'CHN.%PORTS.YOY'\nORDER BY period DESC, series_id\nLIMIT 12",
    ),
    (
        "Catalogue with latest readings",
        "SELECT series_id, name, unit, last_period, last_value, change\nFROM series_summary",
    ),
    (
        "Releases with revisions",
        "SELECT release_id, published_at, source, title, rows_new, rows_revised\nFROM releases\n"
        "WHERE rows_revised > 0\nORDER BY published_at DESC",
    ),
)
DEFAULT_SQL = EXAMPLE_QUERIES[0][1]


def public_objects(path) -> tuple[list[dict], str | None]:
    """The public views and macros, and a series to filter the ones that read the history."""
    with reader(path) as con:
        return queries.public_objects(con), queries.most_revised_series(con)


def run_sql(path, sql: str, *, max_rows: int = SQL_MAX_ROWS, timeout: float = SQL_TIMEOUT):
    """Run console SQL through `tracker.sqlconsole` (read-only, contained, time-limited)."""
    return sqlconsole.run(path, sql, max_rows=max_rows, timeout=timeout)


def _usage(obj: dict) -> str:
    if obj["kind"] != "macro":
        return obj["name"]
    if obj["name"] == "asof":
        return "asof(DATE '2025-05-01')"
    return f"{obj['name']}({', '.join(obj['columns'])})"


def snippet(obj: dict, example: str | None) -> str:
    """The query a click on a view inserts: 100 rows; for a view that reads every version,
    the rows of one series (unfiltered, it would cost what the whole history costs)."""
    filtered = obj["history"] and (obj["kind"] == "view" or obj["name"] == "asof")
    where = ""
    if filtered and example:
        quoted = example.replace("'", "''")
        where = f" WHERE series_id = '{quoted}'"
    return f"SELECT * FROM {_usage(obj)}{where} LIMIT 100"
