-- rebased(series_id, base_period, base_end := NULL, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL): table macro, a series (or a list of them) as an index equal to 100 in a base period; one row per series and period.
-- value = per-period value / base value * 100, after the as-of cut (and after aggregation when
-- frequency is given). The base is every observation overlapping base_period .. base_end (base_end
-- NULL: the observation containing base_period), e.g. base_period DATE '2015-01-01', base_end
-- DATE '2015-12-31' makes the 2015 average of a monthly series 100. The base must be covered without
-- gaps or NULLs and must not be 0, else an SQL error says so. A span (China's Jan–Feb) counts for its
-- months: for unit_kind 'level' its value is divided by its months (a two-month total becomes a
-- monthly rate), otherwise it is taken as the average of its months.
-- Rebasing a series whose unit_kind is rate, growth_yoy, growth_pop or share is refused (unit_guard).
-- series_ids: a list of ids used instead of series_id, each rebased (and checked) as if given alone,
-- read in one pass.
-- Columns: series_id, period, period_end, value (index), unit ('index, <base> = 100', the base as a
-- period code when it is one observation or a whole year, half, quarter or month: 'index, 2020 = 100').
CREATE OR REPLACE MACRO rebased(
    series_id, base_period, base_end := NULL, as_of := NULL, frequency := NULL, method := 'avg',
    series_ids := NULL
) AS TABLE
WITH
request AS (
    SELECT
        CAST(unnest(coalesce(series_ids, [series_id])) AS VARCHAR) AS requested_id,
        CAST(base_period AS DATE) AS base_first,
        CAST(coalesce(base_end, base_period) AS DATE) AS base_last
),
labelled AS (
    -- The base as a period code when it is a whole year, half, quarter or month, else a date range.
    SELECT
        q.*,
        CASE
            WHEN q.base_first = q.base_last THEN strftime(q.base_first, '%Y-%m-%d')
            WHEN q.base_first = period_floor('A', q.base_first)
                AND q.base_last = period_last_day('A', q.base_first)
            THEN period_code('A', q.base_first, q.base_last)
            WHEN q.base_first = period_floor('S', q.base_first)
                AND q.base_last = period_last_day('S', q.base_first)
            THEN period_code('S', q.base_first, q.base_last)
            WHEN q.base_first = period_floor('Q', q.base_first)
                AND q.base_last = period_last_day('Q', q.base_first)
            THEN period_code('Q', q.base_first, q.base_last)
            WHEN q.base_first = period_floor('M', q.base_first)
                AND q.base_last = last_day(q.base_first)
            THEN period_code('M', q.base_first, q.base_last)
            ELSE strftime(q.base_first, '%Y-%m-%d') || ' to ' || strftime(q.base_last, '%Y-%m-%d')
        END AS range_label
    FROM request AS q
),
checked AS (
    SELECT
        q.requested_id, q.base_first, q.base_last, q.range_label, s.unit_kind,
        unit_guard('rebase', q.requested_id, s.unit_kind, s.unit) AS code
    FROM labelled AS q
    LEFT JOIN series AS s ON s.series_id = q.requested_id
),
known AS (
    SELECT
        a.series_id, a.period, a.period_end, a.value, a.frequency,
        period_index(a.frequency, a.period_end) - period_index(a.frequency, a.period) + 1 AS span
    FROM aggregated(series_id, frequency, method, as_of := as_of, series_ids := series_ids) AS a
),
base_rows AS (
    SELECT k.*
    FROM known AS k
    JOIN request AS q ON q.requested_id = k.series_id
    WHERE k.period <= q.base_last AND k.period_end >= q.base_first
),
base AS (
    SELECT
        b.series_id,
        count(*) AS observations,
        count(b.value) AS with_value,
        min(b.period) AS first_day,
        max(b.period_end) AS last_day,
        any_value(b.frequency) AS frequency,
        sum(b.span) AS units,
        sum(b.value) AS total,
        sum(b.value * b.span) AS weighted_total
    FROM base_rows AS b
    GROUP BY b.series_id
),
base_checked AS (
    SELECT
        k.code, k.requested_id, k.unit_kind,
        CASE
            WHEN b.observations = 1 THEN period_code(b.frequency, b.first_day, b.last_day)
            ELSE k.range_label
        END AS base_label,
        CASE
            -- The unit guard first: a refused rebase is reported as such, not as a missing base.
            WHEN k.code IS NULL THEN NULL
            WHEN b.observations IS NULL OR b.with_value < b.observations
                OR b.first_day > k.base_first OR b.last_day < k.base_last
                OR b.units <> period_index(b.frequency, b.last_day) - period_index(b.frequency, b.first_day) + 1
            THEN error(
                'rebased: ' || k.requested_id || ' has no complete values for the base period '
                || k.range_label || ' (choose a base period the series covers)')
            WHEN k.unit_kind = 'level' THEN b.total / b.units
            ELSE b.weighted_total / b.units
        END AS base_value
    FROM checked AS k
    -- A series without base rows has no `base` row: NULL observations, an error below.
    LEFT JOIN base AS b ON b.series_id = k.requested_id
),
guarded AS (
    SELECT
        g.*,
        CASE
            WHEN g.base_value = 0 THEN error(
                'rebased: ' || g.requested_id || ' is 0 in the base period ' || g.base_label
                || ' (choose another base period)')
            ELSE g.base_value
        END AS divisor
    FROM base_checked AS g
),
computed AS (
    SELECT
        k.series_id, k.period, k.period_end,
        CASE WHEN g.unit_kind = 'level' THEN k.value / k.span ELSE k.value END / g.divisor * 100 AS value,
        'index, ' || g.base_label || ' = 100' AS unit
    FROM guarded AS g
    LEFT JOIN known AS k ON k.series_id = g.requested_id
    -- Joined from `guarded` so the guards fire even for a series without observations.
    WHERE k.series_id IS NOT NULL OR g.divisor IS NULL
)
SELECT
    CAST(c.series_id AS VARCHAR) AS series_id,
    CAST(c.period AS DATE) AS period,
    CAST(c.period_end AS DATE) AS period_end,
    CAST(c.value AS DOUBLE) AS value,
    CAST(c.unit AS VARCHAR) AS unit
FROM computed AS c;
