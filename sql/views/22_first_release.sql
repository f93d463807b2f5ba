-- first_release: the first published version of every observation; one row per series and period.
-- Columns: series_id, period, period_end, value, status, release_id, published_at.
-- A period whose first stored version was a deletion has none until a value is published. Read
-- from the kept state (current_observations.first_*; see observation_state_from_history).
CREATE OR REPLACE VIEW first_release AS
SELECT
    CAST(c.series_id AS VARCHAR) AS series_id,
    CAST(c.period AS DATE) AS period,
    CAST(c.first_period_end AS DATE) AS period_end,
    CAST(c.first_value AS DOUBLE) AS value,
    CAST(c.first_status AS VARCHAR) AS status,
    CAST(c.first_release_id AS BIGINT) AS release_id,
    CAST(r.published_at AS TIMESTAMP) AS published_at
FROM current_observations AS c
JOIN releases AS r ON r.release_id = c.first_release_id;
