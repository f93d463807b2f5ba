"""Event annotations: what happened when (a tariff step, a truce, talks), drawn on charts.

An event names the series it concerns (``series_ids``); charts of other series leave it out. An
event with no series is global: every chart shows it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from tracker import db
from tracker.errors import SeriesError, TrackerError


class EventError(TrackerError):
    """An event that cannot be added or removed as asked."""


def add(
    con: duckdb.DuckDBPyConnection,
    *,
    starts_on: date,
    title: str,
    ends_on: date | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    url: str | None = None,
    series_ids: list[str] | None = None,
) -> int:
    """Add one event; returns its id. Series must be in the catalogue; no series = global."""
    if not title.strip():
        raise EventError("error: an event needs a title (pass --title TEXT)")
    if ends_on is not None and ends_on < starts_on:
        raise EventError(
            f"error: --ends-on {ends_on.isoformat()} is before --starts-on "
            f"{starts_on.isoformat()} (an event ends on or after the day it starts)"
        )
    ids = list(dict.fromkeys(series_ids or []))
    if ids:
        known = {
            r[0]
            for r in con.execute(
                "SELECT series_id FROM series WHERE list_contains(?, series_id)", [ids]
            ).fetchall()
        }
        missing = [s for s in ids if s not in known]
        if missing:
            from tracker import queries

            for series_id in missing:
                queries.require_series(con, series_id)  # raises with "did you mean"
            raise SeriesError(f"error: unknown series {', '.join(missing)}")
    event_id = db.next_id(con, "event_id_seq")
    con.execute(
        """
        INSERT INTO events (event_id, starts_on, ends_on, title, description, tags, url, series_ids)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [event_id, starts_on, ends_on, title.strip(), description, tags or [], url, ids],
    )
    return int(event_id)


def remove(con: duckdb.DuckDBPyConnection, event_id: int) -> str:
    """Remove one event; returns its title."""
    title = db.scalar(con, "SELECT title FROM events WHERE event_id = ?", [event_id])
    if title is None:
        raise EventError(
            f"error: there is no event {event_id} (`tracker events list` shows the ids)"
        )
    con.execute("DELETE FROM events WHERE event_id = ?", [event_id])
    return str(title)


def listing(con: duckdb.DuckDBPyConnection, series_id: str | None = None) -> pl.DataFrame:
    """Events oldest first; with ``series_id``, those a chart of that series shows (its own and
    the global ones)."""
    return con.sql(
        """
        SELECT event_id, starts_on, ends_on, title, tags, series_ids, url
        FROM events
        WHERE $id IS NULL OR len(series_ids) = 0 OR list_contains(series_ids, $id)
        ORDER BY starts_on, event_id
        """,
        params={"id": series_id},
    ).pl()
