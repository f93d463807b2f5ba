"""A store on DuckLake: the catalog in PostgreSQL, the data as Parquet files in a folder.

A lake store is named like a file store, by ``--db`` or ``$TRACKER_DB``, with a ``ducklake:``
prefix: ``ducklake:postgres:dbname=lake host=db.example port=5432 user=tracker``. The folder (or
object-storage URL) of its Parquet files is given once, to ``tracker init --lake SPEC
--data-path DIR``; DuckLake keeps it in the catalog, so every later command needs the name only.

Every connection is an in-memory DuckDB database with the lake attached as ``lake`` and
``search_path`` set to ``memory.main,lake.main``: the tables live in the lake, the public views
and macros of ``sql/views/`` are created in the session (DuckLake cannot store macros with
defaults, and a stored view would pin one tracker version on every client). The tables are the
ones the migrations of ``sql/migrations/`` make, without what DuckLake refuses (sequences,
primary keys, CHECK and UNIQUE constraints, list defaults).

DuckLake gives snapshot isolation: a reader sees the lake as of its transaction's start while
writers commit, so the snapshot copying of file stores (`tracker.snapshots`) is not used. Many
processes on many machines may write at once. Ids cannot come from a sequence there: `new_id`
makes them from the clock (microseconds since 2020) and 12 random bits, never below an id the
writer has seen, so a release's id stays above every release of the series it revises. Two
writers whose changes touch the same rows (the kept state of the same series) conflict; the
loser's whole append is retried (`retrying`), up to `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import functools
import importlib.util
import random
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from tracker.errors import StoreError

#: What a lake store's name starts with (``--db`` / ``$TRACKER_DB``).
PREFIX = "ducklake:"
#: The name the lake is attached under in every session.
ALIAS = "lake"
#: The DuckDB release whose extension wheels the ``lake`` extra pins.
DUCKDB_VERSION = "1.5.5"
#: How often an append that conflicts with another writer's is tried in all.
MAX_ATTEMPTS = 20
#: Ids: microseconds since this epoch, shifted left by `RANDOM_BITS`, plus random bits.
EPOCH_US = 1_577_836_800 * 1_000_000  # 2020-01-01T00:00:00Z
RANDOM_BITS = 12
#: The tables and columns whose ids `new_id` makes (what a file store's sequences give).
ID_COLUMNS = {"release_id_seq": ("releases", "release_id"), "event_id_seq": ("events", "event_id")}

_INSTALL_HINT = "pip install 'tracker[lake]' in an environment of its own"

T = TypeVar("T")

#: Appends this process ran again after losing a race (for benchmarks and logs).
conflicts = 0


def is_lake(path: str | Path | None) -> bool:
    """Whether a store name (``--db``, ``$TRACKER_DB``) names a lake."""
    return path is not None and str(path).startswith(PREFIX)


def _extension_file(name: str) -> Path | None:
    """The extension binary a ``duckdb-extension-<name>`` wheel ships for this DuckDB."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    path = path / f"{name}.duckdb_extension"
    return path if path.exists() else None


def unavailable() -> str | None:
    """Why this environment cannot open a lake, or None when it can."""
    if duckdb.__version__ != DUCKDB_VERSION:
        return (
            f"the lake needs duckdb {DUCKDB_VERSION} with its extension wheels, this is duckdb "
            f"{duckdb.__version__} ({_INSTALL_HINT})"
        )
    missing = [n for n in ("ducklake", "postgres") if _extension_file(n) is None]
    if missing:
        return f"the DuckDB extension wheels for {', '.join(missing)} are missing ({_INSTALL_HINT})"
    return None


