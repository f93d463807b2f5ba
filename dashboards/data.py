"""Page-facing readers: thin functions over the public views.

Every function takes the store path and reads through `reader`: under `tracker serve` a cursor on
the newest snapshot of the store (`tracker.snapshots`), otherwise a read-only connection opened
for the call and closed before it returns. Either way the dashboard never holds the store's lock
between requests, so `tracker append` in another terminal is never locked out. Derived numbers
(changes, revisions, transforms, regimes) come from the SQL views and macros; this module only
selects, filters and formats.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from tracker import db, paths, queries, snapshots
from tracker.errors import StoreError, TransformError, ValidationError

#: The indicators on the Overview page: (series_id, forecast target year or None).
KEY_INDICATORS: tuple[tuple[str, int | None], ...] = (
    ("CHN.EXPORTS.YOY", None),
    ("CHN.IMPORTS.YOY", None),
    ("USA.TARIFF.CHN", None),
    ("CHN.TARIFF.USA", None),
    ("WLD.GDP.OECD_FCST", 2025),
    ("WLD.GDP.IMF_FCST", 2025),
    ("CHN.RAREEARTH.MINE_SHARE", None),
)

#: FRED transform codes, in FRED's order, with the labels FRED uses.
TRANSFORMS: dict[str, str] = {
    "lin": "Levels (no transform)",
    "chg": "Change",
    "ch1": "Change from a year ago",
    "pch": "Percent change",
    "pc1": "Percent change from a year ago",
    "pca": "Compounded annual rate of change",
    "cch": "Continuously compounded rate of change",
    "cca": "Continuously compounded annual rate of change",
    "log": "Natural log",
}
FREQUENCIES = {"": "Native", "S": "Half-yearly", "Q": "Quarterly", "A": "Annual"}
AGGREGATIONS = {"avg": "Average", "sum": "Sum", "eop": "End of period"}
#: Points per chart, shared by its traces, above which it is downsampled (`downsample`; the
#: download keeps every row). 65–85 bytes of figure JSON each: 2,000 keep a chart's JSON at
#: 130–165 KB, under the 200 KB of issue #7 (tests/test_explorer_budget.py).
MAX_POINTS = 2000
#: Upload limit for release files on the Releases page.
UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024
SQL_MAX_ROWS = 5000
SQL_TIMEOUT = 10.0
#: Row cap of a SQL-console CSV download (the displayed grid stops at SQL_MAX_ROWS).
SQL_DOWNLOAD_ROWS = 1_000_000


def store_path() -> Path:
    """The store of the running app (``create_app(db_path)`` or ``$TRACKER_DB``), per request."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("TRACKER_DB"):
        return Path(current_app.config["TRACKER_DB"])
    return paths.default_db()


