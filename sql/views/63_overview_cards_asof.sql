-- overview_cards_asof(today, series_ids := NULL): table macro, the Overview's cards as seen on day `today`, for the series overview_series_asof(today) chooses; one row per card.
-- Every number a card shows comes from here (a plain DuckDB client sees the same). Actual and
-- policy series show their newest period as now known and its change from the period before;
-- forecast series show one target period: the current year of `today` while forecasts for it
-- exist, else the newest target, with the newest forecast for it and its revision from the
-- forecast before. The freshness line comes from release_calendar_asof(today); the expectation
-- (consensus) and surprise for the newest period from `surprises`.
-- series_ids, when given, must hold the chosen series (overview_series_asof(today)): only their
-- history is read (tracker.queries.overview passes it); without it every forecast series' is.
-- Columns: position, chosen_by ('watchlist' or 'newest releases'), series_id, name, unit,
-- unit_kind, kind, frequency, source, period, period_end, period_code, value, value_text
-- (display_number), previous_value, previous_text, change, change_text (signed display_number),
-- published_at, revised (the newest release of the series revised or deleted a value), freshness, overdue,
-- expected_on, consensus, consensus_text, surprise, consensus_series_id.
CREATE OR REPLACE MACRO overview_cards_asof(today, series_ids := NULL) AS TABLE
WITH
chosen AS (
    SELECT o.series_id, o.position, o.chosen_by FROM overview_series_asof(today) AS o
),
targets AS (
    -- A forecast card's target: the current year while forecasts for it exist, else the newest.
    SELECT
        l.series_id,
        coalesce(
            max(l.period) FILTER (WHERE year(l.period) = year(CAST(today AS DATE))),
            max(l.period)
        ) AS period
    FROM latest AS l
    JOIN chosen AS k ON k.series_id = l.series_id
    JOIN series AS s ON s.series_id = l.series_id
    WHERE s.kind = 'forecast'
    GROUP BY l.series_id
),
forecasts AS (
    SELECT
        f.series_id, f.target_period AS period, f.target_period_end AS period_end,
        arg_max(f.value, f.release_id) AS value,
        arg_max(f.previous_value, f.release_id) AS previous_value,
        arg_max(f.revision, f.release_id) AS change,
        max(f.published_at) AS published_at
    FROM forecast_evolution_of(series_ids := series_ids) AS f
    JOIN targets AS t ON t.series_id = f.series_id AND t.period = f.target_period
    GROUP BY f.series_id, f.target_period, f.target_period_end
),
actuals AS (
    SELECT
        c.series_id, c.last_period AS period, o.period_end, c.last_value AS value,
        c.previous_value, c.last_value - c.previous_value AS change, c.last_published_at AS published_at
    FROM current_series AS c
    JOIN chosen AS k ON k.series_id = c.series_id
    JOIN series AS s ON s.series_id = c.series_id
    LEFT JOIN current_observations AS o ON o.series_id = c.series_id AND o.period = c.last_period
    WHERE s.kind <> 'forecast'
),
readings AS (
    SELECT * FROM actuals
    UNION ALL
    SELECT * FROM forecasts
),
expectations AS (
    SELECT u.series_id, u.period, arg_max(u.consensus, u.consensus_published_at) AS consensus,
           arg_max(u.surprise, u.consensus_published_at) AS surprise,
           arg_max(u.consensus_series_id, u.consensus_published_at) AS consensus_series_id
    FROM surprises AS u
    WHERE u.series_id IN (SELECT k.series_id FROM chosen AS k)  -- read the chosen series only
    GROUP BY u.series_id, u.period
)
SELECT
    CAST(k.position AS INTEGER) AS position,
    CAST(k.chosen_by AS VARCHAR) AS chosen_by,
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(s.name AS VARCHAR) AS name,
    CAST(s.unit AS VARCHAR) AS unit,
    CAST(s.unit_kind AS VARCHAR) AS unit_kind,
    CAST(s.kind AS VARCHAR) AS kind,
    CAST(s.frequency AS VARCHAR) AS frequency,
    CAST(s.source AS VARCHAR) AS source,
    CAST(r.period AS DATE) AS period,
    CAST(r.period_end AS DATE) AS period_end,
    CAST(
        CASE WHEN r.period IS NOT NULL THEN
            period_code(CASE WHEN s.kind = 'forecast' THEN 'A' ELSE s.frequency END, r.period,
                        r.period_end)
        END AS VARCHAR
    ) AS period_code,
    CAST(r.value AS DOUBLE) AS value,
    CAST(display_number(r.value) AS VARCHAR) AS value_text,
    CAST(r.previous_value AS DOUBLE) AS previous_value,
    CAST(CASE WHEN r.previous_value IS NOT NULL THEN display_number(r.previous_value) END AS VARCHAR)
        AS previous_text,
    CAST(r.change AS DOUBLE) AS change,
    CAST(
        CASE
            WHEN r.change IS NULL THEN NULL
            WHEN r.change > 0 THEN '+' || display_number(r.change)
            ELSE display_number(r.change)
        END AS VARCHAR
    ) AS change_text,
    CAST(r.published_at AS TIMESTAMP) AS published_at,
    CAST(
        CASE
            WHEN s.kind = 'forecast' THEN coalesce(r.change <> 0, false)
            ELSE coalesce(c.last_release_revisions > 0, false)
        END AS BOOLEAN
    ) AS revised,
    CAST(cal.freshness AS VARCHAR) AS freshness,
    CAST(coalesce(cal.overdue, false) AS BOOLEAN) AS overdue,
    CAST(cal.expected_on AS DATE) AS expected_on,
    CAST(e.consensus AS DOUBLE) AS consensus,
    CAST(CASE WHEN e.consensus IS NOT NULL THEN display_number(e.consensus) END AS VARCHAR)
        AS consensus_text,
    CAST(e.surprise AS DOUBLE) AS surprise,
    CAST(e.consensus_series_id AS VARCHAR) AS consensus_series_id
FROM chosen AS k
JOIN series AS s ON s.series_id = k.series_id
LEFT JOIN current_series AS c ON c.series_id = k.series_id
LEFT JOIN readings AS r ON r.series_id = k.series_id
LEFT JOIN release_calendar_asof(today) AS cal ON cal.series_id = k.series_id
LEFT JOIN expectations AS e ON e.series_id = k.series_id AND e.period = r.period
ORDER BY k.position;
