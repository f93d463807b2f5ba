"""The Dash app shell: navbar, theme, footer; the pages live in ``dashboards/pages``.

Everything is served from this process (``serve_locally``; Bootstrap 5.3 and plotly.js's
cartesian bundle are vendored in ``assets/``), so the dashboard works offline. No data is read
at import time or start-up: the store path is kept in ``app.server.config["TRACKER_DB"]`` and
every page and callback reads it per request.
"""

from __future__ import annotations

import os
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import ALL, Input, Output, State, clientside_callback, dcc, html
from dash.fingerprint import check_fingerprint

from dashboards import auth, ids, security
from dashboards.format import day_label
from dashboards.store import reader, store_path
from dashboards.upload import UPLOAD_LIMIT_BYTES
from tracker import paths, queries, users
from tracker.errors import TrackerError

HERE = Path(__file__).resolve().parent
NAV = (
    ("Overview", "/"),
    ("Explorer", "/explore"),
    ("Revisions", "/revisions"),
    ("Releases", "/releases"),
    ("SQL", "/sql"),
)
#: Request bodies above this are refused by Flask (uploads are base64: 4/3 of the file size).
MAX_REQUEST_BYTES = UPLOAD_LIMIT_BYTES * 3 // 2 + 1024 * 1024
#: Cache-Control of a fingerprinted URL: a new version is a new URL, so browsers keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Everything else (the page, _dash-layout, _dash-dependencies, dash's unversioned chunks) is
#: revalidated on every use.
REVALIDATE = "no-cache"
#: Compression (flask-compress): brotli or gzip, whichever the browser takes, at levels that
#: cost a few milliseconds per response. Only the first visit pays for the big bundles: they
#: are fingerprinted and cached for a year.
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_LEVEL": 6,
    "COMPRESS_BR_LEVEL": 5,
}

