-- series_revisions_from_history(series_ids := NULL): table macro, the sums of each series' numeric revisions recomputed from the history; one row per series with a revision.
-- The part of the kept state current_series that the append adds up one release at a time:
-- revision_sum, revision_abs_sum, revision_abs_max, last_revised_at over `revisions` whose value
-- and previous value are both present. series_ids: only these series (NULL = every series).
CREATE OR REPLACE MACRO series_revisions_from_history(series_ids := NULL) AS TABLE
SELECT
    CAST(r.series_id AS VARCHAR) AS series_id,
    CAST(sum(r.revision) AS DOUBLE) AS revision_sum,
    CAST(sum(abs(r.revision)) AS DOUBLE) AS revision_abs_sum,
    CAST(max(abs(r.revision)) AS DOUBLE) AS revision_abs_max,
    CAST(max(r.published_at) AS TIMESTAMP) AS last_revised_at
FROM revisions AS r
WHERE r.revision IS NOT NULL
  AND (series_ids IS NULL OR r.series_id IN (SELECT unnest(series_ids)))
GROUP BY r.series_id;
