"""Ad-hoc SQL for people: read-only, contained, time-limited.

Containment comes from DuckDB itself, not from string matching: the store is opened read-only
with ``enable_external_access = false`` (no files, no network, no ATTACH/INSTALL/COPY) and
``lock_configuration = true`` (no SET that turns it back on); only SELECT-like statements pass
the allow-list; a timer interrupts a query that runs past its time limit.

A lake's session must reach its catalog database, so one rule more: no function that reaches
past the store (``postgres_execute`` would run any SQL in the catalog, even past a read-only
attach with a ``COMMIT`` of its own), nor one that runs SQL from a string the check cannot see
(``query``). The statement's parse tree (``json_serialize_sql``) names its functions.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tracker import db, snapshots
from tracker.errors import QueryError

if TYPE_CHECKING:
    import polars as pl

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
#: Functions that reach past the store: another database, or SQL in a string.
OUTSIDE = re.compile(r"(postgres|ducklake|sqlite|mysql)_\w+|query|query_table", re.IGNORECASE)
#: The same names anywhere in a statement's text, for a statement without a parse tree.
_OUTSIDE_TEXT = re.compile(r"(postgres|ducklake|sqlite|mysql)_|\bquery(_table)?\b", re.IGNORECASE)
_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\b", re.IGNORECASE)
DEFAULT_TIMEOUT = 30.0


#: DuckDB type ids whose values are numbers (right-aligned in a terminal table).
NUMERIC_TYPES = frozenset(
    {
        "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
        "uinteger", "ubigint", "uhugeint", "float", "double", "decimal",
    }
)  # fmt: skip


@dataclass
class QueryResult:
    frame: pl.DataFrame
    truncated: bool
    seconds: float


@dataclass
class QueryRows:
    """A result as Python rows, for printing without Polars (``tracker query``'s table)."""

    columns: list[str]
    numeric: list[bool]
    rows: list[tuple]
    truncated: bool
    seconds: float


def check_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one read statement (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"error: {db.error_text(exc)}") from None
    if not statements:
        raise QueryError("error: the query is empty (write a SELECT, e.g. SELECT * FROM latest)")
    if len(statements) > 1:
        raise QueryError(
            "error: one statement at a time (remove the extra ';'-separated statement)"
        )
    kind = statements[0].type
    if kind not in ALLOWED:
        name = kind.name.replace("_", " ")
        raise QueryError(
            f"error: {name} statements are not allowed here: the console is read-only "
            "(write a SELECT; to add data use `tracker append`)"
        )
    outside = _outside_functions(con, statements[0].query, kind)
    if outside:
        raise QueryError(
            f"error: {outside} reaches past the store and is not allowed here (query the "
            "store's tables, views and macros)"
        )


def _outside_functions(
    con: duckdb.DuckDBPyConnection, sql: str, kind: duckdb.StatementType
) -> str | None:
    """The first function of ``sql`` that reaches past the store (see `OUTSIDE`), or None."""
    text = _EXPLAIN.sub("", sql) if kind == duckdb.StatementType.EXPLAIN else sql
    # Fetched to the end: DuckDB 2 refuses new work while a result is only partly read.
    rows = con.execute("SELECT json_serialize_sql(?)", [text]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {"error": True}
    if tree.get("error"):
        # No parse tree (a form json_serialize_sql does not know): judge by the text.
        found = _OUTSIDE_TEXT.search(text)
        return found.group(0) if found else None
    names: list[str] = []
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            name = node.get("function_name")
            if isinstance(name, str) and OUTSIDE.fullmatch(name):
                names.append(name)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return min(names) if names else None


def run(
    path: str | Path | None,
    sql: str,
    *,
    params: list | dict | None = None,
    max_rows: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run one read-only statement against the store at ``path``.

    Parameters
    ----------
    max_rows
        Return at most this many rows (``truncated`` tells whether there were more).
    timeout
        Interrupt the query after this many seconds with a `QueryError`.
    """
    import polars as pl

    def fetch(rel: duckdb.DuckDBPyRelation | None) -> pl.DataFrame:
        return pl.DataFrame() if rel is None else rel.pl()

    frame, seconds = _execute(path, sql, fetch, params=params, max_rows=max_rows, timeout=timeout)
    truncated = max_rows is not None and frame.height > max_rows
    if truncated:
        frame = frame.head(max_rows)
    return QueryResult(frame=frame, truncated=truncated, seconds=seconds)


def run_rows(
    path: str | Path | None,
    sql: str,
    *,
    params: list | dict | None = None,
    max_rows: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryRows:
    """`run`, answering with Python rows: no Polars import (a fifth of a second at start-up)."""

    def fetch(rel: duckdb.DuckDBPyRelation | None) -> tuple[list[str], list[bool], list[tuple]]:
        if rel is None:
            return [], [], []
        numeric = [t.id in NUMERIC_TYPES for t in rel.types]
        return list(rel.columns), numeric, rel.fetchall()

    (columns, numeric, rows), seconds = _execute(
        path, sql, fetch, params=params, max_rows=max_rows, timeout=timeout
    )
    truncated = max_rows is not None and len(rows) > max_rows
    if truncated:
        rows = rows[:max_rows]
    return QueryRows(
        columns=columns, numeric=numeric, rows=rows, truncated=truncated, seconds=seconds
    )


def _execute(
    path: str | Path | None,
    sql: str,
    fetch: Callable[[duckdb.DuckDBPyRelation | None], Any],
    *,
    params: list | dict | None,
    max_rows: int | None,
    timeout: float | None,
) -> tuple[Any, float]:
    """Check and run ``sql`` on a contained read-only connection; ``fetch`` reads the result
    (of at most ``max_rows + 1`` rows) before the connection closes."""
    # While a dashboard serves the store, `snapshots.reader` reads its snapshot: a long query
    # then never holds the lock that `tracker append` needs.
    with snapshots.reader(path) as con:
        check_statements(con, sql)
        timer = None
        interrupted = threading.Event()
        if timeout:

            def stop() -> None:
                interrupted.set()
                con.interrupt()

            timer = threading.Timer(timeout, stop)
            timer.daemon = True
            timer.start()
        started = time.perf_counter()
        try:
            rel = con.sql(sql, params=params)
            if rel is not None and max_rows is not None:
                rel = rel.limit(max_rows + 1)
            result = fetch(rel)
        except duckdb.Error as exc:
            if interrupted.is_set():
                raise QueryError(
                    f"error: the query ran longer than {timeout:g} s and was stopped "
                    "(add a WHERE on series_id or period, or a LIMIT)"
                ) from None
            raise QueryError(f"error: {db.error_text(exc)}") from None
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - started
    return result, seconds
