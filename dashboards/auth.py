"""Logins and roles for a shared dashboard (``tracker serve --login``).

Checked on the server, for every request, before Dash sees it (a ``before_request`` hook):

- Without a session, ``/_dash-*`` and the other ``/_*`` routes answer 401 (JSON), every other
  route redirects to ``/login``.
- Every request that may change something (any method but GET, HEAD and OPTIONS) carries the
  session's CSRF token in the ``X-CSRFToken`` header, or in the form for ``/login`` and
  ``/logout``; otherwise 403. Dash's renderer sends the header from the ``_csrf_token`` cookie,
  which this module sets (a double submit, compared with the token kept in the signed session).
- Dash runs every callback through ``POST /_dash-update-component``, naming the callback by its
  outputs. `NEEDS` maps the outputs of the callbacks that need more than a viewer to the least
  role that may run them; the hook answers 403 when the session's role is below it. Anything not
  listed needs a viewer. Hiding a page or a button is for the eye; this is the protection.

Sessions are Flask-Login's on Flask's signed cookie (HttpOnly, SameSite=Lax, Secure behind an
HTTPS proxy: ``--trusted-proxy``), signed with a key kept next to the users file (0600), so they
survive a restart and are shared by gunicorn's workers. The session names the login and a
fingerprint of its password hash: `tracker users passwd` or `remove` ends its sessions at their
next request, and `tracker users role` applies at once (the users file is read per request).

Failed logins are limited to `MAX_FAILURES_PER_NAME` per login name and
`MAX_FAILURES_PER_ADDRESS` per client address in `FAILURE_WINDOW` seconds, counted in this
process's memory (a restart forgets them; each gunicorn worker counts its own).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dash
import flask
from werkzeug.wrappers import Response

from dashboards import ids
from tracker import users
from tracker.vocab import ROLES, Role

#: The least role that may run a callback, by the id of one of its outputs (a pattern-matching
#: id by its ``type``). A callback that reads the SQL console, uploads, retracts or pulls must be
#: listed here; anything not listed needs a viewer.
NEEDS: dict[str, Role] = {
    # The SQL console: run a query, download its CSV, insert an example or a view's query.
    ids.SQL_RESULTS: "analyst",
    ids.SQL_DOWNLOAD: "analyst",
    ids.SQL_EDITOR: "analyst",
    # The Explorer's CSV download.
    ids.EXPLORE_DOWNLOAD: "analyst",
    # Appending a release: the dry run of an upload, and its confirmation.
    ids.RELEASES_PREVIEW: "editor",
    ids.RELEASES_RESULT: "editor",
    # The Explorer's watchlist stars: they change the team's Overview, kept in the store.
    ids.EXPLORE_WATCH_TYPE: "editor",
}

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
UPDATE_PATH = "/_dash-update-component"
#: Dash reads its CSRF token from this cookie and sends it in this header (Dash's defaults).
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "tracker_session"
SESSION_HOURS = 12
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A WSGI environ key that only an in-process caller can set (HTTP headers arrive as
#: ``HTTP_*``): `dashboards.app.warm_up` runs Dash's set-up through it before serving.
IN_PROCESS = "tracker.in_process"

MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = 15 * 60
#: Names or addresses counted before the counts out of the window are swept.
SWEEP_ABOVE = 10_000


def needed_role(body: Any) -> Role:
    """The least role that may run the callback a ``/_dash-update-component`` body names.

    Dash picks the callback by the body's ``output`` (``"id.prop"``, or ``"..a.p...b.q.."`` for
    several outputs); the ``outputs`` list is checked too, so neither can smuggle a protected
    output past the other.
    """
    if not isinstance(body, dict):
        return ROLES[0]
    named: list[Any] = []
    output = body.get("output")
    if isinstance(output, str):
        # As Dash splits it (dash._utils.split_callback_id): "..a.p...b.q.." or "a.p".
        chunks = output[2:-2].split("...") if output.startswith("..") else [output]
        named += [chunk.rsplit(".", 1)[0] for chunk in chunks if "." in chunk]
    outputs = body.get("outputs")
    for item in outputs if isinstance(outputs, list) else [outputs]:
        if isinstance(item, dict):
            named.append(item.get("id"))
    roles = [NEEDS.get(_id_name(component) or "", ROLES[0]) for component in named]
    return max(roles, key=ROLES.index, default=ROLES[0])


def _id_name(component_id: Any) -> str | None:
    """A component id as `NEEDS` names it: the id, or a pattern-matching id's ``type``."""
    if isinstance(component_id, str) and component_id.startswith("{"):
        try:
            component_id = json.loads(component_id)
        except ValueError:
            return None
    if isinstance(component_id, dict):
        kind = component_id.get("type")
        return kind if isinstance(kind, str) else None
    return component_id if isinstance(component_id, str) else None


