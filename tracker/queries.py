"""Typed readers over the public views, returning Polars frames.

Every reader takes an open connection; `tracker.api.Store` opens and closes them for you.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from tracker import db
from tracker.errors import QueryError, SeriesError, StoreError, TransformError

Moment = date | datetime | str


def _ts(value: Moment) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(
            f"error: '{value}' is not a date (use YYYY-MM-DD, e.g. --as-of 2025-06-01)"
        ) from None


def require_series(con: duckdb.DuckDBPyConnection, series_id: str) -> dict:
    """The catalogue row of ``series_id``, or a `SeriesError` that suggests close ids."""
    rel = con.sql("SELECT * FROM series WHERE series_id = $id", params={"id": series_id})
    rows = rel.pl().to_dicts()
    if rows:
        return rows[0]
    close = (
        con.sql(
            """
        SELECT series_id FROM series
        ORDER BY jaro_winkler_similarity(lower(series_id), lower($id)) DESC LIMIT 3
        """,
            params={"id": series_id},
        )
        .pl()["series_id"]
        .to_list()
    )
    hint = f" (did you mean {', '.join(close)}? `tracker series` lists them)" if close else ""
    raise SeriesError(f"error: unknown series '{series_id}'{hint}")


def latest(con: duckdb.DuckDBPyConnection, series_id: str | None = None) -> pl.DataFrame:
    """The newest version of every observation (or of one series), by series and period."""
    if series_id is None:
        return con.sql("SELECT * FROM latest ORDER BY series_id, period").pl()
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM latest WHERE series_id = $id ORDER BY period", params={"id": series_id}
    ).pl()


def series(
    con: duckdb.DuckDBPyConnection, series_id: str, *, as_of: Moment | None = None
) -> pl.DataFrame:
    """One series as now known, or as known at ``as_of`` (a date means that whole day)."""
    require_series(con, series_id)
    if as_of is None:
        return latest(con, series_id)
    return con.sql(
        "SELECT * FROM asof($ts) WHERE series_id = $id ORDER BY period",
        params={"ts": _ts(as_of), "id": series_id},
    ).pl()


def vintages(con: duckdb.DuckDBPyConnection, series_id: str) -> pl.DataFrame:
    """Every version of every observation of a series, oldest release first."""
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM vintages WHERE series_id = $id ORDER BY period, release_id",
        params={"id": series_id},
    ).pl()


def revisions(con: duckdb.DuckDBPyConnection, series_id: str | None = None) -> pl.DataFrame:
    """Values that changed between releases (all series, or one)."""
    if series_id is None:
        return con.sql("SELECT * FROM revisions ORDER BY series_id, period, release_id").pl()
    require_series(con, series_id)
    return con.sql(
        "SELECT * FROM revisions WHERE series_id = $id ORDER BY period, release_id",
        params={"id": series_id},
    ).pl()


def releases(con: duckdb.DuckDBPyConnection, *, limit: int | None = None) -> pl.DataFrame:
    """The releases, newest first, with their retraction (when, by whom, why) if any."""
    sql = """
        SELECT r.*, x.retracted_at, x.retracted_by, x.reason AS retraction_reason
        FROM releases AS r LEFT JOIN retractions AS x USING (release_id)
        ORDER BY r.published_at DESC, r.release_id DESC
    """
    if limit is not None:
        return con.sql(sql + " LIMIT $n", params={"n": limit}).pl()
    return con.sql(sql).pl()


def summary(con: duckdb.DuckDBPyConnection, text: str | None = None) -> pl.DataFrame:
    """The catalogue with latest readings; ``text`` filters on id, name, geo, source, tags."""
    if not text:
        return con.sql("SELECT * FROM series_summary ORDER BY series_id").pl()
    return con.sql(
        """
        SELECT * FROM series_summary
        WHERE concat_ws(' ', series_id, name, geo, source, description, array_to_string(tags, ' '))
              ILIKE '%' || $text || '%'
        ORDER BY series_id
        """,
        params={"text": text},
    ).pl()


def period_codes(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.Series:
    """The period code (``2025-05``, ``2024-01/02``, ``2025-Q2``) of each row of a frame with
    ``series_id``, ``frequency`` and a period column (its first column after those two) as the
    ``period_code`` macro writes it, spans included (their end comes from the kept state)."""
    column = next(c for c in frame.columns if c not in ("series_id", "frequency"))
    rows = frame.select("series_id", "frequency", pl.col(column).alias("period")).with_row_index()
    con.register("coded_rows", rows)
    try:
        return con.sql(
            """
            SELECT CASE WHEN r.period IS NOT NULL
                        THEN period_code(r.frequency, r.period, o.period_end) END AS code
            FROM coded_rows AS r
            LEFT JOIN current_observations AS o
                ON o.series_id = r.series_id AND o.period = r.period
            ORDER BY r.index
            """
        ).pl()["code"]
    finally:
        con.unregister("coded_rows")


def events(con: duckdb.DuckDBPyConnection, series_ids: list[str] | None = None) -> pl.DataFrame:
    """The event annotations, oldest first; with ``series_ids``, those a chart of these series
    shows: the events about any of them and the global ones (events naming no series)."""
    return con.sql(
        """
        SELECT * FROM events
        WHERE $ids IS NULL OR len(series_ids) = 0 OR len(list_intersect(series_ids, $ids)) > 0
        ORDER BY starts_on, event_id
        """,
        params={"ids": None if series_ids is None else list(series_ids)},
    ).pl()


# The catalogue, searched ---------------------------------------------------------------------


#: Matches of a catalogue search, best first. Every word typed must occur in the series' id,
#: name, geo, source, unit, frequency or tags; ranked by: 0 the id itself, 1 an id that starts
#: with the text, 2 a name (or a word of it) that starts with it, 3 an id that contains it, 4 a
#: name that contains it, 5 a word that is the geo or a tag, 6 anything else. No text: the
#: catalogue by geo and name.
_SEARCH_SQL = """
WITH
asked AS (
    SELECT
        lower(trim(coalesce($text, ''))) AS text,
        list_filter(string_split(lower(trim(coalesce($text, ''))), ' '), lambda w: w <> '')
            AS words
),
candidates AS (
    SELECT
        s.series_id, s.name, s.unit, s.frequency, s.geo, s.source, s.kind,
        lower(s.series_id) AS id_text,
        lower(coalesce(s.name, '')) AS name_text,
        list_transform(coalesce(s.tags, []), lambda t: lower(t)) AS tag_words,
        lower(concat_ws(' ', s.series_id, s.name, s.geo, s.source, s.unit, s.frequency,
                        array_to_string(s.tags, ' '))) AS search
    FROM series AS s
    WHERE $kind IS NULL OR s.kind = $kind
),
ranked AS (
    SELECT
        c.*,
        CASE
            WHEN a.text = '' THEN 9
            WHEN c.id_text = a.text THEN 0
            WHEN starts_with(c.id_text, a.text) THEN 1
            WHEN contains(' ' || c.name_text, ' ' || a.text) THEN 2
            WHEN contains(c.id_text, a.text) THEN 3
            WHEN contains(c.name_text, a.text) THEN 4
            WHEN list_contains(a.words, lower(c.geo)) OR list_has_any(a.words, c.tag_words) THEN 5
            ELSE 6
        END AS rank
    FROM candidates AS c, asked AS a
    WHERE len(a.words) = 0
       OR list_bool_and(list_transform(a.words, lambda w: contains(c.search, w)))
)
SELECT
    CAST(r.series_id AS VARCHAR) AS series_id,
    CAST(r.name AS VARCHAR) AS name,
    CAST(r.unit AS VARCHAR) AS unit,
    CAST(r.frequency AS VARCHAR) AS frequency,
    CAST(r.geo AS VARCHAR) AS geo,
    CAST(r.source AS VARCHAR) AS source,
    CAST(r.kind AS VARCHAR) AS kind,
    CAST(r.search AS VARCHAR) AS search,
    CAST(r.rank AS INTEGER) AS rank
