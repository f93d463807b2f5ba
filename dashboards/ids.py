"""Component ids: one name for each, used by the layouts, the callbacks and the browser tests.

Ids are prefixed with their page's name (Dash Pages' habit); a pattern-matching id is a dict whose
``type`` is one of the ``*_TYPE`` names below.
"""

from __future__ import annotations

# The shell ------------------------------------------------------------------------------------
APP_THEME = "app-theme"
APP_THEME_SINK = "app-theme-sink"
APP_THEME_TOGGLE = "app-theme-toggle"
APP_NAV_TOGGLE = "app-nav-toggle"
APP_NAV_COLLAPSE = "app-nav-collapse"
APP_FOOTER = "app-footer"
APP_FOOTER_STORE = "app-footer-store"
APP_FOOTER_NEWEST = "app-footer-newest"
APP_ACCOUNT = "app-account"
APP_SIGN_OUT = "app-sign-out"
#: A page's copy of the theme: ``{"type": PAGE_THEME_TYPE, "page": name}``.
PAGE_THEME_TYPE = "page-theme"


def nav_link(label: str) -> str:
    """The navbar link of a page (``app-nav-overview``)."""
    return f"app-nav-{label.lower()}"


# Overview -------------------------------------------------------------------------------------
OVERVIEW_ERROR = "overview-error"
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_FEED = "overview-feed"
OVERVIEW_EVENTS = "overview-events"
OVERVIEW_CALENDAR = "overview-calendar"
#: ``{"type": OVERVIEW_CARD_TYPE, "series": series_id}``, and its value the same way.
OVERVIEW_CARD_TYPE = "overview-card"
OVERVIEW_VALUE_TYPE = "overview-value"
OVERVIEW_EXPECTED_TYPE = "overview-expected"
OVERVIEW_FRESHNESS_TYPE = "overview-freshness"

# Explorer -------------------------------------------------------------------------------------
#: ``{"type": EXPLORE_WATCH_TYPE, "series": series_id}``: the star that puts it on the Overview.
EXPLORE_WATCH_TYPE = "explore-watch"
EXPLORE_WATCH_NOTE = "explore-watch-note"
EXPLORE_ERROR = "explore-error"
EXPLORE_SERIES = "explore-series"
EXPLORE_TRANSFORM = "explore-transform"
EXPLORE_TRANSFORM_HELP = "explore-transform-help"
EXPLORE_REFUSALS = "explore-refusals"
EXPLORE_FREQ = "explore-freq"
EXPLORE_AGG = "explore-agg"
EXPLORE_REBASE = "explore-rebase"
EXPLORE_AS_OF = "explore-as-of"
EXPLORE_AS_OF_CLEAR = "explore-as-of-clear"
EXPLORE_OPTIONS = "explore-options"
EXPLORE_DOWNLOAD_BUTTON = "explore-download-button"
EXPLORE_DOWNLOAD = "explore-download"
EXPLORE_ALERT = "explore-alert"
EXPLORE_EMPTY = "explore-empty"
EXPLORE_NOTHING = "explore-nothing"
EXPLORE_GRAPH = "explore-graph"
EXPLORE_GRAPH_WRAP = "explore-graph-wrap"
EXPLORE_INFO = "explore-info"
EXPLORE_RANGE = "explore-range"
EXPLORE_QUERY = "explore-query"
EXPLORE_URL_SINK = "explore-url-sink"

# Revisions ------------------------------------------------------------------------------------
REVISIONS_ERROR = "revisions-error"
REVISIONS_TARGET = "revisions-target"
REVISIONS_FORECAST = "revisions-forecast"
REVISIONS_EVOLUTION = "revisions-evolution"
REVISIONS_EVOLUTION_ALERT = "revisions-evolution-alert"
REVISIONS_SERIES = "revisions-series"
REVISIONS_TRIANGLE = "revisions-triangle"
REVISIONS_TRIANGLE_ALERT = "revisions-triangle-alert"
REVISIONS_TRIANGLE_OLDER = "revisions-triangle-older"
REVISIONS_TRIANGLE_NEWER = "revisions-triangle-newer"
REVISIONS_TRIANGLE_WINDOW = "revisions-triangle-window"
REVISIONS_TRIANGLE_SHOWN = "revisions-triangle-shown"
REVISIONS_FIRST = "revisions-first"
REVISIONS_FIRST_HEADER = "revisions-first-header"
REVISIONS_STATS = "revisions-stats"
REVISIONS_STATS_ERROR = "revisions-stats-error"

# Releases -------------------------------------------------------------------------------------
RELEASES_ERROR = "releases-error"
RELEASES_FORBIDDEN = "releases-forbidden"
RELEASES_COUNT = "releases-count"
RELEASES_TABLE = "releases-table"
RELEASES_GRID_SINK = "releases-grid-sink"
RELEASES_UPLOAD = "releases-upload"
RELEASES_FILE = "releases-file"
RELEASES_SOURCE = "releases-source"
RELEASES_PUBLISHED = "releases-published"
RELEASES_TITLE = "releases-title"
RELEASES_URL = "releases-url"
RELEASES_FORMAT = "releases-format"
RELEASES_PREVIEW = "releases-preview"
RELEASES_DRY_RUN = "releases-dry-run"
RELEASES_CONFIRM = "releases-confirm"
RELEASES_RESULT = "releases-result"
RELEASES_APPENDED = "releases-appended"
RELEASES_CHECKED = "releases-checked"
#: ``{"type": RELEASES_DIFF_TYPE, "file": file_name}``: the dry run's table of one file.
RELEASES_DIFF_TYPE = "releases-diff"

# SQL ------------------------------------------------------------------------------------------
SQL_ERROR = "sql-error"
SQL_FORBIDDEN = "sql-forbidden"
SQL_EDITOR = "sql-editor"
SQL_RUN = "sql-run"
SQL_DOWNLOAD_BUTTON = "sql-download-button"
SQL_DOWNLOAD = "sql-download"
SQL_STATUS = "sql-status"
SQL_ROW_COUNT = "sql-row-count"
SQL_ALERT = "sql-alert"
SQL_RESULTS = "sql-results"
SQL_OBJECTS = "sql-objects"
#: ``{"type": SQL_EXAMPLE_TYPE, "index": i}`` and ``{"type": SQL_OBJECT_TYPE, "index": name}``.
SQL_EXAMPLE_TYPE = "sql-example"
SQL_OBJECT_TYPE = "sql-object"
