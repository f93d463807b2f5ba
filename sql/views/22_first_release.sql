-- first_release: the first published version of every observation; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
CREATE OR REPLACE VIEW first_release AS
WITH
oldest AS (
    SELECT
        o.series_id,
        o.period,
        arg_min({
            'period_end': o.period_end, 'value': o.value, 'status': o.status,
            'release_id': o.release_id
        }, o.release_id) AS v
    FROM observations AS o
    WHERE o.status <> 'deleted'
    GROUP BY o.series_id, o.period
)
SELECT
    CAST(f.series_id AS VARCHAR) AS series_id,
    CAST(f.period AS DATE) AS period,
    CAST(f.v.period_end AS DATE) AS period_end,
    CAST(f.v.value AS DOUBLE) AS value,
    CAST(f.v.status AS VARCHAR) AS status,
    CAST(f.v.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM oldest AS f
JOIN releases AS r ON r.release_id = f.v.release_id;
