"""Turning text cells into numbers, with one error line per bad cell."""

from __future__ import annotations

import polars as pl

from tracker.errors import printable, problem

#: Cells that mean "published as missing" in the formats tracker reads.
MISSING_TOKENS = ("", ".", "NA", "N/A", "#N/A", "NaN", "nan")
MAX_PROBLEMS = 50


def parse_numbers(
    frame: pl.DataFrame,
    column: str,
    *,
    file: str,
    line_column: str = "line",
    missing: tuple[str, ...] = MISSING_TOKENS,
    label: str | None = None,
    fix: str = "use an empty cell for a missing value",
) -> tuple[pl.Series, list[str]]:
    """Parse a text column into Float64; return the values and one problem line per bad cell.

    Missing tokens become null. Text that is not a number, and numbers that are not finite
    (``inf``, ``1e400``), are problems naming the file, line, column and value.
    """
    if frame[column].dtype.is_numeric():
        # Read as numbers already (Parquet, JSON): only infinities and NaN can be wrong.
        parsed = frame.select(
            pl.col(column).cast(pl.Float64).alias("value"), pl.col(line_column).alias("line")
        )
        bad = parsed.filter(pl.col("value").is_not_null() & ~pl.col("value").is_finite())
        bad = bad.with_columns(pl.col("value").cast(pl.String).alias("text"))
    else:
        text = frame[column].cast(pl.String).str.strip_chars()
        is_missing = text.is_null() | text.is_in(list(missing))
        values = pl.when(is_missing).then(None).otherwise(text).cast(pl.Float64, strict=False)
        parsed = frame.select(
            text.alias("text"),
            values.alias("value"),
            is_missing.alias("missing"),
            pl.col(line_column).alias("line"),
        )
        bad = parsed.filter(
            ~pl.col("missing") & (pl.col("value").is_null() | ~pl.col("value").is_finite())
        )
    problems = []
    for row in bad.head(MAX_PROBLEMS).iter_rows(named=True):
        why = "is not a finite number" if row["value"] is not None else "is not a number"
        problems.append(
            problem(file, row["line"], label or column, f"'{_clip(row['text'])}' {why} ({fix})")
        )
    if bad.height > MAX_PROBLEMS:
        problems.append(f"error: {file}: … and {bad.height - MAX_PROBLEMS} more bad values")
    # Bad cells become null so that later checks do not report them twice.
    finite = pl.col("value").is_null() | pl.col("value").is_finite()
    clean = parsed.select(pl.when(finite).then(pl.col("value")).otherwise(None).alias("value"))
    return clean["value"], problems


def _clip(text: str, limit: int = 60) -> str:
    return printable(text if len(text) <= limit else text[:limit] + "…")


#: Control characters, and the characters `str.splitlines` breaks lines at.
