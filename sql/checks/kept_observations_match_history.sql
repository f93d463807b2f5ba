-- kept_observations_match_history: series and periods where the kept state (current_observations, behind latest and first_release) differs from a recomputation from observations; empty = pass.
-- The recomputation is observation_state_from_history().
WITH
kept AS (SELECT * FROM current_observations),
fresh AS (SELECT * FROM observation_state_from_history()),
paired AS (
    SELECT
        coalesce(k.series_id, f.series_id) AS series_id,
        coalesce(k.period, f.period) AS period,
        CASE
            WHEN k.series_id IS NULL THEN 'missing from the kept state'
            WHEN f.series_id IS NULL THEN 'kept but not in the history'
            WHEN (k.period_end, k.status, k.release_id, k.published_at)
                IS DISTINCT FROM (f.period_end, f.status, f.release_id, f.published_at)
                OR k.value IS DISTINCT FROM f.value
                THEN 'newest version differs'
            WHEN (k.first_release_id, k.first_period_end, k.first_status)
                IS DISTINCT FROM (f.first_release_id, f.first_period_end, f.first_status)
                OR k.first_value IS DISTINCT FROM f.first_value
                THEN 'first version differs'
            WHEN k.revision_count <> f.revision_count THEN 'revision count differs'
        END AS problem
    FROM kept AS k
    FULL OUTER JOIN fresh AS f ON f.series_id = k.series_id AND f.period = k.period
)
SELECT p.series_id, p.period, p.problem
FROM paired AS p
WHERE p.problem IS NOT NULL
ORDER BY p.series_id, p.period;
