"""Benchmarks: append, compaction, incremental append, as-of/latest and the Explorer, in one run.

    python -m bench.run --size tiny|small|full [--out docs/benchmarks.md]

Generates synthetic FRED-scale data in a temporary folder (never in the repository), measures
tracker against the floor (bare DuckDB) and the usual alternative (pandas), each competitor in a
fresh process where a user would start one, and writes a Markdown report with medians, ratios
against the targets of issue 7, peak RSS and a noise estimate. Raw numbers go to
``bench/out/results-SIZE.json`` (git-ignored); ``--render FILE`` re-renders a report from them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from bench import queries as q
from bench import report, stores, synth

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
TRACKER = Path(sys.executable).with_name("tracker")
PUBLISHED = "2024-01-15"


@dataclass(frozen=True)
class Size:
    """How big each data set is and how often each thing is measured."""

    store_rows: int  # observation-vintages in the query store
    mid_rows: int  # the middle store of the incremental benchmark
    append_rows: int  # rows of the append files
    big_append_rows: int  # rows of the memory-check append
    incremental_rows: int
    runs: int  # runs per measurement (the median is reported)
    runs_fast: int  # runs of single-series queries
    dash_runs: int
    warmup: int
    months: int = 360
    vintages: int = 12
    benchmark_share: float = 0.8
    n_daily: int = 5
    daily_years: int = 10
    full_memory_pass: bool = True
    page_runs: int = 5  # visits of each page, cold then warm (the median is reported)
    pages: tuple[str, ...] | None = None  # dashboard pages measured in Chromium (None: all)

    def memory_pass(self) -> list[tuple[str, str]]:
        """(question, way) pairs answered alone in a process for their peak RSS."""
        if not self.full_memory_pass:
            return [("latest_all", "view")]
        return [("latest_one", "view"), ("latest_all", "view"), ("asof_all", "view")]


SIZES = {
    "tiny": Size(
        store_rows=20_000,
        mid_rows=5_000,
        append_rows=10_000,
        big_append_rows=0,
        incremental_rows=1_000,
        runs=1,
        runs_fast=3,
        dash_runs=2,
        warmup=1,
        months=120,
        vintages=6,
        n_daily=1,
        full_memory_pass=False,
        page_runs=1,
        pages=("releases",),
    ),
    "small": Size(
        store_rows=1_000_000,
        mid_rows=100_000,
        append_rows=100_000,
        big_append_rows=1_000_000,
        incremental_rows=1_000,
        runs=5,
        runs_fast=20,
        dash_runs=20,
        warmup=1,
    ),
    "full": Size(
        store_rows=10_000_000,
        mid_rows=1_000_000,
        append_rows=1_000_000,
        big_append_rows=10_000_000,
        incremental_rows=1_000,
        runs=5,
        runs_fast=20,
        dash_runs=20,
        warmup=1,
    ),
}


# Processes -------------------------------------------------------------------------------------


@dataclass
class Proc:
    """A finished child process: wall time, peak RSS (from wait4), exit code and output."""

    wall: float
    rss: int
    code: int
    stdout: str
    stderr: str

    def result(self) -> dict:
        """The JSON a bench.tasks worker printed last."""
        return json.loads(self.stdout.strip().splitlines()[-1])


class BenchError(RuntimeError):
    """A competitor failed: the benchmark stops rather than report a number for nothing."""


def spawn(cmd: list[str], *, timeout: float = 1800) -> Proc:
    """Run ``cmd`` from the repository root through `bench/launch.py`, which times it and
    reads its own peak RSS (``wait4``) without counting a copy of this process's memory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TRACKER_DB", None)
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".json") as measured,
    ):
        launcher = [sys.executable, "-S", str(ROOT / "bench" / "launch.py"), measured.name, "--"]
        child = subprocess.Popen(
            launcher + cmd, cwd=ROOT, stdout=out, stderr=err, env=env, start_new_session=True
        )
        timer = threading.Timer(timeout, os.killpg, (child.pid, 9))
        timer.start()
        try:
            child.wait()
        finally:
            timer.cancel()
        text = measured.read()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0 or not text:
        raise BenchError(f"{' '.join(cmd[:4])} … was killed after {timeout:.0f} s or crashed")
    result = json.loads(text)
    proc = Proc(result["wall"], result["rss"], result["code"], stdout, stderr)
    if proc.code != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BenchError(f"{' '.join(cmd[:4])} … exited with {proc.code}:\n{tail}")
    return proc


