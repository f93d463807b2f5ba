"""Every page stays cheap on a store of many series and releases (the FRED-scale issue).

One generated store, written in bulk with the kept state rebuilt by tracker itself (as the
benchmark's stores are): 3,000 monthly series, a quarterly series of 200 quarters, a forecast
series from neither the OECD nor the IMF, and 300 releases. The pages are checked without a
browser (their layouts and callbacks, and the plans of every query they run) and in Chromium.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import dash
import polars as pl
import pytest
from playwright import sync_api

from bench import stores
from bench.synth import History
from dashboards import ids, picker
from dashboards.app import create_app, warm_up
from dashboards.pages import overview_data
from dashboards.pages.sql_console import EXAMPLE_QUERIES
from tests.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    Watch,
    start_serve,
    stop_serve,
)
from tracker import db, snapshots, watchlist

SERIES = 3000
RELEASES = 300
LONG = "GEN.Q200"
FORECAST = "USA.CPI.FED_FCST"


def generated(n: int) -> str:
    return f"GEN.S{n:04d}"


def published(release_id: int) -> datetime:
    return datetime(2024, 1, 1, 9) + timedelta(days=release_id)


def quarter(index: int) -> tuple[date, date]:
    year, q = 1975 + index // 4, index % 4
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def history() -> History:
    """The catalogue, the releases and the stored versions of the generated store."""
    catalogue = [
        {
            "series_id": generated(n),
            "name": f"Generated series {n}",
            "unit": "index",
            "unit_kind": "level",
            "frequency": "M",
            "geo": ("USA", "CHN", "DEU")[n % 3],
            "source": f"Generator {n % 7}",
            "kind": "actual",
            "description": None,
            "tags": ["generated"],
        }
        for n in range(1, SERIES + 1)
    ]
    catalogue.append(
        {**catalogue[0], "series_id": LONG, "name": "Long quarterly series", "frequency": "Q"}
    )
    catalogue.append(
        {
            **catalogue[0],
            "series_id": FORECAST,
            "name": "US inflation, Federal Reserve projection",
            "unit": "% y/y",
            "unit_kind": "growth_yoy",
            "frequency": "A",
            "source": "Federal Reserve",
            "kind": "forecast",
            "tags": ["forecast", "inflation"],
        }
    )
    rows: list[tuple] = []
    months = [(date(2023, m, 1), date(2023, m + 1, 1) - timedelta(days=1)) for m in (9, 10, 11)]
    rows += [
        (generated(n), start, end, float(n), "actual", 1)
        for n in range(1, SERIES + 1)
        for start, end in months
    ]
    rows += [(LONG, *quarter(i), 100.0 + i, "actual", 1) for i in range(200)]
    # Releases 2-5 revise the newest quarters; 6-8 are the forecast's outlooks for 2025-2026.
    rows += [(LONG, *quarter(199 - k), 400.0 + r, "actual", r) for r in range(2, 6) for k in (0, 1)]
    rows += [
        (FORECAST, date(year, 1, 1), date(year, 12, 31), value + (year - 2025), "forecast", r)
        for r, value in ((6, 2.8), (7, 2.6), (8, 2.4))
        for year in (2025, 2026)
    ]
    # The others each revise one month of one generated series.
    rows += [(generated(r), *months[-1], 1000.0 + r, "actual", r) for r in range(9, RELEASES + 1)]
    observations = pl.DataFrame(
        rows,
        schema=["series_id", "period", "period_end", "value", "status", "release_id"],
        orient="row",
    ).sort("release_id", "series_id", "period")
    counts = observations.group_by("release_id").agg(pl.len().alias("rows"))
    releases = pl.DataFrame(
        {
            "release_id": list(range(1, RELEASES + 1)),
            "source": [("Generator", "Federal Reserve")[6 <= r <= 8] for r in range(1, 301)],
            "title": [f"Generated release {r}" for r in range(1, RELEASES + 1)],
            "published_at": [published(r) for r in range(1, RELEASES + 1)],
            "ingested_at": [published(r) for r in range(1, RELEASES + 1)],
            "file_name": [f"r{r}.csv" for r in range(1, RELEASES + 1)],
            "format": ["canonical"] * RELEASES,
            "checksum": [f"sha256:generated-{r}" for r in range(1, RELEASES + 1)],
        }
    ).join(counts, on="release_id")
    releases = releases.with_columns(
        pl.when(pl.col("release_id") == 1).then(pl.col("rows")).otherwise(0).alias("rows_new"),
        pl.when(pl.col("release_id") == 1).then(0).otherwise(pl.col("rows")).alias("rows_revised"),
        pl.lit(0).alias("rows_unchanged"),
        pl.lit(0).alias("rows_deleted"),
    ).drop("rows")
    return History(series=pl.DataFrame(catalogue), releases=releases, observations=observations)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wide") / "store.duckdb"
    stores.create(path, history=history())
    return path


@pytest.fixture(scope="module")
def app(wide: Path) -> dash.Dash:
    app = create_app(wide)
    warm_up(app)
    return app


def page(path: str) -> dict:
    return next(p for p in dash.page_registry.values() if p["path"] == path and "layout" in p)


def module(path: str):
    """A page's module as Dash imported it (``dashboards.pages.explore``)."""
    return sys.modules[page(path)["module"]]


