-- period_label(freq, first_day, last_day): scalar macro, the period code of a stored period (the inverse of the input codes); one value per call.
-- Same text as tracker.periods.code_of: A '2025', S '2025-S1', Q '2025-Q2', M '2025-05' (a span of
-- months '2024-01/02', or '2024-12/2025-01' across a year end), W '2025-W10' (ISO week), D and
-- irregular the ISO date '2025-05-14'. Returns VARCHAR.
CREATE OR REPLACE MACRO period_label(freq, first_day, last_day) AS
CAST(
    CASE freq
        WHEN 'A' THEN strftime(CAST(first_day AS DATE), '%Y')
        WHEN 'S' THEN strftime(CAST(first_day AS DATE), '%Y')
            || '-S' || CASE WHEN month(first_day) <= 6 THEN '1' ELSE '2' END
        WHEN 'Q' THEN strftime(CAST(first_day AS DATE), '%Y') || '-Q' || CAST(quarter(first_day) AS VARCHAR)
        WHEN 'M' THEN strftime(CAST(first_day AS DATE), '%Y-%m')
            || CASE
                WHEN last_day IS NULL OR date_trunc('month', CAST(last_day AS DATE))
                    = date_trunc('month', CAST(first_day AS DATE)) THEN ''
                WHEN year(last_day) = year(first_day) THEN '/' || strftime(CAST(last_day AS DATE), '%m')
                ELSE '/' || strftime(CAST(last_day AS DATE), '%Y-%m')
            END
        WHEN 'W' THEN CAST(isoyear(first_day) AS VARCHAR) || '-W' || lpad(CAST(week(first_day) AS VARCHAR), 2, '0')
        ELSE strftime(CAST(first_day AS DATE), '%Y-%m-%d')
    END AS VARCHAR
);
