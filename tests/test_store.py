"""The schema, migrations and public views against small, hand-checked inputs."""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import pytest

from tests.conftest import define, release
from tracker import db, lake, paths
from tracker.errors import StoreError


def test_migrations_are_recorded_and_idempotent(store):
    with db.connect(store) as con:
        assert db.migrate(con) == []
        applied = db.applied_migrations(con)
        assert applied == sorted(p.stem for p in paths.MIGRATIONS_DIR.glob("*.sql"))
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"series", "releases", "observations", "events", "schema_migrations"} <= tables


def test_refreshing_views_twice_changes_nothing(store):
    with db.connect(store) as con:
        first = db.refresh_views(con)
        second = db.refresh_views(con)
    assert first == second


@pytest.mark.parametrize("path", db.view_files(), ids=lambda p: p.name)
def test_each_view_file_creates_the_object_its_name_says(path, store_template):
    text = path.read_text()
    assert text.startswith("-- "), "every SQL file starts with a one-line comment"
    created = re.findall(r'CREATE OR REPLACE (?:VIEW|MACRO) "?(\w+)"?', text)
    assert created == [db.object_name(path)]
    # The store `db.ensure_schema` built (once per session).
    with db.connect(store_template, read_only=True) as con:
        functions = con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type LIKE '%macro'"
        ).fetchall()
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    names = {r[0] for r in functions} | {r[0] for r in views}
    assert db.object_name(path) in names


def _oecd(con):
    define(con, "FCST", unit_kind="growth_yoy", frequency="A", kind="forecast", unit="% y/y")
    release(con, "2024-12-04", [("FCST", "2025", 3.3), ("FCST", "2026", 3.3)])
    release(con, "2025-03-17", [("FCST", "2025", 3.1), ("FCST", "2026", 3.0)])
    release(con, "2025-06-03", [("FCST", "2025", 2.9), ("FCST", "2026", 3.0)])


def test_asof_replays_what_was_known(con):
    _oecd(con)

    def value_asof(ts):
        rows = con.execute(
            "SELECT value FROM asof(?) WHERE series_id = 'FCST' AND period = DATE '2025-01-01'",
            [ts],
        ).fetchall()
        return rows[0][0] if rows else None

    assert value_asof(date(2024, 12, 3)) is None
    assert value_asof(date(2024, 12, 4)) == 3.3  # a date includes releases dated that day
    assert value_asof(date(2025, 5, 1)) == 3.1
    assert value_asof(date(2025, 6, 10)) == 2.9


def test_latest_first_release_and_vintages(con):
    _oecd(con)
    latest = con.sql("SELECT period, value, release_id FROM latest ORDER BY period").fetchall()
    assert latest == [(date(2025, 1, 1), 2.9, 3), (date(2026, 1, 1), 3.0, 3)]
    first = con.sql("SELECT period, value FROM first_release ORDER BY period").fetchall()
    assert first == [(date(2025, 1, 1), 3.3), (date(2026, 1, 1), 3.3)]
    # Forecast vintages are kept whole: the June outlook confirming 3.0 for 2026 is a version.
    versions = con.sql("SELECT count(*) FROM vintages").fetchall()[0][0]
    assert versions == 6


def test_unchanged_actuals_are_counted_not_stored(con):
    define(con, "X", frequency="M")
    release(con, "2025-05-09", [("X", "2025-03", 12.4), ("X", "2025-04", 8.1)])
    result = release(con, "2025-06-09", [("X", "2025-04", 8.1), ("X", "2025-05", 4.8)])
    assert (result.new, result.revised, result.unchanged) == (1, 0, 1)
    assert con.sql("SELECT count(*) FROM observations").fetchall() == [(3,)]
    counts = con.sql("SELECT rows_new, rows_unchanged FROM releases WHERE release_id = 2")
    assert counts.fetchall() == [(1, 1)]