def _load(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    installed = {
        r[0]
        for r in con.execute(
            "SELECT extension_name FROM duckdb_extensions() WHERE installed"
        ).fetchall()
    }
    for name in names:
        if name not in installed:
            path = _extension_file(name)
            if path is None:
                raise StoreError(
                    f"error: DuckDB's {name} extension is not installed ({_INSTALL_HINT})"
                )
            con.execute(f"INSTALL '{path}'")
        con.execute(f"LOAD {name}")


def _extensions(spec: str, data_path: str | None) -> tuple[str, ...]:
    names = ["ducklake"]
    catalog = spec.removeprefix(PREFIX)
    if catalog.startswith("postgres:"):
        names.append("postgres")
    elif catalog.startswith("sqlite:"):
        names.append("sqlite_scanner")
    if data_path and "://" in data_path:
        names.append("httpfs")
    return tuple(names)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(
    spec: str | Path,
    *,
    data_path: str | Path | None = None,
    create: bool = False,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the lake ``spec`` attached as ``lake``.

    ``create`` makes a new lake when the catalog holds none (``data_path`` then says where
    its Parquet files go); otherwise a missing lake is an error that says how to create it.
    The tables, views and macros come from `ensure_schema`.
    """
    spec = str(spec)
    reason = unavailable()
    if reason is not None:
        raise StoreError(f"error: cannot open lake {spec}: {reason}")
    data = None if data_path is None else str(data_path)
    if data is not None and "://" not in data:
        Path(data).mkdir(parents=True, exist_ok=True)
        data = str(Path(data).resolve()) + "/"
    con = duckdb.connect()
    try:
        _load(con, _extensions(spec, data))
        options = []
        if data is not None:
            options.append(f"DATA_PATH {_quote(data)}")
        if not create:
            options.append("CREATE_IF_NOT_EXISTS false")
        if read_only:
            options.append("READ_ONLY")
        with_options = f" ({', '.join(options)})" if options else ""
        con.execute(f"ATTACH {_quote(spec)} AS {ALIAS}{with_options}")
        con.execute(f"SET search_path = 'memory.main,{ALIAS}.main'")
    except duckdb.Error as exc:
        con.close()
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "creating a new DuckLake is explicitly disabled" in text:
            raise StoreError(
                f"error: there is no lake at {spec} (create it with `tracker init --lake "
                f"'{spec.removeprefix(PREFIX)}' --data-path DIR`)"
            ) from exc
        detail = text.removeprefix("IO Error: ")
        unreachable = re.search(r'Unable to connect to Postgres at "[^"]*": (.*)', detail)
        if unreachable:
            detail = f"the catalog's PostgreSQL: {unreachable[1]}"
        raise StoreError(
            f"error: cannot open lake {spec}: {detail} (check that "
            "the catalog database runs and the name's dbname, host, port and user)"
        ) from exc
    return con


def attached(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` is a lake session (made by `connect`)."""
    # Fetched to the end: DuckDB 2 refuses new work while a result is only partly read.
    rows = con.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = ? AND type = 'ducklake'",
        [ALIAS],
    ).fetchall()
    return bool(rows[0][0])


def new_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """A new id for the table a file store's ``sequence`` numbers.

    Clock microseconds since `EPOCH_US` (never below the newest id this transaction sees, so
    ids grow even when clocks differ between machines) shifted by `RANDOM_BITS`, plus random
    bits: two writers collide only when they draw the same microsecond and the same bits.
    """
    table, column = ID_COLUMNS[sequence]
    rows = con.execute(f"SELECT max({column}) FROM {table}").fetchall()
    newest = int(rows[0][0]) if rows[0][0] is not None else 0
    clock = time.time_ns() // 1000 - EPOCH_US
    tick = max(clock, (newest >> RANDOM_BITS) + 1)
    return (tick << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)


def ids_sql(con: duckdb.DuckDBPyConnection, sequence: str) -> str:
    """An SQL expression giving each row of an INSERT … SELECT its own new id: the rows after
    the first take the ticks (microseconds) after its own, with the same random bits."""
    first = new_id(con, sequence)
    return f"({first} + ((row_number() OVER () - 1) << {RANDOM_BITS}))"


def claim_series(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Make this transaction conflict with any other that appends to the same series, even
    their first release (which deletes no kept rows): rewrite their catalogue rows. DuckLake
    then lets one of two racing appends commit and the other is retried (`retrying`), so it
    diffs against the first: the same content is a duplicate, an older release is refused."""
    con.execute(f"UPDATE series SET name = name WHERE series_id IN (SELECT series_id FROM {table})")


def is_conflict(exc: BaseException) -> bool:
    """Whether a failed commit lost a race with another writer of the lake."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


class Conflict(StoreError):
    """Another writer of the lake changed the same rows first; trying again may succeed."""


def retrying(work: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction) again while it loses races with other writers,
    waiting a little longer (with jitter) each time; then give up with a one-line error."""
    global conflicts
    delay = 0.05
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Conflict:
            conflicts += 1
            if attempt == attempts:
                break
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, 2.0)
    raise StoreError(
        f"error: the lake kept changing under this write ({attempts} tries, other writers "
        "were changing the same series); nothing was written — run the command again"
    )


# The schema ------------------------------------------------------------------------------------


@functools.cache
def _reference_columns() -> tuple[tuple[str, str, str, bool, str | None], ...]:
    """The tables the migrations make in a file store: (table, column, type, not null,
    default), in order, from a migrated in-memory database."""
    from tracker import db

    ref = duckdb.connect()
    try:
        db.migrate(ref)
        rows = ref.execute(
            """
            SELECT table_name, column_name, data_type, NOT is_nullable, column_default
            FROM duckdb_columns() WHERE database_name = 'memory' AND schema_name = 'main'
            ORDER BY table_name, column_index
            """
        ).fetchall()
    finally:
        ref.close()
    return tuple((r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows)


def _column_sql(name: str, type_: str, not_null: bool, default: str | None) -> str:
    text = f"{name} {type_}"
    # DuckLake takes literal defaults only: no lists, casts or functions.
    if default is not None and default.lstrip("-").replace(".", "", 1).isdigit():
        text += f" DEFAULT {default}"
    if not_null:
        text += " NOT NULL"
    return text


def create_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the tables and columns the lake lacks (in the caller's transaction); returns
    the migrations recorded as applied (all of them for a new lake, none when it is current).

    The lake takes the schema the migrations make in a file store, not their statements: a
    migration's data changes (a backfill) are not replayed here.
    """
    from tracker import db

    have = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?",
            [ALIAS],
        ).fetchall()
    }
    tables = {t for t, _ in have}
    done = (
        {r[0] for r in con.execute(f"SELECT name FROM {db.MIGRATIONS_TABLE}").fetchall()}
        if db.MIGRATIONS_TABLE in tables
        else set()
    )
    pending = [p.stem for p in db.migration_files() if p.stem not in done]
    if not pending and db.VIEWS_STATE_TABLE in tables:
        return []  # current: no in-memory reference schema to build
    columns = _reference_columns()
    for table in dict.fromkeys(c[0] for c in columns):
        mine = [c for c in columns if c[0] == table]
        if table not in tables:
            body = ", ".join(_column_sql(c[1], c[2], c[3], c[4]) for c in mine)
            con.execute(f"CREATE TABLE {ALIAS}.main.{table} ({body})")
            continue
        for _, column, type_, _not_null, default in mine:
            if (table, column) not in have:
                # Rows already there get NULL: the column cannot be NOT NULL.
                con.execute(
                    f"ALTER TABLE {ALIAS}.main.{table} ADD COLUMN "
                    f"{_column_sql(column, type_, False, default)}"
                )
    if db.VIEWS_STATE_TABLE not in tables:
        con.execute(f"CREATE TABLE {ALIAS}.main.{db.VIEWS_STATE_TABLE} (digest VARCHAR NOT NULL)")
    for name in pending:
        con.execute(
            f"INSERT INTO {db.MIGRATIONS_TABLE} (name, applied_at) "
            "VALUES (?, current_localtimestamp())",
            [name],
        )
    return pending


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the public views and macros of ``sql/views/`` in this session (not the lake)."""
    from tracker import db

    names = []
    for path in db.view_files():
        con.execute(path.read_text())
        names.append(db.object_name(path))
    return names


def ensure_schema(con: duckdb.DuckDBPyConnection) -> tuple[list[str], bool]:
    """The lake's side of `tracker.db.ensure_schema`: create what the lake lacks, the views
    of this session, and rebuild the kept state when the view definitions changed since it was
    built. Returns the migrations applied and whether the kept state was rebuilt."""
    from tracker import db, state

    def schema() -> list[str]:
        with db.transaction(con):
            return create_tables(con)

    created = retrying(schema)
    create_views(con)
    digest = db.views_digest()

    def rebuild() -> bool:
        with db.transaction(con):
            stored = db.scalar(con, f"SELECT digest FROM {db.VIEWS_STATE_TABLE}")
            if stored == digest:
                return False
            state.rebuild(con)
            con.execute(f"DELETE FROM {db.VIEWS_STATE_TABLE}")
            con.execute(f"INSERT INTO {db.VIEWS_STATE_TABLE} VALUES (?)", [digest])
            return True

    return created, retrying(rebuild)


# Readers ---------------------------------------------------------------------------------------

#: One session per lake and process for readers: each read is a cursor of its own, and each
#: cursor's transaction sees the newest snapshot committed when it starts.
_READERS: dict[str, duckdb.DuckDBPyConnection] = {}


@contextmanager
def reader(spec: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor for one read of the lake, on this process' shared reading session.

    The session attaches the lake read-only and is then contained as a file store's readers
    are (`tracker.db.READ_CONFIG`): no files or network beyond the lake's own, no settings
    changes. (`tracker.sqlconsole` refuses the functions that reach the catalog database.)
    """
    key = str(spec)
    con = _READERS.get(key)
    if con is None:
        from tracker.db import READ_CONFIG

        con = connect(key, read_only=True)
        create_views(con)
        # The lake's own files stay readable: DuckLake reads them through the session.
        folders = con.execute(f"SELECT data_path FROM ducklake_settings('{ALIAS}')").fetchall()
        if folders and folders[0][0]:
            con.execute("SET allowed_directories = [?]", [folders[0][0]])
        # lock_configuration last: it refuses every SET after it.
        for name, value in sorted(READ_CONFIG.items(), key=lambda i: i[0] == "lock_configuration"):
            con.execute(f"SET {name} = {str(value).lower()}")
        con = _READERS.setdefault(key, con)
    cur = con.cursor()
    try:
        # A setting of the session: each cursor is a session of its own.
        cur.execute(f"SET search_path = 'memory.main,{ALIAS}.main'")
        yield cur
    finally:
        cur.close()


