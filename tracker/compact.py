"""Compaction: keep `observations` physically in (series_id, period, release_id) order.

`tracker append` writes each release sorted by series and period, at the end of the table, so
one series' rows end up in one short run per release, spread over the whole file. DuckDB skips
row groups by their min/max (zone maps), so a one-series question reads a row group per release
instead of one or two: on the 10-million-row benchmark store, one series via `latest` took 2–5
times as long in append order as in key order (docs/benchmarks.md, "Physical order").

Compaction rewrites every row in key order, in one transaction, through `tracker.snapshots.writer`
like every other writer (so a running `tracker serve` gets a new snapshot), then checkpoints the
file.
The rows are not changed: same columns, same values, same release ids, only their place in the
file. A failure at any point (an error, a kill, a full disk) leaves the store as it was.

It stays an explicit command rather than a side effect of appends: it costs a full sort and
rewrite of the table (seconds and about a gigabyte of memory per 10 million rows) and leaves the
file about twice the size of its data until later writes reuse the freed space; see
docs/architecture.md ("Physical order").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from tracker import db, snapshots, state
from tracker.errors import StoreError

#: The physical order compaction produces, which the views' one-series filters benefit from.
ORDER = ("series_id", "period", "release_id")
ORDER_TEXT = f"({', '.join(ORDER)})"
_SORTED = "compact_sorted"  # the sorted copy, a temporary table of the compacting connection
#: Rows per batch of the order check: batches are streamed, so an unordered table is found
#: out after the first one or two.
_BATCH_ROWS = 1_000_000

Progress = Callable[[str, float], None]


@dataclass
class CompactResult:
    """What a compaction did (or, on a dry run or when the table is in order, would do)."""

    path: Path
    rows: int
    #: Rows from the start of the table (in physical order) that are in key order; ``rows`` when
    #: the whole table is.
    ordered_rows: int
    compacted: bool = False
    dry_run: bool = False
    check_seconds: float = 0.0
    #: Wall time of the whole compaction: check, sort, rewrite, commit and checkpoint.
    seconds: float = 0.0
    file_bytes_before: int = 0
    file_bytes_after: int = 0
    data_bytes_before: int = 0
    data_bytes_after: int = 0

    @property
    def in_order(self) -> bool:
        return self.ordered_rows == self.rows

    def summary(self) -> list[str]:
        """What to tell the user, one line per fact."""
        if self.in_order and not self.compacted:
            return [
                f"nothing to do: the {self.rows:,} rows of observations are already in "
                f"{ORDER_TEXT} order (checked in {self.check_seconds:.1f} s)"
            ]
        tail = self.rows - self.ordered_rows
        if self.dry_run:
            return [
                f"dry run: the first {self.ordered_rows:,} of {self.rows:,} rows of observations "
                f"are in {ORDER_TEXT} order, the last {tail:,} ({_share(tail, self.rows)}) are "
                f"not; `tracker compact` would rewrite all {self.rows:,} rows"
            ]
        freed = self.file_bytes_after - self.data_bytes_after
        return [
            f"compacted {self.rows:,} rows in {self.seconds:.1f} s: observations are now in "
            f"{ORDER_TEXT} order (before: the last {tail:,} rows, {_share(tail, self.rows)}, "
            "were not)",
            f"file {_size(self.file_bytes_before)} -> {_size(self.file_bytes_after)}: "
            f"{_size(self.data_bytes_after)} of data (was {_size(self.data_bytes_before)}) and "
            f"{_size(max(freed, 0))} of free space, which later appends and compactions reuse",
        ]


def _share(part: int, whole: int) -> str:
    share = part / whole if whole else 0.0
    if 0 < share < 0.001:
        return "<0.1%"
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n / 2**10:,.0f} KiB"


def ordered_rows(con: duckdb.DuckDBPyConnection, *, batch_rows: int = _BATCH_ROWS) -> int:
    """How many rows, from the start of ``observations`` in physical order, are in key order.

    Equal to the row count when the whole table is ordered. Streams the key columns in batches
    and stops at the first row whose key is smaller than the one before it: an unordered table
    costs one batch, an ordered one a scan of three columns (~0.5 s per 10 million rows).
    """
    s, p, r = (pl.col(c) for c in ORDER)
    s0, p0, r0 = (pl.col(c).shift(1) for c in ORDER)
    out_of_order = (s < s0) | ((s == s0) & ((p < p0) | ((p == p0) & (r < r0))))
    checked = 0
    previous: pl.DataFrame | None = None
    # A plain scan returns rows in the table's physical order (DuckDB preserves insertion
    # order by default; `compact` sets it explicitly).
    keys = con.sql(f"SELECT {', '.join(ORDER)} FROM observations")
    with keys.to_arrow_reader(batch_rows) as reader:
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)  # a record batch is a frame, not a series
            if previous is not None:  # compare across the batch boundary too
                frame = pl.concat([previous, frame])
            first = frame.select(out_of_order.arg_true().first()).item()
            if first is not None:
                return checked + first - (previous is not None)
            checked += batch.num_rows
            previous = frame.tail(1)
    return checked


def _check(con: duckdb.DuckDBPyConnection, path: Path) -> CompactResult:
    mark = time.perf_counter()
    try:
        rows = db.scalar(con, "SELECT count(*) FROM observations")
        ordered = ordered_rows(con)
    except duckdb.CatalogException as exc:
        raise StoreError(
            f"error: {path} has no observations table: {db.error_text(exc)} "
            "(is it a tracker store? create one with `tracker init --db PATH`)"
        ) from exc
    return CompactResult(
        path=path, rows=rows, ordered_rows=ordered, check_seconds=time.perf_counter() - mark
    )


def check(path: str | Path | None = None) -> CompactResult:
    """How much of ``observations`` is in key order, on a read-only connection; changes nothing.

    The result says ``in_order`` when a compaction has nothing to do, else how many rows from
    the start are in order (after a compaction and later appends: the compacted part). It
    inspects the store file itself, not a server's snapshot: the question is where the rows of
    that file lie.
    """
    target = db.resolve(path)
    with db.connect(target, read_only=True) as con:
        return _check(con, target)


def _data_bytes(con: duckdb.DuckDBPyConnection) -> int:
    return db.scalar(
        con,
        "SELECT used_blocks * block_size FROM pragma_database_size() "
        "WHERE database_name = current_database()",
    )


def _execute(
    con: duckdb.DuckDBPyConnection, sql: str, say: Progress, step: str, start: float, end: float
) -> None:
    """Run one statement, reporting DuckDB's own progress of it as ``start``..``end``."""
    say(step, start)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            percent = con.query_progress()  # -1 while DuckDB has no estimate
            if percent >= 0:
                say(step, start + (end - start) * min(percent, 100.0) / 100)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        con.execute(sql)
    finally:
        done.set()
        poller.join()


