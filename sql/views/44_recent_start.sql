-- recent_start(freq, newest_unit): scalar macro, the first period number (period_index) of a series' recent stretch, given its newest; one value per call.
-- The recent stretch is the last two years and 24 periods more (a monthly series: 48 months; an
-- annual one: 26 years; a daily one: 754 days): what trends needs of a series besides its streak
-- (the newest value and its year-ago base, 12-period means, 6-period slope, the last 4 changes),
-- with room to spare. period_comparisons(recent_only := true) reads only this stretch.
-- Returns BIGINT.
CREATE OR REPLACE MACRO recent_start(freq, newest_unit) AS
CAST(newest_unit - 2 * periods_per_year(freq) - 23 AS BIGINT);
