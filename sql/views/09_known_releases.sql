-- known_releases(ts): table macro, the releases that count at time ts: published by then and not retracted by then; one row per release.
-- The one definition every history-side view uses (versions_asof, vintages, first versions, what
-- each release did): a retracted release (table retractions) counts before its retraction and
-- not after it. A DATE ts means midnight of that day.
-- Columns: release_id, published_at.
CREATE OR REPLACE MACRO known_releases(ts) AS TABLE
SELECT
    CAST(r.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM releases AS r
WHERE r.published_at <= CAST(ts AS TIMESTAMP)
  AND NOT EXISTS (
      SELECT 1 FROM retractions AS x
      WHERE x.release_id = r.release_id AND x.retracted_at <= CAST(ts AS TIMESTAMP)
  );
