-- revisions: one row per series, period and release whose version revised or deleted the version before it.
-- "Revised" is change_kind's: a change of value beyond float noise (relative 1e-9), or to or from
-- missing; a deletion is a revision to NULL with status 'deleted'. A status-only change
-- (provisional -> actual at the same value) is a restatement, not a revision, and a value published
-- again after a deletion is new: neither appears here. The releases' rows_revised and rows_deleted
-- count exactly these rows.
-- Columns: series_id, period, release_id, published_at, previous_value, value, revision
-- (value - previous_value), status, previous_published_at.
CREATE OR REPLACE VIEW revisions AS
WITH
ordered AS (
    SELECT
        v.series_id, v.period, v.release_id, v.published_at, v.value, v.status,
        lag(v.value) OVER w AS previous_value,
        lag(v.status) OVER w AS previous_status,
        lag(v.published_at) OVER w AS previous_published_at
    FROM vintages AS v
    WINDOW w AS (PARTITION BY v.series_id, v.period ORDER BY v.release_id)
)
SELECT
    CAST(o.series_id AS VARCHAR) AS series_id,
    CAST(o.period AS DATE) AS period,
    CAST(o.release_id AS BIGINT) AS release_id,
    CAST(o.published_at AS TIMESTAMP) AS published_at,
    CAST(o.previous_value AS DOUBLE) AS previous_value,
    CAST(o.value AS DOUBLE) AS value,
    CAST(o.value - o.previous_value AS DOUBLE) AS revision,
    CAST(o.status AS VARCHAR) AS status,
    CAST(o.previous_published_at AS TIMESTAMP) AS previous_published_at
FROM ordered AS o
WHERE change_kind(o.previous_value, o.previous_status, o.value, o.status) IN ('revised', 'deleted');
