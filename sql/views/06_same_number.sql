-- same_number(a, b): scalar macro, whether two values are the same number for tracker; one value per call.
-- True when both are missing (NULL), or both are present and differ by no more than a relative
-- 1e-9 (float noise such as 11403.497575000001 vs 11403.497575 is not a change). The tolerance of
-- change_kind (what a revision is) and of the kept-state checks. Returns BOOLEAN.
CREATE OR REPLACE MACRO same_number(a, b) AS
CAST(
    (a IS NULL AND b IS NULL)
    OR (a IS NOT NULL AND b IS NOT NULL AND abs(a - b) <= 1e-9 * greatest(abs(a), abs(b)))
    AS BOOLEAN
);
