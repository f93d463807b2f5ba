-- series_without_source: catalogue entries with no publisher; one row per offending series.
-- Every series needs a source (provenance); blank or whitespace-only text counts as none.
-- Columns: series_id, name, source.
SELECT
    CAST(s.series_id AS VARCHAR) AS series_id,
    CAST(s.name AS VARCHAR) AS name,
    CAST(s.source AS VARCHAR) AS source
FROM series AS s
WHERE s.source IS NULL OR trim(s.source) = ''
ORDER BY s.series_id
