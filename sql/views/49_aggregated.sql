-- aggregated(series_id, frequency, method, as_of := NULL, series_ids := NULL): table macro, a series (or a list of them) at a lower frequency (monthly -> quarterly -> annual); one row per series and target period.
-- The as-of cut comes first (series_asof), then aggregation, as FRED does it:
--   avg  the mean of the sub-periods. A span (China's Jan–Feb) counts for its months: for a 'level'
--        series its value is taken as the total of its months (flows: (JanFeb + Mar) / 3), for any
--        other unit_kind as their average ((2 * JanFeb + Mar) / 3).
--   sum  the total of the sub-periods; only for unit_kind 'level' (a sum of rates or indices is refused).
--   eop  the value of the last sub-period (end of period).
-- Coverage rule (FRED): a target period is complete only when every sub-period has a value; an
-- incomplete one (a missing month, a value published as missing, the quarter still in progress, or
-- a span that crosses its end) is returned with value NULL, never as a partial average.
-- frequency: 'S', 'Q' or 'A' from a monthly series, 'S' or 'A' from a quarterly one, 'A' from a
-- half-yearly one; NULL or the series' own frequency returns the observations unchanged (spans
-- included). Weekly, daily and irregular series can only be returned unchanged. An unknown series, a
-- finer target, an unknown method or a sum of a non-level is an SQL error saying what to do.
-- Arguments: series_id (NULL = every series, then frequency must be NULL), frequency, method
-- ('avg', 'sum', 'eop'; NULL = 'avg'), as_of (NULL = as now known), series_ids (a list of ids
-- used instead of series_id, each treated as if given alone: aggregated(NULL, 'Q', 'avg',
-- series_ids := ['A', 'B']) is aggregated('A', 'Q', 'avg') and aggregated('B', 'Q', 'avg') together,
-- read in one pass).
-- Columns: series_id, period (first day of the target period), period_end, value (NULL when
-- incomplete), unit (the series' unit), frequency (of the rows returned), covered (sub-periods with
-- a value, in periods of the series' frequency), expected (sub-periods the target period has).
CREATE OR REPLACE MACRO aggregated(
    series_id, frequency, method, as_of := NULL, series_ids := NULL
) AS TABLE
WITH
request AS (
    SELECT
        CAST(unnest(coalesce(series_ids, [series_id])) AS VARCHAR) AS requested_id,
        CAST(frequency AS VARCHAR) AS requested_frequency,
        lower(CAST(coalesce(method, 'avg') AS VARCHAR)) AS requested_method
),
matched AS (
    -- The series asked for (an equi-join: an OR in the join condition is a nested loop over the
    -- whole catalogue for each id asked), or every series for a NULL id.
    SELECT q.*, s.series_id, s.unit, s.unit_kind, s.frequency
    FROM request AS q
    LEFT JOIN series AS s ON s.series_id = q.requested_id
    WHERE q.requested_id IS NOT NULL
    UNION ALL
    SELECT q.*, s.series_id, s.unit, s.unit_kind, s.frequency
    FROM request AS q
    LEFT JOIN series AS s ON TRUE
    WHERE q.requested_id IS NULL
),
catalogue AS (
    SELECT
        m.requested_id, m.requested_frequency, m.requested_method,
        m.series_id, m.unit, m.unit_kind, m.frequency AS source_frequency,
        coalesce(m.requested_frequency, m.frequency) AS target_frequency
    FROM matched AS m
),
checked AS (
    SELECT
        c.*,
        CASE
            WHEN c.series_id IS NULL THEN
                CASE
                    WHEN c.requested_id IS NOT NULL THEN error(
                        'unknown series ''' || c.requested_id
                        || ''' (SELECT series_id FROM series lists them)')
                    ELSE 'none'
                END
            WHEN c.requested_id IS NULL AND c.requested_frequency IS NOT NULL THEN error(
                'aggregated: give a series_id to aggregate to ' || c.requested_frequency
                || ' (NULL means every series, unchanged)')
            WHEN c.target_frequency = c.source_frequency THEN 'as_is'
            WHEN c.target_frequency NOT IN ('A', 'S', 'Q', 'M') THEN error(
                'aggregated: ''' || c.target_frequency || ''' is not a frequency to aggregate to '
                || '(use Q, S or A)')
            WHEN c.source_frequency NOT IN ('M', 'Q', 'S') THEN error(
                'aggregated: ' || c.series_id || ' has frequency ' || c.source_frequency
                || '; only monthly, quarterly and half-yearly series can be aggregated')
            WHEN list_position(['M', 'Q', 'S', 'A'], c.target_frequency)
                < list_position(['M', 'Q', 'S', 'A'], c.source_frequency) THEN error(
                'aggregated: ' || c.series_id || ' has frequency ' || c.source_frequency
                || '; it cannot be split into ' || c.target_frequency
                || ' periods (aggregate to a lower frequency: '
                || CASE c.source_frequency WHEN 'M' THEN 'Q, S or A' WHEN 'Q' THEN 'S or A' ELSE 'A' END
                || ')')
            WHEN c.requested_method NOT IN ('avg', 'sum', 'eop') THEN error(
                'aggregated: unknown method ''' || c.requested_method || ''' (use avg, sum or eop)')
            WHEN c.requested_method = 'sum' AND c.unit_kind <> 'level' THEN error(
                'sum adds the periods up, but ' || c.series_id || ' is '
                || CASE c.unit_kind
                    WHEN 'index' THEN 'an index' WHEN 'rate' THEN 'a rate'
                    WHEN 'share' THEN 'a share' ELSE 'a growth rate'
                END
                || CASE WHEN coalesce(c.unit, '') <> '' THEN ' (' || c.unit || ')' ELSE '' END
                || '; use avg or eop')
            ELSE 'aggregate'
        END AS mode
    FROM catalogue AS c
),
known AS (
    SELECT
        k.series_id, k.period, k.period_end, k.value,
        c.mode, c.unit, c.unit_kind, c.source_frequency, c.target_frequency, c.requested_method,
        period_index(c.source_frequency, k.period_end)
            - period_index(c.source_frequency, k.period) + 1 AS span
    FROM series_asof(series_id, as_of := as_of, series_ids := series_ids) AS k
    JOIN checked AS c ON c.series_id = k.series_id
),
unchanged AS (
    SELECT
        k.series_id, k.period, k.period_end, k.value, k.unit,
        k.source_frequency AS frequency,
        CASE WHEN k.value IS NULL THEN 0 ELSE k.span END AS covered,
        k.span AS expected
    FROM known AS k
    WHERE k.mode = 'as_is'
),
placed AS (
    SELECT
        k.*,
        period_floor(k.target_frequency, k.period) AS target_start,
        period_last_day(k.target_frequency, period_floor(k.target_frequency, k.period)) AS target_end
    FROM known AS k
    WHERE k.mode = 'aggregate'
),
grouped AS (
    SELECT
        p.series_id, p.target_start, p.target_end, p.target_frequency, p.source_frequency,
        p.unit, p.unit_kind, p.requested_method,
        coalesce(sum(p.span) FILTER (WHERE p.value IS NOT NULL AND p.period_end <= p.target_end), 0)
            AS covered,
        period_index(p.source_frequency, p.target_end)
            - period_index(p.source_frequency, p.target_start) + 1 AS expected,
        bool_or(p.period_end > p.target_end) AS straddles,
        sum(p.value) AS total,
        sum(p.value * p.span) AS weighted_total,
        max(p.value) FILTER (WHERE p.period_end = p.target_end) AS closing
    FROM placed AS p
    GROUP BY
        p.series_id, p.target_start, p.target_end, p.target_frequency, p.source_frequency,
        p.unit, p.unit_kind, p.requested_method
),
combined AS (
    SELECT
        g.series_id, g.target_start AS period, g.target_end AS period_end,
        CASE
            WHEN g.covered <> g.expected OR g.straddles THEN NULL
            WHEN g.requested_method = 'sum' THEN g.total
            WHEN g.requested_method = 'eop' THEN g.closing
            WHEN g.unit_kind = 'level' THEN g.total / g.covered
            ELSE g.weighted_total / g.covered
        END AS value,
        g.unit, g.target_frequency AS frequency, g.covered, g.expected
    FROM grouped AS g
    UNION ALL
    SELECT u.series_id, u.period, u.period_end, u.value, u.unit, u.frequency, u.covered, u.expected
    FROM unchanged AS u
)
-- Joined from `checked` so its errors fire even for a series without observations.
SELECT
    CAST(x.series_id AS VARCHAR) AS series_id,
    CAST(x.period AS DATE) AS period,
    CAST(x.period_end AS DATE) AS period_end,
    CAST(x.value AS DOUBLE) AS value,
    CAST(x.unit AS VARCHAR) AS unit,
    CAST(x.frequency AS VARCHAR) AS frequency,
    CAST(x.covered AS INTEGER) AS covered,
    CAST(x.expected AS INTEGER) AS expected
FROM checked AS c
LEFT JOIN combined AS x ON x.series_id = c.series_id
WHERE x.series_id IS NOT NULL OR c.mode IS NULL;
