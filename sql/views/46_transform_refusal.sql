-- transform_refusal(code, for_series, kind, unit_text): scalar macro, why a transform does not apply to a series, or NULL when it does; one value per call.
-- A ratio of something that is already a rate, a growth rate or a share (unit_kind rate, growth_yoy,
-- growth_pop, share) is a wrong number, not a transform: pch, pc1, pca, cch, cca, log and rebasing
-- (code 'rebase') are refused with the alternative that answers the question. Levels and indices allow
-- everything; lin, chg and ch1 apply to every series. Example:
--   pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate (% y/y); use ch1 for the change in percentage points
-- The one definition of the rule and its text: unit_guard raises it in transformed and rebased, and
-- tracker.analytics.allowed_transforms asks it for every code (the Explorer greys those out).
-- Arguments: code (a transform code or 'rebase'), for_series (series id, NULL = 'this series'),
-- kind (the series' unit_kind), unit_text (the series' unit, shown in brackets when not empty).
-- Returns VARCHAR.
CREATE OR REPLACE MACRO transform_refusal(code, for_series, kind, unit_text) AS
CAST(
    CASE
        WHEN kind IN ('rate', 'growth_yoy', 'growth_pop', 'share')
            AND code IN ('pch', 'pc1', 'pca', 'cch', 'cca', 'log', 'rebase')
        THEN
            CASE code
                WHEN 'pch' THEN 'pch is a percent change'
                WHEN 'pc1' THEN 'pc1 is a percent change'
                WHEN 'pca' THEN 'pca is an annualised percent change'
                WHEN 'cch' THEN 'cch is a continuously compounded percent change'
                WHEN 'cca' THEN 'cca is a continuously compounded annual rate of change'
                WHEN 'log' THEN 'log is a logarithm'
                ELSE 'rebasing is a ratio to a base period'
            END
            || ', but ' || coalesce(for_series, 'this series') || ' is already '
            || CASE kind WHEN 'rate' THEN 'a rate' WHEN 'share' THEN 'a share' ELSE 'a growth rate' END
            || CASE WHEN coalesce(unit_text, '') <> '' THEN ' (' || unit_text || ')' ELSE '' END
            || '; use '
            || CASE code
                WHEN 'pc1' THEN 'ch1 for the change in percentage points'
                WHEN 'log' THEN 'lin for the values as published'
                WHEN 'rebase' THEN 'lin for the values as published'
                ELSE 'chg for the change in percentage points'
            END
    END AS VARCHAR
);
