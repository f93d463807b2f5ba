-- change_kind(previous_value, previous_status, value, status): scalar macro, what a version changes against the version before it; one value per call.
-- The one definition of "revised" (the append diff, releases' row counts, `revisions`, the kept
-- revision statistics and every page use it). previous_status NULL means there was no version before.
--   'new'        the period had no value (never published, or deleted) and now has one
--   'revised'    the value changed (not same_number: float noise is not a revision), or went to or
--                from missing (NULL)
--   'restated'   the same value with another status (provisional -> actual): not a revision
--   'deleted'    a deletion of a value (a tombstone; deleting what is not there is 'unchanged')
--   'unchanged'  the same value and status again
-- Returns VARCHAR.
CREATE OR REPLACE MACRO change_kind(previous_value, previous_status, value, status) AS
CAST(
    CASE
        WHEN status = 'deleted' THEN
            CASE
                WHEN previous_status IS NULL OR previous_status = 'deleted' THEN 'unchanged'
                ELSE 'deleted'
            END
        WHEN previous_status IS NULL OR previous_status = 'deleted' THEN 'new'
        WHEN NOT same_number(previous_value, value) THEN 'revised'
        WHEN status <> previous_status THEN 'restated'
        ELSE 'unchanged'
    END AS VARCHAR
);
