-- A user's own Overview: the series it shows as cards, in order (`tracker watch add/remove/list`,
-- the star in the Explorer). With no row, the Overview shows the series with the newest releases.
-- The seed's seven key indicators are the seed's watchlist (data/watchlist.csv).
CREATE TABLE watchlist (
    series_id VARCHAR PRIMARY KEY,
    position  INTEGER NOT NULL,
    added_at  TIMESTAMP NOT NULL
);
