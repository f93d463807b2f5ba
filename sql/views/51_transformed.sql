-- transformed(series_id, code, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL): table macro, a series (or a list of them) through one of FRED's units transforms; one row per series and period.
-- The as-of cut comes first: transformed('CHN.EXPORTS.YOY', 'chg', as_of := DATE '2025-06-10') is
-- what the change looked like on that day. With frequency/method the series is aggregated first
-- (aggregated), then transformed, as FRED does it. Formulas (FRED), with x the value, x_prev the
-- previous period's value, x_yago the value a year ago, n = periods_per_year(frequency) divided by the
-- periods the observation spans (12 for a month, 6 for a Jan–Feb span), both looked up by period
-- (see period_comparisons: a gap, or a Jan–Feb span without a comparable stretch, gives NULL):
--   lin  x                                  levels, no transform
--   chg  x - x_prev                         change
--   ch1  x - x_yago                         change from a year ago
--   pch  (x / x_prev - 1) * 100             percent change
--   pc1  (x / x_yago - 1) * 100             percent change from a year ago
--   pca  ((x / x_prev) ^ n - 1) * 100       compounded annual rate of change
--   cch  (ln x - ln x_prev) * 100           continuously compounded rate of change
--   cca  (ln x - ln x_prev) * 100 * n       continuously compounded annual rate of change
--   log  ln x                               natural log
-- China's January–February span (one observation 2025-01-01 .. 2025-02-28): ch1/pc1 compare it with
-- Jan–Feb a year earlier (that span, or January + February combined: summed for a level, averaged
-- otherwise); chg/pch/pca/cch/cca compare it with November + December; March after it has no
-- chg/pch (February exists only inside the span) and a lone January has no year-ago value when the
-- year before was published as a span. Those are NULL, never a one-month vs two-month comparison.
-- A value that cannot be computed (no comparison period, division by zero, log of a non-positive
-- number, pca/cca of an irregular series) is NULL; the row stays so periods line up.
-- Refused with an SQL error (unit_guard): an unknown code, and pch, pc1, pca, cch, cca, log of a
-- series whose unit_kind is rate, growth_yoy, growth_pop or share, e.g.
--   pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate (% y/y); use ch1 for the change in percentage points
-- series_ids: a list of ids used instead of series_id, each transformed (and guarded) as if given
-- alone, read in one pass: transformed(NULL, 'pc1', series_ids := ['A', 'B']) (the Explorer's chart).
-- Columns: series_id, period, period_end (differs from the period's usual end for a span of months),
-- value (transformed), unit (what the transformed numbers are, e.g. '% change from a year ago').
CREATE OR REPLACE MACRO transformed(
    series_id, code, as_of := NULL, frequency := NULL, method := 'avg', series_ids := NULL
) AS TABLE
WITH
request AS (
    SELECT
        CAST(unnest(coalesce(series_ids, [series_id])) AS VARCHAR) AS requested_id,
        lower(CAST(code AS VARCHAR)) AS requested_code
),
checked AS (
    SELECT
        q.requested_id, s.unit_kind,
        CASE
            WHEN q.requested_id IS NULL THEN error('transformed: give a series_id (NULL is not a series)')
            WHEN q.requested_code IS NULL
                OR q.requested_code NOT IN ('lin', 'chg', 'ch1', 'pch', 'pc1', 'pca', 'cch', 'cca', 'log')
            THEN error(
                'unknown transform code ''' || coalesce(q.requested_code, 'NULL')
                || ''' (use one of lin, chg, ch1, pch, pc1, pca, cch, cca, log)')
            ELSE unit_guard(q.requested_code, q.requested_id, s.unit_kind, s.unit)
        END AS code
    FROM request AS q
    LEFT JOIN series AS s ON s.series_id = q.requested_id
),
compared AS (
    SELECT
        c.*,
        periods_per_year(c.frequency) / c.span AS per_year
    FROM period_comparisons(
        series_id, as_of := as_of, frequency := frequency, method := method, series_ids := series_ids
    ) AS c
),
computed AS (
    SELECT
        c.series_id, c.period, c.period_end, k.code,
        CASE k.code
            WHEN 'lin' THEN c.value
            WHEN 'chg' THEN c.value - c.previous_value
            WHEN 'ch1' THEN c.value - c.year_ago_value
            WHEN 'pch' THEN CASE WHEN c.previous_value <> 0 THEN (c.value / c.previous_value - 1) * 100 END
            WHEN 'pc1' THEN CASE WHEN c.year_ago_value <> 0 THEN (c.value / c.year_ago_value - 1) * 100 END
            WHEN 'pca' THEN
                CASE
                    WHEN c.previous_value <> 0 AND c.value / c.previous_value > 0
                    THEN (power(c.value / c.previous_value, c.per_year) - 1) * 100
                END
            WHEN 'cch' THEN
                CASE
                    WHEN c.value > 0 AND c.previous_value > 0
                    THEN (ln(c.value) - ln(c.previous_value)) * 100
                END
            WHEN 'cca' THEN
                CASE
                    WHEN c.value > 0 AND c.previous_value > 0
                    THEN (ln(c.value) - ln(c.previous_value)) * 100 * c.per_year
                END
            WHEN 'log' THEN CASE WHEN c.value > 0 THEN ln(c.value) END
        END AS raw_value,
        CASE k.code
            WHEN 'lin' THEN c.unit
            WHEN 'chg' THEN
                CASE
                    WHEN c.unit_kind IN ('rate', 'growth_yoy', 'growth_pop', 'share') AND contains(c.unit, '%')
                    THEN 'percentage points, change from previous period'
                    ELSE c.unit || ', change from previous period'
                END
            WHEN 'ch1' THEN
                CASE
                    WHEN c.unit_kind IN ('rate', 'growth_yoy', 'growth_pop', 'share') AND contains(c.unit, '%')
                    THEN 'percentage points, change from a year ago'
                    ELSE c.unit || ', change from a year ago'
                END
            WHEN 'pch' THEN '% change from previous period'
            WHEN 'pc1' THEN '% change from a year ago'
            WHEN 'pca' THEN '% change, compounded annual rate'
            WHEN 'cch' THEN '% change, continuously compounded'
            WHEN 'cca' THEN '% change, continuously compounded annual rate'
            WHEN 'log' THEN 'natural log of ' || c.unit
        END AS unit
    FROM checked AS k
    LEFT JOIN compared AS c ON c.series_id = k.requested_id
    -- Joined from `checked` so the guard fires even for a series without observations.
    WHERE c.series_id IS NOT NULL OR k.code IS NULL
)
SELECT
    CAST(t.series_id AS VARCHAR) AS series_id,
    CAST(t.period AS DATE) AS period,
    CAST(t.period_end AS DATE) AS period_end,
    CAST(CASE WHEN isfinite(t.raw_value) THEN t.raw_value END AS DOUBLE) AS value,
    CAST(t.unit AS VARCHAR) AS unit
FROM computed AS t;
