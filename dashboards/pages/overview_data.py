"""What the Overview shows: the user's cards, what is due or late, the newest releases.

However many series the store holds, the cards cost four queries over the kept state and the
cards' own rows (`tracker.queries.overview`, which asks which series first so that only their
history is read, then `recent_values` and `forecast_paths`): never a scan of the history. Every
number on a card comes from the view ``overview_cards``, which a plain DuckDB client can query;
numbers come as text from the SQL macro ``display_number``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from dashboards import format as fmt
from dashboards.store import reader
from tracker import queries


@dataclass
class Card:
    """What one Overview card shows (one row of the view ``overview_cards``, plus its sparkline)."""

    series_id: str
    name: str
    unit: str
    unit_kind: str
    kind: str
    frequency: str
    source: str
    chosen_by: str
    period: date | None
    period_text: str
    value: float | None
    value_text: str
    change: float | None
    change_text: str
    published_at: datetime | None
    revised: bool
    freshness: str | None = None
    overdue: bool = False
    expected_text: str | None = None
    surprise: float | None = None
    spark: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)


def overview_cards(path: Path, *, today: date | None = None, spark_points: int = 24) -> list[Card]:
    """The Overview's cards as seen on ``today`` (default: the current date): the watchlist's
    series, or with an empty watchlist the series with the newest releases.

    Four queries whatever the store holds: the cards (`tracker.queries.overview`: which series,
    then the view ``overview_cards``), the actual series' newest values and the forecast series'
    outlooks.
    """
    with reader(path) as con:
        rows = queries.overview(con, today=today).to_dicts()
        forecasts = [r["series_id"] for r in rows if r["kind"] == "forecast"]
        actual = [r["series_id"] for r in rows if r["kind"] != "forecast"]
        sparks = queries.recent_values(con, actual, periods=spark_points) if actual else None
        paths = queries.forecast_paths(con, forecasts) if forecasts else None
    cards = []
    for row in rows:
        if row["kind"] == "forecast":
            assert paths is not None
            outlooks = paths.filter(
                (pl.col("series_id") == row["series_id"])
                & (pl.col("target_period") == row["period"])
            ).sort("published_at", "release_id")
            cards.append(_forecast_card(row, outlooks))
        else:
            assert sparks is not None
            spark = sparks.filter(pl.col("series_id") == row["series_id"]).sort("period")
            cards.append(_actual_card(row, spark))
    return cards


def _card_fields(row: dict) -> dict:
    """The Card fields that come straight from the view."""
    names = ("series_id", "name", "unit", "unit_kind", "kind", "frequency", "source", "chosen_by")
    fields = {name: row[name] for name in names}
    expected = None
    if row["consensus"] is not None:
        expected = "expected " + fmt.reading(
            _unsigned(row["consensus_text"]), row["consensus"], row["unit"], row["unit_kind"]
        )
    fields.update(
        period=row["period"],
        value=row["value"],
        change=row["change"],
        published_at=row["published_at"],
        revised=bool(row["revised"]),
        freshness=row["freshness"],
        overdue=bool(row["overdue"]),
        expected_text=expected,
        surprise=row["surprise"],
    )
    return fields


def _reading(row: dict) -> str:
    return fmt.reading(_unsigned(row["value_text"]), row["value"], row["unit"], row["unit_kind"])


def _actual_card(row: dict, spark: pl.DataFrame) -> Card:
    period = row["period"]
    if period is None:
        period_text = "—"
    elif row["kind"] == "policy":
        period_text = f"since {fmt.day_label(period)}"
    else:
        period_text = fmt.period_label(period, row["period_end"], row["frequency"])
    change_text = fmt.change(_unsigned(row["change_text"]), row["change"], row["unit"])
    if row["change"] is not None and len(spark) >= 2:
        before = spark.row(len(spark) - 2, named=True)
        if row["kind"] == "policy":
            previous = fmt.reading(
                _unsigned(row["previous_text"]),
                row["previous_value"],
                row["unit"],
                row["unit_kind"],
            )
            change_text += f" from {previous}"
        else:
            label = fmt.period_label(before["period"], before["period_end"], row["frequency"])
            change_text += f" vs {label}"
    return Card(
        **_card_fields(row),
        period_text=period_text,
        value_text=_reading(row),
        change_text=change_text,
        spark=spark.select("period", "value"),
    )


def _forecast_card(row: dict, outlooks: pl.DataFrame) -> Card:
    change_text = fmt.change(_unsigned(row["change_text"]), row["change"], row["unit"])
    if row["change"] is not None and len(outlooks) >= 2:
        before = outlooks.row(-2, named=True)
        change_text += f" vs {fmt.period_label(before['published_at'], None, 'M')} outlook"
    period = row["period"]
    return Card(
        **_card_fields(row),
        period_text=f"{period.year} forecast" if period else "—",
        value_text=_reading(row),
        change_text=change_text,
        spark=outlooks.select(pl.col("published_at").alias("period"), "value"),
    )


def _unsigned(text: str | None) -> str | None:
    """A signed ``display_number`` text without its sign (`dashboards.format.change` adds it)."""
    return text.lstrip("+-") if text is not None else None


def calendar(
    path: Path, *, today: date | None = None, days: int = 14, limit: int = 8
) -> tuple[pl.DataFrame, int, int]:
    """The "Upcoming and overdue" panel: `tracker.queries.calendar_panel`."""
    with reader(path) as con:
        return queries.calendar_panel(con, today=today, days=days, limit=limit)


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
