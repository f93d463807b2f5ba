-- surprises: per first release of an actual series, what the newest expectation published before it said and how far the outturn missed it; one row per expectation series and actual period.
-- Expectations are series of their own (kind 'forecast': a market consensus poll, an agency's
-- outlook), vintaged like any other series and linked to the actual they forecast by
-- series.actual_series_id. actual is the first published value of the period (first_release);
-- consensus the expectation's newest version for that period published strictly before it.
-- surprise_z standardises the surprise by the standard deviation of the same pair's earlier
-- surprises, once there are at least 6 of them (NULL before).
-- Columns: series_id (the actual series), period, period_end, actual, published_at (of the
-- actual), consensus_series_id, consensus, consensus_published_at, surprise (actual - consensus,
-- in the series' unit), surprise_z, release_id (of the actual).
CREATE OR REPLACE VIEW surprises AS
WITH
links AS (
    SELECT s.series_id AS consensus_series_id, s.actual_series_id AS series_id
    FROM series AS s
    WHERE s.kind = 'forecast' AND s.actual_series_id IS NOT NULL
),
actuals AS (
    SELECT f.series_id, f.period, f.period_end, f.value, f.published_at, f.release_id
    FROM first_release AS f
    WHERE f.series_id IN (SELECT l.series_id FROM links AS l) AND f.value IS NOT NULL
),
polls AS (
    SELECT v.series_id, v.period, v.value, v.status, v.release_id, v.published_at
    FROM vintages AS v
    WHERE v.series_id IN (SELECT l.consensus_series_id FROM links AS l)
),
matched AS (
    SELECT
        a.series_id, a.period, a.period_end, a.value AS actual, a.published_at, a.release_id,
        l.consensus_series_id,
        arg_max(p.value, p.release_id) AS consensus,
        arg_max(p.status, p.release_id) AS consensus_status,
        max(p.published_at) AS consensus_published_at
    FROM actuals AS a
    JOIN links AS l ON l.series_id = a.series_id
    JOIN polls AS p
        ON p.series_id = l.consensus_series_id
       AND p.period = a.period
       AND p.published_at < a.published_at
    GROUP BY ALL
),
scored AS (
    SELECT
        m.*,
        round(m.actual - m.consensus, 12) AS surprise,
        stddev_samp(round(m.actual - m.consensus, 12)) OVER earlier AS spread,
        count(m.consensus) OVER earlier AS earlier_surprises
    FROM matched AS m
    WHERE m.consensus_status <> 'deleted' AND m.consensus IS NOT NULL
    WINDOW earlier AS (
        PARTITION BY m.series_id, m.consensus_series_id ORDER BY m.published_at, m.period
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )
)
SELECT
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(s.period AS DATE) AS period,
    CAST(s.period_end AS DATE) AS period_end,
    CAST(s.actual AS DOUBLE) AS actual,
    CAST(s.published_at AS TIMESTAMP) AS published_at,
    CAST(s.consensus_series_id AS VARCHAR) AS consensus_series_id,
    CAST(s.consensus AS DOUBLE) AS consensus,
    CAST(s.consensus_published_at AS TIMESTAMP) AS consensus_published_at,
    CAST(s.surprise AS DOUBLE) AS surprise,
    CAST(
        CASE WHEN s.earlier_surprises >= 6 AND s.spread > 0 THEN s.surprise / s.spread END AS DOUBLE
    ) AS surprise_z,
    CAST(s.release_id AS BIGINT) AS release_id
FROM scored AS s;
