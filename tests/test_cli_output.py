"""CLI tables a newcomer can trust: no column dropped, full precision, periods as codes, a clear
word when nothing is known, and vintages that can be narrowed."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from tests.conftest import define, release
from tracker import cli as cli_module
from tracker.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_piped_tables_keep_every_column_and_full_precision(con, store):
    define(con, "USA.GDPC1", name="Real gross domestic product, chained 2017 dollars " * 2,
           frequency="Q")  # fmt: skip
    release(con, "2009-10-29", [("USA.GDPC1", "2009-Q3", 12938.01)])
    release(con, "2009-11-24", [("USA.GDPC1", "2009-Q3", 12938.02)])
    con.close()

    listing = run("series", "--db", str(store)).stdout
    shown = run("show", "USA.GDPC1", "--db", str(store), "--vintages").stdout

    header = listing.splitlines()[1]
    for column in ("series_id", "name", "last_period", "last_value", "unit", "change"):
        assert column in header
    assert "12,938.02" in listing and "2009-Q3" in listing
    assert "12,938.01" in shown and "12,938.02" in shown and "2009-Q3" in shown


def test_a_table_too_wide_for_the_terminal_prints_one_block_per_row(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(
        cli_module.out,
        "_console",
        Console(file=buffer, width=40, force_terminal=True, highlight=False, color_system=None),
    )
    columns = ["series_id", "name", "last_value"]
    rows = [("CHN.EXPORTS.YOY", "China goods exports, y/y (USD)", 4.8)]

    cli_module.emit_table(columns, [False, False, True], rows, None, title="series")

    assert buffer.getvalue().splitlines() == [
        "series",
        "-[ row 1 ]----",
        "series_id  | CHN.EXPORTS.YOY",
        "name       | China goods exports, y/y (USD)",
        "last_value | 4.8",
    ]


def test_as_of_before_the_first_release_says_so(con, store):
    define(con, "M.X")
    release(con, "2025-03-10", [("M.X", "2025-02", 1.0)])
    con.close()

    result = run("show", "M.X", "--db", str(store), "--as-of", "2024-12-31")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: nothing of M.X was published by 2024-12-31: its first release came out on "
        "2025-03-10 (pick a later --as-of)\n"
    )


def test_vintages_narrowed_to_periods_and_revised_ones(con, store):
    define(con, "M.X")
    release(con, "2025-03-10", [("M.X", "2025-01", 1.0), ("M.X", "2025-02", 2.0)])
    release(con, "2025-04-10", [("M.X", "2025-02", 2.5), ("M.X", "2025-03", 3.0)])
    con.close()

    ranged = run("show", "M.X", "--vintages", "--periods", "2025-02:", "--format", "csv",
                 "--db", str(store))  # fmt: skip
    revised = run("show", "M.X", "--vintages", "--revised-only", "--format", "csv",
                  "--db", str(store))  # fmt: skip
    bad = run("show", "M.X", "--periods", "2025-13:", "--db", str(store))

    assert [line.split(",")[:2] for line in ranged.stdout.splitlines()[1:]] == [
        ["2025-02-01", "2.0"], ["2025-02-01", "2.5"], ["2025-03-01", "3.0"],
    ]  # fmt: skip
    assert [line.split(",")[:2] for line in revised.stdout.splitlines()[1:]] == [
        ["2025-02-01", "2.0"], ["2025-02-01", "2.5"],
    ]  # fmt: skip
    assert bad.exit_code == 2 and "--periods" in bad.stderr


def test_the_sql_shell_runs_statements_until_semicolons(seeded):
    script = (
        "select series_id, value\n from latest where period = DATE '2025-05-01'\n"
        " and series_id like 'CHN.%XPORTS.YOY' order by 1;\nselect nope;\n.quit\nselect 1;\n"
    )
    result = CliRunner().invoke(cli, ["sql", "--db", str(seeded)], input=script)

    assert result.exit_code == 0
    assert "CHN.EXPORTS.YOY" in result.stdout and "4.8" in result.stdout
    assert result.stderr.startswith('error: Binder Error: Referenced column "nope"')
    assert "│ 1 │" not in result.stdout  # nothing runs after .quit


def test_a_plain_duckdb_writer_is_named_with_the_fix(seeded):
    import subprocess
    import sys

    from tracker import db
    from tracker.errors import StoreError

    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(seeded)!r}); print('open', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        try:
            db.connect(seeded, read_only=True, retry_seconds=0)
        except StoreError as exc:
            message = exc.message
        else:
            raise AssertionError("the store opened while another process held it")
    finally:
        holder.communicate("")
    assert message == (
        f"error: store {seeded} is busy: process {holder.pid} "
        f"({Path(sys.executable).resolve().name}) holds it open; if it is a Python session or "
        "notebook with duckdb.connect(path), open the store there with read_only=True (or close "
        f"that connection); else wait for it to finish, or stop it (kill {holder.pid})"
    )
