"""World Bank WDI bulk CSV (``API_<indicator>_DS2_en_csv_v2_<n>.csv``), as in the download zip.

::

    "Data Source","World Development Indicators",

    "Last Updated Date","2024-06-28",

    "Country Name","Country Code","Indicator Name","Indicator Code","1960",...,"2023",
    "China","CHN","GDP growth (annual %)","NY.GDP.MKTP.KD.ZG","",...,"5.19999999987174",

- Recognised by the preamble's ``"Data Source"`` line; a UTF-8 BOM and the trailing empty column
  are expected. ``"Last Updated Date"`` is the release's published date. A file that starts
  with the header (its preamble deleted in a spreadsheet) is read too, with a note: it has no
  published date, so ``--published`` is then required.
- The year columns are melted: one row per (country, indicator, year), period = the year
  (``2023``), frequency A.
- **Empty cells are dropped, not emitted as NULL**: WDI leaves every year without data blank
  (most of 1960–1990 for most countries), so NULL rows would be noise, not "published as
  missing". The consequence: a value WDI withdraws in a later release is not recorded as a
  deletion; the earlier value stays the latest.
- series_id = ``<Indicator Code>.<Country Code>``, e.g. ``NY.GDP.MKTP.KD.ZG.CHN``. name =
  ``<Indicator Name>: <Country Name>``; geo = the country code; source ``World Bank (WDI)``.
  unit comes from the indicator name's last parenthesis: ``(annual %)`` → ``%`` with unit_kind
  ``growth_yoy`` when the name speaks of growth or inflation (else ``rate``); ``(% of GDP)`` →
  ``share``; ``(current US$)`` → ``level``; an index → ``index``.
- tags: ``wdi``, plus ``aggregate`` for regions and income groups (WLD, EAS, HIC, ...). Those are
  the codes with an empty Region in the companion ``Metadata_Country_*.csv`` when it sits beside
  the data file; otherwise (and for codes it lacks) a built-in list of WDI aggregate codes.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

import polars as pl

from tracker.errors import FormatError, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import (
    LINE,
    decode,
    duplicate_periods,
    head_lines,
    parse_numbers,
    raise_problems,
    read_table,
    report,
)
from tracker.vocab import EMPTY_WDI, HEAD_BYTES

NAME = "wdi"
SOURCE = "World Bank (WDI)"
EXPECTED = (
    'a World Bank WDI bulk CSV (a "Data Source" preamble, then the header '
    '"Country Name","Country Code","Indicator Name","Indicator Code","1960",...)'
)
HINT = "leave the cell empty for a missing value"
ID_COLUMNS = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]

#: WDI's regional, income and lending-group aggregates (empty Region in its country metadata),
#: plus INX ("Not classified").
AGGREGATES = frozenset(
    (
        "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
        "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
        "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
        "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD",
    )
)  # fmt: skip

_PREAMBLE_LINES = 20
_YEAR = re.compile(r"\d{4}")


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for a WDI bulk data CSV: the ``"Data Source"`` preamble and the WDI header, or the
    header on the first line (a copy whose preamble was deleted: it then has no published date)."""
    lines = head_lines(head)
    if not lines:
        return False
    if _is_header(lines[0]):
        return True
    if not lines[0].startswith(('"Data Source"', "Data Source,")):
        return False
    return any(_is_header(line) for line in lines[:_PREAMBLE_LINES])


def _is_header(line: str) -> bool:
    return line.replace('"', "").startswith(",".join(ID_COLUMNS))