@contextmanager
def reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor for one request, with Python replacement scans off (a missing view
    must be an error, not a Python variable of the same name picked up by DuckDB).

    Under `tracker serve` it reads the newest snapshot through one connection per process
    (`tracker.snapshots.reader`), so the dashboard never holds the lock `tracker append` needs;
    otherwise it opens the store read-only for the request and closes it.
    """
    with snapshots.reader(Path(path)) as con:
        yield con


def _ts(value: date | datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return queries._ts(value)


# Formatting ----------------------------------------------------------------------------------

MINUS = "\u2212"


def period_label(period: date, period_end: date | None, frequency: str) -> str:
    """A period as people write it: ``May 2025``, ``Jan–Feb 2025``, ``2025 Q2``, ``2025``."""
    end = pl.lit(period_end or period, pl.Date)
    return pl.select(period_labels(frequency, pl.lit(period, pl.Date), end)).item()


def period_labels(frequency: str, period: pl.Expr, period_end: pl.Expr | None = None) -> pl.Expr:
    """Labels for a column of periods (see `period_label`); ``W`` is the ISO week, and other
    frequencies show the day."""
    end = period if period_end is None else period_end.fill_null(period)
    year = period.dt.year()
    if frequency == "M":
        same_year = end.dt.year() == year
        return (
            pl.when(same_year & (end.dt.month() == period.dt.month()))
            .then(period.dt.strftime("%b %Y"))
            .when(same_year)
            .then(pl.concat_str(period.dt.strftime("%b"), pl.lit("–"), end.dt.strftime("%b %Y")))
            .otherwise(
                pl.concat_str(period.dt.strftime("%b %Y"), pl.lit("–"), end.dt.strftime("%b %Y"))
            )
        )
    if frequency == "Q":
        return pl.format("{} Q{}", year, period.dt.quarter())
    if frequency == "S":
        return pl.format("{} H{}", year, pl.when(period.dt.month() <= 6).then(1).otherwise(2))
    if frequency == "A":
        return year.cast(pl.String)
    if frequency == "W":
        return period.dt.strftime("%G-W%V")
    return day_labels(period)


def day_labels(value: pl.Expr) -> pl.Expr:
    """`day_label` as a Polars expression (``—`` for a missing day)."""
    return value.dt.strftime("%-d %b %Y").fill_null("—")


def day_label(value: date | datetime | None) -> str:
    """``9 Jun 2025`` (``—`` for None)."""
    return pl.select(day_labels(pl.lit(value, pl.Date))).item()


def _number(value: float) -> str:
    """Absolute value, as agencies print it: 0 decimals from 1,000 up, else 1 (2 when needed)."""
    value = round(abs(value), 6)
    if value >= 1000 or value.is_integer():
        return f"{value:,.0f}"
    if round(value, 1) == value:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def format_value(value: float | None, unit: str, unit_kind: str) -> str:
    """A reading with its unit: ``+4.8% y/y``, ``30%``, ``69%``, ``438.9 US$ bn``.

    Growth rates carry a sign; levels, rates and shares only when negative.
    """
    if value is None:
        return "n/a"
    signed = unit_kind in ("growth_yoy", "growth_pop")
    sign = "+" if signed and value > 0 else (MINUS if value < 0 else "")
    number = sign + _number(value)
    if unit.startswith("%"):
        rest = unit[1:].strip()
        return f"{number}%" + (f" {rest}" if rest else "")
    return f"{number} {unit}".strip()


def format_change(change: float | None, unit: str) -> str:
    """A change with its sign; percentage units change in percentage points (``−3.3 pp``)."""
    if change is None:
        return "n/a"
    sign = "+" if change > 0 else (MINUS if change < 0 else "±")
    unit_text = "pp" if unit.startswith("%") else unit
    return f"{sign}{_number(change)} {unit_text}".strip()


# Catalogue and shell -------------------------------------------------------------------------


def catalogue(path: Path) -> pl.DataFrame:
    """Every series with its latest reading (the ``series_summary`` view)."""
    with reader(path) as con:
        return queries.summary(con)


def series_options(path: Path) -> list[dict]:
    """Dropdown options for the series picker, searchable by name, id, geo and source."""
    frame = catalogue(path).sort("geo", "name", nulls_last=True)
    return [
        {
            "label": f"{r['name']} · {r['series_id']}",
            "value": r["series_id"],
            "search": " ".join(
                str(x) for x in (r["series_id"], r["name"], r["geo"], r["source"], r["unit"]) if x
            ),
        }
        for r in frame.iter_rows(named=True)
    ]


def newest_release(path: Path) -> datetime | None:
    """Publication time of the newest release in the store."""
    with reader(path) as con:
        return db.scalar(con, "SELECT max(published_at) FROM releases")


# Overview ------------------------------------------------------------------------------------


@dataclass
class Card:
    """What one Overview card shows."""

    series_id: str
    name: str
    unit: str
    unit_kind: str
    kind: str
    frequency: str
    source: str
    period: date | None
    period_text: str
    value: float | None
    change: float | None
    change_text: str
    published_at: datetime | None
    revised: bool
    spark: pl.DataFrame = field(repr=False)

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit, self.unit_kind)


_CARD_SQL = """
SELECT s.*,
       (SELECT count(*) FROM revisions AS r
        WHERE r.series_id = s.series_id
          AND r.release_id = (SELECT max(o.release_id) FROM observations AS o
                              WHERE o.series_id = s.series_id)) AS revised_rows
