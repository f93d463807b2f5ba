-- The bitemporal core: series catalogue, releases (vintages), append-only observations, events.
-- Observations carry no primary-key index on purpose: uniqueness of (series_id, period, release_id)
-- is enforced by `tracker append` and audited by sql/checks/duplicate_keys.sql, which keeps bulk
-- appends at set-based speed.

CREATE SEQUENCE release_id_seq START 1;
CREATE SEQUENCE event_id_seq START 1;

CREATE TABLE series (
    series_id   VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    unit_kind   VARCHAR NOT NULL
        CHECK (unit_kind IN ('level', 'index', 'rate', 'growth_yoy', 'growth_pop', 'share')),
    frequency   VARCHAR NOT NULL
        CHECK (frequency IN ('A', 'S', 'Q', 'M', 'W', 'D', 'irregular')),
    geo         VARCHAR,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('actual', 'forecast', 'policy')),
    description VARCHAR,
    tags        VARCHAR[] NOT NULL DEFAULT [],
    min_value   DOUBLE,
    max_value   DOUBLE
);

CREATE TABLE releases (
    release_id     BIGINT PRIMARY KEY,
    source         VARCHAR NOT NULL,
    title          VARCHAR,
    published_at   TIMESTAMP NOT NULL,
    url            VARCHAR,
    ingested_at    TIMESTAMP NOT NULL,
    file_name      VARCHAR,
    format         VARCHAR NOT NULL,
    checksum       VARCHAR NOT NULL,
    rows_new       BIGINT NOT NULL DEFAULT 0,
    rows_revised   BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    rows_deleted   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE observations (
    series_id  VARCHAR NOT NULL,
    period     DATE NOT NULL,
    period_end DATE NOT NULL,
    value      DOUBLE,
    status     VARCHAR NOT NULL
        CHECK (status IN ('actual', 'estimate', 'provisional', 'forecast', 'deleted')),
    release_id BIGINT NOT NULL,
    note       VARCHAR
);

CREATE TABLE events (
    event_id    BIGINT PRIMARY KEY,
    starts_on   DATE NOT NULL,
    ends_on     DATE,
    title       VARCHAR NOT NULL,
    description VARCHAR,
    tags        VARCHAR[] NOT NULL DEFAULT [],
    url         VARCHAR,
    series_ids  VARCHAR[] NOT NULL DEFAULT []
);
