"""Series pickers that search on the server.

A picker never holds the catalogue: its options are the series already picked plus the best
few dozen matches of what is typed (`tracker.queries.search_series`: exact id, id prefix, name
words, …), asked for on every keystroke through the dropdown's ``search_value``. Each option
carries the text it was found by (``search``), so the dropdown's own filter keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dashboards.store import reader
from tracker import queries

#: Matches offered for a search (and without one, the first of the catalogue).
MATCHES = 40


def option(row: dict) -> dict:
    """A dropdown option for a catalogue row (``series_id``, ``name``, ``search``)."""
    return {
        "label": f"{row['name']} · {row['series_id']}",
        "value": row["series_id"],
        "search": row["search"],
    }


def options(
    path: Path,
    text: str | None,
    selected: Iterable[str] | str | None = (),
    *,
    kind: str | None = None,
    limit: int = MATCHES,
) -> list[dict]:
    """The picked series (in their order), then the best ``limit`` matches of ``text``."""
    if selected is None:
        picked: list[str] = []
    elif isinstance(selected, str):
        picked = [selected]
    else:
        picked = list(selected)
    with reader(path) as con:
        chosen = queries.series_rows(con, picked) if picked else None
        found = queries.search_series(con, text, limit=limit, kind=kind)
    rows = [] if chosen is None else chosen.select("series_id", "name", "search").to_dicts()
    seen = {r["series_id"] for r in rows}
    rows += [
        r
        for r in found.select("series_id", "name", "search").to_dicts()
        if r["series_id"] not in seen
    ]
    return [option(r) for r in rows]
