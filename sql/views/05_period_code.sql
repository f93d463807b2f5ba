-- period_code(frequency, period, period_end): scalar macro, the period as people write it; one value per call.
-- 'A' -> 2025, 'S' -> 2025-S1, 'Q' -> 2025-Q2, 'M' -> 2025-05 (a span: 2024-01/02),
-- 'W' -> 2025-W10 (ISO week), 'D' and 'irregular' -> 2025-05-31.
-- The one place a stored period becomes a code: tracker.periods.fit asks it for the code to suggest,
-- and tracker.periods.parse reads every code it writes back as the same span (tested).
CREATE OR REPLACE MACRO period_code(frequency, period, period_end) AS
CAST(CASE frequency
    WHEN 'A' THEN strftime(period, '%Y')
    WHEN 'S' THEN strftime(period, '%Y') || '-S' || CAST(CASE WHEN month(period) <= 6 THEN 1 ELSE 2 END AS VARCHAR)
    WHEN 'Q' THEN strftime(period, '%Y') || '-Q' || CAST(quarter(period) AS VARCHAR)
    WHEN 'M' THEN strftime(period, '%Y-%m') || CASE
        WHEN period_end IS NULL OR date_trunc('month', period_end) = date_trunc('month', period) THEN ''
        WHEN year(period_end) = year(period) THEN '/' || strftime(period_end, '%m')
        ELSE '/' || strftime(period_end, '%Y-%m')
    END
    WHEN 'W' THEN lpad(CAST(isoyear(period) AS VARCHAR), 4, '0') || '-W' || lpad(CAST(week(period) AS VARCHAR), 2, '0')
    ELSE strftime(period, '%Y-%m-%d')
END AS VARCHAR);
