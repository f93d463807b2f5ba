-- revisions: one row per series, period and release whose value differs from the version before it.
-- A deletion is a revision to NULL with status 'deleted'; float noise (relative difference below
-- 1e-9) is not a revision.
-- Columns: series_id, period, release_id, published_at, previous_value, value, revision
-- (value - previous_value), status, previous_published_at.
CREATE OR REPLACE VIEW revisions AS
WITH
ordered AS (
    SELECT
        v.series_id, v.period, v.release_id, v.published_at, v.value, v.status,
        lag(v.value) OVER w AS previous_value,
        lag(v.status) OVER w AS previous_status,
        lag(v.published_at) OVER w AS previous_published_at,
        row_number() OVER w AS version
    FROM vintages AS v
    WINDOW w AS (PARTITION BY v.series_id, v.period ORDER BY v.release_id)
),
changed AS (
    SELECT *
    FROM ordered
    WHERE version > 1
      AND (
          (value IS NULL) <> (previous_value IS NULL)
          OR abs(value - previous_value) > 1e-9 * greatest(abs(value), abs(previous_value), 1e-300)
          OR (status = 'deleted') <> (previous_status = 'deleted')
      )
)
SELECT
    CAST(series_id AS VARCHAR) AS series_id,
    CAST(period AS DATE) AS period,
    CAST(release_id AS BIGINT) AS release_id,
    CAST(published_at AS TIMESTAMP) AS published_at,
    CAST(previous_value AS DOUBLE) AS previous_value,
    CAST(value AS DOUBLE) AS value,
    CAST(value - previous_value AS DOUBLE) AS revision,
    CAST(status AS VARCHAR) AS status,
    CAST(previous_published_at AS TIMESTAMP) AS previous_published_at
FROM changed;
