-- series_state(series_ids := NULL): table macro, the kept state current_series computed from the kept current_observations and release_series, except the sums of revisions; one row per series with observations.
-- What the append writes into current_series for the series a release touched (adding the sums
-- of this release's revisions to the kept ones), and what `tracker init` rebuilds it from (with
-- series_revisions_from_history). series_ids: only these series (NULL = every series).
-- Columns:
--   series_id
--   last_period, last_value, previous_value   the two newest periods as now known (no deletions)
--   last_published_at, release_count, last_release_id
--                                 the releases that stored rows of the series: the newest's
--                                 time, how many, the newest's id
--   last_release_revisions        rows the newest release revised or deleted
--   periods                       periods ever published
--   revised_periods, revision_count   periods revised at least once; numeric revisions (`revisions`)
--   first_to_latest_count, first_to_latest_sum, first_to_latest_abs_sum
--                                 latest minus first published value over the periods with both
--   next_period, next_period_end  the period after the newest one, spanning as the same period a
--                                 year before did (China's January–February figure after December)
--   typical_lag_days, lag_count, lag_spread
--                                 median days from a period's end to its first publication over the
--                                 newest 12 periods, how many, and their median absolute deviation
--   typical_gap_days, gap_count, gap_spread
--                                 median days between the series' release days, how many gaps,
--                                 their median absolute deviation
-- The publication pattern columns feed release_calendar.
CREATE OR REPLACE MACRO series_state(series_ids := NULL) AS TABLE
WITH
rows AS (
    SELECT c.*
    FROM current_observations AS c
    WHERE series_ids IS NULL OR c.series_id IN (SELECT unnest(series_ids))
),
-- The 12 newest periods of each series are all that is ranked: found by a top-12 aggregate, so
-- the sort covers 12 rows per series, not the whole history.
cutoffs AS (
    SELECT r.series_id, list_last(max(r.period, 12)) AS cut
    FROM rows AS r
    WHERE r.status <> 'deleted'
    GROUP BY r.series_id
),
ranked AS (
    SELECT
        r.series_id, r.period, r.period_end, r.value, r.first_release_id,
        row_number() OVER (PARTITION BY r.series_id ORDER BY r.period DESC) AS recency
    FROM rows AS r
    JOIN cutoffs AS c ON c.series_id = r.series_id
    WHERE r.status <> 'deleted' AND r.period >= c.cut
),
last_two AS (
    SELECT
        k.series_id,
        max(k.period) FILTER (WHERE k.recency = 1) AS last_period,
        max(k.period_end) FILTER (WHERE k.recency = 1) AS last_period_end,
        max(k.value) FILTER (WHERE k.recency = 1) AS last_value,
        max(k.value) FILTER (WHERE k.recency = 2) AS previous_value
    FROM ranked AS k
    WHERE k.recency <= 2
    GROUP BY k.series_id
),
stats AS (
    SELECT
        r.series_id,
        count(*) FILTER (WHERE r.first_release_id IS NOT NULL) AS periods,
        count(*) FILTER (WHERE r.revision_count > 0) AS revised_periods,
        sum(r.revision_count) AS revision_count,
        count(*) FILTER (WHERE r.status <> 'deleted' AND r.value IS NOT NULL
                         AND r.first_value IS NOT NULL) AS first_to_latest_count,
        sum(r.value - r.first_value) FILTER (WHERE r.status <> 'deleted') AS first_to_latest_sum,
        sum(abs(r.value - r.first_value)) FILTER (WHERE r.status <> 'deleted')
            AS first_to_latest_abs_sum
    FROM rows AS r
    GROUP BY r.series_id
),
releases_of AS (
    SELECT
        rs.series_id,
        max(rs.published_at) AS last_published_at,
        count(*) AS release_count,
        max(rs.release_id) AS last_release_id,
        arg_max(rs.revised_rows + rs.deleted_rows, rs.release_id) AS last_release_revisions
    FROM release_series AS rs
    WHERE series_ids IS NULL OR rs.series_id IN (SELECT unnest(series_ids))
    GROUP BY rs.series_id
),
lags AS (
    SELECT
        k.series_id,
        CAST(CAST(r.published_at AS DATE) - k.period_end AS INTEGER) AS lag_days
    FROM ranked AS k
    JOIN releases AS r ON r.release_id = k.first_release_id
    WHERE k.recency <= 12
),
typical_lag AS (
    SELECT l.series_id, median(l.lag_days) AS lag_days, count(*) AS lags
    FROM lags AS l
    GROUP BY l.series_id
),
lag_spread AS (
    SELECT l.series_id, median(abs(l.lag_days - t.lag_days)) AS spread
    FROM lags AS l
    JOIN typical_lag AS t ON t.series_id = l.series_id
    GROUP BY l.series_id
),
release_days AS (
    SELECT DISTINCT rs.series_id, CAST(rs.published_at AS DATE) AS day
    FROM release_series AS rs
    WHERE series_ids IS NULL OR rs.series_id IN (SELECT unnest(series_ids))
),
gaps AS (
    SELECT
        d.series_id,
        CAST(d.day - lag(d.day) OVER (PARTITION BY d.series_id ORDER BY d.day) AS INTEGER) AS gap
    FROM release_days AS d
),
typical_gap AS (
    SELECT g.series_id, median(g.gap) AS gap_days, count(g.gap) AS gaps
    FROM gaps AS g
    GROUP BY g.series_id
),
gap_spread AS (
    SELECT g.series_id, median(abs(g.gap - t.gap_days)) AS spread
    FROM gaps AS g
    JOIN typical_gap AS t ON t.series_id = g.series_id
    WHERE g.gap IS NOT NULL
    GROUP BY g.series_id
),
next_periods AS (
    -- The period after the newest one spans like the same period a year before did.
    SELECT
        t.series_id,
        CAST(t.last_period_end + INTERVAL 1 DAY AS DATE) AS next_period,
        coalesce(
            CAST(a.period_end + INTERVAL 1 YEAR AS DATE),
            period_last_day(s.frequency, CAST(t.last_period_end + INTERVAL 1 DAY AS DATE))
        ) AS next_period_end
    FROM last_two AS t
    JOIN series AS s ON s.series_id = t.series_id
    LEFT JOIN rows AS a
        ON a.series_id = t.series_id
       AND a.period = CAST(t.last_period_end + INTERVAL 1 DAY - INTERVAL 1 YEAR AS DATE)
       AND a.status <> 'deleted'
    WHERE s.frequency <> 'irregular'
)
SELECT
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(t.last_period AS DATE) AS last_period,
    CAST(t.last_value AS DOUBLE) AS last_value,
    CAST(t.previous_value AS DOUBLE) AS previous_value,
    CAST(ro.last_published_at AS TIMESTAMP) AS last_published_at,
    CAST(coalesce(ro.release_count, 0) AS BIGINT) AS release_count,
    CAST(ro.last_release_id AS BIGINT) AS last_release_id,
    CAST(coalesce(ro.last_release_revisions, 0) AS BIGINT) AS last_release_revisions,
    CAST(s.periods AS BIGINT) AS periods,
    CAST(s.revised_periods AS BIGINT) AS revised_periods,
    CAST(s.revision_count AS BIGINT) AS revision_count,
    CAST(s.first_to_latest_count AS BIGINT) AS first_to_latest_count,
    CAST(s.first_to_latest_sum AS DOUBLE) AS first_to_latest_sum,
    CAST(s.first_to_latest_abs_sum AS DOUBLE) AS first_to_latest_abs_sum,
    CAST(np.next_period AS DATE) AS next_period,
    CAST(np.next_period_end AS DATE) AS next_period_end,
    CAST(tl.lag_days AS DOUBLE) AS typical_lag_days,
    CAST(coalesce(tl.lags, 0) AS BIGINT) AS lag_count,
    CAST(ls.spread AS DOUBLE) AS lag_spread,
    CAST(tg.gap_days AS DOUBLE) AS typical_gap_days,
    CAST(coalesce(tg.gaps, 0) AS BIGINT) AS gap_count,
    CAST(gs.spread AS DOUBLE) AS gap_spread
FROM stats AS s
LEFT JOIN last_two AS t ON t.series_id = s.series_id
LEFT JOIN releases_of AS ro ON ro.series_id = s.series_id
LEFT JOIN next_periods AS np ON np.series_id = s.series_id
LEFT JOIN typical_lag AS tl ON tl.series_id = s.series_id
LEFT JOIN lag_spread AS ls ON ls.series_id = s.series_id
LEFT JOIN typical_gap AS tg ON tg.series_id = s.series_id
LEFT JOIN gap_spread AS gs ON gs.series_id = s.series_id;
