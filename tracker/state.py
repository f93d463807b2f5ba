"""The kept state: the current answer of the views people read most, kept with the history.

`latest`, `first_release`, `series_summary`, `trends` and `revision_stats` would otherwise scan
the whole history on every read (seconds on a store of millions of observation-vintages). Their
answers live in three tables (migration ``003_kept_state``):

- ``release_series``: per release and series it stored rows of, what it did (new, revised,
  restated, deleted rows): the release feed and each series' release history;
- ``current_observations``: per series and period, the newest stored version (a tombstone
  included), the first published version and how many numeric revisions it had;
- ``current_series``: per series, the two newest periods, its releases and its revision
  statistics (the sums of its revisions are added up one release at a time);
- ``current_trends``: per actual or policy series, the `trends` row.

Each append updates them inside its own transaction, for the series the release touched only
(`apply_release`), so an append costs what the release costs. They are derived data: `rebuild`
recomputes them from ``observations`` (``tracker init`` runs it whenever the view definitions
change), and the checks ``sql/checks/kept_*.sql`` (run by ``tracker check``) prove they equal a
recomputation from the history. Every rule used here is an SQL macro of ``sql/views/``
(``change_kind``, ``versions_asof``, ``release_series_from_history``, ``series_state``,
``trends_asof``): this module only says when to apply them.

The tables are written in (series_id, period) order, so DuckDB's zone maps find one series' rows
without reading the rest; rows an append rewrites go to the end until `tracker compact` sorts them
again.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

#: The kept tables, in the order they are derived.
TABLES = ("release_series", "current_observations", "current_series", "current_trends")

_REBUILD_RELEASE_SERIES = """
INSERT INTO release_series BY NAME
SELECT * FROM release_series_from_history() ORDER BY series_id, release_id
"""

_REBUILD_OBSERVATIONS = """
INSERT INTO current_observations BY NAME
SELECT * FROM observation_state_from_history() ORDER BY series_id, period
"""

_REBUILD_SERIES = """
INSERT INTO current_series BY NAME
SELECT st.*, rv.revision_sum, rv.revision_abs_sum, rv.revision_abs_max, rv.last_revised_at
FROM series_state() AS st
LEFT JOIN series_revisions_from_history() AS rv ON rv.series_id = st.series_id
ORDER BY st.series_id
"""

_REBUILD_TRENDS = """
INSERT INTO current_trends BY NAME
SELECT * FROM trends_asof(NULL) ORDER BY series_id
"""

#: The change counts of every release from what it did to each series (rows_unchanged is not in
#: the history: unchanged rows are not stored). Stores made before migration 003 counted a
#: status-only change as revised; this splits them out.
_RECOUNT_RELEASES = """
UPDATE releases SET
    rows_new = counted.new,
    rows_revised = counted.revised,
    rows_restated = counted.restated,
    rows_deleted = counted.deleted
FROM (
    SELECT
        rs.release_id,
        sum(rs.new_rows) AS new,
        sum(rs.revised_rows) AS revised,
        sum(rs.restated_rows) AS restated,
        sum(rs.deleted_rows) AS deleted
    FROM release_series AS rs
    GROUP BY rs.release_id
) AS counted
WHERE releases.release_id = counted.release_id
  AND (releases.rows_new, releases.rows_revised, releases.rows_restated, releases.rows_deleted)
      IS DISTINCT FROM (counted.new, counted.revised, counted.restated, counted.deleted)
