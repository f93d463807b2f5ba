"""Connections, migrations and views: the only module that reads ``sql/``.

It knows nothing of who else reads the store: a writer runs the commit hooks its caller gives
it (`writer`), which is how the serving layer (`tracker.snapshots`) publishes snapshots for
running dashboards, and `reader` is the plain short-lived read-only connection that
`tracker.snapshots.reader` falls back on when no server runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from tracker import lake, paths, state
from tracker.errors import StoreError

if TYPE_CHECKING:
    import polars as pl

MIGRATIONS_TABLE = "schema_migrations"
#: DuckDB configuration, as `duckdb.connect` takes it.
Config = dict[str, str | bool | int | float | list[str]]
#: Configuration of every read-only connection a server or the SQL console opens. One process
#: can only hold a file with one configuration, so readers and the console share this one: no
#: files, no network, no settings changes, and no Python variables mistaken for tables.
READ_CONFIG: Config = {
    "enable_external_access": False,
    "lock_configuration": True,
    "python_enable_replacements": False,
}
_LOCK_HINT = (
    "another process holds the store open for writing; if `tracker serve` runs, it releases the "
    "file between requests — retry, or stop the process that holds it"
)


def _holder(text: str) -> str:
    """Who holds the lock, from DuckDB's message ("… is held in /usr/bin/python3 (PID 2324)"),
    and what to do about it."""
    match = re.search(r"held in (.+?) \(PID (\d+)\)", text)
    if match is None:
        return _LOCK_HINT
    program, pid = Path(match[1]).name, match[2]
    if "tracker" in program or program.startswith("python"):
        return (
            f"process {pid} ({program}) holds it open; if it is a Python session or notebook "
            "with duckdb.connect(path), open the store there with read_only=True (or close that "
            f"connection); else wait for it to finish, or stop it (kill {pid})"
        )
    return f"process {pid} ({program}) holds it open; close it there, or stop it (kill {pid})"


def _sql_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        # An empty list would create a store without tables; say what is broken instead.
        raise StoreError(
            f"error: tracker's SQL files are missing ({folder} is not a folder); reinstall "
            "tracker, or run it from a checkout"
        )
    return sorted(p for p in folder.glob("*.sql") if p.is_file())


def object_name(path: Path) -> str:
    """The SQL object a view file defines: ``21_latest.sql`` -> ``latest``."""
    return re.sub(r"^\d+_", "", path.stem)


def resolve(path: str | Path | None) -> Path:
    """The store path: ``path``, else ``$TRACKER_DB``, else the default store
    (`tracker.paths.DEFAULT_DB`)."""
    return Path(path) if path is not None else paths.default_db()


def connect(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    retry_seconds: float = 10.0,
    config: Config | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting up to ``retry_seconds`` while another process holds its lock.

    Parameters
    ----------
    path
        The DuckDB file; defaults to ``$TRACKER_DB`` or `tracker.paths.DEFAULT_DB`.
    read_only
        Open read-only (the file must exist).
    retry_seconds
        How long to keep retrying a lock conflict before giving up with a `StoreError`.
    config
        Extra DuckDB configuration, e.g. ``{"enable_external_access": False}``.
    """
    db_path = resolve(path)
    if lake.is_lake(db_path):
        return lake.connect(db_path, read_only=read_only)
    if read_only and not db_path.exists():
        raise StoreError(
            f"error: store {db_path} does not exist (run `tracker init` to create it, "
            "or pass --db / set TRACKER_DB)"
        )
    if not read_only:
        blocking = next((p for p in db_path.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise StoreError(
                f"error: cannot create store {db_path}: {blocking} is a file, not a folder "
                "(choose another place with --db or TRACKER_DB)"
            )
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"error: cannot create the folder for store {db_path}: {exc.strerror} "
                "(choose a writable place with --db or TRACKER_DB)"
            ) from exc
    deadline = time.monotonic() + retry_seconds
    delay = 0.01
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower() and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            if "lock" in text.lower():
                raise StoreError(f"error: store {db_path} is busy: {_holder(text)}") from exc
            if "not a valid DuckDB database file" in text:
                raise StoreError(
                    f"error: {db_path} is not a tracker store (not a DuckDB file); pass the "
                    "right --db, or create a new store with `tracker init --db NEW_PATH`"
                ) from exc
            raise StoreError(
                f"error: cannot open store {db_path}: {error_text(exc)} "
                "(check the path and its permissions, or pass --db)"
            ) from exc
        except duckdb.Error as exc:
            raise StoreError(
                f"error: cannot open store {db_path}: {exc} "
                "(is it a DuckDB file? create one with `tracker init --db NEW_PATH`)"
            ) from exc


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection,
    *,
    commit: bool = True,
    on_commit: Callable[[], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: commit on success (or roll back when ``commit`` is
    False, for dry runs), roll back on any exception.

    A failure to write (disk full, file gone) becomes a `StoreError` that says nothing was
    changed; the rollback after a failed COMMIT, which DuckDB refuses because the transaction
    is already gone, is not allowed to hide the real error.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        if not commit:
            con.execute("ROLLBACK")
            return
        if on_commit is not None:
            on_commit()
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if lake.is_conflict(exc) and _in_lake(con):
            raise lake.Conflict(
                "error: another writer of the lake changed the same rows first; nothing was "
                "changed (run the command again)"
            ) from exc
        if isinstance(exc, (duckdb.IOException, duckdb.TransactionException)):
            raise StoreError(
                f"error: the store could not be written ({error_text(exc)}); nothing was "
                "changed (free disk space, or put the store somewhere writable with --db)"
            ) from exc
        raise


def _in_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a failed transaction ran in a lake session: a file store's write-write conflict
    between its own connections is not another writer of a lake, and is not retried as one."""
    try:
        return lake.attached(con)
    except duckdb.Error:
        return False


def error_text(exc: BaseException) -> str:
    """The first line of a DuckDB error, for a user. ``error()`` raised by tracker's own macros
    (the unit guard) arrives as "Invalid Input Error: …" and reads best without the prefix."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.removeprefix("Invalid Input Error: ")


def applied_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the migrations already applied to this store, in order."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    rows = con.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name").fetchall()
    return [r[0] for r in rows]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the pending migrations, each in its own transaction; return the names applied."""
    done = set(applied_migrations(con))
    applied = []
    for path in migration_files():
        if path.stem in done:
            continue
        with transaction(con):
            con.execute(path.read_text())
            con.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES (?)", [path.stem])
        applied.append(path.stem)
    return applied


def migration_files() -> list[Path]:
    """The migration files, in the order they apply."""
    return _sql_files(paths.MIGRATIONS_DIR)


def view_files() -> list[Path]:
    """The view and macro files, in the order they must be created."""
    return _sql_files(paths.VIEWS_DIR)


VIEWS_STATE_TABLE = "schema_views"


def views_digest() -> str:
    """A hash of the view files: the kept state was built with the views it names."""
    digest = hashlib.sha256()
    for path in view_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re-)create every public view and macro from ``sql/views/`` and rebuild the kept state
    (`tracker.state`) with them, in one transaction: new definitions, new state."""
    names = []
    with transaction(con):
        for path in view_files():
            con.execute(path.read_text())
            names.append(object_name(path))
        stored = scalar(con, "SELECT count(*) FROM observations")
        if stored:
            # Once per new version of tracker, and seconds per 10 million rows: say why it waits.
            print(
                f"tracker: the views changed with this version of tracker: rebuilding the kept "
                f"state from {stored:,} stored rows (once)",
                file=sys.stderr,
                flush=True,
            )
        state.rebuild(con)
        con.execute(f"CREATE TABLE IF NOT EXISTS {VIEWS_STATE_TABLE} (digest VARCHAR NOT NULL)")
        con.execute(f"DELETE FROM {VIEWS_STATE_TABLE}")
        con.execute(f"INSERT INTO {VIEWS_STATE_TABLE} VALUES (?)", [views_digest()])
    return names


def check_files() -> list[Path]:
    """The data checks in ``sql/checks/``: SELECTs that return offending rows."""
    return _sql_files(paths.CHECKS_DIR)


def run_checks(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Run every data check: check name -> offending rows (empty = pass)."""
    return {object_name(path): con.sql(path.read_text()).pl() for path in check_files()}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> tuple[list[str], bool]:
    """Migrate, and refresh the views if ``sql/views/`` changed since they were created, then
    rebuild the kept state (`tracker.state`) with them.

    Every writer calls this; re-creating ~30 views costs ~0.3 s and rebuilding the state reads
    the whole history, so it happens only when the files differ from what the store holds (a new
    version of tracker). Returns the migrations applied and whether the views were refreshed.
    """
    if lake.attached(con):
        return lake.ensure_schema(con)
    applied = migrate(con)
    stored = None
    if VIEWS_STATE_TABLE in {r[0] for r in con.execute("SHOW TABLES").fetchall()}:
        stored = scalar(con, f"SELECT digest FROM {VIEWS_STATE_TABLE}")
    refresh = bool(applied) or stored != views_digest()
    if refresh:
        refresh_views(con)
    return applied, refresh


def next_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """A new id from ``sequence`` (``release_id_seq``, ``event_id_seq``); in a lake, which has
    no sequences, one that other writers cannot take (`tracker.lake.new_id`)."""
    if lake.attached(con):
        return lake.new_id(con, sequence)
    return int(scalar(con, f"SELECT nextval('{sequence}')"))


def ids_sql(con: duckdb.DuckDBPyConnection, sequence: str) -> str:
    """An SQL expression giving each row of an INSERT … SELECT a new id (`next_id`)."""
    if lake.attached(con):
        return lake.ids_sql(con, sequence)
    return f"nextval('{sequence}')"


def one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
) -> tuple | None:
    """The first row of a query, fully fetched (DuckDB 2.0 refuses new work while a result
    is only partly read)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """The first column of the first row, or None."""
    row = one(con, sql, params)
    return None if row is None else row[0]


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames) -> Iterator[None]:
    """Make Polars frames visible to SQL under the given names for the block."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames:
            # In an aborted transaction DuckDB refuses even this; the error that aborted it is
            # the one to report, and the registration dies with the connection anyway.
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)


@contextmanager
def reader(path: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection: open, read, close.

    Readers never hold the file between requests, so `tracker append` in another process can
    take the write lock; `connect` retries while a writer holds it. A lake (`tracker.lake`) has
    no lock: its readers share one session per process, a cursor per read.
    """
    if lake.is_lake(resolve(path)):
        with lake.reader(resolve(path)) as cur:
            yield cur
        return
    con = connect(path, read_only=True, config=READ_CONFIG)
    try:
        yield con
    finally:
        con.close()


def update_schema(path: str | Path, *, on_commit: Sequence[CommitHook] = ()) -> str | None:
    """Migrate an existing store and refresh its views if they come from an older tracker (a
    no-op when they are current), so a dashboard never meets an outdated macro.

    Returns a warning line instead of raising when the store cannot be written (read-only file,
    another writer for more than 10 s): the dashboard then serves it as it is. ``on_commit`` as
    for `writer`.
    """
    if not lake.is_lake(path) and not Path(path).exists():
        return None
    try:
        with writer(path, on_commit=on_commit):
            pass
    except StoreError as exc:
        return (
            f"warning: could not bring the store's schema up to date ({exc.message}); if the "
            "dashboard reports outdated views, run `tracker init --no-seed` on the store"
        )
    return None


#: DuckDB's memory limit for writers (appends, compaction); ``$TRACKER_MEMORY_LIMIT`` overrides.
WRITE_MEMORY_LIMIT = "750MB"

#: Called by `writer` with its connection and the store's path after the work is done, while
#: the write lock is still held (e.g. `tracker.snapshots.publish`).
CommitHook = Callable[[duckdb.DuckDBPyConnection, Path], object]


@contextmanager
def writer(
    path: str | Path | None = None,
    *,
    migrate_first: bool = True,
    on_commit: Sequence[CommitHook] = (),
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema up to date, for one unit of work.

    On a clean exit, while the write lock is still held, each hook of ``on_commit`` is called
    with the connection and the store's path; then the file is released for other processes.
    Nothing is called when the block raises. The writers of the CLI, the API and the dashboard
    come from `tracker.snapshots.writer`, which adds the hook that publishes a snapshot.
    """
    db_path = resolve(path)
    con = connect(db_path)
    try:
        # Past this, DuckDB spills to ``<store>.tmp`` instead of growing: a 10-million-row
        # append then stays near 2 GB in all (Polars holds the release too).
        limit = os.environ.get("TRACKER_MEMORY_LIMIT", WRITE_MEMORY_LIMIT)
        try:
            con.execute("SET memory_limit = ?", [limit])
        except duckdb.Error as exc:
            raise StoreError(
                f"error: TRACKER_MEMORY_LIMIT '{limit}' is not a memory size "
                "(use e.g. 750MB or 4GB)"
            ) from exc
        if migrate_first:
            ensure_schema(con)
        yield con
        # A lake's snapshots already isolate readers from writers: nothing to publish.
        for hook in () if lake.is_lake(db_path) else on_commit:
            hook(con, db_path)
    finally:
        con.close()
