"""Helpers shared by the readers of text tables: CSV decoding and structural checks, number and
date parsing with one problem line per bad cell, frequency inference, and melting a date column
with one column per series into long rows.

Used by the wide CSV, FRED, ALFRED, World Bank, DBnomics and canonical readers. Every helper
reports problems naming the file, line, column, value and fix (`tracker.errors.problem`).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from tracker.errors import FormatError, Problem, ValidationError, clip, printable, problem
from tracker.vocab import HEAD_BYTES, MAX_PROBLEMS, MISSING_CANONICAL, MISSING_CSV

#: Name of the column holding each row's 1-based line in the file.
LINE = "__line"

NumberStyle = Literal["plain", "thousands", "decimal_comma"]

#: Field separators a text table may use.
SEPARATORS = (",", ";", "\t", "|")
#: Lines (after blank ones) a reader samples to recognise a file.
SNIFF_LINES = 20
#: More NUL bytes than this in the first bytes: binary data, not a text file with a damaged cell.
_STRAY_NULS = 8
_FRED_DATE_COLUMNS = ("DATE", "observation_date")
_FRED_ID = re.compile(r"[A-Z0-9][A-Z0-9_]*")
_US_DECIMAL = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)\.\d+$"
_US_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_EU_GROUPED = r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"


@dataclass
class Table:
    """A CSV read as text: one String column per header field plus `LINE`."""

    frame: pl.DataFrame
    header: list[str]
    header_line: int


def decode(data: bytes, *, file: str, expected: str) -> tuple[bytes, list[str]]:
    """Check that ``data`` is text of the expected kind; return it as UTF-8 without a BOM.

    Parameters
    ----------
    data
        The file's bytes.
    file
        The file name used in messages.
    expected
        What the reader expected, for messages ("a FRED CSV (header 'observation_date,ID')").

    Returns
    -------
    tuple[bytes, list[str]]
        The UTF-8 bytes and notes for the user (e.g. that the file was read as Windows-1252).

    Raises
    ------
    FormatError
        For an empty file, binary data, a zip or spreadsheet, an HTML/XML page or JSON.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.strip():
        raise FormatError(problem(file, None, None, f"the file is empty (expected {expected})"))
    found = _found_instead(data)
    if found:
        raise FormatError(problem(file, 1, None, f"expected {expected}, found {found}"))
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = locate(data, nul)
        raise FormatError(
            problem(
                file,
                line,
                None,
                f"holds a NUL byte at character {column} (binary data): the file is damaged; "
                "download or export it again",
            )
        )
    notes = []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = locate(data, exc.start)
        byte = data[exc.start]
        if _UTF8_SEQUENCE.search(data):
            # UTF-8 text with stray bytes of another encoding: decoding the whole file as cp1252
            # would silently garble its UTF-8 characters, so refuse it.
            raise FormatError(
                problem(
                    file,
                    line,
                    None,
                    f"mixes encodings: byte 0x{byte:02x} at character {column} is not UTF-8, "
                    "but other text in the file is; save the file as UTF-8 CSV",
                )
            ) from exc
        # Spreadsheet exports on Windows are often cp1252: read them rather than refuse, but say so.
        try:
            data = data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(
                problem(
                    file,
                    line,
                    None,
                    f"is not UTF-8 text (byte 0x{byte:02x} at character {column}); "
                    "save the file as UTF-8 CSV",
                )
            ) from exc
        notes.append(f"{file}: read as Windows-1252 text (the file is not UTF-8)")
    return data, notes


