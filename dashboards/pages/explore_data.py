"""What the Explorer draws: the picked series, one query for all of them, within a point budget.

The series come from `tracker.queries.sourced_series` (transformed, rebased or aggregated in
SQL, each value with its release) or `vintage_overlay`; only the picked series are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from dashboards.downsample import MAX_POINTS, downsample, in_order, trace_keys
from dashboards.state import TRANSFORMS, ExploreState
from dashboards.store import reader
from tracker import queries, snapshots, watchlist

#: Vintages overlaid at most (the newest ones).
MAX_VINTAGES = 8


@dataclass
class Drawn:
    """What the Explorer draws: the observations plus the catalogue, events and regimes."""

    frame: pl.DataFrame  # series_id, period, period_end, value, release_id, published_at, ...
    meta: dict[str, dict]
    events: pl.DataFrame | None = None
    expectations: pl.DataFrame | None = None
    regimes: pl.DataFrame | None = None
    downsampled: bool = False
    #: Where steps of policy levels still in force end: the as-of day, else the newest release.
    until: date | None = None


def _native(state: ExploreState) -> bool:
    """Whether the drawn values are in the series' own units and periods (as published), so an
    expectation can stand next to them."""
    return state.transform == "lin" and not state.freq and not state.rebase and not state.vintages


def catalogue_rows(con: duckdb.DuckDBPyConnection, series_ids: list[str]) -> dict[str, dict]:
    """Catalogue rows by id, in the order asked, in one query for all of them."""
    known = {row["series_id"]: row for row in queries.series_rows(con, series_ids).to_dicts()}
    # An unknown id gets the catalogue's own error, with the ids that come close.
    return {s: known.get(s) or queries.require_series(con, s) for s in series_ids}


def explore(path: Path, state: ExploreState, *, max_points: int | None = MAX_POINTS) -> Drawn:
    """The Explorer's data for ``state``; ``max_points=None`` returns every row (the download).

    ``max_points`` is the budget of the whole figure, shared by its traces (see `downsample`).
    """
    as_of = datetime.fromisoformat(state.as_of) if state.as_of else None
    ids = list(dict.fromkeys(state.series))
    with reader(path) as con:
        meta = catalogue_rows(con, ids)
        if state.freq and not state.vintages:
            # Aggregated values span the target frequency's periods.
            meta = {s: {**m, "frequency": state.freq} for s, m in meta.items()}
        if state.vintages and len(ids) == 1:
            frame = queries.vintage_overlay(con, ids[0], as_of=as_of, vintages=MAX_VINTAGES)
        else:
            frame = queries.sourced_series(
                con,
                ids,
                as_of=as_of,
                code=state.transform,
                rebase=state.rebase,
                frequency=state.freq or None,
                method=state.agg,
            )
        # Traces (and their colours) follow the order the series were picked in.
        frame = in_order(frame, trace_keys(frame), ids)
        if state.start or state.end:
            frame = frame.filter(
                pl.col("period_end").fill_null(pl.col("period"))
                >= (date.fromisoformat(state.start) if state.start else date.min),
                pl.col("period") <= (date.fromisoformat(state.end) if state.end else date.max),
            )
        downsampled = False
        if max_points is not None:
            frame, downsampled = downsample(frame, max_points=max_points)
        event_frame = None
        if state.events:
            event_frame = queries.events(con, ids)
            if as_of is not None:
                event_frame = event_frame.filter(pl.col("starts_on") <= as_of.date())
        policy = [s for s, m in meta.items() if m["kind"] == "policy"]
        regime_frame = (
            queries.regimes_of(con, policy, as_of=as_of) if state.regimes and policy else None
        )
        expectation_frame = None
        if state.expectations and _native(state) and any(m.get("expected") for m in meta.values()):
            expectation_frame = queries.expectations(
                con, [s for s in ids if meta[s].get("expected")]
            )
            if as_of is not None:  # a surprise is known once its actual is
                expectation_frame = expectation_frame.filter(pl.col("published_at") <= as_of)
        newest = queries.newest_release(con)
    until = as_of.date() if as_of else (newest.date() if newest else None)
    return Drawn(
        until=until,
        frame=frame,
        meta=meta,
        events=event_frame,
        expectations=expectation_frame,
        regimes=regime_frame,
        downsampled=downsampled,
    )


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
        rows = queries.series_rows(con, ids).select("series_id", "unit_kind", "unit").rows()
        for series_id, unit_kind, unit in sorted(rows):
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


def toggle_watch(path: Path, series_id: str) -> bool:
    """Put ``series_id`` on the watchlist, or take it off if it is there; returns whether it is
    watched now. Written through `tracker.snapshots.writer`, so a running server sees it."""
    with snapshots.writer(path) as con:
        if series_id in watchlist.listed(con):
            watchlist.remove(con, [series_id])
            return False
        watchlist.add(con, [series_id])
        return True
