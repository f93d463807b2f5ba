-- revision_stats: how much each series gets revised; one row per series in the catalogue.
-- Over `revisions` (change_kind: a change of value between consecutive versions of a period),
-- `first_release` and `latest`, read from the kept state (current_series). A deletion or a value
-- going to or from missing is not counted as a numeric revision. For forecast series the
-- "revisions" are forecast revisions (see forecast_evolution).
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
SELECT
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(coalesce(c.periods, 0) AS BIGINT) AS periods,
    CAST(coalesce(c.revised_periods, 0) AS BIGINT) AS revised_periods,
    CAST(coalesce(c.revised_periods, 0) / nullif(c.periods, 0) AS DOUBLE) AS revised_share,
    CAST(coalesce(c.revision_count, 0) AS BIGINT) AS revision_count,
    CAST(c.revision_sum / nullif(c.revision_count, 0) AS DOUBLE) AS mean_revision,
    CAST(c.revision_abs_sum / nullif(c.revision_count, 0) AS DOUBLE) AS mean_abs_revision,
    CAST(c.revision_abs_max AS DOUBLE) AS max_abs_revision,
    CAST(c.first_to_latest_sum / nullif(c.first_to_latest_count, 0) AS DOUBLE) AS mean_first_to_latest,
    CAST(c.first_to_latest_abs_sum / nullif(c.first_to_latest_count, 0) AS DOUBLE)
        AS mean_abs_first_to_latest,
    CAST(c.last_revised_at AS TIMESTAMP) AS last_revised_at
FROM series AS s
LEFT JOIN current_series AS c ON c.series_id = s.series_id;
