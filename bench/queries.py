"""The as-of and latest questions, asked four ways: the shipped views, hand-written DuckDB SQL
(several forms; the fastest counts as "best"), and pandas as fredapi users write it.

Every way returns the same rows — series_id, period, period_end, value, status, release_id,
published_at; deletions removed; ordered by series_id, period — and `digest` proves it.
"""

from __future__ import annotations

import polars as pl

#: Question -> the SQL tracker's own readers (tracker/queries.py) run over the shipped views.
VIEWS = {
    "latest_all": "SELECT * FROM latest ORDER BY series_id, period",
    "latest_one": "SELECT * FROM latest WHERE series_id = $id ORDER BY period",
    "asof_all": "SELECT * FROM asof($ts) ORDER BY series_id, period",
    "asof_one": "SELECT * FROM asof($ts) WHERE series_id = $id ORDER BY period",
}

QUESTIONS = tuple(VIEWS)

_COLUMNS = "series_id, period, period_end, value, status, release_id, published_at"

# {where} is the filter on observations `o`: nothing, the releases known at $ts, one series, or
# both. Release ids grow with publication within a series, so "newest" is max(release_id).
_HAND = {
    # One arg_max per column (arg_max_null keeps the NULL value of a deletion).
    "arg_max per column": """
        WITH newest AS (
            SELECT o.series_id, o.period,
                   arg_max(o.period_end, o.release_id) AS period_end,
                   arg_max_null(o.value, o.release_id) AS value,
                   arg_max(o.status, o.release_id) AS status,
                   max(o.release_id) AS release_id
            FROM observations AS o {where}
            GROUP BY o.series_id, o.period
        )
        SELECT n.series_id, n.period, n.period_end, n.value, n.status, n.release_id,
               r.published_at
        FROM newest AS n JOIN releases AS r USING (release_id)
        WHERE n.status <> 'deleted'
        ORDER BY n.series_id, n.period
    """,
    # Window function: the textbook form.
    "row_number": """
        WITH newest AS (
            SELECT o.series_id, o.period, o.period_end, o.value, o.status, o.release_id
            FROM observations AS o {where}
            QUALIFY row_number() OVER (
                PARTITION BY o.series_id, o.period ORDER BY o.release_id DESC) = 1
        )
        SELECT n.series_id, n.period, n.period_end, n.value, n.status, n.release_id,
               r.published_at
        FROM newest AS n JOIN releases AS r USING (release_id)
        WHERE n.status <> 'deleted'
        ORDER BY n.series_id, n.period
    """,
    # Newest release id per key, then the row itself by a join (two scans, no wide aggregate).
    "max + join back": """
        WITH newest AS (
            SELECT o.series_id, o.period, max(o.release_id) AS release_id
            FROM observations AS o {where}
            GROUP BY o.series_id, o.period
        )
        SELECT o.series_id, o.period, o.period_end, o.value, o.status, o.release_id,
               r.published_at
        FROM observations AS o
        JOIN newest AS n USING (series_id, period, release_id)
        JOIN releases AS r USING (release_id)
        WHERE o.status <> 'deleted' {and_series}
        ORDER BY o.series_id, o.period
    """,
}

_KNOWN = "o.release_id IN (SELECT release_id FROM releases WHERE published_at <= $ts)"
_ONE = "o.series_id = $id"


def hand_written(question: str) -> dict[str, str]:
    """Hand-written SQL for ``question``, by name."""
    filters = []
    if question.startswith("asof"):
        filters.append(_KNOWN)
    if question.endswith("one"):
        filters.append(_ONE)
    where = ("WHERE " + " AND ".join(filters)) if filters else ""
    and_series = f"AND {_ONE}" if question.endswith("one") else ""
    return {
        name: sql.format(where=where, and_series=and_series).strip() for name, sql in _HAND.items()
    }


def variants(question: str) -> dict[str, str]:
    """The shipped view first, then every hand-written form."""
    return {"view": VIEWS[question], **hand_written(question)}


def params(question: str, *, ts, series_id: str) -> dict:
    """Bound values for ``question`` (only those its SQL names)."""
    out = {}
    if question.startswith("asof"):
        out["ts"] = ts
    if question.endswith("one"):
        out["id"] = series_id
    return out


def digest(frame: pl.DataFrame) -> list:
    """What two answers must share: rows, value sum, release-id sum, first and last key."""
    if frame.is_empty():
        return [0, 0.0, 0, None, None]
    first = frame.row(0, named=True)
    last = frame.row(-1, named=True)
    return [
        frame.height,
        round(float(frame["value"].fill_null(0).sum()), 2),
        int(frame["release_id"].sum()),
        f"{first['series_id']} {str(first['period'])[:10]}",
        f"{last['series_id']} {str(last['period'])[:10]}",
    ]


# pandas, as fredapi users write it ------------------------------------------------------------

LOAD_SQL = """
SELECT o.series_id, o.period, o.period_end, o.value, o.status, o.release_id, r.published_at
FROM observations AS o JOIN releases AS r USING (release_id)
"""


def pandas_answer(frame, question: str, *, ts, series_id: str):
    """Filter by release date (and series), sort by publication, keep the last row per period."""
    if question.endswith("one"):
        frame = frame[frame["series_id"] == series_id]
    if question.startswith("asof"):
        frame = frame[frame["published_at"] <= ts]
    frame = frame.sort_values(["series_id", "period", "published_at"])
    # skipna=False: a deletion (NULL value) is the newest version, not a gap to skip over.
    last = frame.groupby(["series_id", "period"], sort=True, as_index=False).last(skipna=False)
    return last[last["status"] != "deleted"][_COLUMNS.split(", ")]


def pandas_digest(frame) -> list:
    """`digest` of a pandas answer."""
    return digest(pl.from_pandas(frame.reset_index(drop=True)))
