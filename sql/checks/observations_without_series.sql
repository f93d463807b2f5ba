-- observations_without_series: observations whose series_id is not in the catalogue; one row per offending series and release.
-- Such rows are invisible to every view that joins the catalogue (trends, regimes, ...).
-- Columns: series_id, release_id, observations.
SELECT
    CAST(o.series_id AS VARCHAR) AS series_id,
    CAST(o.release_id AS BIGINT) AS release_id,
    CAST(count(*) AS BIGINT) AS observations
FROM observations AS o
WHERE NOT EXISTS (SELECT 1 FROM series AS s WHERE s.series_id = o.series_id)
GROUP BY o.series_id, o.release_id
ORDER BY o.series_id, o.release_id
