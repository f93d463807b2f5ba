-- observations_without_release: observations whose release_id is not in the releases table; one row per offending series and release_id.
-- Such rows have no publication date, so no as-of view can place them (vintages drops them).
-- Columns: series_id, release_id, observations.
SELECT
    CAST(o.series_id AS VARCHAR) AS series_id,
    CAST(o.release_id AS BIGINT) AS release_id,
    CAST(count(*) AS BIGINT) AS observations
FROM observations AS o
WHERE NOT EXISTS (SELECT 1 FROM releases AS r WHERE r.release_id = o.release_id)
GROUP BY o.series_id, o.release_id
ORDER BY o.series_id, o.release_id
