-- regimes: the policy regimes as now known (from the `latest` values); one row per policy series and regime.
-- = regimes_asof(NULL); e.g. USA.TARIFF.CHN: 145 from 2025-04-10 to 2025-05-13, then 30 from
-- 2025-05-14 with effective_to NULL (still in force).
-- Columns: series_id, unit, value, effective_from, effective_to (NULL while in force), release_id,
-- published_at (see 56_regimes_asof.sql).
CREATE OR REPLACE VIEW regimes AS
SELECT
    CAST(r.series_id AS VARCHAR) AS series_id,
    CAST(r.unit AS VARCHAR) AS unit,
    CAST(r.value AS DOUBLE) AS value,
    CAST(r.effective_from AS DATE) AS effective_from,
    CAST(r.effective_to AS DATE) AS effective_to,
    CAST(r.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM regimes_asof(NULL) AS r;
