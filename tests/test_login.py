"""`tracker serve --login`: real server, real HTTP, real Chromium.

One `tracker serve --login` subprocess on a free loopback port (a private copy of the seeded
store, with a viewer, an analyst and an editor) serves the module. Every action is tried as each
role, through the page and directly against `/_dash-update-component`, with and without a
session and a CSRF token. No Dash app is built in this process (Dash's page registry is global).
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboards import auth, ids

# `chromium`: one browser for the module, the fixture of the dashboard's browser tests.
from tests.test_dashboard_browser import (  # noqa: F401 (chromium: the imported fixture)
    Watch,
    chromium,
    free_port,
    start_serve,
    stop_serve,
)
from tracker import db, paths, users

PASSWORDS = {
    "viewer": "viewer password 1",
    "analyst": "analyst password 2",
    "editor": "editor password 3",
    "locked": "locked password 4",
    "rotating": "rotating password 5",
}
ROLE_OF = {"viewer": "viewer", "analyst": "analyst", "editor": "editor"}
ROLE_OF |= {"locked": "viewer", "rotating": "viewer"}
SERVE = [sys.executable, "-m", "tracker.cli", "serve"]
GOOD_CSV = b"series_id,period,value\nCHN.EXPORTS.USA.YOY,2025-06,-16.1\n"


def environment(store: Path) -> dict[str, str]:
    env = {**os.environ, "TRACKER_DB": str(store)}
    env.pop("TRACKER_USERS", None)
    env.pop("TRACKER_DEBUG", None)
    return env


def start(store: Path, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    return start_serve(
        store, log, "--login", *args, env=environment(store), ready="/login", timeout=60
    )


stop = stop_serve


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Path:
    path = tmp_path_factory.mktemp("login") / "store.duckdb"
    shutil.copy(seeded_template, path)
    for name, password in PASSWORDS.items():
        users.add(users.users_file(path), name, ROLE_OF[name], password)
    return path


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="module")
def server(store: Path, server_log: Path):
    process, base = start(store, server_log)
    yield base
    stop(process)


# A small HTTP client with cookies, that does not follow redirects ---------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: str

    def json(self):
        return json.loads(self.body)


class _BehindHttps(http.cookiejar.DefaultCookiePolicy):
    """Secure cookies go back too: the proxy in front is the https end."""

    def return_ok_secure(self, cookie, request):
        return True


class Client:
    """``address``: the client as a trusted proxy names it (X-Forwarded-For, over https)."""

    def __init__(self, base: str, *, address: str | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar(_BehindHttps() if address else None)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )
        self.extra = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"} if address else {}

    def request(self, method: str, path: str, data: bytes | None = None, **headers) -> Reply:
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={**self.extra, **headers}
        )
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            body = response.read().decode()
            return Reply(
                response.status,
                dict(response.headers.items()),
                response.headers.get_all("Set-Cookie") or [],
                body,
            )

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def form_token(self) -> str:
        page = self.get("/login").body
        return re.search(rf'name="{auth.CSRF_FIELD}" value="([^"]+)"', page)[1]

    def login(self, name: str, password: str, *, next_path: str = "/") -> Reply:
        form = {"name": name, "password": password, "next": next_path}
        form[auth.CSRF_FIELD] = self.form_token()
        return self.request(
            "POST",
            "/login",
            urllib.parse.urlencode(form).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )

    def callback(self, body: dict, *, csrf: str | None = "cookie", prefix: str = "/") -> Reply:
        headers = {"Content-Type": "application/json"}
        if csrf == "cookie":
            token = self.cookie(auth.CSRF_COOKIE)
            if token:
                headers[auth.CSRF_HEADER] = token
        elif csrf is not None:
            headers[auth.CSRF_HEADER] = csrf
        path = prefix + auth.UPDATE_PATH.lstrip("/")
        return self.request("POST", path, json.dumps(body).encode(), **headers)


def logged_in(server: str, name: str) -> Client:
    client = Client(server)
    reply = client.login(name, PASSWORDS[name])
    assert reply.status == 303, reply.body
    return client


# The callbacks, as Dash's renderer would call them ------------------------------------------


@pytest.fixture(scope="module")
def dependencies(server: str) -> list[dict]:
    return logged_in(server, "editor").get("/_dash-dependencies").json()


def callback_body(dependencies: list[dict], output_id: str, values: dict[str, object]) -> dict:
    """The request Dash's renderer sends for the callback whose first output is ``output_id``;
    ``values`` gives inputs and states by ``"id.property"`` (others are None)."""
    spec = next(
        d
        for d in dependencies
        if d["output"].removeprefix("..").startswith(output_id + ".")
        and "@" not in d["output"].split("...")[0]
    )
    parts = spec["output"]
    chunks = parts[2:-2].split("...") if parts.startswith("..") else [parts]
    outputs = []
    for chunk in chunks:
        component, prop = chunk.rsplit(".", 1)
        outputs.append({"id": component, "property": prop.split("@")[0]})

    def filled(items: list[dict]) -> list[dict]:
        return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    inputs = filled(spec["inputs"])
    return {
        "output": spec["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": filled(spec["state"]),
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def upload_values(*, checked: str | None = None) -> dict[str, object]:
    contents = "data:text/csv;base64," + base64.b64encode(GOOD_CSV).decode()
    return {
        f"{ids.RELEASES_UPLOAD}.contents": contents,
        f"{ids.RELEASES_UPLOAD}.filename": "june.csv",
        f"{ids.RELEASES_SOURCE}.value": "China customs (GAC)",
        f"{ids.RELEASES_PUBLISHED}.value": "2025-07-14",
        f"{ids.RELEASES_TITLE}.value": "June 2025 trade (login test)",
        f"{ids.RELEASES_URL}.value": None,
        f"{ids.RELEASES_FORMAT}.value": "auto",
        f"{ids.RELEASES_CONFIRM}.n_clicks": 1,
        f"{ids.RELEASES_CHECKED}.data": checked,
    }


def actions(dependencies: list[dict]) -> dict[str, dict]:
    """One request per protected action, and one any viewer may make."""
    sql = {f"{ids.SQL_RUN}.n_clicks": 1, f"{ids.SQL_EDITOR}.value": "SELECT 42 AS answer"}
    return {
        "sql": callback_body(dependencies, ids.SQL_RESULTS, sql),
        "sql_download": callback_body(
            dependencies, ids.SQL_DOWNLOAD, {**sql, f"{ids.SQL_DOWNLOAD_BUTTON}.n_clicks": 1}
        ),
        "upload_dry_run": callback_body(dependencies, ids.RELEASES_PREVIEW, upload_values()),
        "upload_confirm": callback_body(
            dependencies, ids.RELEASES_RESULT, upload_values(checked="not checked")
        ),
        "footer": callback_body(
            dependencies, ids.APP_FOOTER, {"_pages_location.pathname": "/releases"}
        ),
    }


def store_state(store: Path) -> tuple:
    with db.reader(store) as con:
        return con.execute(
            "SELECT count(*), max(release_id), (SELECT count(*) FROM observations) FROM releases"
        ).fetchone()


# Without a session ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/sql", "/releases?x=1", "/assets/tracker.css"])
def test_pages_without_a_session_redirect_to_the_login(server, path):
    reply = Client(server).get(path)

    assert reply.status == 302
    assert reply.headers["Location"] == "/login?next=" + urllib.parse.quote(path)


@pytest.mark.parametrize(
    "path", ["/_dash-layout", "/_dash-dependencies", "/_favicon.ico", "/_reload-hash"]
)
def test_dash_routes_without_a_session_answer_401(server, path):
    reply = Client(server).get(path)

    assert reply.status == 401
    assert reply.json() == {"error": "log in first: open /login"}


@pytest.mark.parametrize("action", ["sql", "upload_confirm", "footer"])
def test_callbacks_without_a_session_answer_401(server, dependencies, store, action):
    before = store_state(store)

    reply = Client(server).callback(actions(dependencies)[action], csrf="anything")

    assert reply.status == 401
    assert store_state(store) == before


# Logging in ----------------------------------------------------------------------------------


def test_the_login_page_and_its_cookies(server):
    client = Client(server)
    page = client.get("/login")

    assert page.status == 200
    assert 'id="login-form"' in page.body
    assert "<script" not in page.body
    # The form's token lives in the signed session; the session cookie is not for scripts.
    [session_cookie] = [c for c in page.set_cookies if c.startswith(auth.SESSION_COOKIE + "=")]
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain http on loopback; --trusted-proxy sets it

    reply = client.login("analyst", PASSWORDS["analyst"], next_path="/sql")
    assert (reply.status, reply.headers["Location"]) == (303, "/sql")
    assert client.get("/sql").status == 200


def test_a_wrong_password_or_name_is_refused(server):
    client = Client(server)

    wrong = client.login("analyst", "not the password")
    unknown = client.login("nobody", "not the password")

    assert wrong.status == unknown.status == 401
    assert "Wrong name or password." in wrong.body
    assert client.get("/_dash-layout").status == 401


def test_a_login_without_its_csrf_token_is_refused(server):
    client = Client(server)
    client.get("/login")
    form = urllib.parse.urlencode({"name": "analyst", "password": PASSWORDS["analyst"]})

    reply = client.request(
        "POST", "/login", form.encode(), **{"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert reply.status == 403
    assert client.get("/_dash-layout").status == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_after_login_only_paths_on_this_server(server, target):
    reply = Client(server).login("viewer", PASSWORDS["viewer"], next_path=target)

    assert (reply.status, reply.headers["Location"]) == (303, "/")


def test_the_failed_login_limit_per_name_holds(server):
    client = Client(server)
    for _ in range(auth.MAX_FAILURES_PER_NAME):
        assert client.login("locked", "a wrong password").status == 401

    # Even the right password is refused now, from another client too.
    refused = Client(server).login("locked", PASSWORDS["locked"])

    assert refused.status == 429
    assert "Too many failed logins: try again in 15 minute(s)." in refused.body
    # Other logins are not affected.
    assert Client(server).login("viewer", PASSWORDS["viewer"]).status == 303


def test_the_failed_login_limit_per_address_holds_behind_a_trusted_proxy(store, tmp_path: Path):
    """Behind --trusted-proxy the client's address is the proxy's X-Forwarded-For, and the
    session cookie is sent over https only."""
    process, base = start(store, tmp_path / "proxy.log", "--trusted-proxy")
    try:
        attacker = Client(base, address="203.0.113.7")
        for number in range(auth.MAX_FAILURES_PER_ADDRESS):
            assert attacker.login(f"guess{number}", "a wrong password").status == 401
        refused = attacker.login("viewer", PASSWORDS["viewer"])
        elsewhere = Client(base, address="198.51.100.2").login("viewer", PASSWORDS["viewer"])
    finally:
        stop(process)

    assert refused.status == 429
    assert elsewhere.status == 303
    [session_cookie] = [c for c in elsewhere.set_cookies if c.startswith(auth.SESSION_COOKIE)]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie


def test_sign_out_ends_the_session(server):
    client = logged_in(server, "viewer")
    token = client.cookie(auth.CSRF_COOKIE)  # the session's token, as the navbar's form has it

    without = client.request("POST", "/logout", b"", **{"Content-Type": "text/plain"})
    assert without.status == 403
    assert client.get("/_dash-layout").status == 200

    form = urllib.parse.urlencode({auth.CSRF_FIELD: token}).encode()
    reply = client.request(
        "POST", "/logout", form, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (reply.status, reply.headers["Location"]) == (303, "/login")
    assert client.get("/_dash-layout").status == 401


def test_a_new_password_a_removal_or_a_role_applies_at_the_next_request(
    server, store, dependencies
):
    client = logged_in(server, "rotating")
    sql = actions(dependencies)["sql"]
    assert client.callback(sql).status == 403

    users.set_role(users.users_file(store), "rotating", "analyst")
    assert client.callback(sql).status == 200

    users.set_password(users.users_file(store), "rotating", "a brand new password")
    assert client.callback(sql).status == 401
    assert client.get("/").status == 302

    again = Client(server)
    assert again.login("rotating", "a brand new password").status == 303
    assert again.callback(sql).status == 200
    users.remove(users.users_file(store), "rotating")
    assert again.callback(sql).status == 401


def test_roles_hold_under_a_dash_path_prefix(store, dependencies, tmp_path):
    """Behind a proxy Dash may serve its routes under a prefix (DASH_URL_BASE_PATHNAME): the
    role check follows them there."""
    env = {**environment(store), "DASH_URL_BASE_PATHNAME": "/tracker/"}
    process, base = start_serve(
        store, tmp_path / "prefixed.log", "--login", env=env, ready="/login", timeout=60
    )
    try:
        sql = actions(dependencies)["sql"]
        viewer, analyst = logged_in(base, "viewer"), logged_in(base, "analyst")

        assert viewer.callback(sql, prefix="/tracker/").status == 403
        assert analyst.callback(sql, prefix="/tracker/").status == 200
        assert Client(base).get("/tracker/_dash-layout").status == 401
    finally:
        stop_serve(process)


# Roles, CSRF and forged callbacks ------------------------------------------------------------

ALLOWED = {
    "viewer": {"footer"},
    "analyst": {"footer", "sql", "sql_download"},
    "editor": {"footer", "sql", "sql_download", "upload_dry_run", "upload_confirm"},
}


@pytest.mark.parametrize("role", ["viewer", "analyst", "editor"])
def test_each_role_may_do_what_its_role_allows_and_no_more(server, dependencies, store, role: str):
    client = logged_in(server, role)
    before = store_state(store)

    statuses = {name: client.callback(body).status for name, body in actions(dependencies).items()}

    assert statuses == {name: 200 if name in ALLOWED[role] else 403 for name in statuses}
    # The confirm was sent with a stale dry-run fingerprint: even the editor's wrote nothing.
    assert store_state(store) == before


def test_a_viewers_forged_sql_and_upload_are_refused_and_the_store_is_unchanged(
    server, dependencies, store
):
    client = logged_in(server, "viewer")
    before = store_state(store)
    forged = actions(dependencies)

    sql = client.callback(forged["sql"])
    dry_run = client.callback(forged["upload_dry_run"])
    confirm = client.callback(forged["upload_confirm"])
    # Naming a viewer's callback in `output` with the console among `outputs`, and the reverse.
    smuggled = {**forged["footer"], "outputs": forged["sql"]["outputs"]}
    renamed = {**forged["sql"], "outputs": forged["footer"]["outputs"]}

    assert [sql.status, dry_run.status, confirm.status] == [403, 403, 403]
    assert sql.json() == {"error": "viewer is a viewer; this needs analyst"}
    assert "42" not in sql.body
    assert client.callback(smuggled).status == 403
    assert client.callback(renamed).status == 403
    assert store_state(store) == before


def test_a_callback_without_the_csrf_token_is_refused(server, dependencies):
    client = logged_in(server, "editor")
    footer = actions(dependencies)["footer"]

    assert client.callback(footer, csrf=None).status == 403
    assert client.callback(footer, csrf="a forged token").status == 403
    reply = client.callback(footer)
    assert reply.status == 200
    # The cookie Dash's renderer reads the token from: readable by scripts, same-site only.
    [cookie] = [c for c in client.jar if c.name == auth.CSRF_COOKIE]
    assert not cookie.has_nonstandard_attr("HttpOnly")


def test_an_editors_upload_records_the_login(server, dependencies, store):
    client = logged_in(server, "editor")
    before = store_state(store)

    dry_run = client.callback(callback_body(dependencies, ids.RELEASES_PREVIEW, upload_values()))
    checked = dry_run.json()["response"][ids.RELEASES_CHECKED]["data"]
    confirm = client.callback(
        callback_body(dependencies, ids.RELEASES_RESULT, upload_values(checked=checked))
    )

    assert confirm.status == 200, confirm.body
    assert store_state(store)[0] == before[0] + 1
    with db.reader(store) as con:
        [(who, title)] = con.execute(
            "SELECT ingested_by, title FROM releases ORDER BY release_id DESC LIMIT 1"
        ).fetchall()
    assert (who, title) == ("editor", "June 2025 trade (login test)")
    # The Releases grid shows it.
    grid = client.callback(
        callback_body(
            dependencies,
            ids.RELEASES_TABLE,
            {f"{ids.RELEASES_TABLE}.getRowsRequest": {"startRow": 0, "endRow": 15}},
        )
    )
    rows = grid.json()["response"][ids.RELEASES_TABLE]["getRowsResponse"]["rowData"]
    assert {r["title"]: r["ingested_by"] for r in rows}["June 2025 trade (login test)"] == "editor"


def test_every_callback_that_reads_the_console_or_writes_needs_its_role(dependencies):
    """The table of protected callbacks covers the SQL console, the downloads, the upload and
    the watchlist stars; every other callback is a viewer's."""
    protected = {d["output"]: auth.needed_role({"output": d["output"]}) for d in dependencies}
    protected = {output: role for output, role in protected.items() if role != "viewer"}

    firsts = {output.removeprefix("..").split(".")[0]: role for output, role in protected.items()}
    assert firsts == {
        ids.SQL_RESULTS: "analyst",
        ids.SQL_DOWNLOAD: "analyst",
        ids.SQL_EDITOR: "analyst",
        ids.EXPLORE_DOWNLOAD: "analyst",
        ids.RELEASES_PREVIEW: "editor",
        ids.RELEASES_RESULT: "editor",
        json.dumps({"series": ["ALL"], "type": ids.EXPLORE_WATCH_TYPE}, separators=(",", ":")): (
            "editor"
        ),
    }
    assert len(protected) == 7


