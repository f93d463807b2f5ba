"""Build benchmark stores: the real schema (tracker's migrations and views) filled in bulk.

Three physical orders of the same rows are measured: ``appended`` and ``shuffled`` are written
here in bulk; ``compacted`` is the appended store after the real `tracker compact`, run on a
copy by `bench.run` (which times it), never an imitation of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from bench.synth import History
from tracker import db, state

#: Physical orders of the observations table written in bulk.
LAYOUTS = {
    # What `tracker append` produces: each release sorted by (series_id, period), releases in
    # publication order.
    "appended": "release_id, series_id, period",
    # No order at all (e.g. releases loaded by a tool that does not sort).
    "shuffled": None,
}
#: Every layout the queries are timed on, in report order; "compacted" comes from `tracker compact`.
ALL_LAYOUTS = ("appended", "compacted", "shuffled")


def create(
    path: Path,
    *,
    series: pl.DataFrame | None = None,
    history: History | None = None,
    layout: str = "appended",
    base: Path | None = None,
) -> None:
    """A migrated store at ``path`` holding a catalogue and (optionally) a release history.

    ``base`` is an empty migrated store to copy instead of migrating again.
    """
    path.unlink(missing_ok=True)
    if base is not None:
        shutil.copy(base, path)
    with db.connect(path) as con:
        if base is None:
            db.ensure_schema(con)
        catalogue = series if series is not None else history.series if history else None
        if catalogue is not None:
            with db.registered(con, catalogue=catalogue):
                con.execute("INSERT INTO series BY NAME SELECT * FROM catalogue")
        if history is not None:
            _fill(con, history, layout)
            # Written in bulk, not appended: derive the kept state as `tracker init` would.
            with db.transaction(con):
                state.rebuild(con, recount=False)
        con.execute("CHECKPOINT")


def _fill(con, history: History, layout: str) -> None:
    observations = history.observations
    order = LAYOUTS[layout]
    if order is None:
        observations = observations.sample(fraction=1.0, shuffle=True, seed=5)
    with db.registered(con, new_releases=history.releases, new_observations=observations):
        con.execute("INSERT INTO releases BY NAME SELECT * FROM new_releases")
        sql = "INSERT INTO observations BY NAME SELECT * FROM new_observations"
        con.execute(sql + (f" ORDER BY {order}" if order else ""))
    # Later appends must get release ids after the generated ones.
    last = history.releases["release_id"].max() or 0
    con.execute("SELECT max(nextval('release_id_seq')) FROM range($n)", {"n": last})