def component(layout, component_id: str):
    return next(c for c in layout._traverse() if getattr(c, "id", None) == component_id)


# Without a browser -------------------------------------------------------------------------


def test_the_explorer_picker_offers_a_few_dozen_series_and_searches_the_rest(app):
    explore = module("/explore")

    with app.server.test_request_context("/explore"):
        layout = page("/explore")["layout"](series=generated(1))
        found = explore.search_series(generated(2999), [generated(1)])
        by_name = explore.search_series("generated series 1234", [])

    options = component(layout, ids.EXPLORE_SERIES).options
    assert len(options) <= picker.MATCHES + 1
    assert options[0]["value"] == generated(1)
    # The picked series stays, then the exact id.
    assert [o["value"] for o in found[:2]] == [generated(1), generated(2999)]
    assert by_name[0]["value"] == generated(1234)


def test_the_forecast_panel_offers_a_forecast_series_that_is_not_oecd_or_imf(app):
    revisions = module("/revisions")

    with app.server.test_request_context("/revisions"):
        layout = page("/revisions")["layout"]()
        figure, alert = revisions.evolution("2025", [FORECAST], "light")
        found = revisions.search_forecasts("federal", [])

    picker_component = component(layout, ids.REVISIONS_FORECAST)
    assert FORECAST in [o["value"] for o in picker_component.options]
    assert picker_component.value == [FORECAST]  # the store's only forecast series
    assert component(layout, ids.REVISIONS_TARGET).value == "2025"
    assert alert is None
    assert figure["data"][0]["y"] == [2.8, 2.6, 2.4]
    assert [o["value"] for o in found] == [FORECAST]


def test_the_revision_heatmap_keeps_its_size_for_200_quarters(app):
    revisions = module("/revisions")

    with app.server.test_request_context("/revisions"):
        newest = revisions.triangle_view(LONG, 0, "light")
    figure, _, _, _, shown, older_disabled, newer_disabled, offset = newest
    heat = figure["data"][0]

    assert figure["layout"]["height"] <= 28 * 12 + 140
    assert len(heat["y"]) == 12
    assert heat["y"][-1] == "2024 Q4"
    assert shown == "2022 Q1 – 2024 Q4 · 12 of 200 periods"
    assert (older_disabled, newer_disabled, offset) == (False, True, 0)


def test_the_revision_heatmap_pages_back(app):
    revisions = module("/revisions")

    with app.server.test_request_context("/revisions"):
        figure, _, _, _, shown, older_disabled, newer_disabled, offset = revisions.triangle_view(
            LONG, 12, "light"
        )
        oldest = revisions.triangle_view(LONG, 1000, "light")

    assert offset == 12
    assert figure["data"][0]["y"][-1] == "2021 Q4"
    assert shown.startswith("2019 Q1 – 2021 Q4")
    assert (older_disabled, newer_disabled) == (False, False)
    # Past the oldest period: the oldest full window, Older disabled.
    assert (oldest[7], oldest[5], oldest[0]["data"][0]["y"][0]) == (188, True, "1975 Q1")


def test_the_releases_grid_reads_one_page_and_knows_the_total(app):
    releases = module("/releases")

    request = {
        "startRow": 15,
        "endRow": 30,
        "sortModel": [{"colId": "published_at", "sort": "desc"}],
        "filterModel": {},
    }
    with app.server.test_request_context("/releases"):
        second = releases.release_page(request)
        oldest = releases.release_page(
            {
                **request,
                "startRow": 0,
                "endRow": 15,
                "sortModel": [{"colId": "release_id", "sort": "asc"}],
            }
        )
        federal = releases.release_page(
            {
                **request,
                "startRow": 0,
                "filterModel": {"source": {"type": "contains", "filter": "federal"}},
            }
        )

    assert second["rowCount"] == RELEASES
    assert [r["release_id"] for r in second["rowData"]] == list(range(285, 270, -1))
    assert oldest["rowData"][0]["release_id"] == 1
    assert (federal["rowCount"], [r["release_id"] for r in federal["rowData"]]) == (3, [8, 7, 6])


