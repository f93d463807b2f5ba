"""Long series drawn within a point budget: extremes-preserving min/max buckets.

Stateless (computed per request over what is being drawn), so a spike survives any zoom level;
the CSV download keeps every row.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: Points per chart, shared by its traces, above which it is downsampled (`downsample`; the
#: download keeps every row). 65–85 bytes of figure JSON each: 2,000 keep a chart's JSON at
#: 130–165 KB, under the 200 KB of issue #7 (tests/test_explorer_budget.py).
MAX_POINTS = 2000


def trace_keys(frame: pl.DataFrame) -> list[str]:
    """The columns that tell one drawn trace from another."""
    return ["series_id", "vintage_id"] if "vintage_id" in frame.columns else ["series_id"]


def in_order(
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
    keys = trace_keys(frame)
    cap = point_share(frame.group_by(keys).len()["len"].to_list(), max_points)
    if cap is None:
        return frame, False
    buckets = max((cap - 2) // 2, 1)
    rows = (
        in_order(frame, keys)
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
