"""SDMX-ML 2.1 data messages (generic and structure-specific), read with the sdmx1 library.

Recognised by XML content carrying the SDMX-ML 2.1 message namespace
(``http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message``) in its first bytes. The XML is
parsed by ``sdmx.read_sdmx``; this module only turns sdmx1's data sets into release rows.

Series ids
----------
``<flow>.<series key values joined by '.'>``, as for SDMX-CSV (see `tracker.formats.sdmx_csv`),
so that the same data downloaded as SDMX-CSV or SDMX-ML lands in the same series. ``<flow>`` is

- the dataflow the header refers to (``<common:StructureUsage>``), after the last ``@`` for an
  OECD ``DSD@DF`` id;
- else the data structure's id, minus the ECB naming convention ``<AGENCY>_<FLOW><n>`` when it
  applies. The ECB's generic messages name only their data structure, ``ECB:ECB_EXR1(1.0)``,
  which serves the dataflow ``EXR``::

      ECB_EXR1 + M.USD.EUR.SP00.A -> EXR.M.USD.EUR.SP00.A

  A release note says when the flow id was derived this way.

Structure-specific messages put dimensions and series attributes side by side as XML attributes;
without the data structure (which is not in the file) sdmx1 takes them all as dimensions.
tracker moves the SDMX cross-domain attribute concepts (`ATTRIBUTE_CONCEPTS`: ``UNIT``,
``UNIT_MULT``, ``DECIMALS``, ``TITLE``, …) out of the key and says in a note which ids it used as
dimensions. Generic messages say which is which and need no such rule.

Values, statuses, deletions
---------------------------
As for SDMX-CSV: ``NaN`` and empty values are missing, ``OBS_STATUS`` A/E/P/F become
actual/estimate/provisional/forecast (other codes: actual, with ``OBS_STATUS=<code>`` in the
note), values are kept as published and ``UNIT_MULT`` goes into the series unit. A data set with
``action="Delete"`` yields tombstones (status ``deleted``, value null); sdmx1 does not keep the
data set action, so it is read from the ``<DataSet>`` start tags. A deleted series without
observations (a whole-series delete) is refused.

Line numbers are observation ordinals (1 = the first ``<Obs>`` in the file).

Published date
--------------
The header's ``Prepared`` time, converted to UTC. It is when the message was generated, not when
the agency released the values: for a file downloaded from an agency's API it is the moment of
download, so the values were public by then — it never dates a vintage too early, only possibly
too late. A release note says so; ``--published`` overrides it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from sdmx.message import DataMessage

from tracker.errors import FormatError, ValidationError
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.sdmx_csv import (
    FREQUENCY_COLUMNS,
    FREQUENCY_OF_FREQ,
    GEO_COLUMNS,
    STATUS_OF_OBS_STATUS,
    TIME,
)
from tracker.formats.tabular import parse_column
from tracker.vocab import MISSING_SDMX

NAME = "sdmx_ml"

NAMESPACE = b"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
#: SDMX cross-domain concepts that are attributes, never dimensions: in a structure-specific
#: message read without its data structure they are taken out of the series key.
ATTRIBUTE_CONCEPTS = frozenset(
    {
        "BASE_PER", "BREAKS", "COLLECTION", "COMMENT_OBS", "COMMENT_TS", "COMPILATION",
        "COMPILING_ORG", "CONF_STATUS", "COVERAGE", "DATA_COMP", "DECIMALS", "DISS_ORG",
        "DOM_SER_IDS", "EMBARGO_TIME", "NAT_TITLE", "OBS_COM", "OBS_CONF", "OBS_PRE_BREAK",
        "OBS_STATUS", "PUBL_ECB", "PUBL_MU", "PUBL_PUBLIC", "SOURCE_AGENCY", "SOURCE_PUB",
        "TIME_FORMAT", "TIME_PER_COLLECT", "TITLE", "TITLE_COMPL", "UNIT", "UNIT_INDEX_BASE",
        "UNIT_MULT",
    }
)  # fmt: skip

_DATASET_TAG = re.compile(rb"<(?:[\w.\-]+:)?DataSet\b[^>]*>")
_ACTION = re.compile(rb"""\baction\s*=\s*["'](\w+)["']""")


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for XML whose first bytes carry the SDMX-ML 2.1 message namespace."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and NAMESPACE in head


def read(source: SourceLike) -> list[RawRelease]:
    """Read an SDMX-ML 2.1 data message as one release.

    Parameters
    ----------
    source
        The message as downloaded (GenericData or StructureSpecificData).

    Returns
    -------
    list[RawRelease]
        One release: observations of every data set, series catalogue rows, the header's
        ``Prepared`` time as the publication date, and notes.

    Raises
    ------
    FormatError
        Not SDMX-ML 2.1, not well-formed, not a data message, or a deletion tracker cannot
        represent.
    ValidationError
        Observation values that are not numbers (by observation ordinal).
    """
    source = Source.of(source)
    name = source.name
    message = _parse(source)
    notes: list[str] = []
    if not message.data:
        raise FormatError(
            f"error: {name}: the message holds no data sets (the query matched no data?)"
        )
    actions = _dataset_actions(source)
    structure = message.structure
    agency = _agency(message)
    flow, flow_note = _flow(message)
    if flow_note:
        notes.append(f"{name}: {flow_note}")

    # One row per observation; per-series facts kept from the first observation seen.
    rows: dict[str, list[Any]] = {k: [] for k in ("series_id", "period", "text", "code", "line")}
    deleted: list[bool] = []
    series: dict[str, dict[str, Any]] = {}
    ordinal = 0
    guessed_dimensions: dict[str, None] = {}
    for index, dataset in enumerate(message.data):
        delete = index < len(actions) and actions[index].lower() == "delete"
        structure_specific = type(dataset).__name__.startswith("StructureSpecific")
        if delete:
            empty = [key for key, observations in dataset.series.items() if not observations]
            if empty:
                raise FormatError(
                    f"error: {name}: data set {index + 1} deletes whole series without listing "
                    f"observations (e.g. {flow}.{_key_text(empty[0].values)}); tracker records "
                    "deletions per observation and never erases a whole series"
                )
        for observation in dataset.obs:
            ordinal += 1
            key = {k: _text(v.value) for k, v in observation.key.values.items()}
            period = key.pop(TIME, None)
            if period is None:
                raise FormatError(
                    f"error: {name}: observation {ordinal} has no {TIME} (its key is "
                    f"{_key_text(key)}); tracker reads time series, not cross-sections"
                )
            attributes = {k: _text(v.value) for k, v in observation.attrib.items()}
            if structure_specific and structure is not None:
                # sdmx1 read Series attributes as dimensions: put attribute concepts back.
                for concept in ATTRIBUTE_CONCEPTS & key.keys():
                    attributes.setdefault(concept, key.pop(concept))
                guessed_dimensions.update(dict.fromkeys(key))
            series_id = ".".join([flow, *key.values()]) if key else flow
            rows["series_id"].append(series_id)
            rows["period"].append(period)
            rows["text"].append("" if observation.value is None else str(observation.value))
            rows["code"].append(attributes.get("OBS_STATUS") or "")
            rows["line"].append(ordinal)
            deleted.append(delete)
            if series_id not in series:
                series[series_id] = _describe(series_id, key, attributes, agency, structure)
    if ordinal == 0:
        raise FormatError(f"error: {name}: the message's data sets hold no observations")
    if guessed_dimensions:
        notes.append(
            f"{name}: structure-specific message read without its data structure: took "
            f"{', '.join(guessed_dimensions)} as the series dimensions (check the "
            "series ids, or download the data as generic SDMX-ML or SDMX-CSV)"
        )

    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows, pl.String) | {"line": pl.Int64})
    frame = frame.with_columns(pl.Series("deleted", deleted, dtype=pl.Boolean))
    frame = frame.with_columns(
        pl.when(pl.col("deleted")).then(None).otherwise(pl.col("text")).alias("text")
    )
    # The "line" of an XML observation is its ordinal: say so in the message.
    values, problems = parse_column(
        frame, "text", file=name, missing=MISSING_SDMX, label="OBS_VALUE",
        fix="use NaN for a missing value", locator="observation",
    )  # fmt: skip
    if problems:
        raise ValidationError(problems)
    known = pl.col("code").replace_strict(STATUS_OF_OBS_STATUS, default=None)
    frame = frame.with_columns(values.alias("value")).select(
        "series_id",
        "period",
        "value",
        pl.when(pl.col("deleted"))
        .then(pl.lit("deleted"))
        .when(pl.col("code") == "")
        .then(None)
        .otherwise(known.fill_null("actual"))
        .alias("status"),
        pl.when(~pl.col("deleted") & (pl.col("code") != "") & known.is_null())
        .then(pl.format("OBS_STATUS={}", pl.col("code")))
        .alias("note"),
        "line",
    )

    published = _published(message)
    if published is not None:
        notes.append(
            f"{name}: published date {published:%Y-%m-%d %H:%M} UTC is the message's Prepared "
            "time (when the file was generated); pass --published to give the release date"
        )
    catalogue = pl.DataFrame(
        list(series.values()),
        schema={
            c: pl.String
            for c in ("series_id", "name", "unit", "frequency", "geo", "source", "description")
        },
    )
    return [
        RawRelease(
            frame=frame,
            format=NAME,
            locator="observation",
            columns={"period": "TIME_PERIOD", "value": "OBS_VALUE", "status": "OBS_STATUS"},
            source=agency,
            published=published,
            title=_title(message, flow),
            series=catalogue,
            notes=notes,
        )
    ]


