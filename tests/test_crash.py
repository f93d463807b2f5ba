"""Crash safety: `tracker append` killed at random points, broken and unwritable stores, a full disk.

The kill test appends large canonical releases (100,000 rows over 100 monthly series; set
``TRACKER_CRASH_ROWS`` for more, e.g. 1000000) and sends SIGKILL at a reproducible random moment
in each of 20 runs. The moments are spread over the phases of an append (start-up and read,
validate, diff, write, commit, close), timed first on an uninterrupted run that reports its
progress; each kill lands a seeded random delay into its phase. After each kill the store must
open read-write, every release must be whole (its observations = rows_new + rows_revised +
rows_deleted) or absent, the releases committed before must be unchanged (checksums, counts),
CHECKPOINT must work, and the same append run again must succeed: as a new release, or "already
in the store" when the killed run had committed.

The other tests: a store path under a regular file, a store that is not a DuckDB file, an
unwritable folder (chmod; skipped as root, who ignores permissions), a read-only file system and
a full disk (small tmpfs mounts; skipped where mounting is not allowed).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import content
from tracker import db

pytestmark = pytest.mark.slow

TRACKER = Path(sys.executable).with_name("tracker")
SERIES = 100
#: Rows per release: 100,000 keeps the 20 kill runs and their re-runs near a minute on 2 cores.
ROWS = int(os.environ.get("TRACKER_CRASH_ROWS", "100000"))
MONTHS = max(ROWS // SERIES, 12)  # from 1800-01 on
RUNS = 20
SEED = 20250701
FIRST_DAY = date(2025, 1, 1)
#: The phases of an append, named by the progress steps of `tracker.append.append_releases`.
PHASES = ("start", "validating", "diffing", "writing", "committing", "done")

# Runs `tracker append` with a progress callback that prints each step and the (system-wide)
# monotonic clock, so the parent can tell when each phase started.
PROBE = """
import contextlib, sys, time
import tracker.cli as cli

def update(step, fraction):
    print(f"@phase {time.monotonic():.6f} {step.split()[0]}", file=sys.stderr, flush=True)

cli._append_progress = lambda: contextlib.nullcontext(update)
cli.PROGRESS_ROWS = 0
cli.main()
"""


def env() -> dict[str, str]:
    environment = {**os.environ}
    environment.pop("TRACKER_DEBUG", None)
    environment.pop("TRACKER_DB", None)
    return environment


def tracker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRACKER), *args], capture_output=True, text=True, env=env(), timeout=timeout
    )


def published(index: int) -> str:
    return (FIRST_DAY + timedelta(days=index)).isoformat()


def write_catalogue(path: Path) -> None:
    ids = [f"TST.CRASH{i:03d}" for i in range(SERIES)]
    pl.DataFrame(
        {
            "series_id": ids,
            "name": [f"Crash test series {i}" for i in range(SERIES)],
            "unit": "index",
            "unit_kind": "index",
            "frequency": "M",
            "geo": "WLD",
            "source": "Crash test",
            "kind": "actual",
            "description": "",
            "tags": "test",
        }
    ).write_csv(path)


def write_release(path: Path, index: int) -> None:
    """Release ``index``: every row; a third of the rows change from the release before."""
    ids = pl.DataFrame({"series_id": [f"TST.CRASH{i:03d}" for i in range(SERIES)]})
    months = pl.DataFrame({"period": [f"{1800 + m // 12}-{m % 12 + 1:02d}" for m in range(MONTHS)]})
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    third = row % 3
    # How often row r was bumped by releases 1..index: the k with k % 3 == r % 3.
    bumps = pl.when(third == 0).then(index // 3).otherwise((index - third + 3) // 3)
    ids.join(months, how="cross").with_columns(
        ((row * 7919) % 100_000 / 100 + bumps).alias("value")
    ).write_csv(path)


def append_args(path: Path, store: Path, index: int) -> list[str]:
    return ["append", str(path), "--db", str(store), "--source", "Crash test",
            "--published", published(index)]  # fmt: skip


def timed_append(path: Path, store: Path, index: int) -> dict[str, float]:
    """Append without interruption; return when each phase started, in seconds after launch."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *append_args(path, store, index)],
        capture_output=True, text=True, env=env(), timeout=120,
    )  # fmt: skip
    ended = time.monotonic()
    assert done.returncode == 0, done.stderr
    marks = {"start": 0.0}
    for line in done.stderr.splitlines():
        if line.startswith("@phase "):
            _, clock, step = line.split(" ", 2)
            marks.setdefault(step, float(clock) - started)
    marks["exit"] = ended - started
    return marks


