"""`tracker compact`: every row and every view answer survives; the rows end up in key order.

Real store files on disk (the seed plus releases with revisions and a deletion), real other
processes for the lock and the kill.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import tracker
from tests.conftest import content, define, release
from tracker import compact, db, paths, snapshots
from tracker.cli import cli

KEY = "series_id, period, release_id"
#: The seed's observations plus the ten rows the `history` fixture appends.
ROWS = len((paths.DATA_DIR / "observations.csv").read_text(encoding="utf-8").splitlines()) - 1 + 10
AS_OF = ["2024-12-31", "2025-01-15", "2025-02-01", "2025-02-15", "2025-03-20", "2025-06-01"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def history(seeded: Path) -> Path:
    """The seed plus three releases of two series, with revisions and a deletion,
    appended after it: rows of one series are spread over several releases."""
    with db.writer(seeded) as con:
        define(con, "AAA.TEST")
        define(con, "ZZZ.TEST", unit_kind="index", unit="index")
        release(con, "2025-01-15", [("AAA.TEST", "2024-11", 1.0), ("AAA.TEST", "2024-12", 2.0),
                                    ("ZZZ.TEST", "2024-11", 100.0), ("ZZZ.TEST", "2024-12", 101.0)])  # fmt: skip
        release(con, "2025-02-14", [("AAA.TEST", "2024-12", 2.5), ("AAA.TEST", "2025-01", 3.0),
                                    ("ZZZ.TEST", "2025-01", None)])  # fmt: skip
        release(con, "2025-03-14", [("AAA.TEST", "2024-11", None, "deleted"),
                                    ("AAA.TEST", "2025-02", 4.0), ("ZZZ.TEST", "2025-01", 102.0),
                                    ("ZZZ.TEST", "2025-02", 103.5, "provisional")])  # fmt: skip
    return seeded


def physical_keys(path: Path) -> list[tuple]:
    """The key of every row in the order the file stores them."""
    with db.connect(path, read_only=True) as con:
        return con.execute(f"SELECT {KEY} FROM observations ORDER BY rowid").fetchall()


def stored_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of the tables compaction could touch, sorted (faster than `content` for big
    stores)."""
    with db.connect(path, read_only=True) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("observations", "releases", "series")
        }


def answers(path: Path) -> dict[str, list[tuple]]:
    """Every public view's full answer, sorted, plus every stored row (a multiset)."""
    queries = {
        "observations": "SELECT * FROM observations",
        "latest": "SELECT * FROM latest",
        "first_release": "SELECT * FROM first_release",
        "revisions": "SELECT * FROM revisions",
        "vintages": "SELECT * FROM vintages",
        "series_summary": "SELECT * FROM series_summary",
        **{f"asof {ts}": f"SELECT * FROM asof(TIMESTAMP '{ts}')" for ts in AS_OF},
    }
    with db.connect(path, read_only=True) as con:
        return {
            name: con.execute(sql + " ORDER BY ALL").fetchall() for name, sql in queries.items()
        }


def test_compaction_keeps_every_row_and_every_view_answer(history):
    before = answers(history)
    stored_before = content(history)
    keys_before = physical_keys(history)
    assert keys_before != sorted(keys_before), "the test store must start out of order"

    result = compact.compact(history)

    assert result.compacted
    assert result.rows == len(keys_before) == ROWS
    assert answers(history) == before
    assert content(history) == stored_before
    # The same rows, now stored in key order.
    assert physical_keys(history) == sorted(keys_before)
    with db.connect(history, read_only=True) as con:
        assert {name: frame.height for name, frame in db.run_checks(con).items()} == dict.fromkeys(
            (p.stem for p in db.check_files()), 0
        )
    # A few hand-checked answers, so "equal before and after" is not equal-but-empty.
    with db.connect(history, read_only=True) as con:
        aaa = con.execute(
            "SELECT period, value, status FROM latest WHERE series_id = 'AAA.TEST' ORDER BY period"
        ).fetchall()
        known_in_feb = con.execute(
            "SELECT period, value FROM asof(DATE '2025-02-20') WHERE series_id = 'AAA.TEST' "
            "ORDER BY period"
        ).fetchall()
        revised = con.execute(
            "SELECT period, previous_value, value FROM revisions WHERE series_id = 'ZZZ.TEST'"
        ).fetchall()
    assert aaa == [
        (date(2024, 12, 1), 2.5, "actual"),
        (date(2025, 1, 1), 3.0, "actual"),
        (date(2025, 2, 1), 4.0, "actual"),
    ]
    assert known_in_feb == [(date(2024, 11, 1), 1.0), (date(2024, 12, 1), 2.5), (date(2025, 1, 1), 3.0)]  # fmt: skip
    assert revised == [(date(2025, 1, 1), None, 102.0)]


def test_compacting_twice_changes_nothing(history):
    first = compact.compact(history)
    stored = content(history)
    keys = physical_keys(history)

    second = compact.compact(history)

    assert first.compacted and not second.compacted
    assert second.in_order and second.ordered_rows == second.rows == first.rows
    assert content(history) == stored
    assert physical_keys(history) == keys
    assert re.fullmatch(
        rf"nothing to do: the {ROWS} rows of observations are already in "
        r"\(series_id, period, release_id\) order \(checked in \d+\.\d s\)",
        second.summary()[0],
    )