FROM ranked AS r
ORDER BY
    r.rank,
    CASE WHEN r.rank = 9 THEN r.geo END NULLS LAST,
    CASE WHEN r.rank = 9 THEN r.name END NULLS LAST,
    length(r.series_id),
    r.series_id
LIMIT $limit
"""


def search_series(
    con: duckdb.DuckDBPyConnection,
    text: str | None = None,
    *,
    limit: int = 40,
    kind: str | None = None,
) -> pl.DataFrame:
    """The catalogue's best matches for ``text``: at most ``limit`` series, best first.

    Every word of ``text`` must occur (case-insensitive) in the series' id, name, geo, source,
    unit, frequency or tags. An exact id comes first, then ids that start with the text, names
    (or a word of them) that start with it, ids and names that contain it, a geo or tag named
    by a word, the rest. Without text: the catalogue by geo and name. ``kind`` keeps only
    ``actual``, ``forecast`` or ``policy`` series.

    Columns: ``series_id, name, unit, frequency, geo, source, kind, search`` (the lower-case
    text searched) and ``rank`` (0 best).
    """
    return con.sql(_SEARCH_SQL, params={"text": text, "limit": limit, "kind": kind}).pl()


def series_rows(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> pl.DataFrame:
    """The catalogue rows of these series, in the order given (unknown ids are left out), with
    the ``search`` text of `search_series`, ``expected`` (an expectation series forecasts it:
    ``series.actual_series_id``) and ``watched`` (it is on the watchlist)."""
    return con.sql(
        """
        SELECT
            s.*,
            CAST(lower(concat_ws(' ', s.series_id, s.name, s.geo, s.source, s.unit, s.frequency,
                                 array_to_string(s.tags, ' '))) AS VARCHAR) AS search,
            EXISTS (
                SELECT 1 FROM series AS f
                WHERE f.actual_series_id = s.series_id AND f.kind = 'forecast'
            ) AS expected,
            EXISTS (SELECT 1 FROM watchlist AS w WHERE w.series_id = s.series_id) AS watched
        FROM series AS s
        WHERE list_contains($ids, s.series_id)
        ORDER BY list_position($ids, s.series_id)
        """,
        params={"ids": list(series_ids)},
    ).pl()


# Releases ------------------------------------------------------------------------------------


def newest_release(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Publication time of the newest release in the store (None without releases)."""
    return db.scalar(con, "SELECT max(published_at) FROM releases")


