-- trends: the latest value, changes, rolling means, slope and current streak of every actual and policy series as now known; one row per series.
-- = trends_asof(NULL), kept: each append recomputes the rows of the series it touched
-- (current_trends), so reading it never recomputes the history. The columns are documented in
-- 53_trends_asof.sql. Forecast series are left out (see forecast_evolution).
-- Columns: series_id, name, kind, unit, unit_kind, frequency, last_period, last_period_end,
-- last_value, previous_value, change_1p, pct_change_1p, year_ago_value, change_1y, pct_change_1y,
-- mean_3, mean_12, slope_6, streak_basis, streak_sign, streak_length, up_last_4, down_last_4,
-- changes_last_4, headline.
CREATE OR REPLACE VIEW trends AS
SELECT
    CAST(t.series_id AS VARCHAR) AS series_id,
    CAST(t.name AS VARCHAR) AS name,
    CAST(t.kind AS VARCHAR) AS kind,
    CAST(t.unit AS VARCHAR) AS unit,
    CAST(t.unit_kind AS VARCHAR) AS unit_kind,
    CAST(t.frequency AS VARCHAR) AS frequency,
    CAST(t.last_period AS DATE) AS last_period,
    CAST(t.last_period_end AS DATE) AS last_period_end,
    CAST(t.last_value AS DOUBLE) AS last_value,
    CAST(t.previous_value AS DOUBLE) AS previous_value,
    CAST(t.change_1p AS DOUBLE) AS change_1p,
    CAST(t.pct_change_1p AS DOUBLE) AS pct_change_1p,
    CAST(t.year_ago_value AS DOUBLE) AS year_ago_value,
    CAST(t.change_1y AS DOUBLE) AS change_1y,
    CAST(t.pct_change_1y AS DOUBLE) AS pct_change_1y,
    CAST(t.mean_3 AS DOUBLE) AS mean_3,
    CAST(t.mean_12 AS DOUBLE) AS mean_12,
    CAST(t.slope_6 AS DOUBLE) AS slope_6,
    CAST(t.streak_basis AS VARCHAR) AS streak_basis,
    CAST(t.streak_sign AS INTEGER) AS streak_sign,
    CAST(t.streak_length AS INTEGER) AS streak_length,
    CAST(t.up_last_4 AS INTEGER) AS up_last_4,
    CAST(t.down_last_4 AS INTEGER) AS down_last_4,
    CAST(t.changes_last_4 AS INTEGER) AS changes_last_4,
    CAST(t.headline AS VARCHAR) AS headline
FROM current_trends AS t;
