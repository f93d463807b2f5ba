-- regimes_asof(ts): table macro, the policy regimes (a level in force from one date to the next change) as known at ts (NULL = now); one row per policy series and regime.
-- For series of kind 'policy' (a tariff rate, a policy rate): each observation is the level in force
-- from its period (the effective date). Consecutive observations with the same value are one regime
-- (a re-statement is not a change). A value published as missing is a regime with value NULL.
-- Columns:
--   series_id, unit
--   value            the level in force
--   effective_from   the first day it applied
--   effective_to     the day before the next change; NULL while it is still in force
--   release_id, published_at   the release (as of ts) that gave the regime's first observation
CREATE OR REPLACE MACRO regimes_asof(ts) AS TABLE
WITH
policy AS (
    SELECT s.series_id, s.unit
    FROM series AS s
    WHERE s.kind = 'policy'
),
known AS (
    SELECT k.series_id, k.period, k.value, k.release_id, k.published_at, p.unit
    FROM series_asof(NULL, as_of := ts) AS k
    JOIN policy AS p ON p.series_id = k.series_id
),
changes AS (
    SELECT
        k.*,
        row_number() OVER by_date AS position,
        lag(k.value) OVER by_date AS previous_value
    FROM known AS k
    WINDOW by_date AS (PARTITION BY k.series_id ORDER BY k.period)
),
starts AS (
    SELECT c.*
    FROM changes AS c
    WHERE c.position = 1 OR c.value IS DISTINCT FROM c.previous_value
)
SELECT
    CAST(r.series_id AS VARCHAR) AS series_id,
    CAST(r.unit AS VARCHAR) AS unit,
    CAST(r.value AS DOUBLE) AS value,
    CAST(r.period AS DATE) AS effective_from,
    CAST(lead(r.period) OVER (PARTITION BY r.series_id ORDER BY r.period) - INTERVAL 1 DAY AS DATE)
        AS effective_to,
    CAST(r.release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM starts AS r;