def test_rows_appended_after_a_compaction_are_the_unordered_tail(history):
    compact.compact(history)
    with db.writer(history) as con:
        release(con, "2025-04-15", [("AAA.TEST", "2025-03", 5.0), ("ZZZ.TEST", "2025-03", 104.0)])

    state = compact.check(history)

    assert (state.rows, state.ordered_rows, state.in_order) == (ROWS + 2, ROWS, False)
    state.dry_run = True
    assert state.summary() == [
        f"dry run: the first {ROWS} of {ROWS + 2} rows of observations are in (series_id, period, release_id) "
        f"order, the last 2 (1.3%) are not; `tracker compact` would rewrite all {ROWS + 2} rows"
    ]
    assert compact.compact(history).compacted
    assert compact.check(history).in_order


def sql_ordered_rows(con: duckdb.DuckDBPyConnection) -> int:
    """The same answer as `compact.ordered_rows`, computed another way: a window over rowid."""
    first = con.execute(
        f"""SELECT min(position) FROM (
                SELECT row_number() OVER (ORDER BY rowid) - 1 AS position,
                       ({KEY}) < lag(({KEY})) OVER (ORDER BY rowid) AS descends
                FROM observations)
            WHERE descends"""
    ).fetchone()[0]
    return (
        con.execute("SELECT count(*) FROM observations").fetchone()[0] if first is None else first
    )


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 5, 1000])
@pytest.mark.parametrize(
    "keys",
    [
        [],
        [("A", 1, 1)],
        [
            ("A", 1, 1),
            ("A", 1, 2),
            ("A", 2, 1),
            ("B", 1, 1),
            ("B", 1, 1),
        ],  # a duplicate key is in order
        [("A", 1, 2), ("A", 1, 1)],
        [("A", 2, 1), ("B", 1, 1), ("A", 3, 1), ("B", 2, 1)],
        [("A", 1, 1), ("A", 2, 1), ("A", 3, 1), ("A", 4, 1), ("A", 4, 1), ("A", 3, 2)],
        [("B", 1, 1), ("A", 1, 1), ("A", 1, 1), ("A", 1, 1)],
        [("A", 1, 1), ("A", 1, 1), ("A", 2, 1), ("AA", 1, 1), ("A", 9, 9), ("B", 1, 1)],
    ],
)
def test_ordered_rows_finds_the_first_row_out_of_key_order(keys, batch_rows):
    con = duckdb.connect()
    con.execute("CREATE TABLE observations (series_id VARCHAR, period DATE, release_id BIGINT)")
    for series_id, day, release_id in keys:
        con.execute(
            "INSERT INTO observations VALUES (?, ?, ?)", [series_id, date(2025, 1, day), release_id]
        )

    result = compact.ordered_rows(con, batch_rows=batch_rows)

    assert result == sql_ordered_rows(con)


def test_a_failure_half_way_leaves_the_store_as_it_was(history):
    stored = content(history)
    keys = physical_keys(history)

    def fail_while_writing(step: str, fraction: float) -> None:
        if step.startswith("writing"):
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        compact.compact(history, progress=fail_while_writing)

    assert content(history) == stored
    assert physical_keys(history) == keys
    assert compact.compact(history).compacted  # and the store still compacts afterwards


def test_a_running_server_gets_a_snapshot_of_the_compacted_store(history):
    with snapshots.registered_server(history):
        first = snapshots.current(history)
        compact.compact(history)
        latest = snapshots.current(history)
    assert latest is not None and latest != first
    assert physical_keys(latest) == sorted(physical_keys(first))


def test_dry_run_writes_nothing(history):
    stored = content(history)
    keys = physical_keys(history)
    with db.connect(history, read_only=True) as con:
        expected = sql_ordered_rows(con)

    result = compact.compact(history, dry_run=True)

    assert (result.dry_run, result.compacted, result.rows) == (True, False, ROWS)
    assert result.ordered_rows == expected < ROWS
    assert content(history) == stored
    assert physical_keys(history) == keys


def test_cli_prints_what_it_did_and_exits_0(history):
    with db.connect(history, read_only=True) as con:
        assert sql_ordered_rows(con) == 3  # the seed's first release is in order, then not

    dry = run("compact", "--db", str(history), "--dry-run")
    done = run("compact", "--db", str(history))
    again = run("compact", "--db", str(history))

    assert dry.exit_code == done.exit_code == again.exit_code == 0
    assert dry.stdout == (
        f"dry run: the first 3 of {ROWS} rows of observations are in (series_id, period, "
        f"release_id) order, the last {ROWS - 3} (98%) are not; `tracker compact` would rewrite "
        f"all {ROWS} rows\n"
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        rf"compacted {ROWS} rows in \d+\.\d s: observations are now in \(series_id, period, "
        rf"release_id\) order \(before: the last {ROWS - 3} rows, 98%, were not\)",
        lines[0],
    )
    assert re.fullmatch(
        r"file [\d.]+ [KM]iB -> [\d.]+ [KM]iB: [\d.]+ [KM]iB of data \(was [\d.]+ [KM]iB\) and "
        r"[\d.]+ [KM]iB of free space, which later appends and compactions reuse",
        lines[1],
    )
    assert again.stdout.startswith(
        f"nothing to do: the {ROWS} rows of observations are already in "
    )


