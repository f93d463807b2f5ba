-- forecast_evolution_of(series_ids := NULL): table macro, forecast_evolution for the forecast series in the list `series_ids` only (all of them when NULL); reads the history of those series only. How each forecast of a target period moved from release to release, and how far it missed; one row per forecast series, target period and release.
-- For series of kind 'forecast' only. A release stores only what it changed (like ALFRED), so a
-- release that repeated a forecast unchanged has no row here; a withdrawn forecast (a deletion)
-- is left out and the next forecast is compared with the one before it. The outturn comes from the
-- series named in series.actual_series_id (migration 002), as now known (`latest`), for the same
-- period start; until it is in the store the outturn columns are NULL.
-- Columns:
--   series_id, target_period, target_period_end   the forecast series and the period forecast
--   release_id, published_at                       the release that published this forecast
--   version                                        1 for the first forecast of the target, 2, 3, ...
--   value                                          the forecast
--   previous_value, revision                       the forecast before it, value - previous_value (NULL for version 1)
--   horizon_days                                   target_period_end - publication day (negative: published after the period ended)
--   actual_series_id, actual_value                 the outturn series and its value for the target period
--   forecast_error                                 value - actual_value (positive = the forecast was too high)
CREATE OR REPLACE MACRO forecast_evolution_of(series_ids := NULL) AS TABLE
WITH
forecast_series AS (
    SELECT s.series_id, s.actual_series_id
    FROM series AS s
    WHERE s.kind = 'forecast'
),
versions AS (
    SELECT
        v.series_id, v.period, v.period_end, v.release_id, v.published_at, v.value,
        f.actual_series_id
    FROM vintages AS v
    JOIN forecast_series AS f ON f.series_id = v.series_id
    WHERE v.status <> 'deleted'
      AND (series_ids IS NULL OR list_contains(series_ids, v.series_id))
),
sequenced AS (
    SELECT
        x.*,
        lag(x.value) OVER target AS previous_value,
        row_number() OVER target AS version
    FROM versions AS x
    WINDOW target AS (PARTITION BY x.series_id, x.period ORDER BY x.release_id)
)
SELECT
    CAST(q.series_id AS VARCHAR) AS series_id,
    CAST(q.period AS DATE) AS target_period,
    CAST(q.period_end AS DATE) AS target_period_end,
    CAST(q.release_id AS BIGINT) AS release_id,
    CAST(q.published_at AS TIMESTAMP) AS published_at,
    CAST(q.version AS INTEGER) AS version,
    CAST(q.value AS DOUBLE) AS value,
    CAST(q.previous_value AS DOUBLE) AS previous_value,
    CAST(q.value - q.previous_value AS DOUBLE) AS revision,
    CAST(date_diff('day', CAST(q.published_at AS DATE), q.period_end) AS INTEGER) AS horizon_days,
    CAST(q.actual_series_id AS VARCHAR) AS actual_series_id,
    CAST(a.value AS DOUBLE) AS actual_value,
    CAST(q.value - a.value AS DOUBLE) AS forecast_error
FROM sequenced AS q
LEFT JOIN latest AS a ON a.series_id = q.actual_series_id AND a.period = q.period;
