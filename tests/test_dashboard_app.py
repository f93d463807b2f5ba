"""The dashboard as a WSGI app, without a browser: start-up, callbacks, compression, caching.

The browser's view of the same things (what a page requests, bytes transferred) is in
tests/test_dashboard_browser.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import brotli
import dash
import pytest
from dash import html

from dashboards import security
from dashboards.app import IMMUTABLE, create_app, shell, warm_up
from tracker import paths

VENDOR = paths.ROOT / "dashboards" / "assets" / "vendor"
PAGES = ("/", "/explore", "/revisions", "/releases", "/sql")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Path:
    path = tmp_path_factory.mktemp("app") / "store.duckdb"
    path.write_bytes(seeded_template.read_bytes())
    return path


@pytest.fixture(scope="module")
def app(store: Path) -> dash.Dash:
    app = create_app(store)
    warm_up(app)
    return app


@pytest.fixture
def client(app: dash.Dash):
    with app.server.test_client() as client:
        yield client


def script_urls(page_html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', page_html)


def stylesheet_urls(page_html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', page_html)


# Start-up ---------------------------------------------------------------------------------------


def test_start_up_renders_no_page_layout(store: Path, monkeypatch: pytest.MonkeyPatch):
    """warm_up runs Dash's set-up without calling a page's layout, which reads the store:
    start-up costs the same on the seed and on a 10-million-row store."""
    app = create_app(store)
    ran = []
    for page in dash.page_registry.values():
        layout = page["layout"]

        def recording(*args, _layout=layout, _path=page["path"], **kwargs):
            ran.append(_path)
            return _layout(*args, **kwargs)

        monkeypatch.setitem(page, "layout", recording)

    warm_up(app)

    assert ran == []
    # The pages' router is set up: the first page request renders the page.
    with app.server.test_client() as client:
        callbacks = client.get("/_dash-dependencies").get_json()
        rendered = client.post(
            "/_dash-update-component",
            json={
                "output": ".._pages_content.children..._pages_store.data..",
                "outputs": [
                    {"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"},
                ],
                "inputs": [
                    {"id": "_pages_location", "property": "pathname", "value": "/revisions"},
                    {"id": "_pages_location", "property": "search", "value": ""},
                ],
                "changedPropIds": ["_pages_location.pathname"],
                "state": [],
            },
        )
    assert any(c["output"].startswith(".._pages_content.children") for c in callbacks)
    assert rendered.status_code == 200, rendered.text
    assert ran == ["/revisions"]
    assert rendered.get_json()["response"]["_pages_store"]["data"]["title"] == "Revisions · tracker"


def test_the_page_embeds_no_page_layout(client):
    """No validation layout in the page's config: its size does not grow with the store."""
    page = client.get("/explore").text
    config = json.loads(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', page)[1])

    assert "validation_layout" not in config
    assert len(page) < 20_000


def test_every_callback_id_is_in_a_page_or_the_shell(app: dash.Dash):
    """What Dash's validation layout checked in the browser, checked here on the seed: each
    Input, Output and State names a component of the shell or of a page's layout."""
    with app.server.test_request_context("/"):
        layouts = [page["layout"]() for page in dash.page_registry.values()]
    from dashboards.pages import explore  # the module Dash imported: a page registers once

    # Components that callbacks draw later: the Explorer's series table and its watchlist stars.
    drawn_later = [explore.watch_star("ANY.SERIES", watched=False)]
    components = html.Div([*layouts, shell(), dash.page_container, *drawn_later])
    ids = [c.id for c in components._traverse() if getattr(c, "id", None) is not None]

    def exists(wanted: str | dict) -> bool:
        if isinstance(wanted, str):
            return wanted in ids
        fixed = {k: v for k, v in wanted.items() if not isinstance(v, list)}
        return any(
            isinstance(i, dict) and i.keys() == wanted.keys() and fixed.items() <= i.items()
            for i in ids
        )

    missing = []
    for callback in app._callback_list:
        outputs = dash._utils.split_callback_id(callback["output"])
        for dependency in [
            *(outputs if isinstance(outputs, list) else [outputs]),
            *callback["inputs"],
            *callback["state"],
        ]:
            wanted = dependency["id"]
            if isinstance(wanted, str) and wanted.startswith("{"):
                wanted = json.loads(wanted)
            if not exists(wanted):
                missing.append(f"{wanted}.{dependency['property']}")
    assert missing == []


# Compression -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [("gzip", "gzip", gzip.decompress), ("gzip, deflate, br", "br", brotli.decompress)],
)
def test_responses_are_compressed(client, accept: str, encoding: str, decode):
    page = client.get("/", headers={"Accept-Encoding": accept})
    script = client.get(
        script_urls(decode(page.data).decode())[-1], headers={"Accept-Encoding": accept}
    )
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": accept})
    # Files in assets/ are streamed from disk, and compressed as they stream.
    css = client.get(
        stylesheet_urls(decode(page.data).decode())[0], headers={"Accept-Encoding": accept}
    )

    for response in (page, script, layout, css):
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
    assert b"<!DOCTYPE html>" in decode(page.data)
    assert json.loads(decode(layout.data))["type"] == "Div"
    assert b"Bootstrap" in decode(css.data)[:200]


