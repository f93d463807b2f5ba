-- asof(ts): table macro, what `latest` showed at time ts; one row per series and period.
-- versions_asof(ts) without deletions: only releases with published_at <= ts count; a DATE
-- argument means midnight of that day, which includes every release dated that day.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- The name is quoted because ASOF is a DuckDB keyword; callers write `FROM asof(DATE '2025-06-01')`.
CREATE OR REPLACE MACRO "asof"(ts) AS TABLE
SELECT
    v.series_id, v.period, v.period_end, v.value, v.status, v.release_id, v.published_at
FROM versions_asof(ts) AS v
WHERE v.status <> 'deleted';
