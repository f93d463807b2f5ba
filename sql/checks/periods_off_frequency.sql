-- periods_off_frequency: stored periods that are not a period of their series' frequency; one row per offending observation.
-- period must be the first day of a period of the frequency (A 1 Jan, S 1 Jan/1 Jul, Q first of a
-- quarter, M first of a month, W an ISO Monday) and period_end its last day; D and irregular
-- observations are single days (period_end = period). A monthly series may hold a span of
-- consecutive months (China's Jan–Feb: 2024-01-01 .. 2024-02-29) of at most 12 months.
-- Columns: series_id, frequency, period, period_end, release_id, problem.
WITH
checked AS (
    SELECT
        o.series_id, s.frequency, o.period, o.period_end, o.release_id,
        CASE
            WHEN o.period_end < o.period THEN 'period_end is before period'
            WHEN o.period <> period_floor(s.frequency, o.period) THEN
                'period is not the first day of a ' || s.frequency || ' period'
            WHEN s.frequency = 'M'
                AND o.period_end = last_day(o.period_end)
                AND date_diff('month', o.period, o.period_end) < 12 THEN NULL
            WHEN o.period_end <> period_last_day(s.frequency, o.period) THEN
                'period_end is not the last day of the ' || s.frequency || ' period starting on period'
        END AS problem
    FROM observations AS o
    JOIN series AS s ON s.series_id = o.series_id
)
SELECT
    CAST(c.series_id AS VARCHAR) AS series_id,
    CAST(c.frequency AS VARCHAR) AS frequency,
    CAST(c.period AS DATE) AS period,
    CAST(c.period_end AS DATE) AS period_end,
    CAST(c.release_id AS BIGINT) AS release_id,
    CAST(c.problem AS VARCHAR) AS problem
FROM checked AS c
WHERE c.problem IS NOT NULL
ORDER BY c.series_id, c.period, c.release_id