def release_feed(
    con: duckdb.DuckDBPyConnection, *, limit: int = 8, series_shown: int = 6
) -> pl.DataFrame:
    """The newest releases with what each changed and which series it stored rows of.

    From ``releases`` and the kept ``release_series`` (never the history): ``series_count`` and
    the first ``series_shown`` ids in ``series_ids``, by id.
    """
    return con.sql(
        """
        WITH
        newest AS (
            SELECT * FROM releases ORDER BY published_at DESC, release_id DESC LIMIT $n
        ),
        touched AS (
            SELECT
                rs.release_id,
                count(*) AS series_count,
                list(rs.series_id ORDER BY rs.series_id)[1:$shown] AS series_ids
            FROM release_series AS rs
            WHERE rs.release_id IN (SELECT release_id FROM newest)
            GROUP BY rs.release_id
        )
        SELECT
            n.release_id, n.published_at, n.source, n.title, n.url,
            n.rows_new, n.rows_revised, n.rows_unchanged, n.rows_deleted,
            CAST(coalesce(t.series_count, 0) AS BIGINT) AS series_count,
            CAST(coalesce(t.series_ids, []) AS VARCHAR[]) AS series_ids
        FROM newest AS n
        LEFT JOIN touched AS t USING (release_id)
        ORDER BY n.published_at DESC, n.release_id DESC
        """,
        params={"n": limit, "shown": series_shown},
    ).pl()


@dataclass
class Page:
    """One page of a longer answer: its rows and how many rows the whole answer has."""

    rows: pl.DataFrame
    total: int


#: What each paged reader reads (trusted SQL) and the columns it may sort and filter on.
_PAGED = {
    "releases": (
        "SELECT * FROM releases",
        ("release_id", "published_at", "source", "title", "url", "rows_new", "rows_revised",
         "rows_unchanged", "rows_deleted", "file_name", "format"),
    ),
    "revision_stats": (
        """
        SELECT st.*, s.name, s.unit, s.source
        FROM revision_stats AS st JOIN series AS s USING (series_id)
        """,
        ("series_id", "name", "periods", "revised_periods", "revised_share", "revision_count",
         "mean_revision", "mean_abs_revision", "max_abs_revision", "mean_first_to_latest",
         "mean_abs_first_to_latest", "last_revised_at"),
    ),
}  # fmt: skip