def committed(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    """Each release with its checksum, counts and the observations it holds."""
    rows = con.execute(
        """
        SELECT r.release_id, r.published_at, r.checksum, r.rows_new, r.rows_revised,
               r.rows_restated, r.rows_unchanged, r.rows_deleted, count(o.release_id) AS stored
        FROM releases AS r LEFT JOIN observations AS o USING (release_id)
        GROUP BY ALL ORDER BY r.release_id
        """
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def check_after_kill(store: Path, before: dict[int, tuple], index: int) -> bool:
    """The store's invariants after a kill; True when the killed release was committed."""
    # The store opens read-write (replaying or discarding what the killed run left).
    with db.connect(store, retry_seconds=30) as con:
        orphans = con.execute(
            "SELECT count(*) FROM observations WHERE release_id NOT IN "
            "(SELECT release_id FROM releases)"
        ).fetchone()
        assert orphans == (0,), f"observations without a release: {orphans}"
        after = committed(con)
        # The kept state (latest, series_summary, trends) moved with the history or not at all.
        drift = {
            name: frame.height
            for name, frame in db.run_checks(con).items()
            if name.startswith("kept_") and frame.height
        }
        assert drift == {}, f"kept state differs from the history: {drift}"
        con.execute("CHECKPOINT")
        assert con.execute("PRAGMA database_size").fetchall()
    for release_id, state in before.items():
        assert after.get(release_id) == state, f"release {release_id} changed"
    for release_id, (_, _, new, revised, restated, _, deleted, stored) in after.items():
        assert stored == new + revised + restated + deleted, (
            f"release {release_id} is partly written"
        )
    added = [r for r in after if r not in before]
    assert len(added) <= 1
    if added:
        assert after[added[0]][0].date().isoformat() == published(index)
    return bool(added)


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("crash")
    store = folder / "store.duckdb"
    write_catalogue(folder / "catalogue.csv")
    assert tracker("init", "--db", str(store), "--no-seed").returncode == 0
    defined = tracker("define", "--from-csv", str(folder / "catalogue.csv"), "--db", str(store))
    assert defined.returncode == 0, defined.stderr
    return folder, store


def kill_run(path: Path, store: Path, index: int, phase: str, delay: float) -> int:
    """Start the append and SIGKILL it ``delay`` seconds into ``phase``; return its exit code."""
    if phase == "start":
        # The installed console script, killed a time after launch (start-up, read, open).
        process = subprocess.Popen(
            [str(TRACKER), *append_args(path, store, index)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(),
        )  # fmt: skip
    else:
        # The same command reporting its progress, killed a time after the phase begins: on a
        # busy machine a fixed delay would drift out of short phases such as the commit.
        process = subprocess.Popen(
            [sys.executable, "-c", PROBE, *append_args(path, store, index)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env(),
        )  # fmt: skip
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("@phase ") and line.split()[2] == phase:
                break
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=60)
    if process.stderr is not None:
        process.stderr.close()
    return code


def test_sigkill_during_large_appends_never_half_writes_a_release(big_store):
    folder, store = big_store
    first = folder / "release_0.csv"
    write_release(first, 0)
    timed_append(first, store, 0)
    # A representative run (it revises a third of the rows, like the killed ones) times the
    # phases; each kill lands a random time into one of them.
    calibration = folder / "release_1.csv"
    write_release(calibration, 1)
    marks = timed_append(calibration, store, 1)
    assert set(PHASES) <= set(marks), f"no progress marks from the append: {marks}"
    bounds = [marks[phase] for phase in (*PHASES, "exit")]
    rng = random.Random(SEED)
    outcomes = []
    with db.connect(store, read_only=True) as con:
        before = committed(con)
    for run in range(RUNS):
        index = run + 2
        path = folder / f"release_{index}.csv"
        write_release(path, index)
        phase = run % len(PHASES)
        delay = rng.uniform(0.0, bounds[phase + 1] - bounds[phase])

        code = kill_run(path, store, index, PHASES[phase], delay)

        where = f"run {run} ({PHASES[phase]} + {delay:.3f} s, exit {code})"
        was_committed = check_after_kill(store, before, index)
        again = tracker(*append_args(path, store, index))
        assert again.returncode == 0, f"{where}: re-run failed: {again.stderr}"
        if was_committed:
            assert "already in the store as release" in again.stdout, where
        else:
            assert again.stdout.startswith("release "), f"{where}: {again.stdout}"
        with db.connect(store, read_only=True) as con:
            before = committed(con)
        assert [s[0].date().isoformat() for s in before.values()].count(published(index)) == 1
        outcomes.append((PHASES[phase], round(delay, 3), code == -signal.SIGKILL, was_committed))
        path.unlink()

    print(f"\nkill runs (phase, delay, killed, had committed): {outcomes}\ncalibration {marks}")
    # Most runs must really have been killed, before and after the commit, or this proves little.
    assert sum(killed for *_, killed, _ in outcomes) >= RUNS * 3 // 4, outcomes
    assert {done for *_, killed, done in outcomes if killed} == {True, False}, outcomes


# Broken and unwritable stores ------------------------------------------------------------------


CANONICAL = "series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n"


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_store_path_under_a_regular_file_gives_one_line(tmp_path):
    release = tmp_path / "june.csv"
    release.write_text(CANONICAL)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the store's folder should be\n")
    store = blocker / "store.duckdb"

    line = one_error_line(tracker(*append_args(release, store, 200)))

    assert line == (
        f"error: cannot create store {store}: {blocker} is a file, not a folder "
        "(choose another place with --db or TRACKER_DB)"
    )
    assert blocker.read_text() == "a file where the store's folder should be\n"


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a duckdb file\n", bytes(random.Random(SEED).randrange(256) for _ in range(8192))],
    ids=["empty", "text", "random"],
)
def test_a_store_that_is_not_a_duckdb_file_gives_one_line_and_stays(tmp_path, garbage):
    release = tmp_path / "june.csv"
    release.write_text(CANONICAL)
    store = tmp_path / "store.duckdb"
    store.write_bytes(garbage)

    line = one_error_line(tracker(*append_args(release, store, 200)))

    assert line == (
        f"error: {store} is not a tracker store (not a DuckDB file); pass the right --db, "
        "or create a new store with `tracker init --db NEW_PATH`"
    )
    assert store.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["june.csv", "store.duckdb"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions (see the tmpfs tests)")
def test_unwritable_folder_and_read_only_store_give_one_line(tmp_path, seeded_template):
    release = tmp_path / "june.csv"
    release.write_text(CANONICAL)
    folder = tmp_path / "locked"
    folder.mkdir()
    store = folder / "store.duckdb"
    shutil.copy(seeded_template, store)
    before = content(store)
    store.chmod(0o400)
    folder.chmod(0o500)
    try:
        line = one_error_line(tracker(*append_args(release, store, 200)))
        new_store = one_error_line(tracker(*append_args(release, folder / "sub" / "s.duckdb", 200)))
    finally:
        folder.chmod(0o700)
        store.chmod(0o600)
    assert line.startswith(f"error: cannot open store {store}: ")
    assert new_store.startswith("error: cannot create the folder for store ")
    assert content(store) == before


def mounted_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode == 0


@pytest.fixture
def tmpfs(tmp_path):
    """A mount point for a small tmpfs (root only); unmounted afterwards."""
    folder = tmp_path / "tmpfs"
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        if shutil.which("mount") is None or not mounted_tmpfs(folder, size):
            pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
        mounts.append(folder)
        return folder

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_read_only_filesystem_gives_one_line_and_leaves_the_store(tmp_path, tmpfs, seeded_template):
    """A store on a file system mounted read-only: refused even for root."""
    folder = tmpfs("16m")
    store = folder / "store.duckdb"
    shutil.copy(seeded_template, store)
    before, digest = content(store), store.read_bytes()
    remount = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True)
    if remount.returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only")
    release = tmp_path / "june.csv"
    release.write_text(CANONICAL)

    line = one_error_line(tracker(*append_args(release, store, 200)))
    new_store = one_error_line(tracker(*append_args(release, folder / "sub" / "s.duckdb", 200)))

    assert line.startswith(f"error: cannot open store {store}: ")
    assert "Read-only file system" in line
    assert new_store.startswith(f"error: cannot create the folder for store {folder / 'sub'}")
    assert "Read-only file system" in new_store
    assert store.read_bytes() == digest
    assert content(store) == before


def write_big_chn_release(path: Path, months: int) -> None:
    """Rows for the seed's four monthly series from year 1000 on: more than a small disk holds."""
    ids = ["CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY", "CHN.EXPORTS.USA.USD", "CHN.EXPORTS.USA.YOY"]
    periods = [f"{1000 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    frame = pl.DataFrame({"series_id": ids}).join(pl.DataFrame({"period": periods}), how="cross")
    frame.with_columns((pl.int_range(pl.len()) % 997 / 10).alias("value")).write_csv(path)


@pytest.mark.parametrize("months", [12_000, 108_000], ids=["wal-at-commit", "blocks-during-insert"])
def test_full_disk_gives_one_line_and_leaves_the_store(tmp_path, tmpfs, seeded_template, months):
    """A release bigger than the space left: exit 1, one line, the store's content unchanged.

    Bytes are not compared: for a large insert DuckDB writes row groups into the file before the
    commit (the blocks are unreferenced after the rollback), so the file grows while its content
    does not change.
    """
    size = seeded_template.stat().st_size + 1024 * 1024
    folder = tmpfs(str(size))
    store = folder / "store.duckdb"
    shutil.copy(seeded_template, store)
    before = content(store)
    release = tmp_path / "huge.csv"
    write_big_chn_release(release, months)

    line = one_error_line(tracker(*append_args(release, store, 200)))

    assert "No space left on device" in line
    assert content(store) == before
