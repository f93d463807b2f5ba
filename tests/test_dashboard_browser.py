"""The dashboard in a real browser: Debian's Chromium driven by Playwright against `tracker serve`.

One server (a subprocess on a free loopback port, on a private copy of the seeded store) and one
browser serve the whole module. Every page is checked for console errors and for requests that
leave 127.0.0.1; each page's screenshot goes to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright import sync_api

from dashboards import ids
from tracker import db, paths, snapshots, watchlist

pytestmark = pytest.mark.browser

#: Debian's chromium; TRACKER_CHROMIUM names another binary (tests/test_suite.py names a missing one).
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
# `make screenshots` refreshes the README's pictures in docs/screenshots/; a plain test run takes
# the same screenshots into a temporary folder, so the work tree stays clean.
SCREENSHOTS = (
    paths.ROOT / "docs" / "screenshots"
    if os.environ.get("TRACKER_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "tracker-screenshots"
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Path:
    path = tmp_path_factory.mktemp("browser") / "store.duckdb"
    shutil.copy(seeded_template, path)
    return path


def start_serve(
    store: Path,
    log: Path,
    *args: str,
    env: dict[str, str] | None = None,
    ready: str = "/_dash-layout",
    timeout: float = 30,
) -> tuple[subprocess.Popen, str]:
    """`tracker serve` on ``store`` on a free port of 127.0.0.1 with ``args``, its output in
    ``log``; returns once ``ready`` answers 200 (the process and the base URL), or fails the
    test with the log."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "serve", "--db", str(store), "--port", str(port),
             *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env if env is not None else {**os.environ, "TRACKER_DB": str(store)},
            cwd=paths.ROOT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + ready, timeout=30) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"tracker serve {' '.join(args)} did not start:\n{log.read_text()}")
        time.sleep(0.2)


def stop_serve(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def server(store: Path, tmp_path_factory: pytest.TempPathFactory):
    process, base = start_serve(store, tmp_path_factory.mktemp("server") / "serve.log")
    yield base
    stop_serve(process)


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest):
    if not CHROMIUM.exists():
        # A run without the browser tests is no pass: stop it with one line that says why.
        reason = (
            f"the browser tests need Debian's chromium at {CHROMIUM}: run  sudo apt-get install "
            "-y chromium  (make test does it as root)"
        )
        request.session.shouldstop = reason
        pytest.fail(reason, pytrace=False)
    # Two test workers and their servers share the machine's cores: give a drawing 15 s, not 5.
    sync_api.expect.set_options(timeout=15_000)
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Watch:
    """Console errors and every request URL a page makes."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def assert_clean(self, base: str) -> None:
        assert self.errors == [], "\n".join(e[:500] for e in self.errors[:3])
        outside = [u for u in self.requests if not u.startswith(base) and not u.startswith("data:")]
        assert outside == []


@pytest.fixture(scope="module")
def desktop(chromium):
    ctx = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def tab(desktop, server):
    tab = desktop.new_page()
    watch = Watch(tab)
    yield tab
    tab.close()
    watch.assert_clean(server)


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.wait_for_load_state("networkidle")
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def graph_data(tab, graph_id: str) -> list[dict]:
    """The traces Plotly drew in a dcc.Graph (names, x, y, line)."""
    selector = f"#{graph_id} .js-plotly-plot"
    tab.wait_for_function(
        f"() => {{ const g = document.querySelector('{selector}'); return g && g.data && g.data.length; }}"
    )
    return tab.evaluate(
        f"""() => document.querySelector('{selector}').data.map(t => ({{
            name: t.name, x: t.x, y: t.y, line: t.line || {{}}, meta: t.meta || {{}},
            xperiod: t.xperiod || null
        }}))"""
    )


def graph_layout(tab, graph_id: str) -> dict:
    return tab.evaluate(
        f"() => JSON.parse(JSON.stringify(document.querySelector('#{graph_id} .js-plotly-plot').layout))"
    )


def trace_of(traces: list[dict], series_id: str) -> dict:
    return next(t for t in traces if t["meta"].get("series_id") == series_id)


def y_at(trace: dict, x: str) -> float:
    return trace["y"][[str(v)[:10] for v in trace["x"]].index(x)]


def wait_for_value(tab, graph_id: str, series_id: str, x: str, expected: float) -> None:
    tab.wait_for_function(
        """([sel, sid, x, expected]) => {
            const g = document.querySelector(sel);
            if (!g || !g.data) return false;
            const t = g.data.find(t => t.meta && t.meta.series_id === sid);
            if (!t) return false;
            const i = t.x.findIndex(v => String(v).slice(0, 10) === x);
            return i >= 0 && t.y[i] === expected;
        }""",
        arg=[f"#{graph_id} .js-plotly-plot", series_id, x, expected],
    )


def seed_release(store: Path, key: str) -> int:
    """The store's id of the seed release ``key`` of data/releases.csv."""
    with db.reader(store) as con:
        row = con.execute(
            "SELECT release_id FROM releases WHERE file_name = ?", [f"seed:{key}"]
        ).fetchone()
    assert row, key
    return int(row[0])