def test_the_same_numbers_published_again_later_are_a_new_vintage(con):
    define(con, "F", frequency="A", kind="forecast", unit_kind="growth_yoy")
    april = release(con, "2024-04-16", [("F", "2025", 3.2)])
    october = release(con, "2024-10-22", [("F", "2025", 3.2)])
    assert (april.release_id, october.release_id, october.duplicate_of) == (1, 2, None)
    assert (october.new, october.revised, october.unchanged) == (0, 0, 1)
    rows = con.sql("SELECT release_id, value FROM vintages ORDER BY release_id").fetchall()
    assert rows == [(1, 3.2), (2, 3.2)]
    assert con.sql("SELECT count(*) FROM revisions").fetchall() == [(0,)]


def test_revisions_show_each_change_once(con):
    _oecd(con)
    result = con.sql(
        """
        SELECT period, previous_value, value, round(revision, 6), published_at,
               previous_published_at
        FROM revisions ORDER BY period, published_at
        """
    ).fetchall()
    expected = [
        (date(2025, 1, 1), 3.3, 3.1, -0.2, datetime(2025, 3, 17), datetime(2024, 12, 4)),
        (date(2025, 1, 1), 3.1, 2.9, -0.2, datetime(2025, 6, 3), datetime(2025, 3, 17)),
        (date(2026, 1, 1), 3.3, 3.0, -0.3, datetime(2025, 3, 17), datetime(2024, 12, 4)),
    ]
    assert result == expected


def test_a_deletion_is_a_tombstone_and_history_stays(con):
    define(con, "X", frequency="M")
    release(con, "2025-01-10", [("X", "2024-12", 1.0), ("X", "2024-11", 2.0)])
    result = release(con, "2025-02-10", [("X", "2024-12", None, "deleted")])
    assert (result.new, result.revised, result.deleted) == (0, 0, 1)
    assert con.sql("SELECT period FROM latest").fetchall() == [(date(2024, 11, 1),)]
    before = con.execute("SELECT count(*) FROM asof(DATE '2025-01-31')").fetchall()[0][0]
    assert before == 2
    stored = con.sql("SELECT count(*) FROM observations").fetchall()[0][0]
    assert stored == 3  # nothing was deleted from the table
    deleted = con.sql("SELECT previous_value, value, status FROM revisions").fetchall()
    assert deleted == [(1.0, None, "deleted")]


def test_series_summary_reads_the_last_two_periods(con):
    define(con, "X", frequency="M")
    release(con, "2025-05-09", [("X", "2025-03", 12.4), ("X", "2025-04", 8.1)])
    release(con, "2025-06-09", [("X", "2025-05", 4.8)])
    row = con.sql(
        """
        SELECT last_period, last_value, previous_value, round(change, 6), last_published_at,
               release_count
        FROM series_summary WHERE series_id = 'X'
        """
    ).fetchall()
    assert row == [(date(2025, 5, 1), 4.8, 8.1, -3.3, datetime(2025, 6, 9), 2)]


def test_float_noise_is_not_a_revision(con):
    define(con, "IMP", frequency="M")
    release(con, "2019-05-10", [("IMP", "2018-10", 11403.497575)])
    result = release(con, "2026-02-01", [("IMP", "2018-10", 11403.497575000001)])
    assert (result.new, result.revised, result.unchanged) == (0, 0, 1)
    assert con.sql("SELECT count(*) FROM revisions").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("frequency", "code"),
    [("A", "2025"), ("S", "2025-S2"), ("Q", "2025-Q2"), ("M", "2025-05"), ("M", "2024-01/02"),
     ("M", "2024-12/2025-01"), ("W", "2020-W53"), ("W", "2025-W10"), ("D", "2025-05-31"),
     ("irregular", "2025-04-10")],
)  # fmt: skip
def test_period_code_macro_agrees_with_the_parser(con, frequency, code):
    from tracker import periods

    start, end = periods.fit(con, code, frequency)
    result = con.execute("SELECT period_code(?, ?, ?)", [frequency, start, end]).fetchall()
    assert result == [(code,)]


