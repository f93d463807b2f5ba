-- revision_triangle: every period's value as known right after each release that touched its series (a heatmap reads it directly); one row per series, period and release.
-- For each release that stored a row of the series, every period already published by then, with
-- the value then current (the newest version with release_id <= that release). Periods not yet
-- published are absent, which gives the triangle its shape. After a deletion the period keeps
-- appearing with value NULL and status 'deleted'.
-- Columns:
--   series_id, period
--   release_id, published_at     the release after which the value is read
--   value                        the value known after that release
--   status                       its status ('deleted' after a deletion)
--   changed                      true when this release itself published this value (new or revised)
--   first_value                  the period's first published value
--   revision_since_first         value - first_value
CREATE OR REPLACE VIEW revision_triangle AS
WITH
touching AS (
    SELECT DISTINCT v.series_id, v.release_id, v.published_at
    FROM vintages AS v
),
cells AS (
    SELECT DISTINCT v.series_id, v.period
    FROM vintages AS v
),
grid AS (
    SELECT t.series_id, t.release_id, t.published_at, c.period
    FROM touching AS t
    JOIN cells AS c ON c.series_id = t.series_id
),
known AS (
    SELECT
        g.series_id, g.period, g.release_id, g.published_at,
        v.value, v.status, v.release_id AS value_release_id
    FROM grid AS g
    ASOF JOIN vintages AS v
        ON g.series_id = v.series_id AND g.period = v.period AND g.release_id >= v.release_id
)
SELECT
    CAST(k.series_id AS VARCHAR) AS series_id,
    CAST(k.period AS DATE) AS period,
    CAST(k.release_id AS BIGINT) AS release_id,
    CAST(k.published_at AS TIMESTAMP) AS published_at,
    CAST(k.value AS DOUBLE) AS value,
    CAST(k.status AS VARCHAR) AS status,
    CAST(k.value_release_id = k.release_id AS BOOLEAN) AS changed,
    CAST(f.value AS DOUBLE) AS first_value,
    CAST(k.value - f.value AS DOUBLE) AS revision_since_first
FROM known AS k
LEFT JOIN first_release AS f ON f.series_id = k.series_id AND f.period = k.period;