FROM series_summary AS s
WHERE s.series_id = $id
"""


def overview_cards(
    path: Path, keys: Iterable[tuple[str, int | None]] = KEY_INDICATORS, *, spark_points: int = 24
) -> list[Card]:
    """One card per key indicator, as now known; unknown series are skipped."""
    cards = []
    with reader(path) as con:
        for series_id, target in keys:
            rows = con.sql(_CARD_SQL, params={"id": series_id}).pl().to_dicts()
            if not rows:
                continue
            row = rows[0]
            if row["kind"] == "forecast" and target is not None:
                cards.append(_forecast_card(con, row, target))
            else:
                cards.append(_actual_card(con, row, spark_points))
    return cards


def _catalogue_fields(row: dict) -> dict:
    """The Card fields that come straight from the series catalogue."""
    names = ("series_id", "name", "unit", "unit_kind", "kind", "frequency", "source")
    return {name: row[name] for name in names}


def _actual_card(con: duckdb.DuckDBPyConnection, row: dict, spark_points: int) -> Card:
    spark = con.sql(
        """
        SELECT period, period_end, value FROM (
            SELECT period, period_end, value FROM latest
            WHERE series_id = $id ORDER BY period DESC LIMIT $n
        ) ORDER BY period
        """,
        params={"id": row["series_id"], "n": spark_points},
    ).pl()
    period = row["last_period"]
    if row["kind"] == "policy":
        period_text = f"since {day_label(period)}" if period else "—"
    else:
        ends = spark.filter(pl.col("period") == period)["period_end"] if period else None
        end = ends[0] if ends is not None and len(ends) else None
        period_text = period_label(period, end, row["frequency"]) if period else "—"
    change_text = format_change(row["change"], row["unit"])
    if row["change"] is not None and len(spark) >= 2:
        before = spark.row(len(spark) - 2, named=True)
        if row["kind"] == "policy":
            change_text += f" from {format_value(before['value'], row['unit'], row['unit_kind'])}"
        else:
            label = period_label(before["period"], before["period_end"], row["frequency"])
            change_text += f" vs {label}"
    return Card(
        **_catalogue_fields(row),
        period=period,
        period_text=period_text,
        value=row["last_value"],
        change=row["change"],
        change_text=change_text,
        published_at=row["last_published_at"],
        revised=bool(row["revised_rows"]),
        spark=spark.select("period", "value"),
    )


def _forecast_card(con: duckdb.DuckDBPyConnection, row: dict, target: int) -> Card:
    from tracker import analytics

    evolution = (
        analytics.forecast_evolution(con, row["series_id"])
        .filter(pl.col("target_period").dt.year() == target)
        .sort("published_at", "release_id")
        .select(pl.col("published_at").alias("period"), "value", "revision", "release_id")
    )
    last = None if evolution.is_empty() else evolution.row(-1, named=True)
    change = last["revision"] if last else None
    change_text = format_change(change, row["unit"])
    if last is not None and len(evolution) >= 2:
        before = evolution.row(-2, named=True)
        change_text += f" vs {period_label(before['period'], None, 'M')} outlook"
    return Card(
        **_catalogue_fields(row),
        period=date(target, 1, 1),
        period_text=f"{target} forecast",
        value=last["value"] if last else None,
        change=change,
        change_text=change_text,
        published_at=last["period"] if last else None,
        revised=bool(last and change not in (None, 0.0)),
        spark=evolution.select("period", "value"),
    )


def release_feed(path: Path, *, limit: int = 8) -> pl.DataFrame:
    """The newest releases with what each changed and which series it touched."""
    with reader(path) as con:
        return con.sql(
            """
            SELECT r.release_id, r.published_at, r.source, r.title, r.url,
                   r.rows_new, r.rows_revised, r.rows_unchanged, r.rows_deleted,
                   coalesce(list_sort(list_distinct(list(o.series_id))), []) AS series_ids
            FROM releases AS r
            LEFT JOIN observations AS o USING (release_id)
            GROUP BY ALL
            ORDER BY r.published_at DESC, r.release_id DESC
            LIMIT $n
            """,
            params={"n": limit},
        ).pl()


def events(path: Path) -> pl.DataFrame:
    """The event annotations, oldest first."""
    with reader(path) as con:
        return queries.events(con)


# Explorer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExploreState:
    """Everything the Explorer draws; round-trips through the URL query string."""

    series: tuple[str, ...] = ("CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY")
    transform: str = "lin"
    rebase: str | None = None
    freq: str = ""
    agg: str = "avg"
    as_of: str | None = None
    start: str | None = None
    end: str | None = None
    log: bool = False
    events: bool = True
    regimes: bool = True
    vintages: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> ExploreState:
        """Parse a query string dict (values may be lists when a key repeats)."""

        def one(key: str) -> str | None:
            value = query.get(key)
            if isinstance(value, list):
                value = value[-1] if value else None
            value = str(value).strip() if value is not None else None
            return value or None

        def flag(key: str, default: bool) -> bool:
            value = one(key)
            return default if value is None else value.lower() in ("1", "true", "yes", "on")

        default = cls()
        series_text = one("series")
        series = (
            tuple(s for s in (x.strip() for x in series_text.split(",")) if s)
            if series_text is not None
            else default.series
        )
        transform = one("transform") or "lin"
        freq = (one("freq") or "").upper()
        agg = one("agg") or "avg"
        start, end = None, None
        window = one("range")
        if window and "," in window:
            start, end = (x.strip() or None for x in window.split(",", 1))
        return cls(
            series=series,
            transform=transform if transform in TRANSFORMS else "lin",
            rebase=one("rebase"),
            freq=freq if freq in FREQUENCIES else "",
            agg=agg if agg in AGGREGATIONS else "avg",
            as_of=_date_text(one("as_of")),
            start=_date_text(start),
            end=_date_text(end),
            log=flag("log", False),
            events=flag("events", True),
            regimes=flag("regimes", True),
            vintages=flag("vintages", False),
        )

    def to_query(self) -> str:
        """The query string (without ``?``) that reproduces this state; defaults are left out."""
        from urllib.parse import urlencode

        default = ExploreState()
        pairs: list[tuple[str, str]] = [("series", ",".join(self.series))]
        if self.transform != "lin":
            pairs.append(("transform", self.transform))
        if self.rebase:
            pairs.append(("rebase", self.rebase))
        if self.freq:
            pairs.append(("freq", self.freq))
            pairs.append(("agg", self.agg))
        if self.as_of:
            pairs.append(("as_of", self.as_of))
        if self.start or self.end:
            pairs.append(("range", f"{self.start or ''},{self.end or ''}"))
        for name in ("log", "events", "regimes", "vintages"):
            if getattr(self, name) != getattr(default, name):
                pairs.append((name, "1" if getattr(self, name) else "0"))
        return urlencode(pairs, safe=",")


def _date_text(value: str | None) -> str | None:
    """Keep the date part of an ISO date or date-time; anything else is dropped."""
    if not value:
        return None
    match = re.match(r"^\d{4}-\d{2}-\d{2}", value.strip())
    return match.group(0) if match else None


@dataclass
class Drawn:
    """What the Explorer draws: the observations plus the catalogue, events and regimes."""

    frame: pl.DataFrame  # series_id, period, period_end, value, release_id, published_at, ...
    meta: dict[str, dict]
    events: pl.DataFrame | None = None
    regimes: pl.DataFrame | None = None
    downsampled: bool = False
    #: Where steps of policy levels still in force end: the as-of day, else the newest release.
    until: date | None = None


# Each reads every drawn series in one pass over the store (the macros' `series_ids` list): one
# query per series costs a scan and a plan per series, ~30 ms and ~50 ms each on 10M rows.
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


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pl.DataFrame:
    """Run an Explorer query; a SQL guard's error (unit guard, base) is a `TransformError`."""
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


