-- trends_asof(ts, series_ids := NULL): table macro, the `trends` of every actual and policy series as known at ts (NULL = now); one row per series.
-- Forecast series are left out: their periods are target periods, so "the latest value" and its
-- streaks say nothing about a trend (read forecast_evolution instead). Series without observations
-- are left out. Comparisons follow period_comparisons (by period, never by row offset). For an
-- irregular series (a policy level) an observation that restates the level in force is skipped, so
-- last_period is the day the current level took effect and previous_value the level before it.
-- series_ids: only these series (NULL = every series); the append recomputes the kept `trends` of
-- the series a release touched with it.
-- It reads each series' recent stretch (recent_start), and the whole history only of the series whose
-- current streak reaches back beyond it (trend_rows): on a store of long histories this reads a
-- fraction of the rows, with the same answer.
-- Columns:
--   series_id, name, kind, unit, unit_kind, frequency   from the catalogue
--   last_period, last_period_end, last_value            the newest period with its value
--   previous_value, change_1p       value of the period before (NULL after a gap), last_value - previous_value
--   pct_change_1p                   change_1p in % of previous_value; only for unit_kind level/index
--   year_ago_value, change_1y       value a year before (irregular series: the value in force then), last_value - it
--   pct_change_1y                   change_1y in % of year_ago_value; only for unit_kind level/index
--   mean_3, mean_12                 mean over the last 3 / 12 periods ending at last_period, NULL unless
--                                   every one of them has a value (a span counts for its months, as in
--                                   aggregated avg); NULL for irregular series
--   slope_6                         regr_slope of the value on the period number over the last 6 periods
--                                   (units per period; a 'level' span as a per-month value at its middle);
--                                   NULL with fewer than 3 values or for irregular series
--   streak_basis                    'value' for growth_yoy/growth_pop series (the sign of the growth
--                                   rate), 'change' for the rest (the sign of each period's change)
--   streak_sign                     +1, -1 or 0: the sign at the last period (NULL if it has none)
--   streak_length                   periods (months, quarters, ...; changes for irregular series) in the
--                                   current unbroken run of that sign, ending at last_period; a gap or a
--                                   missing comparison ends the run. "Exports have grown y/y for 14
--                                   consecutive months" = streak_basis 'value', streak_sign 1, length 14
--   up_last_4, down_last_4          periods among the last 4 whose value rose / fell from the period
--                                   before (irregular: among the last 4 observations)
--   changes_last_4                  periods among the last 4 with a comparable period before
--   headline                        one sentence, e.g. 'China exports, y/y: 4.8 % y/y in 2025-05; has
--                                   grown y/y for 3 consecutive months', 'US imports from China:
--                                   20,494 USD mn in 2025-05; fell in 3 of the last 4 months',
--                                   'US tariff on China: 30 % since 2025-05-14 (was 145)'
CREATE OR REPLACE MACRO trends_asof(ts, series_ids := NULL) AS TABLE
WITH
recent AS (
    SELECT * FROM trend_rows(ts, series_ids, true)
),
reach_back AS (
    SELECT coalesce(list(r.series_id), []) AS ids FROM recent AS r WHERE NOT r.exact
)
SELECT * EXCLUDE (exact) FROM recent WHERE exact
UNION ALL
SELECT * EXCLUDE (exact) FROM trend_rows(ts, (SELECT b.ids FROM reach_back AS b), false);
