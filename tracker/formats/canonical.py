"""The canonical release format: rows of ``series_id, period, value`` (+ ``status``, ``note``).

CSV (comma-separated, UTF-8, header row), Parquet or JSON lines. An empty value cell means
"published as missing"; ``status`` is one of actual, estimate, provisional, forecast, deleted
(empty = actual, or forecast for a forecast series). The file carries no release metadata:
pass ``--source`` and ``--published`` (and optionally ``--title``, ``--url``).
"""

from __future__ import annotations

import codecs
import json

import polars as pl

from tracker.errors import FormatError, ValidationError, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import LINE, locate, parse_column, read_table, split_line
from tracker.vocab import MISSING_CANONICAL

NAME = "canonical"
REQUIRED = ("series_id", "period", "value")
OPTIONAL = ("status", "note")
EXPECTED = "a canonical CSV (header series_id,period,value, optionally status,note)"
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _kind(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "jsonl"
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    # Two of the three required columns (the third may be misspelt or missing), separated by
    # commas or by another delimiter: the reader then says exactly what is wrong.
    for separator in (",", *_OTHER_SEPARATORS):
        columns = [c.strip().strip('"') for c in first.split(separator)]
        if sum(c in columns for c in REQUIRED) >= 2:
            return "csv"
    return None


def sniff(source: SourceLike, head: bytes) -> bool:
    kind = _kind(head)
    if kind == "csv":
        return True
    if kind == "parquet":
        # Only the canonical format reads Parquet: claim it even when broken, so that the
        # reader says what is wrong with it.
        return True
    if kind == "jsonl":
        try:
            first = json.loads(head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0])
        except ValueError:
            return False
        return isinstance(first, dict) and all(k in first for k in REQUIRED)
    return False


def _read_table(source: Source, kind: str) -> pl.DataFrame:
    """Every column as text (lower-case names) plus ``line``, the row's line in the file."""
    if kind == "csv":
        return _read_csv(source)
    name = source.name
    try:
        if kind == "parquet":
            frame = pl.read_parquet(source.file())
        else:
            frame = pl.read_ndjson(source.file(), infer_schema_length=None)
        # Every column as text, except a numeric value column, which needs no parsing.
        frame = frame.with_columns(
            pl.col(c).cast(pl.Float64 if _numeric_value(c, t) else pl.String)
            for c, t in frame.schema.items()
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        where = _bad_json_line(source) if kind == "jsonl" else None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fix = (
            "each line must be one JSON object such as "
            '{"series_id": "X", "period": "2025-05", "value": 1.5}'
            if kind == "jsonl"
            else "the file may be truncated or not Parquet: write it again"
        )
        raise FormatError(
            problem(name, where, None, f"cannot read it as canonical {kind}: {first} ({fix})")
        ) from exc
    frame = _lower_names(frame, frame.columns, name=name, where=None)
    # JSON lines and Parquet rows count from 1.
    return frame.with_row_index("line", offset=1).with_columns(pl.col("line").cast(pl.Int64))


def _numeric_value(column: str, dtype: pl.DataType) -> bool:
    return column.strip().lower() == "value" and dtype.is_numeric()


def _lower_names(
    frame: pl.DataFrame, columns: list[str], *, name: str, where: int | None
) -> pl.DataFrame:
    """``columns`` renamed to lower case; refuses two that differ only in case or spaces.

    A column called ``line`` is no part of the format and is dropped: tracker's own ``line``
    (the row's line in the file) takes its place.
    """
    names = [c.strip().lower() for c in columns]
    for i, column in enumerate(names):
        if column in names[:i]:
            raise FormatError(
                problem(
                    name, where, column,
                    f"appears twice in the header (columns {names.index(column) + 1} and "
                    f"{i + 1}); give each column its own name",
                )
            )  # fmt: skip
    frame = frame.rename(dict(zip(columns, names, strict=True)))
    return frame.drop("line") if "line" in names else frame


def _bad_json_line(source: Source) -> int | None:
    """The first line of a JSON-lines file that is not a JSON object, if any."""
    with source.open() as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return number
            except ValueError:
                return number
    return None


def _read_csv(source: Source) -> pl.DataFrame:
    name = source.name
    data = source.read_bytes().removeprefix(codecs.BOM_UTF8)
    if data.startswith(b"PK\x03\x04"):
        raise FormatError(
            f"error: {name}: is a zip archive, not CSV text (an .xlsx workbook? tracker reads "
            "those: leave out --format, or pass --format excel)"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FormatError(
            _cell_problem(
                data, nul, name, "holds a NUL byte (binary data): the file is damaged; "
                "export it again",
            )
        )  # fmt: skip
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(
            _cell_problem(
                data, exc.start, name, f"byte 0x{data[exc.start]:02x} is not UTF-8 (the "
                "canonical format is UTF-8 text: save the file as UTF-8 CSV)",
            )
        ) from None  # fmt: skip
    first = data.split(b"\n", 1)[0].decode("utf-8").strip("\r")
    if "," not in first:
        for separator, shown in _OTHER_SEPARATORS.items():
            if separator in first:
                raise FormatError(
                    problem(
                        name, 1, None,
                        f"the columns are separated by {shown} ('{first[:60]}'); the canonical "
                        "format is comma-separated: save it as CSV with commas",
                    )
                )  # fmt: skip
    table = read_table(data, file=name, separator=",", expected=EXPECTED)
    frame = _lower_names(table.frame, table.header, name=name, where=table.header_line)
    return frame.rename({LINE: "line"})


def _cell_problem(data: bytes, offset: int, name: str, text: str) -> str:
    """A problem line naming the line and column of byte ``offset`` of a CSV file."""
    line, _ = locate(data, offset)
    header = split_line(data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r"), ",")
    start = data.rfind(b"\n", 0, offset) + 1
    before = split_line(data[start:offset].decode("utf-8", "replace"), ",")
    index = max(len(before) - 1, 0)
    column = header[index].strip().lower() if line > 1 and index < len(header) else None
    return problem(name, line, column, text)


def read(source: SourceLike) -> list[RawRelease]:
    source = Source.of(source)
    kind = _kind(source.head()) or "csv"
    frame = _read_table(source, kind)
    name = source.name
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FormatError(
            f"error: {name}:1: missing column {', '.join(repr(c) for c in missing)} "
            f"(found {', '.join(c for c in frame.columns if c != 'line') or 'no columns'}; "
            "the canonical format needs "
            "series_id,period,value and optionally status,note)"
        )
    values, problems = parse_column(frame, "value", file=name, missing=MISSING_CANONICAL)
    # Strip the keys once (a release can hold millions of rows).
    frame = frame.with_columns(pl.col("series_id", "period").str.strip_chars())
    empty_key = frame.filter(
        pl.col("series_id").is_null()
        | (pl.col("series_id") == "")
        | pl.col("period").is_null()
        | (pl.col("period") == "")
    )
    for row in empty_key.head(20).iter_rows(named=True):
        column = "series_id" if not (row["series_id"] or "").strip() else "period"
        problems.append(
            problem(
                name, row["line"], column, "is empty (every row needs a series_id and a period)"
            )
        )
    out = frame.select(
        "series_id",
        "period",
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
    if empty_key.height:
        # Rows without a key are reported above; without them the rest can still be checked.
        out = out.filter(
            (pl.col("series_id").fill_null("") != "") & (pl.col("period").fill_null("") != "")
        )
        if out.is_empty():
            raise ValidationError(problems)
    return [RawRelease(frame=out, format=NAME, problems=problems)]
