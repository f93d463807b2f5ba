"""Taking back a mistaken release: recorded, replayable, never silently changing a later vintage."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from click.testing import CliRunner

from tests.conftest import define, release
from tracker import db
from tracker.cli import cli
from tracker.errors import ReleaseError
from tracker.retract import retract

KEPT = ("kept_observations_match_history", "kept_series_match_history",
        "kept_trends_match_history", "kept_release_series_match_history")  # fmt: skip


def values(con, sql: str) -> dict:
    return {p: v for p, v in con.sql(sql).fetchall()}


def test_a_retracted_release_reads_as_never_come_and_as_of_before_it_as_believed(con):
    define(con, "M.X")
    release(con, "2025-02-10", [("M.X", "2025-01", 1.0)])
    release(con, "2025-03-10", [("M.X", "2025-01", 1.5), ("M.X", "2025-02", 2.0)])

    done = retract(con, 2, reason="wrong file", by="analyst", at=datetime(2025, 3, 12, 9, 0))

    assert done.series_ids == ["M.X"]
    assert values(con, "SELECT period, value FROM latest") == {date(2025, 1, 1): 1.0}
    before = "SELECT period, value FROM asof(TIMESTAMP '2025-03-11 12:00')"
    assert values(con, before) == {date(2025, 1, 1): 1.5, date(2025, 2, 1): 2.0}
    after = "SELECT period, value FROM asof(TIMESTAMP '2025-03-12 09:00')"
    assert values(con, after) == {date(2025, 1, 1): 1.0}
    assert con.sql("SELECT count(*) FROM revisions").fetchall() == [(0,)]
    assert con.sql("SELECT last_value, release_count FROM series_summary").fetchall() == [(1.0, 1)]
    assert con.sql("SELECT count(*) FROM observations").fetchall() == [(3,)]  # history stays
    assert con.sql("SELECT retracted_by, reason FROM retractions").fetchall() == [
        ("analyst", "wrong file")
    ]
    failing = {n for n, f in db.run_checks(con).items() if f.height}
    assert failing == set()


def test_a_release_later_releases_rest_on_is_refused_naming_them(con):
    define(con, "M.X")
    define(con, "M.Y")
    release(con, "2025-02-10", [("M.X", "2025-01", 1.0), ("M.Y", "2025-01", 5.0)])
    release(con, "2025-03-10", [("M.Y", "2025-01", 5.5)])
    # Only confirms M.X's value: stores nothing, but what it said rests on release 1.
    release(con, "2025-04-10", [("M.X", "2025-01", 1.0)])

    with pytest.raises(ReleaseError) as refused:
        retract(con, 1, reason="typo", by="analyst")

    assert refused.value.message == (
        "error: release 1 cannot be retracted: later releases 2, 3 of the same series (M.X, "
        "M.Y) rest on it (they store only what changed since it), so taking it away would change "
        "what they said (retract them first, newest first, then append the corrected files)"
    )
    assert con.sql("SELECT count(*) FROM retractions").fetchall() == [(0,)]


def test_newest_first_then_the_content_may_come_again(con):
    define(con, "M.X")
    release(con, "2025-02-10", [("M.X", "2025-01", 1.0)])
    release(con, "2025-03-10", [("M.X", "2025-01", 9.0)])
    retract(con, 2, reason="wrong", by="a")
    retract(con, 1, reason="also wrong", by="a")
    assert con.sql("SELECT count(*) FROM latest").fetchall() == [(0,)]

    again = release(con, "2025-02-10", [("M.X", "2025-01", 1.0)])

    assert (again.duplicate_of, again.new) == (None, 1)
    assert con.sql("SELECT value, release_id FROM latest").fetchall() == [(1.0, 3)]
    with pytest.raises(ReleaseError, match="already retracted"):
        retract(con, 1, reason="again", by="a")


def test_cli_retract_one_line_and_errors(con, store):
    define(con, "M.X")
    release(con, "2025-02-10", [("M.X", "2025-01", 1.0)])
    con.close()
    runner = CliRunner()

    missing = runner.invoke(cli, ["retract", "9", "--reason", "x", "--db", str(store)])
    done = runner.invoke(cli, ["retract", "1", "--reason", "bad data", "--db", str(store)])
    listed = runner.invoke(cli, ["releases", "--db", str(store), "--format", "csv"])

    assert (missing.exit_code, missing.stderr) == (
        1, "error: there is no release 9 (`tracker releases` lists them)\n",
    )  # fmt: skip
    assert done.exit_code == 0
    assert done.stderr.startswith("release 1 (r2025-02-10.csv) retracted: M.X now read as if")
    header, row = listed.stdout.splitlines()
    assert (
        dict(zip(header.split(","), row.split(","), strict=True))["retraction_reason"] == "bad data"
    )
