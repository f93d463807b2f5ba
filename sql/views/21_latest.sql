-- latest: the newest version of every observation, deletions removed; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- One arg_max per column (a STRUCT arg_max takes DuckDB's slow generic path) and the releases
-- join after the aggregate, on one row per period rather than every version.
CREATE OR REPLACE VIEW latest AS
WITH
newest AS (
    SELECT
        o.series_id,
        o.period,
        max(o.release_id) AS release_id,
        arg_max(o.period_end, o.release_id) AS period_end,
        arg_max_null(o.value, o.release_id) AS value,
        arg_max(o.status, o.release_id) AS status
    FROM observations AS o
    GROUP BY o.series_id, o.period
)
SELECT
    CAST(n.series_id AS VARCHAR) AS series_id,
    CAST(n.period AS DATE) AS period,
    CAST(n.period_end AS DATE) AS period_end,
    CAST(n.value AS DOUBLE) AS value,
    CAST(n.status AS VARCHAR) AS status,
    CAST(n.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM newest AS n
JOIN releases AS r ON r.release_id = n.release_id
WHERE n.status <> 'deleted';