def _page(
    con: duckdb.DuckDBPyConnection,
    what: str,
    *,
    offset: int,
    limit: int,
    order: list[tuple[str, str]],
    contains: dict[str, str] | None,
    tiebreak: str,
) -> Page:
    source, columns = _PAGED[what]
    for column, direction in order:
        if column not in columns or direction.lower() not in ("asc", "desc"):
            raise QueryError(
                f"error: cannot sort {what} by '{column} {direction}' (use one of "
                f"{', '.join(columns)}, asc or desc)"
            )
    wanted = {c: t for c, t in (contains or {}).items() if t}
    for column in wanted:
        if column not in columns:
            raise QueryError(
                f"error: cannot filter {what} on '{column}' (use one of {', '.join(columns)})"
            )
    # Identifiers come from the lists above; the filter texts are bound.
    where = " AND ".join(
        f"contains(lower(CAST(p.{column} AS VARCHAR)), lower(${index}))"
        for index, column in enumerate(wanted, start=1)
    )
    ordering = ", ".join(
        f"p.{column} {direction.upper()} NULLS LAST" for column, direction in order
    )
    body = f"FROM ({source}) AS p" + (f" WHERE {where}" if where else "")
    params = list(wanted.values())
    total = db.scalar(con, f"SELECT count(*) {body}", params)
    rows = con.sql(
        f"SELECT p.* {body} ORDER BY {ordering + ', ' if ordering else ''}p.{tiebreak} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params=params,
    ).pl()
    return Page(rows=rows, total=int(total or 0))


def releases_page(
    con: duckdb.DuckDBPyConnection,
    *,
    offset: int = 0,
    limit: int = 50,
    order: list[tuple[str, str]] | None = None,
    contains: dict[str, str] | None = None,
) -> Page:
    """One page of the releases (newest first unless ``order`` says otherwise).

    ``order`` is a list of ``(column, "asc" | "desc")``; ``contains`` maps a column to a text
    its values must contain (case-insensitive). Unknown columns are a `QueryError`.
    """
    return _page(
        con,
        "releases",
        offset=offset,
        limit=limit,
        order=order or [("published_at", "desc")],
        contains=contains,
        tiebreak="release_id DESC",
    )


def revision_stats_page(
    con: duckdb.DuckDBPyConnection,
    *,
    offset: int = 0,
    limit: int = 50,
    order: list[tuple[str, str]] | None = None,
    contains: dict[str, str] | None = None,
) -> Page:
    """One page of ``revision_stats`` with each series' name, unit and source (most revised
    first unless ``order`` says otherwise); see `releases_page`."""
    return _page(
        con,
        "revision_stats",
        offset=offset,
        limit=limit,
        order=order or [("revision_count", "desc")],
        contains=contains,
        tiebreak="series_id",
    )


# The Overview ------------------------------------------------------------------------------


def recent_values(
    con: duckdb.DuckDBPyConnection, series_ids: list[str], *, periods: int = 24
) -> pl.DataFrame:
    """The newest ``periods`` values of each of these series as now known (`latest`), oldest
    first: ``series_id, period, period_end, value``."""
    return con.sql(
        """
        SELECT series_id, period, period_end, value
        FROM latest
        WHERE list_contains($ids, series_id)
        QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY period DESC) <= $n
        ORDER BY series_id, period
        """,
        params={"ids": list(series_ids), "n": periods},
    ).pl()


def overview(con: duckdb.DuckDBPyConnection, *, today: date | None = None) -> pl.DataFrame:
    """The Overview's cards as seen on ``today`` (default: the current date), one row each, in
    order: `overview_cards_asof` (sql/views/63_overview_cards_asof.sql documents the columns).
    The chosen series are passed to it, so only their history is read."""
    params = {"today": today}
    day = "CAST(coalesce($today, current_date) AS DATE)"
    chosen = con.execute(f"SELECT list(series_id) FROM overview_series_asof({day})", params)
    ids = chosen.fetchall()[0][0] or []
    return con.sql(
        f"SELECT * FROM overview_cards_asof({day}, series_ids := CAST($ids AS VARCHAR[]))",
        params={**params, "ids": ids},
    ).pl()


