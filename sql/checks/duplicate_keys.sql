-- duplicate_keys: observations stored twice under the same key; one row per (series_id, period, release_id) that occurs more than once.
-- The table has no key index on purpose (bulk appends stay set-based); `tracker append` never writes
-- a duplicate, so any row here came from outside it.
-- Columns: series_id, period, release_id, copies.
SELECT
    CAST(o.series_id AS VARCHAR) AS series_id,
    CAST(o.period AS DATE) AS period,
    CAST(o.release_id AS BIGINT) AS release_id,
    CAST(count(*) AS BIGINT) AS copies
FROM observations AS o
GROUP BY o.series_id, o.period, o.release_id
HAVING count(*) > 1
ORDER BY o.series_id, o.period, o.release_id
