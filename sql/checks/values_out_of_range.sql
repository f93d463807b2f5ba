-- values_out_of_range: values as now known outside their series' sane range (series.min_value, series.max_value); one row per offending series and period.
-- Checks `latest`, not every vintage: an old release stays as it was published (history is the
-- product), and a later correction clears the check. A NULL bound is not checked.
-- Columns: series_id, period, value, min_value, max_value, release_id.
SELECT
    CAST(l.series_id AS VARCHAR) AS series_id,
    CAST(l.period AS DATE) AS period,
    CAST(l.value AS DOUBLE) AS value,
    CAST(s.min_value AS DOUBLE) AS min_value,
    CAST(s.max_value AS DOUBLE) AS max_value,
    CAST(l.release_id AS BIGINT) AS release_id
FROM latest AS l
JOIN series AS s ON s.series_id = l.series_id
WHERE l.value < s.min_value OR l.value > s.max_value
ORDER BY l.series_id, l.period
