-- latest: the newest version of every observation, deletions removed; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- The same as asof() at the end of time: one definition of "newest version" for both.
CREATE OR REPLACE VIEW latest AS
SELECT *
FROM asof(CAST('infinity' AS TIMESTAMP));
