-- series_summary: the catalogue with each series' latest reading; one row per series.
-- Columns: the series columns, then last_period, last_value, previous_value (the period before,
-- as now known), change (last_value - previous_value), last_published_at (newest release touching
-- the series), release_count (releases that added or changed a value of the series).
-- Read from the kept state (current_series), which every append updates for the series it touches.
CREATE OR REPLACE VIEW series_summary AS
SELECT
    s.*,
    CAST(c.last_period AS DATE) AS last_period,
    CAST(c.last_value AS DOUBLE) AS last_value,
    CAST(c.previous_value AS DOUBLE) AS previous_value,
    CAST(c.last_value - c.previous_value AS DOUBLE) AS change,
    CAST(c.last_published_at AS TIMESTAMP) AS last_published_at,
    CAST(coalesce(c.release_count, 0) AS BIGINT) AS release_count
FROM series AS s
LEFT JOIN current_series AS c ON c.series_id = s.series_id;
