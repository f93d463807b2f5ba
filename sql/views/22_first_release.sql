-- first_release: the first published version of every observation; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
CREATE OR REPLACE VIEW first_release AS
WITH
oldest AS (
    SELECT
        o.series_id,
        o.period,
        min(o.release_id) AS release_id,
        arg_min(o.period_end, o.release_id) AS period_end,
        arg_min_null(o.value, o.release_id) AS value,
        arg_min(o.status, o.release_id) AS status
    FROM observations AS o
    WHERE o.status <> 'deleted'
    GROUP BY o.series_id, o.period
)
SELECT
    CAST(f.series_id AS VARCHAR) AS series_id,
    CAST(f.period AS DATE) AS period,
    CAST(f.period_end AS DATE) AS period_end,
    CAST(f.value AS DOUBLE) AS value,
    CAST(f.status AS VARCHAR) AS status,
    CAST(f.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM oldest AS f
JOIN releases AS r ON r.release_id = f.release_id;
