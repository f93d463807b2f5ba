"""SDMX-CSV data messages: 1.0 (``DATAFLOW,…``), 2.0 (``STRUCTURE,STRUCTURE_ID,ACTION,…``) and 2.1.

Recognised by the first header field: ``DATAFLOW`` (1.0) or ``STRUCTURE``, optionally with a
sub-field separator such as ``STRUCTURE[;]`` (2.0/2.1). The character after that field is the
column separator (``,`` normally, ``;`` in locales with a decimal comma).

Series ids
----------
``<flow>.<dimension values joined by '.'>``, the SDMX series-key convention (ECB
``EXR.M.USD.EUR.SP00.A``). ``<flow>`` is the artefact id inside the structure reference
``AGENCY:ID(VERSION)``: agency and version are dropped (so a new dataflow version keeps its
series), and of an OECD-style ``DSD@DF`` id only the dataflow part after the last ``@`` is kept::

    OECD.GOV.GIP:DSD_GOV@DF_GOV_PF_YU(1.0), A,IRL,GGD,PT_B1GQ,S13,YU,PF
        -> DF_GOV_PF_YU.A.IRL.GGD.PT_B1GQ.S13.YU.PF
    OECD:DF_EO114_LTB(1.0), AUS,GDP,S0,A          -> DF_EO114_LTB.AUS.GDP.S0.A
    ESTAT:NA_MAIN(1.6.0), A,B                     -> NA_MAIN.A.B
    AGENCY:DF_ID (no version), A,B                -> DF_ID.A.B

When the file has a ``SERIES_KEY`` column it is used as the key (it is in data-structure order
even when the columns are not).

Columns
-------
SDMX-CSV does not say which columns are dimensions; the data structure does, and it is not in the
file. tracker relies on the order every SDMX web service writes: dimensions (in data-structure
order, the time dimension last), then ``OBS_VALUE``, then attributes. So the dimensions are the
columns between the structure columns (``DATAFLOW`` or ``STRUCTURE, STRUCTURE_ID[,
STRUCTURE_NAME], ACTION[, SERIES_KEY][, OBS_KEY]``) and ``TIME_PERIOD``; everything after
``TIME_PERIOD`` other than ``OBS_VALUE`` is an attribute. ``UNIT_MEASURE`` is an attribute in
some structures and a dimension in others (the OECD's): its position decides.

A file without a ``TIME_PERIOD`` column (the SDMX-CSV 2.0 specification's examples call the time
dimension ``DIM_3``) is read only when the column just before ``OBS_VALUE`` holds nothing but
period codes; that column is then the time dimension, and the release says so in a note.
Otherwise the file is refused, as are files without ``OBS_VALUE`` (several measures, attributes
attached to partial keys, referential metadata) — each with a message saying what the file is.

Labels: ``ID: Name`` headers and ``CODE: Label`` values (``labels=both``) are reduced to the id and
code; the name columns that follow each column under ``labels=name`` (``STRUCTURE_NAME``
present) are skipped. Either kind of label becomes the series name. Columns whose header is not
an SDMX id (Eurostat's ``LAST UPDATE``) are custom columns and ignored. Multi-valued (``X[]``)
and multi-lingual (``X[en;fr]``) attributes are ignored; ``OBS_VALUE``, ``TIME_PERIOD``,
``OBS_STATUS``, ``UNIT_MEASURE`` and ``UNIT_MULT`` must be single-valued.

Values and statuses
-------------------
``OBS_VALUE``: ``NaN``, ``NA``, ``#N/A`` and empty cells are missing (null); when the separator
is not a comma (``;``) a decimal comma is accepted (``12,4``); ``inf`` and ``1e400`` are errors,
as is ``-`` outside a delete row. Values are kept as published, so they match the agency's own
tables: ``UNIT_MULT`` is not applied but recorded in the series unit, ``"<UNIT_MEASURE>
×10^<UNIT_MULT>"`` (just ``UNIT_MEASURE`` when the multiplier is 0 or absent; the first unit
a series' rows give), e.g. ``USD ×10^6``. ``OBS_STATUS`` A/E/P/F become actual/estimate/
provisional/forecast; any other code is kept as ``actual`` with ``OBS_STATUS=<code>`` in the
note.

Actions
-------
``I``, ``A`` (2.0) and ``M`` (2.1) merge and ``R`` replaces: both are ordinary rows, because the
store keeps every version anyway. ``D`` deletes: a row with the full key and either
``OBS_VALUE`` marked (``-``) or no measure/attribute marked becomes a tombstone (status
``deleted``, value null) — history is never erased. A ``D`` row marking only attributes changes
nothing tracker stores and is skipped with a note. Wildcard deletes (an empty dimension) are
refused: tracker cannot expand them without the agency's list of series.

Release metadata
----------------
SDMX-CSV carries no publication date (pass ``--published``). The source is the top agency of
the structure reference (``OECD.SDD.NAD`` -> ``OECD``); the title is the structure reference
(or its name). The series catalogue gets the frequency from the ``FREQ`` (older OECD files:
``FREQUENCY``) dimension, the unit, the geography from ``REF_AREA``/``LOCATION`` when it is a
three-letter code, the source, a name from labels when the file has them, and a description
listing the structure and each dimension's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from tracker import periods
from tracker.errors import FormatError, ValidationError, clip, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import parse_column
from tracker.vocab import MAX_PROBLEMS, MISSING_SDMX, Frequency, Status

NAME = "sdmx_csv"

TIME = "TIME_PERIOD"
MEASURE = "OBS_VALUE"
#: OBS_STATUS codes (SDMX code list CL_OBS_STATUS) that map onto tracker statuses.
STATUS_OF_OBS_STATUS: dict[str, Status] = {
    "A": "actual", "E": "estimate", "P": "provisional", "F": "forecast",
}  # fmt: skip
#: SDMX FREQ codes -> tracker frequencies (B, business days, are dated days).
FREQUENCY_OF_FREQ: dict[str, Frequency] = {
    "A": "A", "S": "S", "Q": "Q", "M": "M", "W": "W", "D": "D", "B": "D",
}  # fmt: skip
FREQUENCY_COLUMNS = ("FREQ", "FREQUENCY")
GEO_COLUMNS = ("REF_AREA", "LOCATION", "COUNTRY")
ACTIONS = ("I", "A", "M", "R", "D")

_STRUCTURE_COLUMNS = (
    "DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION", "SERIES_KEY", "OBS_KEY",
)  # fmt: skip
_SEPARATORS = (",", ";", "\t", "|")
_HEAD = re.compile(r'^\ufeff?"?(DATAFLOW|STRUCTURE)(\[(.*?)\])?"?(.)')
#: An SDMX component id, possibly nested (metadata ``CONTACT[].NAME[]``), with its brackets.
_COMPONENT = re.compile(
    r"^[A-Za-z][\w@$\-]*(?:\[[^\]]*\])?(?:\.[A-Za-z][\w@$\-]*(?:\[[^\]]*\])?)*$"
)
#: ``AGENCY:ID(VERSION)`` with an optional ``: Name`` after it (labels=both).
_REFERENCE = r"^([A-Za-z][\w.\-]*):([A-Za-z][\w@$\-]*)(?:\(([^)]*)\))?(?:: (.*))?$"
_NOT_A_NUMBER_FIX = "use an empty cell or NaN for a missing value"


@dataclass(frozen=True)
class _Column:
    position: int
    header: str
    id: str  # the component id: header without ": Name" and without "[...]"
    brackets: str | None  # "[]" multi-valued, "[en;fr]" multi-lingual, None otherwise
    label: str | None = None  # polars column holding its labels=name label column


def sniff(source: SourceLike, head: bytes) -> bool:
    """True when the header starts with ``DATAFLOW`` or ``STRUCTURE[..]`` and a separator."""
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    match = _HEAD.match(first)
    if match is None or match[4] not in _SEPARATORS:
        return False
    # The rest of the header, after the first field and its separator.
    rest = [f.strip().strip('"') for f in first[match.end() :].split(match[4])]
    if match[1] == "STRUCTURE":
        return rest[0] == "STRUCTURE_ID"
    return rest[0] != ""


def read(source: SourceLike) -> list[RawRelease]:
    """Read an SDMX-CSV 1.0/2.0/2.1 data message as one release.

    Parameters
    ----------
    source
        The file as downloaded.

    Returns
    -------
    list[RawRelease]
        One release: observations (tombstones for deletions), the series catalogue rows and
        notes; no publication date (SDMX-CSV has none).

    Raises
    ------
    FormatError
        The file is not SDMX-CSV observation data (with what it is instead), or is broken
        (truncated, wrong delimiter, unbalanced quotes).
    ValidationError
        Bad cells: one line per problem with file, line, column, value and fix.
    """
    source = Source.of(source)
    name = source.name
    data = source.read_bytes()
    version, separator = _header(name, data)
    lines, blank = _record_lines(name, data, separator)

    # Load every cell as text; the header is validated here, the cells below.
    try:
        grid = pl.read_csv(
            data,
            has_header=False,
            separator=separator,
            infer_schema=False,
            empty_string_is_null=False,
            encoding="utf8",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise FormatError(
            f"error: {name}: cannot split it into '{_show(separator)}'-separated columns "
            f"({_first_line(exc)}); check that it is the CSV as downloaded"
        ) from exc
    if grid.height != len(lines):
        raise FormatError(
            f"error: {name}: its rows cannot be told apart ({grid.height} rows parsed, "
            f"{len(lines)} lines start a row); check the quoting"
        )
    headers = [_clean_header(v) for v in grid.row(0)]
    body = grid.slice(1).with_columns(pl.Series("line", lines[1:], dtype=pl.Int64))
    if blank:
        body = body.filter(~pl.col("line").is_in(blank))
    if body.height == 0:
        raise FormatError(
            f"error: {name}: has a header but no data rows (expected one row per observation)"
        )
    layout = _Layout.of(name, version, headers, grid.columns, body)
    notes = list(layout.notes)

    frame, series, skipped = _observations(name, layout, body, separator)
    if skipped:
        notes.append(skipped)
    agencies = series["source"].drop_nulls().unique().sort().to_list()
    if len(agencies) > 1:
        notes.append(f"{name}: data from several agencies ({', '.join(agencies)}); pass --source")
    titles = frame.select("title").unique(maintain_order=True)["title"].drop_nulls().to_list()
    return [
        RawRelease(
            frame=frame.drop("title"),
            format=NAME,
            columns={"period": "TIME_PERIOD", "value": "OBS_VALUE", "status": "OBS_STATUS"},
            source=agencies[0] if len(agencies) == 1 else None,
            title="; ".join(titles) or None,
            series=series,
            notes=notes,
        )
    ]


# Header and rows ---------------------------------------------------------------------------


def _header(name: str, data: bytes) -> tuple[str, str]:
    """(version, column separator) of an SDMX-CSV file, or a FormatError."""
    if not data or data.isspace():
        raise FormatError(f"error: {name}: the file is empty (expected an SDMX-CSV header)")
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start[:200]:
        raise FormatError(
            f"error: {name}:1: is an HTML page, not SDMX-CSV (probably an error or login page "
            "saved instead of the data; download the file again)"
        )
    if start.startswith(b"<?xml") or start.startswith(b"<"):
        raise FormatError(
            f"error: {name}:1: is XML, not SDMX-CSV (for SDMX-ML use --format sdmx_ml)"
        )
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    match = _HEAD.match(first)
    if match is None:
        raise FormatError(
            f"error: {name}:1: the header starts with '{clip(first, 40)}', not with DATAFLOW "
            "(SDMX-CSV 1.0) or STRUCTURE (SDMX-CSV 2.0); is it an SDMX-CSV file?"
        )
    if match[4] not in _SEPARATORS:
        raise FormatError(
            f"error: {name}:1: column '{match[1]}' is followed by '{_show(match[4])}', not by a "
            "column separator (expected ',' or ';')"
        )
    return ("1.0" if match[1] == "DATAFLOW" else "2.0"), match[4]


def _record_lines(name: str, data: bytes, separator: str) -> tuple[list[int], list[int]]:
    """The 1-based line on which each CSV record starts, and the blank ones among them.

    Refuses rows with a wrong field count.
    Works on physical lines so that quoted fields spanning lines (XHTML attributes) keep the
    line numbers right, and so that short rows — which the CSV parser would pad silently — are
    caught: a truncated last row, or rows written with another delimiter than the header.
    """
    pieces = data.split(b"\n")
    ends_with_newline = pieces[-1] == b""
    if ends_with_newline:
        pieces.pop()
    raw = pl.Series("raw", pieces, dtype=pl.Binary)
    try:
        text = raw.cast(pl.String)
    except pl.exceptions.PolarsError:
        bad = raw.to_frame().with_row_index("line", offset=1)
        for line, piece in bad.iter_rows():
            try:
                piece.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(
                    f"error: {name}:{line}: is not UTF-8 (byte {piece[exc.start]:#x}); "
                    "SDMX-CSV is UTF-8: download it again or re-save it as UTF-8"
                ) from None
        raise
    lines = pl.DataFrame({"text": text.str.strip_suffix("\r")}).with_row_index("line", offset=1)
    lines = lines.with_columns(
        (pl.col("text").str.count_matches('"', literal=True) % 2 == 1).alias("odd")
    ).with_columns(
        ((pl.col("odd").cast(pl.Int64).cum_sum() - pl.col("odd").cast(pl.Int64)) % 2 == 1).alias(
            "inside"
        ),
        (
            pl.col("text")
            .str.replace_all(r'"[^"]*"', "")
            .str.count_matches(separator, literal=True)
            + 1
        ).alias("fields"),
    )
    starts = lines.filter(~pl.col("inside"))
    last = lines.row(-1, named=True)
    if last["inside"] != last["odd"]:
        # The last line leaves a quoted field open: the file stops inside a cell.
        opened = starts["line"][-1]
        raise FormatError(
            f"error: {name}:{opened}: a quoted cell opened on this line never closes: the file "
            "is truncated (download it again)"
        )
    expected = starts["fields"][0]
    header = [h.strip().strip('"') for h in starts["text"][0].split(separator)]
    # Only single-line records are counted; a multi-line one is left to the CSV parser.
    single = starts.filter(~pl.col("odd") & (pl.col("text") != "") & (pl.col("line") > 1))
    wrong = single.filter(pl.col("fields") != expected)
    if wrong.height:
        problems: list[str] = []
        final = starts["line"][-1]
        for row in wrong.head(MAX_PROBLEMS).iter_rows(named=True):
            found, shown = row["fields"], clip(row["text"], 50)
            other = [s for s in _SEPARATORS if s != separator and s in row["text"]]
            column = header[found] if found < min(expected, len(header)) else None
            if found > expected:
                message = (
                    f"the row has {found} fields where the header has {expected} ('{shown}'): "
                    "check the delimiter and the quoting of this row"
                )
            elif row["line"] == final and not ends_with_newline:
                message = (
                    f"missing: the row stops after {found} of {expected} fields ('{shown}'): "
                    "the file is truncated (download it again)"
                )
            elif other and found == 1:
                message = (
                    f"missing: the row ('{shown}') is separated by '{_show(other[0])}' where "
                    f"the header uses '{_show(separator)}' (use one delimiter throughout)"
                )
            else:
                message = (
                    f"missing: the row has {found} of {expected} fields ('{shown}'): check the "
                    "delimiter and the quoting of this row"
                )
            problems.append(problem(name, row["line"], column, message))
        if wrong.height > MAX_PROBLEMS:
            problems.append(f"error: {name}: … and {wrong.height - MAX_PROBLEMS} more bad rows")
        raise ValidationError(problems)
    blank = starts.filter(pl.col("text").str.strip_chars() == "")["line"]
    return starts["line"].to_list(), blank.to_list()


def _clean_header(value: str | None) -> str:
    return (value or "").replace("\ufeff", "").strip()


@dataclass
class _Layout:
    """What each column of the file is."""

    version: str
    structure: str  # polars column with the structure reference
    structure_name: str | None
    action: str | None
    series_key: str | None
    components: list[_Column]
    labels_in_values: bool  # labels=both: "CODE: Label" cells
    time: _Column
    measure: _Column
    dimensions: list[_Column]
    attributes: list[_Column]
    notes: list[str]

    @classmethod
    def of(
        cls, name: str, version: str, headers: list[str], columns: list[str], body: pl.DataFrame
    ) -> _Layout:
        ids = [h.split(": ", 1)[0].strip() for h in headers]
        labels_in_values = any(": " in h for h in headers[1:])
        taken: dict[str, str] = {}
        position = 1
        if version == "2.0":
            if len(ids) < 2 or ids[1] != "STRUCTURE_ID":
                raise FormatError(
                    f"error: {name}:1: column 2 is '{headers[1] if len(headers) > 1 else ''}', "
                    "expected STRUCTURE_ID (SDMX-CSV 2.0 starts STRUCTURE,STRUCTURE_ID,ACTION)"
                )
            taken["STRUCTURE_ID"] = columns[1]
            position = 2
            for optional in ("STRUCTURE_NAME", "ACTION", "SERIES_KEY", "OBS_KEY"):
                if position < len(ids) and ids[position] == optional:
                    taken[optional] = columns[position]
                    position += 1
        structure = taken.get("STRUCTURE_ID", columns[0])
        pair_labels = "STRUCTURE_NAME" in taken

        # Components, with the labels=name columns that follow each one.
        components: list[_Column] = []
        custom: list[str] = []
        index = position
        while index < len(ids):
            header, ident = headers[index], ids[index]
            label = columns[index + 1] if pair_labels and index + 1 < len(ids) else None
            step = 2 if label else 1
            if not _COMPONENT.match(ident):
                custom.append(header)
            elif ident.upper() in _STRUCTURE_COLUMNS:
                raise FormatError(
                    f"error: {name}:1: column '{header}' is a structure column but comes after "
                    "the components (SDMX-CSV puts it first, before the dimensions)"
                )
            else:
                brackets = re.findall(r"\[[^\]]*\]", ident)
                base = re.sub(r"\[[^\]]*\]", "", ident)
                components.append(
                    _Column(index, header, base, brackets[-1] if brackets else None, label)
                )
            index += step
        notes = []
        if custom:
            notes.append(f"{name}: ignored custom column(s) {', '.join(repr(c) for c in custom)}")
        by_id: dict[str, _Column] = {}
        for column in components:
            if column.id in by_id:
                raise FormatError(
                    f"error: {name}:1: column '{column.id}' appears twice (positions "
                    f"{by_id[column.id].position + 1} and {column.position + 1}); keep one of them"
                )
            by_id[column.id] = column
        for single in (TIME, MEASURE, "OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT"):
            given = by_id.get(single)
            if given is not None and given.brackets:
                kind = "multi-valued" if given.brackets == "[]" else "multi-lingual"
                raise FormatError(
                    f"error: {name}:1: column '{given.header}' is {kind}; tracker keeps one "
                    f"{single} per observation (request the data without multiple values)"
                )

        action = taken.get("ACTION")
        deletes_only = action is not None and bool(
            body.select((pl.col(action).str.strip_chars() == "D").all()).item()
        )
        reference = body[structure][0]
        if not components:
            what = (
                f"deletes all data of {clip(reference, 80)} (ACTION D without any dimension)"
                if deletes_only
                else "has no dimension, measure or attribute columns"
            )
            raise FormatError(
                f"error: {name}:1: has only structure columns ({', '.join(headers)}): it {what}; "
                "tracker records deletions per observation and never erases whole data sets"
            )
        measure = by_id.get(MEASURE)
        found = ", ".join(c.header for c in components)
        if measure is None and deletes_only:
            every_empty = body.select(
                pl.all_horizontal(
                    pl.col([columns[c.position] for c in components]).str.strip_chars() == ""
                ).all()
            ).item()
            what = (
                f"deletes all data of {clip(reference, 80)} (ACTION D with every dimension empty)"
                if every_empty
                else "deletes whole series or groups of observations by partial key (ACTION D "
                f"with only {found})"
            )
            raise FormatError(
                f"error: {name}:1: no {MEASURE} column: it {what}; tracker cannot expand such a "
                "deletion into observations — send one row per deleted observation with every "
                f"dimension, {TIME} and {MEASURE} '-'"
            )
        if measure is None:
            raise FormatError(
                f"error: {name}:1: no {MEASURE} column, so its rows are not observations; "
                f"it holds {_what_instead(components)} (columns: {found}); tracker reads "
                f"single-measure data whose measure is {MEASURE} — if one of these columns is "
                f"the observation value, rename it to {MEASURE}"
            )

        # The time dimension: TIME_PERIOD, else the column just before OBS_VALUE.
        before = [c for c in components if c.position < measure.position]
        time = by_id.get(TIME)
        if time is None:
            time = _time_by_position(name, columns, body, before, labels_in_values)
            notes.append(
                f"{name}: no {TIME} column; took '{time.id}', the column before {MEASURE} whose "
                "every value is a period code, as the time dimension"
            )
        elif measure.position < time.position:
            raise FormatError(
                f"error: {name}:1: {MEASURE} (column {measure.position + 1}) comes before {TIME} "
                f"(column {time.position + 1}); without the data structure tracker tells "
                f"dimensions from attributes only in the order SDMX services write: dimensions, "
                f"{TIME}, {MEASURE}, attributes (download the file again, or reorder its columns)"
            )
        dimensions = [c for c in components if c.position < time.position]
        for column in dimensions:
            if column.brackets:
                raise FormatError(
                    f"error: {name}:1: dimension column '{column.header}' is marked "
                    "multi-valued; a dimension has one value per observation"
                )
        attributes = [
            c for c in components if c.position > time.position and c.position != measure.position
        ]
        return cls(
            version=version,
            structure=structure,
            structure_name=taken.get("STRUCTURE_NAME"),
            action=action,
            series_key=taken.get("SERIES_KEY"),
            components=components,
            labels_in_values=labels_in_values,
            time=time,
            measure=measure,
            dimensions=dimensions,
            attributes=attributes,
            notes=notes,
        )

    def find(self, *ids: str) -> _Column | None:
        for ident in ids:
            for column in self.components:
                if column.id.upper() == ident:
                    return column
        return None


def _what_instead(components: list[_Column]) -> str:
    ids = [c.id for c in components]
    measures = [i for i in ids if i.startswith(("OBS_VALUE", "MEAS_"))]
    if not measures and any("." in c.id or c.brackets not in (None, "[]") for c in components):
        return "referential metadata (metadata attributes attached to keys)"
    if len(measures) > 1:
        return f"several measures ({', '.join(measures)}) or data of several structures"
    if measures:
        return f"a measure named {measures[0]}, or attribute values attached to partial keys"
    return "no observation values, only dimensions and attributes"


def _time_by_position(
    name: str,
    columns: list[str],
    body: pl.DataFrame,
    before: list[_Column],
    labels_in_values: bool,
) -> _Column:
    """The column just before OBS_VALUE, when it holds period codes only; else a FormatError."""
    refuse = (
        f"error: {name}:1: no {TIME} column (the time dimension); "
        f"tracker needs it to place each observation in time"
    )
    if not before:
        raise FormatError(
            f"{refuse}, and no column comes before {MEASURE} (add the time dimension as a column "
            f"named {TIME})"
        )
    candidate = before[-1]
    cells = body.select(
        _code(pl.col(columns[candidate.position]), labels_in_values).alias("code"), "line"
    ).filter(pl.col("code") != "")
    # Distinct codes are few (one per period), so checking them one by one stays cheap.
    for code, line in cells.unique("code", maintain_order=True).head(5000).iter_rows():
        try:
            periods.parse(code)
        except periods.PeriodError:
            raise FormatError(
                f"{refuse}: the column before {MEASURE}, '{candidate.header}', holds "
                f"'{clip(code, 30)}' on line {line}, not a period code (add the time dimension "
                f"as a column named {TIME})"
            ) from None
    return candidate


def _code(expr: pl.Expr, labels_in_values: bool) -> pl.Expr:
    """The code of a cell: stripped, without the ``: Label`` of labels=both files."""
    expr = expr.str.strip_chars()
    if labels_in_values:
        expr = expr.str.split_exact(": ", 1).struct.field("field_0")
    return expr


def _label(expr: pl.Expr) -> pl.Expr:
    """The label of a labels=both cell (``CODE: Label``), or null."""
    return expr.str.split_exact(": ", 1).struct.field("field_1").str.strip_chars()


# Observations ------------------------------------------------------------------------------


def _observations(
    name: str, layout: _Layout, body: pl.DataFrame, separator: str
) -> tuple[pl.DataFrame, pl.DataFrame, str | None]:
    """(frame with a title column, series catalogue, note on skipped rows) or ValidationError."""
    cols = body.columns
    both = layout.labels_in_values
    problems: list[str] = []

    def col(column: _Column) -> pl.Expr:
        return pl.col(cols[column.position])

    # Structure reference -> flow id and agency, parsed once per distinct reference.
    references = (
        body.select(pl.col(layout.structure).unique())
        .with_columns(pl.col(layout.structure).str.strip_chars().alias("_reference"))
        .with_columns(pl.col("_reference").str.extract_groups(_REFERENCE).alias("_parts"))
        .select(
            layout.structure,
            "_reference",
            pl.col("_parts").struct.field("1").str.split(".").list.first().alias("_agency"),
            pl.col("_parts").struct.field("2").str.split("@").list.last().alias("_flow"),
            pl.col("_parts").struct.field("4").alias("_structure_label"),
        )
    )
    action = pl.col(layout.action).str.strip_chars().str.to_uppercase() if layout.action else None
    frame = body.join(references, on=layout.structure, how="left", maintain_order="left")
    frame = frame.with_columns(
        (action if action is not None else pl.lit("I")).alias("_action"),
        _code(col(layout.time), both).alias("_period"),
        *[_code(col(d), both).alias(f"_dim{i}") for i, d in enumerate(layout.dimensions)],
    )
    structure_header = "STRUCTURE_ID" if layout.version == "2.0" else "DATAFLOW"
    for row in frame.filter(pl.col("_flow").is_null()).head(MAX_PROBLEMS).iter_rows(named=True):
        problems.append(
            problem(
                name, row["line"], structure_header,
                f"'{clip(row['_reference'])}' is not an SDMX structure reference "
                "(expected AGENCY:ID(VERSION), e.g. ECB:EXR(1.0))",
            )
        )  # fmt: skip
    bad_actions = frame.filter(~pl.col("_action").is_in(ACTIONS))
    for row in bad_actions.head(MAX_PROBLEMS).iter_rows(named=True):
        problems.append(
            problem(
                name, row["line"], "ACTION",
                f"'{clip(row['_action'])}' is not an SDMX action (use I, A, M, R or D)",
            )
        )  # fmt: skip

    # Every observation needs its full key; an empty key cell in a D row is a wildcard.
    keys = [(f"_dim{i}", d) for i, d in enumerate(layout.dimensions)] + [("_period", layout.time)]
    for alias, column in keys:
        for row in frame.filter(pl.col(alias) == "").head(MAX_PROBLEMS).iter_rows(named=True):
            if row["_action"] == "D":
                text = (
                    "is empty in a delete (ACTION D) row: a wildcard deleting every matching "
                    "observation, which tracker cannot expand without the agency's series list "
                    f"(send one row per deleted observation, with every dimension and {TIME})"
                )
            else:
                text = (
                    "is empty; every observation needs a value for each dimension and "
                    f"{TIME} (fill it in, or drop the row if it only carries attributes)"
                )
            problems.append(problem(name, row["line"], column.id, text))
    if problems:
        raise ValidationError(_by_line(problems))

    # A D row deletes the observation when OBS_VALUE is marked or nothing is marked; a D row
    # marking attributes only deletes attribute values, which tracker does not store.
    is_delete = pl.col("_action") == "D"
    measure_marked = col(layout.measure).str.strip_chars() != ""
    attribute_marked = pl.any_horizontal(
        [col(c).str.strip_chars() != "" for c in layout.attributes] or [pl.lit(False)]
    )
    frame = frame.with_columns(
        (is_delete & ~measure_marked & attribute_marked).alias("_attribute_delete")
    )
    skipped_lines = frame.filter("_attribute_delete")["line"].to_list()
    frame = frame.filter(~pl.col("_attribute_delete"))

    # Values: SDMX missing tokens, decimal comma with a non-comma separator, none for deletions.
    value_text = col(layout.measure).str.strip_chars()
    if separator != ",":
        value_text = (
            pl.when(value_text.str.contains(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$"))
            .then(value_text.str.replace(",", ".", literal=True))
            .otherwise(value_text)
        )
    frame = frame.with_columns(pl.when(is_delete).then(None).otherwise(value_text).alias("_value"))
    values, value_problems = parse_column(
        frame, "_value", file=name, missing=MISSING_SDMX, label=MEASURE, fix=_NOT_A_NUMBER_FIX
    )
    problems.extend(value_problems)

    # Status from OBS_STATUS; deletions are tombstones.
    status_column = layout.find("OBS_STATUS")
    obs_status = _code(col(status_column), both) if status_column else pl.lit("")
    frame = frame.with_columns(values.alias("value"), obs_status.alias("_obs_status"))
    known = pl.col("_obs_status").replace_strict(STATUS_OF_OBS_STATUS, default=None)
    frame = frame.with_columns(
        pl.when(is_delete)
        .then(pl.lit("deleted"))
        .when(pl.col("_obs_status") == "")
        .then(None)
        .otherwise(known.fill_null("actual"))
        .alias("status"),
        pl.when(~is_delete & (pl.col("_obs_status") != "") & known.is_null())
        .then(pl.format("OBS_STATUS={}", pl.col("_obs_status")))
        .otherwise(None)
        .alias("note"),
    )

    # Series id: flow + SERIES_KEY (data-structure order) or the dimension values.
    dims = [pl.col(f"_dim{i}") for i in range(len(layout.dimensions))]
    key = pl.concat_str(dims, separator=".") if dims else pl.lit(None, pl.String)
    if layout.series_key:
        given = pl.col(layout.series_key).str.strip_chars()
        key = pl.when(given != "").then(given).otherwise(key)
    frame = frame.with_columns(
        pl.when(key.is_null())
        .then(pl.col("_flow"))
        .otherwise(pl.concat_str([pl.col("_flow"), key], separator="."))
        .alias("series_id")
    )

    # Unit: values stay as published; the multiplier goes into the unit text.
    unit_column, mult_column = layout.find("UNIT_MEASURE"), layout.find("UNIT_MULT")
    unit = _code(col(unit_column), both) if unit_column else pl.lit("")
    mult = _code(col(mult_column), both) if mult_column else pl.lit("")
    frame = frame.with_columns(unit.alias("_unit"), mult.alias("_mult"))
    bad_mult = frame.filter((pl.col("_mult") != "") & ~pl.col("_mult").str.contains(r"^-?\d+$"))
    for row in bad_mult.head(MAX_PROBLEMS).iter_rows(named=True):
        problems.append(
            problem(
                name, row["line"], "UNIT_MULT",
                f"'{clip(row['_mult'])}' is not a power of ten (UNIT_MULT is an integer "
                "exponent, e.g. 6 for millions)",
            )
        )  # fmt: skip
    if problems:
        raise ValidationError(_by_line(problems))
    frame = frame.with_columns(_unit_text(pl.col("_unit"), pl.col("_mult")).alias("_unit_text"))

    series = _catalogue(layout, frame, cols)
    skipped = None
    if skipped_lines:
        shown = ", ".join(map(str, skipped_lines[:10])) + (" …" if len(skipped_lines) > 10 else "")
        skipped = (
            f"{name}: skipped {len(skipped_lines)} delete row(s) that remove attribute values "
            f"only (line {shown}); tracker stores no such attributes"
        )
    title = (
        pl.col(layout.structure_name).str.strip_chars()
        if layout.structure_name
        else pl.col("_reference")
    )
    out = frame.select(
        "series_id",
        pl.col("_period").alias("period"),
        "value",
        "status",
        "note",
        "line",
        title.alias("title"),
    )
    return out, series, skipped


def _unit_text(unit: pl.Expr, mult: pl.Expr) -> pl.Expr:
    """``"<unit> ×10^<mult>"``; just the unit when the multiplier is 0 or absent; null if none."""
    exponent = mult.cast(pl.Int64, strict=False).fill_null(0)
    unit = pl.when(unit.is_not_null() & (unit != "")).then(unit)
    power = pl.when(exponent != 0).then(pl.format("×10^{}", exponent))
    text = pl.concat_str([unit, power], separator=" ", ignore_nulls=True)
    return pl.when(text != "").then(text)


def _catalogue(layout: _Layout, frame: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """One catalogue row per series: what the file says about it."""
    both = layout.labels_in_values

    def col(column: _Column) -> pl.Expr:
        return pl.col(cols[column.position])

    freq_column = layout.find(*FREQUENCY_COLUMNS)
    geo_column = layout.find(*GEO_COLUMNS)
    frequency = (
        _code(col(freq_column), both).replace_strict(FREQUENCY_OF_FREQ, default=None)
        if freq_column
        else pl.lit(None, pl.String)
    )
    geo = _code(col(geo_column), both) if geo_column else pl.lit(None, pl.String)
    # Names from labels: labels=name columns, or the "CODE: Label" text of labels=both.
    labels = []
    for column in layout.dimensions:
        if column.label:
            labels.append(pl.col(column.label).str.strip_chars())
        elif both:
            labels.append(_label(col(column)))
    structure_label = (
        pl.col(layout.structure_name).str.strip_chars()
        if layout.structure_name
        else pl.col("_structure_label")
    )
    name = (
        pl.concat_str([structure_label, *labels], separator=", ", ignore_nulls=True)
        if labels
        else pl.lit(None, pl.String)
    )
    parts = [pl.col("_reference")] + [
        pl.format(f"{d.id}={{}}", pl.col(f"_dim{i}")) for i, d in enumerate(layout.dimensions)
    ]
    # Dimensions are constant within a series, so its first row describes it; the unit is an
    # attribute and may be blank on some rows, so take the first one given.
    units = (
        frame.filter(pl.col("_unit_text").is_not_null())
        .group_by("series_id")
        .agg(pl.col("_unit_text").first().alias("unit"))
    )
    return (
        frame.unique("series_id", keep="first", maintain_order=True)
        .with_columns(
            frequency.alias("frequency"),
            pl.when(geo.str.contains(r"^[A-Z]{3}$")).then(geo).alias("geo"),
            pl.when(name != "").then(name).alias("name"),
            pl.concat_str(parts, separator=" ").alias("description"),
            pl.col("_agency").alias("source"),
        )
        .join(units, on="series_id", how="left", maintain_order="left")
        .select("series_id", "name", "unit", "frequency", "geo", "source", "description")
    )


def _by_line(problems: list[str]) -> list[str]:
    def line_of(text: str) -> int:
        match = re.match(r"^error: [^:]+:(\d+):", text)
        return int(match[1]) if match else 0

    return sorted(problems, key=line_of)


def _show(separator: str) -> str:
    return {"\t": "\\t", " ": "space"}.get(separator, separator)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
