"""ALFRED vintages: FRED's archive of every version of a series, one release per vintage date.

Three shapes, all as downloaded from alfred.stlouisfed.org:

Vintage-wide ("observations by vintage date")::

    observation_date,GDP_19951027,GDP_19960119,GDP_19970507
    1946-01-01,199.7,.,210.4
    1959-01-01,483.5,496.3,496.3

  each ``SERIES_YYYYMMDD`` column is one vintage → one release published on that date. ALFRED
  offers this shape as two output types, and a ``.`` (or empty) cell means different things:

  - "All Observations" (``all``): a vintage lists every value it has, repeating the unchanged
    ones. A ``.`` where an earlier vintage had a value is a *withdrawal* (BEA dropped 1946–1958
    from GDP in January 1996): a tombstone (status ``deleted``), so ``asof`` before it shows the
    old value and after it none, and a value that comes back is a new version. A ``.`` for a date
    no earlier vintage of the file had is not yet published: no row.
  - "New and Revised Observations Only" (``changes``): a vintage lists only what it adds or
    revises; ``.`` means "unchanged" (or not yet published) and is not emitted. This output
    cannot say that a value was withdrawn.

  Which one a file is comes from the ``Output Format:`` line of the zip's README.txt (or of the
  description block above the header), else from ``output`` (``tracker append --alfred-output``),
  else from the cells: a value repeated unchanged from one vintage to the next happens only in
  ``all``, and a file with no ``.`` after a value reads the same either way. A file none of these
  settle is refused with the option to pass, never guessed; a README contradicting ``output`` is
  refused too. A withdrawal is seen against the file's own earlier vintages: a file whose first
  vintage already lacks a value the store holds does not withdraw it.

Observations by real-time period::

    period_start_date,GDP,realtime_start_date,realtime_end_date
    1946-01-01,199.7,1992-12-22,1996-01-18
    1946-01-01,.,1996-01-19,1997-05-06
    1946-01-01,210.4,1997-05-07,1999-10-27

  each row is a value valid from ``realtime_start_date``; the rows sharing a start date form one
  release published then. ``.`` says the date has no value in that real time: after an earlier
  row with a value it is the same withdrawal (a tombstone), before any it is no row, so both
  shapes of one history give the same store. An empty cell is no row.
  ``realtime_end_date`` is checked (not before the start; empty or ``9999-12-31`` = still current)
  but not turned into deletions: the next release's row supersedes the old one (ALFRED writes a
  ``.`` row for a withdrawal), and whether a closed range with no successor means "withdrawn"
  depends on the real-time window requested.

The zip ALFRED downloads (a ``.csv``/``.txt`` data file and ``README.txt``) is opened in memory;
archives with more than 100 files or more than 200 MB uncompressed are refused. Tab-separated
``.txt`` files and a description block above the header are accepted.

series_id = the FRED id (the column name without its ``_YYYYMMDD`` suffix), as in
`tracker.formats.fred`, so ALFRED history and FRED downloads land in the same series. Releases are
returned in publication order; source ``ALFRED``; the frequency is inferred from the periods.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Literal

import polars as pl

from tracker.errors import FormatError, clip, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.fred import DATE_COLUMNS
from tracker.formats.tabular import (
    LINE,
    decode,
    duplicate_periods,
    head_lines,
    melt_dated,
    parse_dates,
    parse_numbers,
    raise_problems,
    read_table,
    report,
    series_frequencies,
    split_line,
)
from tracker.vocab import ALFRED_OUTPUTS, HEAD_BYTES, AlfredOutput

NAME = "alfred"
EXPECTED = (
    "an ALFRED file (header 'observation_date,SERIES_YYYYMMDD,...' or "
    "'period_start_date,SERIES,realtime_start_date,realtime_end_date')"
)
HINT = "use '.' for a missing value"
#: Limits for the downloaded zip: ALFRED's holds a data file and a README.
MAX_ZIP_MEMBERS = 100
MAX_ZIP_BYTES = 200 * 1024 * 1024

_REALTIME = ("realtime_start_date", "realtime_end_date")
_PERIOD_COLUMNS = ("period_start_date", *DATE_COLUMNS)
_VINTAGE = re.compile(r"(.+)_(\d{8})")
_OPEN_END = "9999-12-31"
_PREAMBLE_LINES = 30
#: A README (or description block) line naming the output type, e.g.
#: ``Output Format: Observations by Vintage Date, All Observations``.
_OUTPUT_FORMAT = re.compile(r"^[ \t]*Output Format:[ \t]*(?P<said>\S.*?)[ \t]*\r?$", re.I | re.M)
_README_BYTES = 1024 * 1024

Layout = Literal["vintages", "realtime"]
#: What an ALFRED README calls each output type (the phrase after "Observations by Vintage Date, ").
_OUTPUT_NAMES: dict[AlfredOutput, str] = {
    "all": "All Observations",
    "changes": "New and Revised Observations Only",
}
FIX = "(pass --alfred-output all or --alfred-output changes)"


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for an ALFRED vintage-wide or real-time CSV, or ALFRED's zip holding one."""
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(Source.of(source))
    lines = head_lines(head)
    return lines is not None and bool(lines) and _find_header(lines) is not None


