-- releases_without_rows: releases that hold no observation rows although they should; one row per offending release.
-- A release whose values were all unchanged legitimately stores no rows (rows_unchanged > 0 and
-- nothing new, revised or deleted). Offending: a release that claims new, revised or deleted rows
-- but holds none, or an empty release (every count 0).
-- Columns: release_id, source, published_at, file_name, rows_new, rows_revised, rows_deleted, rows_unchanged.
SELECT
    CAST(r.release_id AS BIGINT) AS release_id,
    CAST(r.source AS VARCHAR) AS source,
    CAST(r.published_at AS TIMESTAMP) AS published_at,
    CAST(r.file_name AS VARCHAR) AS file_name,
    CAST(r.rows_new AS BIGINT) AS rows_new,
    CAST(r.rows_revised AS BIGINT) AS rows_revised,
    CAST(r.rows_deleted AS BIGINT) AS rows_deleted,
    CAST(r.rows_unchanged AS BIGINT) AS rows_unchanged
FROM releases AS r
WHERE NOT EXISTS (SELECT 1 FROM observations AS o WHERE o.release_id = r.release_id)
  AND (r.rows_new + r.rows_revised + r.rows_deleted > 0 OR r.rows_unchanged = 0)
ORDER BY r.release_id
