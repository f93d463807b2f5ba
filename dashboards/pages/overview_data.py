"""What the Overview shows: a card per key indicator, read in a fixed number of queries.

However many series the store holds, the cards cost three queries over the kept state and the
indicators' own rows (`tracker.queries.indicators`, `recent_values`, `forecast_paths`): never a
scan of the history. Numbers come as text from the SQL macro ``display_number``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from dashboards import format as fmt
from dashboards.store import reader
from tracker import queries

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
    value_text: str
    change: float | None
    change_text: str
    published_at: datetime | None
    revised: bool
    spark: pl.DataFrame = field(repr=False)


def overview_cards(
    path: Path, keys: Iterable[tuple[str, int | None]] = KEY_INDICATORS, *, spark_points: int = 24
) -> list[Card]:
    """One card per key indicator, as now known; unknown series are skipped."""
    keys = list(keys)
    with reader(path) as con:
        rows = {r["series_id"]: r for r in queries.indicators(con, [s for s, _ in keys]).to_dicts()}
        forecasts = {s: t for s, t in keys if s in rows and _is_forecast(rows[s], t)}
        actual = [s for s, _ in keys if s in rows and s not in forecasts]
        sparks = queries.recent_values(con, actual, periods=spark_points)
        paths = queries.forecast_paths(con, list(forecasts))
    cards = []
    for series_id, _ in keys:
        row = rows.get(series_id)
        if row is None:
            continue
        if series_id in forecasts:
            target = forecasts[series_id]
            assert target is not None
            outlooks = paths.filter(
                (pl.col("series_id") == series_id) & (pl.col("target_period").dt.year() == target)
            )
            cards.append(_forecast_card(row, target, outlooks))
        else:
            spark = sparks.filter(pl.col("series_id") == series_id).sort("period")
            cards.append(_actual_card(row, spark))
    return cards


def _is_forecast(row: dict, target: int | None) -> bool:
    return row["kind"] == "forecast" and target is not None


def _catalogue_fields(row: dict) -> dict:
    """The Card fields that come straight from the series catalogue."""
    names = ("series_id", "name", "unit", "unit_kind", "kind", "frequency", "source")
    return {name: row[name] for name in names}


def _actual_card(row: dict, spark: pl.DataFrame) -> Card:
    period = row["last_period"]
    if row["kind"] == "policy":
        period_text = f"since {fmt.day_label(period)}" if period else "—"
    else:
        ends = spark.filter(pl.col("period") == period)["period_end"] if period else None
        end = ends[0] if ends is not None and len(ends) else None
        period_text = fmt.period_label(period, end, row["frequency"]) if period else "—"
    change_text = fmt.change(row["change_text"], row["change"], row["unit"])
    if row["change"] is not None and len(spark) >= 2:
        before = spark.row(len(spark) - 2, named=True)
        if row["kind"] == "policy":
            previous = fmt.reading(
                row["previous_value_text"], row["previous_value"], row["unit"], row["unit_kind"]
            )
            change_text += f" from {previous}"
        else:
            label = fmt.period_label(before["period"], before["period_end"], row["frequency"])
            change_text += f" vs {label}"
    return Card(
        **_catalogue_fields(row),
        period=period,
        period_text=period_text,
        value=row["last_value"],
        value_text=fmt.reading(
            row["last_value_text"], row["last_value"], row["unit"], row["unit_kind"]
        ),
        change=row["change"],
        change_text=change_text,
        published_at=row["last_published_at"],
        revised=bool(row["last_release_revisions"]),
        spark=spark.select("period", "value"),
    )


def _forecast_card(row: dict, target: int, outlooks: pl.DataFrame) -> Card:
    evolution = outlooks.sort("published_at", "release_id")
    last = None if evolution.is_empty() else evolution.row(-1, named=True)
    change = last["revision"] if last else None
    change_text = fmt.change(last["revision_text"] if last else None, change, row["unit"])
    if last is not None and len(evolution) >= 2:
        before = evolution.row(-2, named=True)
        change_text += f" vs {fmt.period_label(before['published_at'], None, 'M')} outlook"
    value = last["value"] if last else None
    return Card(
        **_catalogue_fields(row),
        period=date(target, 1, 1),
        period_text=f"{target} forecast",
        value=value,
        value_text=fmt.reading(
            last["value_text"] if last else None, value, row["unit"], row["unit_kind"]
        ),
        change=change,
        change_text=change_text,
        published_at=last["published_at"] if last else None,
        revised=bool(last and change not in (None, 0.0)),
        spark=evolution.select(pl.col("published_at").alias("period"), "value"),
    )


def release_feed(path: Path, *, limit: int = 8) -> pl.DataFrame:
    """The newest releases with what each changed and which series it touched."""
    with reader(path) as con:
        return queries.release_feed(con, limit=limit)


def events(path: Path) -> pl.DataFrame:
    """The event annotations, oldest first."""
    with reader(path) as con:
        return queries.events(con)


def newest_release(path: Path) -> datetime | None:
    """Publication time of the newest release in the store."""
    with reader(path) as con:
        return queries.newest_release(con)