"""


def rebuild(con: duckdb.DuckDBPyConnection, *, recount: bool = True) -> None:
    """Recompute every kept table from ``observations`` (inside the caller's transaction).

    With ``recount``, each release's revised/restated/deleted counts are recomputed from the
    stored versions too, so a store made by an older tracker uses today's definitions.
    """
    for table in TABLES:
        con.execute(f"DELETE FROM {table}")
    con.execute(_REBUILD_RELEASE_SERIES)
    con.execute(_REBUILD_OBSERVATIONS)
    con.execute(_REBUILD_SERIES)
    con.execute(_REBUILD_TRENDS)
    if recount:
        con.execute(_RECOUNT_RELEASES)


#: Per stored row of the release (``diffed`` rows with ``stored``), its new kept state from the
#: version before it (the ``previous_*`` columns the diff joined from current_observations), and
#: the numeric revision it makes (``revision``, for the series' sums).
_NEW_OBSERVATION_STATE = """
CREATE OR REPLACE TEMP TABLE kept_update AS
WITH
steps AS (
    SELECT
        d.*,
        CASE WHEN d.change = 'revised' THEN d.value - d.previous_value END AS revision
    FROM diffed AS d
    WHERE d.stored
)
SELECT
    s.series_id,
    s.period,
    s.period_end,
    s.value,
    s.status,
    CAST($release_id AS BIGINT) AS release_id,
    CAST($published AS TIMESTAMP) AS published_at,
    -- The first version that is not a deletion: kept once there is one, else this one.
    CASE
        WHEN s.previous_first_release_id IS NOT NULL THEN {
            'release_id': s.previous_first_release_id,
            'period_end': s.previous_first_period_end,
            'value': s.previous_first_value,
            'status': s.previous_first_status
        }
        WHEN s.status <> 'deleted' THEN {
            'release_id': CAST($release_id AS BIGINT),
            'period_end': s.period_end,
            'value': s.value,
            'status': s.status
        }
    END AS first,
    coalesce(s.previous_revision_count, 0) + CAST(s.revision IS NOT NULL AS BIGINT)
        AS revision_count,
    s.revision
FROM steps AS s
"""

#: The touched series' new current_series rows: series_state over the updated kept tables, and
#: the kept sums of revisions plus this release's.
_NEW_SERIES_STATE = """
CREATE OR REPLACE TEMP TABLE kept_series AS
WITH
added AS (
    SELECT
        k.series_id,
        sum(k.revision) AS revision_sum,
        sum(abs(k.revision)) AS revision_abs_sum,
        max(abs(k.revision)) AS revision_abs_max
    FROM kept_update AS k
    WHERE k.revision IS NOT NULL
    GROUP BY k.series_id
)
SELECT
    st.*,
    CASE
        WHEN a.series_id IS NULL THEN old.revision_sum
        ELSE coalesce(old.revision_sum, 0) + a.revision_sum
    END AS revision_sum,
    CASE
        WHEN a.series_id IS NULL THEN old.revision_abs_sum
        ELSE coalesce(old.revision_abs_sum, 0) + a.revision_abs_sum
    END AS revision_abs_sum,
    greatest(old.revision_abs_max, a.revision_abs_max) AS revision_abs_max,
    CASE
        WHEN a.series_id IS NULL THEN old.last_revised_at
        ELSE CAST($published AS TIMESTAMP)
    END AS last_revised_at
FROM series_state(series_ids := $ids) AS st
LEFT JOIN current_series AS old ON old.series_id = st.series_id
LEFT JOIN added AS a ON a.series_id = st.series_id
"""


#: What the release did to each series it stored rows of.
_NEW_RELEASE_SERIES = """
INSERT INTO release_series BY NAME
SELECT
    CAST($release_id AS BIGINT) AS release_id,
    d.series_id,
    CAST($published AS TIMESTAMP) AS published_at,
    count(*) AS stored_rows,
    count(*) FILTER (WHERE d.change = 'new') AS new_rows,
    count(*) FILTER (WHERE d.change = 'revised') AS revised_rows,
    count(*) FILTER (WHERE d.change = 'restated') AS restated_rows,
    count(*) FILTER (WHERE d.change = 'deleted') AS deleted_rows
FROM diffed AS d
WHERE d.stored
GROUP BY d.series_id
ORDER BY d.series_id
"""


def apply_release(
    con: duckdb.DuckDBPyConnection, release_id: int, published: datetime
) -> list[str]:
    """Bring the kept tables up to date with the release just stored (inside its transaction).

    Reads the temporary table ``diffed`` the append's diff made: the release's rows with their
    ``change``, whether they were ``stored`` and the kept state of their period before
    (``previous_*``). Returns the ids of the series whose rows the release stored.
    """
    params = {"release_id": release_id, "published": published}
    con.execute(_NEW_RELEASE_SERIES, params)
    con.execute(_NEW_OBSERVATION_STATE, params)
    con.execute(
        """
        DELETE FROM current_observations AS c
        USING kept_update AS k
        WHERE c.series_id = k.series_id AND c.period = k.period
        """
    )
    con.execute(
        """
        INSERT INTO current_observations BY NAME
        SELECT
            series_id, period, period_end, value, status, release_id, published_at,
            first.release_id AS first_release_id, first.period_end AS first_period_end,
            first.value AS first_value, first.status AS first_status, revision_count
        FROM kept_update
        ORDER BY series_id, period
        """
    )
    touched = [
        r[0]
        for r in con.execute(
            "SELECT series_id FROM release_series WHERE release_id = ? ORDER BY series_id",
            [release_id],
        ).fetchall()
    ]
    if touched:
        ids = {"ids": touched}
        con.execute(_NEW_SERIES_STATE, {**ids, "published": published})
        con.execute("DELETE FROM current_series WHERE list_contains($ids, series_id)", ids)
        con.execute(
            "INSERT INTO current_series BY NAME SELECT * FROM kept_series ORDER BY series_id"
        )
        con.execute("DROP TABLE kept_series")
        refresh_trends(con, touched)
    con.execute("DROP TABLE kept_update")
    return touched


def rebuild_series(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> None:
    """Recompute the kept tables of these series from the history (inside the caller's
    transaction): after a retraction, which changes what the history says of them."""
    if not series_ids:
        return
    ids = {"ids": series_ids}
    for table in TABLES:
        con.execute(f"DELETE FROM {table} WHERE list_contains($ids, series_id)", ids)
    con.execute(
        "INSERT INTO release_series BY NAME SELECT * FROM release_series_from_history($ids) "
        "ORDER BY series_id, release_id",
        ids,
    )
    con.execute(
        "INSERT INTO current_observations BY NAME "
        "SELECT * FROM observation_state_from_history($ids) ORDER BY series_id, period",
        ids,
    )
    con.execute(
        """
        INSERT INTO current_series BY NAME
        SELECT st.*, rv.revision_sum, rv.revision_abs_sum, rv.revision_abs_max, rv.last_revised_at
        FROM series_state(series_ids := $ids) AS st
        LEFT JOIN series_revisions_from_history($ids) AS rv ON rv.series_id = st.series_id
        ORDER BY st.series_id
        """,
        ids,
    )
    refresh_trends(con, series_ids)


def refresh_trends(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> None:
    """Recompute the kept `trends` rows of these series (after an append, or a catalogue change
    such as a new name or unit, which the headline carries)."""
    if not series_ids:
        return
    con.execute(
        "DELETE FROM current_trends WHERE list_contains($ids, series_id)", {"ids": series_ids}
    )
    con.execute(
        "INSERT INTO current_trends BY NAME "
        "SELECT * FROM trends_asof(NULL, series_ids := $ids) ORDER BY series_id",
        {"ids": series_ids},
    )


#: Key order of each kept table (what `sort` restores).
_KEYS = {
    "release_series": "series_id, release_id",
    "current_observations": "series_id, period",
    "current_series": "series_id",
    "current_trends": "series_id",
}


def sort(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite the kept tables in key order (`tracker compact` does it with the history): rows
    an append rewrote sit at the end of the table until then."""
    for table, keys in _KEYS.items():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE kept_sorted AS SELECT * FROM {table} ORDER BY {keys}"
        )
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM kept_sorted")
        con.execute("DROP TABLE kept_sorted")