def test_needed_role_reads_every_form_of_a_callbacks_outputs():
    needs = auth.needed_role

    assert needs({"output": f"{ids.SQL_DOWNLOAD}.data"}) == "analyst"
    assert needs({"output": f"..{ids.RELEASES_RESULT}.children...x.y@1a2b.."}) == "editor"
    assert needs({"output": "app-footer.children"}) == "viewer"
    assert needs({"output": "app-footer.children", "outputs": [{"id": ids.SQL_RESULTS}]}) == (
        "analyst"
    )
    pattern = json.dumps({"index": 1, "type": ids.SQL_EDITOR})
    assert needs({"output": f"{pattern}.value"}) == "analyst"
    assert needs({"outputs": {"id": {"type": ids.SQL_EDITOR, "index": 2}}}) == "analyst"
    assert needs(["not", "a", "body"]) == needs({"output": 7}) == "viewer"


def test_failed_logins_are_forgotten_after_the_window(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    limit = auth.FailedLogins(per_name=2, per_address=3, window=60)

    limit.failed("maria", "10.0.0.1")
    now[0] += 10
    limit.failed("maria", "10.0.0.1")
    assert limit.wait("maria", "10.0.0.9") == 50  # the first failure leaves the window at 1060
    assert limit.wait("ivan", "10.0.0.1") == 0
    limit.failed("ivan", "10.0.0.1")
    assert limit.wait("ivan", "10.0.0.1") == 50  # the address: 3 failures
    now[0] += 50  # 1060: the failures at 1000 are out of the window
    assert limit.wait("maria", "10.0.0.9") == limit.wait("ivan", "10.0.0.1") == 0
    limit.failed("maria", "10.0.0.9")
    assert limit.wait("maria", "10.0.0.9") == 10  # failures at 1010 and 1060
    limit.succeeded("maria")  # a login clears the name's count, not the address's
    assert limit.wait("maria", "10.0.0.9") == 0


# Headers and the page source -----------------------------------------------------------------


def test_security_headers_and_no_secrets_in_the_page(server, store):
    client = logged_in(server, "editor")
    page = client.get("/")
    layout = client.get("/_dash-layout")

    policy = page.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src "))
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page.body)
    assert inline, "Dash's page has inline scripts; each must be allowed by its hash"
    assert script_src.count("'sha256-") == len(inline)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"

    key = users.users_file(store).parent / (users.users_file(store).name + ".session-key")
    secrets = [key.read_bytes().hex(), base64.b64encode(key.read_bytes()).decode()]
    secrets += [u.password_hash for u in users.load(users.users_file(store)).values()]
    secrets += list(PASSWORDS.values())
    for text in (page.body, layout.body):
        assert [s for s in secrets if s in text] == []
        assert "$argon2" not in text
    # Who is logged in, in the navbar.
    assert "editor · editor" in json.dumps(layout.json(), ensure_ascii=False)


