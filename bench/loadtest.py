"""Load test: concurrent dashboard clients while releases are appended from another process.

    python -m bench.loadtest [--clients 10] [--releases 50] [--workers 0 2] [--out FILE]
    python -m bench.loadtest --lake 'postgres:dbname=lake host=127.0.0.1' --writers 2 --workers 2

Builds a seeded store in a temporary folder (or, with ``--lake``, in a new DuckLake on that
catalog database, its files in the temporary folder), starts the dashboard on a free loopback
port (``tracker serve``, or gunicorn with N workers), and for the duration of the run:

- ``--clients`` threads call the Explorer's chart callback (``/_dash-update-component``) in a loop,
  rotating through series, transforms and as-of dates;
- ``--writers`` threads (1 unless a lake: a file store has one writer at a time) each append
  ``--releases`` releases of series of their own with ``tracker append``, one after the other.

Then it checks that every committed row is visible through the dashboard, and reports failed
requests, failed appends and latency percentiles. Traffic goes to 127.0.0.1 only; the run is
bounded in requests and time (``--max-seconds``). With ``--out`` the results replace the block
between the ``loadtest`` markers in that file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dashboards import ids

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERIES = [f"LOAD.S{i:02d}" for i in range(1, 6)]


def series_of(writer: int) -> list[str]:
    """The series writer ``writer`` appends (writer 0: `SERIES`, which the clients ask for)."""
    return SERIES if writer == 0 else [s.replace("LOAD.", f"LOAD.W{writer}.") for s in SERIES]


BEGIN = "<!-- loadtest:begin -->"
END = "<!-- loadtest:end -->"
ASK = [
    {"series": ["CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY"], "transform": "lin", "as_of": ""},
    {
        "series": ["WLD.GDP.OECD_FCST", "WLD.GDP.IMF_FCST"],
        "transform": "lin",
        "as_of": "2025-05-01",
    },
    {"series": ["USA.TARIFF.CHN", "CHN.TARIFF.USA"], "transform": "lin", "as_of": ""},
    {"series": SERIES, "transform": "ch1", "as_of": ""},
    {"series": SERIES[:2], "transform": "lin", "as_of": "2026-01-01"},
]


@dataclass
class Results:
    clients: int
    releases: int
    workers: int
    writers: int = 1
    lake: bool = False
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    append_ms: list[float] = field(default_factory=list)
    failed_appends: list[str] = field(default_factory=list)
    #: Failed appends per writer (index), for checking what each writer committed.
    failed_by_writer: dict[int, int] = field(default_factory=dict)
    missing_rows: int = 0
    checked_rows: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# The server ----------------------------------------------------------------------------------


def start_server(store: str | Path, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TRACKER_DB": str(store)}
    if workers:
        command = [
            str(BIN / "gunicorn"), "-w", str(workers), "--threads", "1",
            "-b", f"127.0.0.1:{port}", "dashboards.wsgi:server",
        ]  # fmt: skip
    else:
        command = [str(BIN / "tracker"), "serve", "--db", str(store), "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=10):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start in 60 s:\n{log.read_text()}")


def chart_callback(base: str) -> dict:
    """The Explorer chart callback's declaration, as the browser gets it."""
    with urllib.request.urlopen(base + "/_dash-dependencies", timeout=30) as response:
        dependencies = json.load(response)
    for dep in dependencies:
        if f"{ids.EXPLORE_GRAPH}.figure" in dep["output"]:
            return dep
    raise SystemExit("the Explorer chart callback was not found in /_dash-dependencies")