def _known(
    con: duckdb.DuckDBPyConnection, series_ids: str | list[str], as_of: datetime | None
) -> pl.DataFrame:
    """Series (as now known or as of a time) with provenance, in one query for all of them."""
    ids = [series_ids] if isinstance(series_ids, str) else list(series_ids)
    return _read(con, _KNOWN_SQL, {"ids": ids, "ts": as_of})


def _derived(
    con: duckdb.DuckDBPyConnection,
    series_ids: list[str],
    state: ExploreState,
    as_of: datetime | None,
    meta: Mapping[str, Mapping],
) -> pl.DataFrame:
    """The series through the ``transformed``, ``rebased`` or ``aggregated`` macro, in one query.

    The as-of cut comes first and, with a frequency, aggregation; the provenance columns name the
    release of each period's own value.
    """
    from tracker import analytics

    params: dict = {"ts": as_of, "frequency": state.freq or None, "method": state.agg}
    if state.rebase:
        if state.transform != "lin":
            raise TransformError(
                f"error: rebasing and the '{state.transform}' transform do not combine "
                "(choose lin to rebase, or clear the rebase period)"
            )
        # The base period's days depend on each series' frequency (an ISO date names the
        # observation containing it): one query per distinct span, usually one in all.
        spans: dict[tuple[date, date], list[str]] = {}
        for series_id in series_ids:
            frequency = state.freq or meta[series_id]["frequency"]
            spans.setdefault(analytics._base_span(state.rebase, frequency), []).append(series_id)
        frames = [
            _read(
                con,
                _SOURCED_SQL.format(derived=_DERIVED["rebased"]),
                {**params, "ids": ids, "first": first, "last": last},
            )
            for (first, last), ids in spans.items()
        ]
        return pl.concat(frames, how="diagonal_relaxed").sort("series_id", "period")
    if state.transform == "lin":
        return _read(
            con, _SOURCED_SQL.format(derived=_DERIVED["aggregated"]), {**params, "ids": series_ids}
        )
    return _read(
        con,
        _SOURCED_SQL.format(derived=_DERIVED["transformed"]),
        {**params, "ids": series_ids, "code": state.transform},
    )


