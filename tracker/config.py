"""The user's configuration file: API keys for the providers `tracker pull` follows.

``$TRACKER_CONFIG``, else ``$XDG_CONFIG_HOME/tracker/config.toml``, else
``~/.config/tracker/config.toml``::

    [fred]
    api_key = "0123456789abcdef0123456789abcdef"

An environment variable wins over the file (``FRED_API_KEY``). Keys are read when a provider
needs them and are never stored in the store, printed, or put into an error message.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tracker.errors import TrackerError


class ConfigError(TrackerError):
    """The configuration file cannot be read."""


def path() -> Path:
    """Where the configuration file is (it need not exist)."""
    explicit = os.environ.get("TRACKER_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "tracker" / "config.toml"


def load() -> dict:
    """The parsed file, or an empty table when there is none."""
    target = path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"error: cannot read {target}: {reason} (fix or remove it)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a line and column, never the text (which may hold a key).
        raise ConfigError(f"error: {target} is not valid TOML ({exc}); fix it") from None


def secret(section: str, name: str, env: str) -> str | None:
    """``$env`` if set, else ``[section] name`` from the file, else None."""
    value = os.environ.get(env, "").strip()
    if value:
        return value
    table = load().get(section)
    found = table.get(name) if isinstance(table, dict) else None
    if found is not None and not isinstance(found, str):
        raise ConfigError(f"error: {path()}: [{section}] {name} must be a string in quotes")
    return found.strip() if found and found.strip() else None