#: A valid multi-byte UTF-8 character (two to four bytes).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def locate(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and character (counted in bytes) of byte ``offset`` in ``data``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _found_instead(data: bytes) -> str | None:
    """What a file that is not CSV text is instead, or None when it may be CSV text."""
    if data.startswith(b"PK\x03\x04"):
        return (
            "a zip archive (an .xlsx workbook? tracker reads those: leave out --format, or pass "
            "--format excel; a compressed download: unzip it)"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: save the file as UTF-8 CSV"
    if data[:HEAD_BYTES].count(b"\x00") > _STRAY_NULS:
        return "binary data: export the data as CSV"
    start = data[:1024].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in start:
        first = data.lstrip()[:200].decode("utf-8", "replace").splitlines()[0][:80]
        return (
            f"an HTML page ('{first}'): the download failed or saved the web page "
            "instead of the data; download the file again"
        )
    if start.startswith(b"<"):
        return "an XML document: if it is SDMX-ML, append it with --format sdmx_ml"
    if start.startswith((b"{", b"[")):
        return "JSON: if it is a DBnomics series response, append it with --format dbnomics"
    return None


def head_lines(head: bytes) -> list[str] | None:
    """The complete, non-blank lines at the start of ``head`` (for sniffers); None if not text."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    if _found_instead(head) is not None:
        return None
    text = head.decode("utf-8", "replace")
    lines = text.splitlines()
    if len(head) >= HEAD_BYTES - len(codecs.BOM_UTF8) and lines:
        lines = lines[:-1]  # the last line may be cut in the middle
    return [line for line in lines[: SNIFF_LINES * 2] if line.strip()][:SNIFF_LINES]


def split_line(line: str, separator: str) -> list[str]:
    """Split one CSV line into fields, honouring quotes."""
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:  # a lone carriage return inside the line
        return line.split(separator)


def detect_separator(lines: Sequence[str]) -> str | None:
    """The separator that gives every line the header's field count (at least 2), or None."""
    best: tuple[int, str] | None = None
    for separator in SEPARATORS:
        counts = {len(fields) for fields in csv.reader(lines, delimiter=separator)}
        if len(counts) == 1 and (n := counts.pop()) >= 2 and (best is None or n > best[0]):
            best = (n, separator)
    return best[1] if best else None


def is_fred_header(header: Sequence[str]) -> bool:
    """True for FRED's header: ``DATE``/``observation_date`` then FRED-style ids."""
    return (
        len(header) >= 2
        and header[0].strip() in _FRED_DATE_COLUMNS
        and all(_FRED_ID.fullmatch(name.strip()) for name in header[1:])
    )


def read_table(
    data: bytes, *, file: str, separator: str, expected: str, header_line: int = 1
) -> Table:
    """Read CSV text as strings, checking its structure first.

    Parameters
    ----------
    data
        UTF-8 text (see `decode`) starting at the header line.
    file
        The file name used in messages.
    separator
        The field separator.
    expected
        What the reader expected, for messages.
    header_line
        The 1-based line of the header in the file (after any preamble).

    Returns
    -------
    Table
        Every header column as String (empty cells are null), plus `LINE`. Blank lines are
        dropped; unnamed columns with no values (WDI's trailing comma) are dropped.

    Raises
    ------
    FormatError
        Duplicate or unnamed columns holding values, no data rows, or text Polars cannot parse.
    ValidationError
        Lines with a different number of fields than the header (truncated file, wrong
        delimiter), one problem per line.
    """
    if not data.strip():
        raise FormatError(problem(file, None, None, f"the file is empty (expected {expected})"))
    lines = pl.read_csv(
        data,
        has_header=False,
        separator="\x00",
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["text"],
    )["text"].str.strip_chars_end("\r")
    if lines.is_empty():
        raise FormatError(problem(file, None, None, f"holds no text (expected {expected})"))
    header = split_line(lines[0], separator)
    if not "".join(header).strip():
        raise FormatError(
            problem(file, header_line, None, f"the header line is empty (expected {expected})")
        )
    for name in header:
        name = name.strip()
        if name == "*" or (len(name) > 1 and name.startswith("^") and name.endswith("$")):
            # Polars reads such names as patterns matching other columns.
            raise FormatError(
                problem(
                    file, header_line, name,
                    "is a pattern ('*' or '^...$'), not a column name; rename the column",
                )
            )  # fmt: skip
    _check_fields(lines, header, data, file=file, separator=separator, header_line=header_line)
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError as exc:
        # Most often a quote that never closes: name the line where it opens.
        odd = lines.str.count_matches('"', literal=True) % 2 == 1
        if odd.any():
            index = int(odd.arg_max() or 0)
            raise FormatError(
                problem(
                    file,
                    header_line + index,
                    None,
                    f"a quoted value opened on this line ('{clip(lines[index])}') never "
                    "closes; close the quote, or download the file again if it is cut short",
                )
            ) from exc
        reason = printable(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        raise FormatError(
            problem(file, None, None, f"cannot be read as CSV ({reason}); expected {expected}")
        ) from exc
    frame.columns = [f"{i}" for i in range(frame.width)]
    keep = _named_columns(frame, header, file=file, header_line=header_line)
    frame = frame.select(
        *(pl.col(f"{i}").alias(header[i].strip()) for i in keep),
        pl.int_range(header_line + 1, header_line + 1 + frame.height, dtype=pl.Int64).alias(LINE),
    )
    names = [header[i].strip() for i in keep]
    if frame.height == lines.len() - 1:
        # One row per line (no quoted line breaks): a blank row is a line of separators,
        # spaces and quotes, which is far cheaper to see in the line than across thousands of
        # columns.
        blank = lines.slice(1).str.replace_all(f'[\\s"{re.escape(separator)}]', "") == ""
        if blank.any():
            frame = frame.filter(~blank)
    else:
        blank_cells = pl.all_horizontal(
            pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "") for name in names
        )
        frame = frame.filter(~blank_cells)
    if frame.is_empty():
        raise FormatError(
            problem(
                file,
                None,
                None,
                f"has a header but no data rows (expected {expected}); "
                "the download may have been cut short: download it again",
            )
        )
    return Table(frame, names, header_line)


def _check_fields(
    lines: pl.Series,
    header: list[str],
    data: bytes,
    *,
    file: str,
    separator: str,
    header_line: int,
) -> None:
    body = lines.slice(1)
    if b'"' in data:
        odd = body.str.count_matches('"', literal=True) % 2 == 1
        if odd.any():
            # A last line cut inside a quoted value: the download was interrupted.
            if odd.sum() == 1 and odd[-1] and not data.endswith(b"\n"):
                raise ValidationError(
                    [
                        problem(
                            file,
                            header_line + body.len(),
                            None,
                            f"ends inside a quoted value ('{clip(body[-1])}'); "
                            "the file looks truncated: download it again",
                        )
                    ]
                )
            # A quoted field spanning lines cannot be checked line by line: leave it to Polars.
            return
        body_fields = body.str.replace_all(r'"[^"]*"', "")
    else:
        body_fields = body
    counts = body_fields.str.count_matches(separator, literal=True) + 1
    frame = pl.DataFrame({"text": body, "count": counts}).with_row_index("i")
    bad = frame.filter((pl.col("text").str.strip_chars() != "") & (pl.col("count") != len(header)))
    if bad.is_empty():
        return
    last = body.len() - 1
    problems = []
    for row in bad.head(MAX_PROBLEMS).iter_rows(named=True):
        found = clip(row["text"])
        if row["i"] == last and not data.endswith(b"\n") and row["count"] < len(header):
            fix = "the file looks truncated: download it again"
        elif row["count"] > len(header):
            fix = f"quote values that contain '{separator}', or check the delimiter"
        else:
            fix = "the row is cut short: complete or delete the line"
        problems.append(
            problem(
                file,
                header_line + 1 + row["i"],
                None,
                f"expected {len(header)} fields as in the header, found {row['count']} "
                f"('{found}'); {fix}",
            )
        )
    problems += _more(file, bad.height)
    raise ValidationError(problems)


def _named_columns(
    frame: pl.DataFrame, header: list[str], *, file: str, header_line: int
) -> list[int]:
    seen: dict[str, int] = {}
    keep = []
    for i, raw in enumerate(header):
        name = raw.strip()
        if not name:
            values = frame[f"{i}"].drop_nulls()
            values = values.filter(values.str.strip_chars() != "")
            if values.len():
                raise FormatError(
                    problem(
                        file,
                        header_line,
                        None,
                        f"column {i + 1} has no name in the header but holds values "
                        f"(e.g. '{values[0]}'); give it a name",
                    )
                )
            continue
        if name in seen:
            raise FormatError(
                problem(
                    file,
                    header_line,
                    name,
                    f"appears twice in the header (columns {seen[name] + 1} and {i + 1}); "
                    "give each column its own name",
                )
            )
        seen[name] = i
        keep.append(i)
    return keep


def _more(file: str, total: int) -> list[Problem]:
    if total <= MAX_PROBLEMS:
        return []
    return [problem(file, None, None, f"… and {total - MAX_PROBLEMS} more like these")]


def report(
    bad: pl.DataFrame,
    *,
    file: str,
    text: Callable[[dict], str],
    column: str | None = "column",
    lines: bool = True,
    label: str | None = None,
    locator: str = "line",
) -> list[str]:
    """One problem line per bad row (at most `MAX_PROBLEMS`, then a count of the rest).

    Parameters
    ----------
    bad
        The offending rows, with `LINE` and (when ``column`` is given) a column naming the CSV
        column the value came from.
    file
        The file name used in messages.
    text
        Builds the message from a row (a dict).
    column
        The column of ``bad`` that names the CSV column, or None.
    lines
        Show `LINE` as the file line (False for record numbers, as in JSON).
    label
        The column named in every line when ``column`` is None.
    locator
        What `LINE` counts: ``line`` or ``observation`` (see `tracker.errors.problem`).

    Returns
    -------
    list[str]
        Formatted problem lines.
    """
    out: list[str] = [
        problem(
            file,
            row.get(LINE) if lines else None,
            row[column] if column else label,
            text(row),
            locator=locator,
        )
        for row in bad.head(MAX_PROBLEMS).iter_rows(named=True)
    ]
    return out + _more(file, bad.height)


def number_style(raw: pl.Series, *, separator: str) -> NumberStyle:
    """How to read a column's numbers: decimal comma only in ``;`` files without decimal points."""
    if separator != ";":
        return "thousands"
    values = raw.drop_nulls().str.strip_chars()
    if values.str.contains(_US_DECIMAL).any() or not values.str.contains(",", literal=True).any():
        return "thousands"
    return "decimal_comma"


def number_expr(
    raw: pl.Expr, *, style: NumberStyle = "plain", missing: Sequence[str] = MISSING_CSV
) -> pl.Expr:
    """Float64 from text; null for a missing token and for text that is not a number."""
    text = raw.str.strip_chars()
    if style == "thousands":
        text = (
            pl.when(text.str.contains(_US_GROUPED))
            .then(text.str.replace_all(",", "", literal=True))
            .otherwise(text)
        )
    elif style == "decimal_comma":
        text = (
            pl.when(text.str.contains(_EU_GROUPED))
            .then(text.str.replace_all(".", "", literal=True))
            .otherwise(text)
            .str.replace(",", ".", literal=True)
        )
    return (
        pl.when(text.is_in(list(missing))).then(None).otherwise(text.cast(pl.Float64, strict=False))
    )


def number_styles_expr(
    raw: pl.Expr,
    column: str | None,
    styles: dict[str, NumberStyle] | None,
    *,
    missing: Sequence[str] = MISSING_CSV,
) -> pl.Expr:
    """``value``: `number_expr` of ``raw`` in the style of each row's ``column``.

    One branch per distinct style (at most three), never one per column: a FRED file has
    thousands of columns, and a branch per column parsed every cell once per column.
    A row whose column has no style is null.
    """
    if not styles or not column:
        return number_expr(raw, missing=missing).alias("value")
    by_style: dict[NumberStyle, list[str]] = {}
    for name, style in styles.items():
        by_style.setdefault(style, []).append(name)
    chain: Any = pl
    for style, names in by_style.items():
        chain = chain.when(pl.col(column).is_in(names)).then(
            number_expr(raw, style=style, missing=missing)
        )
    return chain.otherwise(None).cast(pl.Float64).alias("value")


def parse_numbers(
    long: pl.DataFrame,
    *,
    file: str,
    hint: str,
    raw: str = "raw",
    column: str | None = "column",
    styles: dict[str, NumberStyle] | None = None,
    missing: Sequence[str] = MISSING_CSV,
    where: Callable[[dict], str] | None = None,
    lines: bool = True,
    label: str | None = None,
    locator: str = "line",
) -> tuple[pl.DataFrame, list[str]]:
    """Add a Float64 ``value`` column parsed from ``raw``; report cells that are not numbers.

    Parameters
    ----------
    long
        One row per cell, with ``raw`` text, `LINE` and (if given) ``column`` naming its CSV column.
    file
        The file name used in messages.
    hint
        How to write a missing value in this format, appended to messages.
    raw
        The column holding the text.
    column
        The column naming where a value came from (used as the message's column), or None.
    styles
        Number style per value of ``column`` (default: plain numbers).
    missing
        Tokens meaning "published as missing".
    where
        Builds a prefix locating the value when there is no line (JSON records).
    lines
        Whether `LINE` holds file lines (False: record numbers, not shown).
    label
        The column named in messages when ``column`` is None (one value column).
    locator
        What `LINE` counts: ``line`` or ``observation`` (see `tracker.errors.problem`).

    Returns
    -------
    tuple[pl.DataFrame, list[str]]
        The frame with ``value`` and the problem lines (empty when all is well).
    """
    long = long.with_columns(number_styles_expr(pl.col(raw), column, styles, missing=missing))
    stripped = pl.col(raw).str.strip_chars()
    given = pl.col(raw).is_not_null() & ~stripped.is_in(list(missing))
    bad = long.filter(given & (pl.col("value").is_null() | ~pl.col("value").is_finite()))
    problems = _report_numbers(
        bad, file=file, hint=hint, raw=raw, column=column, label=label, where=where, lines=lines,
        locator=locator,
    )  # fmt: skip
    return long, problems


def _report_numbers(
    bad: pl.DataFrame,
    *,
    file: str,
    hint: str,
    raw: str = "raw",
    column: str | None = None,
    label: str | None = None,
    where: Callable[[dict], str] | None = None,
    lines: bool = True,
    locator: str = "line",
) -> list[str]:
    """One line per cell of ``bad`` (its text in ``raw``, its parsed ``value`` or null)."""
    if bad.is_empty():
        return []

    def text(row: dict) -> str:
        what = "a finite number" if row["value"] is not None else "a number"
        prefix = where(row) if where else ""
        return f"{prefix}'{clip(row[raw])}' is not {what} ({hint})"

    return report(
        bad, file=file, text=text, column=column, label=label, lines=lines, locator=locator
    )


def parse_column(
    frame: pl.DataFrame,
    column: str,
    *,
    file: str,
    line_column: str = "line",
    missing: Sequence[str] = MISSING_CANONICAL,
    label: str | None = None,
    fix: str = "use an empty cell for a missing value",
    locator: str = "line",
) -> tuple[pl.Series, list[str]]:
    """Parse one column of a frame into Float64: `parse_numbers` for a table with one value
    column (canonical rows, SDMX, the seed).

    Missing tokens become null; so do bad cells (text that is not a number, and numbers that are
    not finite, such as ``inf`` or ``1e400``), each reported once, naming the file, line, column
    (``label``, default ``column``) and value. A column that is numeric already (Parquet, JSON)
    is only checked for infinities and NaN.
    """
    if frame[column].dtype.is_numeric():
        # Only infinities and NaN can be wrong; only those cells are turned back into text.
        cells = frame.select(
            pl.col(column).cast(pl.Float64).alias("value"), pl.col(line_column).alias(LINE)
        )
        bad = cells.filter(~pl.col("value").is_finite())
        problems = _report_numbers(
            bad.with_columns(raw=pl.col("value").cast(pl.String)),
            file=file, hint=fix, label=label or column, locator=locator,
        )  # fmt: skip
    else:
        cells, problems = parse_numbers(
            frame.select(pl.col(column).alias("raw"), pl.col(line_column).alias(LINE)),
            file=file, hint=fix, column=None, missing=missing, label=label or column,
            locator=locator,
        )  # fmt: skip
    values = cells["value"]
    return values.set(~values.is_finite().fill_null(True), None), problems


_DATE_FORMATS_HINT = "a date such as 2001-01-01, 2001-01, January 2001, 2001-Q1 or 2001"


#: A day, a month and a year in either order, as spreadsheets write dates: 01.10.2009, 1/10/2009.
_NUMERIC_DATE = r"^(\d{1,2})([./-])(\d{1,2})[./-](\d{4})$"

DateOrder = Literal["day_first", "month_first"]


def date_expr(raw: pl.Expr, *, iso_only: bool = False, order: DateOrder | None = None) -> pl.Expr:
    """Date from text (the period's first day); null when the text is not a date.

    ISO ``YYYY-MM-DD`` (with an optional midnight time) always; with ``iso_only=False`` also
    ``YYYY-MM``, ``January 2001``/``Jan 2001``, ``2001-Q1``/``2001Q1`` and ``2001``; with an
    ``order`` (see `date_order`) also ``01.10.2009`` or ``10/01/2009``.
    """
    text = raw.str.strip_chars()
    iso = r"^\d{4}-\d{2}-\d{2}(?:[T ]00:00(?::00(?:\.0+)?)?)?$"
    parsed = [
        pl.when(text.str.contains(iso)).then(
            text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        )
    ]
    if order is not None:
        parts = text.str.extract_groups(_NUMERIC_DATE)
        first = parts.struct.field("1").cast(pl.Int8, strict=False)
        second = parts.struct.field("3").cast(pl.Int8, strict=False)
        day, month = (first, second) if order == "day_first" else (second, first)
        year = parts.struct.field("4").cast(pl.Int32, strict=False)
        # Impossible days (31.02.2009) give null, reported as not a date.
        valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
        parsed.append(
            pl.when(text.str.contains(_NUMERIC_DATE) & valid).then(
                pl.concat_str(
                    year.cast(pl.String),
                    month.cast(pl.String).str.zfill(2),
                    day.cast(pl.String).str.zfill(2),
                    separator="-",
                ).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            )
        )
    if not iso_only:
        quarter = text.str.extract_groups(r"^(\d{4})-?Q([1-4])$")
        parsed += [
            pl.when(text.str.contains(r"^\d{4}-\d{1,2}$")).then(
                (text + "-01").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            ),
            pl.when(text.str.contains(r"^[A-Za-z]{3,9} \d{4}$")).then(
                ("1 " + text).str.strptime(pl.Date, "%d %B %Y", strict=False)
            ),
            pl.when(text.str.contains(r"^\d{4}-?Q[1-4]$")).then(
                pl.date(
                    quarter.struct.field("1").cast(pl.Int32, strict=False),
                    (quarter.struct.field("2").cast(pl.Int8, strict=False) - 1) * 3 + 1,
                    1,
                )
            ),
            pl.when(text.str.contains(r"^\d{4}$")).then(
                (text + "-01-01").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            ),
        ]
    day = pl.coalesce(*parsed)
    # Polars dates reach back past year 1; Python's (and tracker's periods) do not.
    return pl.when(day.dt.year() >= 1).then(day)


def date_order(values: pl.Series) -> tuple[DateOrder | None, str | None]:
    """Which way a column writes numeric dates (``01.10.2009``), decided from the whole column.

    Dots are Europe's day-first dates. With ``/`` or ``-`` a first number above 12 means
    day-first and a second above 12 month-first. Returns ``(order, None)``, ``(None, None)`` when
    the column has no such dates, or ``(None, why)`` when it cannot be told (every first and second
    number is 12 or less) or is both.
    """
    parts = values.drop_nulls().str.strip_chars().str.extract_groups(_NUMERIC_DATE).struct.unnest()
    parts = parts.filter(pl.col("4").is_not_null())
    if parts.is_empty():
        return None, None
    first = parts["1"].cast(pl.Int16)
    second = parts["3"].cast(pl.Int16)
    if (parts["2"] == ".").any():
        return "day_first", None
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first and not month_first:
        return "day_first", None
    if month_first and not day_first:
        return "month_first", None
    example = values.drop_nulls().filter(
        values.drop_nulls().str.strip_chars().str.contains(_NUMERIC_DATE)
    )[0]
    if day_first and month_first:
        return (
            None,
            f"dates such as '{example}' are written day-first in some rows and "
            "month-first in others",
        )
    return None, (
        f"dates such as '{example}' could be day-first or month-first and no date in the file "
        "tells which (no number above 12)"
    )


def parse_dates(
    frame: pl.DataFrame,
    *,
    column: str,
    file: str,
    iso_only: bool = False,
    out: str = "date",
    notes: list[str] | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Add a Date column ``out`` parsed from ``column``; report cells that are not dates.

    Parameters
    ----------
    frame
        The table, with `LINE`.
    column
        The column holding the dates.
    file
        The file name used in messages.
    iso_only
        Accept only ``YYYY-MM-DD`` (FRED, ALFRED).
    out
        The name of the added column.

    Returns
    -------
    tuple[pl.DataFrame, list[str]]
        The frame and the problem lines.
    """
    order, why = date_order(frame[column])
    if why is not None:
        # Refuse rather than guess: 01/10/2009 is 1 October in Europe, 10 January in the US.
        return frame.with_columns(pl.lit(None, pl.Date).alias(out)), [
            problem(file, None, column, f"{why} (save the dates as YYYY-MM-DD, e.g. 2009-10-01)")
        ]
    if order is not None and notes is not None:
        sample = frame[column].drop_nulls().str.strip_chars()
        example = sample.filter(sample.str.contains(_NUMERIC_DATE))[0]
        reading = "day-first" if order == "day_first" else "month-first"
        notes.append(f"{file}: column '{column}' read as {reading} dates ('{example}')")
    frame = frame.with_columns(date_expr(pl.col(column), iso_only=iso_only, order=order).alias(out))
    bad = frame.filter(pl.col(out).is_null()).with_columns(pl.lit(column).alias("__column"))
    expected = "a date as YYYY-MM-DD, e.g. 2019-03-01" if iso_only else _DATE_FORMATS_HINT
    problems = report(
        bad,
        file=file,
        column="__column",
        text=lambda row: f"'{clip(row[column] or '')}' is not a date (expected {expected})",
    )
    return frame, problems


def duplicate_periods(
    frame: pl.DataFrame,
    *,
    keys: Sequence[str],
    file: str,
    what: Callable[[dict], str],
    column: str | None = None,
    lines: bool = True,
) -> list[str]:
    """One problem per repeated key (e.g. the same date twice), naming both lines."""
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.is_empty():
        return []
    firsts = dup.group_by(keys).agg(pl.col(LINE).min().alias("__first"))
    again = dup.join(firsts, on=list(keys)).filter(pl.col(LINE) != pl.col("__first")).sort(LINE)
    return report(
        again.with_columns(pl.lit(column).alias("__column")),
        file=file,
        column="__column" if column else None,
        lines=lines,
        text=lambda row: (
            f"{what(row)} appears again (first {'on line' if lines else 'as observation'} "
            f"{row['__first']}); keep one row per period"
        ),
    )


def infer_frequency(dates: pl.Series) -> str | None:
    """A, Q, M, W, D or ``irregular`` from the spacing of dates; None with fewer than two dates.

    Parameters
    ----------
    dates
        Observation dates (any order, nulls and repeats ignored).

    Returns
    -------
    str | None
        The frequency code.
    """
    dates = dates.drop_nulls().unique().sort()
    if dates.len() < 2:
        return None
    if (dates.dt.day() == 1).all():
        months = dates.dt.year().cast(pl.Int64) * 12 + dates.dt.month().cast(pl.Int64)
        steps = months.diff().drop_nulls()
        if (steps % 12 == 0).all():
            return "A"
        if (steps % 3 == 0).all():
            return "Q"
        return "M"
    steps = dates.diff().dt.total_days().drop_nulls()
    if (steps % 7 == 0).all():
        return "W"
    if steps.min() == 1:
        return "D"
    return "irregular"


def series_frequencies(
    long: pl.DataFrame, *, key: str = "series_id", when: str = "date"
) -> pl.DataFrame:
    """Frequency and first date per series, from the rows that hold a value.

    The same rules as `infer_frequency`, applied to all series at once (a wide FRED file has
    thousands of columns: a Python loop over them took seconds).
    """
    dates = long.filter(pl.col("value").is_not_null()).select(key, when)
    if not grouped_in_order(dates, key=key, when=when):
        dates = dates.unique().sort(key, when)
    dates = dates.with_columns(
        months=pl.col(when).dt.year().cast(pl.Int64) * 12 + pl.col(when).dt.month().cast(pl.Int64),
        first_day=pl.col(when).dt.day() == 1,
    ).with_columns(
        month_step=pl.col("months").diff().over(key),
        day_step=pl.col(when).diff().dt.total_days().over(key),
    )
    stats = dates.group_by(key).agg(
        pl.len().alias("n"),
        pl.col(when).min().alias("__anchor"),
        pl.col("first_day").all().alias("monthly_grid"),
        (pl.col("month_step").drop_nulls() % 12 == 0).all().alias("yearly"),
        (pl.col("month_step").drop_nulls() % 3 == 0).all().alias("quarterly"),
        (pl.col("day_step").drop_nulls() % 7 == 0).all().alias("weekly"),
        (pl.col("day_step").drop_nulls().min() == 1).alias("daily"),
    )
    frequency = (
        pl.when(pl.col("n") < 2)
        .then(None)
        .when(pl.col("monthly_grid") & pl.col("yearly"))
        .then(pl.lit("A"))
        .when(pl.col("monthly_grid") & pl.col("quarterly"))
        .then(pl.lit("Q"))
        .when(pl.col("monthly_grid"))
        .then(pl.lit("M"))
        .when(pl.col("weekly"))
        .then(pl.lit("W"))
        .when(pl.col("daily"))
        .then(pl.lit("D"))
        .otherwise(pl.lit("irregular"))
    )
    found = stats.select(
        key,
        frequency.cast(pl.String).alias("frequency"),
        "__anchor",
    )
    order = long.select(pl.col(key).unique(maintain_order=True))
    return order.join(found, on=key, how="left").select(
        pl.col(key).cast(pl.String), "frequency", pl.col("__anchor").cast(pl.Date)
    )


def grouped_in_order(frame: pl.DataFrame, *, key: str, when: str) -> bool:
    """True when each ``key``'s rows are contiguous with ``when`` strictly increasing: the order
    of a wide file melted column by column whose dates run forward, which needs no sort."""
    if frame.height < 2:
        return True
    same = (pl.col(key) == pl.col(key).shift(1)).fill_null(False)
    return frame.select(
        (~same | (pl.col(when) > pl.col(when).shift(1))).all()
        & ((~same).sum() == pl.col(key).n_unique())
    ).item()


def drop_padding(
    long: pl.DataFrame, frequencies: pl.DataFrame, *, key: str = "series_id", when: str = "date"
) -> pl.DataFrame:
    """Drop empty cells that are layout, not published missing values.

    Cells before a series' first value or after its last are padding from columns of different
    lengths; so is an empty cell off the series' own grid (a monthly date in a quarterly series'
    column of a mixed-frequency file). Empty cells inside the range and on the grid stay as NULL.
    """
    has = pl.col("value").is_not_null()
    day = pl.col(when).dt.day()
    month_gap = pl.col(when).dt.month().cast(pl.Int32) - pl.col("__anchor").dt.month().cast(
        pl.Int32
    )
    on_grid = (
        pl.when(pl.col("frequency") == "M")
        .then(day == 1)
        .when(pl.col("frequency") == "Q")
        .then((day == 1) & (month_gap % 3 == 0))
        .when(pl.col("frequency") == "A")
        .then((day == 1) & (month_gap == 0))
        .when(pl.col("frequency") == "W")
        .then((pl.col(when) - pl.col("__anchor")).dt.total_days() % 7 == 0)
        .otherwise(True)
    )
    # Series keep the order of ``frequencies`` (the file's); dates are sorted within each.
    order = frequencies.select(key, "frequency", "__anchor").with_row_index("__order")
    last = long.filter(has).group_by(key).agg(pl.col(when).max().alias("__last"))
    joined = long.join(order, on=key, how="left", maintain_order="left").join(
        last, on=key, how="left", maintain_order="left"
    )
    if not grouped_in_order(long, key=key, when=when):
        joined = joined.sort("__order", when)
    inside = (pl.col(when) >= pl.col("__anchor")) & (pl.col(when) <= pl.col("__last"))
    return joined.filter(has | (inside & on_grid)).drop(
        "frequency", "__anchor", "__order", "__last"
    )


def melt_dated(
    frame: pl.DataFrame,
    *,
    date_column: str,
    columns: Sequence[str],
    file: str,
    hint: str,
    iso_only: bool = False,
    styles: dict[str, NumberStyle] | None = None,
    what: Callable[[dict], str] | None = None,
    notes: list[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A date column and one text column per series → long rows of (LINE, date, column, value).

    Dates, repeated dates and numbers are all checked before anything is raised, so the user
    sees every problem of the file at once. Returns the table with its parsed ``date`` and the
    long rows.
    """
    frame, problems = parse_dates(
        frame, column=date_column, file=file, iso_only=iso_only, notes=notes
    )
    problems += duplicate_periods(
        frame.filter(pl.col("date").is_not_null()),
        keys=["date"],
        file=file,
        column=date_column,
        what=what or (lambda row: f"date {row[date_column]}"),
    )
    long = frame.unpivot(index=[LINE, "date"], on=columns, variable_name="column", value_name="raw")
    long, bad_values = parse_numbers(long, file=file, hint=hint, styles=styles)
    raise_problems(problems + bad_values)
    return frame, long


def raise_problems(problems: Sequence[str]) -> None:
    """Raise one ValidationError for all problems found, if any."""
    if problems:
        raise ValidationError(problems)
