"""Generic wide CSV: one date column, then one numeric column per series.

This is how users, spreadsheets and frictionless data packages publish a handful of series::

    Date,Rate                       Month;Exports;Imports;Balance
    1953-04-01,2.83                 January 2001;1,187.5;8,427.5;-7,240.0

Recognised by content, conservatively: in the first rows of the file the first column must parse as
dates and every other column must hold numbers (a cell that is not a number is then reported by the
reader, with its line), and the header must not be FRED's (``DATE`` or ``observation_date``
followed by FRED-style ids: that file belongs to `tracker.formats.fred`).

- Separator: ``,``, ``;``, tab or ``|``, whichever gives every sampled line the header's field
  count.
- Dates: ``2001-01-01`` (a midnight time part is ignored), ``2001-01``, ``January 2001``,
  ``Jan 2001``, ``2001-Q1``, ``2001``. Periods are emitted as the period's first day
  (``2001-01-01``); the frequency (A, Q, M, W, D) is inferred from the spacing of the dates.
- Numbers: ``1,187.5`` thousands separators are accepted. In a ``;``-separated file, a column that
  has commas and never a decimal point is read with a decimal comma (``1.187,5`` = 1187.5) and a
  note says so. An empty cell or ``.`` is a missing value (NULL). Cells before a column's first
  value and after its last one are padding (columns of different lengths), not published missing
  values, and are dropped.
- Series ids: the column name upper-cased with every run of characters other than letters and
  digits turned into ``_`` (``Rate`` → ``RATE``, ``Exports (USD mn)`` → ``EXPORTS_USD_MN``). Map
  them onto real series with `tracker.formats.mapping`.
- The file has no publisher or published date: pass ``--source`` and ``--published``.

The CSV helpers it is built from (decoding, structural checks, number and date parsing, frequency
inference) live in `tracker.formats.tabular`, shared with the FRED, ALFRED, World Bank, DBnomics
and canonical readers.
"""

from __future__ import annotations

import csv
import re

import polars as pl

from tracker.errors import FormatError, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import (
    LINE,
    SEPARATORS,
    SNIFF_LINES,
    date_expr,
    date_order,
    decode,
    detect_separator,
    drop_padding,
    head_lines,
    infer_frequency,
    is_fred_header,
    melt_dated,
    number_expr,
    number_style,
    read_table,
    series_frequencies,
    split_line,
)
from tracker.vocab import HEAD_BYTES

NAME = "wide_csv"
EXPECTED = "a CSV with a date column followed by numeric columns (e.g. 'Date,Rate')"


# The wide CSV format. --------------------------------------------------------------------------