def release_count(store: Path) -> int:
    with db.reader(store) as con:
        return con.execute("SELECT count(*) FROM releases").fetchone()[0]


# Pages ---------------------------------------------------------------------------------------


def test_overview_shows_china_exports_for_may_2025(tab, server):
    tab.goto(server + "/")
    card = tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card").filter(
        has_text="China goods exports"
    )

    sync_api.expect(card.locator(".card-value")).to_have_text("+4.8% y/y")
    sync_api.expect(card).to_contain_text("May 2025")
    sync_api.expect(card).to_contain_text("−3.3 pp vs Apr 2025")
    sync_api.expect(card).to_contain_text("9 Jun 2025 · China customs (GAC)")
    oecd = tab.locator(".indicator-card").filter(has_text="World real GDP growth, OECD")
    sync_api.expect(oecd.locator(".card-value")).to_have_text("+2.9% y/y")
    sync_api.expect(oecd).to_contain_text("revised")
    assert tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card").count() == 7
    sync_api.expect(tab.locator(f"#{ids.OVERVIEW_FEED}")).to_contain_text("China customs (GAC)")
    sync_api.expect(tab.locator(f"#{ids.OVERVIEW_EVENTS}")).to_contain_text("Geneva truce")
    sync_api.expect(tab.locator(f"#{ids.APP_FOOTER_NEWEST}")).to_have_text(
        "newest release 9 Jun 2025"
    )
    screenshot(tab, "overview")


def test_overview_says_what_was_expected_and_what_is_late(tab, server):
    """On the seed in December 2026: imports read -3.4% against an expected -0.9%, and every
    monthly series is long overdue, which the card and the calendar panel both say."""
    tab.goto(server + "/")
    imports = tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card").filter(
        has_text="China goods imports"
    )

    sync_api.expect(imports.locator(".card-value")).to_have_text("−3.4% y/y")
    sync_api.expect(imports.locator(".card-expected")).to_contain_text("expected −0.9% y/y")
    sync_api.expect(imports.locator(".card-freshness")).to_contain_text(
        "last release 9 Jun 2025, monthly: overdue since"
    )
    panel = tab.locator(f"#{ids.OVERVIEW_CALENDAR} .list-group-item")
    sync_api.expect(panel).to_have_count(8)  # the most recently late first, the rest counted
    sync_api.expect(panel.first).to_contain_text("overdue since")
    sync_api.expect(tab.get_by_text("Upcoming and overdue")).to_be_visible()
    sync_api.expect(
        tab.get_by_text(re.compile(r"^\d\d overdue · 0 due in 14 days$"))
    ).to_be_visible()
    sync_api.expect(tab.get_by_text("tracker calendar --days 14")).to_be_visible()


def test_a_star_in_the_explorer_puts_a_series_on_the_overview(tab, server, store):
    tab.goto(server + "/explore?series=CHN.TRADE_BALANCE.USD")
    star = tab.locator(".watch-star").first
    sync_api.expect(star).to_have_attribute("aria-pressed", "false")
    try:
        star.click()

        sync_api.expect(star).to_have_attribute("aria-pressed", "true")
        sync_api.expect(tab.locator(f"#{ids.EXPLORE_WATCH_NOTE}")).to_have_text(
            "CHN.TRADE_BALANCE.USD is on your Overview."
        )
        tab.goto(server + "/")
        cards = tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card")
        balance = cards.filter(has_text="China goods trade balance")
        sync_api.expect(balance.locator(".card-expected")).to_have_text(
            "expected 101 US$ bn · above expectations"
        )
        sync_api.expect(cards).to_have_count(8)
        # And off again: the Overview is back to the seed's seven.
        tab.goto(server + "/explore?series=CHN.TRADE_BALANCE.USD")
        tab.locator(".watch-star").first.click()
        sync_api.expect(tab.locator(".watch-star").first).to_have_attribute("aria-pressed", "false")
        tab.goto(server + "/")
        sync_api.expect(cards).to_have_count(7)
    finally:  # the other tests expect the seed's watchlist
        with snapshots.writer(store) as con:
            watchlist.remove(
                con, [s for s in watchlist.listed(con) if s == "CHN.TRADE_BALANCE.USD"]
            )