def _sniff_zip(source: Source) -> bool:
    """ALFRED's zip; also an oversized or encrypted zip, or one without a data file (ALFRED's
    is the only zip tracker reads, and `read` says what is wrong with it)."""
    errors = (
        OSError, EOFError, RuntimeError, ValueError, NotImplementedError, zlib.error,
        zipfile.BadZipFile,
    )  # fmt: skip
    try:
        archive = zipfile.ZipFile(source.file())
    except errors:
        return False  # `tracker.formats.detect` says what is wrong with a damaged zip
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            return True
        members = _data_members(infos)
        if not members:
            # An .xlsx/.docx is a zip too: leave it to the "not a format" message.
            return "[Content_Types].xml" not in {info.filename for info in infos}
        if members[0].flag_bits & 0x1:
            return True
        try:
            with archive.open(members[0]) as fh:
                head = fh.read(8192)
        except errors:
            return True  # a data file that cannot be extracted: `read` says so
    lines = head_lines(head)
    return lines is not None and bool(lines) and _find_header(lines) is not None


def read(source: SourceLike, *, output: AlfredOutput | None = None) -> list[RawRelease]:
    """Read an ALFRED file or zip: one release per vintage, in publication order.

    Parameters
    ----------
    source
        A vintage-wide or real-time CSV/TXT, or the zip ALFRED downloads.
    output
        For a vintage-wide file, which ALFRED output type it is: ``"all"`` (All Observations:
        a ``.`` after a value is a withdrawal) or ``"changes"`` (New and Revised Observations
        Only: a ``.`` is unchanged). None: from the README, else from the cells. Not used for
        the real-time layout.

    Returns
    -------
    list[RawRelease]
        One release per vintage date, ``published`` = that date, source ``ALFRED``; a
        withdrawn value is a row with status ``deleted``.

    Raises
    ------
    FormatError
        Not an ALFRED layout, a damaged zip, a zip over the size or member limits, a
        vintage-wide file whose output type cannot be told (or whose README contradicts
        ``output``).
    ValidationError
        Bad dates or values, or the same period twice in a vintage; one line per problem.
    """
    if output is not None and output not in ALFRED_OUTPUTS:
        raise FormatError(
            f"error: --alfred-output '{output}' is not an ALFRED output type "
            f"(use one of: {', '.join(ALFRED_OUTPUTS)})"
        )
    source = Source.of(source)
    data = source.read_bytes()
    readme = None
    if data.startswith(b"PK\x03\x04"):
        members, readme = _unzip(data, file=source.name)
    else:
        members = [(source.name, data)]
    releases = [
        release
        for label, content in members
        for release in _read_csv(content, label, output=output, readme=readme)
    ]
    return _merge(releases)


def _header(line: str) -> list[str]:
    separator = "\t" if "\t" in line and "," not in line else ","
    return [name.strip() for name in split_line(line, separator)]


def _layout(header: list[str]) -> Layout | None:
    if (
        len(header) >= 2
        and header[0] in DATE_COLUMNS
        and all(_VINTAGE.fullmatch(name) for name in header[1:])
    ):
        return "vintages"
    if len(header) >= 4 and header[0] in _PERIOD_COLUMNS and set(_REALTIME) <= set(header):
        return "realtime"
    return None


def _find_header(lines: list[str]) -> int | None:
    """Index of the header line; a .txt download may open with a description block."""
    for i, line in enumerate(lines[:_PREAMBLE_LINES]):
        if _layout(_header(line)):
            return i
    return None


