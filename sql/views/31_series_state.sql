-- series_state(series_ids := NULL): table macro, the kept state current_series computed from the kept current_observations and release_series, except the sums of revisions; one row per series with observations.
-- What the append writes into current_series for the series a release touched (adding the sums
-- of this release's revisions to the kept ones), and what `tracker init` rebuilds it from (with
-- series_revisions_from_history). series_ids: only these series (NULL = every series).
-- Columns: series_id; last_period, last_value, previous_value (the two newest periods as now known,
-- deletions removed); last_published_at, release_count, last_release_id (the releases that stored
-- rows of the series: the newest, how many, the newest's id), last_release_revisions (rows the
-- newest release revised or deleted); periods (periods ever published), revised_periods,
-- revision_count (numeric revisions, see `revisions`); first_to_latest_count, first_to_latest_sum, first_to_latest_abs_sum (latest minus
-- first published value over the periods that have both).
CREATE OR REPLACE MACRO series_state(series_ids := NULL) AS TABLE
WITH
rows AS (
    SELECT c.*
    FROM current_observations AS c
    WHERE series_ids IS NULL OR c.series_id IN (SELECT unnest(series_ids))
),
ranked AS (
    SELECT
        r.series_id, r.period, r.value,
        row_number() OVER (PARTITION BY r.series_id ORDER BY r.period DESC) AS recency
    FROM rows AS r
    WHERE r.status <> 'deleted'
),
last_two AS (
    SELECT
        k.series_id,
        max(k.period) FILTER (WHERE k.recency = 1) AS last_period,
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
    CAST(s.first_to_latest_abs_sum AS DOUBLE) AS first_to_latest_abs_sum
FROM stats AS s
LEFT JOIN last_two AS t ON t.series_id = s.series_id
LEFT JOIN releases_of AS ro ON ro.series_id = s.series_id;
