-- period_floor(freq, day): scalar macro, the first day of the period of frequency freq that contains day; one value per call.
-- A: 1 January, S: 1 January or 1 July, Q: first day of the quarter, M: first of the month, W: the ISO
-- Monday, D and irregular: the day itself. Returns DATE.
CREATE OR REPLACE MACRO period_floor(freq, day) AS
CAST(
    CASE freq
        WHEN 'A' THEN date_trunc('year', CAST(day AS DATE))
        WHEN 'S' THEN make_date(year(day), CASE WHEN month(day) <= 6 THEN 1 ELSE 7 END, 1)
        WHEN 'Q' THEN date_trunc('quarter', CAST(day AS DATE))
        WHEN 'M' THEN date_trunc('month', CAST(day AS DATE))
        WHEN 'W' THEN date_trunc('week', CAST(day AS DATE))
        ELSE CAST(day AS DATE)
    END AS DATE
);
