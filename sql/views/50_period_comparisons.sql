-- period_comparisons(series_id, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL): table macro, each observation with the value of the period before and of a year before; one row per series and period.
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
-- Columns: series_id, frequency (of the rows), unit, unit_kind, period, period_end, span (periods of
-- that frequency the observation covers: 1, or 2 for a Jan–Feb span), value, previous_value,
-- year_ago_value.
CREATE OR REPLACE MACRO period_comparisons(
    series_id, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL
) AS TABLE
WITH
known AS (
    SELECT
        a.series_id, a.frequency, a.unit, s.unit_kind, a.period, a.period_end, a.value,
        period_index(a.frequency, a.period) AS first_unit,
        period_index(a.frequency, a.period_end) AS last_unit
    FROM aggregated(series_id, frequency, method, as_of := as_of, series_ids := series_ids) AS a
    JOIN series AS s ON s.series_id = a.series_id
),
windows AS (
    SELECT
        k.series_id, k.first_unit, 'previous' AS basis,
        k.first_unit - (k.last_unit - k.first_unit + 1) AS window_first,
        k.first_unit - 1 AS window_last
    FROM known AS k
    WHERE k.frequency <> 'irregular'
    UNION ALL
    SELECT
        k.series_id, k.first_unit, 'year_ago' AS basis,
        CASE
            WHEN k.frequency = 'D' THEN period_index('D', CAST(k.period - INTERVAL 1 YEAR AS DATE))
            ELSE k.first_unit - periods_per_year(k.frequency)
        END AS window_first,
        CASE
            WHEN k.frequency = 'D' THEN period_index('D', CAST(k.period_end - INTERVAL 1 YEAR AS DATE))
            ELSE k.last_unit - periods_per_year(k.frequency)
        END AS window_last
    FROM known AS k
    WHERE k.frequency <> 'irregular'
),
-- Most windows are one period (a month before a month): one lookup each, below. Only the others
-- (spans) are unrolled into their periods and combined.
single_bases AS (
    SELECT
        w.series_id, w.first_unit, w.basis,
        CASE WHEN k.value IS NOT NULL AND k.last_unit <= w.window_last THEN k.value END AS base_value
    FROM windows AS w
    JOIN known AS k ON k.series_id = w.series_id AND k.first_unit = w.window_first
    WHERE w.window_first = w.window_last
),
window_units AS (
    SELECT
        w.series_id, w.first_unit, w.basis, w.window_first, w.window_last,
        unnest(generate_series(w.window_first, w.window_last)) AS unit_number
    FROM windows AS w
    WHERE w.window_first <> w.window_last
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
bases AS (
    SELECT * FROM single_bases
    UNION ALL
    SELECT * FROM span_bases
),
regular AS (
    SELECT
        k.series_id, k.frequency, k.unit, k.unit_kind, k.period, k.period_end,
        k.last_unit - k.first_unit + 1 AS span,
        k.value,
        p.base_value AS previous_value,
        y.base_value AS year_ago_value
    FROM known AS k
    LEFT JOIN bases AS p
        ON p.series_id = k.series_id AND p.first_unit = k.first_unit AND p.basis = 'previous'
    LEFT JOIN bases AS y
        ON y.series_id = k.series_id AND y.first_unit = k.first_unit AND y.basis = 'year_ago'
    WHERE k.frequency <> 'irregular'
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
