-- Following sources: subscriptions (one row per provider series feeding one tracker series) and
-- the release dates publishers announce (one row per series and expected date).
-- subscriptions.last_vintage is the newest vintage date the provider reported (its own date, never
-- the download time); last_pulled_at, last_status ('ok' or 'failed') and last_message say how the
-- last pull went. release_key/release_name name the provider's release (FRED: release 53, Gross
-- Domestic Product) whose dates fill release_dates. API keys are never stored here.

CREATE TABLE subscriptions (
    subscription   VARCHAR PRIMARY KEY,
    provider       VARCHAR NOT NULL,
    provider_key   VARCHAR NOT NULL,
    series_id      VARCHAR NOT NULL UNIQUE,
    release_key    VARCHAR,
    release_name   VARCHAR,
    created_at     TIMESTAMP NOT NULL,
    last_vintage   TIMESTAMP,
    last_pulled_at TIMESTAMP,
    last_status    VARCHAR CHECK (last_status IN ('ok', 'failed')),
    last_message   VARCHAR
);

CREATE TABLE release_dates (
    series_id   VARCHAR NOT NULL,
    expected_on DATE NOT NULL,
    source      VARCHAR NOT NULL,
    release     VARCHAR,
    fetched_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (series_id, expected_on)
);