def _parse(source: Source) -> DataMessage:
    """The message as sdmx1 reads it, or a FormatError saying why it cannot be read."""
    # sdmx1 takes ~0.8 s to import: load it only when an SDMX-ML file is actually read.
    import sdmx
    from sdmx.message import DataMessage

    name = source.name
    head = source.head()
    if not sniff(source, head):
        found = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:40].decode("utf-8", "replace")
        if b"<html" in head[:1024].lower():
            raise FormatError(
                f"error: {name}:1: is an HTML page, not SDMX-ML (probably an error or login page "
                "saved instead of the data; download the file again)"
            )
        raise FormatError(
            f"error: {name}:1: not SDMX-ML 2.1 (expected XML with the namespace "
            f"{NAMESPACE.decode()}, found '{found}'); for SDMX-CSV use --format sdmx_csv"
        )
    # sdmx1 prints diagnostics to stdout when parsing fails and logs a warning for
    # structure-specific data without a structure; tracker reports both in its own words.
    logger = logging.getLogger("sdmx.reader.xml.v21")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with source.open() as fh, contextlib.redirect_stdout(io.StringIO()):
            message = sdmx.read_sdmx(fh, format="XML")
    except Exception as exc:
        cause = exc.__cause__ or exc
        line = getattr(cause, "lineno", None)
        where = f"{name}:{line}" if line else name
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise FormatError(
            f"error: {where}: sdmx1 cannot read this SDMX-ML ({type(cause).__name__}: "
            f"{text}); the file may be truncated or not a data message (download it again)"
        ) from exc
    finally:
        logger.setLevel(level)
    if not isinstance(message, DataMessage):
        kind = type(message).__name__
        footer = getattr(getattr(message, "footer", None), "text", None)
        detail = f": {'; '.join(map(str, footer))}" if footer else ""
        raise FormatError(
            f"error: {name}: is an SDMX-ML {kind}{detail}, not a data message (download the "
            "data, e.g. .../data/FLOW/KEY, not its structure)"
        )
    return message


