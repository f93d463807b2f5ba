"""The store on DuckLake (PostgreSQL catalog, Parquet files): `make test-lake` runs these, in an
environment with duckdb 1.5.5 and the extension wheels (``pip install 'tracker[lake]'``) and a
throwaway PostgreSQL; elsewhere they skip and say why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tracker import db, lake, paths
from tracker.seed import load_seed

pytestmark = pytest.mark.lake


def test_a_lake_opens_with_the_schema_and_the_seed(lake_store: str) -> None:
    with db.writer(lake_store) as con:
        assert lake.attached(con)
        load_seed(con)
        releases = db.scalar(con, "SELECT count(*) FROM releases")
        seed = (paths.DATA_DIR / "releases.csv").read_text(encoding="utf-8").splitlines()
        assert releases == len(seed) - 1
        assert all(frame.height == 0 for frame in db.run_checks(con).values())
    with db.reader(lake_store) as con:
        assert db.scalar(con, "SELECT count(*) FROM latest") > 0


def test_a_missing_lake_says_how_to_create_it(pg_server) -> None:
    spec = lake.PREFIX + pg_server.createdb("never_made")
    with pytest.raises(Exception, match=r"tracker init --lake"):
        db.connect(spec)


def test_an_unreachable_catalog_is_one_line(pg_server) -> None:
    from tracker.errors import StoreError

    spec = f"ducklake:postgres:dbname=lake host=127.0.0.1 port={pgserver_free_port()} user=x"
    with pytest.raises(StoreError) as caught:
        db.connect(spec)
    message = caught.value.message
    assert "\n" not in message and "Connection refused" in message, message
    assert message.endswith(
        "(check that the catalog database runs and the name's dbname, host, port and user)"
    )


def pgserver_free_port() -> int:
    import pgserver

    return pgserver.free_port()


#: The SQL surface compared between a file store and a lake holding the same releases. Release
#: ids differ by design (a sequence there, clock-based here): each is replaced by its release's
#: content checksum, which is the same in both.
SAME_ANSWERS = {
    "latest": "SELECT * FROM latest",
    "first_release": "SELECT * FROM first_release",
    "asof 2024-12-15": "SELECT * FROM asof(DATE '2024-12-15')",
    "asof 2025-03-20": "SELECT * FROM asof(DATE '2025-03-20')",
    "asof 2025-06-01": "SELECT * FROM asof(TIMESTAMP '2025-06-01 12:00')",
    "revisions": "SELECT * FROM revisions",
    "series_summary": "SELECT * FROM series_summary",
    "vintages": "SELECT * FROM vintages",
    "trends": "SELECT * FROM trends",
    "revision_stats": "SELECT * FROM revision_stats",
    "events": "SELECT * EXCLUDE (event_id) FROM events",
}


def _answer(con, sql: str):
    import polars as pl

    checksums = dict(con.execute("SELECT release_id, checksum FROM releases").fetchall())
    frame = con.sql(sql).pl()
    ids = [c for c in frame.columns if c.endswith("release_id")]
    frame = frame.with_columns(
        pl.col(c).replace_strict(checksums, default=None, return_dtype=pl.String) for c in ids
    )
    return frame.sort(frame.columns, nulls_last=True)


def test_the_seed_answers_the_same_in_a_file_and_in_a_lake(lake_store: str, tmp_path) -> None:
    from polars.testing import assert_frame_equal

    file_store = tmp_path / "file.duckdb"
    with db.writer(file_store) as con:
        load_seed(con)
    with db.writer(lake_store) as con:
        load_seed(con)
    with db.reader(file_store) as mine, db.reader(lake_store) as theirs:
        for name, sql in SAME_ANSWERS.items():
            expected, got = _answer(mine, sql), _answer(theirs, sql)
            assert got.height > 0, name
            try:
                assert_frame_equal(got, expected, check_exact=True)
            except AssertionError as exc:
                raise AssertionError(f"{name}: {exc}") from None


# Many writers ----------------------------------------------------------------------------------

WRITER = Path(__file__).with_name("lake_writer.py")


def _writer(store: str, writer: int, releases: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), store, str(writer), str(releases), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _define_writer_series(store: str, writers: int) -> None:
    import lake_writer

    from tracker.append import upsert_series

    with db.writer(store) as con, db.transaction(con):
        upsert_series(con, lake_writer.catalogue(writers))


@pytest.mark.slow
def test_three_writer_processes_append_at_once_and_nothing_is_lost_or_doubled(
    lake_store: str,
) -> None:
    import lake_writer

    writers, releases = 3, 4
    _define_writer_series(lake_store, writers)
    procs = [_writer(lake_store, w, releases) for w in range(writers)]
    outcomes = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert out.count("appended") == releases
    with db.reader(lake_store) as con:
        ids = [r[0] for r in con.execute("SELECT release_id FROM releases").fetchall()]
        assert len(ids) == writers * releases == len(set(ids))
        stored = con.execute(
            "SELECT count(*), count(DISTINCT (series_id, period, release_id)) FROM observations"
        ).fetchone()
        # Each writer's first release is new rows; each later one revises every row.
        assert stored == (writers * releases * 2 * lake_writer.MONTHS,) * 2
        for w in range(writers):
            newest = con.execute(
                "SELECT min(value), max(value) FROM latest WHERE series_id = ?", [f"W{w}.A"]
            ).fetchone()
            last = lake_writer.release(w, releases - 1).filter(pl.col("series_id") == f"W{w}.A")
            assert newest == (last["value"].min(), last["value"].max())
        # The kept state, updated by every writer inside its transaction, equals a
        # recomputation from the history.
        assert {name: frame.height for name, frame in db.run_checks(con).items()} == dict.fromkeys(
            (p.stem for p in db.check_files()), 0
        )


@pytest.mark.slow
def test_a_writer_killed_before_its_commit_leaves_no_partial_release(lake_store: str) -> None:
    _define_writer_series(lake_store, 2)
    proc = _writer(lake_store, 0, 1, "--hold-at-commit")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "committing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with db.reader(lake_store) as con:
        assert db.scalar(con, "SELECT count(*) FROM releases") == 0
        assert db.scalar(con, "SELECT count(*) FROM observations") == 0
        assert db.scalar(con, "SELECT count(*) FROM current_observations") == 0
    # The lake takes the next writer as if nothing had happened.
    done = _writer(lake_store, 1, 1)
    _out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err[-2000:]
    with db.reader(lake_store) as con:
        assert db.scalar(con, "SELECT count(*) FROM releases") == 1
        assert all(frame.height == 0 for frame in db.run_checks(con).values())


# Moving a store --------------------------------------------------------------------------------


def test_export_moves_a_file_store_into_a_lake_and_back_with_counts_and_checksums(
    pg_server, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    file_store = tmp_path / "file.duckdb"
    with db.writer(file_store) as con:
        load_seed(con)
    catalog = pg_server.createdb("exported")
    runner = CliRunner()
    to_lake = ["export", "--db", str(file_store), "--to-lake", catalog,
               "--data-path", str(tmp_path / "l")]  # fmt: skip
    moved = runner.invoke(cli, to_lake)
    assert moved.exit_code == 0, moved.output
    assert "observations: " in moved.output and "counts and checksums match" in moved.output
    spec = lake.PREFIX + catalog
    back = tmp_path / "back.duckdb"
    returned = runner.invoke(cli, ["export", "--db", spec, "--to-file", str(back)])
    assert returned.exit_code == 0, returned.output
    # The release ids travel unchanged: the answers are equal with the ids themselves.
    with db.reader(file_store) as mine, db.reader(spec) as lake_con, db.reader(back) as again:
        for sql in SAME_ANSWERS.values():
            expected = mine.sql(sql).pl().sort(mine.sql(sql).columns, nulls_last=True)
            for con in (lake_con, again):
                got = con.sql(sql).pl()
                assert got.sort(got.columns, nulls_last=True).equals(expected), sql
    # Both keep appending after the move, and a moved store refuses a second export into it.
    with db.writer(back) as con:
        assert db.next_id(con, "release_id_seq") > db.scalar(
            con, "SELECT max(release_id) FROM releases"
        )
    again_ = runner.invoke(cli, to_lake)
    assert again_.exit_code == 1
    assert (
        again_.output.strip()
        .splitlines()[-1]
        .startswith("error: the export's target already holds")
    )


@pytest.mark.slow
def test_two_writers_racing_on_the_first_release_of_a_series_store_it_once(
    lake_store: str,
) -> None:
    _define_writer_series(lake_store, 1)
    procs = [_writer(lake_store, 0, 1) for _ in range(2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    with db.reader(lake_store) as con:
        # The loser was retried after the winner's commit: the same content is a duplicate.
        assert db.scalar(con, "SELECT count(*) FROM releases") == 1
        assert all(frame.height == 0 for frame in db.run_checks(con).values())


def test_a_series_defined_without_tags_has_no_tags_not_null(lake_store: str) -> None:
    """The lake cannot hold the file's DEFAULT [] (nor enforce NOT NULL): the catalogue states it."""
    import polars as pl

    from tracker.append import upsert_series

    row = {"series_id": "X.T", "name": "x", "unit": "u", "unit_kind": "level",
           "frequency": "M", "source": "s", "kind": "actual"}  # fmt: skip
    with db.writer(lake_store) as con:
        upsert_series(con, pl.DataFrame([row]))
        tags = con.execute("SELECT tags FROM series WHERE series_id = 'X.T'").fetchall()

    assert tags == [([],)]


