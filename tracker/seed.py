"""Load the seed history in ``data/`` (catalogue, releases, observations, events) into a store.

The seed goes through the same append pipeline as any release, one release per real
publication, so loading it twice changes nothing (each release is recognised by its checksum).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from tracker import db, paths
from tracker.append import (
    AppendResult,
    ReleaseMeta,
    append_releases,
    parse_published,
    upsert_series,
)
from tracker.errors import ValidationError
from tracker.formats import RawRelease
from tracker.formats.tabular import parse_column
from tracker.vocab import MISSING_CANONICAL


@dataclass
class SeedResult:
    series_added: list[str] = field(default_factory=list)
    events_added: int = 0
    watched: list[str] = field(default_factory=list)
    releases: list[AppendResult] = field(default_factory=list)

    @property
    def releases_added(self) -> int:
        return sum(1 for r in self.releases if r.duplicate_of is None)


def _split(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .fill_null("")
        .str.split(";")
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    )


def read_catalogue(path: Path) -> pl.DataFrame:
    """A catalogue CSV (``data/series.csv`` shape) as a frame ready for `upsert_series`."""
    frame = pl.read_csv(path, infer_schema=False)
    exprs = [pl.col(c).str.strip_chars() for c in frame.columns if c != "tags"]
    frame = frame.with_columns(exprs)
    if "tags" in frame.columns:
        frame = frame.with_columns(_split("tags").alias("tags"))
    else:
        frame = frame.with_columns(pl.lit([], pl.List(pl.String)).alias("tags"))
    for column in ("geo", "description", "actual_series_id"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
        frame = frame.with_columns(
            pl.when(pl.col(column) == "").then(None).otherwise(pl.col(column)).alias(column)
        )
    problems: list[str] = []
    frame = frame.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))
    for column in ("min_value", "max_value"):
        if column in frame.columns:
            values, bad = parse_column(frame, column, file=path.name, missing=MISSING_CANONICAL)
            problems.extend(bad)
            frame = frame.with_columns(values.alias(column))
    if problems:
        raise ValidationError(problems)
    return frame.drop("line")


def load_events(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Add the events in ``path`` that the store does not have yet (same start and title)."""
    events = pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("starts_on").str.to_date(),
        pl.col("ends_on").str.to_date(strict=True),
        _split("tags").alias("tags"),
        _split("series_ids").alias("series_ids"),
    )
    before = db.scalar(con, "SELECT count(*) FROM events")
    new_id = db.ids_sql(con, "event_id_seq")
    con.register("new_events", events)
    try:
        con.execute(
            f"""
            INSERT INTO events
                (event_id, starts_on, ends_on, title, description, tags, url, series_ids)
            SELECT {new_id}, e.starts_on, e.ends_on, e.title, e.description,
                   e.tags, e.url, e.series_ids
            FROM new_events AS e
            WHERE NOT EXISTS (
                SELECT 1 FROM events AS x WHERE x.starts_on = e.starts_on AND x.title = e.title
            )
            ORDER BY e.starts_on, e.title
            """
        )
    finally:
        con.unregister("new_events")
    return db.scalar(con, "SELECT count(*) FROM events") - before


def seed_releases(data_dir: Path) -> list[tuple[RawRelease, str]]:
    """The seed's releases in publication order, each as a raw release."""
    releases = pl.read_csv(data_dir / "releases.csv", infer_schema=False)
    observations = pl.read_csv(data_dir / "observations.csv", infer_schema=False)
    observations = observations.with_row_index("line", offset=2).with_columns(
        pl.col("line").cast(pl.Int64)
    )
    values, problems = parse_column(
        observations, "value", file="observations.csv", missing=MISSING_CANONICAL
    )
    if problems:
        raise ValidationError(problems)
    observations = observations.with_columns(values.alias("value"))
    unknown = set(observations["release"]) - set(releases["release"])
    if unknown:
        raise ValidationError(
            [f"error: observations.csv: release '{r}' is not in releases.csv" for r in unknown]
        )
    out = []
    ordered = releases.with_columns(pl.col("published").str.to_date()).sort("published", "release")
    for row in ordered.iter_rows(named=True):
        rows = observations.filter(pl.col("release") == row["release"])
        raw = RawRelease(
            frame=rows.select(
                "series_id",
                "period",
                "value",
                pl.when(pl.col("status") == "")
                .then(None)
                .otherwise(pl.col("status"))
                .alias("status"),
                pl.when(pl.col("note") == "").then(None).otherwise(pl.col("note")).alias("note"),
                "line",
            ),
            format="seed",
            source=row["source"],
            published=parse_published(row["published"]),
            title=row["title"] or None,
            url=row["url"] or None,
        )
        out.append((raw, f"seed:{row['release']}"))
    return out


def load_seed(con: duckdb.DuckDBPyConnection, data_dir: Path | None = None) -> SeedResult:
    """Load the seed into a migrated store; a second call changes nothing."""
    data_dir = data_dir or paths.DATA_DIR
    result = SeedResult()
    catalogue = read_catalogue(data_dir / "series.csv")
    with db.transaction(con):
        result.series_added, _ = upsert_series(con, catalogue)
        result.events_added = load_events(con, data_dir / "events.csv")
    result.releases = append_releases(con, seed_releases(data_dir), ReleaseMeta())
    if result.series_added:
        # The seed's key indicators are its watchlist, set once: a user's edits stay.
        with db.transaction(con):
            result.watched = load_watchlist(con, data_dir / "watchlist.csv")
    return result


def load_watchlist(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Watch the series ``path`` lists (a CSV with a series_id column) when nothing is watched."""
    from tracker import watchlist

    if watchlist.listed(con):
        return []
    ids = pl.read_csv(path, infer_schema=False)["series_id"].str.strip_chars().to_list()
    return watchlist.add(con, ids)