def _catalogue_rows(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> dict[str, dict]:
    """Catalogue rows by id, in the order asked, in one query for all of them."""
    rows = con.sql(
        "SELECT * FROM series WHERE list_contains($ids, series_id)", params={"ids": series_ids}
    ).pl()
    known = {row["series_id"]: row for row in rows.to_dicts()}
    # An unknown id gets the catalogue's own error, with the ids that come close.
    return {s: known.get(s) or queries.require_series(con, s) for s in series_ids}


def explore(path: Path, state: ExploreState, *, max_points: int | None = MAX_POINTS) -> Drawn:
    """The Explorer's data for ``state``; ``max_points=None`` returns every row (the download).

    ``max_points`` is the budget of the whole figure, shared by its traces (see `downsample`).
    """
    as_of = _ts(state.as_of)
    ids = list(dict.fromkeys(state.series))
    with reader(path) as con:
        meta = _catalogue_rows(con, ids)
        if state.freq and not state.vintages:
            # Aggregated values span the target frequency's periods.
            meta = {s: {**m, "frequency": state.freq} for s, m in meta.items()}
        plain = state.transform == "lin" and not state.rebase and not state.freq
        if state.vintages and len(ids) == 1:
            frame = _vintages(con, ids[0], as_of)
        elif plain:
            frame = _known(con, ids, as_of)
        else:
            frame = _derived(con, ids, state, as_of, meta)
        # Traces (and their colours) follow the order the series were picked in.
        frame = _in_order(frame, _trace_keys(frame), ids)
        if state.start or state.end:
            frame = frame.filter(
                pl.col("period_end").fill_null(pl.col("period"))
                >= (date.fromisoformat(state.start) if state.start else date.min),
                pl.col("period") <= (date.fromisoformat(state.end) if state.end else date.max),
            )
        downsampled = False
        if max_points is not None:
            frame, downsampled = downsample(frame, max_points=max_points)
        event_frame = _events_for(con, as_of) if state.events else None
        policy = [s for s, m in meta.items() if m["kind"] == "policy"]
        regime_frame = _regimes_for(con, policy, as_of) if state.regimes and policy else None
        newest = db.scalar(con, "SELECT max(published_at) FROM releases")
    until = as_of.date() if as_of else (newest.date() if newest else None)
    return Drawn(
        until=until,
        frame=frame,
        meta=meta,
        events=event_frame,
        regimes=regime_frame,
        downsampled=downsampled,
    )


def _empty_drawn() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "series_id": pl.String,
            "period": pl.Date,
            "period_end": pl.Date,
            "value": pl.Float64,
            "release_id": pl.Int64,
            "published_at": pl.Datetime,
            "source": pl.String,
            "title": pl.String,
            "url": pl.String,
        }
    )


#: Vintages overlaid at most (the newest ones).
MAX_VINTAGES = 8


def _vintages(
    con: duckdb.DuckDBPyConnection, series_id: str, as_of: datetime | None
) -> pl.DataFrame:
    """The series as known right after each release that changed it (newest MAX_VINTAGES)."""
    releases = con.sql(
        """
        SELECT DISTINCT release_id, published_at FROM vintages
        WHERE series_id = $id AND ($ts IS NULL OR published_at <= $ts)
        ORDER BY release_id DESC LIMIT $n
        """,
        params={"id": series_id, "ts": as_of, "n": MAX_VINTAGES},
    ).fetchall()
    frames = []
    for release_id, published_at in sorted(releases):
        known = _known(con, series_id, published_at).filter(pl.col("release_id") <= release_id)
        frames.append(
            known.with_columns(
                pl.lit(release_id, pl.Int64).alias("vintage_id"),
                pl.lit(published_at, pl.Datetime("us")).alias("vintage"),
            )
        )
    if not frames:
        return _empty_drawn()
    return pl.concat(frames, how="diagonal_relaxed")


def _events_for(con: duckdb.DuckDBPyConnection, as_of: datetime | None) -> pl.DataFrame:
    frame = queries.events(con)
    if as_of is not None:
        frame = frame.filter(pl.col("starts_on") <= as_of.date())
    return frame


def _regimes_for(
    con: duckdb.DuckDBPyConnection, series_ids: list[str], as_of: datetime | None
) -> pl.DataFrame:
    """Policy regimes of the given series as known at ``as_of`` (the ``regimes_asof`` macro, as
    `tracker.analytics.regimes` reads it), in one query for all of them."""
    return con.sql(
        """
        SELECT * FROM regimes_asof($ts)
        WHERE list_contains($ids, series_id)
        ORDER BY series_id, effective_from
        """,
        params={"ts": as_of, "ids": series_ids},
    ).pl()


def _trace_keys(frame: pl.DataFrame) -> list[str]:
    """The columns that tell one drawn trace from another."""
    return ["series_id", "vintage_id"] if "vintage_id" in frame.columns else ["series_id"]


def _in_order(
    frame: pl.DataFrame, keys: list[str], series_ids: list[str] | None = None
) -> pl.DataFrame:
    """Rows by trace, then period; the series in the order given (default: as they first appear)."""
    if series_ids is None:
        series_ids = frame["series_id"].unique(maintain_order=True).to_list()
    rank = pl.col("series_id").replace_strict(
        {s: i for i, s in enumerate(series_ids)}, default=len(series_ids), return_dtype=pl.Int64
    )
    return frame.sort(rank, *keys[1:], "period")


