"""Where things live. Imports nothing from tracker, so every module can use it.

The SQL files and the seed are found through ``importlib.resources``: an installed wheel carries
them inside the package as ``tracker/_sql`` and ``tracker/_data`` (the wheel's ``sources`` in
pyproject.toml); a checkout or an editable install has neither, and reads ``sql/`` and ``data/``
at the top of the repository.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _resource_dir(packaged: str, checkout: str) -> Path:
    """A folder of package data: inside the installed package, else the checkout's own."""
    inside = resources.files("tracker") / packaged
    # Pip installs wheels as files, so the package is a folder on disk (not a zip).
    if isinstance(inside, Path) and inside.is_dir():
        return inside
    return ROOT / checkout


SQL_DIR = _resource_dir("_sql", "sql")
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
CHECKS_DIR = SQL_DIR / "checks"
DATA_DIR = _resource_dir("_data", "data")
#: True when tracker runs from an installed wheel, False in a checkout or an editable install.
INSTALLED = SQL_DIR != ROOT / "sql"


def user_data_dir() -> Path:
    """The per-user folder an installed tracker keeps its store in.

    ``$XDG_DATA_HOME/tracker`` (default ``~/.local/share/tracker``) on Linux and other Unixes,
    ``~/Library/Application Support/tracker`` on macOS, ``%LOCALAPPDATA%\\tracker`` on Windows.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        # The XDG spec says to ignore a relative path.
        base = xdg if os.path.isabs(xdg) else str(Path.home() / ".local" / "share")
    return Path(base) / "tracker"


#: The store used when neither ``--db`` nor ``$TRACKER_DB`` names one: ``data/tracker.duckdb``
#: in a checkout (whatever the current folder), the user data folder when installed (a wheel's
#: package folder is no place for a store, and the current folder changes from call to call).
DEFAULT_DB = user_data_dir() / "tracker.duckdb" if INSTALLED else ROOT / "data" / "tracker.duckdb"


def default_db() -> Path:
    """The store used when no ``--db`` is given: ``$TRACKER_DB``, else `DEFAULT_DB`."""
    env = os.environ.get("TRACKER_DB")
    return Path(env) if env else DEFAULT_DB
