-- period_index(freq, day): scalar macro, the number of the period of frequency freq that contains day; one value per call.
-- Consecutive periods have consecutive numbers, so "the period before" is n - 1 and "a year ago" is
-- n - periods_per_year(freq), whatever the calendar: A = year, S = year*2 + half, Q = year*4 + quarter,
-- M = year*12 + month (0-based), W = ISO weeks since Monday 1970-01-05, D and irregular = days since
-- 1970-01-01. A span (China's Jan–Feb) runs from period_index(freq, period) to period_index(freq, period_end).
-- Returns BIGINT; NULL for a NULL day.
CREATE OR REPLACE MACRO period_index(freq, day) AS
CAST(
    CASE freq
        WHEN 'A' THEN year(day)
        WHEN 'S' THEN year(day) * 2 + (month(day) - 1) // 6
        WHEN 'Q' THEN year(day) * 4 + (month(day) - 1) // 3
        WHEN 'M' THEN year(day) * 12 + month(day) - 1
        WHEN 'W' THEN floor(date_diff('day', DATE '1970-01-05', CAST(day AS DATE)) / 7)
        ELSE date_diff('day', DATE '1970-01-01', CAST(day AS DATE))
    END AS BIGINT
);