def _rewrite(con: duckdb.DuckDBPyConnection, rows: int, say: Progress) -> None:
    """Replace the rows of ``observations`` by a sorted copy of themselves, and the kept state
    by its own, in one transaction.

    The table itself stays (its constraints, its place in the catalogue, the views on it).
    """
    with db.transaction(con, on_commit=lambda: say("committing", 0.9)):
        _execute(
            con,
            f"CREATE TEMP TABLE {_SORTED} AS "
            f"SELECT * FROM observations ORDER BY {', '.join(ORDER)}",
            say, f"sorting {rows:,} rows", 0.05, 0.5,
        )  # fmt: skip
        # DuckDB reports no progress for the copy back (it says 100% at once): one step.
        say(f"writing {rows:,} rows", 0.5)
        con.execute("DELETE FROM observations")
        con.execute(f"INSERT INTO observations SELECT * FROM {_SORTED}")
        con.execute(f"DROP TABLE {_SORTED}")
        # The kept state (`tracker.state`) gets the same treatment: rows appends rewrote go
        # back to their place in (series_id, period) order.
        say("sorting the kept state", 0.8)
        state.sort(con)
        written = db.scalar(con, "SELECT count(*) FROM observations")
        if written != rows:  # rolls back: the store stays as it was
            raise StoreError(
                f"error: compaction wrote {written:,} rows instead of {rows:,}; nothing was "
                "changed (run it again; if it repeats, report it with TRACKER_DEBUG=1 output)"
            )


def compact(
    path: str | Path | None = None, *, dry_run: bool = False, progress: Progress | None = None
) -> CompactResult:
    """Rewrite ``observations`` in (series_id, period, release_id) order, in one transaction.

    Every row survives unchanged (same values, same release ids); only its place in the file
    changes. Does nothing when the rows are already in that order. Waits up to 10 s for another
    writer, like every writer, then fails with `StoreError`.

    Parameters
    ----------
    path
        The store; defaults to ``$TRACKER_DB`` or ``data/tracker.duckdb``.
    dry_run
        Only check the order (a read-only connection): say what a compaction would rewrite.
    progress
        Called with ``(step, fraction_done)`` as the work advances (from a second thread too,
        while DuckDB sorts).

    Returns
    -------
    CompactResult
        Rows, how many were in order before, seconds, file and data size before and after.
    """
    say = progress or (lambda step, fraction: None)
    target = db.resolve(path)
    started = time.perf_counter()
    # Check first without the write lock: nothing to do (or a dry run) needs no writer and
    # publishes no snapshot.
    say("checking order", 0.0)
    checked = check(target)
    if dry_run or checked.in_order:
        checked.dry_run = dry_run
        say("done", 1.0)
        return checked

    with snapshots.writer(target) as con:
        # Checked again under the lock: another writer may have appended (or compacted) since.
        # An unordered table is found out in the first batch, so this costs next to nothing.
        result = _check(con, target)
        if result.in_order:
            say("done", 1.0)
            return result
        result.file_bytes_before = target.stat().st_size
        result.data_bytes_before = _data_bytes(con)
        if progress is not None:
            con.execute("SET enable_progress_bar = true")  # makes query_progress() report
            con.execute("SET enable_progress_bar_print = false")
        # The INSERT below keeps the sorted copy's order only with this on (DuckDB's default).
        con.execute("SET preserve_insertion_order = true")
        try:
            _rewrite(con, result.rows, say)
        except duckdb.Error as exc:  # rolled back already (out of memory, interrupted, …)
            raise StoreError(
                f"error: compaction failed ({db.error_text(exc)}); nothing was changed (free "
                "memory or disk space, then run it again)"
            ) from exc
        say("checkpointing", 0.95)
        try:
            # Moves the new rows into the file and frees the old blocks, so the next reader
            # (and the snapshot a running server gets) opens the ordered table without a WAL.
            con.execute("CHECKPOINT")
        except duckdb.Error as exc:
            raise StoreError(
                f"error: the compaction was committed, but the checkpoint failed "
                f"({db.error_text(exc)}); the store is complete and DuckDB finishes the "
                "checkpoint on its next open (free disk space, then run `tracker check`)"
            ) from exc
        result.compacted = True
        result.file_bytes_after = target.stat().st_size
        result.data_bytes_after = _data_bytes(con)
    result.seconds = time.perf_counter() - started
    say("done", 1.0)
    return result