def test_no_password_reaches_the_servers_output(server, server_log, store):
    Client(server).login("analyst", "a mistyped password")
    logged_in(server, "analyst")

    output = server_log.read_text()
    assert "a mistyped password" not in output
    assert [p for p in PASSWORDS.values() if p in output] == []
    assert "$argon2" not in output


# The command line ----------------------------------------------------------------------------


def run_serve(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SERVE, "--db", str(store), *args],
        capture_output=True,
        text=True,
        env=environment(store),
        cwd=paths.ROOT,
        timeout=60,
    )


def test_listening_beyond_loopback_without_login_is_one_line_and_exit_1(store):
    done = run_serve(store, "--host", "0.0.0.0", "--port", str(free_port()))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: listening on 0.0.0.0 needs --login (add users with `tracker users add NAME "
        "--role viewer`), or --no-login behind a proxy of your own that checks who comes in\n"
    )


def test_login_without_users_is_one_line_and_exit_1(tmp_path, seeded_template):
    empty = tmp_path / "store.duckdb"
    shutil.copy(seeded_template, empty)

    done = run_serve(empty, "--login", "--port", str(free_port()))

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: --login needs at least one user in {empty}.users.json: add one with "
        "`tracker users add NAME --role editor`\n"
    )


def test_no_login_beyond_loopback_warns(tmp_path, seeded_template):
    """127.0.0.2 is not 127.0.0.1: the same rule as 0.0.0.0, while staying on this machine."""
    copy = tmp_path / "store.duckdb"
    shutil.copy(seeded_template, copy)
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--db", str(copy), "--host", "127.0.0.2", "--port", str(port), "--no-login"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(copy),
        cwd=paths.ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.2:{port}/", timeout=30) as page:
                    assert page.status == 200
                    break
            except urllib.error.URLError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)

    assert stderr.splitlines()[0] == (
        "warning: listening on 127.0.0.2 with --no-login: unless your proxy checks who comes "
        "in, anyone who reaches the port can read everything, run SQL and append releases"
    )


