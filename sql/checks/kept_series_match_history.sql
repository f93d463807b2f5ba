-- kept_series_match_history: series whose kept summary (current_series, behind series_summary and revision_stats) differs from a recomputation; empty = pass.
-- The recomputation is series_state() over the kept current_observations and release_series
-- (each checked against the history by its own kept_* check) and series_revisions_from_history()
-- for the sums of revisions, which compare with same_number's tolerance (the append adds them
-- up one release at a time).
WITH
kept AS (SELECT * FROM current_series),
fresh AS (
    SELECT st.*, rv.revision_sum, rv.revision_abs_sum, rv.revision_abs_max, rv.last_revised_at
    FROM series_state() AS st
    LEFT JOIN series_revisions_from_history() AS rv ON rv.series_id = st.series_id
),
paired AS (
    SELECT
        coalesce(k.series_id, f.series_id) AS series_id,
        CASE
            WHEN k.series_id IS NULL THEN 'missing from the kept state'
            WHEN f.series_id IS NULL THEN 'kept but has no observations'
            WHEN (k.last_period, k.last_published_at, k.release_count, k.last_release_id,
                  k.last_release_revisions)
                IS DISTINCT FROM (f.last_period, f.last_published_at, f.release_count,
                  f.last_release_id, f.last_release_revisions)
                OR k.last_value IS DISTINCT FROM f.last_value
                OR k.previous_value IS DISTINCT FROM f.previous_value
                THEN 'latest reading or releases differ'
            WHEN (k.periods, k.revised_periods, k.revision_count, k.first_to_latest_count,
                  k.last_revised_at)
                IS DISTINCT FROM (f.periods, f.revised_periods, f.revision_count,
                  f.first_to_latest_count, f.last_revised_at)
                OR NOT same_number(k.revision_sum, f.revision_sum)
                OR NOT same_number(k.revision_abs_sum, f.revision_abs_sum)
                OR NOT same_number(k.revision_abs_max, f.revision_abs_max)
                OR NOT same_number(k.first_to_latest_sum, f.first_to_latest_sum)
                OR NOT same_number(k.first_to_latest_abs_sum, f.first_to_latest_abs_sum)
                THEN 'revision statistics differ'
            WHEN (k.next_period, k.next_period_end, k.lag_count, k.gap_count)
                IS DISTINCT FROM (f.next_period, f.next_period_end, f.lag_count, f.gap_count)
                OR (k.typical_lag_days, k.lag_spread, k.typical_gap_days, k.gap_spread)
                IS DISTINCT FROM (f.typical_lag_days, f.lag_spread, f.typical_gap_days, f.gap_spread)
                THEN 'publication pattern differs'
        END AS problem
    FROM kept AS k
    FULL OUTER JOIN fresh AS f ON f.series_id = k.series_id
)
SELECT p.series_id, p.problem
FROM paired AS p
WHERE p.problem IS NOT NULL
ORDER BY p.series_id;
