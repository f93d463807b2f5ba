"""WSGI entry point for serving with several worker processes.

    gunicorn -w 2 --threads 1 -b 127.0.0.1:8050 dashboards.wsgi:server

The store is ``$TRACKER_DB`` (default ``data/tracker.duckdb``). Each worker registers itself as a
server of the store, so writers publish snapshots it reads (see tracker.snapshots); the
registration goes when the worker exits.

``TRACKER_LOGIN=1`` asks for a login as ``tracker serve --login`` does (the workers share the
users file and the session key next to it; each counts failed logins on its own), and
``TRACKER_TRUSTED_PROXY=1`` is ``--trusted-proxy``.
"""

from __future__ import annotations

import atexit
import os
import sys

from dashboards.app import create_app, warm_up
from tracker import db, snapshots, users

store = db.resolve(None)
# As `tracker serve` does: an older store's views are refreshed before the first request.
warning = db.update_schema(store)
if warning:
    print(warning, file=sys.stderr)
login = os.environ.get("TRACKER_LOGIN") == "1"
if login and not users.load(users.users_file(store)):
    sys.exit(
        f"error: TRACKER_LOGIN=1 needs at least one user in {users.users_file(store)}: add one "
        "with `tracker users add NAME --role editor`"
    )
app = create_app(store, login=login, trusted_proxy=os.environ.get("TRACKER_TRUSTED_PROXY") == "1")
warm_up(app)
snapshots.register(store)
atexit.register(snapshots.unregister, store)
server = app.server