# In Chromium -----------------------------------------------------------------------------------


@pytest.fixture
def tab(chromium, server):  # noqa: F811 (the imported fixture)
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(page)
    page.console_errors = watch.errors
    yield page
    context.close()
    # A script the Content-Security-Policy blocked would show here.
    watch.assert_clean(server)


def log_in(tab, server: str, name: str, password: str, path: str = "/") -> None:
    tab.goto(server + path)
    tab.locator("#login-name").fill(name)
    tab.locator("#login-password").fill(password)
    tab.locator("#login-submit").click()


@pytest.mark.browser
def test_in_chromium_an_analyst_logs_in_and_uses_the_console_but_cannot_upload(tab, server):
    from playwright import sync_api

    tab.goto(server + "/sql")
    assert tab.url.startswith(server + "/login?next=")
    log_in(tab, server, "analyst", "a wrong password", "/sql")
    sync_api.expect(tab.locator("#login-error")).to_have_text("Wrong name or password.")
    tab.console_errors.clear()  # the browser logs the refused login's 401
    tab.locator("#login-password").fill(PASSWORDS["analyst"])
    tab.locator("#login-submit").click()

    tab.wait_for_url(server + "/sql")
    sync_api.expect(tab.locator(f"#{ids.APP_ACCOUNT}")).to_have_text("analyst · analyst")
    sync_api.expect(tab.locator(f"#{ids.SQL_ROW_COUNT}")).to_contain_text("rows")
    tab.locator(f"#{ids.SQL_EDITOR}").fill("SELECT 40 + 2 AS answer")
    tab.locator(f"#{ids.SQL_RUN}").click()
    sync_api.expect(tab.locator(f"#{ids.SQL_RESULTS}")).to_contain_text("42")

    tab.locator(f"#{ids.nav_link('Releases')}").click()
    sync_api.expect(tab.locator(f"#{ids.RELEASES_FORBIDDEN}")).to_contain_text(
        "needs the editor role"
    )
    sync_api.expect(tab.locator(f"#{ids.RELEASES_TABLE}")).to_contain_text("Appended by")
    assert tab.locator(f"#{ids.RELEASES_UPLOAD}").count() == 0

    tab.locator(f"#{ids.APP_SIGN_OUT}").click()
    tab.wait_for_url(server + "/login")
    tab.goto(server + "/sql")
    assert tab.url.startswith(server + "/login?next=")


