"""Synthetic FRED-scale release histories: N series × M months of history × V vintages.

The shape follows what statistical agencies publish:

- 60 % monthly, 25 % quarterly and 15 % annual series (by series index, so a series' frequency
  does not depend on how many series are generated), starting up to a third of the history late;
  optionally a few business-daily series (market rates) that are never revised;
- 20 publishers; vintage ``v`` is one release per publisher, published in month ``v`` after
  January 2024 on the publisher's day of the month;
- each vintage adds the periods that became available (a month after a month ends, four months
  after a quarter starts, fourteen after a year starts) and revises, with probability 1/2, each
  of the last 6 monthly / 2 quarterly / 1 annual values; the middle vintage is a benchmark
  revision that revises ``benchmark_share`` of the whole history and deletes 0.1 % of the
  values it touches;
- only what a release adds or changes is stored (what `tracker append` keeps), rows of a release
  in (series_id, period) order, releases in publication order: the physical layout an
  append-only store gets.

Everything is vectorised with NumPy and deterministic for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

#: Frequency of series ``i`` is ``FREQUENCY_CYCLE[i % 20]``.
FREQUENCY_CYCLE = "M" * 12 + "Q" * 5 + "A" * 3
#: Months between consecutive periods.
STEP = {"M": 1, "Q": 3, "A": 12}
#: A period starting in month m is first published in month m + LAG.
LAG = {"M": 1, "Q": 4, "A": 14}
#: How many of the newest values each vintage may revise.
WINDOW = {"M": 6, "Q": 2, "A": 1}
PUBLISHERS = 20
#: Month index (year * 12 + month - 1) of the first vintage: January 2024.
FIRST_VINTAGE = 2024 * 12
REVISION_PROBABILITY = 0.5
DELETE_PROBABILITY = 0.001


@dataclass
class History:
    """A generated store: catalogue, releases and the stored observation-vintages."""

    series: pl.DataFrame
    releases: pl.DataFrame
    observations: pl.DataFrame


def series_id(index: int | np.ndarray, prefix: str = "S") -> list[str]:
    """FRED-style upper-case ids: ``S000123M`` (index, then frequency letter)."""
    indexes = np.atleast_1d(index)
    return [f"{prefix}{i:06d}{FREQUENCY_CYCLE[i % 20]}" for i in indexes.tolist()]


def published_at(vintage: int, publisher: int) -> datetime:
    """When publisher ``publisher`` released vintage ``vintage``."""
    month = FIRST_VINTAGE + vintage
    return datetime(month // 12, month % 12 + 1, 5 + publisher, 8, 30)


def _month_start(month: np.ndarray) -> np.ndarray:
    """First day of each month index (year * 12 + month - 1)."""
    return (month - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _ranges(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, the integers first[i] .. first[i] + count[i] - 1; returns (owner, value)."""
    owner = np.repeat(np.arange(first.size), count)
    starts = np.cumsum(count) - count
    position = np.arange(owner.size) - np.repeat(starts, count)
    return owner, np.repeat(first, count) + position


def _walk(owner: np.ndarray, rng: np.random.Generator, n_owners: int) -> np.ndarray:
    """A random-walk level per row, restarting for each owner (rows grouped by owner)."""
    level = 10 ** rng.uniform(0, 4, n_owners)
    steps = rng.normal(0, 0.01, owner.size)
    total = np.cumsum(steps)
    first = np.searchsorted(owner, np.arange(n_owners))
    offset = np.where(first > 0, total[np.maximum(first - 1, 0)], 0.0)
    cum = total - np.repeat(offset, np.bincount(owner, minlength=n_owners))
    return np.round(level[owner] * np.exp(cum), 3)


