"""Every dashboard page in a real browser: time until its main content is drawn, and bytes.

    python -m bench.pages --db STORE [--runs 5] [--workers N] [--json OUT]

Starts ``tracker serve`` (or, with ``--workers N``, gunicorn with N worker processes) on the
store, a file or a lake (``ducklake:postgres:…``), opens each
page in Debian's Chromium through Playwright, ``runs`` times: **cold** in a new browser context
(empty cache), then **warm** by reloading in the same context. Reports the median time from
the start of navigation until the page's main content is drawn (`DRAWN`, measured in the page
with ``performance.now()``), the bytes transferred until then and the network is idle (CDP
``Network.loadingFinished`` encodedDataLength: compressed bodies and headers), and the
server's time from start to its first answer. `measure` is the same as a function.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from dashboards import ids

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
#: The targets of the FRED-scale issue (time in seconds, bytes per visit).
TARGETS = {"cold": 1.5, "warm": 0.7, "first_bytes": 1_500_000, "repeat_bytes": 150_000}


#: Per page, a JavaScript expression that holds once its main content is drawn.
DRAWN = {
    "overview": (
        f"document.querySelector('#{ids.OVERVIEW_CARDS}') && "
        f"document.querySelector('#{ids.OVERVIEW_FEED}') && "
        f"Array.from(document.querySelectorAll('#{ids.OVERVIEW_CARDS} .sparkline'))"
        ".every(g => g.querySelector('.scatterlayer .trace'))"
    ),
    "explore": f"document.querySelector('#{ids.EXPLORE_GRAPH} .scatterlayer .trace')",
    # The heatmap, and the forecast panel drawn (a store without forecasts says so instead).
    "revisions": (
        f"document.querySelector('#{ids.REVISIONS_TRIANGLE} .hm image') && "
        f"(document.querySelector('#{ids.REVISIONS_EVOLUTION} .scatterlayer .trace') || "
        f"document.querySelector('#{ids.REVISIONS_EVOLUTION_ALERT} .alert'))"
    ),
    "releases": f"document.querySelector('#{ids.RELEASES_TABLE} .ag-row')",
    # The default query's rows (or its row count, when it finds none in this store).
    "sql": (
        f"document.querySelector('#{ids.SQL_RESULTS} .ag-row') || "
        f"(document.querySelector('#{ids.SQL_ROW_COUNT}') || {{textContent: ''}})"
        ".textContent.startsWith('0 rows')"
    ),
}
PATHS = {
    "overview": "/",
    "explore": "/explore",
    "revisions": "/revisions",
    "releases": "/releases",
    "sql": "/sql",
}
#: The Explorer's default series; a store without them is opened on one series of its own.
EXPLORE_DEFAULT = ("CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def explore_path(store: str | Path) -> str:
    """``/explore`` when the store has the default series, else the longest monthly series."""
    from tracker import db

    with db.reader(store) as con:
        known = con.execute(
            "SELECT count(*) FROM series WHERE list_contains($ids, series_id)",
            {"ids": list(EXPLORE_DEFAULT)},
        ).fetchone()
        if known and known[0] == len(EXPLORE_DEFAULT):
            return "/explore"
        row = con.execute(
            "SELECT c.series_id FROM current_series AS c JOIN series AS s USING (series_id) "
            "ORDER BY s.frequency = 'M' DESC, c.periods DESC, c.series_id LIMIT 1"
        ).fetchone()
    return f"/explore?series={row[0]}" if row else "/explore"


def start_server(
    store: str | Path, port: int, log: Path, workers: int = 0
) -> tuple[subprocess.Popen, float]:
    """`tracker serve` (or gunicorn with ``workers`` processes) on ``port``; returns the
    process and its seconds to a first answer."""
    if workers:
        command = [
            str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers), "--threads", "4",
            "-b", f"127.0.0.1:{port}", "dashboards.wsgi:server",
        ]  # fmt: skip
    else:
        command = [
            str(Path(sys.executable).with_name("tracker")), "serve", "--db", str(store),
            "--port", str(port),
        ]  # fmt: skip
    env = {**os.environ, "TRACKER_DB": str(store)}
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=60) as response:
                if response.status == 200:
                    return process, time.perf_counter() - started
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"tracker serve did not start:\n{log.read_text()}")
        time.sleep(0.02)


def _visit(tab, cdp, url: str | None, drawn: str, timeout: float) -> tuple[float, int]:
    """Open ``url`` (None: reload); (seconds from navigation start to drawn, bytes until idle)."""
    sizes: dict[str, int] = {}

    def finished(event: dict) -> None:
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)
    try:
        if url is None:
            tab.reload()
        else:
            tab.goto(url)
        handle = tab.wait_for_function(
            f"() => ({drawn}) ? performance.now() : false", polling="raf", timeout=timeout * 1000
        )
        seconds = float(handle.json_value()) / 1000
        tab.wait_for_load_state("networkidle")
    finally:
        cdp.remove_listener("Network.loadingFinished", finished)
    return seconds, sum(sizes.values())


def measure(
    store: str | Path,
    *,
    runs: int = 5,
    pages: tuple[str, ...] = tuple(DRAWN),
    port: int | None = None,
    chromium: str | Path = CHROMIUM,
    timeout: float = 180.0,
    workers: int = 0,
) -> dict:
    """Serve ``store`` and measure every page cold and warm, ``runs`` times each.

    Returns ``{"store", "runs", "serve_first_answer_s", "pages": {name: {"path", "cold_s",
    "warm_s", "first_bytes", "repeat_bytes", "cold_runs", "warm_runs"}}}``: medians, and each
    run's seconds. A page not drawn within ``timeout`` seconds has ``"error"`` instead.
    """
    from playwright import sync_api

    from tracker import lake

    store = store if lake.is_lake(store) else Path(store).resolve()
    paths = {**PATHS, "explore": explore_path(store)}
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    result: dict = {"store": str(store), "runs": runs, "workers": workers, "pages": {}}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-pages-") as folder:
        server, first_answer = start_server(store, port, Path(folder) / "serve.log", workers)
        result["serve_first_answer_s"] = round(first_answer, 3)
        try:
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(chromium), args=CHROMIUM_ARGS
                )
                try:
                    for name in pages:
                        url = base + paths[name]
                        result["pages"][name] = _measure_page(
                            browser, url, DRAWN[name], runs=runs, timeout=timeout
                        ) | {"path": paths[name]}
                finally:
                    browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return result


def _measure_page(browser, url: str, drawn: str, *, runs: int, timeout: float) -> dict:
    from playwright.sync_api import Error as PlaywrightError

    cold, warm, first, repeat = [], [], [], []
    for _ in range(runs):
        ctx = browser.new_context(viewport=VIEWPORT)
        try:
            tab = ctx.new_page()
            cdp = ctx.new_cdp_session(tab)
            cdp.send("Network.enable")
            try:
                seconds, size = _visit(tab, cdp, url, drawn, timeout)
                cold.append(seconds)
                first.append(size)
                seconds, size = _visit(tab, cdp, None, drawn, timeout)
                warm.append(seconds)
                repeat.append(size)
            except PlaywrightError as exc:
                return {"error": str(exc).splitlines()[0], "cold_runs": cold, "warm_runs": warm}
        finally:
            ctx.close()
    return {
        "cold_s": round(statistics.median(cold), 3),
        "warm_s": round(statistics.median(warm), 3),
        "first_bytes": int(statistics.median(first)),
        "repeat_bytes": int(statistics.median(repeat)),
        "cold_runs": [round(s, 3) for s in cold],
        "warm_runs": [round(s, 3) for s in warm],
    }


def render(result: dict) -> str:
    """A Markdown table of `measure`'s result, with the targets."""
    server = f"gunicorn -w {result['workers']}" if result.get("workers") else "`tracker serve`"
    lines = [
        f"store {result['store']}: {server} answered after "
        f"{result['serve_first_answer_s']:.2f} s; medians of {result['runs']} runs",
        "",
        "| page | cold (s) | warm (s) | first visit (kB) | repeat visit (kB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, page in result["pages"].items():
        if "error" in page:
            lines.append(f"| {name} | not drawn: {page['error']} | | | |")
            continue

        def mark(value: float, target: float) -> str:
            return "" if value <= target else " **miss**"

        lines.append(
            f"| {name} | {page['cold_s']:.2f}{mark(page['cold_s'], TARGETS['cold'])} "
            f"| {page['warm_s']:.2f}{mark(page['warm_s'], TARGETS['warm'])} "
            f"| {page['first_bytes'] / 1000:,.0f}"
            f"{mark(page['first_bytes'], TARGETS['first_bytes'])} "
            f"| {page['repeat_bytes'] / 1000:,.1f}"
            f"{mark(page['repeat_bytes'], TARGETS['repeat_bytes'])} |"
        )
    lines.append("")
    lines.append(
        f"Targets: cold ≤ {TARGETS['cold']} s, warm ≤ {TARGETS['warm']} s, first visit ≤ "
        f"{TARGETS['first_bytes'] / 1e6:.1f} MB, repeat visit ≤ "
        f"{TARGETS['repeat_bytes'] / 1000:.0f} kB."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", required=True, help="the store to serve (a file or ducklake:…)")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (0: tracker serve)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", action="append", choices=list(DRAWN), help="only these pages")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per page load")
    parser.add_argument("--json", type=Path, help="also write the raw result here")
    args = parser.parse_args(argv)
    result = measure(
        args.db,
        runs=args.runs,
        pages=tuple(args.page or DRAWN),
        timeout=args.timeout,
        workers=args.workers,
    )
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
