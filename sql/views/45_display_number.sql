-- display_number(x): scalar macro, a number as the headlines print it; one value per call.
-- |x| >= 100: no decimals with thousands separators ('20,494'); smaller: three significant digits
-- ('4.8', '-41.4', '0.125'); NULL: 'n/a'. Returns VARCHAR.
CREATE OR REPLACE MACRO display_number(x) AS
CAST(
    CASE
        WHEN x IS NULL THEN 'n/a'
        WHEN abs(x) >= 100 THEN format('{:,.0f}', CAST(x AS DOUBLE))
        ELSE format('{:.3g}', CAST(x AS DOUBLE))
    END AS VARCHAR
);