def _dataset_actions(source: Source) -> list[str]:
    """The ``action`` of each ``<DataSet>`` in file order ("" when absent)."""
    actions = []
    for tag in _DATASET_TAG.finditer(source.read_bytes()):
        match = _ACTION.search(tag[0])
        actions.append(match[1].decode() if match else "")
    return actions


def _flow(message: DataMessage) -> tuple[str, str | None]:
    """(flow id for series ids, a note when it was derived from the data structure id)."""
    dataflow = getattr(message, "dataflow", None)
    if dataflow is not None and dataflow.id:
        return dataflow.id.split("@")[-1], None
    structure = message.structure
    if structure is None or not structure.id:
        return "SDMX", "the message names neither its dataflow nor its data structure"
    ident = structure.id.split("@")[-1]
    agency = structure.maintainer.id if structure.maintainer is not None else ""
    match = re.fullmatch(rf"{re.escape(agency)}_([A-Za-z][A-Za-z0-9_]*?)\d*", ident)
    if agency and match:
        return match[1], (
            f"the message names its data structure {agency}:{structure.id}, not its dataflow; "
            f"series ids use '{match[1]}' ({agency} names data structures "
            f"{agency}_<DATAFLOW><n>)"
        )
    return ident, None


def _agency(message: DataMessage) -> str | None:
    structure = message.structure
    maintainer = getattr(structure, "maintainer", None) if structure is not None else None
    agency = getattr(maintainer, "id", None) or getattr(message.header.sender, "id", None)
    return agency.split(".")[0] if agency else None


def _published(message: DataMessage) -> datetime | None:
    prepared = message.header.prepared
    if not isinstance(prepared, datetime):
        return None
    if prepared.tzinfo is not None:
        prepared = prepared.astimezone(UTC).replace(tzinfo=None)
    return prepared


def _title(message: DataMessage, flow: str) -> str:
    structure = message.structure
    if structure is None or not structure.id:
        return flow
    agency = structure.maintainer.id if structure.maintainer is not None else ""
    return f"{agency}:{structure.id}({structure.version})" if agency else structure.id


def _describe(
    series_id: str,
    key: dict[str, str],
    attributes: dict[str, str],
    agency: str | None,
    structure: Any,
) -> dict[str, Any]:
    """A catalogue row from the series key and its attributes."""
    unit = attributes.get("UNIT_MEASURE") or attributes.get("UNIT") or ""
    if "UNIT_MEASURE" in key:
        unit = key["UNIT_MEASURE"]
    mult = attributes.get("UNIT_MULT", "")
    power = f"×10^{mult}" if re.fullmatch(r"-?\d+", mult) and int(mult) != 0 else ""
    frequency = next((key[c] for c in FREQUENCY_COLUMNS if c in key), None)
    geo = next((key[c] for c in GEO_COLUMNS if c in key), None)
    described = " ".join(f"{k}={v}" for k, v in key.items())
    reference = f"{getattr(structure, 'id', '')} {described}".strip()
    return {
        "series_id": series_id,
        "name": attributes.get("TITLE") or None,
        "unit": " ".join(p for p in (unit, power) if p) or None,
        "frequency": FREQUENCY_OF_FREQ.get(frequency or ""),
        "geo": geo if geo and re.fullmatch(r"[A-Z]{3}", geo) else None,
        "source": agency,
        "description": attributes.get("TITLE_COMPL") or reference,
    }


def _text(value: Any) -> str:
    """A key or attribute value as text (sdmx1 gives a str, or a Code when it knows the list)."""
    return str(getattr(value, "id", value))


def _key_text(values: dict[str, Any]) -> str:
    return ".".join(_text(getattr(v, "value", v)) for v in values.values())
