-- Taking back a mistaken release without deleting history: one row per retracted release, with
-- who took it back, when and why. Its observations stay in the store; as of a time before
-- retracted_at every view shows what was believed then, from retracted_at on the values are as
-- if the release never came (known_releases decides which releases count at a time).
-- releases.ingested_by: who appended each release (the dashboard's login, or the OS user of
-- the CLI, the Python API and `tracker pull`).
CREATE TABLE retractions (
    release_id   BIGINT PRIMARY KEY,
    retracted_at TIMESTAMP NOT NULL,
    retracted_by VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL
);

ALTER TABLE releases ADD COLUMN ingested_by VARCHAR;

-- What each release carried, per series: every row it held, unchanged ones included (a release
-- that only confirmed values stores no observation of the series, but what it said rests on the
-- versions before it). A fact of the append, like the releases' row counts; releases appended
-- before this migration are filled in from their stored rows.
CREATE TABLE release_coverage (
    release_id BIGINT NOT NULL,
    series_id  VARCHAR NOT NULL,
    rows       BIGINT NOT NULL
);
INSERT INTO release_coverage
SELECT release_id, series_id, count(*) FROM observations GROUP BY release_id, series_id;