@pytest.mark.browser
def test_in_chromium_a_viewer_sees_the_pages_but_not_the_console(tab, server):
    from playwright import sync_api

    log_in(tab, server, "viewer", PASSWORDS["viewer"], "/sql")

    tab.wait_for_url(server + "/sql")
    sync_api.expect(tab.locator(f"#{ids.SQL_FORBIDDEN}")).to_contain_text("needs the analyst role")
    assert tab.locator(f"#{ids.SQL_EDITOR}").count() == 0
    tab.goto(server + "/explore?series=CHN.EXPORTS.YOY")
    tab.wait_for_selector(f"#{ids.EXPLORE_GRAPH} .js-plotly-plot")
    sync_api.expect(tab.locator(f"#{ids.EXPLORE_DOWNLOAD_BUTTON}")).to_be_disabled()
    # The watchlist star is a mark, not a button: no callback a viewer would be refused.
    sync_api.expect(tab.locator(".watch-star-static.watched")).to_have_count(1)
    assert tab.locator(".watch-star").count() == 0

    # The session ends (here: its cookies go): the next callback's 401 leads to the login page.
    tab.context.clear_cookies()
    tab.locator(f"#{ids.nav_link('Revisions')}").click()
    tab.wait_for_url(server + "/login?next=%2Frevisions")
    tab.locator("#login-name").wait_for()
    tab.console_errors.clear()  # the browser logs the callback's 401


