-- release_calendar_asof(today): table macro, per series the next expected release and whether it is late on day `today`; one row per series that has been published.
-- The store as now known, judged on `today` (`release_calendar` passes current_date; tests and
-- reports pass a day of their own). It reads the kept state (current_series: each series'
-- publication pattern, see series_state), so it costs what its answer costs.
-- Where the expected date comes from (basis):
--   'schedule'  the first date a publisher announced after the series' newest release
--               (release_dates: FRED release dates brought in by `tracker pull`, or a calendar
--               file imported with `tracker calendar import`);
--   'inferred'  else, from the series' own history: the period after the newest one (spanning as
--               the same period a year before did, so China's combined January–February figure is
--               expected as one span after December), published its typical lag after the period
--               ends (the median over the newest 12 first publications). Forecast series, whose
--               periods are target years, are expected their median interval after the last release;
--   'none'      policy and irregular series (a tariff changes when it changes), or a single
--               release with no pattern yet: no expected date.
-- confidence: 'high' (a schedule, or at least 6 lags within 3 days of the median), 'medium' (at
-- least 3 lags within 10 days), 'low' (anything else: few releases or erratic timing).
-- A series is overdue when `today` is after expected_on plus a tolerance that suits its frequency
-- (D 3 days, W 4, M 10, Q 21, S 30, A 45).
-- Columns: series_id, frequency, kind, last_period, last_published_at, next_period,
-- next_period_end, expected_on, basis, basis_detail, confidence, tolerance_days, due_by
-- (expected_on + tolerance), overdue, overdue_since (the day after due_by, when overdue),
-- days_until (expected_on - today; negative when past), freshness (one line for people, e.g.
-- 'last release 9 Jun 2025, monthly: overdue since 21 Jul 2025').
CREATE OR REPLACE MACRO release_calendar_asof(today) AS TABLE
WITH
catalogue AS (
    SELECT
        s.series_id, s.frequency, s.kind, c.last_period, c.last_published_at, c.next_period,
        c.next_period_end, c.typical_lag_days, c.lag_count, c.lag_spread, c.typical_gap_days,
        c.gap_count, c.gap_spread,
        s.kind = 'forecast' AS by_interval,
        s.kind <> 'forecast' AND s.frequency <> 'irregular' AND c.lag_count > 0 AS by_lag
    FROM series AS s
    JOIN current_series AS c ON c.series_id = s.series_id
    WHERE c.last_published_at IS NOT NULL
),
scheduled AS (
    SELECT
        k.series_id,
        min(d.expected_on) AS expected_on,
        arg_min(d.source, d.expected_on) AS source
    FROM catalogue AS k
    JOIN release_dates AS d
        ON d.series_id = k.series_id AND d.expected_on > CAST(k.last_published_at AS DATE)
    GROUP BY k.series_id
),
expected AS (
    SELECT
        k.*,
        CASE
            WHEN sc.expected_on IS NOT NULL THEN sc.expected_on
            WHEN k.by_interval AND k.gap_count > 0
                THEN CAST(k.last_published_at AS DATE) + CAST(round(k.typical_gap_days) AS INTEGER)
            WHEN k.by_lag THEN k.next_period_end + CAST(round(k.typical_lag_days) AS INTEGER)
        END AS expected_on,
        CASE
            WHEN sc.expected_on IS NOT NULL THEN 'schedule'
            WHEN k.by_interval AND k.gap_count > 0 THEN 'inferred'
            WHEN k.by_lag THEN 'inferred'
            ELSE 'none'
        END AS basis,
        CASE
            WHEN sc.expected_on IS NOT NULL THEN 'announced by ' || sc.source
            WHEN k.by_interval AND k.gap_count > 0 THEN
                'typically ' || CAST(round(k.typical_gap_days) AS INTEGER)
                || ' days between releases (' || k.gap_count + 1 || ' releases)'
            WHEN k.by_lag THEN
                'typically ' || CAST(round(k.typical_lag_days) AS INTEGER)
                || ' days after the period ends (' || k.lag_count
                || CASE WHEN k.lag_count = 1 THEN ' period)' ELSE ' periods)' END
            WHEN k.kind = 'policy' OR k.frequency = 'irregular'
                THEN 'not scheduled: changes when it changes'
            ELSE 'one release so far: no pattern yet'
        END AS basis_detail,
        CASE
            WHEN sc.expected_on IS NOT NULL THEN 'high'
            WHEN k.by_interval AND k.gap_count >= 6 AND k.gap_spread <= 3 THEN 'high'
            WHEN k.by_interval AND k.gap_count >= 3 AND k.gap_spread <= 10 THEN 'medium'
            WHEN k.by_interval AND k.gap_count > 0 THEN 'low'
            WHEN k.by_lag AND k.lag_count >= 6 AND k.lag_spread <= 3 THEN 'high'
            WHEN k.by_lag AND k.lag_count >= 3 AND k.lag_spread <= 10 THEN 'medium'
            WHEN k.by_lag THEN 'low'
        END AS confidence,
        CASE k.frequency
            WHEN 'D' THEN 3 WHEN 'W' THEN 4 WHEN 'M' THEN 10 WHEN 'Q' THEN 21
            WHEN 'S' THEN 30 WHEN 'A' THEN 45
        END AS tolerance_days
    FROM catalogue AS k
    LEFT JOIN scheduled AS sc ON sc.series_id = k.series_id
),
judged AS (
    SELECT
        e.*,
        e.expected_on + e.tolerance_days AS due_by,
        coalesce(CAST(today AS DATE) > e.expected_on + e.tolerance_days, false) AS overdue,
        CASE e.frequency
            WHEN 'D' THEN 'daily' WHEN 'W' THEN 'weekly' WHEN 'M' THEN 'monthly'
            WHEN 'Q' THEN 'quarterly' WHEN 'S' THEN 'half-yearly' WHEN 'A' THEN 'annual'
            ELSE 'irregular'
        END AS frequency_word
    FROM expected AS e
)
SELECT
    CAST(j.series_id AS VARCHAR) AS series_id,
    CAST(j.frequency AS VARCHAR) AS frequency,
    CAST(j.kind AS VARCHAR) AS kind,
    CAST(j.last_period AS DATE) AS last_period,
    CAST(j.last_published_at AS TIMESTAMP) AS last_published_at,
    CAST(CASE WHEN NOT j.by_interval THEN j.next_period END AS DATE) AS next_period,
    CAST(CASE WHEN NOT j.by_interval THEN j.next_period_end END AS DATE) AS next_period_end,
    CAST(j.expected_on AS DATE) AS expected_on,
    CAST(j.basis AS VARCHAR) AS basis,
    CAST(j.basis_detail AS VARCHAR) AS basis_detail,
    CAST(j.confidence AS VARCHAR) AS confidence,
    CAST(j.tolerance_days AS INTEGER) AS tolerance_days,
    CAST(j.due_by AS DATE) AS due_by,
    CAST(j.overdue AS BOOLEAN) AS overdue,
    CAST(CASE WHEN j.overdue THEN j.due_by + 1 END AS DATE) AS overdue_since,
    CAST(j.expected_on - CAST(today AS DATE) AS INTEGER) AS days_until,
    CAST(
        'last release ' || strftime(j.last_published_at, '%-d %b %Y') || ', ' || j.frequency_word
        || CASE
            WHEN j.overdue THEN ': overdue since ' || strftime(j.due_by + 1, '%-d %b %Y')
            WHEN j.expected_on IS NULL THEN ''
            WHEN j.expected_on >= CAST(today AS DATE)
                THEN ': next expected ' || strftime(j.expected_on, '%-d %b %Y')
            ELSE ': expected ' || strftime(j.expected_on, '%-d %b %Y') || ', not yet late'
        END
        AS VARCHAR
    ) AS freshness
FROM judged AS j;