def read(source: SourceLike) -> list[RawRelease]:
    """Read a WDI bulk CSV: one release, published on its "Last Updated Date".

    Parameters
    ----------
    source
        The ``API_...csv`` data file (its ``Metadata_Country_...csv`` beside it is used to tag
        aggregates when present; a file given as bytes has nothing beside it).

    Returns
    -------
    list[RawRelease]
        One release with one series per (indicator, country) that has at least one value.

    Raises
    ------
    FormatError
        Not a WDI data file (the country metadata file, HTML, header drift, truncation).
    ValidationError
        Values that are not numbers, or a series given twice; one line per problem.
    """
    data_file = Source.of(source)
    file = data_file.name
    data, notes = decode(data_file.read_bytes(), file=file, expected=EXPECTED)

    # Read the preamble.
    # Split on "\n" only, so that line indexes match byte offsets (and line numbers).
    lines = [line.rstrip("\r") for line in data[:HEAD_BYTES].decode("utf-8", "replace").split("\n")]
    if lines and lines[0].replace('"', "").startswith("Country Code,Region"):
        raise FormatError(
            problem(
                file,
                1,
                None,
                f"is WDI's country metadata, not data (expected {EXPECTED}); "
                "append the API_...csv file that sits beside it",
            )
        )
    index = next((i for i, line in enumerate(lines[:_PREAMBLE_LINES]) if _is_header(line)), None)
    if index is None:
        first = next((line for line in lines if line.strip()), "")
        raise FormatError(problem(file, 1, None, f"expected {EXPECTED}, found '{first[:80]}'"))
    preamble = {
        row[0].strip(): row[1].strip()
        for row in csv.reader(lines[:index])
        if len(row) >= 2 and row[0].strip()
    }
    published, source = _published(preamble, lines[:index], file=file), SOURCE
    if (
        preamble.get("Data Source", "World Development Indicators")
        != "World Development Indicators"
    ):
        source = f"World Bank ({preamble['Data Source']})"
    if published is None and index == 0:
        notes.append(
            f'{file}: starts with the header: the preamble ("Data Source", "Last Updated Date") '
            "is missing, so the release is dated by --published"
        )
    elif published is None:
        notes.append(f'{file}: no "Last Updated Date" in the preamble: pass --published')

    # Read the table and melt the years.
    offset = len(data) - len(data.split(b"\n", index)[-1])
    table = read_table(
        data[offset:], file=file, separator=",", expected=EXPECTED, header_line=index + 1
    )
    years = _check_header(table.header, file=file, line=index + 1)
    long = table.frame.unpivot(
        index=[LINE, *ID_COLUMNS], on=years, variable_name="column", value_name="raw"
    )
    cells = long.height
    # Empty cells are years without data, not published missing values (module docstring).
    long = long.filter(~pl.col("raw").str.strip_chars().fill_null("").is_in(list(EMPTY_WDI)))
    long, problems = parse_numbers(long, file=file, hint=HINT)
    blank_codes = long.filter(
        pl.col("Country Code").str.strip_chars().fill_null("").eq("")
        | pl.col("Indicator Code").str.strip_chars().fill_null("").eq("")
    ).with_columns(pl.lit("Country Code").alias("column"))
    problems += report(
        blank_codes,
        file=file,
        text=lambda row: "is empty (every row needs a country code and an indicator code)",
    )
    long = long.with_columns(
        pl.concat_str(
            pl.col("Indicator Code").str.strip_chars(),
            pl.col("Country Code").str.strip_chars(),
            separator=".",
        ).alias("series_id")
    )
    problems += duplicate_periods(
        long,
        keys=["series_id", "column"],
        file=file,
        what=lambda row: f"{row['series_id']} {row['column']}",
    )
    raise_problems(problems)

    # Build the release.
    frame = long.sort("series_id", "column").select(
        "series_id", pl.col("column").alias("period"), "value", pl.col(LINE).alias("line")
    )
    aggregates, more = _aggregates(data_file)
    notes += more
    notes.append(f"{file}: dropped {cells - long.height:,} empty cells (years without data)")
    return [
        RawRelease(
            frame=frame,
            format=NAME,
            source=source,
            published=published,
            title=_title(long, preamble),
            url="https://data.worldbank.org/indicator/" + long["Indicator Code"][0]
            if long["Indicator Code"].n_unique() == 1
            else None,
            series=_catalogue(long, aggregates, source=source),
            notes=notes,
        )
    ]


def _published(preamble: dict[str, str], lines: list[str], *, file: str) -> datetime | None:
    text = preamble.get("Last Updated Date")
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        line = next(i for i, line in enumerate(lines, 1) if "Last Updated Date" in line)
        raise FormatError(
            problem(
                file,
                line,
                None,
                f"\"Last Updated Date\" '{text}' is not a date (expected YYYY-MM-DD, e.g. "
                "2024-06-28); download the file again or pass --published",
            )
        ) from None