def task(name: str, args: dict, *, timeout: float = 1800) -> Proc:
    return spawn([sys.executable, "-m", "bench.tasks", name, json.dumps(args)], timeout=timeout)


def tracker_append(file: Path, store: Path, *, source: str | None, published: str) -> list[str]:
    cmd = [str(TRACKER), "append", str(file), "--db", str(store), "--published", published]
    return cmd + (["--source", source] if source else [])


# Statistics ------------------------------------------------------------------------------------


def stats(times: list[float]) -> dict:
    """Median, p95, min, max and relative spread ((max - min) / median) of a list of times."""
    ordered = sorted(times)
    median = statistics.median(ordered)
    if len(ordered) >= 2:
        p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    else:
        p95 = ordered[0]
    return {
        "n": len(ordered),
        "median": median,
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
        "spread": (ordered[-1] - ordered[0]) / median if median else 0.0,
        "times": times,
    }


def calibrate(runs: int = 5) -> dict:
    """A fixed CPU workload (DuckDB aggregate + Python loop), to see how loaded the machine is."""
    con = duckdb.connect()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        con.execute("SELECT sum(i * i % 7) FROM range(10000000) AS t(i)").fetchall()
        sum(i * i % 7 for i in range(200_000))
        times.append(time.perf_counter() - start)
    con.close()
    return {**stats(times), "load": list(os.getloadavg())}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    import pandas
    import psutil

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": pl.__version__,
        "pandas": pandas.__version__,
        "psutil": psutil.__version__,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--", "tracker", "sql", "dashboards")),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return ""


# The run ---------------------------------------------------------------------------------------


