-- unit_guard(code, for_series, kind, unit_text): scalar macro, returns code, or raises the SQL error transform_refusal gives; one value per call.
-- Put it in a query's path (transformed and rebased join on it) so a refused transform is an error,
-- never a silent number. Arguments as for transform_refusal. Returns VARCHAR (the code).
CREATE OR REPLACE MACRO unit_guard(code, for_series, kind, unit_text) AS
CAST(
    CASE
        WHEN transform_refusal(code, for_series, kind, unit_text) IS NOT NULL
            THEN error(transform_refusal(code, for_series, kind, unit_text))
        ELSE code
    END AS VARCHAR
);
