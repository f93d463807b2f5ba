-- vintages: every version of every observation with its release; one row per series, period and release.
-- A retracted release's rows are left out (the history as now known; asof before the retraction
-- still shows them).
-- Columns: series_id, period, period_end, value (NULL = published as missing or deleted), status,
-- release_id, published_at, source (publisher of the release), title, url.
CREATE OR REPLACE VIEW vintages AS
SELECT
    CAST(o.series_id AS VARCHAR) AS series_id,
    CAST(o.period AS DATE) AS period,
    CAST(o.period_end AS DATE) AS period_end,
    CAST(o.value AS DOUBLE) AS value,
    CAST(o.status AS VARCHAR) AS status,
    CAST(o.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at,
    CAST(r.source AS VARCHAR) AS source,
    CAST(r.title AS VARCHAR) AS title,
    CAST(r.url AS VARCHAR) AS url
FROM observations AS o
JOIN releases AS r USING (release_id)
WHERE o.release_id IN (SELECT k.release_id FROM known_releases(CAST('infinity' AS TIMESTAMP)) AS k);