def test_explorer_draws_steps_and_its_controls_change_the_figure(tab, server):
    tab.goto(server + "/explore?series=CHN.EXPORTS.YOY,USA.TARIFF.CHN")
    traces = graph_data(tab, ids.EXPLORE_GRAPH)

    tariff = trace_of(traces, "USA.TARIFF.CHN")
    exports = trace_of(traces, "CHN.EXPORTS.YOY")
    assert tariff["line"]["shape"] == "hv"
    assert exports["xperiod"] == "M1"
    assert y_at(exports, "2025-05-01") == 4.8
    assert graph_layout(tab, ids.EXPLORE_GRAPH)["yaxis"].get("type") != "log"
    screenshot(tab, "explore")

    # A refused transform is greyed out with its reason; an allowed one redraws the figure.
    tab.locator(f"#{ids.EXPLORE_TRANSFORM}").click()
    option = tab.get_by_role("option", name="pc1 — Percent change from a year ago")
    sync_api.expect(option).to_be_disabled()
    sync_api.expect(option.locator(".dash-options-list-option-text")).to_have_attribute(
        "title",
        "pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate (% y/y); "
        "use ch1 for the change in percentage points",
    )
    tab.get_by_role("option", name="chg — Change").click()
    wait_for_value(tab, ids.EXPLORE_GRAPH, "CHN.EXPORTS.YOY", "2025-05-01", -3.3)
    tab.wait_for_function("() => window.location.search.includes('transform=chg')")

    tab.get_by_text("Log scale").click()
    tab.wait_for_function(
        f"() => document.querySelector('#{ids.EXPLORE_GRAPH} .js-plotly-plot').layout.yaxis.type === 'log'"
    )
    tab.wait_for_function("() => window.location.search.includes('log=1')")


def test_explorer_as_of_makes_the_oecd_2025_forecast_read_3_1(tab, server, store):
    tab.goto(server + "/explore?series=WLD.GDP.OECD_FCST")
    wait_for_value(tab, ids.EXPLORE_GRAPH, "WLD.GDP.OECD_FCST", "2025-01-01", 2.9)

    tab.locator(f"#{ids.EXPLORE_AS_OF}").fill("2025-05-01")

    wait_for_value(tab, ids.EXPLORE_GRAPH, "WLD.GDP.OECD_FCST", "2025-01-01", 3.1)
    tab.wait_for_function("() => window.location.search.includes('as_of=2025-05-01')")
    sync_api.expect(tab.locator(f"#{ids.EXPLORE_GRAPH}")).to_contain_text("as known on 1 May 2025")

    # The URL alone reproduces the view.
    url = tab.url
    tab.goto("about:blank")
    tab.goto(url)
    wait_for_value(tab, ids.EXPLORE_GRAPH, "WLD.GDP.OECD_FCST", "2025-01-01", 3.1)
    sync_api.expect(tab.locator(f"#{ids.EXPLORE_AS_OF}")).to_have_value("2025-05-01")

    # The download is what is drawn, with provenance.
    with tab.expect_download() as info:
        tab.locator(f"#{ids.EXPLORE_DOWNLOAD_BUTTON}").click()
    header, *rows = Path(info.value.path()).read_text().strip().splitlines()
    assert header.split(",")[:6] == ["series_id", "name", "unit", "period", "period_end", "value"]
    assert "release_id" in header and "url" in header
    march = seed_release(store, "oecd-interim-2025-03")
    assert any(f",2025-01-01,2025-12-31,3.1,lin,2025-05-01,{march}," in r for r in rows), rows


