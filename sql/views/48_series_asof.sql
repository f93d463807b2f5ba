-- series_asof(series_id, as_of := NULL, series_ids := NULL): table macro, one series (or a list of them, or every series) as known at as_of; one row per series and period.
-- What `asof(as_of)` shows for the series; as_of NULL means as now known (what `latest` shows, read
-- from the kept state). The base of every analytics macro: the as-of cut comes first, every
-- transform is computed after it. A DATE as_of means midnight of that day, which includes every
-- release dated that day.
-- Arguments: series_id (NULL = every series), as_of (DATE, TIMESTAMP or ISO text; NULL = now),
-- series_ids (a list of ids, e.g. the series of one chart: only those; NULL = no such restriction).
-- A list reads the store once for all its series, where one call per series would read it per series.
-- Columns: series_id, period, period_end, value (NULL = published as missing), status, release_id,
-- published_at (of the release that gave the value). Deleted observations are left out.
-- Only one of the two branches runs: DuckDB folds the constant as_of test away.
CREATE OR REPLACE MACRO series_asof(series_id, as_of := NULL, series_ids := NULL) AS TABLE
SELECT
    l.series_id, l.period, l.period_end, l.value, l.status, l.release_id, l.published_at
FROM latest AS l
WHERE as_of IS NULL
  AND (series_id IS NULL OR l.series_id = series_id)
  -- A semi-join on the list: 2x faster than list_contains on 10M rows.
  AND (series_ids IS NULL OR l.series_id IN (SELECT unnest(series_ids)))
UNION ALL
SELECT
    v.series_id, v.period, v.period_end, v.value, v.status, v.release_id, v.published_at
FROM versions_asof(
    as_of,
    series_ids := CASE WHEN series_id IS NULL THEN series_ids ELSE [series_id] END
) AS v
WHERE as_of IS NOT NULL
  AND v.status <> 'deleted'
  AND (series_ids IS NULL OR v.series_id IN (SELECT unnest(series_ids)));
