"""WSGI entry point for serving with several worker processes.

    gunicorn -w 2 --threads 1 -b 127.0.0.1:8050 dashboards.wsgi:server

The store is ``$TRACKER_DB`` (default ``data/tracker.duckdb``). Each worker registers itself as a
server of the store, so writers publish snapshots it reads (see tracker.snapshots); the
registration goes when the worker exits.
"""

from __future__ import annotations

import atexit
import sys

from dashboards.app import create_app, warm_up
from tracker import db, snapshots

store = db.resolve(None)
# As `tracker serve` does: an older store's views are refreshed before the first request.
warning = db.update_schema(store)
if warning:
    print(warning, file=sys.stderr)
app = create_app(store)
warm_up(app)
snapshots.register(store)
atexit.register(snapshots.unregister, store)
server = app.server
