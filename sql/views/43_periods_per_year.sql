-- periods_per_year(freq): scalar macro, how many periods of frequency freq make a year; one value per call.
-- The "n_obs_per_yr" of FRED's formulas (ch1, pc1, pca, cca), defined here only:
-- A 1, S 2, Q 4, M 12, W 52, D 365; NULL for irregular series (they have no year-ago period count).
-- Returns INTEGER.
CREATE OR REPLACE MACRO periods_per_year(freq) AS
CAST(
    CASE freq
        WHEN 'A' THEN 1
        WHEN 'S' THEN 2
        WHEN 'Q' THEN 4
        WHEN 'M' THEN 12
        WHEN 'W' THEN 52
        WHEN 'D' THEN 365
    END AS INTEGER
);
