"""The SQL console and `tracker query` are read-only and contained — by DuckDB's own controls."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from tracker import snapshots, sqlconsole
from tracker.errors import QueryError

REFUSED_BY_ALLOW_LIST = [
    ("INSERT INTO series (series_id) VALUES ('x')", "INSERT"),
    ("UPDATE observations SET value = 0", "UPDATE"),
    ("DELETE FROM observations", "DELETE"),
    ("DROP VIEW latest", "DROP"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("COPY latest TO '/tmp/out.csv'", "COPY"),
    ("EXPORT DATABASE '/tmp/export'", "EXPORT"),
    ("ATTACH ':memory:' AS m", "ATTACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("CHECKPOINT", "CALL"),
]


@pytest.mark.parametrize(("sql", "kind"), REFUSED_BY_ALLOW_LIST)
def test_only_reads_pass_the_allow_list(seeded, sql, kind):
    with pytest.raises(QueryError) as caught:
        sqlconsole.run(seeded, sql)
    assert caught.value.message == (
        f"error: {kind} statements are not allowed here: the console is read-only "
        "(write a SELECT; to add data use `tracker append`)"
    )


REFUSED_BY_DUCKDB = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/anything.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_csv('https://example.com/data.csv')",
]


@pytest.mark.parametrize("sql", REFUSED_BY_DUCKDB)
def test_selects_cannot_reach_files_or_network(seeded, sql):
    with pytest.raises(QueryError) as caught:
        sqlconsole.run(seeded, sql)
    assert "file system operations are disabled by configuration" in caught.value.message


REACHING_PAST_THE_STORE = [
    ("SELECT * FROM postgres_execute('db', 'COMMIT; DROP TABLE x')", "postgres_execute"),
    ("SELECT * FROM \"postgres_query\"('db', 'SELECT 1')", "postgres_query"),
    ("EXPLAIN ANALYZE SELECT * FROM ducklake_snapshots('lake')", "ducklake_snapshots"),
    ("WITH t AS (SELECT 1) FROM t, query('SELECT 1')", "query"),
    (
        "SELECT * FROM latest WHERE series_id IN (SELECT * FROM query_table('latest'))",
        "query_table",
    ),
]


@pytest.mark.parametrize(("sql", "name"), REACHING_PAST_THE_STORE)
def test_functions_that_reach_past_the_store_are_refused(seeded, sql, name):
    """A lake's session reaches its catalog database: the console refuses the functions that
    would run SQL there (or SQL from a string the check cannot see), on every store."""
    with pytest.raises(QueryError) as caught:
        sqlconsole.run(seeded, sql)
    assert caught.value.message == (
        f"error: {name} reaches past the store and is not allowed here (query the store's "
        "tables, views and macros)"
    )


def test_a_column_named_like_such_a_function_is_no_call(seeded):
    sql = "SELECT 'x' AS query, 'postgres_execute' AS postgres_note FROM series LIMIT 1"
    assert sqlconsole.run(seeded, sql).frame.row(0) == ("x", "postgres_execute")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "INSERT INTO events (event_id, starts_on, title) VALUES (99, DATE '2025-01-01', 'x')",
            "read-only",
        ),
        ("COPY (SELECT 1) TO '/tmp/tracker-escape.csv'", "disabled by configuration"),
        ("ATTACH '/tmp/tracker-other.duckdb'", "disabled by configuration"),
        ("INSTALL httpfs", "disabled by configuration"),
        ("SET enable_external_access = true", "configuration has been locked"),
        ("SET lock_configuration = false", "configuration has been locked"),
    ],
)
def test_duckdb_itself_refuses_even_without_the_allow_list(seeded, sql, expected):
    """Defence in depth: the connection the console uses refuses these on its own."""
    with snapshots.reader(seeded) as con, pytest.raises(duckdb.Error) as caught:
        con.execute(sql)
    assert expected in str(caught.value)


def test_reads_work_and_rows_are_limited(seeded):
    result = sqlconsole.run(seeded, "SELECT * FROM latest", max_rows=5)
    assert result.frame.height == 5
    assert result.truncated is True
    small = sqlconsole.run(seeded, "SELECT 1 AS one", max_rows=5)
    assert (small.frame["one"].to_list(), small.truncated) == ([1], False)


def test_params_are_bound(seeded):
    result = sqlconsole.run(
        seeded, "SELECT value FROM latest WHERE series_id = $id AND period = DATE '2025-05-01'",
        params={"id": "CHN.EXPORTS.YOY"},
    )  # fmt: skip
    assert result.frame["value"].to_list() == [4.8]


def test_a_runaway_query_is_stopped_and_others_keep_going(seeded):
    outcome = {}

    def slow():
        started = time.perf_counter()
        try:
            sqlconsole.run(seeded, "SELECT count(*) FROM range(1000000000000) AS a", timeout=1.0)
        except QueryError as exc:
            outcome["message"] = exc.message
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    # Another user's query runs while the slow one is in progress.
    quick = sqlconsole.run(seeded, "SELECT count(*) AS n FROM series")
    assert quick.frame["n"].to_list()[0] > 20
    thread.join(timeout=30)
    assert outcome["message"] == (
        "error: the query ran longer than 1 s and was stopped "
        "(add a WHERE on series_id or period, or a LIMIT)"
    )
    assert outcome["seconds"] < 5
