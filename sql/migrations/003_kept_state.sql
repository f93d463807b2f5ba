-- Kept state: the current answer of `latest`, `first_release`, `series_summary`, `trends` and
-- `revision_stats` (and which series each release touched), kept up to date inside each append's transaction for the series it touches,
-- so reading them costs what the answer costs, not what the history costs. They are derived:
-- `tracker init` rebuilds them from `observations` whenever the view definitions change, and
-- `tracker check` proves they equal a recomputation from `observations` (sql/checks/kept_*.sql).
-- Status-only changes (the same value published again as 'actual' instead of 'provisional') are
-- counted apart from revisions: releases.rows_restated.

-- In two steps: DuckDB 1.5 refuses a constraint in ADD COLUMN (the same column either way).
ALTER TABLE releases ADD COLUMN rows_restated BIGINT DEFAULT 0;
ALTER TABLE releases ALTER COLUMN rows_restated SET NOT NULL;

-- One row per series and period: its newest stored version (a tombstone when the newest is a
-- deletion), its first published version and how many numeric revisions it had.
CREATE TABLE current_observations (
    series_id          VARCHAR NOT NULL,
    period             DATE NOT NULL,
    period_end         DATE NOT NULL,
    value              DOUBLE,
    status             VARCHAR NOT NULL,
    release_id         BIGINT NOT NULL,
    published_at       TIMESTAMP NOT NULL,
    first_release_id   BIGINT,
    first_period_end   DATE,
    first_value        DOUBLE,
    first_status       VARCHAR,
    revision_count     BIGINT NOT NULL
);

-- One row per release and series it stored rows of: what the release did to the series (the
-- release feed, the series' release history and the release calendar read it).
CREATE TABLE release_series (
    release_id    BIGINT NOT NULL,
    series_id     VARCHAR NOT NULL,
    published_at  TIMESTAMP NOT NULL,
    stored_rows   BIGINT NOT NULL,
    new_rows      BIGINT NOT NULL,
    revised_rows  BIGINT NOT NULL,
    restated_rows BIGINT NOT NULL,
    deleted_rows  BIGINT NOT NULL
);

-- One row per series with observations: its two newest periods as now known, the releases that
-- stored its rows, its revision statistics and its publication pattern.
CREATE TABLE current_series (
    series_id                VARCHAR NOT NULL,
    last_period              DATE,
    last_value               DOUBLE,
    previous_value           DOUBLE,
    last_published_at        TIMESTAMP,
    release_count            BIGINT NOT NULL,
    last_release_id          BIGINT,
    last_release_revisions   BIGINT NOT NULL,
    periods                  BIGINT NOT NULL,
    revised_periods          BIGINT NOT NULL,
    revision_count           BIGINT NOT NULL,
    revision_sum             DOUBLE,
    revision_abs_sum         DOUBLE,
    revision_abs_max         DOUBLE,
    first_to_latest_count    BIGINT NOT NULL,
    first_to_latest_sum      DOUBLE,
    first_to_latest_abs_sum  DOUBLE,
    last_revised_at          TIMESTAMP,
    -- The series' publication pattern (release_calendar reads it).
    next_period              DATE,
    next_period_end          DATE,
    typical_lag_days         DOUBLE,
    lag_count                BIGINT NOT NULL,
    lag_spread               DOUBLE,
    typical_gap_days         DOUBLE,
    gap_count                BIGINT NOT NULL,
    gap_spread               DOUBLE
);

-- One row per actual or policy series with observations: the `trends` row as now known.
CREATE TABLE current_trends (
    series_id      VARCHAR NOT NULL,
    name           VARCHAR,
    kind           VARCHAR,
    unit           VARCHAR,
    unit_kind      VARCHAR,
    frequency      VARCHAR,
    last_period    DATE,
    last_period_end DATE,
    last_value     DOUBLE,
    previous_value DOUBLE,
    change_1p      DOUBLE,
    pct_change_1p  DOUBLE,
    year_ago_value DOUBLE,
    change_1y      DOUBLE,
    pct_change_1y  DOUBLE,
    mean_3         DOUBLE,
    mean_12        DOUBLE,
    slope_6        DOUBLE,
    streak_basis   VARCHAR,
    streak_sign    INTEGER,
    streak_length  INTEGER,
    up_last_4      INTEGER,
    down_last_4    INTEGER,
    changes_last_4 INTEGER,
    headline       VARCHAR
);
