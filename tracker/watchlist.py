"""A user's own Overview: the watchlist of series shown as cards, in order.

Kept in the store (table ``watchlist``, migration 005) so every dashboard worker and every SQL
client sees the same list; ``overview_cards`` reads it. With an empty watchlist the Overview shows
the series with the newest releases.
"""

from __future__ import annotations

import duckdb

from tracker import db
from tracker.errors import SeriesError


def listed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The watched series ids, in card order."""
    rows = con.execute("SELECT series_id FROM watchlist ORDER BY position, series_id").fetchall()
    return [r[0] for r in rows]


def add(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> list[str]:
    """Append series to the end of the watchlist (in the order given); returns those added.

    Raises `SeriesError` naming every unknown id (with the closest known one) and adds nothing.
    """
    known = {r[0] for r in con.execute("SELECT series_id FROM series").fetchall()}
    unknown = [s for s in series_ids if s not in known]
    if unknown:
        raise SeriesError(_unknown(con, unknown))
    current = listed(con)
    new = [s for s in dict.fromkeys(series_ids) if s not in current]
    start = db.scalar(con, "SELECT coalesce(max(position), 0) FROM watchlist")
    for offset, series_id in enumerate(new, start=1):
        con.execute(
            "INSERT INTO watchlist (series_id, position, added_at) "
            "VALUES (?, ?, current_localtimestamp())",
            [series_id, start + offset],
        )
    return new


def remove(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> list[str]:
    """Take series off the watchlist; returns those that were on it."""
    current = set(listed(con))
    gone = [s for s in dict.fromkeys(series_ids) if s in current]
    if gone:
        con.execute("DELETE FROM watchlist WHERE list_contains(?, series_id)", [gone])
    return gone


def _unknown(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> str:
    """One line per unknown id, each with the closest known ids."""
    from tracker import queries

    lines = []
    for series_id in series_ids:
        try:
            queries.require_series(con, series_id)
        except SeriesError as exc:
            lines.append(exc.message)
    return "\n".join(lines)
