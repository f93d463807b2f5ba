"""The CLI starts quickly: what `tracker --help` and `tracker query` import, not how long they take.

Wall-clock limits are flaky on a loaded CI machine; the modules a command imports are not. On a
2-core machine `tracker --help` took 0.06 s and `tracker query "select 1"` 0.19 s (medians),
against 0.28 s and 0.45 s when every command imported Polars, rich and the API up front (and
about three times that while the machine was busy).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TRACKER = Path(sys.executable).with_name("tracker")
#: Imported only by the commands that need them.
HEAVY = {"polars", "pyarrow", "dash", "flask", "plotly", "rich", "sdmx", "duckdb", "waitress"}
#: tracker's own modules that pull in the heavy ones.
HEAVY_OWN = {"tracker.api", "tracker.formats", "tracker.analytics", "tracker.append"}


def imported(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the console script with ``-X importtime``: its output and every module it imported."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    env.pop("TRACKER_DB", None)
    done = subprocess.run(
        [str(TRACKER), *args], capture_output=True, text=True, env=env, timeout=120
    )
    modules = {
        line.split("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "tracker.cli" in modules, done.stderr[-2000:]
    return done, modules


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "args", [("--help",), ("query", "--help"), ("append", "--help"), ("serve", "--help")]
)
def test_help_imports_nothing_heavy(args: tuple[str, ...]):
    done, modules = imported(*args)

    assert done.returncode == 0
    assert "Usage: tracker" in done.stdout
    assert top_level(modules) & HEAVY == set()
    assert modules & HEAVY_OWN == set()


def test_query_prints_a_table_without_polars(seeded: Path):
    done, modules = imported("query", "select 1 as one", "--db", str(seeded))

    assert done.returncode == 0
    assert done.stdout.splitlines()[-2] == "│   1 │"
    assert {"duckdb", "rich"} <= top_level(modules)
    assert top_level(modules) & {"polars", "pyarrow", "dash", "flask", "plotly", "sdmx"} == set()
    assert modules & HEAVY_OWN == set()


def test_query_as_csv_uses_polars(seeded: Path):
    done, modules = imported("query", "select 1 as one", "--db", str(seeded), "--format", "csv")

    assert done.returncode == 0
    assert done.stdout == "one\n1\n"
    assert "polars" in top_level(modules)
    assert "dash" not in top_level(modules)


def test_a_failing_query_is_one_line(seeded: Path):
    done, _ = imported("query", "select * from nowhere", "--db", str(seeded))
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]

    assert done.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("error: Catalog Error: Table with name nowhere")
