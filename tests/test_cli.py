"""The CLI as a user types it: exit codes, exact output, read-only queries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_every_command_has_help_with_an_example():
    commands = cli.list_commands(None)  # type: ignore[arg-type]
    assert {"init", "append", "query", "series", "show", "releases", "define"} <= set(commands)
    for name in commands:
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output, name


def test_init_twice_changes_nothing(tmp_path):
    path = tmp_path / "t.duckdb"
    first = run("init", "--db", str(path))
    assert first.exit_code == 0
    assert "seed: " in first.stderr and "releases appended" in first.stderr
    second = run("init", "--db", str(path))
    assert second.stderr.splitlines()[-1].startswith("seed: 0 series added, 0 events added, 0 of ")


def test_query_outputs_csv_and_json(seeded):
    sql = "select period, value from revisions where series_id = 'WLD.GDP.OECD_FCST' and period = DATE '2025-01-01' order by published_at"
    result = run("query", sql, "--db", str(seeded), "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "period,value",
        "2025-01-01,3.3",
        "2025-01-01,3.1",
        "2025-01-01,2.9",
    ]
    as_json = run("query", "select 1 as one", "--db", str(seeded), "--format", "json")
    assert as_json.stdout.strip() == '[\n {\n  "one": 1\n }\n]'


def test_query_reads_sql_from_stdin(seeded):
    result = run("query", "-", "--db", str(seeded), "--format", "csv", input="select 2 as two")
    assert result.stdout == "two\n2\n"


def test_query_writes_parquet(seeded, tmp_path):
    import polars as pl

    target = tmp_path / "out.parquet"
    result = run(
        "query",
        "select * from latest",
        "--db",
        str(seeded),
        "--format",
        "parquet",
        "-o",
        str(target),
    )
    assert result.exit_code == 0
    assert pl.read_parquet(target).height > 50


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("delete from observations", "error: DELETE statements are not allowed here"),
        ("create table x (a int)", "error: CREATE statements are not allowed here"),
        ("select * from read_csv('/etc/passwd')", "error: Permission Error: Cannot access file"),
        ("select 1; select 2", "error: one statement at a time"),
    ],
)
def test_query_is_read_only(seeded, sql, message):
    result = run("query", sql, "--db", str(seeded))
    assert result.exit_code == 1
    assert result.stderr.startswith(message)


def test_show_as_of_replays_the_oecd_forecast(seeded):
    def value_2025(*extra):
        result = run("show", "WLD.GDP.OECD_FCST", "--db", str(seeded), "--format", "csv", *extra)
        rows = [r.split(",") for r in result.stdout.splitlines()[1:]]
        return {r[0]: float(r[2]) for r in rows}["2025-01-01"]

    assert value_2025("--as-of", "2025-05-01") == 3.1
    assert value_2025("--as-of", "2025-06-10") == 2.9
    assert value_2025() == 2.9


def test_show_vintages_lists_every_version(seeded):
    result = run("show", "WLD.GDP.OECD_FCST", "--db", str(seeded), "--vintages", "--format", "csv")
    rows = [r.split(",") for r in result.stdout.splitlines()[1:] if r.startswith("2025-01-01")]
    assert [float(r[1]) for r in rows] == [3.2, 3.3, 3.1, 2.9]


def test_unknown_series_suggests_close_ids(seeded):
    result = run("show", "CHN.EXPORT.YOY", "--db", str(seeded))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: unknown series 'CHN.EXPORT.YOY' (did you mean CHN.EXPORTS.YOY"
    )


def test_series_search(seeded):
    result = run("series", "tariff", "--db", str(seeded), "--format", "csv")
    ids = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert "USA.TARIFF.CHN" in ids and "CHN.TARIFF.USA" in ids
    assert "CHN.EXPORTS.YOY" not in ids


def test_releases_lists_newest_first(seeded):
    result = run("releases", "--db", str(seeded), "--limit", "1", "--format", "csv")
    import io

    import polars as pl

    frame = pl.read_csv(io.StringIO(result.stdout))
    assert frame.height == 1
    assert frame["published_at"][0].startswith("2025-06-09")


def test_missing_store_says_run_init(tmp_path):
    result = run("show", "X", "--db", str(tmp_path / "nope.duckdb"))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: store {tmp_path / 'nope.duckdb'} does not exist (run `tracker init`"
    )


def test_usage_errors_exit_2(seeded):
    result = run("show", "--db", str(seeded))
    assert result.exit_code == 2


def test_console_script_exit_codes_and_no_traceback(tmp_path):
    """The installed `tracker` command: exit 1 with one line, no traceback."""
    exe = Path(sys.executable).with_name("tracker")
    env = {**os.environ, "TRACKER_DB": str(tmp_path / "missing.duckdb")}
    env.pop("TRACKER_DEBUG", None)
    done = subprocess.run(
        [str(exe), "show", "X"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