# No page reads the whole history --------------------------------------------------------------


class Recording:
    """A cursor that keeps every statement it runs, with its parameters."""

    def __init__(self, con, log: list):
        self._con = con
        self._log = log

    def sql(self, query, params=None, **kwargs):
        self._log.append((query, params))
        return self._con.sql(query, params=params, **kwargs)

    def execute(self, query, params=None):
        self._log.append((query, params))
        return self._con.execute(query, params)

    def __getattr__(self, name):
        return getattr(self._con, name)


@contextmanager
def recorded(monkeypatch: pytest.MonkeyPatch, log: list) -> Iterator[None]:
    """Every read of the dashboard (`dashboards.store.reader`, which reads through
    `tracker.snapshots.reader`) goes through a `Recording`."""

    class Source:
        def __init__(self, path: Path):
            self.path = path

        @contextmanager
        def cursor(self):
            with db.connect(self.path, read_only=True) as con:
                yield Recording(con, log)

    class Readers(dict):
        def get(self, path, default=None):
            return Source(path)

    with monkeypatch.context() as patch:
        patch.setattr(snapshots, "_READERS", Readers())
        yield


def history_scans(path: Path, query: str, params) -> list[dict]:
    """The scans of ``observations`` in the plan of ``query``: whether each reads named series
    only, by a filter on ``series_id`` or a semi-join on it above the scan, on the scan's side
    and with no aggregate or window in between (a list of ids, which DuckDB turns into a filter
    on the scan while it runs)."""
    scans: list[dict] = []

    def semi_on_series(join: dict) -> bool:
        info = join.get("extra_info") or {}
        return info.get("Join Type") == "SEMI" and str(info.get("Conditions", "")).startswith(
            "series_id"
        )

    def walk(node: dict, joins: list[dict]) -> None:
        info = node.get("extra_info") or {}
        name = node.get("name", "")
        if "SCAN" in name and str(info.get("Table", "")).endswith(".observations"):
            filters = info.get("Filters") or []
            filters = filters if isinstance(filters, list) else [filters]
            by_series = any("series_id" in f for f in filters) or any(map(semi_on_series, joins))
            scans.append({"filters": filters, "by_series": by_series})
        if "AGGREGATE" in name or "WINDOW" in name:
            joins = []
        for index, child in enumerate(node.get("children", [])):
            if "JOIN" not in name:
                walk(child, joins)
            else:  # a join filters the rows of its first child (the probe side) only
                walk(child, [*joins, node] if index == 0 else [])

    with db.connect(path, read_only=True) as con:
        plan = con.execute("EXPLAIN (FORMAT json) " + query, params).fetchall()[0][1]
    for node in json.loads(plan):
        walk(node, [])
    return scans


def unfiltered(path: Path, log: list) -> list[str]:
    """The statements of ``log`` that read ``observations`` for more than named series."""
    bad = []
    for query, params in log:
        for scan in history_scans(path, query, params):
            if not scan["by_series"]:
                bad.append(" ".join(query.split())[:200])
    return bad


def test_no_page_scans_the_history_of_every_series(app, wide: Path, monkeypatch):
    """Every page's layout and the callbacks its first load runs read the kept state, or the
    history of named series only: the plan of each statement has no scan of observations
    without a series filter."""
    explore, revisions, releases = (module(p) for p in ("/explore", "/revisions", "/releases"))

    log: list = []
    with recorded(monkeypatch, log), app.server.test_request_context("/"):
        for path in ("/", "/explore", "/revisions", "/releases", "/sql"):
            page(path)["layout"](series=generated(5))
        explore.draw([generated(5), generated(6)], "lin", "native", "avg", "", "", [], None, "")
        explore.draw([generated(5)], "chg", "Q", "avg", "", "2024-03-01", ["vintages"], None, "")
        revisions.evolution("2025", [FORECAST], "light")
        revisions.triangle_view(LONG, 0, "light")
        revisions.stats_page({"startRow": 0, "endRow": 10, "sortModel": [], "filterModel": {}})
        releases.release_page({"startRow": 0, "endRow": 15, "sortModel": [], "filterModel": {}})

    assert len(log) > 20
    assert unfiltered(wide, log) == []
    # The SQL console's examples read one series of the history, or the kept state.
    assert unfiltered(wide, [(sql, None) for _, sql in EXAMPLE_QUERIES]) == []