# The dashboard on a lake -----------------------------------------------------------------------


@pytest.mark.slow
def test_two_dashboard_workers_serve_a_lake_while_two_writers_append(pg_server) -> None:
    """gunicorn with two workers serves the Explorer's chart callback from the lake while two
    `tracker append` processes write series of their own: no request or append fails, and every
    committed row is drawn afterwards."""
    import uuid

    from bench import loadtest

    catalog = pg_server.createdb(f"load_{uuid.uuid4().hex[:12]}")
    results = loadtest.run(
        clients=2, releases=3, workers=2, max_seconds=240, lake=catalog, writers=2
    )
    assert results.failed_appends == []
    assert results.failed_requests == []
    assert len(results.latencies_ms) > 0
    assert (results.checked_rows, results.missing_rows) == (2 * 3 * len(loadtest.SERIES), 0)


def test_the_console_on_a_lake_reads_the_store_and_nothing_else(lake_store: str) -> None:
    from tracker import sqlconsole
    from tracker.errors import QueryError

    with db.writer(lake_store) as con:
        load_seed(con)
    assert sqlconsole.run(lake_store, "SELECT count(*) AS n FROM series").frame["n"][0] == 30
    # The catalog database: a COMMIT of its own would take the statement past the read-only
    # attach; the console refuses the function before it runs.
    attack = (
        "SELECT * FROM postgres_execute('__ducklake_metadata_lake', "
        "'COMMIT; CREATE TABLE zz (a INT)')"
    )
    with pytest.raises(QueryError, match="postgres_execute reaches past the store"):
        sqlconsole.run(lake_store, attack)
    with pytest.raises(QueryError, match="query reaches past the store"):
        sqlconsole.run(lake_store, "FROM query('SELECT 1')")
    with pytest.raises(QueryError, match="file system operations are disabled"):
        sqlconsole.run(lake_store, "SELECT * FROM read_csv('/etc/passwd')")
    with db.writer(lake_store) as con:
        tables = con.execute(
            "SELECT * FROM postgres_query('__ducklake_metadata_lake', "
            "'SELECT count(*) FROM pg_tables WHERE tablename = ''zz''')"
        ).fetchall()
    assert tables == [(0,)]


