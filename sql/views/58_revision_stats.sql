-- revision_stats: how much each series gets revised; one row per series in the catalogue.
-- Built on `revisions` (a change of value between consecutive versions of a period), `first_release`
-- and `latest`. A deletion or a value going to or from missing is not counted as a numeric revision.
-- For forecast series the "revisions" are forecast revisions (see forecast_evolution).
-- Columns:
--   series_id
--   periods                    periods ever published (not deleted at first publication)
--   revised_periods            periods whose value was revised at least once
--   revised_share              revised_periods / periods (NULL without periods)
--   revision_count             numeric revisions (one period revised twice counts 2)
--   mean_revision              mean of value - previous_value over the revisions (bias of each step)
--   mean_abs_revision          mean of |value - previous_value| over the revisions
--   max_abs_revision           largest |value - previous_value|
--   mean_first_to_latest       mean over periods of latest value - first published value (0 for unrevised periods)
--   mean_abs_first_to_latest   mean over periods of |latest - first|
--   last_revised_at            published_at of the newest revision
CREATE OR REPLACE VIEW revision_stats AS
WITH
published AS (
    SELECT f.series_id, count(*) AS periods
    FROM first_release AS f
    GROUP BY f.series_id
),
revised AS (
    SELECT
        r.series_id,
        count(DISTINCT r.period) FILTER (WHERE r.revision IS NOT NULL) AS revised_periods,
        count(r.revision) AS revision_count,
        avg(r.revision) AS mean_revision,
        avg(abs(r.revision)) AS mean_abs_revision,
        max(abs(r.revision)) AS max_abs_revision,
        max(r.published_at) FILTER (WHERE r.revision IS NOT NULL) AS last_revised_at
    FROM revisions AS r
    GROUP BY r.series_id
),
first_vs_latest AS (
    SELECT
        f.series_id,
        avg(l.value - f.value) AS mean_first_to_latest,
        avg(abs(l.value - f.value)) AS mean_abs_first_to_latest
    FROM first_release AS f
    JOIN latest AS l ON l.series_id = f.series_id AND l.period = f.period
    WHERE f.value IS NOT NULL AND l.value IS NOT NULL
    GROUP BY f.series_id
)
SELECT
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(coalesce(p.periods, 0) AS BIGINT) AS periods,
    CAST(coalesce(r.revised_periods, 0) AS BIGINT) AS revised_periods,
    CAST(coalesce(r.revised_periods, 0) / nullif(p.periods, 0) AS DOUBLE) AS revised_share,
    CAST(coalesce(r.revision_count, 0) AS BIGINT) AS revision_count,
    CAST(r.mean_revision AS DOUBLE) AS mean_revision,
    CAST(r.mean_abs_revision AS DOUBLE) AS mean_abs_revision,
    CAST(r.max_abs_revision AS DOUBLE) AS max_abs_revision,
    CAST(fl.mean_first_to_latest AS DOUBLE) AS mean_first_to_latest,
    CAST(fl.mean_abs_first_to_latest AS DOUBLE) AS mean_abs_first_to_latest,
    CAST(r.last_revised_at AS TIMESTAMP) AS last_revised_at
FROM series AS s
LEFT JOIN published AS p ON p.series_id = s.series_id
LEFT JOIN revised AS r ON r.series_id = s.series_id
LEFT JOIN first_vs_latest AS fl ON fl.series_id = s.series_id;
