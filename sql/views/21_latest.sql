-- latest: the newest version of every observation, deletions removed; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- Read from the kept state (current_observations), which every append updates in its own
-- transaction and which equals versions_asof at the end of time (`tracker check` proves it), so
-- `latest` costs what its answer costs: asof(now) without reading the history.
CREATE OR REPLACE VIEW latest AS
SELECT
    CAST(c.series_id AS VARCHAR) AS series_id,
    CAST(c.period AS DATE) AS period,
    CAST(c.period_end AS DATE) AS period_end,
    CAST(c.value AS DOUBLE) AS value,
    CAST(c.status AS VARCHAR) AS status,
    CAST(c.release_id AS BIGINT) AS release_id,
    CAST(c.published_at AS TIMESTAMP) AS published_at
FROM current_observations AS c
WHERE c.status <> 'deleted';
