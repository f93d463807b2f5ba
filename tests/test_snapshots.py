"""Serving while appending: readers on snapshots never lock out a writer in another process."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import tracker
from tracker import db, snapshots

TRACKER = str(Path(sys.executable).with_name("tracker"))


def count(reader: snapshots.SnapshotReader) -> int:
    with reader.cursor() as cur:
        return cur.execute("SELECT count(*) FROM releases").fetchall()[0][0]


def append_in_another_process(store: Path, tmp_path: Path, month: str, published: str):
    release = tmp_path / f"{month}.csv"
    release.write_text(f"series_id,period,value\nCHN.EXPORTS.YOY,{month},1.5\n")
    return subprocess.run(
        [TRACKER, "append", str(release), "--db", str(store), "--source", "GAC",
         "--published", published],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_no_snapshot_without_a_server(seeded, tmp_path):
    done = append_in_another_process(seeded, tmp_path, "2025-06", "2025-07-14")
    assert done.returncode == 0, done.stderr
    assert not snapshots.folder(seeded).exists()


def test_appends_from_another_process_show_on_the_next_read(seeded, tmp_path):
    reader = snapshots.SnapshotReader(seeded)
    with snapshots.registered_server(seeded):
        first = snapshots.current(seeded)
        assert first is not None
        before = count(reader)
        # The reader holds its snapshot connection open the whole time.
        with reader.cursor() as held:
            done = append_in_another_process(seeded, tmp_path, "2025-06", "2025-07-14")
            assert done.returncode == 0, done.stderr
            assert held.execute("SELECT count(*) FROM releases").fetchall()[0][0] == before
        assert snapshots.current(seeded) != first
        assert count(reader) == before + 1
        # Queries from other terminals open the store itself and just work too.
        query = subprocess.run(
            [TRACKER, "query", "select count(*) as n from releases", "--db", str(seeded),
             "--format", "csv"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert query.stdout == f"n\n{before + 1}\n"
    assert snapshots.servers(seeded) == []


def test_old_snapshots_are_pruned(seeded, tmp_path):
    with snapshots.registered_server(seeded):
        for i, month in enumerate(["2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]):
            done = append_in_another_process(
                seeded, tmp_path, month, f"2025-{11 + i // 4:02d}-0{1 + i}"
            )
            assert done.returncode == 0, done.stderr
        kept = list(snapshots.folder(seeded).glob("*.duckdb"))
    assert len(kept) == snapshots.KEEP


def test_a_stale_server_registration_is_ignored(seeded):
    serving = snapshots.folder(seeded) / "serving"
    serving.mkdir(parents=True)
    (serving / "999999999").write_text("")
    assert snapshots.servers(seeded) == []
    with snapshots.writer(seeded) as con:
        con.execute("SELECT 1").fetchall()
    assert snapshots.current(seeded) is None


# Writers take commit hooks: `tracker.db` knows nothing of snapshots -------------------------


def test_a_writer_runs_its_commit_hooks_after_the_work_and_not_after_a_failure(store):
    calls = []

    def hook(con, path):
        # Still inside the writer: the lock is held and the work is committed.
        calls.append((path, con.execute("SELECT count(*) FROM series").fetchall()[0][0]))

    with db.writer(store, on_commit=[hook]) as con:
        con.execute(
            "INSERT INTO series (series_id, name, unit, unit_kind, frequency, source, kind) "
            "VALUES ('X', 'X', '%', 'rate', 'M', 'Test', 'actual')"
        )
    assert calls == [(store, 1)]
    with pytest.raises(RuntimeError), db.writer(store, on_commit=[hook]):
        raise RuntimeError("the work failed")
    assert calls == [(store, 1)]


def test_a_plain_db_writer_publishes_nothing_even_for_a_server(seeded):
    with snapshots.registered_server(seeded):
        first = snapshots.current(seeded)
        with db.writer(seeded) as con:
            con.execute("SELECT 1").fetchall()
        assert snapshots.current(seeded) == first


def test_an_api_append_publishes_a_snapshot_for_a_registered_server(seeded):
    store = tracker.open(seeded)
    csv = b"series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n"
    with snapshots.registered_server(seeded):
        first = snapshots.current(seeded)
        [result] = store.append(csv, name="june.csv", source="GAC", published="2025-07-14")
        assert snapshots.current(seeded) != first
        # The server's reader, and the API's own reads, see the new release in the snapshot.
        with snapshots.reader(seeded) as con:
            assert con.execute("SELECT max(release_id) FROM releases").fetchall() == [
                (result.release_id,)
            ]
        latest = store.latest("CHN.EXPORTS.YOY")
        assert latest.filter(pl.col("period") == date(2025, 6, 1))["value"].to_list() == [5.8]


def test_no_snapshot_after_an_api_append_without_a_server(seeded):
    csv = b"series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n"
    tracker.open(seeded).append(csv, name="june.csv", source="GAC", published="2025-07-14")
    assert not snapshots.folder(seeded).exists()


def test_readers_read_the_snapshot_while_a_server_runs_and_the_store_otherwise(seeded):
    with snapshots.reader(seeded) as con:
        assert con.execute("PRAGMA database_list").fetchall()[0][2] == str(seeded)
    with snapshots.registered_server(seeded):
        snapshot = snapshots.current(seeded)
        with snapshots.reader(seeded) as con:
            assert con.execute("PRAGMA database_list").fetchall()[0][2] == str(snapshot)
        # The store is free meanwhile: a writer opens it at once.
        with db.connect(seeded, retry_seconds=0):
            pass