def test_cli_on_a_missing_store_says_how_to_create_one(tmp_path):
    result = run("compact", "--db", str(tmp_path / "nope.duckdb"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: store {tmp_path / 'nope.duckdb'} does not exist")


def test_the_python_api_compacts(history):
    store = tracker.open(history)
    assert store.compact(dry_run=True).in_order is False
    assert store.compact().compacted
    assert store.compact().summary()[0].startswith("nothing to do")


# Other processes: a writer holding the lock, and a compaction killed half-way. ----------------

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


def test_compaction_waits_for_another_writer_like_every_writer(history):
    holder = hold_lock(history, 1.5)
    try:
        result = compact.compact(history)
    finally:
        holder.wait(timeout=30)
    assert result.compacted


@pytest.mark.slow
def test_compaction_refuses_when_another_writer_keeps_the_lock(history):
    stored = content(history)
    holder = hold_lock(history, 60)
    try:
        started = time.monotonic()
        result = run("compact", "--db", str(history))
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert 9 < waited < 30  # it retried for 10 s, as `tracker append` does
    assert result.exit_code == 1
    program = Path(sys.executable).resolve().name
    assert result.stderr == (
        f"error: store {history} is busy: process {holder.pid} ({program}) holds it open; if it "
        "is a Python session or notebook with duckdb.connect(path), open the store there with "
        f"read_only=True (or close that connection); else wait for it to finish, or stop it "
        f"(kill {holder.pid})\n"
    )
    assert content(history) == stored


# Runs `tracker compact` printing each progress step, so the parent can kill it in one.
PROBE = textwrap.dedent(
    """
    import contextlib, sys
    import tracker.cli as cli

    def _progress_for(rows):
        def update(step, fraction):
            print(f"@phase {step.split()[0]}", file=sys.stderr, flush=True)
        return contextlib.nullcontext(), update

    cli._progress_for = _progress_for
    cli.main()
    """
)


@pytest.fixture(scope="module")
def big_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300,000 rows over 50 series in three releases: seconds of work to kill."""
    path = tmp_path_factory.mktemp("compact") / "big.duckdb"
    months = [f"{1900 + m // 12}-{m % 12 + 1:02d}" for m in range(2000)]
    ids = [f"S{i:03d}.TEST" for i in range(50)]
    with db.writer(path) as con:
        for series_id in ids:
            define(con, series_id)
        for k, published in enumerate(["2025-01-15", "2025-02-14", "2025-03-14"]):
            rows = [(s, m, float(i + k)) for i, s in enumerate(ids) for m in months]
            release(con, published, rows)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["sorting", "writing", "committing"])
def test_a_killed_compaction_leaves_the_store_whole(big_history, tmp_path, phase):
    path = tmp_path / "store.duckdb"
    path.write_bytes(big_history.read_bytes())
    stored = stored_rows(path)
    keys = physical_keys(path)
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DB", "TRACKER_DEBUG")}
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, "compact", "--db", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if line.strip() == f"@phase {phase}":
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the compaction ended before {phase}"

    # The store opens read-write, holds every row, and is either as it was or fully compacted.
    with db.connect(path) as con:
        con.execute("CHECKPOINT")
    assert stored_rows(path) == stored
    if phase == "committing":  # the kill may land just before or just after the COMMIT
        assert physical_keys(path) in (keys, sorted(keys))
    else:
        assert physical_keys(path) == keys
    assert compact.compact(path).rows == len(keys)
    assert physical_keys(path) == sorted(keys)


def test_result_numbers_add_up(history):
    result = compact.compact(history)
    assert result.file_bytes_after == history.stat().st_size
    assert 0 < result.data_bytes_after <= result.file_bytes_after
    assert 0 < result.data_bytes_before <= result.file_bytes_before
    assert result.seconds >= result.check_seconds > 0


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs with little room to spare (root only); unmounted afterwards."""
    folder = tmp_path / "disk"
    folder.mkdir()

    def mount(size: int) -> Path:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
        return folder

    yield mount
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.slow
def test_a_full_disk_leaves_the_store_as_it_was(big_history, small_disk):
    # Room for the store and 128 KiB more: the rewrite needs new blocks for every row before
    # the old ones are freed (the file's own free blocks are not enough: it grows by ~0.5 MiB).
    folder = small_disk(big_history.stat().st_size + 128 * 1024)
    path = folder / "store.duckdb"
    path.write_bytes(big_history.read_bytes())
    stored = stored_rows(path)
    keys = physical_keys(path)

    result = run("compact", "--db", str(path))

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert "No space left on device" in result.stderr
    assert "nothing was changed" in result.stderr
    assert stored_rows(path) == stored
    assert physical_keys(path) == keys
