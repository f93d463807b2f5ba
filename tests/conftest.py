"""Shared fixtures: real DuckDB files on disk, the real seed, the real agency files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import settings

from tracker import db
from tracker.append import ReleaseMeta, append_releases, upsert_series
from tracker.formats import RawRelease
from tracker.seed import load_seed
from tracker.vocab import HEAD_BYTES

# Property tests check answers, not speed: with the suite spread over every core (make test),
# an example can take longer than Hypothesis' 200 ms deadline for reasons of its own.
settings.register_profile("tracker", deadline=None)
settings.load_profile("tracker")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow or browser tests run first. `make test` spreads whole files over the
    workers (pytest-xdist, --dist loadfile), so a long file that starts last would run alone."""
    long_files = {item.path for item in items if item.get_closest_marker("slow")}
    long_files |= {item.path for item in items if item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in long_files)  # stable: file order is kept


#: The real agency files and web-API recordings, copied into the repository with their
#: provenance (``tests/data/fixtures/README.md``), so a fresh clone runs every test.
FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"
#: Recorded responses of the agencies' web APIs (served from 127.0.0.1, never read as releases).
API_RECORDINGS = FIXTURES / "api"


@pytest.fixture
def fixtures() -> Path:
    """The real agency files (``tests/data/fixtures``)."""
    return FIXTURES


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated store, built once per session (per worker); copy it before writing."""
    path = tmp_path_factory.mktemp("empty") / "store.duckdb"
    with db.connect(path) as con:
        db.ensure_schema(con)
    return path


@pytest.fixture
def store(tmp_path: Path, store_template: Path) -> Path:
    """An empty, migrated store file (a private copy: migrating costs ~0.3 s, copying ~1 ms)."""
    path = tmp_path / "store.duckdb"
    shutil.copy(store_template, path)
    return path


@pytest.fixture
def con(store: Path):
    with db.connect(store) as connection:
        yield connection


@pytest.fixture(scope="session")
def calendar() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty store in memory, for the SQL macros alone (the period calendar, the vocabularies'
    CHECK constraints); shared by a worker's tests, which only read it."""
    connection = duckdb.connect()
    db.ensure_schema(connection)
    yield connection
    connection.close()


def span_of(con: duckdb.DuckDBPyConnection, frequency: str, day: date) -> tuple[date, date]:
    """The period of ``frequency`` that holds ``day``, by the calendar macros."""
    [(start, end)] = con.execute(
        "SELECT period_floor($f, $d), period_last_day($f, period_floor($f, $d))",
        {"f": frequency, "d": day},
    ).fetchall()
    return start, end


def code_of(con: duckdb.DuckDBPyConnection, frequency: str, start: date, end: date) -> str:
    """The code a stored period is written as (the macro ``period_code``)."""
    [(code,)] = con.execute("SELECT period_code(?, ?, ?)", [frequency, start, end]).fetchall()
    return code


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the seed loaded, built once per session; copy it before writing."""
    path = tmp_path_factory.mktemp("seed") / "seeded.duckdb"
    with db.connect(path) as connection:
        db.ensure_schema(connection)
        load_seed(connection)
    return path


@pytest.fixture
def seeded(tmp_path: Path, seeded_template: Path) -> Path:
    """A private copy of the seeded store."""
    path = tmp_path / "seeded.duckdb"
    shutil.copy(seeded_template, path)
    return path


def define(con: duckdb.DuckDBPyConnection, series_id: str, **overrides) -> None:
    """Add one series to the catalogue with sensible defaults."""
    row = {
        "series_id": series_id,
        "name": series_id,
        "unit": "%",
        "unit_kind": "level",
        "frequency": "M",
        "geo": "WLD",
        "source": "Test agency",
        "kind": "actual",
        "description": None,
        "tags": [],
    }
    row.update(overrides)
    upsert_series(con, pl.DataFrame([row]))


def release(
    con: duckdb.DuckDBPyConnection,
    published: str,
    rows: list[tuple],
    *,
    source: str = "Test agency",
    dry_run: bool = False,
):
    """Append one release of ``(series_id, period, value[, status])`` rows."""
    frame = pl.DataFrame(
        {
            "series_id": [r[0] for r in rows],
            "period": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "status": [r[3] if len(r) > 3 else None for r in rows],
            "line": list(range(2, len(rows) + 2)),
        },
        schema={
            "series_id": pl.String,
            "period": pl.String,
            "value": pl.Float64,
            "status": pl.String,
            "line": pl.Int64,
        },
    )
    raw = RawRelease(frame=frame, format="test")
    meta = ReleaseMeta(source=source, published=datetime.fromisoformat(published))
    return append_releases(con, [(raw, f"r{published}.csv")], meta, dry_run=dry_run)[0]


def content(path: Path) -> dict[str, list]:
    """Every row of every table, sorted, and the definition of every view: equal before and after
    means the store is unchanged.

    The views' answers follow from these, so they are not computed: that took 0.25 s a call
    (`trends` alone 0.2 s), and the corpus of bad files calls it once per file.
    """
    with db.connect(path, read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY ALL"
        ).fetchall()
        result = {
            t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for (t,) in tables
        }
        result["(views)"] = con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL"
        ).fetchall()
        return result


def fixture(name: str) -> Path:
    """One agency file by its path under ``tests/data/fixtures``; a missing one is an error."""
    path = FIXTURES / name
    if not path.exists():
        raise FileNotFoundError(f"fixture {name} is missing from {FIXTURES}")
    return path


def all_fixtures() -> list[Path]:
    """Every agency release file (for sniffing tests); the web-API recordings are not files a
    user appends, so they are left out."""
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.name != "README.md" and API_RECORDINGS not in p.parents
    )


def head(path: Path) -> bytes:
    """The first bytes a sniffer sees."""
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


# Lake ------------------------------------------------------------------------------------------


def lake_skip_reason() -> str | None:
    """Why the lake tests cannot run here (they run in `make test-lake`), or None."""
    import pgserver

    from tracker import lake

    reason = lake.unavailable()
    if reason is not None:
        return f"{reason}; `make test-lake` runs these tests"
    if pgserver.bin_dir() is None:
        return "PostgreSQL is not installed (as root: apt-get install -y postgresql)"
    return None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throwaway PostgreSQL on 127.0.0.1 for the session (per worker), always stopped."""
    import pgserver

    reason = lake_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    server = pgserver.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lake_store(pg_server, tmp_path: Path) -> str:
    """A new, empty lake: a database of its own on the session's server, its files in
    ``tmp_path/lake``. Returns the store name (``ducklake:postgres:…``)."""
    import uuid

    from tracker import lake

    spec = lake.PREFIX + pg_server.createdb(f"lake_{uuid.uuid4().hex[:12]}")
    lake.connect(spec, data_path=tmp_path / "lake", create=True).close()
    return spec