def _data_members(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    return [
        info
        for info in infos
        if not info.is_dir()
        and info.filename.lower().endswith((".csv", ".txt"))
        and not _is_readme(info)
        and not info.filename.startswith("__MACOSX/")
    ]


def _is_readme(info: zipfile.ZipInfo) -> bool:
    return Path(info.filename).name.lower().startswith("readme") and not info.is_dir()


def _unzip(data: bytes, *, file: str) -> tuple[list[tuple[str, bytes]], tuple[str, str] | None]:
    """The data members as (label, bytes), and the README as (name, text) when there is one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise FormatError(
            problem(
                file,
                None,
                None,
                f"is a damaged or truncated zip archive ({exc}); download it again",
            )
        ) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise FormatError(
                problem(
                    file,
                    None,
                    None,
                    f"holds {len(infos)} files; an ALFRED download holds a data file and "
                    f"README.txt (refusing archives of more than {MAX_ZIP_MEMBERS} files)",
                )
            )
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ZIP_BYTES:
            raise FormatError(_too_big(file, declared))
        members = _data_members(infos)
        if not members:
            names = ", ".join(info.filename for info in infos[:5]) or "nothing"
            names += f" and {len(infos) - 5} more" if len(infos) > 5 else ""
            raise FormatError(
                problem(
                    file, None, None, f"expected a .csv or .txt data file in the zip, found {names}"
                )
            )
        out = []
        budget = MAX_ZIP_BYTES
        for info in members:
            label = f"{file}:{info.filename}"
            content = _extract(archive, info, label, budget)
            if len(content) > budget:
                raise FormatError(_too_big(file, None))
            budget -= len(content)
            out.append((label, content))
        # The README says which output type a vintage-wide file is ("Output Format: ...").
        readmes = [info for info in infos if _is_readme(info)]
        readme = None
        if readmes:
            name = readmes[0].filename
            text = _extract(archive, readmes[0], f"{file}:{name}", min(budget, _README_BYTES))
            readme = (name, text.decode("utf-8", "replace"))
    return out, readme


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, budget: int) -> bytes:
    """At most ``budget + 1`` bytes of a member (sizes in the zip's directory can lie)."""
    if info.flag_bits & 0x1:
        raise FormatError(
            problem(label, None, None, "is encrypted; download the zip from ALFRED again")
        )
    try:
        with archive.open(info) as fh:
            return fh.read(budget + 1)
    except (
        zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError,
    ) as exc:  # fmt: skip
        raise FormatError(
            problem(label, None, None, f"cannot be extracted ({exc}); download the zip again")
        ) from exc


def _too_big(file: str, size: int | None) -> str:
    amount = f"{size:,} bytes" if size is not None else "more than it declares"
    return problem(
        file,
        None,
        None,
        f"would inflate to {amount}, over the {MAX_ZIP_BYTES:,}-byte limit; refusing it as a "
        "possible zip bomb (unzip it yourself and append the data file)",
    )


def _read_csv(
    content: bytes, file: str, *, output: AlfredOutput | None, readme: tuple[str, str] | None
) -> list[RawRelease]:
    data, notes = decode(content, file=file, expected=EXPECTED)
    # Split on "\n" only, so that line indexes match byte offsets (and line numbers).
    lines = [line.rstrip("\r") for line in data[:HEAD_BYTES].decode("utf-8", "replace").split("\n")]
    index = _find_header(lines)
    if index is None:
        first = next((line for line in lines if line.strip()), "")
        raise FormatError(problem(file, 1, None, f"expected {EXPECTED}, found '{first[:80]}'"))
    header_line = index + 1
    offset = len(data) - len(data.split(b"\n", index)[-1])
    header = _header(lines[index])
    separator = "\t" if "\t" in lines[index] and "," not in lines[index] else ","
    table = read_table(
        data[offset:], file=file, separator=separator, expected=EXPECTED, header_line=header_line
    )
    if _layout(header) == "vintages":
        # What the download says of itself: its README, or the description block of a .txt.
        said = _declared(readme) or _declared(("its description", "\n".join(lines[:index])))
        long = _vintages(
            table.frame, table.header, file=file, header_line=header_line, output=output, said=said
        )
    else:
        long = _realtime(table.frame, table.header, file=file)
    return _releases(long, notes)


def _declared(text: tuple[str, str] | None) -> tuple[AlfredOutput, str, str] | None:
    """(output type, the line's words, where) from an ``Output Format:`` line, if it names one."""
    if text is None:
        return None
    where, body = text
    for match in _OUTPUT_FORMAT.finditer(body):
        said = match["said"]
        for output, name in _OUTPUT_NAMES.items():
            if name.lower() in said.lower():
                return output, said, where
    return None


def _vintages(
    frame: pl.DataFrame,
    header: list[str],
    *,
    file: str,
    header_line: int,
    output: AlfredOutput | None,
    said: tuple[AlfredOutput, str, str] | None,
) -> pl.DataFrame:
    date_column, *columns = header
    problems = []
    rows = []
    for column in columns:
        match = _VINTAGE.fullmatch(column)
        assert match is not None  # _layout checked every column
        try:
            published = datetime.strptime(match[2], "%Y%m%d")
        except ValueError:
            problems.append(
                problem(
                    file,
                    header_line,
                    column,
                    f"'{match[2]}' is not a vintage date "
                    "(expected SERIES_YYYYMMDD, e.g. IMPCH_20190510)",
                )
            )
            continue
        rows.append((column, match[1].upper(), published))
    raise_problems(problems)
    vintages = pl.DataFrame(
        rows,
        schema={"column": pl.String, "series_id": pl.String, "published": pl.Datetime("us")},
        orient="row",
    )

    _, long = melt_dated(
        frame, date_column=date_column, columns=columns, file=file, hint=HINT, iso_only=True
    )
    long = long.join(vintages, on="column", maintain_order="left")
    if _output_type(long, file=file, output=output, said=said) == "changes":
        # '.' is "unchanged in this vintage" (or not yet published), never a NULL value.
        return long.filter(pl.col("value").is_not_null()).with_columns(
            pl.lit(None, pl.String).alias("status")
        )
    return _withdrawals(long)


def _earlier_value(keys: list[str]) -> pl.Expr:
    """True where an earlier vintage (by ``published``) had a value for the same keys."""
    return (
        pl.col("value")
        .is_not_null()
        .cum_max()
        .shift(1, fill_value=False)
        .over(keys, order_by="published")
    )


def _withdrawals(long: pl.DataFrame) -> pl.DataFrame:
    """Cells with a value, and a tombstone for each missing cell that follows a value; a missing
    cell before any value (not yet published) is no row."""
    missing = pl.col("value").is_null()
    return long.filter(~missing | _earlier_value(["series_id", "date"])).with_columns(
        pl.when(missing).then(pl.lit("deleted")).otherwise(None).alias("status")
    )


def _output_type(
    long: pl.DataFrame,
    *,
    file: str,
    output: AlfredOutput | None,
    said: tuple[AlfredOutput, str, str] | None,
) -> AlfredOutput:
    """Which output type a vintage-wide file is: what it says, else the option, else its cells."""
    if said is not None:
        declared, words, where = said
        if output is not None and output != declared:
            raise FormatError(
                problem(
                    file,
                    None,
                    None,
                    f"{where} says 'Output Format: {clip(words)}' but --alfred-output "
                    f"{output} was given (drop --alfred-output: the download says which it is)",
                )
            )
        return declared
    if output is not None:
        return output
    keys = ["series_id", "date"]
    previous = pl.col("value").shift(1).over(keys, order_by="published")
    # Only "All Observations" repeats a value unchanged from one vintage to the next.
    if long.select((pl.col("value") == previous).fill_null(False).any()).item():
        return "all"
    # Without a '.' after a value, both output types give the same releases.
    gaps = long.filter(pl.col("value").is_null() & _earlier_value(keys)).sort(LINE, "published")
    if gaps.is_empty():
        return "all"
    first = gaps.row(0, named=True)
    raise FormatError(
        problem(
            file,
            None,
            None,
            f"a '.' follows a value ({first['date']:%Y-%m-%d} in {first['column']}): withdrawn "
            f"if this is ALFRED's '{_OUTPUT_NAMES['all']}' download, unchanged if "
            f"'{_OUTPUT_NAMES['changes']}', and the file does not say which {FIX}",
        )
    )


def _realtime(frame: pl.DataFrame, header: list[str], *, file: str) -> pl.DataFrame:
    period_column = header[0]
    columns = [name for name in header[1:] if name not in _REALTIME]
    if not columns:
        raise FormatError(
            problem(
                file,
                1,
                None,
                f"expected a value column between '{period_column}' and 'realtime_start_date'",
            )
        )
    start, end = _REALTIME
    frame = frame.with_columns(pl.col(end).fill_null(_OPEN_END))
    frame, problems = parse_dates(frame, column=period_column, file=file, iso_only=True)
    frame, more = parse_dates(frame, column=start, file=file, iso_only=True, out="published")
    problems += more
    frame, more = parse_dates(frame, column=end, file=file, iso_only=True, out="__end")
    problems += more
    backwards = frame.filter(pl.col("__end") < pl.col("published")).with_columns(
        pl.lit(end).alias("column")
    )
    problems += report(
        backwards,
        file=file,
        text=lambda row: (
            f"{row[end]} is before realtime_start_date {row[start]} (swap or fix the dates)"
        ),
    )
    long = frame.unpivot(
        index=[LINE, "date", "published", period_column, start],
        on=columns,
        variable_name="column",
        value_name="raw",
    )
    # An empty cell is no row for that series; '.' is "no value in this real time".
    long = long.filter(pl.col("raw").str.strip_chars().fill_null("") != "")
    long, bad_values = parse_numbers(long, file=file, hint=HINT)
    problems += bad_values
    problems += duplicate_periods(
        long.filter(pl.col("date").is_not_null() & pl.col("published").is_not_null()),
        keys=["column", "date", "published"],
        file=file,
        column=period_column,
        what=lambda row: f"period {row[period_column]} of {row['column']} from {row[start]}",
    )
    raise_problems(problems)
    long = long.with_columns(
        pl.col("column").str.to_uppercase().alias("series_id"),
        pl.col("published").cast(pl.Datetime("us")),
    )
    # A '.' row after a row with a value is a withdrawal, as in a vintage-wide file.
    return _withdrawals(long)


def _releases(long: pl.DataFrame, notes: list[str]) -> list[RawRelease]:
    frequencies = series_frequencies(long)
    catalogue = frequencies.select(
        "series_id", pl.col("series_id").alias("name"), "frequency", pl.lit("FRED").alias("source")
    )
    releases = []
    for (published,), part in sorted(long.partition_by("published", as_dict=True).items()):
        ids = part["series_id"].unique(maintain_order=True).to_list()
        frame = part.sort("series_id", "date").select(
            "series_id",
            pl.col("date").dt.strftime("%Y-%m-%d").alias("period"),
            "value",
            "status",
            pl.col(LINE).alias("line"),
        )
        releases.append(
            RawRelease(
                frame=frame,
                format=NAME,
                source="ALFRED",
                published=published,
                title=f"ALFRED vintage {published:%Y-%m-%d} ({', '.join(ids)})",
                url=f"https://alfred.stlouisfed.org/series?seid={ids[0]}"
                if len(ids) == 1
                else None,
                series=catalogue.filter(pl.col("series_id").is_in(ids)),
            )
        )
    if releases:
        releases[0].notes = notes
    return releases


def _merge(releases: list[RawRelease]) -> list[RawRelease]:
    """One release per published date across the files of a zip, in publication order."""
    by_date: dict[datetime, list[RawRelease]] = {}
    for release in releases:
        assert release.published is not None
        by_date.setdefault(release.published, []).append(release)
    merged = []
    for published in sorted(by_date):
        group = by_date[published]
        if len(group) == 1:
            merged.append(group[0])
            continue
        frame = pl.concat([release.frame for release in group])
        if frame.select(pl.struct("series_id", "period").is_duplicated().any()).item():
            raise FormatError(
                f"error: {group[0].title}: the same series and period come from two files of the "
                "zip; append the files one at a time"
            )
        ids = frame["series_id"].unique(maintain_order=True).to_list()
        merged.append(
            RawRelease(
                frame=frame,
                format=NAME,
                source="ALFRED",
                published=published,
                title=f"ALFRED vintage {published:%Y-%m-%d} ({', '.join(ids)})",
                series=pl.concat([r.series for r in group if r.series is not None]).unique(
                    "series_id", keep="first", maintain_order=True
                ),
                notes=[note for release in group for note in release.notes],
            )
        )
    return merged