@pytest.mark.slow
def test_every_page_draws_from_a_lake_in_chromium_with_two_workers(lake_store: str) -> None:
    from bench import pages

    if not pages.CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's chromium at {pages.CHROMIUM}")
    with db.writer(lake_store) as con:
        load_seed(con)
    result = pages.measure(lake_store, runs=1, workers=2, timeout=90)
    drawn = {name: "error" not in page for name, page in result["pages"].items()}
    assert drawn == dict.fromkeys(pages.DRAWN, True), result["pages"]
    assert all(page["first_bytes"] > 100_000 for page in result["pages"].values())


def test_compact_on_a_lake_moves_catalog_rows_to_files_and_changes_no_answer(
    lake_store: str,
) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    with db.writer(lake_store) as con:
        load_seed(con)
    with db.reader(lake_store) as con:
        before = _answer(con, "SELECT * FROM latest")
        snapshots = db.scalar(con, "SELECT max(snapshot_id) FROM lake.snapshots()")

    dry = CliRunner().invoke(cli, ["compact", "--db", lake_store, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "observations: 0 data file(s)" in dry.output  # the seed's rows sit in the catalog
    with db.reader(lake_store) as con:
        assert db.scalar(con, "SELECT max(snapshot_id) FROM lake.snapshots()") == snapshots

    done = CliRunner().invoke(cli, ["compact", "--db", lake_store])
    assert done.exit_code == 0, done.output
    assert "observations: 0 -> 1 data file(s)" in done.output
    with db.reader(lake_store) as con:
        assert _answer(con, "SELECT * FROM latest").equals(before)
        assert db.scalar(con, "SELECT max(snapshot_id) FROM lake.snapshots()") > snapshots