@pytest.mark.browser
def test_in_chromium_an_editor_uploads_and_the_release_shows_who(tab, server, store, tmp_path):
    from playwright import sync_api

    good = tmp_path / "june_imports.csv"
    good.write_text("series_id,period,value\nCHN.IMPORTS.YOY,2025-06,1.1\n")
    log_in(tab, server, "editor", PASSWORDS["editor"], "/releases")
    tab.wait_for_url(server + "/releases")

    tab.locator(f"#{ids.RELEASES_SOURCE}").fill("China customs (GAC)")
    tab.locator(f"#{ids.RELEASES_SOURCE}").press("Enter")
    tab.locator(f"#{ids.RELEASES_PUBLISHED}").fill("2025-07-14")
    tab.locator(f"#{ids.RELEASES_TITLE}").fill("June 2025 imports (login browser test)")
    tab.locator(f"#{ids.RELEASES_TITLE}").press("Enter")
    tab.locator(f"#{ids.RELEASES_UPLOAD} input[type=file]").set_input_files(str(good))
    sync_api.expect(tab.locator(f"#{ids.RELEASES_DRY_RUN}")).to_contain_text("would add 1 new")
    tab.locator(f"#{ids.RELEASES_CONFIRM}").click()
    sync_api.expect(tab.locator(f"#{ids.RELEASES_APPENDED}")).to_contain_text("1 new")

    row = tab.locator(f"#{ids.RELEASES_TABLE} .ag-row").filter(
        has_text="June 2025 imports (login browser test)"
    )
    sync_api.expect(row).to_contain_text("editor")
    with db.reader(store) as con:
        [(who,)] = con.execute(
            "SELECT ingested_by FROM releases WHERE title = 'June 2025 imports (login browser test)'"
        ).fetchall()
    assert who == "editor"
