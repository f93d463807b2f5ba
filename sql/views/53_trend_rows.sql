-- trend_rows(ts, series_ids, recent_only): table macro, the `trends` rows of trends_asof, from the whole history or from each series' recent stretch, with whether the row is exact; one row per series.
-- trends_asof reads it twice: the recent stretch of every series (recent_only = true), then the whole
-- history of the series whose row is not exact. With recent_only = false every row is exact.
-- A row from the recent stretch is exact when its streak ends (a break: another sign, no sign, or a
-- gap) at a period whose comparison lies inside the stretch; a streak that reaches further back is
-- counted from the whole history. Every other column needs only the recent stretch.
-- Columns: trends_asof's (documented there), then exact (BOOLEAN).
CREATE OR REPLACE MACRO trend_rows(ts, series_ids, recent_only) AS TABLE
WITH
catalogue AS (
    SELECT s.series_id, s.name, s.kind
    FROM series AS s
    WHERE s.kind <> 'forecast'
),
signed AS (
    SELECT
        c.*, k.name, k.kind,
        CASE WHEN c.unit_kind = 'level' THEN c.value / c.span ELSE c.value END AS per_period,
        CASE WHEN c.unit_kind = 'level' THEN c.value ELSE c.value * c.span END AS weighted,
        period_index(c.frequency, c.period) AS first_unit,
        period_index(c.frequency, c.period_end) AS last_unit,
        CASE
            WHEN c.unit_kind IN ('growth_yoy', 'growth_pop') THEN sign(c.value)
            ELSE sign(c.value - c.previous_value)
        END AS run_sign
    FROM period_comparisons(
        NULL, as_of := ts, series_ids := series_ids, recent_only := recent_only
    ) AS c
    JOIN catalogue AS k ON k.series_id = c.series_id
    -- An irregular series (a policy level) restated at an unchanged value has not changed: keep
    -- only the observations that set a new level, as regimes does.
    WHERE c.frequency <> 'irregular'
       OR c.previous_value IS NULL
       OR c.value IS DISTINCT FROM c.previous_value
),
compared AS (
    SELECT
        s.*,
        -- One sort per series serves every window below (newest first).
        row_number() OVER later AS recency,
        first_value(s.run_sign) OVER later AS current_sign,
        lag(s.first_unit) OVER later AS later_first_unit
    FROM signed AS s
    WINDOW later AS (PARTITION BY s.series_id ORDER BY s.period DESC)
),
newest AS (
    SELECT * FROM compared AS c WHERE c.recency = 1
),
recent AS (
    SELECT
        c.*,
        n.last_unit AS end_unit,
        CASE
            WHEN c.frequency = 'irregular' THEN c.recency <= 4
            ELSE c.first_unit > n.last_unit - 4
        END AS in_last_4
    FROM compared AS c
    JOIN newest AS n ON n.series_id = c.series_id
    WHERE c.recency <= 12 OR c.first_unit > n.last_unit - 12
),
stats AS (
    SELECT
        r.series_id,
        coalesce(sum(r.span) FILTER (WHERE r.value IS NOT NULL AND r.first_unit > r.end_unit - 3), 0)
            AS covered_3,
        sum(r.weighted) FILTER (WHERE r.first_unit > r.end_unit - 3) AS total_3,
        coalesce(sum(r.span) FILTER (WHERE r.value IS NOT NULL AND r.first_unit > r.end_unit - 12), 0)
            AS covered_12,
        sum(r.weighted) FILTER (WHERE r.first_unit > r.end_unit - 12) AS total_12,
        regr_slope(r.per_period, (r.first_unit + r.last_unit) / 2.0)
            FILTER (WHERE r.first_unit > r.end_unit - 6) AS slope,
        regr_count(r.per_period, (r.first_unit + r.last_unit) / 2.0)
            FILTER (WHERE r.first_unit > r.end_unit - 6) AS slope_points,
        count(*) FILTER (WHERE r.in_last_4 AND r.value > r.previous_value) AS up_4,
        count(*) FILTER (WHERE r.in_last_4 AND r.value < r.previous_value) AS down_4,
        count(*) FILTER (WHERE r.in_last_4 AND r.value IS NOT NULL AND r.previous_value IS NOT NULL)
            AS changes_4
    FROM recent AS r
    GROUP BY r.series_id
),
-- The current run: the rows newer than the newest row that breaks it (no sign, another sign,
-- or a gap before the next period).
breaks AS (
    SELECT
        c.series_id, c.period, c.span, c.frequency, c.first_unit,
        CASE
            WHEN c.run_sign IS NULL THEN 1
            WHEN c.recency = 1 THEN 0
            WHEN c.run_sign <> c.current_sign THEN 1
            WHEN c.frequency <> 'irregular' AND c.later_first_unit <> c.last_unit + 1 THEN 1
            ELSE 0
        END AS is_break
    FROM compared AS c
),
cuts AS (
    SELECT
        b.series_id,
        max(b.period) FILTER (WHERE b.is_break = 1) AS cut,
        -- Where the newest break's own comparison starts: inside the recent stretch, or not.
        max_by(b.first_unit - b.span, b.period) FILTER (WHERE b.is_break = 1) AS cut_base_unit
    FROM breaks AS b
    GROUP BY b.series_id
),
streaks AS (
    SELECT
        b.series_id,
        CASE WHEN any_value(b.frequency) = 'irregular' THEN count(*) ELSE sum(b.span) END AS streak_length
    FROM breaks AS b
    JOIN cuts AS u ON u.series_id = b.series_id
    WHERE u.cut IS NULL OR b.period > u.cut
    GROUP BY b.series_id
),
assembled AS (
    SELECT
        n.series_id, n.name, n.kind, n.unit, n.unit_kind, n.frequency,
        n.period AS last_period, n.period_end AS last_period_end, n.value AS last_value,
        n.previous_value,
        n.value - n.previous_value AS change_1p,
        CASE
            WHEN n.unit_kind IN ('level', 'index') AND n.previous_value <> 0
            THEN (n.value / n.previous_value - 1) * 100
        END AS pct_change_1p,
        n.year_ago_value,
        n.value - n.year_ago_value AS change_1y,
        CASE
            WHEN n.unit_kind IN ('level', 'index') AND n.year_ago_value <> 0
            THEN (n.value / n.year_ago_value - 1) * 100
        END AS pct_change_1y,
        CASE WHEN n.frequency <> 'irregular' AND st.covered_3 = 3 THEN st.total_3 / 3 END AS mean_3,
        CASE WHEN n.frequency <> 'irregular' AND st.covered_12 = 12 THEN st.total_12 / 12 END AS mean_12,
        CASE WHEN n.frequency <> 'irregular' AND st.slope_points >= 3 THEN st.slope END AS slope_6,
        CASE WHEN n.unit_kind IN ('growth_yoy', 'growth_pop') THEN 'value' ELSE 'change' END AS streak_basis,
        n.run_sign AS streak_sign,
        coalesce(sk.streak_length, 0) AS streak_length,
        st.up_4 AS up_last_4,
        st.down_4 AS down_last_4,
        st.changes_4 AS changes_last_4,
        CASE n.frequency
            WHEN 'A' THEN 'year' WHEN 'S' THEN 'half-year' WHEN 'Q' THEN 'quarter'
            WHEN 'M' THEN 'month' WHEN 'W' THEN 'week' WHEN 'D' THEN 'day' ELSE 'change'
        END AS word,
        NOT recent_only
            OR n.frequency = 'irregular'
            OR coalesce(u.cut_base_unit >= recent_start(n.frequency, n.last_unit), false) AS exact
    FROM newest AS n
    LEFT JOIN stats AS st ON st.series_id = n.series_id
    LEFT JOIN streaks AS sk ON sk.series_id = n.series_id
    LEFT JOIN cuts AS u ON u.series_id = n.series_id
),
worded AS (
    SELECT
        a.*,
        a.name || ': ' || trim(display_number(a.last_value) || ' ' || coalesce(a.unit, ''))
        || CASE
            WHEN a.frequency = 'irregular' THEN
                ' since ' || strftime(a.last_period, '%Y-%m-%d')
                || CASE
                    WHEN a.previous_value IS NOT NULL THEN ' (was ' || display_number(a.previous_value) || ')'
                    ELSE ''
                END
            ELSE
                ' in ' || period_code(a.frequency, a.last_period, a.last_period_end) || '; '
                || CASE
                    WHEN a.streak_basis = 'value' THEN
                        CASE
                            WHEN a.streak_sign IS NULL THEN 'no value in the latest ' || a.word
                            ELSE
                                CASE a.streak_sign WHEN 1 THEN 'has grown ' WHEN -1 THEN 'has shrunk ' ELSE 'has been flat ' END
                                || CASE WHEN a.unit_kind = 'growth_yoy' THEN 'y/y' ELSE 'on the previous ' || a.word END
                                || CASE
                                    WHEN a.streak_length = 1 THEN ' in the latest ' || a.word
                                    ELSE ' for ' || a.streak_length || ' consecutive ' || a.word || 's'
                                END
                        END
                    WHEN a.changes_last_4 = 0 THEN 'no comparable change in the last 4 ' || a.word || 's'
                    WHEN a.down_last_4 > a.up_last_4 THEN
                        'fell in ' || a.down_last_4 || ' of the last 4 ' || a.word || 's'
                    WHEN a.up_last_4 > a.down_last_4 THEN
                        'rose in ' || a.up_last_4 || ' of the last 4 ' || a.word || 's'
                    WHEN a.up_last_4 = 0 THEN 'unchanged in the last 4 ' || a.word || 's'
                    ELSE 'rose in ' || a.up_last_4 || ' and fell in ' || a.down_last_4
                        || ' of the last 4 ' || a.word || 's'
                END
        END AS headline
    FROM assembled AS a
)
SELECT
    CAST(w.series_id AS VARCHAR) AS series_id,
    CAST(w.name AS VARCHAR) AS name,
    CAST(w.kind AS VARCHAR) AS kind,
    CAST(w.unit AS VARCHAR) AS unit,
    CAST(w.unit_kind AS VARCHAR) AS unit_kind,
    CAST(w.frequency AS VARCHAR) AS frequency,
    CAST(w.last_period AS DATE) AS last_period,
    CAST(w.last_period_end AS DATE) AS last_period_end,
    CAST(w.last_value AS DOUBLE) AS last_value,
    CAST(w.previous_value AS DOUBLE) AS previous_value,
    CAST(w.change_1p AS DOUBLE) AS change_1p,
    CAST(CASE WHEN isfinite(w.pct_change_1p) THEN w.pct_change_1p END AS DOUBLE) AS pct_change_1p,
    CAST(w.year_ago_value AS DOUBLE) AS year_ago_value,
    CAST(w.change_1y AS DOUBLE) AS change_1y,
    CAST(CASE WHEN isfinite(w.pct_change_1y) THEN w.pct_change_1y END AS DOUBLE) AS pct_change_1y,
    CAST(w.mean_3 AS DOUBLE) AS mean_3,
    CAST(w.mean_12 AS DOUBLE) AS mean_12,
    CAST(w.slope_6 AS DOUBLE) AS slope_6,
    CAST(w.streak_basis AS VARCHAR) AS streak_basis,
    CAST(w.streak_sign AS INTEGER) AS streak_sign,
    CAST(w.streak_length AS INTEGER) AS streak_length,
    CAST(w.up_last_4 AS INTEGER) AS up_last_4,
    CAST(w.down_last_4 AS INTEGER) AS down_last_4,
    CAST(w.changes_last_4 AS INTEGER) AS changes_last_4,
    CAST(w.headline AS VARCHAR) AS headline,
    w.exact
FROM worded AS w;