def payload(dep: dict, ask: dict) -> bytes:
    values = {
        f"{ids.EXPLORE_SERIES}.value": ask["series"],
        f"{ids.EXPLORE_TRANSFORM}.value": ask["transform"],
        f"{ids.EXPLORE_FREQ}.value": "",
        f"{ids.EXPLORE_AGG}.value": "avg",
        f"{ids.EXPLORE_REBASE}.value": "",
        f"{ids.EXPLORE_AS_OF}.value": ask["as_of"],
        f"{ids.EXPLORE_OPTIONS}.value": ["events", "regimes"],
        f"{ids.EXPLORE_RANGE}.data": [None, None],
    }
    inputs = []
    for item in dep["inputs"]:
        key = f"{item['id']}.{item['property']}" if isinstance(item["id"], str) else None
        value = values.get(key, "light") if key else "light"
        inputs.append({"id": item["id"], "property": item["property"], "value": value})
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in dep["output"].strip(".").split("...")
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": [f"{ids.EXPLORE_SERIES}.value"],
        "state": [],
    }
    return json.dumps(body).encode()


def call(base: str, body: bytes) -> dict:
    request = urllib.request.Request(
        base + "/_dash-update-component",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def figure_points(answer: dict) -> dict[str, int]:
    """Series id -> number of points drawn, from a chart-callback answer."""
    figure = answer["response"]["explore-graph"]["figure"]
    counts = {}
    for trace in figure.get("data", []):
        meta = trace.get("meta") or {}
        if "series_id" in meta and trace.get("y") is not None:
            counts[meta["series_id"]] = len(trace["y"])
    return counts


def alert_of(answer: dict) -> str | None:
    """An error shown in the page (a red alert); "nothing to draw yet" notes are not errors."""
    alert = answer["response"].get("explore-alert", {}).get("children")
    text = json.dumps(alert) if alert else ""
    return text[:300] if '"color": "danger"' in text else None


# The clients and the appender ----------------------------------------------------------------


def client(base: str, dep: dict, stop: threading.Event, results: Results, index: int) -> None:
    bodies = [payload(dep, ask) for ask in ASK]
    i = index
    while not stop.is_set():
        body = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        try:
            answer = call(base, body)
            alert = alert_of(answer)
            if alert:
                results.failed_requests.append(f"alert: {alert}")
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            results.failed_requests.append(f"{type(exc).__name__}: {exc}")
        results.latencies_ms.append((time.perf_counter() - started) * 1000)


def appender(
    store: str | Path, folder: Path, releases: int, results: Results, writer: int = 0
) -> None:
    for n in range(releases):
        year, month = 2026 + n // 12, n % 12 + 1
        period = f"{year}-{month:02d}"
        published = date(year + (month == 12), month % 12 + 1, 10).isoformat()
        release = folder / f"load_{writer}_{n:03d}.csv"
        rows = "".join(f"{s},{period},{n + i / 10}\n" for i, s in enumerate(series_of(writer)))
        release.write_text("series_id,period,value\n" + rows)
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "tracker"), "append", str(release), "--db", str(store),
             "--source", "Load test", "--published", published],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        results.append_ms.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0:
            results.failed_appends.append(f"{release.name}: {done.stderr.strip()[:300]}")
            results.failed_by_writer[writer] = results.failed_by_writer.get(writer, 0) + 1
        time.sleep(0.05)