def test_uncompressed_for_a_client_that_does_not_ask(client):
    page = client.get("/", headers={"Accept-Encoding": "identity"})

    assert "Content-Encoding" not in page.headers
    assert page.text.startswith("<!DOCTYPE html>")


# Caching -----------------------------------------------------------------------------------------


def test_fingerprinted_urls_are_cached_for_a_year(client):
    page = client.get("/").text
    urls = script_urls(page) + stylesheet_urls(page) + re.findall(r'href="(/_favicon[^"]+)"', page)
    suites = [u for u in urls if u.startswith("/_dash-component-suites/")]
    assets = [u for u in urls if u.startswith("/assets/")]

    assert len(suites) >= 8 and len(assets) >= 3
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        response.close()


@pytest.mark.parametrize(
    "url",
    [
        *PAGES,
        "/_dash-layout",
        "/_dash-dependencies",
        # Dash's lazily loaded chunks carry no fingerprint: revalidated by ETag.
        "/_dash-component-suites/dash/dcc/async-graph.js",
        # An asset asked for without its fingerprint.
        "/assets/tracker.css",
    ],
)
def test_pages_and_unversioned_urls_are_revalidated(client, url: str):
    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    response.close()


# Security headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/sql", "/_dash-layout"])
def test_security_headers_without_a_login(client, url: str):
    """The headers are on without --login too (tests/test_login.py checks them with it)."""
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src "))

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    if response.mimetype == "text/html":
        assert script_src.split()[2:] == security.script_hashes(response.get_data(as_text=True))
        assert len(script_src.split()) > 2  # Dash's page has inline scripts
    assert "_csrf_token" not in response.headers.get("Set-Cookie", "")


# plotly.js ---------------------------------------------------------------------------------------


def test_the_vendored_plotly_is_the_wheels_version_and_loads_before_the_graph(client):
    from plotly.offline import get_plotlyjs_version

    bundle = VENDOR / f"plotly-cartesian-{get_plotlyjs_version()}.min.js"
    readme = (VENDOR / "README.md").read_text()

    assert bundle.exists(), f"vendor plotly.js-cartesian-dist-min@{get_plotlyjs_version()}"
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() in readme
    assert f"plotly.js (cartesian - minified) v{get_plotlyjs_version()}" in bundle.read_text()[:200]
    assert (VENDOR / "plotly.js-LICENSE").read_text().startswith("MIT License")
    urls = script_urls(client.get("/").text)
    vendored = next(i for i, u in enumerate(urls) if u.startswith("/assets/vendor/plotly-"))
    dcc_bundle = next(i for i, u in enumerate(urls) if "dash_core_components." in u)
    assert vendored < dcc_bundle
    assert not any("plotly.min.js" in u for u in urls)
