"""Serving while appending: the dashboard reads an immutable snapshot of the store.

DuckDB allows one writing process per file, and any process holding the file (even read-only)
blocks a writer. So a running dashboard never opens the store itself. Instead:

- ``tracker serve`` registers itself (a pid file in ``<store>.snapshots/serving/``) and publishes
  a first snapshot;
- every writer (``tracker append``, ``define``, ``init``, ``compact``, ``pull``, the Python
  API, the dashboard's upload) opens the store with `writer`, which gives `tracker.db.writer`
  the commit hook `publish`: after the work, while it still holds the write lock, it runs
  ``CHECKPOINT``, copies the store to a new numbered file in ``<store>.snapshots/`` and
  atomically repoints the ``current`` link at it — only when a server is registered, so appends
  without a dashboard cost nothing extra;
- every reader (the dashboard, the SQL console, the CLI's read commands, the Python API) opens
  the store with `reader`: while a server is registered, a cursor on the snapshot ``current``
  points at, through one read-only connection per process that is reopened when the link
  changes (one ``readlink`` per read), so new releases show on the next page interaction and
  readers never touch the file the writer locks; otherwise a short read-only connection to the
  store itself.

A killed writer leaves at most a stray ``.tmp`` copy, which the next publish removes; the link
always points at a complete snapshot. See docs/architecture.md for the measurements.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from tracker import db, lake

KEEP = 3  # snapshots kept on disk; readers may still hold the previous one open


def folder(store: Path) -> Path:
    return store.with_name(store.name + ".snapshots")


def _serving_dir(store: Path) -> Path:
    return folder(store) / "serving"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def servers(store: Path) -> list[int]:
    """Pids of the live servers registered on this store (stale pid files are removed)."""
    live: list[int] = []
    directory = _serving_dir(store)
    if not directory.is_dir():
        return live
    for entry in directory.iterdir():
        try:
            pid = int(entry.name)
        except ValueError:
            continue
        if _alive(pid):
            live.append(pid)
        else:
            entry.unlink(missing_ok=True)
    return live


def current(store: Path) -> Path | None:
    """The snapshot readers should use, or None when none was published."""
    link = folder(store) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = folder(store) / target
    return path if path.exists() else None


def publish(con: duckdb.DuckDBPyConnection, store: Path, *, force: bool = False) -> Path | None:
    """Copy the store to a new snapshot and point ``current`` at it.

    Call it with the read-write connection still open (its lock keeps other writers out while
    the file is copied). Does nothing unless a server is registered or ``force`` is given.
    """
    if not force and not servers(store):
        return None
    con.execute("CHECKPOINT")
    snap_dir = folder(store)
    snap_dir.mkdir(parents=True, exist_ok=True)
    for stray in snap_dir.glob("*.tmp"):
        stray.unlink(missing_ok=True)
    name = f"{time.time_ns()}.duckdb"
    tmp = snap_dir / (name + ".tmp")
    shutil.copyfile(store, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, snap_dir / name)
    link_tmp = snap_dir / f"current.{os.getpid()}.tmp"
    link_tmp.unlink(missing_ok=True)
    os.symlink(name, link_tmp)
    os.replace(link_tmp, snap_dir / "current")
    _prune(snap_dir, keep_name=name)
    return snap_dir / name


def _prune(snap_dir: Path, *, keep_name: str) -> None:
    snaps = sorted(p for p in snap_dir.glob("*.duckdb") if p.name != keep_name)
    # Unlinking a file a reader still has open is safe on POSIX: the reader keeps its inode.
    for old in snaps[: max(0, len(snaps) - (KEEP - 1))]:
        old.unlink(missing_ok=True)
        Path(str(old) + ".wal").unlink(missing_ok=True)


def register(store: Path) -> None:
    """Register this process as a server of ``store`` and publish a first snapshot (nothing for
    a lake: its own snapshots isolate readers from writers)."""
    if lake.is_lake(store):
        return
    directory = _serving_dir(store)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / str(os.getpid())).write_text("")
    with db.connect(store) as con:
        publish(con, store, force=True)


def unregister(store: Path) -> None:
    """Stop publishing snapshots for this process (others may still be registered)."""
    if lake.is_lake(store):
        return
    (_serving_dir(store) / str(os.getpid())).unlink(missing_ok=True)


@contextlib.contextmanager
def registered_server(store: Path) -> Iterator[None]:
    """Register this process as a server of ``store`` for the block."""
    register(store)
    try:
        yield
    finally:
        unregister(store)


class SnapshotReader:
    """One read-only connection per process to the current snapshot, reopened when it changes.

    Falls back to short-lived read-only connections to the store itself when no snapshot exists
    (e.g. the dashboard run inside tests without ``tracker serve``).
    """

    def __init__(self, store: Path):
        self.store = Path(store)
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the freshest snapshot (or a brief read-only connection to the store)."""
        snapshot = current(self.store) if servers(self.store) else None
        if snapshot is None:
            with db.reader(self.store) as con:
                yield con
            return
        with self._lock:
            if snapshot != self._path or self._con is None:
                # The old connection is not closed here: requests in other threads may still
                # hold cursors on it; it goes away with the last of them.
                self._con = duckdb.connect(str(snapshot), read_only=True, config=db.READ_CONFIG)
                self._path = snapshot
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()


#: One `SnapshotReader` per store and process: its snapshot connection serves every read.
_READERS: dict[Path, SnapshotReader] = {}


@contextlib.contextmanager
def reader(path: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one read of the store: the one place readers open it.

    While a server is registered on the store, a cursor on its current snapshot (one connection
    per process, reopened when the snapshot changes), so a read never holds the lock a writer
    needs; otherwise a read-only connection to the store, opened for this read and closed after
    it. Configured with `tracker.db.READ_CONFIG` either way (no files, no network, no settings
    changes, no Python variables mistaken for tables).

    Parameters
    ----------
    path
        The store; defaults to ``$TRACKER_DB`` or `tracker.paths.DEFAULT_DB`.
    """
    store = db.resolve(path)
    if lake.is_lake(store):
        # A lake's own snapshots isolate readers from writers.
        with db.reader(store) as con:
            yield con
        return
    source = _READERS.get(store)
    if source is None:
        source = _READERS.setdefault(store, SnapshotReader(store))
    with source.cursor() as con:
        yield con


def writer(
    path: str | Path | None = None, *, migrate_first: bool = True
) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """`tracker.db.writer` with `publish` as its commit hook: the writer every command, the API
    and the dashboard's upload use, so a running server sees what they commit.

    Parameters
    ----------
    path
        The store; defaults to ``$TRACKER_DB`` or `tracker.paths.DEFAULT_DB`.
    migrate_first
        Bring the schema up to date before the work (see `tracker.db.writer`).
    """
    return db.writer(path, migrate_first=migrate_first, on_commit=[publish])
