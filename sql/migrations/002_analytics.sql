-- Analytics: link a forecast series to the actual series that measures its outturn.
-- series.actual_series_id (nullable): for kind 'forecast', the series_id of the actual series whose
-- value for the same period is the outturn (e.g. WLD.GDP.OECD_FCST -> WLD.GDP.GROWTH); the view
-- forecast_evolution reads it to compute forecast errors. NULL: no outturn series (yet).
ALTER TABLE series ADD COLUMN actual_series_id VARCHAR;
