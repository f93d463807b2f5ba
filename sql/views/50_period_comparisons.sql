-- period_comparisons(series_id, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL, recent_only := false): table macro, each observation with the value of the period before and of a year before; one row per series and period.
-- The shared step of transformed and trends. The previous and year-ago values are looked up by
-- PERIOD, never by row offset, so a gap gives NULL instead of a comparison with the wrong period:
--   previous  the periods that end the day before this one starts, as many as this one spans
--             (a month: the month before; China's Jan–Feb span: Nov + Dec).
--   year_ago  the same calendar stretch one year earlier: period - 1 year for A, S, Q, M and D;
--             52 weeks earlier for W (periods_per_year).
-- Several observations that exactly cover the stretch are combined: summed for unit_kind 'level'
-- (flows), month-weighted mean otherwise. A stretch that is not exactly covered (a gap, a NULL value,
-- or an observation reaching outside it) gives NULL. So for China's two-month Jan–Feb figure:
--   Jan–Feb 2025 vs a year ago: the Jan–Feb 2024 span, or Jan 2024 + Feb 2024 combined.
--   Jan 2025 alone vs a year ago when 2024 was published as a Jan–Feb span: NULL (the span cannot
--   be split); March 2025 vs the month before: NULL (February exists only inside the span).
-- Irregular series (policy levels) have no period arithmetic: previous is the observation before,
-- year_ago the value in force one year before the observation's date (NULL if none yet).
-- frequency/method aggregate first (see aggregated), so comparisons are between target periods.
-- series_ids: a list of ids used instead of series_id (see aggregated), read in one pass.
-- recent_only: true reads only each regular series' recent stretch (recent_start: the last two years
-- and 24 periods more); the oldest rows read then lack a comparison whose base lies before it.
-- trends reads the recent stretch first and the whole history only where a streak reaches back.
-- Columns: series_id, frequency (of the rows), unit, unit_kind, period, period_end, span (periods of
-- that frequency the observation covers: 1, or 2 for a Jan–Feb span), value, previous_value,
-- year_ago_value.
CREATE OR REPLACE MACRO period_comparisons(
    series_id, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL,
    recent_only := false
) AS TABLE
WITH
every_row AS (
    SELECT
        a.series_id, a.frequency, a.unit, s.unit_kind, a.period, a.period_end, a.value,
        period_index(a.frequency, a.period) AS first_unit,
        period_index(a.frequency, a.period_end) AS last_unit
    FROM aggregated(series_id, frequency, method, as_of := as_of, series_ids := series_ids) AS a
    JOIN series AS s ON s.series_id = a.series_id
),
newest_units AS (
    SELECT r.series_id, max(r.last_unit) AS newest_unit
    FROM every_row AS r
    WHERE recent_only
    GROUP BY r.series_id
),
known AS (
    SELECT r.* FROM every_row AS r WHERE NOT recent_only
    UNION ALL
    SELECT r.*
    FROM every_row AS r
    JOIN newest_units AS n ON n.series_id = r.series_id
    WHERE recent_only
      AND (r.frequency = 'irregular' OR r.first_unit >= recent_start(r.frequency, n.newest_unit))
),
-- Each regular observation's two windows, in period units.
windowed AS (
    SELECT
        k.*,
        k.first_unit - (k.last_unit - k.first_unit + 1) AS previous_first,
        k.first_unit - 1 AS previous_last,
        CASE
            WHEN k.frequency = 'D' THEN period_index('D', CAST(k.period - INTERVAL 1 YEAR AS DATE))
            ELSE k.first_unit - periods_per_year(k.frequency)
        END AS year_ago_first,
        CASE
            WHEN k.frequency = 'D' THEN period_index('D', CAST(k.period_end - INTERVAL 1 YEAR AS DATE))
            ELSE k.last_unit - periods_per_year(k.frequency)
        END AS year_ago_last
    FROM known AS k
    WHERE k.frequency <> 'irregular'
),
-- Windows of several periods (a Jan–Feb span's previous window: Nov + Dec), one row per unit;
-- a window of one period is looked up directly in `regular`.
window_units AS (
    SELECT
        w.series_id, w.first_unit, 'previous' AS basis,
        w.previous_first AS window_first, w.previous_last AS window_last,
        unnest(generate_series(w.previous_first, w.previous_last)) AS unit_number
    FROM windowed AS w
    WHERE w.previous_first <> w.previous_last
    UNION ALL
    SELECT
        w.series_id, w.first_unit, 'year_ago' AS basis,
        w.year_ago_first AS window_first, w.year_ago_last AS window_last,
        unnest(generate_series(w.year_ago_first, w.year_ago_last)) AS unit_number
    FROM windowed AS w
    WHERE w.year_ago_first <> w.year_ago_last
),
matched AS (
    SELECT
        u.series_id, u.first_unit, u.basis, u.window_first, u.window_last,
        k.value, k.unit_kind, k.last_unit AS matched_last_unit,
        k.last_unit - k.first_unit + 1 AS span
    FROM window_units AS u
    JOIN known AS k ON k.series_id = u.series_id AND k.first_unit = u.unit_number
),
span_bases AS (
    SELECT
        m.series_id, m.first_unit, m.basis,
        CASE
            WHEN coalesce(sum(m.span) FILTER (WHERE m.value IS NOT NULL), 0)
                    = max(m.window_last) - max(m.window_first) + 1
                AND max(m.matched_last_unit) <= max(m.window_last)
            THEN
                CASE
                    WHEN any_value(m.unit_kind) = 'level' THEN sum(m.value)
                    ELSE sum(m.value * m.span) / sum(m.span)
                END
        END AS base_value
    FROM matched AS m
    GROUP BY m.series_id, m.first_unit, m.basis
),
regular AS (
    SELECT
        w.series_id, w.frequency, w.unit, w.unit_kind, w.period, w.period_end,
        w.last_unit - w.first_unit + 1 AS span,
        w.value,
        -- A window of one period: the observation starting there, if it ends inside it.
        CASE
            WHEN w.previous_first <> w.previous_last THEN sp.base_value
            WHEN p.last_unit <= w.previous_last THEN p.value
        END AS previous_value,
        CASE
            WHEN w.year_ago_first <> w.year_ago_last THEN sy.base_value
            WHEN y.last_unit <= w.year_ago_last THEN y.value
        END AS year_ago_value
    FROM windowed AS w
    LEFT JOIN known AS p ON p.series_id = w.series_id AND p.first_unit = w.previous_first
    LEFT JOIN known AS y ON y.series_id = w.series_id AND y.first_unit = w.year_ago_first
    LEFT JOIN span_bases AS sp
        ON sp.series_id = w.series_id AND sp.first_unit = w.first_unit AND sp.basis = 'previous'
    LEFT JOIN span_bases AS sy
        ON sy.series_id = w.series_id AND sy.first_unit = w.first_unit AND sy.basis = 'year_ago'
),
irregular_rows AS (
    SELECT
        k.series_id, k.frequency, k.unit, k.unit_kind, k.period, k.period_end, k.value,
        lag(k.value) OVER (PARTITION BY k.series_id ORDER BY k.period) AS previous_value,
        CAST(k.period - INTERVAL 1 YEAR AS DATE) AS year_ago_day
    FROM known AS k
    WHERE k.frequency = 'irregular'
),
irregular AS (
    SELECT
        i.series_id, i.frequency, i.unit, i.unit_kind, i.period, i.period_end,
        1 AS span,
        i.value, i.previous_value,
        y.value AS year_ago_value
    FROM irregular_rows AS i
    ASOF LEFT JOIN irregular_rows AS y
        ON i.series_id = y.series_id AND i.year_ago_day >= y.period
),
combined AS (
    SELECT * FROM regular
    UNION ALL BY NAME
    SELECT * FROM irregular
)
SELECT
    CAST(c.series_id AS VARCHAR) AS series_id,
    CAST(c.frequency AS VARCHAR) AS frequency,
    CAST(c.unit AS VARCHAR) AS unit,
    CAST(c.unit_kind AS VARCHAR) AS unit_kind,
    CAST(c.period AS DATE) AS period,
    CAST(c.period_end AS DATE) AS period_end,
    CAST(c.span AS INTEGER) AS span,
    CAST(c.value AS DOUBLE) AS value,
    CAST(c.previous_value AS DOUBLE) AS previous_value,
    CAST(c.year_ago_value AS DOUBLE) AS year_ago_value
FROM combined AS c;
