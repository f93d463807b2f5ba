-- latest: the newest version of every observation, deletions removed; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
CREATE OR REPLACE VIEW latest AS
WITH
newest AS (
    SELECT
        o.series_id,
        o.period,
        arg_max({
            'period_end': o.period_end, 'value': o.value, 'status': o.status,
            'release_id': o.release_id
        }, o.release_id) AS v
    FROM observations AS o
    GROUP BY o.series_id, o.period
)
SELECT
    CAST(n.series_id AS VARCHAR) AS series_id,
    CAST(n.period AS DATE) AS period,
    CAST(n.v.period_end AS DATE) AS period_end,
    CAST(n.v.value AS DOUBLE) AS value,
    CAST(n.v.status AS VARCHAR) AS status,
    CAST(n.v.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM newest AS n
JOIN releases AS r ON r.release_id = n.v.release_id
WHERE n.v.status <> 'deleted';
