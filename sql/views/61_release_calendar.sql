-- release_calendar: per series the next expected release and whether it is late, as seen today; one row per series that has been published.
-- = release_calendar_asof(current_date); the columns are documented in 60_release_calendar_asof.sql.
-- Columns: series_id, frequency, kind, last_period, last_published_at, next_period,
-- next_period_end, expected_on, basis, basis_detail, confidence, tolerance_days, due_by, overdue,
-- overdue_since, days_until, freshness.
CREATE OR REPLACE VIEW release_calendar AS
SELECT * FROM release_calendar_asof(current_date);
