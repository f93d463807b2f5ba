-- release_series_from_history(series_ids := NULL): table macro, what each release did to each series it stored rows of, recomputed from the history; one row per release and series.
-- The kept table release_series (which the append fills one release at a time) recomputed: each
-- stored version classified against the version before it by change_kind. A forecast release
-- stores its unchanged rows too (stored_rows counts them; none of the other counts does). A row
-- stored twice under one key (which the duplicate_keys check reports) counts once.
-- series_ids: only these series (NULL = every series).
-- Columns: release_id, series_id, published_at, stored_rows, new_rows, revised_rows,
-- restated_rows, deleted_rows.
CREATE OR REPLACE MACRO release_series_from_history(series_ids := NULL) AS TABLE
WITH
steps AS (
    SELECT
        o.release_id,
        o.series_id,
        o.period,
        change_kind(lag(o.value) OVER w, lag(o.status) OVER w, o.value, o.status) AS change
    FROM observations AS o
    WHERE o.release_id IN (SELECT k.release_id FROM known_releases(CAST('infinity' AS TIMESTAMP)) AS k)
      AND (series_ids IS NULL OR o.series_id IN (SELECT unnest(series_ids)))
    WINDOW w AS (PARTITION BY o.series_id, o.period ORDER BY o.release_id)
)
SELECT
    CAST(s.release_id AS BIGINT) AS release_id,
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(any_value(r.published_at) AS TIMESTAMP) AS published_at,
    CAST(count(DISTINCT s.period) AS BIGINT) AS stored_rows,
    CAST(count(*) FILTER (WHERE s.change = 'new') AS BIGINT) AS new_rows,
    CAST(count(*) FILTER (WHERE s.change = 'revised') AS BIGINT) AS revised_rows,
    CAST(count(*) FILTER (WHERE s.change = 'restated') AS BIGINT) AS restated_rows,
    CAST(count(*) FILTER (WHERE s.change = 'deleted') AS BIGINT) AS deleted_rows
FROM steps AS s
JOIN releases AS r ON r.release_id = s.release_id
GROUP BY s.release_id, s.series_id;