def point_share(lengths: Iterable[int], budget: int) -> int | None:
    """The most points each trace may keep so that all of them together stay within ``budget``.

    Traces shorter than an equal share keep every point and leave the rest to the longer ones
    (water-filling): one daily series next to a monthly one keeps the monthly one whole. None when
    everything fits.
    """
    ordered = sorted(lengths)
    left = budget
    for index, length in enumerate(ordered):
        fair = left // (len(ordered) - index)
        if length > fair:
            return max(fair, 0)
        left -= length
    return None


def downsample(frame: pl.DataFrame, *, max_points: int = MAX_POINTS) -> tuple[pl.DataFrame, bool]:
    """At most ``max_points`` rows for the whole figure, shared by its traces (`point_share`).

    A trace longer than its share ``cap`` keeps its first and last rows and the minimum and the
    maximum of each of ``(cap - 2) // 2`` equal buckets (row ``i`` of ``n`` is in bucket
    ``i * buckets // n``; ties go to the earlier row, and a bucket with no value keeps its first
    row, so a gap stays a gap). So the budget holds while a share is at least 4 points. Stateless
    (computed per request over what is being drawn) and extremes-preserving: a spike survives any
    zoom level. Returns the frame (rows by trace, then period) and whether anything was dropped.
    """
    if frame.height <= max_points:
        return frame, False
    keys = _trace_keys(frame)
    cap = point_share(frame.group_by(keys).len()["len"].to_list(), max_points)
    if cap is None:
        return frame, False
    buckets = max((cap - 2) // 2, 1)
    rows = (
        _in_order(frame, keys)
        .with_row_index("_row")
        .with_columns(pl.struct(keys).rle_id().alias("_trace"))
        .with_columns(
            pl.len().over("_trace").alias("_n"),
            (pl.col("_row") - pl.col("_row").min().over("_trace")).alias("_position"),
        )
    )
    # One integer key per (trace, bucket): a group-by over it beats windows over the text keys.
    bucket = pl.col("_trace") * (buckets + 1) + pl.col("_position") * buckets // pl.col("_n")
    extremes = (
        rows.filter(pl.col("_n") > cap)
        .group_by(bucket.alias("_bucket"))
        .agg(
            pl.col("_row").sort_by("value", nulls_last=True).first().alias("low"),
            pl.col("_row").sort_by("value", descending=True, nulls_last=True).first().alias("high"),
        )
    )
    kept = pl.concat([extremes["low"], extremes["high"]]).implode()
    out = rows.filter(
        (pl.col("_n") <= cap)
        | (pl.col("_position") == 0)
        | (pl.col("_position") == pl.col("_n") - 1)
        | pl.col("_row").is_in(kept)
    ).drop("_row", "_trace", "_n", "_position")
    return out, out.height < frame.height


def transform_choices(path: Path, series_ids: Iterable[str]) -> dict[str, str | None]:
    """Each FRED code -> None when every selected series allows it, else why not.

    The reasons are `tracker.analytics.allowed_transforms`, the same text the ``transformed``
    macro raises, e.g. "pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate".
    """
    from tracker import analytics

    choices: dict[str, str | None] = dict.fromkeys(TRANSFORMS)
    ids = list(series_ids)
    if not ids:
        return choices
    with reader(path) as con:
        rows = con.sql(
            "SELECT series_id, unit_kind, unit FROM series "
            "WHERE list_contains($ids, series_id) ORDER BY series_id",
            params={"ids": ids},
        ).fetchall()
        for series_id, unit_kind, unit in rows:
            allowed = analytics.allowed_transforms(con, unit_kind, series_id=series_id, unit=unit)
            for code in TRANSFORMS:
                if choices[code] is None and allowed.get(code):
                    choices[code] = allowed[code]
    return choices


def download_frame(drawn: Drawn, state: ExploreState) -> pl.DataFrame:
    """What is drawn, with its provenance, as the CSV download gives it."""
    names = {s: m["name"] for s, m in drawn.meta.items()}
    units = {s: m["unit"] for s, m in drawn.meta.items()}
    frame = drawn.frame.with_columns(
        pl.col("series_id").replace_strict(names, default=None).alias("name"),
        (
            pl.col("unit")
            if "unit" in drawn.frame.columns
            else pl.col("series_id").replace_strict(units, default=None)
        ).alias("unit"),
        pl.lit(state.transform).alias("transform"),
        pl.lit(state.as_of).alias("as_of"),
    )
    columns = [
        "series_id", "name", "unit", "period", "period_end", "value", "transform", "as_of",
        "release_id", "published_at", "source", "title", "url",
    ]  # fmt: skip
    if "vintage_id" in frame.columns:
        columns[3:3] = ["vintage_id", "vintage"]
    return frame.select([c for c in columns if c in frame.columns])


# Revisions -----------------------------------------------------------------------------------


def _with_names(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    names = con.sql("SELECT series_id, name, unit, source FROM series").pl()
    extra = [c for c in ("name", "unit", "source") if c in frame.columns]
    return frame.drop(extra).join(names, on="series_id", how="left")


def forecast_evolution(path: Path, *, target: int, series_ids: Iterable[str] = ()) -> pl.DataFrame:
    """Forecasts for one target year by publication date (`tracker.analytics`)."""
    from tracker import analytics

    ids = list(series_ids)
    with reader(path) as con:
        frame = analytics.forecast_evolution(con)
        frame = frame.filter(pl.col("target_period").dt.year() == target)
        if ids:
            frame = frame.filter(pl.col("series_id").is_in(ids))
        return _with_names(con, frame).sort("series_id", "published_at", "release_id")


def forecast_targets(path: Path) -> list[int]:
    """Target years that have forecasts, newest first."""
    from tracker import analytics

    with reader(path) as con:
        frame = analytics.forecast_evolution(con)
    return sorted(set(frame["target_period"].dt.year().to_list()), reverse=True)


def revision_triangle(path: Path, series_id: str) -> pl.DataFrame:
    """The long period × release table of one series (`tracker.analytics.revision_triangle`),
    with each period's end (for labels such as ``Jan–Feb 2025``)."""
    from tracker import analytics

    with reader(path) as con:
        frame = analytics.revision_triangle(con, series_id)
        ends = con.sql(
            "SELECT period, max(period_end) AS period_end FROM observations "
            "WHERE series_id = $id GROUP BY period",
            params={"id": series_id},
        ).pl()
    return frame.join(ends, on="period", how="left")


def first_vs_latest(path: Path, series_id: str) -> pl.DataFrame:
    """First-published against latest value for each period of a series."""
    with reader(path) as con:
        queries.require_series(con, series_id)
        return con.sql(
            """
            WITH newest AS (
                SELECT period, arg_max(revision_since_first, release_id) AS difference
                FROM revision_triangle WHERE series_id = $id GROUP BY period
            )
            SELECT l.period, l.period_end,
                   f.value AS first_value, f.published_at AS first_published_at,
                   l.value AS latest_value, l.published_at AS latest_published_at,
                   n.difference
            FROM latest AS l
            JOIN first_release AS f USING (series_id, period)
            LEFT JOIN newest AS n USING (period)
            WHERE l.series_id = $id
            ORDER BY l.period DESC
            """,
            params={"id": series_id},
        ).pl()


def revision_stats(path: Path) -> pl.DataFrame:
    """Per-series revision statistics (`tracker.analytics.revision_stats`) with names."""
    from tracker import analytics

    with reader(path) as con:
        return _with_names(con, analytics.revision_stats(con)).sort("series_id")


def revised_series(path: Path) -> list[str]:
    """Series with at least one revision, most revised first."""
    with reader(path) as con:
        rows = con.execute(
            "SELECT series_id FROM revisions GROUP BY series_id ORDER BY count(*) DESC, series_id"
        ).fetchall()
    return [r[0] for r in rows]


# Releases ------------------------------------------------------------------------------------


def releases(path: Path) -> pl.DataFrame:
    """Every release, newest first."""
    with reader(path) as con:
        return queries.releases(con)


@dataclass
class Upload:
    """A release file the browser sent, decoded."""

    file_name: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def decode_upload(contents: str, file_name: str) -> Upload:
    """Decode a ``dcc.Upload`` data URL; refuse files over the size limit."""
    name = Path(file_name or "upload").name or "upload"
    try:
        _, encoded = contents.split(",", 1)
        content = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise ValidationError(
            [f"error: {name}: the upload arrived broken (try again, or use `tracker append`)"]
        ) from None
    if len(content) > UPLOAD_LIMIT_BYTES:
        limit_mb = UPLOAD_LIMIT_BYTES // (1024 * 1024)
        raise ValidationError(
            [
                f"error: {name}: the file is {len(content) / 1024 / 1024:.1f} MB, over the "
                f"{limit_mb} MB upload limit (append it with `tracker append {name}`)"
            ]
        )
    return Upload(file_name=name, content=content)


def append_upload(
    path: Path,
    upload: Upload,
    meta_fields: Mapping[str, str | None],
    *,
    fmt: str | None = None,
    dry_run: bool,
):
    """Validate (and unless ``dry_run``, commit) an uploaded release, like `tracker append`.

    The bytes are read from memory with the same readers as the CLI (`tracker.append.append`),
    and the store is opened read-write only for the append itself.
    """
    from tracker import append as appending
    from tracker.formats import Source

    meta = appending.ReleaseMeta(
        source=(meta_fields.get("source") or None),
        published=appending.parse_published(meta_fields.get("published") or None),
        title=(meta_fields.get("title") or None),
        url=(meta_fields.get("url") or None),
    )
    return appending.append(
        path,
        Source(upload.file_name, data=upload.content),
        meta=meta,
        format=fmt or None,
        dry_run=dry_run,
    )


def format_names() -> list[str]:
    """The release formats the upload accepts (``--format`` names)."""
    from tracker import formats

    return list(formats.registry())


# SQL console ---------------------------------------------------------------------------------

EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "OECD forecast revisions",
        "SELECT * FROM revisions WHERE series_id = 'WLD.GDP.OECD_FCST'",
    ),
    (
        "World forecasts as of 1 May 2025",
        "SELECT * FROM asof(DATE '2025-05-01') WHERE series_id LIKE 'WLD%'",
    ),
    (
        "Latest China trade",
        "SELECT series_id, period, value, published_at\nFROM latest\n"
        "WHERE series_id LIKE 'CHN.%PORTS.YOY'\nORDER BY period DESC, series_id\nLIMIT 12",
    ),
    (
        "Catalogue with latest readings",
        "SELECT series_id, name, unit, last_period, last_value, change\nFROM series_summary",
    ),
    (
        "Releases with revisions",
        "SELECT release_id, published_at, source, title, rows_new, rows_revised\nFROM releases\n"
        "WHERE rows_revised > 0\nORDER BY published_at DESC",
    ),
)