def test_revisions_page_draws_the_forecast_evolution(tab, server, store):
    tab.goto(server + "/revisions")
    traces = graph_data(tab, ids.REVISIONS_EVOLUTION)

    assert trace_of(traces, "WLD.GDP.OECD_FCST")["y"] == [3.2, 3.3, 3.1, 2.9]
    heat = graph_data(tab, ids.REVISIONS_TRIANGLE)
    assert heat[0]["x"][-1] == f"3 Jun 2025 (#{seed_release(store, 'oecd-eo117')})"
    sync_api.expect(tab.locator(f"#{ids.REVISIONS_FIRST}")).to_contain_text("2.9")
    sync_api.expect(tab.locator(f"#{ids.REVISIONS_STATS}")).to_contain_text("WLD.GDP.OECD_FCST")
    screenshot(tab, "revisions")


def test_releases_upload_good_file_dry_run_then_confirm(tab, server, store, tmp_path):
    good = tmp_path / "june.csv"
    good.write_text("series_id,period,value\nCHN.EXPORTS.USA.YOY,2025-06,-16.1\n")
    before = release_count(store)
    tab.goto(server + "/releases")
    sync_api.expect(tab.locator(f"#{ids.RELEASES_COUNT}")).to_have_text(f"{before} releases")

    tab.locator(f"#{ids.RELEASES_SOURCE}").fill("China customs (GAC)")
    tab.locator(f"#{ids.RELEASES_SOURCE}").press("Enter")
    tab.locator(f"#{ids.RELEASES_PUBLISHED}").fill("2025-07-14")
    tab.locator(f"#{ids.RELEASES_TITLE}").fill("June 2025 trade (browser test)")
    tab.locator(f"#{ids.RELEASES_TITLE}").press("Enter")
    tab.locator(f"#{ids.RELEASES_UPLOAD} input[type=file]").set_input_files(str(good))

    dry_run = tab.locator(f"#{ids.RELEASES_DRY_RUN}")
    sync_api.expect(dry_run).to_contain_text(
        "dry run: june.csv (China customs (GAC), published 2025-07-14) would add 1 new"
    )
    assert release_count(store) == before
    screenshot(tab, "releases")
    tab.locator(f"#{ids.RELEASES_CONFIRM}").click()

    sync_api.expect(tab.locator(f"#{ids.RELEASES_APPENDED}")).to_contain_text(
        f"release {before + 1}: 1 new"
    )
    sync_api.expect(tab.locator(f"#{ids.RELEASES_COUNT}")).to_have_text(f"{before + 1} releases")
    sync_api.expect(tab.locator(f"#{ids.RELEASES_TABLE}")).to_contain_text(
        "June 2025 trade (browser test)"
    )
    assert release_count(store) == before + 1


