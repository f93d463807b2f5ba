-- series_summary: the catalogue with each series' latest reading; one row per series.
-- Columns: the series columns, then last_period, last_value, previous_value (the period before,
-- as now known), change (last_value - previous_value), last_published_at (newest release touching
-- the series), release_count (releases that added or changed a value of the series).
CREATE OR REPLACE VIEW series_summary AS
WITH
ranked AS (
    SELECT
        l.series_id, l.period, l.value,
        row_number() OVER (PARTITION BY l.series_id ORDER BY l.period DESC) AS recency
    FROM latest AS l
),
last_two AS (
    SELECT
        series_id,
        max(period) FILTER (WHERE recency = 1) AS last_period,
        max(value) FILTER (WHERE recency = 1) AS last_value,
        max(value) FILTER (WHERE recency = 2) AS previous_value
    FROM ranked
    WHERE recency <= 2
    GROUP BY series_id
),
release_stats AS (
    SELECT o.series_id, max(r.published_at) AS last_published_at,
           count(DISTINCT o.release_id) AS release_count
    FROM observations AS o
    JOIN releases AS r USING (release_id)
    GROUP BY o.series_id
)
SELECT
    s.*,
    CAST(t.last_period AS DATE) AS last_period,
    CAST(t.last_value AS DOUBLE) AS last_value,
    CAST(t.previous_value AS DOUBLE) AS previous_value,
    CAST(t.last_value - t.previous_value AS DOUBLE) AS change,
    CAST(rs.last_published_at AS TIMESTAMP) AS last_published_at,
    CAST(coalesce(rs.release_count, 0) AS BIGINT) AS release_count
FROM series AS s
LEFT JOIN last_two AS t USING (series_id)
LEFT JOIN release_stats AS rs USING (series_id);
