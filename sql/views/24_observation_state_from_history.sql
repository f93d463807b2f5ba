-- observation_state_from_history(series_ids := NULL): table macro, the kept state current_observations recomputed from the history (observations); one row per series and period.
-- What `tracker init` rebuilds the kept state from and what `tracker check` compares it with; the
-- append keeps it up to date one release at a time (tracker/state.py). Built from the one
-- definition of each idea: the newest version is versions_asof at the end of time, a revision is
-- what `revisions` lists (change_kind), the first version is the first that is not a deletion.
-- series_ids: only these series (NULL = every series).
-- Columns: those of current_observations: series_id, period, period_end, value, status,
-- release_id, published_at (the newest version, a tombstone included); first_release_id,
-- first_period_end, first_value, first_status (the first version that is not a deletion; NULL if
-- none); revision_count (numeric revisions: both values present).
CREATE OR REPLACE MACRO observation_state_from_history(series_ids := NULL) AS TABLE
WITH
newest AS (
    SELECT * FROM versions_asof(CAST('infinity' AS TIMESTAMP), series_ids := series_ids)
),
firsts AS (
    SELECT
        o.series_id,
        o.period,
        min(o.release_id) AS release_id,
        arg_min(o.period_end, o.release_id) AS period_end,
        arg_min_null(o.value, o.release_id) AS value,
        arg_min(o.status, o.release_id) AS status
    FROM observations AS o
    WHERE o.status <> 'deleted'
      AND o.release_id IN (SELECT k.release_id FROM known_releases(CAST('infinity' AS TIMESTAMP)) AS k)
      AND (series_ids IS NULL OR o.series_id IN (SELECT unnest(series_ids)))
    GROUP BY o.series_id, o.period
),
revised AS (
    SELECT
        r.series_id,
        r.period,
        count(r.revision) AS revision_count
    FROM revisions AS r
    WHERE series_ids IS NULL OR r.series_id IN (SELECT unnest(series_ids))
    GROUP BY r.series_id, r.period
)
SELECT
    CAST(n.series_id AS VARCHAR) AS series_id,
    CAST(n.period AS DATE) AS period,
    CAST(n.period_end AS DATE) AS period_end,
    CAST(n.value AS DOUBLE) AS value,
    CAST(n.status AS VARCHAR) AS status,
    CAST(n.release_id AS BIGINT) AS release_id,
    CAST(n.published_at AS TIMESTAMP) AS published_at,
    CAST(f.release_id AS BIGINT) AS first_release_id,
    CAST(f.period_end AS DATE) AS first_period_end,
    CAST(f.value AS DOUBLE) AS first_value,
    CAST(f.status AS VARCHAR) AS first_status,
    CAST(coalesce(rv.revision_count, 0) AS BIGINT) AS revision_count
FROM newest AS n
LEFT JOIN firsts AS f ON f.series_id = n.series_id AND f.period = n.period
LEFT JOIN revised AS rv ON rv.series_id = n.series_id AND rv.period = n.period;
