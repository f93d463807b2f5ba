-- forecast_evolution: how each forecast of a target period moved from release to release, and how far it missed; one row per forecast series, target period and release.
-- Columns: those of forecast_evolution_of (54_forecast_evolution_of.sql, which holds the
-- definition and documents each column); this view is it for every forecast series.
CREATE OR REPLACE VIEW forecast_evolution AS
SELECT * FROM forecast_evolution_of();
