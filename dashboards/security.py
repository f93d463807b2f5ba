"""Security headers on every response of the dashboard, login or not.

- **Content-Security-Policy**: scripts only from this server, plus the inline scripts Dash
  writes into its page (the renderer's start, the clientside callbacks, the theme set before the
  first paint), each allowed by the sha256 of its text, computed from the page being sent: no
  ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts. Styles need ``'unsafe-inline'``
  (Dash and plotly set ``style`` attributes). No frames of this app in other sites
  (``frame-ancestors 'none'``), no plugins, forms post only here.
- ``X-Frame-Options: DENY`` (browsers without frame-ancestors), ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``.

Data blocks (``<script type="application/json">``, Dash's config) are not run by browsers, so
the policy does not cover them.
"""

from __future__ import annotations

import base64
import hashlib
import re

import flask

#: An inline ``<script>`` (one without ``src``) and its text.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL | re.I)
#: Script types a browser does not run.
_DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?application/json""", re.I)

POLICY = (
    "default-src 'self'",
    "script-src 'self'{hashes}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def script_hashes(page: str) -> list[str]:
    """CSP sources (``'sha256-…'``) of the inline scripts a browser would run in ``page``."""
    found = []
    for attributes, text in _INLINE_SCRIPT.findall(page):
        if _DATA_TYPE.search(attributes):
            continue
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        found.append(f"'sha256-{digest}'")
    return list(dict.fromkeys(found))


def content_security_policy(page: str | None = None) -> str:
    """The policy for a response; ``page`` is its HTML, whose inline scripts it allows."""
    hashes = "".join(f" {h}" for h in script_hashes(page)) if page else ""
    return "; ".join(POLICY).format(hashes=hashes)


def add_headers(response: flask.Response) -> flask.Response:
    """An ``after_request`` hook: the headers above on every response."""
    page = None
    if response.mimetype == "text/html" and not response.direct_passthrough:
        page = response.get_data(as_text=True)
    response.headers["Content-Security-Policy"] = content_security_policy(page)
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def install(server: flask.Flask) -> None:
    """Add the headers to every response of ``server``.

    Registered after flask-compress (Dash's ``compress=True``), so it runs before it and reads
    the page uncompressed (Flask runs ``after_request`` hooks in reverse order).
    """
    server.after_request(add_headers)
