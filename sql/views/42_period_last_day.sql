-- period_last_day(freq, first_day): scalar macro, the last day of the period of frequency freq that starts on first_day; one value per call.
-- A: 31 December, S: 30 June or 31 December, Q: last day of the quarter, M: last day of the month,
-- W: the Sunday, D and irregular: the day itself. Returns DATE.
CREATE OR REPLACE MACRO period_last_day(freq, first_day) AS
CAST(
    CASE freq
        WHEN 'A' THEN CAST(first_day AS DATE) + INTERVAL 1 YEAR - INTERVAL 1 DAY
        WHEN 'S' THEN CAST(first_day AS DATE) + INTERVAL 6 MONTH - INTERVAL 1 DAY
        WHEN 'Q' THEN CAST(first_day AS DATE) + INTERVAL 3 MONTH - INTERVAL 1 DAY
        WHEN 'M' THEN last_day(CAST(first_day AS DATE))
        WHEN 'W' THEN CAST(first_day AS DATE) + INTERVAL 6 DAY
        ELSE CAST(first_day AS DATE)
    END AS DATE
);