def series_id_for(column: str) -> str:
    """The series id for a column name: upper case, non-alphanumeric runs → ``_``."""
    return re.sub(r"[^A-Z0-9]+", "_", column.strip().upper()).strip("_")


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for a date column followed by numeric columns (and not FRED's header)."""
    lines = head_lines(head)
    if not lines or len(lines) < 2:
        return False
    separator = detect_separator(lines)
    if separator is None:
        return False
    rows = list(csv.reader(lines, delimiter=separator))
    header = [name.strip() for name in rows[0]]
    if is_fred_header(header) or not header[0] or not all(header[1:-1]):
        return False
    names = [f"{i}" for i in range(len(header))]
    frame = pl.DataFrame([list(row) for row in rows[1:]], schema=names, orient="row")
    try:
        numbers = [
            number_expr(pl.col(name), style=number_style(frame[name], separator=separator))
            for name in names[1:]
        ]
        # Every value column holds a number; a cell that is not one is the reader's to report
        # (with its line), not a reason to call the file something else.
        checks = frame.select(
            # Numeric dates count as dates here even when their order is unclear: the reader
            # then says so, instead of the file being called no format at all.
            date_expr(pl.col("0"), order=date_order(frame["0"])[0] or "day_first")
            .is_not_null()
            .all()
            .alias("dates"),
            *(
                number.is_not_null().any().alias(name)
                for name, number in zip(names[1:], numbers, strict=True)
            ),
        ).row(0)
    except pl.exceptions.PolarsError:
        return False
    return all(checks)


def read(source: SourceLike) -> list[RawRelease]:
    """Read a wide CSV: one release whose series ids come from the column names.

    Parameters
    ----------
    source
        The CSV file.

    Returns
    -------
    list[RawRelease]
        One release without source or published date (the user passes them).

    Raises
    ------
    FormatError
        The file is not a date column followed by value columns.
    ValidationError
        Bad dates or numbers, or a date given twice; one line per problem.
    """
    source = Source.of(source)
    file = source.name
    data, notes = decode(source.read_bytes(), file=file, expected=EXPECTED)

    # Find the separator and read the table.
    lines = head_lines(data[:HEAD_BYTES]) or []
    if not lines:
        raise FormatError(
            problem(file, None, None, f"holds no lines of text (expected {EXPECTED})")
        )
    separator = detect_separator(lines[:SNIFF_LINES])
    if separator is None:
        # Let the structural check name the lines that disagree with the widest header.
        widths = {sep: len(split_line(lines[0], sep)) for sep in SEPARATORS}
        separator = max(widths, key=lambda sep: widths[sep])
        if widths[separator] < 2:
            raise FormatError(
                problem(
                    file,
                    1,
                    None,
                    f"expected {EXPECTED}, found a single column '{lines[0][:60]}' "
                    "(separate the columns with ',', ';' or a tab)",
                )
            )
    table = read_table(data, file=file, separator=separator, expected=EXPECTED)
    date_column, *columns = table.header
    if not columns:
        raise FormatError(
            problem(file, 1, None, f"expected {EXPECTED}, found only the column '{date_column}'")
        )
    ids = {column: series_id_for(column) for column in columns}
    _check_ids(ids, file=file)

    # Parse dates and values.
    styles = {c: number_style(table.frame[c], separator=separator) for c in columns}
    frame, long = melt_dated(
        table.frame,
        date_column=date_column,
        columns=columns,
        file=file,
        hint="use an empty cell for a missing value",
        styles=styles,
        what=lambda row: f"'{row[date_column]}'",
        notes=notes,
    )

    # Build the release.
    frequency = infer_frequency(frame["date"])
    long = long.with_columns(pl.col("column").replace_strict(ids).alias("series_id"))
    frequencies = series_frequencies(long).with_columns(pl.lit(frequency).alias("frequency"))
    long = drop_padding(long, frequencies)
    out = long.select(
        "series_id",
        pl.col("date").dt.strftime("%Y-%m-%d").alias("period"),
        "value",
        pl.col(LINE).alias("line"),
    )
    series = pl.DataFrame(
        {
            "series_id": list(ids.values()),
            "name": list(ids),
            "frequency": [frequency] * len(ids),
        },
        schema={"series_id": pl.String, "name": pl.String, "frequency": pl.String},
    )
    notes += [
        f"{file}: column '{column}' read with a decimal comma"
        for column, style in styles.items()
        if style == "decimal_comma"
    ]
    if frequency is None:
        notes.append(f"{file}: a single date: the frequency cannot be inferred from the file")
    example = next(iter(ids.values()))
    notes.append(
        f"{file}: series ids come from the column names ({', '.join(ids.values())}); "
        f"map them onto your series with a mapping such as {example}=YOUR.SERIES.ID"
    )
    return [RawRelease(frame=out, format=NAME, series=series, notes=notes)]


def _check_ids(ids: dict[str, str], *, file: str) -> None:
    taken: dict[str, str] = {}
    for column, series_id in ids.items():
        if not series_id:
            raise FormatError(
                problem(
                    file, 1, column, "has no letters or digits to make a series id from; rename it"
                )
            )
        if series_id in taken:
            raise FormatError(
                problem(
                    file,
                    1,
                    column,
                    f"gives the same series id '{series_id}' as column '{taken[series_id]}'; "
                    "rename one of them",
                )
            )
        taken[series_id] = column