# Who is asking --------------------------------------------------------------------------------


def login_enabled() -> bool:
    """Whether this app asks for a login (``tracker serve --login``); False outside an app."""
    return flask.has_app_context() and bool(flask.current_app.config.get("TRACKER_LOGIN"))


def current_login() -> str | None:
    """The login of this request's session (None when the dashboard has no logins)."""
    if not login_enabled():
        return None
    from flask_login import current_user

    return current_user.name if current_user.is_authenticated else None


def current_role() -> Role | None:
    """The role of this request's session; without logins, everyone may do everything (the
    server listens on loopback only, or behind a proxy that checks)."""
    if not login_enabled():
        return ROLES[-1]
    from flask_login import current_user

    return current_user.role if current_user.is_authenticated else None


def may(needed: Role) -> bool:
    """Whether this request's session may do what needs ``needed``."""
    return users.allows(current_role(), needed)


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = flask.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        flask.session[CSRF_FIELD] = token
    return token


# Failed logins --------------------------------------------------------------------------------


class FailedLogins:
    """Failed logins in the last ``window`` seconds, per login name and per client address."""

    def __init__(
        self,
        *,
        per_name: int = MAX_FAILURES_PER_NAME,
        per_address: int = MAX_FAILURES_PER_ADDRESS,
        window: float = FAILURE_WINDOW,
    ):
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._lock = threading.Lock()
        self._names: dict[str, deque[float]] = {}
        self._addresses: dict[str, deque[float]] = {}

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> deque[float]:
        times = table.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if times:
            table[key] = times
        else:
            table.pop(key, None)
        return times

    def wait(self, name: str, address: str) -> float:
        """Seconds until ``name`` may try again from ``address`` (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [0.0]
            for table, key, limit in (
                (self._names, name, self.per_name),
                (self._addresses, address, self.per_address),
            ):
                times = self._recent(table, key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window - now)
            return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for table, key in ((self._names, name), (self._addresses, address)):
                if len(table) > SWEEP_ABOVE:  # forget what is out of the window everywhere
                    for stale in list(table):
                        self._recent(table, stale, now)
                self._recent(table, key, now)
                table.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._names.pop(name, None)


# The session key ------------------------------------------------------------------------------


def session_key(users_path: Path) -> bytes:
    """The key that signs sessions, kept next to the users file (readable by its owner only)
    and made on first use."""
    path = users_path.with_name(users_path.name + ".session-key")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_bytes()
            if len(key) >= 32:
                return key
            time.sleep(0.02)
        raise users.UserError(
            f"error: {path} holds no session key; delete it and start the server again"
        ) from None
    key = secrets.token_bytes(32)
    with os.fdopen(handle, "wb") as fh:
        fh.write(key)
    return key


# Installing it on the app ---------------------------------------------------------------------


def install(app: dash.Dash, users_path: Path, *, secure_cookies: bool = False) -> None:
    """Require a login on every route of ``app``, with the roles of the users in ``users_path``."""
    from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

    server = app.server
    key = session_key(users_path)
    server.config.update(
        TRACKER_LOGIN=True,
        SECRET_KEY=key,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    failures = FailedLogins()

    def fingerprint(user: users.User) -> str:
        """Changes with the password; tells nothing about the hash (the cookie is only signed)."""
        return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    class Session(UserMixin):
        def __init__(self, user: users.User):
            self.name = user.name
            self.role = user.role
            self.id = f"{user.name}:{fingerprint(user)}"

    manager = LoginManager()
    manager.session_protection = "strong"
    manager.init_app(server)

    @manager.user_loader
    def load_user(session_id: str) -> Session | None:
        name, _, _ = session_id.partition(":")
        user = users.load(users_path).get(name)
        if user is None:
            return None
        session = Session(user)
        return session if hmac.compare_digest(session.id, session_id) else None

    def refuse(status: int, message: str) -> flask.Response:
        response = flask.jsonify({"error": message})
        response.status_code = status
        return response

    def form_token_ok() -> bool:
        sent = flask.request.form.get(CSRF_FIELD, "")
        kept = flask.session.get(CSRF_FIELD)
        return isinstance(kept, str) and hmac.compare_digest(sent.encode(), kept.encode())

    # Dash's own routes, under its prefix (DASH_ROUTES_PATHNAME_PREFIX / DASH_URL_BASE_PATHNAME
    # move them, e.g. to /tracker/_dash-update-component behind a proxy).
    dash_routes = app.config.routes_pathname_prefix + "_"
    update_path = app.config.routes_pathname_prefix + UPDATE_PATH.lstrip("/")

    def guard() -> Response | None:
        request = flask.request
        if request.path == LOGIN_PATH or request.environ.get(IN_PROCESS) is True:
            return None
        if not current_user.is_authenticated:
            if request.path.startswith(("/_", dash_routes)):
                return refuse(401, "log in first: open /login")
            return flask.redirect(f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'))}")
        kept = csrf_token()
        if request.method not in SAFE_METHODS and request.path != LOGOUT_PATH:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), kept.encode()):
                return refuse(403, "the request has no valid CSRF token: reload the page")
        if request.path == update_path and request.method == "POST":
            needed = needed_role(request.get_json(silent=True))
            if not users.allows(current_user.role, needed):
                return refuse(
                    403, f"{current_user.name} is a {current_user.role}; this needs {needed}"
                )
        return None

    def set_csrf_cookie(response: flask.Response) -> flask.Response:
        token = flask.session.get(CSRF_FIELD)
        if isinstance(token, str) and flask.request.cookies.get(CSRF_COOKIE) != token:
            # Read by Dash's renderer (so not HttpOnly) and echoed in the X-CSRFToken header.
            response.set_cookie(
                CSRF_COOKIE, token, samesite="Lax", secure=secure_cookies, httponly=False
            )
        return response

    def login_view() -> Response | str | tuple[str, int]:
        request = flask.request
        target = _safe_next(request.values.get("next"))
        if current_user.is_authenticated and request.method == "GET":
            return flask.redirect(target)
        if request.method == "GET":
            return login_page(csrf_token(), target)
        if not form_token_ok():
            return login_page(csrf_token(), target, "The form expired: try again."), 403
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        address = request.remote_addr or "unknown"
        wait = failures.wait(name, address)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            message = f"Too many failed logins: try again in {minutes} minute(s)."
            return login_page(csrf_token(), target, message, name=name), 429
        user = users.verify(users_path, name, password)
        if user is None:
            failures.failed(name, address)
            return login_page(csrf_token(), target, "Wrong name or password.", name=name), 401
        failures.succeeded(name)
        flask.session.clear()  # a new session (and CSRF token) for the login
        flask.session.permanent = True
        login_user(Session(user))
        csrf_token()
        return flask.redirect(target, code=303)

    def logout_view() -> Response:
        if not form_token_ok():
            return refuse(403, "the request has no valid CSRF token: reload the page")
        logout_user()
        flask.session.clear()
        response = flask.redirect(LOGIN_PATH, code=303)
        response.delete_cookie(CSRF_COOKIE)
        return response

    server.add_url_rule(LOGIN_PATH, "tracker_login", login_view, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "tracker_logout", logout_view, methods=["POST"])
    # First in line: nothing of Dash runs for a request that is refused.
    server.before_request_funcs.setdefault(None, []).insert(0, guard)
    server.after_request(set_csrf_cookie)


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this server, never another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


# The login page (no script: the Content-Security-Policy allows none inline) ------------------

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f5f6f8; color: #212529; margin: 0; }
main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
       border: 1px solid #dee2e6; border-radius: .5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1.2rem; }
label { display: block; margin: .8rem 0 .3rem; font-size: .9rem; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem;
       border: 1px solid #ced4da; border-radius: .3rem; font-size: 1rem; }
button { margin-top: 1.2rem; width: 100%; padding: .6rem; border: 0; border-radius: .3rem;
         background: #0d6efd; color: #fff; font-size: 1rem; cursor: pointer; }
.error { background: #f8d7da; color: #842029; padding: .6rem; border-radius: .3rem; }
"""


def login_page(token: str, target: str, message: str | None = None, *, name: str = "") -> str:
    """The login form (served by Flask, not Dash)."""
    error = f'<p class="error" id="login-error">{html.escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · tracker</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>◷ tracker</h1>
{error}
<form method="post" action="{LOGIN_PATH}" id="login-form">
<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">
<input type="hidden" name="next" value="{html.escape(target)}">
<label for="login-name">Name</label>
<input type="text" id="login-name" name="name" value="{html.escape(name)}"
       autocomplete="username" required autofocus>
<label for="login-password">Password</label>
<input type="password" id="login-password" name="password" autocomplete="current-password"
       required>
<button type="submit" id="login-submit">Log in</button>
</form>
</main>
</body>
</html>
"""
