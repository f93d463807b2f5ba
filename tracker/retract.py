"""Taking back a mistaken release without deleting history.

A retraction is recorded (table ``retractions``: who, when, why); the release's observations stay.
As of any time before the retraction every view shows what was believed then; from the
retraction on, the values are as if the release never came (the ``known_releases`` macro decides
which releases count at a time, and the kept state of the release's series is recomputed).

Later releases of a series store only what they changed against the versions before them, so a
release that later releases of the same series build on cannot simply vanish: taking it away
would silently change what those later vintages said. Such a retraction is refused, naming the
later releases: retract them first, newest first, then append the corrected ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from tracker import db, state
from tracker.append import current_user
from tracker.errors import ReleaseError


@dataclass
class Retraction:
    """What a retraction did."""

    release_id: int
    title: str
    series_ids: list[str]
    retracted_at: datetime
    retracted_by: str

    def summary(self) -> str:
        n = len(self.series_ids)
        what = self.series_ids[0] if n == 1 else f"{n} series"
        return (
            f"release {self.release_id} ({self.title}) retracted: {what} now read as if it never "
            f"came; as of before {self.retracted_at:%Y-%m-%d %H:%M} it still shows what was "
            "believed then"
        )


def retract(
    con: duckdb.DuckDBPyConnection,
    release_id: int,
    *,
    reason: str,
    by: str | None = None,
    at: datetime | None = None,
) -> Retraction:
    """Retract one release inside the caller's transaction.

    Raises `ReleaseError` when the release does not exist, is already retracted, has no reason
    given, or later releases of its series build on it.
    """
    if not reason.strip():
        raise ReleaseError("error: say why the release is retracted (pass --reason TEXT)")
    row = db.one(
        con, "SELECT coalesce(title, file_name, source) FROM releases WHERE release_id = ?",
        [release_id],
    )  # fmt: skip
    if row is None:
        raise ReleaseError(
            f"error: there is no release {release_id} (`tracker releases` lists them)"
        )
    done = db.one(
        con,
        "SELECT retracted_at, retracted_by FROM retractions WHERE release_id = ?",
        [release_id],
    )
    if done is not None:
        raise ReleaseError(
            f"error: release {release_id} was already retracted on {done[0]:%Y-%m-%d %H:%M} "
            f"by {done[1]}"
        )
    series_ids = [
        r[0]
        for r in con.execute(
            "SELECT series_id FROM release_coverage WHERE release_id = ? ORDER BY series_id",
            [release_id],
        ).fetchall()
    ]
    # Later releases that carried any row of these series, stored or confirmed unchanged.
    later = con.execute(
        """
        SELECT c.release_id, list(c.series_id ORDER BY c.series_id)
        FROM release_coverage AS c
        WHERE c.release_id > ? AND list_contains(?, c.series_id)
          AND c.release_id NOT IN (SELECT release_id FROM retractions)
        GROUP BY c.release_id
        ORDER BY c.release_id
        """,
        [release_id, series_ids],
    ).fetchall()
    if later:
        ids = ("releases " if len(later) > 1 else "release ") + ", ".join(str(r[0]) for r in later)
        shown = sorted({s for r in later for s in r[1]})
        series = ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
        raise ReleaseError(
            f"error: release {release_id} cannot be retracted: later {ids} of the same "
            f"series ({series}) rest on it (they store only what changed since it), so taking it "
            "away would change what they said (retract them first, newest first, then append "
            "the corrected files)"
        )
    when = at or datetime.now()
    who = by or current_user()
    con.execute(
        "INSERT INTO retractions (release_id, retracted_at, retracted_by, reason) "
        "VALUES (?, ?, ?, ?)",
        [release_id, when, who, reason.strip()],
    )
    state.rebuild_series(con, series_ids)
    return Retraction(release_id, str(row[0]), series_ids, when, who)
