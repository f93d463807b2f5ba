"""The canonical release format: rows of ``series_id, period, value`` (+ ``status``, ``note``).

CSV (comma-separated, UTF-8, header row), Parquet or JSON lines. An empty value cell means
"published as missing"; ``status`` is one of actual, estimate, provisional, forecast, deleted
(empty = actual, or forecast for a forecast series). The file carries no release metadata:
pass ``--source`` and ``--published`` (and optionally ``--title``, ``--url``).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tracker.errors import FormatError, problem
from tracker.formats import RawRelease
from tracker.formats.values import parse_numbers

NAME = "canonical"
REQUIRED = ("series_id", "period", "value")
OPTIONAL = ("status", "note")


def _kind(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "jsonl"
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    columns = [c.strip().strip('"') for c in first.split(",")]
    if all(c in columns for c in REQUIRED):
        return "csv"
    return None


def sniff(path: Path, head: bytes) -> bool:
    kind = _kind(head)
    if kind == "csv":
        return True
    if kind == "jsonl":
        try:
            first = json.loads(head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0])
        except ValueError:
            return False
        return isinstance(first, dict) and all(k in first for k in REQUIRED)
    if kind == "parquet":
        try:
            names = pl.read_parquet_schema(path)
        except Exception:  # a broken Parquet file is not ours to claim
            return False
        return all(c in names for c in REQUIRED)
    return False


def _read_table(path: Path, kind: str) -> pl.DataFrame:
    name = path.name
    try:
        if kind == "parquet":
            frame = pl.read_parquet(path)
            frame = frame.with_columns(pl.all().cast(pl.String))
        elif kind == "jsonl":
            frame = pl.read_ndjson(path, infer_schema_length=None)
            frame = frame.with_columns(pl.all().cast(pl.String))
        else:
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=False)
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(
            f"error: {name}: cannot read it as canonical {kind}: {first} "
            "(expected columns series_id,period,value — check the delimiter and quoting)"
        ) from exc
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    return frame


def read(path: Path) -> list[RawRelease]:
    with path.open("rb") as fh:
        head = fh.read(65536)
    kind = _kind(head) or "csv"
    frame = _read_table(path, kind)
    name = path.name
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FormatError(
            f"error: {name}:1: missing column {', '.join(repr(c) for c in missing)} "
            f"(found {', '.join(frame.columns) or 'no columns'}; the canonical format needs "
            "series_id,period,value and optionally status,note)"
        )
    # Data lines start after the header in CSV; JSON lines and Parquet rows count from 1.
    first_line = 2 if kind == "csv" else 1
    frame = frame.with_row_index("line", offset=first_line).with_columns(
        pl.col("line").cast(pl.Int64)
    )
    values, problems = parse_numbers(frame, "value", file=name, missing=("",))
    empty_key = frame.filter(
        pl.col("series_id").is_null()
        | (pl.col("series_id").str.strip_chars() == "")
        | pl.col("period").is_null()
        | (pl.col("period").str.strip_chars() == "")
    )
    for row in empty_key.head(20).iter_rows(named=True):
        column = "series_id" if not (row["series_id"] or "").strip() else "period"
        problems.append(
            problem(
                name, row["line"], column, "is empty (every row needs a series_id and a period)"
            )
        )
    out = frame.select(
        pl.col("series_id").str.strip_chars(),
        pl.col("period").str.strip_chars(),
        values.alias("value"),
        (
            pl.col("status").str.strip_chars().str.to_lowercase()
            if "status" in frame.columns
            else pl.lit(None, pl.String)
        ).alias("status"),
        (pl.col("note") if "note" in frame.columns else pl.lit(None, pl.String)).alias("note"),
        pl.col("line"),
    )
    out = out.with_columns(
        pl.when(pl.col("status") == "").then(None).otherwise(pl.col("status")).alias("status")
    )
    return [RawRelease(frame=out, format=NAME, problems=problems)]