# Set the theme before the first paint (no flash of the light theme in dark mode). The key is
# the id of the shell's theme store (ids.APP_THEME), which Dash keeps in localStorage.
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        <script>
        (function () {
            var t = null;
            try { t = JSON.parse(window.localStorage.getItem("app-theme")); } catch (e) {}
            var mode = t === "dark" ? "dark" : "light";
            document.documentElement.setAttribute("data-bs-theme", mode);
            document.documentElement.setAttribute("data-ag-theme-mode", mode);
        })();
        </script>
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>
"""


def create_app(
    db_path: str | Path | None = None,
    *,
    login: bool = False,
    users_path: Path | None = None,
    trusted_proxy: bool = False,
) -> dash.Dash:
    """Build the dashboard for the store at ``db_path`` (default: ``$TRACKER_DB`` or
    ``data/tracker.duckdb``). The store is read per request, never at build time.

    ``login`` requires a login with the roles of the users in ``users_path`` (default: the
    store's users file) on every route and callback (`dashboards.auth`). ``trusted_proxy``
    trusts one reverse proxy's ``X-Forwarded-For``/``-Proto`` (the client's address for the
    failed-login limit, https) and sends cookies only over https.
    """
    server = flask.Flask(__name__)
    server.config.update(COMPRESSION)
    app = dash.Dash(
        # The package's name, so Dash imports each page as ``dashboards.pages.<page>``, the
        # name Python imports it by: a later `from dashboards.pages import explore` finds that
        # module instead of registering the page a second time, without a layout.
        "dashboards",
        server=server,  # type: ignore[arg-type]  # Dash takes a Flask app; its hint says bool
        compress=True,
        # Without this, Dash renders every page's layout (reading the store) on its first
        # request to build a validation layout, and embeds it in every page it serves: seconds
        # and megabytes on a large store. tests/test_dashboard_app.py checks the callbacks'
        # ids against the pages' layouts instead.
        suppress_callback_exceptions=True,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        title="tracker",
        update_title="",  # keep the tab's title while callbacks run (Dash: None or "")
        index_string=INDEX,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.config["TRACKER_DB"] = str(Path(db_path) if db_path else paths.default_db())
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.server.after_request(cache_control(app))
    security.install(app.server)
    store = Path(app.server.config["TRACKER_DB"])
    if login:
        auth.install(app, users_path or users.users_file(store), secure_cookies=trusted_proxy)
    if trusted_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.layout = shell
    return app


def cache_control(app: dash.Dash):
    """An ``after_request`` hook: fingerprinted URLs are immutable, everything else revalidates.

    Dash fingerprints its component bundles in the path (``dash_renderer.v4_4_1m1796325872.js``),
    the app's assets with ``?m=<mtime>`` and its favicon with ``?v=<dash version>``.
    """
    prefix = app.config.routes_pathname_prefix
    suites = prefix + "_dash-component-suites/"
    assets = prefix + app.config.assets_url_path.strip("/") + "/"
    favicon = prefix + "_favicon.ico"

    def fingerprinted(request: flask.Request) -> bool:
        path = request.path
        if path.startswith(suites):
            return check_fingerprint(path.removeprefix(suites))[1]
        if path.startswith(assets):
            return "m" in request.args
        return path == favicon and "v" in request.args

    def hook(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.method not in ("GET", "HEAD"):
            return response
        if response.status_code in (200, 304) and fingerprinted(request):
            response.headers["Cache-Control"] = IMMUTABLE
        elif "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = REVALIDATE
        return response

    return hook


def warm_up(app: dash.Dash) -> None:
    """Run Dash's first-request setup (scripts, callback map, the pages' router) before serving.

    Dash does that setup inside the first request; browser requests that arrive while it runs
    get a page config without the pages' router callback and fail to render. Doing it once
    here, before the server accepts connections, closes that race. It renders the shell only:
    no page layout runs and the store is not read, so start-up does not depend on its size.
    """
    with app.server.test_client() as client:
        client.get("/_dash-layout", environ_base={auth.IN_PROCESS: True})


def shell() -> html.Div:
    """The frame around every page."""
    links = [
        dbc.NavItem(dbc.NavLink(label, href=href, active="exact", id=ids.nav_link(label)))
        for label, href in NAV
    ]
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span("◷", className="brand-mark"), "tracker"],
                    href="/",
                    className="fw-semibold",
                ),
                dbc.NavbarToggler(id=ids.APP_NAV_TOGGLE),
                dbc.Collapse(
                    dbc.Nav(links, className="me-auto", navbar=True),
                    id=ids.APP_NAV_COLLAPSE,
                    navbar=True,
                ),
                *account(),
                dbc.Button(
                    "◐ Theme",
                    id=ids.APP_THEME_TOGGLE,
                    color="secondary",
                    outline=True,
                    size="sm",
                    className="ms-lg-2 theme-toggle",
                    title="Switch between light and dark theme",
                ),
            ],
            fluid="xxl",
        ),
        color="body",
        dark=False,
        class_name="app-navbar border-bottom",
        expand="lg",
    )
    footer = html.Footer(
        dbc.Container(
            html.Div(id=ids.APP_FOOTER, className="small text-body-secondary"),
            fluid="xxl",
        ),
        className="app-footer border-top py-3 mt-4",
    )
    return html.Div(
        [
            dcc.Store(id=ids.APP_THEME, storage_type="local", data="light"),
            html.Div(id=ids.APP_THEME_SINK, hidden=True),
            navbar,
            dbc.Container(dash.page_container, fluid="xxl", className="app-main pt-3"),
            footer,
        ]
    )


def account() -> list:
    """Who is logged in, and the sign-out button (a form posting to /logout with the session's
    CSRF token); nothing when the dashboard has no logins."""
    name = auth.current_login()
    if name is None:
        return []
    return [
        html.Span(
            f"{name} · {auth.current_role()}",
            id=ids.APP_ACCOUNT,
            className="small text-body-secondary ms-lg-2",
        ),
        html.Form(
            [
                dcc.Input(type="hidden", name=auth.CSRF_FIELD, value=auth.csrf_token()),
                dbc.Button(
                    "Sign out",
                    id=ids.APP_SIGN_OUT,
                    type="submit",
                    color="secondary",
                    outline=True,
                    size="sm",
                ),
            ],
            method="post",
            action=auth.LOGOUT_PATH,
            className="ms-lg-2",
        ),
    ]


@dash.callback(Output(ids.APP_FOOTER, "children"), Input("_pages_location", "pathname"))
def footer(_pathname: str | None) -> list:
    """Store path and newest release, re-read on every navigation."""
    path = store_path()
    try:
        with reader(path) as con:
            newest = queries.newest_release(con)
        newest_text = f"newest release {day_label(newest)}" if newest else "no releases yet"
    except TrackerError as exc:
        newest_text = exc.message
    return [
        html.Span("Store "),
        html.Code(str(path), id=ids.APP_FOOTER_STORE),
        html.Span(" · "),
        html.Span(newest_text, id=ids.APP_FOOTER_NEWEST),
        html.Span(" · read-only, refreshed after every append · "),
        html.A("SQL console", href="/sql"),
    ]


clientside_callback(
    """
    function (n, theme) {
        if (!n) { return window.dash_clientside.no_update; }
        return theme === "dark" ? "light" : "dark";
    }
    """,
    Output(ids.APP_THEME, "data"),
    Input(ids.APP_THEME_TOGGLE, "n_clicks"),
    State(ids.APP_THEME, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function (theme) {
        var mode = theme === "dark" ? "dark" : "light";
        document.documentElement.setAttribute("data-bs-theme", mode);
        document.documentElement.setAttribute("data-ag-theme-mode", mode);
        return "";
    }
    """,
    Output(ids.APP_THEME_SINK, "children"),
    Input(ids.APP_THEME, "data"),
)

clientside_callback(
    """
    function (theme, ids) { return ids.map(function () { return theme || "light"; }); }
    """,
    Output({"type": ids.PAGE_THEME_TYPE, "page": ALL}, "data"),
    Input(ids.APP_THEME, "data"),
    Input({"type": ids.PAGE_THEME_TYPE, "page": ALL}, "id"),
)

clientside_callback(
    """
    function (n, isOpen) { return n ? !isOpen : isOpen; }
    """,
    Output(ids.APP_NAV_COLLAPSE, "is_open"),
    Input(ids.APP_NAV_TOGGLE, "n_clicks"),
    State(ids.APP_NAV_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)


def main() -> None:  # pragma: no cover - `tracker serve` is the documented entry point
    create_app(os.environ.get("TRACKER_DB")).run(debug=True)


if __name__ == "__main__":  # pragma: no cover
    main()