def public_objects(path: Path) -> list[dict]:
    """The public views (with columns) and table macros (with parameters) of the store."""
    with reader(path) as con:
        views = con.sql(
            """
            SELECT v.view_name AS name,
                   list(c.column_name || ' ' || lower(c.data_type) ORDER BY c.column_index)
                       AS columns,
                   v.comment
            FROM duckdb_views() AS v
            JOIN duckdb_columns() AS c
              ON c.table_name = v.view_name AND c.schema_name = v.schema_name
                 AND c.database_name = v.database_name
            WHERE NOT v.internal AND v.schema_name = 'main'
            GROUP BY ALL
            ORDER BY v.view_name
            """
        ).pl()
        macros = con.sql(
            """
            SELECT function_name AS name, list_distinct(parameters) AS parameters
            FROM duckdb_functions()
            WHERE NOT internal AND function_type = 'table_macro' AND schema_name = 'main'
            GROUP BY ALL
            ORDER BY function_name
            """
        ).pl()
    objects = [
        {"name": r["name"], "kind": "view", "columns": list(r["columns"])}
        for r in views.iter_rows(named=True)
    ]
    objects += [
        {"name": r["name"], "kind": "macro", "columns": list(r["parameters"])}
        for r in macros.iter_rows(named=True)
    ]
    return objects