def _check_header(header: list[str], *, file: str, line: int) -> list[str]:
    if header[:4] != ID_COLUMNS:
        raise FormatError(
            problem(
                file,
                line,
                None,
                f"expected the columns {', '.join(ID_COLUMNS)} first, found "
                f"{', '.join(header[:4])}; download the bulk CSV again",
            )
        )
    years = header[4:]
    odd = [name for name in years if not _YEAR.fullmatch(name)]
    if odd:
        raise FormatError(
            problem(
                file,
                line,
                odd[0],
                "is not a year (expected the WDI bulk layout with year columns 1960, 1961, ...; "
                "a DataBank export with '2000 [YR2000]' columns is a different layout)",
            )
        )
    if not years:
        raise FormatError(problem(file, line, None, "has no year columns (expected 1960, ...)"))
    return years


def _aggregates(data_file: Source) -> tuple[set[str], list[str]]:
    """Aggregate codes: from the companion metadata when present, else the built-in list."""
    folder = data_file.folder
    candidates = sorted(folder.glob("*Metadata_Country_*.csv")) if folder is not None else []
    code = re.search(r"API_(.+?)_DS2", data_file.name)
    if len(candidates) > 1 and code:
        candidates = [c for c in candidates if f"API_{code[1]}" in c.name] or candidates
    if len(candidates) != 1:
        return set(AGGREGATES), []
    metadata = candidates[0]
    try:
        raw, _ = decode(metadata.read_bytes(), file=metadata.name, expected="WDI country metadata")
        table = pl.read_csv(raw, infer_schema=False)
    except (FormatError, pl.exceptions.PolarsError):
        return set(AGGREGATES), [
            f"{metadata.name}: unreadable; aggregates tagged from tracker's built-in list"
        ]
    if not {"Country Code", "Region"} <= set(table.columns):
        return set(AGGREGATES), [
            f"{metadata.name}: no 'Country Code'/'Region' columns; "
            "aggregates tagged from tracker's built-in list"
        ]
    known = table.select(
        pl.col("Country Code").str.strip_chars(),
        pl.col("Region").str.strip_chars().fill_null("").eq("").alias("aggregate"),
    )
    listed = set(known["Country Code"].to_list())
    # Codes the metadata lacks (INX, "Not classified") fall back to the built-in list.
    found = set(known.filter("aggregate")["Country Code"].to_list())
    note = f"{data_file.name}: aggregates tagged from {metadata.name}"
    return found | (AGGREGATES - listed), [note]


def _unit(name: str) -> tuple[str | None, str]:
    """(unit, unit_kind) from an indicator name such as ``GDP growth (annual %)``."""
    match = re.search(r"\(([^()]*)\)\s*$", name)
    lower = name.lower()
    growth = "growth" in lower or "inflation" in lower
    if not match:
        return None, "growth_yoy" if growth else "level"
    unit = match[1].strip()
    if unit in ("annual %", "%"):
        return "%", "growth_yoy" if growth else "rate"
    if unit.startswith("% of") or unit.startswith("% "):
        return unit, "share"
    if "index" in unit.lower() or "=100" in unit.replace(" ", ""):
        return unit, "index"
    return unit, "level"


def _catalogue(long: pl.DataFrame, aggregates: set[str], *, source: str) -> pl.DataFrame:
    series = long.unique("series_id", keep="first", maintain_order=True).select(
        "series_id", *ID_COLUMNS
    )
    units = pl.DataFrame(
        [(name, *_unit(name)) for name in series["Indicator Name"].unique().to_list()],
        schema={"Indicator Name": pl.String, "unit": pl.String, "unit_kind": pl.String},
        orient="row",
    )
    code = pl.col("Country Code").str.strip_chars()
    return series.join(units, on="Indicator Name", how="left", maintain_order="left").select(
        "series_id",
        pl.concat_str(pl.col("Indicator Name"), pl.lit(": "), pl.col("Country Name")).alias("name"),
        "unit",
        "unit_kind",
        pl.lit("A").alias("frequency"),
        code.alias("geo"),
        pl.lit(source).alias("source"),
        pl.lit("actual").alias("kind"),
        pl.when(code.is_in(sorted(aggregates)))
        .then(pl.lit(["wdi", "aggregate"]))
        .otherwise(pl.lit(["wdi"]))
        .alias("tags"),
    )


def _title(long: pl.DataFrame, preamble: dict[str, str]) -> str:
    names = long["Indicator Name"].unique(maintain_order=True)
    what = names[0] if names.len() == 1 else f"{names.len()} indicators"
    return f"{preamble.get('Data Source', 'World Development Indicators')}: {what}"
