"""FRED ``fredgraph.csv``: a date column, then one column per series named by its FRED id.

::

    observation_date,IMPCH            (DATE,IMPCH in files downloaded before December 2024)
    1985-01-01,293.100000
    1985-02-01,.

- Recognised by the header: ``DATE`` or ``observation_date``, then FRED ids (upper-case letters,
  digits, ``_``). A header whose every series column ends in ``_YYYYMMDD`` is an ALFRED vintage
  file and is left to `tracker.formats.alfred`.
- series_id = the FRED id as in the header (``IMPCH``); name = the id; source ``FRED``.
- Periods are the ISO dates of the file (``2019-03-01``: the first day of the month, quarter or
  year for M/Q/A series); the frequency is inferred per series from its dates.
- ``.`` (older files) or an empty cell is a missing value (NULL). Cells before a series' first
  value or after its last one, and empty cells off a series' own dates (a quarterly series in a
  file shared with a monthly one), are layout, not published values, and are dropped.
- The file carries no published date: pass ``--published`` (the day you downloaded it).
"""

from __future__ import annotations

import re

import polars as pl

from tracker.errors import FormatError, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import (
    LINE,
    decode,
    drop_padding,
    head_lines,
    is_fred_header,
    melt_dated,
    number_style,
    read_table,
    series_frequencies,
    split_line,
)
from tracker.vocab import HEAD_BYTES

NAME = "fred"
DATE_COLUMNS = ("observation_date", "DATE")
EXPECTED = "a FRED CSV (header 'observation_date,SERIES_ID', or 'DATE,SERIES_ID' in older files)"
HINT = "use an empty cell or '.' for a missing value"

_VINTAGE = re.compile(r".+_\d{8}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]*")


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for a FRED header (``DATE``/``observation_date`` + ids), not ALFRED's.

    The rows are not looked at: a FRED header with a bad date below it is a broken FRED file,
    and `read` names the line.
    """
    lines = head_lines(head)
    if not lines:
        return False
    header = [name.strip() for name in split_line(lines[0], _separator(lines[0]))]
    return is_fred_header(header) and not all(_VINTAGE.fullmatch(name) for name in header[1:])


def _separator(header_line: str) -> str:
    """``,`` as FRED writes it; ``;`` or a tab when a spreadsheet saved the file again (a
    European one writes ``observation_date;GDPC1`` with decimal commas)."""
    for separator in (",", ";", "\t"):
        fields = split_line(header_line, separator)
        if len(fields) >= 2 and fields[0].strip() in DATE_COLUMNS:
            return separator
    return ","


def read(source: SourceLike) -> list[RawRelease]:
    """Read a fredgraph.csv: one release holding every series column.

    Parameters
    ----------
    source
        The CSV file as downloaded from FRED.

    Returns
    -------
    list[RawRelease]
        One release, source ``FRED``, no published date (the user passes ``--published``).

    Raises
    ------
    FormatError
        The file is not a FRED CSV (HTML page, wrong delimiter, header without the date column).
    ValidationError
        Bad dates or values, or a date given twice; one line per problem.
    """
    source = Source.of(source)
    file = source.name
    data, notes = decode(source.read_bytes(), file=file, expected=EXPECTED)
    lines = head_lines(data[:HEAD_BYTES]) or [""]
    separator = _separator(lines[0])
    table = read_table(data, file=file, separator=separator, expected=EXPECTED)
    check_header(table.header, file=file)
    date_column, *ids = table.header

    # Parse dates and values: FRED writes ISO dates and points; a spreadsheet that saved the
    # file again may write day-first dates and decimal commas (said in the notes).
    styles = {c: number_style(table.frame[c], separator=separator) for c in ids}
    _, long = melt_dated(
        table.frame, date_column=date_column, columns=ids, file=file, hint=HINT,
        iso_only=True, styles=styles, notes=notes,
    )  # fmt: skip
    if separator != ",":
        shown = "tab" if separator == "\t" else f"'{separator}'"
        commas = [c for c, style in styles.items() if style == "decimal_comma"]
        decimals = f", decimal commas in {', '.join(commas)}" if commas else ""
        notes.append(
            f"{file}: a FRED file saved again by a spreadsheet: {shown}-separated{decimals}"
        )

    # Build the release.
    long = long.with_columns(pl.col("column").str.to_uppercase().alias("series_id"))
    frequencies = series_frequencies(long)
    long = drop_padding(long, frequencies)
    out = long.select(
        "series_id",
        pl.col("date").dt.strftime("%Y-%m-%d").alias("period"),
        "value",
        pl.col(LINE).alias("line"),
    )
    series = frequencies.select(
        "series_id",
        pl.col("series_id").alias("name"),
        "frequency",
        pl.lit("FRED").alias("source"),
    )
    empty = frequencies.filter(pl.col("__anchor").is_null())["series_id"].to_list()
    if empty:
        notes.append(f"{file}: no values for {', '.join(empty)}")
    return [RawRelease(frame=out, format=NAME, source="FRED", series=series, notes=notes)]


def check_header(header: list[str], *, file: str, expected: str = EXPECTED) -> None:
    """Refuse a header that is not ``DATE``/``observation_date`` followed by FRED ids.

    Parameters
    ----------
    header
        The header fields.
    file
        The file name used in messages.
    expected
        What the reader expected, for messages.

    Raises
    ------
    FormatError
        Naming what was found and how to fix it.
    """
    found = ",".join(header)
    if len(header) == 1:
        other = next((sep for sep in (";", "\t", "|") if sep in header[0]), None)
        if other:
            shown = "tab" if other == "\t" else f"'{other}'"
            raise FormatError(
                problem(
                    file,
                    1,
                    None,
                    f"expected {expected}, found columns separated by {shown} ('{found[:60]}'); "
                    "FRED files are comma-separated: download the CSV again",
                )
            )
    if header[0] not in DATE_COLUMNS:
        fix = (
            "the date column is missing: download the CSV again from FRED"
            if _ID.fullmatch(header[0])
            else "for a CSV that is not from FRED use --format wide_csv"
        )
        raise FormatError(
            problem(
                file,
                1,
                None,
                f"expected the first column to be 'observation_date' (or 'DATE'), "
                f"found '{header[0]}'; {fix}",
            )
        )
    if len(header) < 2:
        raise FormatError(
            problem(file, 1, None, f"expected {expected}, found only the column '{header[0]}'")
        )
    for name in header[1:]:
        if not _ID.fullmatch(name):
            raise FormatError(
                problem(
                    file,
                    1,
                    name,
                    "is not a FRED series id (expected letters, digits and '_', e.g. IMPCH); "
                    "for a CSV that is not from FRED use --format wide_csv",
                )
            )
