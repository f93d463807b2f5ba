-- asof(ts): table macro, what `latest` showed at time ts; one row per series and period.
-- Only releases with published_at <= ts count; a DATE argument means midnight of that day, which
-- includes every release dated that day. Within a series, release_id order is publication order
-- (tracker append refuses out-of-order releases), so the newest version is the largest release_id.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- The name is quoted because ASOF is a DuckDB keyword; callers write `FROM asof(DATE '2025-06-01')`.
CREATE OR REPLACE MACRO "asof"(ts) AS TABLE
WITH
known_releases AS (
    SELECT release_id, published_at FROM releases WHERE published_at <= CAST(ts AS TIMESTAMP)
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
    WHERE o.release_id IN (SELECT release_id FROM known_releases)
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
JOIN known_releases AS k ON k.release_id = n.release_id
WHERE n.status <> 'deleted';
