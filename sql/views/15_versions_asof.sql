-- versions_asof(ts, series_ids := NULL): table macro, the newest stored version of every series and period among the releases that count at ts (known_releases), deletions included; one row per series and period.
-- The one definition of "the newest version as of a time": `asof` is this without deletions, the
-- kept state behind `latest` (current_observations) is this at the end of time, and
-- sql/checks/kept_observations_match_history.sql proves it. Within a series, release_id order is
-- publication order (tracker append refuses out-of-order releases), so the newest version is the
-- largest release_id. A DATE ts means midnight of that day, which includes every release dated
-- that day. series_ids: only these series (NULL = every series).
-- Columns: series_id, period, period_end, value, status ('deleted' for a tombstone), release_id,
-- published_at.
CREATE OR REPLACE MACRO versions_asof(ts, series_ids := NULL) AS TABLE
WITH
known AS (
    SELECT k.release_id, k.published_at FROM known_releases(ts) AS k
),
newest AS (
    SELECT
        o.series_id,
        o.period,
        max(o.release_id) AS release_id,
        arg_max(o.period_end, o.release_id) AS period_end,
        arg_max_null(o.value, o.release_id) AS value,
        arg_max(o.status, o.release_id) AS status
    FROM observations AS o
    WHERE o.release_id IN (SELECT k.release_id FROM known AS k)
      AND (series_ids IS NULL OR o.series_id IN (SELECT unnest(series_ids)))
    GROUP BY o.series_id, o.period
)
SELECT
    CAST(n.series_id AS VARCHAR) AS series_id,
    CAST(n.period AS DATE) AS period,
    CAST(n.period_end AS DATE) AS period_end,
    CAST(n.value AS DOUBLE) AS value,
    CAST(n.status AS VARCHAR) AS status,
    CAST(n.release_id AS BIGINT) AS release_id,
    CAST(k.published_at AS TIMESTAMP) AS published_at
FROM newest AS n
JOIN known AS k ON k.release_id = n.release_id;