def run(
    *,
    clients: int,
    releases: int,
    workers: int,
    max_seconds: float,
    keep: bool = False,
    lake: str | None = None,
    writers: int = 1,
) -> Results:
    """One load test; ``lake`` is the catalog of a new lake (``postgres:dbname=… host=…``),
    ``writers`` the appending threads (each with series of its own)."""
    if writers > 1 and lake is None:
        raise SystemExit("several writers need a lake (--lake): a file store has one writer")
    results = Results(
        clients=clients, releases=releases, workers=workers, writers=writers, lake=bool(lake)
    )
    folder = Path(tempfile.mkdtemp(prefix="tracker-loadtest-"))
    store: str | Path = folder / "store.duckdb" if lake is None else f"ducklake:{lake}"
    init = (
        ["--db", str(store)]
        if lake is None
        else ["--lake", lake, "--data-path", str(folder / "lake")]
    )
    try:
        done = subprocess.run([str(BIN / "tracker"), "init", *init], capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"tracker init failed: {done.stderr.strip()}")
        every = [s for w in range(writers) for s in series_of(w)]
        catalogue = folder / "series.csv"
        catalogue.write_text(
            "series_id,name,unit,unit_kind,frequency,geo,source,kind\n"
            + "".join(f"{s},Load series {s},index,level,M,WLD,Load test,actual\n" for s in every)
        )
        subprocess.run(
            [str(BIN / "tracker"), "define", "--from-csv", str(catalogue), "--db", str(store)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        port = free_port()
        server = start_server(store, port, workers, folder / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            dep = chart_callback(base)
            stop = threading.Event()
            threads = [
                threading.Thread(target=client, args=(base, dep, stop, results, i), daemon=True)
                for i in range(clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            appenders = [
                threading.Thread(target=appender, args=(store, folder, releases, results, w))
                for w in range(writers)
            ]
            for thread in appenders:
                thread.start()
            deadline = time.monotonic() + max_seconds
            for thread in appenders:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            results.seconds = time.perf_counter() - started
            # Every committed row must be visible through the dashboard afterwards.
            for w in range(writers):
                committed = releases - results.failed_by_writer.get(w, 0)
                asked = {"series": series_of(w), "transform": "lin", "as_of": ""}
                points = figure_points(call(base, payload(dep, asked)))
                results.checked_rows += committed * len(SERIES)
                results.missing_rows += sum(
                    max(0, committed - points.get(s, 0)) for s in series_of(w)
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return results


# Report --------------------------------------------------------------------------------------


def render(results: list[Results]) -> str:
    lines = [
        BEGIN,
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores by `make loadtest` "
        "(`python -m bench.loadtest`).",
        "",
        "| store | server | clients | writers | releases appended | run (s) | requests | "
        "failed requests | p50 ms | p95 ms | failed appends | append p50 / p95 ms | "
        "rows checked | rows missing |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        server = f"gunicorn -w {r.workers}" if r.workers else "tracker serve"
        total = r.releases * r.writers
        lines.append(
            f"| {'lake' if r.lake else 'file'} | {server} | {r.clients} | {r.writers} "
            f"| {total - len(r.failed_appends)} of {total} "
            f"| {r.seconds:.1f} | {len(r.latencies_ms)} | {len(r.failed_requests)} "
            f"| {pct(r.latencies_ms, 0.5):.0f} | {pct(r.latencies_ms, 0.95):.0f} "
            f"| {len(r.failed_appends)} | {pct(r.append_ms, 0.5):.0f} / "
            f"{pct(r.append_ms, 0.95):.0f} | {r.checked_rows} | {r.missing_rows} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write_report(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--releases", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[0],
        help="0 = tracker serve; N = gunicorn with N workers (several values run several times)",
    )  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument(
        "--lake", metavar="CATALOG",
        help="run on a new lake with this catalog, e.g. 'postgres:dbname=lake host=127.0.0.1'",
    )  # fmt: skip
    parser.add_argument("--writers", type=int, default=1, help="appending threads (a lake)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    all_results = []
    for workers in args.workers:
        server = f"gunicorn -w {workers}" if workers else "tracker serve"
        print(f"load test: {args.clients} clients, {args.writers} × {args.releases} releases, "
              f"{server} …")  # fmt: skip
        r = run(clients=args.clients, releases=args.releases, workers=workers,
                max_seconds=args.max_seconds, lake=args.lake, writers=args.writers)  # fmt: skip
        all_results.append(r)
        print(
            f"  {len(r.latencies_ms)} requests, {len(r.failed_requests)} failed, "
            f"p50 {pct(r.latencies_ms, 0.5):.0f} ms, p95 {pct(r.latencies_ms, 0.95):.0f} ms; "
            f"{len(r.failed_appends)} failed appends "
            f"(p50 {statistics.median(r.append_ms or [0]):.0f} ms); "
            f"{r.missing_rows} of {r.checked_rows} rows missing",
            flush=True,
        )
        for problem in (r.failed_requests + r.failed_appends)[:5]:
            print(f"  ! {problem}")
    block = render(all_results)
    if args.out:
        write_report(args.out, block)
        print(f"wrote {args.out}")
    failed = any(r.failed_requests or r.failed_appends or r.missing_rows for r in all_results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