def test_releases_bad_file_shows_line_and_column_and_writes_nothing(tab, server, store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("series_id,period,value\nCHN.EXPORTS.USA.YOY,2025-08,n/a%\n")
    before = release_count(store)
    tab.goto(server + "/releases")
    tab.locator(f"#{ids.RELEASES_SOURCE}").fill("China customs (GAC)")
    tab.locator(f"#{ids.RELEASES_SOURCE}").press("Enter")
    tab.locator(f"#{ids.RELEASES_PUBLISHED}").fill("2025-09-08")

    tab.locator(f"#{ids.RELEASES_UPLOAD} input[type=file]").set_input_files(str(bad))

    error = tab.locator(f"#{ids.RELEASES_ERROR}")
    sync_api.expect(error).to_contain_text("bad.csv:2")
    sync_api.expect(error).to_contain_text("column 'value'")
    sync_api.expect(tab.locator(f"#{ids.RELEASES_CONFIRM}")).to_be_disabled()
    assert release_count(store) == before


def test_sql_page_runs_a_query_and_refuses_a_write(tab, server):
    tab.goto(server + "/sql")
    sync_api.expect(tab.locator(f"#{ids.SQL_ROW_COUNT}")).to_contain_text("6 rows")
    sync_api.expect(tab.locator(f"#{ids.SQL_RESULTS}")).to_contain_text("WLD.GDP.OECD_FCST")
    sync_api.expect(tab.locator(f"#{ids.SQL_OBJECTS}")).to_contain_text("asof(…)")
    screenshot(tab, "sql")

    tab.get_by_text("World forecasts as of 1 May 2025").click()
    sync_api.expect(tab.locator(f"#{ids.SQL_EDITOR}")).to_have_value(
        "SELECT * FROM asof(DATE '2025-05-01') WHERE series_id LIKE 'WLD%'"
    )
    tab.locator(f"#{ids.SQL_RUN}").click()
    sync_api.expect(tab.locator(f"#{ids.SQL_RESULTS}")).to_contain_text("WLD.GDP.IMF_FCST")

    tab.locator(f"#{ids.SQL_EDITOR}").fill("DELETE FROM releases")
    tab.locator(f"#{ids.SQL_RUN}").click()
    sync_api.expect(tab.locator(f"#{ids.SQL_ERROR}")).to_contain_text("not allowed")


def test_dark_theme_redraws_figures_and_is_persisted(tab, server):
    tab.goto(server + "/revisions")
    graph_data(tab, ids.REVISIONS_EVOLUTION)

    tab.locator(f"#{ids.APP_THEME_TOGGLE}").click()

    tab.wait_for_function("() => document.documentElement.dataset.bsTheme === 'dark'")
    tab.wait_for_function(
        f"() => document.querySelector('#{ids.REVISIONS_EVOLUTION} .js-plotly-plot')"
        ".layout.font.color === '#dee2e6'"
    )
    assert json.loads(tab.evaluate("localStorage.getItem('app-theme')")) == "dark"
    screenshot(tab, "revisions-dark")
    tab.locator(f"#{ids.APP_THEME_TOGGLE}").click()
    tab.wait_for_function("() => document.documentElement.dataset.bsTheme === 'light'")


def test_phone_width_overview(chromium, server):
    ctx = chromium.new_context(viewport=PHONE)
    tab = ctx.new_page()
    watch = Watch(tab)
    try:
        tab.goto(server + "/")
        card = tab.locator(".indicator-card").filter(has_text="China goods exports")
        sync_api.expect(card.locator(".card-value")).to_have_text("+4.8% y/y")
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        screenshot(tab, "overview-phone")
    finally:
        ctx.close()
    watch.assert_clean(server)


# Page weight -----------------------------------------------------------------------------------

#: Bytes on the wire (compressed bodies and headers) for a first and a repeat visit of a page.
FIRST_VISIT_BYTES = 1_500_000
REPEAT_VISIT_BYTES = 150_000
#: What each page draws once its callbacks have answered: every chart type the app uses.
DRAWN = {
    "/": (
        f"Array.from(document.querySelectorAll('#{ids.OVERVIEW_CARDS} .sparkline'))"
        ".filter(g => g.querySelector('.scatterlayer .trace')).length === 7"
    ),
    "/explore": f"document.querySelectorAll('#{ids.EXPLORE_GRAPH} .scatterlayer .trace').length >= 1",
    "/revisions": (
        f"document.querySelectorAll('#{ids.REVISIONS_TRIANGLE} .hm image').length === 1 && "
        f"document.querySelectorAll('#{ids.REVISIONS_EVOLUTION} .scatterlayer .trace').length >= 2"
    ),
    "/releases": f"document.querySelectorAll('#{ids.RELEASES_TABLE} .ag-row').length > 0",
    "/sql": f"document.querySelectorAll('#{ids.SQL_RESULTS} .ag-row').length > 0",
}


def visit(tab, cdp, url: str, drawn: str) -> dict[str, int]:
    """Load ``url`` until ``drawn`` holds and the network is idle: bytes per requested URL."""
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}

    def received(event: dict) -> None:
        urls[event["requestId"]] = event["response"]["url"]

    def finished(event: dict) -> None:
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    try:
        tab.goto(url)
        tab.wait_for_function(f"() => {drawn}")
        tab.wait_for_load_state("networkidle")
    finally:
        cdp.remove_listener("Network.responseReceived", received)
        cdp.remove_listener("Network.loadingFinished", finished)
    return {urls.get(request, request): size for request, size in sizes.items()}