def test_a_value_published_as_missing_is_the_latest_version(con):
    define(con, "X", frequency="M")
    release(con, "2025-01-10", [("X", "2024-12", 1.0)])
    release(con, "2025-02-10", [("X", "2024-12", None)])
    assert con.sql("SELECT value, release_id FROM latest").fetchall() == [(None, 2)]
    assert con.sql("SELECT value FROM asof(DATE '2025-01-31')").fetchall() == [(1.0,)]
    assert con.sql("SELECT value FROM asof(DATE '2025-02-10')").fetchall() == [(None,)]
    assert con.sql("SELECT value FROM first_release").fetchall() == [(1.0,)]


def test_serving_a_store_with_older_views_refreshes_them_first(tmp_path):
    """`tracker serve` on a store made by an older tracker (other macro text) re-creates its
    views before the dashboard reads it; on a current store it changes nothing."""
    path = tmp_path / "old.duckdb"
    with db.connect(path) as con:
        db.ensure_schema(con)
        # What an older tracker left: a one-series macro and its digest.
        con.execute("CREATE OR REPLACE MACRO series_asof(series_id, as_of := NULL) AS TABLE "
                    "SELECT 1 AS old")  # fmt: skip
        con.execute(f"UPDATE {db.VIEWS_STATE_TABLE} SET digest = 'older'")
    assert db.update_schema(path) is None
    with db.connect(path, read_only=True) as con:
        assert db.scalar(con, f"SELECT digest FROM {db.VIEWS_STATE_TABLE}") != "older"
        rows = con.execute(
            "SELECT count(*) FROM series_asof(NULL, series_ids := ['NONE'])"
        ).fetchall()
    assert rows == [(0,)]
    before = path.read_bytes()
    assert db.update_schema(path) is None
    assert path.read_bytes() == before


def test_a_store_that_cannot_be_updated_is_served_with_a_warning(tmp_path):
    garbage = tmp_path / "not-a-store.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    warning = db.update_schema(garbage)
    assert warning.startswith("warning: could not bring the store's schema up to date (error: ")
    assert "is not a tracker store" in warning and warning.endswith("--no-seed` on the store")
    assert garbage.read_bytes() == b"not a database" * 100
    assert db.update_schema(tmp_path / "missing.duckdb") is None
    assert not (tmp_path / "missing.duckdb").exists()


def test_the_memory_limit_is_bound_not_formatted_into_sql(store, monkeypatch):
    monkeypatch.setenv("TRACKER_MEMORY_LIMIT", "1GB")
    with db.writer(store) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchall() == [("953.6 MiB",)]
    monkeypatch.setenv("TRACKER_MEMORY_LIMIT", "1GB'; SET threads = 1; --")
    with pytest.raises(StoreError) as caught, db.writer(store):
        pass
    assert caught.value.message == (
        "error: TRACKER_MEMORY_LIMIT '1GB'; SET threads = 1; --' is not a memory size "
        "(use e.g. 750MB or 4GB)"
    )


def test_a_file_stores_own_write_conflict_is_not_a_lake_conflict(tmp_path):
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")
    first, second = con.cursor(), con.cursor()
    first.execute("BEGIN TRANSACTION")
    first.execute("UPDATE t SET a = 2")

    with pytest.raises(StoreError) as caught, db.transaction(second):
        second.execute("UPDATE t SET a = 3")

    assert not isinstance(caught.value, lake.Conflict)
    assert "nothing was changed" in caught.value.message


def test_a_new_version_of_the_views_says_once_that_it_rebuilds_the_kept_state(seeded, capsys):
    """Rebuilding reads the whole history (seconds per 10 million rows): the first writer after
    an upgrade says why it waits, and the next one does not rebuild again."""
    with db.connect(seeded) as con:
        con.execute(f"UPDATE {db.VIEWS_STATE_TABLE} SET digest = 'an older tracker'")
        stored = db.scalar(con, "SELECT count(*) FROM observations")
    with db.writer(seeded):
        pass
    assert capsys.readouterr().err == (
        "tracker: the views changed with this version of tracker: rebuilding the kept state "
        f"from {stored:,} stored rows (once)\n"
    )
    with db.writer(seeded):
        pass
    assert capsys.readouterr().err == ""