def calendar_panel(
    con: duckdb.DuckDBPyConnection, *, today: date | None = None, days: int = 14, limit: int = 8
) -> tuple[pl.DataFrame, int, int]:
    """What is overdue or due within ``days`` of ``today`` (`release_calendar_asof`), overdue
    first (the most recently late first), then by expected date: at most ``limit`` rows of
    ``series_id, name, overdue, overdue_since, expected_on, days_until, basis, basis_detail,
    last_published_at``; and how many series are overdue and how many due in all.

    Only the columns shown are read from the calendar, and only the rows shown get a name: on
    25,000 series this costs ~25 ms, against ~230 ms for every column of every due series.
    """
    rows = con.sql(
        """
        WITH due AS (
            SELECT c.series_id, c.overdue, c.overdue_since, c.expected_on, c.days_until,
                   c.basis, c.basis_detail, c.last_published_at
            FROM release_calendar_asof(CAST(coalesce($today, current_date) AS DATE)) AS c
            WHERE c.overdue OR (c.expected_on IS NOT NULL AND c.days_until BETWEEN 0 AND $days)
        ),
        shown AS (
            SELECT * FROM due
            ORDER BY overdue DESC, CASE WHEN overdue THEN overdue_since END DESC, expected_on,
                     series_id
            LIMIT $limit
        ),
        totals AS (
            SELECT count(*) FILTER (WHERE overdue) AS overdue_total,
                   count(*) FILTER (WHERE NOT overdue) AS upcoming_total
            FROM due
        )
        SELECT h.*, s.name, t.overdue_total, t.upcoming_total
        FROM shown AS h
        JOIN series AS s USING (series_id)
        CROSS JOIN totals AS t
        ORDER BY h.overdue DESC, CASE WHEN h.overdue THEN h.overdue_since END DESC,
                 h.expected_on, h.series_id
        """,
        params={"today": today, "days": days, "limit": limit},
    ).pl()
    if rows.is_empty():
        return rows, 0, 0
    return rows, int(rows["overdue_total"][0]), int(rows["upcoming_total"][0])