def test_overview_cards_cost_the_same_queries_for_one_or_fifty_indicators(wide, monkeypatch):
    """The Overview reads the watchlist's series only: one indicator and a forecast, or fifty
    and the forecast, cost the same statements,
    and none of them reads the history of series not on it."""
    one: list = []
    fifty: list = []

    def watch(series_ids: list[str]) -> None:
        with db.writer(wide) as con:
            watchlist.remove(con, watchlist.listed(con))
            watchlist.add(con, series_ids)

    try:
        watch([generated(1), FORECAST])
        with recorded(monkeypatch, one):
            few = overview_data.overview_cards(wide, today=date(2025, 6, 1))
        watch([generated(n) for n in range(1, 51)] + [FORECAST])
        with recorded(monkeypatch, fifty):
            many = overview_data.overview_cards(wide, today=date(2025, 6, 1))
    finally:
        watch([])

    assert (len(few), len(many)) == (2, 51)
    assert [c.series_id for c in many[:2]] == [generated(1), generated(2)]
    assert len(fifty) == len(one)
    assert many[-1].series_id == FORECAST
    assert many[-1].value_text == "+2.4% y/y"
    assert unfiltered(wide, fifty) == []


# In Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(wide: Path, tmp_path_factory: pytest.TempPathFactory):
    process, base = start_serve(wide, tmp_path_factory.mktemp("wide-server") / "serve.log")
    yield base
    stop_serve(process)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}", pytrace=False)
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def tab(browser, server):
    ctx = browser.new_context(viewport=DESKTOP)
    tab = ctx.new_page()
    watch = Watch(tab)
    yield tab
    ctx.close()
    watch.assert_clean(server)


@pytest.mark.browser
def test_the_picker_searches_on_the_server_in_the_browser(tab, server):
    tab.goto(server + f"/explore?series={generated(1)}")
    tab.wait_for_function(
        f"() => document.querySelector('#{ids.EXPLORE_GRAPH} .scatterlayer .trace')"
    )

    tab.locator(f"#{ids.EXPLORE_SERIES}").click()
    # The open dropdown's options (the page's native selects have options of their own).
    offered = tab.locator(".dash-options-list-option-text")
    sync_api.expect(offered.first).to_be_visible()
    assert offered.count() <= picker.MATCHES + 1
    tab.locator(f"#{ids.EXPLORE_SERIES} input[type=search], .dash-dropdown-search").first.fill(
        generated(2999)
    )
    found = tab.get_by_role("option", name=f"Generated series 2999 · {generated(2999)}")
    found.click()

    tab.wait_for_function(f"() => window.location.search.includes('{generated(2999)}')")
    tab.wait_for_function(
        """(sid) => {
            const g = document.querySelector('#explore-graph .js-plotly-plot');
            return g && g.data && g.data.some(t => t.meta && t.meta.series_id === sid);
        }""".replace("explore-graph", ids.EXPLORE_GRAPH),
        arg=generated(2999),
    )
    assert f"series={generated(1)},{generated(2999)}" in tab.url


@pytest.mark.browser
def test_the_releases_grid_pages_on_the_server_in_the_browser(tab, server):
    answers: list[str] = []
    tab.on(
        "response",
        lambda r: answers.append(r.text()) if "_dash-update-component" in r.url else None,
    )
    tab.goto(server + "/releases")
    rows = tab.locator(f"#{ids.RELEASES_TABLE} .ag-center-cols-container .ag-row")

    sync_api.expect(tab.locator(f"#{ids.RELEASES_COUNT}")).to_have_text(f"{RELEASES} releases")
    sync_api.expect(
        tab.locator(f"#{ids.RELEASES_TABLE} .ag-paging-row-summary-panel")
    ).to_have_text(f"1 to 15 of {RELEASES}")
    sync_api.expect(rows).to_have_count(15)
    sync_api.expect(rows.first).to_contain_text("Generated release 300")

    tab.locator(f"#{ids.RELEASES_TABLE} .ag-paging-button[aria-label='Next Page']").click()
    sync_api.expect(rows.first).to_contain_text("Generated release 285")
    sync_api.expect(
        tab.locator(f"#{ids.RELEASES_TABLE} .ag-paging-row-summary-panel")
    ).to_have_text(f"16 to 30 of {RELEASES}")
