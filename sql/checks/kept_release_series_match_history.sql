-- kept_release_series_match_history: releases and series where the kept record of what a release did (release_series, behind the release feed and series_summary's release counts) differs from a recomputation from observations; empty = pass.
-- The recomputation is release_series_from_history().
WITH
kept AS (SELECT * FROM release_series),
fresh AS (SELECT * FROM release_series_from_history()),
paired AS (
    SELECT
        coalesce(k.release_id, f.release_id) AS release_id,
        coalesce(k.series_id, f.series_id) AS series_id,
        CASE
            WHEN k.series_id IS NULL THEN 'missing from the kept state'
            WHEN f.series_id IS NULL THEN 'kept but not in the history'
            WHEN (k.published_at, k.stored_rows, k.new_rows, k.revised_rows, k.restated_rows,
                  k.deleted_rows)
                IS DISTINCT FROM (f.published_at, f.stored_rows, f.new_rows, f.revised_rows,
                  f.restated_rows, f.deleted_rows)
                THEN 'counts differ'
        END AS problem
    FROM kept AS k
    FULL OUTER JOIN fresh AS f ON f.release_id = k.release_id AND f.series_id = k.series_id
)
SELECT p.release_id, p.series_id, p.problem
FROM paired AS p
WHERE p.problem IS NOT NULL
ORDER BY p.release_id, p.series_id;