@pytest.mark.parametrize("path", list(DRAWN))
def test_page_weight_first_and_repeat_visit(chromium, server, path: str):
    """Compressed, cached, and plotly.js's cartesian bundle instead of the 4.8 MB plotly.min.js;
    every chart still draws (sparklines, lines and steps, the revision heatmap)."""
    ctx = chromium.new_context(viewport=DESKTOP)
    tab = ctx.new_page()
    watch = Watch(tab)
    cdp = ctx.new_cdp_session(tab)
    cdp.send("Network.enable")
    try:
        first = visit(tab, cdp, server + path, DRAWN[path])
        plotly_version = tab.evaluate("() => window.Plotly && window.Plotly.version")
        repeat = visit(tab, cdp, server + path, DRAWN[path])
    finally:
        ctx.close()
    watch.assert_clean(server)

    requested = [*first, *repeat, *watch.requests]
    assert [u for u in requested if "plotly.min.js" in u] == []
    assert plotly_version == "4.1.1"
    assert any("/assets/vendor/plotly-cartesian-" in u for u in first)
    assert sum(first.values()) <= FIRST_VISIT_BYTES, sorted(first.items(), key=lambda i: -i[1])[:5]
    assert sum(repeat.values()) <= REPEAT_VISIT_BYTES, sorted(repeat.items(), key=lambda i: -i[1])[
        :5
    ]


# Start-up --------------------------------------------------------------------------------------


def test_the_first_request_after_start_renders_the_page(chromium, store, tmp_path):
    """A browser that connects while `tracker serve` is still starting gets a working page."""
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(store, fresh)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "serve", "--db", str(fresh), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=paths.ROOT,
    )
    ctx = chromium.new_context(viewport=DESKTOP)
    try:
        # The first thing to reach the server is the browser's request for the page.
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
        tab = ctx.new_page()
        watch = Watch(tab)
        tab.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
        card = tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card").filter(
            has_text="China goods exports"
        )
        sync_api.expect(card.locator(".card-value")).to_have_text("+4.8% y/y")
        tab.wait_for_function(f"() => {DRAWN['/']}")
        watch.assert_clean(f"http://127.0.0.1:{port}")
    finally:
        ctx.close()
        process.terminate()
        process.wait(timeout=30)


# While serving ---------------------------------------------------------------------------------


def tracker_cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("tracker")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


def test_a_release_appended_from_a_terminal_shows_on_the_next_page_load(tab, server, store):
    """The server runs; another process appends with no lock error; the page shows it."""
    started = time.monotonic()
    done = tracker_cli(
        "append", str(paths.ROOT / "examples" / "cn_trade_2025-06.csv"), "--db", str(store),
        "--source", "China customs (GAC)", "--published", "2025-07-15",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(
        "2 new, 0 revised, 0 unchanged (China customs (GAC), published 2025-07-15)\n"
    )
    assert time.monotonic() - started < 20
    tab.goto(server + "/")
    card = tab.locator(f"#{ids.OVERVIEW_CARDS} .indicator-card").filter(
        has_text="China goods exports"
    )
    sync_api.expect(card.locator(".card-value")).to_have_text("+5.8% y/y")
    sync_api.expect(card).to_contain_text("Jun 2025")


def test_html_in_names_and_titles_is_shown_as_text_never_run(tab, server, store, tmp_path):
    name = '<img src=x onerror="window.__pwned = 1">Evil series'
    title = "<script>window.__pwned = 2</script>Evil release"
    defined = tracker_cli(
        "define", "EVIL.SERIES", "--db", str(store), "--name", name, "--unit", "<b>%</b>",
        "--unit-kind", "level", "--frequency", "M", "--source", "<i>Evil agency</i>",
    )  # fmt: skip
    assert defined.returncode == 0, defined.stderr
    release = tmp_path / "evil.csv"
    release.write_text(
        'series_id,period,value,note\nEVIL.SERIES,2025-06,1,"<script>window.__pwned = 3</script>"\n'
    )
    appended = tracker_cli(
        "append", str(release), "--db", str(store), "--source", "<i>Evil agency</i>",
        "--published", "2025-07-16", "--title", title,
    )  # fmt: skip
    assert appended.returncode == 0, appended.stderr

    tab.goto(server + "/releases")
    sync_api.expect(tab.locator(f"#{ids.RELEASES_TABLE}")).to_contain_text(title)
    tab.goto(server + "/explore?series=EVIL.SERIES")
    graph_data(tab, ids.EXPLORE_GRAPH)
    tab.goto(server + "/")
    sync_api.expect(tab.locator(f"#{ids.OVERVIEW_FEED}")).to_contain_text("Evil release")
    assert tab.evaluate("() => window.__pwned === undefined")
    assert tab.locator("img[src=x]").count() == 0