class Progress:
    """One line per step on stderr: elapsed time, step number, what is happening."""

    def __init__(self, steps: int):
        self.start = time.perf_counter()
        self.steps = steps
        self.step = 0

    def next(self, title: str) -> None:
        self.step += 1
        self.say(f"step {self.step}/{self.steps}: {title}")

    def say(self, text: str) -> None:
        elapsed = time.perf_counter() - self.start
        print(f"[{elapsed:7.1f} s] {text}", file=sys.stderr, flush=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def run(size_name: str, work: Path, progress: Progress) -> dict:
    size = SIZES[size_name]
    results: dict = {"size": size_name, "shape": asdict(size), "started": datetime.now()}
    results["machine"] = machine()
    progress.next("machine info and calibration")
    results["calibration_before"] = calibrate()

    progress.next("generate synthetic data")
    data = generate(size, work, progress)
    results["data"] = data["summary"]

    progress.next("compact: `tracker compact` on copies of the appended store")
    results["compact"] = bench_compact(size, data, work, progress)

    progress.next(f"append {size.append_rows:,} rows: tracker vs floor vs pandas")
    results["append"] = data["append"] = bench_append(size, data, work, progress)

    progress.next("append stages (where tracker append spends its time)")
    results["stages"] = bench_stages(data, work)

    progress.next(f"memory: append {size.big_append_rows or size.append_rows:,} rows once")
    results["big_append"] = bench_big_append(size, data, work, progress)

    progress.next(f"incremental {size.incremental_rows:,}-row append into 0, mid, full stores")
    results["incremental"] = bench_incremental(size, data, work, progress)

    progress.next(f"latest and asof over {data['summary']['store_rows']:,} rows")
    results["queries"] = bench_queries(size, data, progress)

    progress.next("dashboard: Explorer chart callback")
    results["dashboard"] = bench_dashboard(size, data, progress)

    progress.next("views against a plain scan of a table holding their answer")
    results["views"] = bench_views(size, data, progress)

    progress.next("dashboard pages in Chromium, cold and warm; `tracker serve` start-up")
    results["pages"] = bench_pages(size, data, work, progress)

    progress.next("calibration again (drift)")
    results["calibration_after"] = calibrate()
    results["seconds"] = progress.elapsed
    return results


STEPS = 12


def generate(size: Size, work: Path, progress: Progress) -> dict:
    shape = {
        "months": size.months,
        "vintages": size.vintages,
        "benchmark_share": size.benchmark_share,
    }
    # The query store, in append order and shuffled (the compacted copy is made by the next step).
    big = synth.history(
        synth.series_for_rows(size.store_rows, **shape),
        n_daily=size.n_daily,
        daily_years=size.daily_years,
        **shape,
    )
    progress.say(f"  history: {big.observations.height:,} observation-vintages")
    base = work / "schema.duckdb"
    stores.create(base)
    layouts = {}
    for layout in stores.LAYOUTS:
        path = work / f"store-{layout}.duckdb"
        stores.create(path, history=big, layout=layout, base=base)
        layouts[layout] = path
    progress.say("  query stores written (appended, shuffled)")
    monthly = [s for s in big.series["series_id"].to_list() if s.endswith("M")]
    vintage = round(0.75 * (size.vintages - 1))
    as_of = synth.published_at(vintage, synth.PUBLISHERS - 1) + timedelta(days=1)
    summary = {
        "store_rows": big.observations.height,
        "store_series": big.series.height,
        "store_periods": big.observations.select("series_id", "period").n_unique(),
        "store_releases": big.releases.height,
        "frequencies": dict(big.series.group_by("frequency").len().iter_rows()),
        "deleted": int((big.observations["status"] == "deleted").sum()),
        "daily_points": big.observations.filter(pl.col("series_id") == "D000000D")
        .select("period")
        .n_unique(),
        "as_of": as_of.isoformat(),
        "store_bytes": layouts["appended"].stat().st_size,
    }
    catalogue = big.series
    del big

    # The middle store (same catalogue) and the empty one, for incremental appends.
    mid = synth.history(synth.series_for_rows(size.mid_rows, **shape), **shape)
    incremental_ids = [s for s in mid.series["series_id"] if s.endswith("M")]
    incremental_ids = incremental_ids[: size.incremental_rows // 10]
    summary["mid_rows"] = mid.observations.height
    stores.create(work / "inc-mid.duckdb", series=catalogue, history=mid, base=base)
    stores.create(work / "inc-empty.duckdb", series=catalogue, base=base)
    shutil.copy(layouts["appended"], work / "inc-full.duckdb")
    del mid, catalogue

    # Release files.
    snap = synth.snapshot(size.append_rows)
    canonical_parquet = work / "release.parquet"
    canonical_csv = work / "release.csv"
    synth.write_canonical(snap.observations, snap.series, canonical_parquet)
    synth.write_canonical(snap.observations, snap.series, canonical_csv)
    stores.create(work / "template-canonical.duckdb", series=snap.series, base=base)
    fred = work / "fredgraph.csv"
    fred_catalogue = synth.fred_wide(size.append_rows, fred)
    shutil.copy(base, work / "template-fred.duckdb")
    summary["canonical_series"] = snap.series.height
    summary["fred_series"] = fred_catalogue.height
    summary["fred_columns"] = fred_catalogue.height + 1
    del snap
    big_snap = synth.snapshot(size.big_append_rows, seed=19, prefix="B")
    big_file = work / "big-release.parquet"
    synth.write_canonical(big_snap.observations, big_snap.series, big_file)
    stores.create(work / "template-big.duckdb", series=big_snap.series, base=base)
    del big_snap
    for name in ("release.parquet", "release.csv", "fredgraph.csv", "big-release.parquet"):
        summary[f"bytes {name}"] = (work / name).stat().st_size
    progress.say("  release files and template stores written")
    return {
        "summary": summary,
        "layouts": layouts,
        "monthly": monthly,
        "incremental_ids": incremental_ids,
        "as_of": as_of,
        "files": {
            "canonical": canonical_parquet,
            "canonical_csv": canonical_csv,
            "fred": fred,
            "big": big_file,
        },
    }


COMPACT_FIELDS = (
    "rows", "ordered_rows", "file_bytes_before", "file_bytes_after", "data_bytes_before",
    "data_bytes_after",
)  # fmt: skip


def bench_compact(size: Size, data: dict, work: Path, progress: Progress) -> dict:
    """`tracker compact` on fresh copies of the appended store, each in a fresh worker doing
    what the CLI does (steps timed); the last copy is the compacted layout the queries run on.
    Then the CLI once more on it: nothing to do, so the order check alone."""
    appended = data["layouts"]["appended"]
    target = work / "store-compacted.duckdb"
    runs = min(size.runs, 3)  # each run rewrites the whole store: seconds at full size
    walls, works, rss = [], [], []
    last: dict = {}
    for run_index in range(runs):
        target.unlink(missing_ok=True)
        shutil.copy(appended, target)
        proc = task("compact", {"db": str(target)})
        last = proc.result()
        if not last["compacted"]:
            raise BenchError("tracker compact found the appended store already in order")
        walls.append(proc.wall)
        works.append(last["total"])
        rss.append(proc.rss)
        progress.say(
            f"  run {run_index + 1}/{runs}: {proc.wall:.1f} s, peak RSS {proc.rss / 2**20:,.0f} MiB"
        )
    again = spawn([str(TRACKER), "compact", "--db", str(target)])
    if not again.stdout.startswith("nothing to do"):
        raise BenchError(f"tracker compact run twice did not say nothing to do: {again.stdout}")
    progress.say(f"  again (already in order): {again.wall:.2f} s")
    layouts = {**data["layouts"], "compacted": target}
    data["layouts"] = {name: layouts[name] for name in stores.ALL_LAYOUTS}
    return {
        "process": stats(walls),
        "work": stats(works),
        "rss": max(rss),
        "steps": last["steps"],
        **{k: last[k] for k in COMPACT_FIELDS},
        "again": {"wall": again.wall, "rss": again.rss},
    }


def _append_ways(
    fmt: str, file: Path, pandas_file: Path, *, source: str | None
) -> dict[str, Callable[[Path], list[str]]]:
    """The three commands appending ``file`` into a store path: tracker, floor, pandas+SQLite."""
    return {
        "tracker": lambda s: tracker_append(file, s, source=source, published=PUBLISHED),
        "floor": lambda s: [sys.executable, "-m", "bench.floor", fmt, str(file), str(s),
                            PUBLISHED],
        "pandas": lambda s: [sys.executable, "-m", "bench.pandas_sqlite", fmt, str(pandas_file),
                             str(s.with_suffix(".sqlite"))],
    }  # fmt: skip


def bench_append(size: Size, data: dict, work: Path, progress: Progress) -> dict:
    """Each format: tracker (CLI), floor (bare DuckDB), pandas+SQLite, round-robin per run."""
    files = data["files"]
    ways = {
        "canonical": _append_ways("canonical", files["canonical"], files["canonical_csv"],
                                  source="Synthetic"),
        "fred": _append_ways("fred", files["fred"], files["fred"], source=None),
    }  # fmt: skip
    times: dict = {fmt: {way: [] for way in ways[fmt]} for fmt in ways}
    internal: dict = {fmt: {way: [] for way in ways[fmt]} for fmt in ways}
    rss: dict = {fmt: {way: [] for way in ways[fmt]} for fmt in ways}
    rows: dict = {fmt: {} for fmt in ways}
    order = [(fmt, way) for fmt in ways for way in ways[fmt]]
    target = work / "append-target.duckdb"
    for run_index in range(size.runs):
        shift = run_index % len(order)
        for fmt, way in order[shift:] + order[:shift]:
            target.unlink(missing_ok=True)
            target.with_suffix(".sqlite").unlink(missing_ok=True)
            shutil.copy(work / f"template-{fmt}.duckdb", target)
            proc = spawn(ways[fmt][way](target))
            times[fmt][way].append(proc.wall)
            rss[fmt][way].append(proc.rss)
            if way != "tracker":  # the CLI does not time itself; see the stages step
                internal[fmt][way].append(proc.result()["work"])
            if run_index == 0:
                rows[fmt][way] = _stored_rows(target, sqlite=way == "pandas")
        progress.say(
            f"  run {run_index + 1}/{size.runs}: "
            + ", ".join(f"{f} {w} {times[f][w][-1]:.2f} s" for f, w in order)
        )
    target.unlink(missing_ok=True)
    target.with_suffix(".sqlite").unlink(missing_ok=True)
    return {
        fmt: {
            way: {
                **stats(times[fmt][way]),
                "rss": max(rss[fmt][way]),
                "rows": rows[fmt][way],
                "work": statistics.median(internal[fmt][way]) if internal[fmt][way] else None,
            }
            for way in ways[fmt]
        }
        for fmt in ways
    }


def _stored_rows(target: Path, *, sqlite: bool) -> int:
    if sqlite:
        import sqlite3

        con = sqlite3.connect(target.with_suffix(".sqlite"))
        count = con.execute("SELECT count(*) FROM observations").fetchone()[0]
        con.close()
        return count
    con = duckdb.connect(str(target), read_only=True)
    count = con.execute("SELECT count(*) FROM observations").fetchone()[0]
    con.close()
    return count


def bench_stages(data: dict, work: Path) -> dict:
    """Both files appended by one worker doing the CLI's steps, each step timed."""
    files = []
    for fmt, source in (("canonical", "Synthetic"), ("fred", None)):
        target = work / f"stages-{fmt}.duckdb"
        shutil.copy(work / f"template-{fmt}.duckdb", target)
        files.append(
            {
                "name": fmt,
                "file": str(data["files"][fmt]),
                "db": str(target),
                "source": source,
                "published": PUBLISHED,
            }
        )
    proc = task("stages", {"files": files})
    for item in files:
        Path(item["db"]).unlink()
    return {**proc.result(), "process": proc.wall, "rss": proc.rss}


def bench_big_append(size: Size, data: dict, work: Path, progress: Progress) -> dict:
    """One append of the big file by tracker and by the floor: wall time and peak RSS."""
    if not size.big_append_rows:  # tiny: the append step's own runs stand in
        canonical = data["append"]["canonical"]
        return {
            "rows": size.append_rows,
            **{
                way: {"time": canonical[way]["median"], "rss": canonical[way]["rss"]}
                for way in ("tracker", "floor")
            },
        }
    out = {"rows": size.big_append_rows}
    target = work / "big-target.duckdb"
    for way in ("tracker", "floor"):
        shutil.copy(work / "template-big.duckdb", target)
        if way == "tracker":
            cmd = tracker_append(
                data["files"]["big"], target, source="Synthetic", published=PUBLISHED
            )
        else:
            cmd = [
                sys.executable,
                "-m",
                "bench.floor",
                "canonical",
                str(data["files"]["big"]),
                str(target),
                PUBLISHED,
            ]
        proc = spawn(cmd)
        out[way] = {"time": proc.wall, "rss": proc.rss}
        progress.say(f"  {way}: {proc.wall:.1f} s, peak RSS {proc.rss / 2**20:,.0f} MiB")
        target.unlink()
    return out


def bench_incremental(size: Size, data: dict, work: Path, progress: Progress) -> dict:
    """In-process (one worker, first release a warm-up) then CLI releases, on each store."""
    ids = data["incremental_ids"]
    names = {
        "empty": work / "inc-empty.duckdb",
        "mid": work / "inc-mid.duckdb",
        "full": work / "inc-full.duckdb",
    }
    in_process = 1 + size.runs
    releases = list(range(1, in_process + size.runs + 1))
    files = {}
    for k in releases:
        path = work / f"incremental-{k:02d}.csv"
        synth.incremental(ids, release=k, rows=size.incremental_rows).write_csv(path)
        files[k] = path
    published = {k: synth.incremental_published(k).isoformat() for k in releases}
    stores_args = [
        {
            "name": name,
            "db": str(path),
            "files": [str(files[k]) for k in releases[:in_process]],
            "published": [published[k] for k in releases[:in_process]],
        }
        for name, path in names.items()
    ]
    worker = task("incremental", {"stores": stores_args})
    library = {name: stats(times[1:]) for name, times in worker.result().items()}
    progress.say(
        "  in-process: " + ", ".join(f"{n} {s['median'] * 1000:.0f} ms" for n, s in library.items())
    )
    cli_times: dict = {name: [] for name in names}
    cli_rss: dict = {name: [] for name in names}
    for k in releases[in_process:]:
        for name, path in names.items():
            proc = spawn(
                tracker_append(files[k], path, source="Incremental", published=published[k])
            )
            cli_times[name].append(proc.wall)
            cli_rss[name].append(proc.rss)
    cli = {name: {**stats(cli_times[name]), "rss": max(cli_rss[name])} for name in names}
    progress.say("  CLI: " + ", ".join(f"{n} {s['median']:.2f} s" for n, s in cli.items()))
    rows = {}
    for name, path in names.items():
        con = duckdb.connect(str(path), read_only=True)
        rows[name] = con.execute("SELECT count(*) FROM observations").fetchone()[0]
        con.close()
    for k in releases:
        files[k].unlink()
    return {
        "rows_per_release": len(ids) * 10,
        "store_rows": rows,
        "library": library,
        "library_rss": worker.rss,
        "cli": cli,
    }


def bench_queries(size: Size, data: dict, progress: Progress) -> dict:
    """The view and hand-written SQL on each layout (one worker), pandas (another), and the
    full cross-sections answered alone in a process each, for their peak RSS."""
    series_id = data["monthly"][0]
    common = {
        "ts": data["as_of"].isoformat(),
        "series_id": series_id,
        "warmup": size.warmup,
        "questions": list(q.QUESTIONS),
        "runs": {
            question: size.runs if question.endswith("all") else size.runs_fast
            for question in q.QUESTIONS
        },
    }
    layouts = {layout: str(path) for layout, path in data["layouts"].items()}
    proc = task("queries", {**common, "layouts": layouts})
    result = proc.result()
    out: dict = {
        "series_id": series_id,
        "as_of": common["ts"],
        "best": result["best"],
        "rss": proc.rss,
        "layouts": {},
        "answer_only": {k: stats(v) for k, v in result.get("answer_only", {}).items()},
    }
    for layout, questions in result["layouts"].items():
        out["layouts"][layout] = {
            "questions": {
                question: {w: {**stats(m["times"]), "digest": m["digest"]} for w, m in ways.items()}
                for question, ways in questions.items()
            }
        }
        progress.say(
            f"  {layout}: "
            + ", ".join(
                f"{question} view {m['view']['median'] * 1000:.0f} ms"
                for question, m in out["layouts"][layout]["questions"].items()
            )
        )
    # No warm-up for pandas: nothing to warm (no cache, no plan), and each full run takes seconds.
    proc = task("pandas_queries", {**common, "warmup": 0, "db": layouts["appended"]})
    result = proc.result()
    out["pandas"] = {
        "load": result["load"],
        "rows": result["rows"],
        "rss": proc.rss,
        "questions": {
            question: {**stats(result[question]["times"]), "digest": result[question]["digest"]}
            for question in q.QUESTIONS
        },
    }
    progress.say(
        "  pandas: "
        + ", ".join(
            f"{question} {s['median'] * 1000:.0f} ms"
            for question, s in out["pandas"]["questions"].items()
        )
    )
    memory = {}
    base = {"db": layouts["appended"], "ts": common["ts"], "series_id": series_id}
    for question, way in size.memory_pass():
        proc = task("once", {**base, "question": question, "way": way})
        memory[f"{question} {way}"] = {"rss": proc.rss, "wall": proc.wall}
    out["memory"] = memory
    progress.say("  peak RSS measured")
    return out


def bench_dashboard(size: Size, data: dict, progress: Progress) -> dict:
    monthly = data["monthly"][:20]
    cases = [
        {"name": "10-year daily series", "series": ["D000000D"], "as_of": None},
        {"name": "20 monthly series", "series": monthly, "as_of": None},
        {
            "name": "20 monthly series, as of",
            "series": monthly,
            "as_of": data["as_of"].date().isoformat(),
        },
    ]
    args = {
        "db": str(data["layouts"]["appended"]),
        "cases": cases,
        "runs": size.dash_runs,
        "warmup": max(size.warmup, 1),
    }
    proc = task("dashboard", args)
    result = proc.result()
    out = {"mode": result["mode"], "rss": proc.rss, "cases": {}}
    for name, case in result["cases"].items():
        out["cases"][name] = {
            "data": stats(case["data"]),
            "callback": stats(case["callback"]),
            **{
                key: stats(case[key])
                for key in ("per_call_data", "per_call_callback")
                if case.get(key)
            },
            **{k: case[k] for k in ("figure_bytes", "response_bytes", "points", "rows")},
        }
        progress.say(
            f"  {name}: callback p95 {out['cases'][name]['callback']['p95'] * 1000:.0f} ms, "
            f"figure {case['figure_bytes'] / 1024:.0f} KiB"
        )
    return out


def bench_views(size: Size, data: dict, progress: Progress) -> dict:
    """`latest`, `series_summary`, `trends`, `revision_stats` and `asof(ts)` read whole, each
    against a plain scan of a table holding the same answer (one worker, the appended store)."""
    from bench.tasks import VIEW_READS

    args = {
        "db": str(data["layouts"]["appended"]),
        "ts": data["as_of"].isoformat(),
        "runs": size.runs,
        "views": list(VIEW_READS),
    }
    proc = task("views", args)
    out: dict = {"as_of": args["ts"], "rss": proc.rss, "views": {}}
    for name, measured in proc.result().items():
        out["views"][name] = {
            "view": stats(measured["view"]),
            "table": stats(measured["table"]),
            "rows": measured["rows"],
            "first": measured["first"],
        }
        progress.say(
            f"  {name}: view {out['views'][name]['view']['median'] * 1000:,.0f} ms, table "
            f"{out['views'][name]['table']['median'] * 1000:,.0f} ms ({measured['rows']:,} rows)"
        )
    return out


def bench_pages(size: Size, data: dict, work: Path, progress: Progress) -> dict:
    """Every dashboard page in Debian's Chromium (`bench.pages`) served from the appended store:
    `tracker serve` time to a first answer, then each page cold and warm, median of runs."""
    from bench import pages

    if not pages.CHROMIUM.exists():
        progress.say(f"  skipped: no Chromium at {pages.CHROMIUM}")
        return {"skipped": f"no Chromium at {pages.CHROMIUM}"}
    names = size.pages or tuple(pages.DRAWN)
    out = work / "pages.json"
    cmd = [sys.executable, "-m", "bench.pages", "--db", str(data["layouts"]["appended"]),
           "--runs", str(size.page_runs), "--timeout", str(PAGE_TIMEOUT),
           "--json", str(out)]  # fmt: skip
    for name in names:
        cmd += ["--page", name]
    proc = spawn(cmd, timeout=3600)
    result = json.loads(out.read_text())
    out.unlink()
    result["timeout"] = PAGE_TIMEOUT
    result["rss"] = proc.rss
    progress.say(f"  `tracker serve` answered after {result['serve_first_answer_s']:.2f} s")
    for name, page in result["pages"].items():
        if "error" in page:
            progress.say(f"  {name}: not drawn ({page['error']})")
        else:
            progress.say(
                f"  {name}: cold {page['cold_s']:.2f} s, warm {page['warm_s']:.2f} s, "
                f"{page['first_bytes'] / 1000:,.0f} kB then {page['repeat_bytes'] / 1000:,.1f} kB"
            )
    return result


#: Seconds a page may take to draw before it counts as not drawn (bench.pages' default).
PAGE_TIMEOUT = 180.0


# Entry point -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--out", type=Path, help="Write the Markdown report here.")
    parser.add_argument("--work", type=Path, help="Parent folder for the temporary data.")
    parser.add_argument("--render", type=Path, help="Only re-render a report from results JSON.")
    parser.add_argument("--raw", type=Path, help="Where to write the results JSON.")
    parser.add_argument(
        "--before",
        type=Path,
        help="Results JSON of an earlier run: the report gains a before/after table.",
    )
    args = parser.parse_args(argv)
    # Read it first: --raw may name the same file.
    before = json.loads(args.before.read_text()) if args.before and args.before.exists() else None

    if args.render:
        results = json.loads(args.render.read_text())
    else:
        progress = Progress(STEPS)
        work = Path(tempfile.mkdtemp(prefix="tracker-bench-", dir=args.work))
        try:
            results = run(args.size, work, progress)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        raw = args.raw or OUT_DIR / f"results-{args.size}.json"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(results, indent=1, default=str))
        progress.say(f"done in {progress.elapsed:.0f} s; raw numbers in {raw}")
    text = report.render(results, before=before)
    out = args.out or OUT_DIR / f"benchmarks-{results['size']}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