def history(
    n_series: int,
    *,
    months: int = 360,
    vintages: int = 12,
    benchmark_share: float = 0.8,
    n_daily: int = 0,
    daily_years: int = 10,
    seed: int = 7,
    prefix: str = "S",
) -> History:
    """Generate a release history; see the module docstring for its shape.

    Parameters
    ----------
    n_series
        Monthly, quarterly and annual series.
    months
        Length of the longest history at the first vintage.
    vintages
        Number of vintages (each is one release per publisher).
    benchmark_share
        Share of the history the benchmark vintage (the middle one) revises.
    n_daily
        Business-daily series with ``daily_years`` of history, never revised.
    seed
        Random seed.
    prefix
        First letter of the period series' ids.
    """
    rng = np.random.default_rng(seed)
    index = np.arange(n_series)
    frequency = np.array(list(FREQUENCY_CYCLE))[index % 20]
    start = FIRST_VINTAGE - months + rng.integers(0, months // 3 + 1, n_series)
    publisher = rng.integers(0, PUBLISHERS, n_series)
    last = FIRST_VINTAGE + vintages - 1

    # Periods of every series up to the last vintage, grouped by series.
    owners, months_of, steps, lags, windows = [], [], [], [], []
    for code in ("M", "Q", "A"):
        chosen = index[frequency == code]
        step, lag = STEP[code], LAG[code]
        first = -(-start[chosen] // step) * step
        final = (last - lag) // step * step
        count = np.maximum((final - first) // step + 1, 0)
        owner, k = _ranges(first // step, count)
        owners.append(chosen[owner])
        months_of.append(k * step)
        steps.append(np.full(owner.size, step))
        lags.append(np.full(owner.size, lag))
        windows.append(np.full(owner.size, WINDOW[code]))
    owner = np.concatenate(owners)
    month = np.concatenate(months_of)
    step = np.concatenate(steps)
    lag = np.concatenate(lags)
    window = np.concatenate(windows)
    order = np.lexsort((month, owner))
    owner, month, step, lag, window = (a[order] for a in (owner, month, step, lag, window))
    available = np.maximum(month + lag - FIRST_VINTAGE, 0)
    value = _walk(owner, rng, n_series)

    # Vintages: what each release adds or changes.
    alive = np.ones(owner.size, dtype=bool)
    benchmark = vintages // 2 if vintages > 1 else -1
    parts = []
    for v in range(vintages):
        new = available == v
        if v == 0:
            revised = np.zeros(owner.size, dtype=bool)
            deleted = revised
        else:
            newest = (FIRST_VINTAGE + v - lag) // step * step
            age = (newest - month) // step
            old = (available < v) & alive
            revised = old & (age < window) & (rng.random(owner.size) < REVISION_PROBABILITY)
            deleted = np.zeros(owner.size, dtype=bool)
            if v == benchmark:
                revised |= old & (rng.random(owner.size) < benchmark_share)
                deleted = revised & (rng.random(owner.size) < DELETE_PROBABILITY)
            changed = revised & ~deleted
            noise = rng.normal(0, 0.002, int(changed.sum()))
            bumped = np.round(value[changed] * (1 + noise), 3)
            same = bumped == value[changed]
            bumped[same] += 0.001
            value[changed] = bumped
            alive &= ~deleted
        rows = np.flatnonzero(new | revised)
        parts.append(
            pl.DataFrame(
                {
                    "owner": owner[rows].astype(np.int64) + n_daily,
                    "period": _month_start(month[rows]),
                    "period_end": _month_start(month[rows] + step[rows]) - np.timedelta64(1, "D"),
                    "value": np.where(deleted[rows], np.nan, value[rows]),
                    "deleted": deleted[rows],
                    "revised": revised[rows],
                    "publisher": publisher[owner[rows]].astype(np.int64),
                    "vintage": np.full(rows.size, v, dtype=np.int64),
                }
            )
        )
    ids = series_id(index, prefix)
    catalogue = pl.DataFrame(
        {"series_id": ids, "frequency": frequency.tolist(), "publisher": publisher.astype(np.int64)}
    )
    if n_daily:
        daily, daily_catalogue = _daily(n_daily, daily_years, vintages, rng)
        parts.append(daily)
        catalogue = pl.concat([daily_catalogue, catalogue])

    # Sort on numbers, not strings: ids are zero-padded, so owner order is id order.
    stored = (
        pl.concat(parts, how="diagonal_relaxed")
        .with_columns(
            (pl.col("vintage") * PUBLISHERS + pl.col("publisher") + 1).alias("release_id")
        )
        .sort("release_id", "owner", "period")
    )
    observations = stored.select(
        catalogue["series_id"].gather(stored["owner"]).alias("series_id"),
        "period",
        "period_end",
        pl.when(pl.col("deleted")).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(pl.col("deleted"))
        .then(pl.lit("deleted"))
        .otherwise(pl.lit("actual"))
        .alias("status"),
        "release_id",
        "revised",
    )
    releases = _releases(observations)
    return History(
        series=_catalogue(catalogue), releases=releases, observations=observations.drop("revised")
    )


def _daily(
    n_daily: int, years: int, vintages: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Business-daily series: each vintage adds the days before its publication date."""
    publisher = rng.integers(0, PUBLISHERS, n_daily)
    first_pub = published_at(0, 0).date()
    begin = first_pub.replace(year=first_pub.year - years)
    end = published_at(vintages - 1, PUBLISHERS - 1).date()
    days = np.arange(np.datetime64(begin), np.datetime64(end))
    days = days[np.is_busday(days)]
    frames = []
    for j in range(n_daily):
        pubs = np.array(
            [np.datetime64(published_at(v, int(publisher[j])).date()) for v in range(vintages)]
        )
        vintage = np.searchsorted(pubs, days, side="right")
        keep = vintage < vintages
        frames.append(
            pl.DataFrame(
                {
                    "owner": np.full(int(keep.sum()), j, dtype=np.int64),
                    "period": days[keep],
                    "value": _walk(np.zeros(int(keep.sum()), dtype=np.int64), rng, 1),
                    "deleted": False,
                    "revised": False,
                    "publisher": int(publisher[j]),
                    "vintage": vintage[keep].astype(np.int64),
                }
            ).with_columns(
                pl.col("period").cast(pl.Date), pl.col("period").cast(pl.Date).alias("period_end")
            )
        )
    catalogue = pl.DataFrame(
        {
            "series_id": [f"D{j:06d}D" for j in range(n_daily)],
            "frequency": ["D"] * n_daily,
            "publisher": publisher.astype(np.int64),
        }
    )
    return pl.concat(frames), catalogue


def _catalogue(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows for the ``series`` table."""
    return frame.select(
        "series_id",
        pl.col("series_id").alias("name"),
        pl.lit("units").alias("unit"),
        pl.lit("level").alias("unit_kind"),
        "frequency",
        pl.lit(None, pl.String).alias("geo"),
        pl.format("Publisher {}", pl.col("publisher")).alias("source"),
        pl.lit("actual").alias("kind"),
        pl.lit(None, pl.String).alias("description"),
        pl.lit([], pl.List(pl.String)).alias("tags"),
    )


def _releases(observations: pl.DataFrame) -> pl.DataFrame:
    """Rows for the ``releases`` table, with the counts `tracker append` records."""
    counts = observations.group_by("release_id").agg(
        (~pl.col("revised") & (pl.col("status") != "deleted")).sum().alias("rows_new"),
        (pl.col("revised") & (pl.col("status") != "deleted")).sum().alias("rows_revised"),
        (pl.col("status") == "deleted").sum().alias("rows_deleted"),
    )
    rows = []
    for release_id in counts["release_id"].sort().to_list():
        vintage, publisher = divmod(release_id - 1, PUBLISHERS)
        when = published_at(vintage, publisher)
        rows.append(
            {
                "release_id": release_id,
                "source": f"Publisher {publisher}",
                "title": f"Vintage {vintage}",
                "published_at": when,
                "ingested_at": when + timedelta(hours=1),
                "file_name": f"publisher{publisher}-v{vintage}.csv",
                "format": "canonical",
                "checksum": f"sha256:synthetic-{release_id}",
            }
        )
    return (
        pl.DataFrame(rows)
        .join(counts, on="release_id")
        .with_columns(pl.lit(0, pl.Int64).alias("rows_unchanged"))
    )


def expected_rows(n_series: int, *, months: int, vintages: int, benchmark_share: float) -> float:
    """Rough row count of `history`, to size a store before generating it."""
    mean_history = months * 5 / 6  # starts are up to a third of the history late
    per_series = {"M": mean_history, "Q": mean_history / 3, "A": mean_history / 12}
    share = {"M": 0.6, "Q": 0.25, "A": 0.15}
    base = sum(share[f] * per_series[f] for f in share)
    recent = sum(share[f] * WINDOW[f] * REVISION_PROBABILITY for f in share)
    new = sum(share[f] / STEP[f] for f in share)
    bench = benchmark_share * base if vintages > 1 else 0
    return n_series * (base + (vintages - 1) * (recent + new) + bench)


def series_for_rows(rows: int, **shape) -> int:
    """How many series `history` needs for about ``rows`` observation-vintages."""
    # expected_rows runs ~1 % low at the default shape (history starts are discrete).
    return max(20, math.ceil(rows * 1.01 / expected_rows(1, **shape)))


# Release files ---------------------------------------------------------------------------------


def period_codes(frame: pl.DataFrame, frequency: pl.Expr) -> pl.Expr:
    """Canonical period codes: ``2025-05`` (M), ``2025-Q2`` (Q), ``2025`` (A), ISO date (D)."""
    year = pl.col("period").dt.year().cast(pl.String)
    return (
        pl.when(frequency == "M")
        .then(pl.col("period").dt.strftime("%Y-%m"))
        .when(frequency == "Q")
        .then(pl.format("{}-Q{}", year, pl.col("period").dt.quarter()))
        .when(frequency == "A")
        .then(year)
        .otherwise(pl.col("period").dt.strftime("%Y-%m-%d"))
    )


def snapshot(rows: int, *, months: int = 360, seed: int = 11, prefix: str = "C") -> History:
    """A first release of exactly ``rows`` observations (whole history of fresh series)."""
    n = series_for_rows(int(rows * 1.15), months=months, vintages=1, benchmark_share=0)
    generated = history(n, months=months, vintages=1, seed=seed, prefix=prefix)
    while generated.observations.height < rows:
        n *= 2
        generated = history(n, months=months, vintages=1, seed=seed, prefix=prefix)
    observations = generated.observations.sort("series_id", "period").head(rows)
    used = observations["series_id"].unique()
    return History(
        series=generated.series.filter(pl.col("series_id").is_in(used.implode())),
        releases=generated.releases.head(0),
        observations=observations,
    )


def write_canonical(observations: pl.DataFrame, series: pl.DataFrame, path: Path) -> int:
    """Write ``series_id,period,value`` (CSV or Parquet by suffix); returns the row count."""
    frame = observations.join(series.select("series_id", "frequency"), on="series_id").select(
        "series_id",
        period_codes(observations, pl.col("frequency")).alias("period"),
        "value",
    )
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(path)
    return frame.height


def fred_wide(rows: int, path: Path, *, months: int = 480, seed: int = 13) -> pl.DataFrame:
    """Write a FRED ``fredgraph.csv`` holding exactly ``rows`` observations; return its catalogue.

    Monthly dates down the rows, one column per series (60 % monthly, 25 % quarterly, 15 %
    annual, each starting at a random month of the first half): lower-frequency columns are
    empty off their dates, as in a FRED download mixing frequencies.
    """
    rng = np.random.default_rng(seed)
    first = FIRST_VINTAGE - months
    month = np.arange(first, FIRST_VINTAGE)
    columns: dict[str, np.ndarray] = {}
    frequencies = []
    total = 0
    i = 0
    while total < rows:
        code = FREQUENCY_CYCLE[i % 20]
        start = first + int(rng.integers(0, months // 2 + 1))
        on = (month >= start) & (month % STEP[code] == 0) & (month + LAG[code] <= FIRST_VINTAGE)
        count = int(on.sum())
        if total + count > rows:  # trim the last column's oldest values: leading cells are padding
            on &= np.cumsum(on[::-1])[::-1] <= rows - total
            count = int(on.sum())
        owner = np.zeros(count, dtype=np.int64)
        values = np.full(month.size, np.nan)
        values[on] = _walk(owner, rng, 1)
        name = f"F{i:05d}{code}"
        columns[name] = values
        frequencies.append((name, code))
        total += count
        i += 1
    dates = [date(m // 12, m % 12 + 1, 1).isoformat() for m in month.tolist()]
    frame = pl.DataFrame({"observation_date": dates}).hstack(pl.DataFrame(columns).fill_nan(None))
    frame.write_csv(path, float_precision=3)
    return pl.DataFrame(frequencies, schema=["series_id", "frequency"], orient="row")


def incremental(
    series_ids: list[str], *, release: int, rows: int = 1000, seed: int = 17
) -> pl.DataFrame:
    """Release ``release`` (1, 2, ...) after the generated history: for each monthly series,
    one new month and revisions of the nine before it; ``rows`` rows in all."""
    per_series = 10
    chosen = series_ids[: rows // per_series]
    rng = np.random.default_rng(seed + release)
    newest = FIRST_VINTAGE + 24 + release  # beyond any generated vintage
    frames = []
    for sid in chosen:
        months = np.arange(newest - per_series + 1, newest + 1)
        frames.append(
            pl.DataFrame(
                {
                    "series_id": sid,
                    "period": [f"{m // 12}-{m % 12 + 1:02d}" for m in months.tolist()],
                    "value": np.round(rng.uniform(50, 150, per_series), 3),
                }
            )
        )
    return pl.concat(frames)


def incremental_published(release: int) -> date:
    """Publication date of incremental release ``release``: after every generated vintage."""
    return date(2027, 1, 1) + timedelta(days=release)
