"""Where things live. Imports nothing from tracker, so every module can use it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
CHECKS_DIR = SQL_DIR / "checks"
DATA_DIR = ROOT / "data"
DEFAULT_DB = DATA_DIR / "tracker.duckdb"


def default_db() -> Path:
    """The store used when no ``--db`` is given: ``$TRACKER_DB`` or ``data/tracker.duckdb``."""
    env = os.environ.get("TRACKER_DB")
    return Path(env) if env else DEFAULT_DB