# Compaction ------------------------------------------------------------------------------------


def data_files(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per table of the lake, how many Parquet files hold its rows now (small appends are kept
    in the catalog itself until flushed: those count 0)."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name",
            [ALIAS],
        ).fetchall()
    ]
    counts = {}
    for table in tables:
        rows = con.execute(
            f"SELECT count(*) FROM ducklake_list_files('{ALIAS}', ?)", [table]
        ).fetchall()
        counts[table] = int(rows[0][0])
    return counts


def compact(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    """`tracker compact` for a lake: write the rows kept in the catalog to Parquet files and
    merge the small files appends leave into larger ones (DuckLake's own maintenance), each a
    commit of its own, retried like an append when another writer commits first.

    Returns the data files per table before and after. The replaced files stay for time travel
    until ``ducklake_expire_snapshots`` and ``ducklake_cleanup_old_files`` remove them.
    """
    before = data_files(con)
    for call in ("ducklake_flush_inlined_data", "ducklake_merge_adjacent_files"):

        def work(call: str = call) -> None:
            try:
                con.execute(f"CALL {call}('{ALIAS}')").fetchall()
            except duckdb.Error as exc:
                if is_conflict(exc):
                    raise Conflict(str(exc)) from exc
                raise

        retrying(work)
    return before, data_files(con)


# Moving a store between a file and a lake ------------------------------------------------------

#: Tables a store makes for itself, never copied: each store records its own migrations and views.
_OWN_TABLES = ("schema_migrations", "schema_views")
#: Physical order to write each table in (what the file store's appends and compaction keep).
_ORDER = {
    "observations": "series_id, period, release_id",
    "releases": "release_id",
    "release_coverage": "series_id, release_id",
    "release_series": "series_id, release_id",
    "current_observations": "series_id, period",
    "current_series": "series_id",
    "current_trends": "series_id",
    "series": "series_id",
    "events": "event_id",
}


def _data_tables() -> dict[str, list[str]]:
    """The tables an export copies, with their columns in order."""
    tables: dict[str, list[str]] = {}
    for table, column, *_ in _reference_columns():
        if table not in _OWN_TABLES:
            tables.setdefault(table, []).append(column)
    return tables


def _fingerprint(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple[int, int]]:
    """Per table: its row count and an order-free checksum of its rows (the sum of the rows'
    hashes over the exported columns)."""
    out = {}
    for table, columns in _data_tables().items():
        rows = con.execute(
            f"SELECT count(*), coalesce(sum(hash(x)::HUGEINT), 0) "
            f"FROM (SELECT {', '.join(columns)} FROM {catalog}.main.{table}) AS x"
        ).fetchall()
        out[table] = (int(rows[0][0]), int(rows[0][1]))
    return out


def export(
    source: str | Path, target: str | Path, *, data_path: str | Path | None = None
) -> dict[str, tuple[int, int]]:
    """Copy every table of a file store into a new lake, or of a lake into a new file store,
    release ids and all, in one transaction; then compare each table's row count and checksum
    on both sides. Returns ``table -> (rows, checksum)``.

    Exactly one of ``source`` and ``target`` is a lake; the target must hold no releases yet.
    A lake target is created (``data_path`` says where its files go) when it does not exist.
    """
    from tracker import db

    if is_lake(source) == is_lake(target):
        raise StoreError(
            "error: export moves a file store into a lake or a lake into a file store "
            "(use --to-lake with a file --db, or --to-file with a ducklake: --db)"
        )
    if is_lake(target):
        src_file = db.resolve(source)
        if not src_file.exists():
            raise StoreError(f"error: store {src_file} does not exist (pass the right --db)")
        con = connect(target, data_path=data_path, create=True)
        other, lake_is = "src", "target"
        attach = f"ATTACH {_quote(str(src_file))} AS src (READ_ONLY)"
    else:
        dst_file = db.resolve(target)
        if dst_file.exists():
            raise StoreError(
                f"error: {dst_file} already exists (export into a new file: pass another --to-file)"
            )
        with db.writer(dst_file):
            pass  # a new, migrated file store with its views
        con = connect(source)
        other, lake_is = "dst", "source"
        attach = f"ATTACH {_quote(str(dst_file))} AS dst"
    try:
        if lake_is == "target":
            ensure_schema(con)
        try:
            con.execute(attach)
        except duckdb.Error as exc:
            raise StoreError(
                f"error: cannot open the file store for the export: {exc} (a file written by "
                f"a newer DuckDB cannot be read by duckdb {duckdb.__version__}: export it to "
                "Parquet there, or append its releases again)"
            ) from exc
        src, dst = (other, ALIAS) if lake_is == "target" else (ALIAS, other)
        held = con.execute(f"SELECT count(*) FROM {dst}.main.releases").fetchall()[0][0]
        if held:
            raise StoreError(
                f"error: the export's target already holds {held} releases (export into a new "
                "lake or file)"
            )
        with db.transaction(con):
            for table, columns in _data_tables().items():
                names = ", ".join(columns)
                order = f" ORDER BY {_ORDER[table]}" if table in _ORDER else ""
                con.execute(f"DELETE FROM {dst}.main.{table}")
                con.execute(
                    f"INSERT INTO {dst}.main.{table} ({names}) "
                    f"SELECT {names} FROM {src}.main.{table}{order}"
                )
        before, after = _fingerprint(con, src), _fingerprint(con, dst)
    finally:
        con.close()
    if before != after:
        differ = ", ".join(t for t in before if before[t] != after[t])
        raise StoreError(
            f"error: the export's copy differs from its source in {differ}; do not use the "
            "target (remove it and export again)"
        )
    if lake_is == "source":
        # The file's sequences continue after the lake's ids, so later appends stay in order.
        with db.connect(target) as file_con:
            for sequence, (table, column) in ID_COLUMNS.items():
                top = file_con.execute(f"SELECT max({column}) FROM {table}").fetchall()[0][0]
                file_con.execute(f"CREATE OR REPLACE SEQUENCE {sequence} START {(top or 0) + 1}")
    return after
