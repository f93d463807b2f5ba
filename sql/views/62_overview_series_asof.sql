-- overview_series_asof(today): table macro, the series the Overview shows on day `today`: the watchlist's series in its order, or with an empty watchlist the 8 series with the newest releases; one row per card.
-- Columns: series_id, position (1, 2, ...), chosen_by ('watchlist' or 'newest releases').
-- `today` is unused for now (the watchlist has no dates); it keeps the signature of the Overview's
-- other macros.
CREATE OR REPLACE MACRO overview_series_asof(today) AS TABLE
WITH
watched AS (
    SELECT w.series_id, row_number() OVER (ORDER BY w.position, w.series_id) AS position
    FROM watchlist AS w
    JOIN series AS s ON s.series_id = w.series_id
),
newest AS (
    SELECT
        c.series_id,
        row_number() OVER (ORDER BY c.last_published_at DESC, c.series_id) AS position
    FROM current_series AS c
    WHERE c.last_published_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM watched)
    QUALIFY position <= 8
),
chosen AS (
    SELECT series_id, position, 'watchlist' AS chosen_by FROM watched
    UNION ALL
    SELECT series_id, position, 'newest releases' AS chosen_by FROM newest
)
SELECT CAST(c.series_id AS VARCHAR) AS series_id, CAST(c.position AS INTEGER) AS position,
       CAST(c.chosen_by AS VARCHAR) AS chosen_by
FROM chosen AS c
ORDER BY c.position;
