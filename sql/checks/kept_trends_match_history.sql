-- kept_trends_match_history: series whose kept `trends` row (current_trends) differs from trends_asof recomputed from observations; empty = pass.
-- trend_rows over the whole history at the end of time reads every version (versions_asof): neither
-- the kept state nor trends_asof's recent stretch. Numbers compare with same_number's tolerance.
WITH
kept AS (SELECT * FROM current_trends),
fresh AS (SELECT * EXCLUDE (exact) FROM trend_rows(CAST('infinity' AS TIMESTAMP), NULL, false)),
paired AS (
    SELECT
        coalesce(k.series_id, f.series_id) AS series_id,
        CASE
            WHEN k.series_id IS NULL THEN 'missing from the kept state'
            WHEN f.series_id IS NULL THEN 'kept but not in the recomputation'
            WHEN (k.name, k.kind, k.unit, k.unit_kind, k.frequency, k.last_period, k.last_period_end,
                  k.streak_basis, k.streak_sign, k.streak_length, k.up_last_4, k.down_last_4,
                  k.changes_last_4, k.headline)
                IS DISTINCT FROM (f.name, f.kind, f.unit, f.unit_kind, f.frequency, f.last_period,
                  f.last_period_end, f.streak_basis, f.streak_sign, f.streak_length, f.up_last_4,
                  f.down_last_4, f.changes_last_4, f.headline)
                OR NOT same_number(k.last_value, f.last_value)
                OR NOT same_number(k.previous_value, f.previous_value)
                OR NOT same_number(k.change_1p, f.change_1p)
                OR NOT same_number(k.pct_change_1p, f.pct_change_1p)
                OR NOT same_number(k.year_ago_value, f.year_ago_value)
                OR NOT same_number(k.change_1y, f.change_1y)
                OR NOT same_number(k.pct_change_1y, f.pct_change_1y)
                OR NOT same_number(k.mean_3, f.mean_3)
                OR NOT same_number(k.mean_12, f.mean_12)
                OR NOT same_number(k.slope_6, f.slope_6)
                THEN 'trend differs'
        END AS problem
    FROM kept AS k
    FULL OUTER JOIN fresh AS f ON f.series_id = k.series_id
)
SELECT p.series_id, p.problem
FROM paired AS p
WHERE p.problem IS NOT NULL
ORDER BY p.series_id;