def expectations(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> pl.DataFrame:
    """The expectations (consensus polls) for these actual series, one row per actual period
    with its newest poll published before the actual (`surprises`): ``series_id, period,
    period_end, consensus, consensus_series_id, consensus_published_at, actual, published_at``
    (of the actual) ``, surprise``."""
    return con.sql(
        """
        SELECT series_id, period, period_end, consensus, consensus_series_id,
               consensus_published_at, actual, published_at, surprise
        FROM surprises
        WHERE list_contains($ids, series_id)
        ORDER BY series_id, period, consensus_series_id
        """,
        params={"ids": list(series_ids)},
    ).pl()


# Forecasts -----------------------------------------------------------------------------------


def forecast_series(con: duckdb.DuckDBPyConnection, *, limit: int | None = None) -> pl.DataFrame:
    """The forecast series, those whose forecasts were revised most first, then most releases
    (a consensus poll, one forecast per period, is never revised): ``series_id, name, unit, geo,
    source, release_count, revision_count, last_published_at`` (from the kept state)."""
    return con.sql(
        """
        SELECT
            s.series_id, s.name, s.unit, s.geo, s.source,
            CAST(coalesce(c.release_count, 0) AS BIGINT) AS release_count,
            CAST(coalesce(c.revision_count, 0) AS BIGINT) AS revision_count,
            c.last_published_at
        FROM series AS s
        LEFT JOIN current_series AS c USING (series_id)
        WHERE s.kind = 'forecast'
        ORDER BY revision_count DESC, release_count DESC, s.series_id
        LIMIT coalesce($n, 9223372036854775807)
        """,
        params={"n": limit},
    ).pl()


def forecast_targets(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> list[int]:
    """Target years these forecast series forecast, newest first (from `latest`)."""
    rows = con.sql(
        """
        SELECT DISTINCT CAST(year(period) AS INTEGER)
        FROM latest WHERE list_contains($ids, series_id)
        ORDER BY 1 DESC
        """,
        params={"ids": list(series_ids)},
    ).fetchall()
    return [r[0] for r in rows]


def forecast_paths(
    con: duckdb.DuckDBPyConnection, series_ids: list[str], *, target_year: int | None = None
) -> pl.DataFrame:
    """`forecast_evolution` of these series (for one target year, or every one), with each
    series' ``name`` and ``unit``, and ``value_text`` and ``revision_text``: the absolute value
    and revision as ``display_number`` prints them. By series, target period and release."""
    return con.sql(
        """
        SELECT
            f.*, s.name, s.unit,
            display_number(abs(f.value)) AS value_text,
            display_number(abs(f.revision)) AS revision_text
        FROM forecast_evolution AS f
        JOIN series AS s USING (series_id)
        WHERE list_contains($ids, f.series_id)
          AND ($year IS NULL OR year(f.target_period) = $year)
        ORDER BY f.series_id, f.target_period, f.release_id
        """,
        params={"ids": list(series_ids), "year": target_year},
    ).pl()


# Revisions of one series ---------------------------------------------------------------------


def most_revised_series(con: duckdb.DuckDBPyConnection) -> str | None:
    """The series with the most numeric revisions (from the kept state), None without series."""
    return db.scalar(
        con,
        """
        SELECT s.series_id
        FROM series AS s LEFT JOIN current_series AS c USING (series_id)
        ORDER BY coalesce(c.revision_count, 0) DESC, s.series_id
        LIMIT 1
        """,
    )


@dataclass
class RevisionWindow:
    """A window of consecutive periods of one series, newest ``offset`` periods skipped."""

    #: `revision_triangle` rows of the window's periods and releases, with ``period_end`` and
    #: ``value_text`` (``display_number``); releases are those that published or changed a
    #: value of the window (the newest ``releases`` of them).
    triangle: pl.DataFrame
    #: Per period of the window, newest first: ``period, period_end, first_value,
    #: first_published_at, latest_value, latest_published_at, difference`` (latest − first),
    #: and ``first_text, latest_text, difference_text``: every digit of the values and of the
    #: difference's absolute value, as DuckDB prints a DOUBLE.
    first_vs_latest: pl.DataFrame
    #: Periods the series has in all, and where the window starts from the newest.
    periods: int
    offset: int


def revision_window(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    *,
    periods: int = 12,
    offset: int = 0,
    releases: int = 24,
) -> RevisionWindow:
    """How the values of ``periods`` consecutive periods of a series were revised, release by
    release: the newest periods, or older ones ``offset`` periods back (clamped to the oldest
    full window). Reads the kept state and the series' own rows only."""
    require_series(con, series_id)
    total = int(
        db.scalar(con, "SELECT count(*) FROM current_observations WHERE series_id = $id",
               {"id": series_id})
        or 0
    )  # fmt: skip
    offset = max(0, min(int(offset), total - periods))
    first, last = con.sql(
        """
        SELECT min(period), max(period) FROM (
            SELECT period FROM current_observations WHERE series_id = $id
            ORDER BY period DESC LIMIT $n OFFSET $k
        )
        """,
        params={"id": series_id, "n": periods, "k": offset},
    ).fetchall()[0]
    triangle = con.sql(
        """
        WITH
        cells AS (
            SELECT t.*
            FROM revision_triangle AS t
            WHERE t.series_id = $id AND t.period BETWEEN $first AND $last
        ),
        shown AS (
            SELECT DISTINCT release_id FROM cells WHERE changed
            ORDER BY release_id DESC LIMIT $releases
        )
        SELECT
            c.*,
            o.period_end,
            display_number(c.value) AS value_text,
            display_number(abs(c.revision_since_first)) AS revision_text
        FROM cells AS c
        JOIN shown USING (release_id)
        LEFT JOIN current_observations AS o ON o.series_id = c.series_id AND o.period = c.period
        ORDER BY c.period, c.release_id
        """,
        params={"id": series_id, "first": first, "last": last, "releases": releases},
    ).pl()
    compared = con.sql(
        """
        SELECT
            l.period, l.period_end,
            f.value AS first_value, f.published_at AS first_published_at,
            l.value AS latest_value, l.published_at AS latest_published_at,
            -- Rounded off float noise (2.9 - 3.2 is -0.30000000000000027).
            round(l.value - f.value, 10) AS difference,
            -- Every digit, as any DuckDB client prints a DOUBLE (the difference unsigned).
            CAST(f.value AS VARCHAR) AS first_text,
            CAST(l.value AS VARCHAR) AS latest_text,
            CAST(abs(round(l.value - f.value, 10)) AS VARCHAR) AS difference_text
        FROM latest AS l
        JOIN first_release AS f USING (series_id, period)
        WHERE l.series_id = $id AND l.period BETWEEN $first AND $last
        ORDER BY l.period DESC
        """,
        params={"id": series_id, "first": first, "last": last},
    ).pl()
    return RevisionWindow(triangle=triangle, first_vs_latest=compared, periods=total, offset=offset)


# The SQL surface -----------------------------------------------------------------------------


def public_objects(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The public views (with their columns) and table macros (with their parameters).

    Each is ``{"name", "kind": "view" | "macro", "columns", "history"}``; ``history`` is true
    for a view that reads every version (``vintages`` or ``observations``) rather than the kept
    state, so a query of it costs what the whole history costs unless it is filtered.
    """
    views = con.sql(
        """
        SELECT v.view_name AS name,
               list(c.column_name || ' ' || lower(c.data_type) ORDER BY c.column_index)
                   AS columns,
               any_value(regexp_matches(lower(v.sql), '\\b(vintages|observations)\\b'))
                   AS history
        FROM duckdb_views() AS v
        JOIN duckdb_columns() AS c
          ON c.table_name = v.view_name AND c.schema_name = v.schema_name
             AND c.database_name = v.database_name
        WHERE NOT v.internal AND v.schema_name = 'main'
        GROUP BY v.view_name
        ORDER BY v.view_name
        """
    ).pl()
    macros = con.sql(
        """
        SELECT function_name AS name, list_distinct(flatten(list(parameters))) AS parameters
        FROM duckdb_functions()
        WHERE NOT internal AND function_type = 'table_macro' AND schema_name = 'main'
        GROUP BY function_name
        ORDER BY function_name
        """
    ).pl()
    objects = [
        {"name": r["name"], "kind": "view", "columns": list(r["columns"]),
         "history": bool(r["history"])}
        for r in views.iter_rows(named=True)
    ]  # fmt: skip
    objects += [
        {"name": r["name"], "kind": "macro", "columns": list(r["parameters"]), "history": True}
        for r in macros.iter_rows(named=True)
    ]
    return objects


# Series with provenance, as a chart draws them ----------------------------------------------

# Each reads every series asked for in one pass over the store (the macros' `series_ids` list):
# one query per series costs a scan and a plan per series, ~30 ms and ~50 ms each on 10M rows.
_KNOWN_SQL = """
SELECT k.series_id, k.period, k.period_end, k.value,
       k.release_id, k.published_at, r.source, r.title, r.url
FROM series_asof(NULL, as_of := $ts, series_ids := $ids) AS k
LEFT JOIN releases AS r USING (release_id)
ORDER BY k.series_id, k.period
"""

# Provenance of a derived value: the newest release among the observations its period covers
# (for an aggregate, its sub-periods; otherwise the period itself).
_SOURCED_SQL = """
WITH
drawn AS (
    {derived}
),
known AS (
    SELECT series_id, period, release_id
    FROM series_asof(NULL, as_of := $ts, series_ids := $ids)
),
-- Each drawn period once per calendar year it touches, so the join below is on series and year:
-- on the series alone it compares every period with every other (8M pairs for 10 daily years).
by_year AS (
    SELECT d.*,
           unnest(generate_series(year(d.period), year(coalesce(d.period_end, d.period)))) AS year
    FROM drawn AS d
),
sourced AS (
    SELECT d.series_id, d.period, d.period_end, d.value, d.unit,
           max(k.release_id) AS release_id
    FROM by_year AS d
    LEFT JOIN known AS k
      ON k.series_id = d.series_id AND year(k.period) = d.year
     AND k.period >= d.period AND k.period <= coalesce(d.period_end, d.period)
    GROUP BY d.series_id, d.period, d.period_end, d.value, d.unit
)
SELECT s.*, r.published_at, r.source, r.title, r.url
FROM sourced AS s LEFT JOIN releases AS r USING (release_id)
ORDER BY s.series_id, s.period
"""
_DERIVED = {
    # lin after aggregation is the aggregate itself: no comparison with earlier periods needed.
    "aggregated": """
    SELECT series_id, period, period_end, value, unit
    FROM aggregated(NULL, $frequency, $method, as_of := $ts, series_ids := $ids)
    """,
    "transformed": """
    SELECT series_id, period, period_end, value, unit
    FROM transformed(NULL, $code, as_of := $ts, frequency := $frequency, method := $method,
                     series_ids := $ids)
    """,
    "rebased": """
    SELECT series_id, period, period_end, value, unit
    FROM rebased(NULL, $first, base_end := $last, as_of := $ts, frequency := $frequency,
                 method := $method, series_ids := $ids)
    """,
}


def _read_drawn(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pl.DataFrame:
    """Run a chart query; a SQL guard's error (unit guard, base) is a `TransformError`."""
    try:
        return con.sql(sql, params=params).pl()
    except duckdb.InvalidInputException as exc:
        raise TransformError(db.error_text(exc)) from None
    except duckdb.BinderException as exc:
        if "does not support the supplied arguments" not in str(exc):
            raise
        # Views are re-created by writers; a store no writer has opened since an upgrade still
        # has the old macros (without `series_ids`).
        raise StoreError(
            "error: the store's views are older than this version of tracker (run "
            "`tracker init --no-seed` on the store once to refresh them)"
        ) from None


def sourced_series(
    con: duckdb.DuckDBPyConnection,
    series_ids: list[str],
    *,
    as_of: datetime | None = None,
    code: str = "lin",
    rebase: str | None = None,
    frequency: str | None = None,
    method: str = "avg",
) -> pl.DataFrame:
    """Series as known at ``as_of`` (None: now), each value with the release it comes from, in
    one query for all of them: ``series_id, period, period_end, value, release_id,
    published_at, source, title, url`` (and ``unit`` when transformed, rebased or aggregated).

    ``code`` is a FRED transform (`transformed`), ``rebase`` a base period (`rebased`, with
    ``code`` lin), ``frequency``/``method`` an aggregation (`aggregated`); the as-of cut comes
    first. A derived value's release is the newest among the observations its period covers.

    Raises
    ------
    TransformError
        A refused transform (the SQL guard's message), or a rebase with another transform.
    """
    ids = list(series_ids)
    if code == "lin" and not rebase and not frequency:
        return _read_drawn(con, _KNOWN_SQL, {"ids": ids, "ts": as_of})
    params: dict = {"ts": as_of, "frequency": frequency, "method": method}
    if rebase:
        from tracker import analytics

        if code != "lin":
            raise TransformError(
                f"error: rebasing and the '{code}' transform do not combine "
                "(choose lin to rebase, or clear the rebase period)"
            )
        native = dict(
            con.sql(
                "SELECT series_id, frequency FROM series WHERE list_contains($ids, series_id)",
                params={"ids": ids},
            ).fetchall()
        )
        # The base period's days depend on each series' frequency (an ISO date names the
        # observation containing it): one query per distinct span, usually one in all.
        spans: dict[tuple[date, date], list[str]] = {}
        for series_id in ids:
            span = analytics._base_span(rebase, frequency or native.get(series_id) or "")
            spans.setdefault(span, []).append(series_id)
        frames = [
            _read_drawn(
                con,
                _SOURCED_SQL.format(derived=_DERIVED["rebased"]),
                {**params, "ids": span_ids, "first": first, "last": last},
            )
            for (first, last), span_ids in spans.items()
        ]
        return pl.concat(frames, how="diagonal_relaxed").sort("series_id", "period")
    if code == "lin":
        return _read_drawn(
            con, _SOURCED_SQL.format(derived=_DERIVED["aggregated"]), {**params, "ids": ids}
        )
    return _read_drawn(
        con,
        _SOURCED_SQL.format(derived=_DERIVED["transformed"]),
        {**params, "ids": ids, "code": code},
    )


def vintage_overlay(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    *,
    as_of: datetime | None = None,
    vintages: int = 8,
) -> pl.DataFrame:
    """A series as known right after each of the newest ``vintages`` releases that changed it
    (up to ``as_of``): the rows of `sourced_series` plus ``vintage_id`` (the release) and
    ``vintage`` (its publication time), oldest vintage first. Empty without releases."""
    releases = con.sql(
        """
        SELECT DISTINCT release_id, published_at FROM vintages
        WHERE series_id = $id AND ($ts IS NULL OR published_at <= $ts)
        ORDER BY release_id DESC LIMIT $n
        """,
        params={"id": series_id, "ts": as_of, "n": vintages},
    ).fetchall()
    frames = []
    for release_id, published_at in sorted(releases):
        known = sourced_series(con, [series_id], as_of=published_at).filter(
            pl.col("release_id") <= release_id
        )
        frames.append(
            known.with_columns(
                pl.lit(release_id, pl.Int64).alias("vintage_id"),
                pl.lit(published_at, pl.Datetime("us")).alias("vintage"),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "series_id": pl.String, "period": pl.Date, "period_end": pl.Date,
                "value": pl.Float64, "release_id": pl.Int64, "published_at": pl.Datetime,
                "source": pl.String, "title": pl.String, "url": pl.String,
            }
        )  # fmt: skip
    return pl.concat(frames, how="diagonal_relaxed")


def regimes_of(
    con: duckdb.DuckDBPyConnection, series_ids: list[str], *, as_of: datetime | None = None
) -> pl.DataFrame:
    """Policy regimes of these series as known at ``as_of`` (the ``regimes_asof`` macro), in
    one query for all of them, with ``value_text`` (``display_number`` of the level)."""
    return con.sql(
        """
        SELECT *, display_number(value) AS value_text FROM regimes_asof($ts)
        WHERE list_contains($ids, series_id)
        ORDER BY series_id, effective_from
        """,
        params={"ts": as_of, "ids": list(series_ids)},
    ).pl()