def run_sql(path: Path, sql: str, *, max_rows: int = SQL_MAX_ROWS, timeout: float = SQL_TIMEOUT):
    """Run console SQL through `tracker.sqlconsole` (read-only, contained, time-limited)."""
    from tracker import sqlconsole

    return sqlconsole.run(path, sql, max_rows=max_rows, timeout=timeout)


def flat_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame CSV can hold: lists and structs as text."""
    nested = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))
    ]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(_cell_text, return_dtype=pl.String) for name in nested
    )


def grid_rows(frame: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """ag-grid column definitions and JSON-safe rows for any frame."""
    columns = []
    exprs = []
    for name, dtype in frame.schema.items():
        numeric = dtype.is_numeric()
        column = {"field": name, "headerName": name}
        if numeric:
            column["type"] = "numericColumn"
            column["filter"] = "agNumberColumnFilter"
        columns.append(column)
        if isinstance(dtype, pl.Datetime) and _all_midnight(frame[name]):
            exprs.append(pl.col(name).dt.date().cast(pl.String))
        elif isinstance(dtype, (pl.Date, pl.Datetime, pl.Time, pl.Duration)):
            exprs.append(pl.col(name).cast(pl.String))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Binary, pl.Object, pl.Decimal)):
            exprs.append(pl.col(name).map_elements(_cell_text, return_dtype=pl.String))
    if exprs:
        frame = frame.with_columns(exprs)
    return columns, frame.to_dicts()


def _all_midnight(column: pl.Series) -> bool:
    values = column.drop_nulls()
    return values.is_empty() or bool((values.dt.truncate("1d") == values).all())


def _cell_text(value: object) -> str:
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
