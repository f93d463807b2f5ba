-- asof(ts): table macro, what `latest` showed at time ts; one row per series and period.
-- Only releases with published_at <= ts count; a DATE argument means midnight of that day, which
-- includes every release dated that day. Within a series, release_id order is publication order
-- (tracker append refuses out-of-order releases), so the newest version is the largest release_id.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- The name is quoted because ASOF is a DuckDB keyword; callers write `FROM asof(DATE '2025-06-01')`.
CREATE OR REPLACE MACRO "asof"(ts) AS TABLE
WITH
known AS (
    SELECT o.series_id, o.period, o.period_end, o.value, o.status, o.release_id, r.published_at
    FROM observations AS o
    JOIN releases AS r USING (release_id)
    WHERE r.published_at <= CAST(ts AS TIMESTAMP)
),
newest AS (
    SELECT
        series_id,
        period,
        arg_max({
            'period_end': period_end, 'value': value, 'status': status,
            'release_id': release_id, 'published_at': published_at
        }, release_id) AS v
    FROM known
    GROUP BY series_id, period
)
SELECT
    CAST(series_id AS VARCHAR) AS series_id,
    CAST(period AS DATE) AS period,
    CAST(v.period_end AS DATE) AS period_end,
    CAST(v.value AS DOUBLE) AS value,
    CAST(v.status AS VARCHAR) AS status,
    CAST(v.release_id AS BIGINT) AS release_id,
    CAST(v.published_at AS TIMESTAMP) AS published_at
FROM newest
WHERE v.status <> 'deleted';
