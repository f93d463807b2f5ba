"""DBnomics API v22 series JSON (``/v22/series/...?observations=1``), as saved from the API.

::

    {"series": {"docs": [{"provider_code": "IMF", "dataset_code": "WEO:2025-04",
      "series_code": "CHN.NGDP_RPCH.pcent_change", "series_name": "China – ...",
      "@frequency": "annual", "indexed_at": "2025-05-15T11:13:27.379Z",
      "period": ["2023", "2024", ...], "period_start_day": ["2023-01-01", ...],
      "value": [5.2, "NA", ...]}]}}

- Recognised by a JSON object with ``series`` → ``docs`` and DBnomics' ``provider_code`` /
  ``dataset_code`` keys, or by the API's ``_meta`` (version 22) and ``datasets`` block.
  ``"NA"`` or null is a value published as missing (NULL).
- series_id = ``<provider>/<dataset>/<series code>``, DBnomics' own id form, *without the vintage*:
  a dataset code ``WEO:2025-04`` (or ``WEO:latest``) is one vintage of the ``WEO`` dataset, so the
  id is ``IMF/WEO/CHN.NGDP_RPCH.pcent_change`` and every WEO vintage lands in the same series.
  Such series have kind ``forecast`` (the period is the target year). Other ids are kept as is.
- One release per dataset code in the file, in publication order. published = the latest
  ``indexed_at`` of its docs (UTC, naive): never earlier than the values were public. Without
  ``indexed_at``, a vintage dataset is dated the first day of its vintage month (a note says so;
  pass ``--published`` for the exact day) and any other dataset has no published date.
- Periods are DBnomics' period codes (``2023``, ``2023-Q2``, ``2023-05``, ...); frequency from
  ``@frequency``. The ``line`` of a row is its observation's 1-based position in the file.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime
from typing import Any, cast

import polars as pl

from tracker.errors import FormatError, problem
from tracker.formats import RawRelease, Source, SourceLike
from tracker.formats.tabular import LINE, duplicate_periods, parse_numbers, raise_problems
from tracker.vocab import MISSING_DBNOMICS, Frequency

NAME = "dbnomics"
EXPECTED = 'a DBnomics API v22 series response ({"series": {"docs": [...]}} with observations)'
HINT = 'use "NA" or null for a missing value'

#: DBnomics' ``@frequency`` -> tracker frequency.
FREQUENCY_OF_NAME: dict[str, Frequency] = {
    "annual": "A",
    "quarterly": "Q",
    "monthly": "M",
    "weekly": "W",
    "daily": "D",
    "business daily": "D",
}

_VINTAGE = re.compile(r"(?P<base>.+):(?:(?P<year>[1-9]\d{3})-(?P<month>0[1-9]|1[0-2])|latest)")


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for a JSON object holding ``series.docs`` with DBnomics' provider/dataset codes."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not text.startswith(b"{"):
        return False
    series = b'"series"' in text and b'"docs"' in text
    codes = b'"dataset_code"' in text or b'"provider_code"' in text
    # With metadata=1 the API puts "_meta" and a "datasets" block (dimension labels, often
    # larger than the head) before "series".
    metadata = (
        re.match(rb'\{\s*"_meta"\s*:', text) is not None
        and re.search(rb'"version"\s*:\s*"22\.', text[:2048]) is not None
    )
    return (series and codes) or (metadata and b'"datasets"' in text)


def read(source: SourceLike) -> list[RawRelease]:
    """Read a DBnomics series response: one release per dataset (vintage) it holds.

    Parameters
    ----------
    source
        The JSON file saved from the DBnomics API (v22, with observations).

    Returns
    -------
    list[RawRelease]
        Releases in publication order.

    Raises
    ------
    FormatError
        Not JSON, not a series response, or a doc without observations.
    ValidationError
        Values that are not numbers, or a period given twice; one line per problem.
    """
    source = Source.of(source)
    file = source.name
    docs, providers = _load(source)

    # One frame for every observation of every doc.
    frames, metadata = [], []
    first_line = 1
    for index, doc in enumerate(docs):
        meta = _doc_metadata(doc, index, file=file)
        periods, values = meta.pop("periods"), meta.pop("values")
        frames.append(
            pl.DataFrame(
                {
                    "doc": pl.Series([index] * len(periods), dtype=pl.Int64),
                    "period": pl.Series(_texts(periods), dtype=pl.String),
                    "raw": pl.Series(_texts(values), dtype=pl.String),
                }
            ).with_columns(
                pl.int_range(first_line, first_line + len(periods), dtype=pl.Int64).alias(LINE)
            )
        )
        first_line += len(periods)
        metadata.append(meta | {"doc": index})
    docs_frame = pl.DataFrame(metadata, infer_schema_length=None).with_columns(
        pl.col("dataset_name", "series_name", "frequency").cast(pl.String)
    )
    long = pl.concat(frames).join(
        docs_frame.select("doc", "series_id", "dataset_code"), on="doc", maintain_order="left"
    )

    # Validate.
    long, problems = parse_numbers(
        long,
        file=file,
        hint=HINT,
        column=None,
        missing=MISSING_DBNOMICS,
        where=lambda row: f"series {row['series_id']} period {row['period']}: ",
        lines=False,
    )
    problems += duplicate_periods(
        long,
        keys=["dataset_code", "series_id", "period"],
        file=file,
        what=lambda row: f"series {row['series_id']} period {row['period']}",
        lines=False,
    )
    bad_periods = long.filter(pl.col("period").fill_null("").str.strip_chars() == "")
    problems += [
        problem(
            file, None, None, f"series {row['series_id']}: observation {row[LINE]} has no period"
        )
        for row in bad_periods.head(10).iter_rows(named=True)
    ]
    raise_problems(problems)

    # One release per dataset code.
    releases = []
    for dataset in docs_frame.partition_by("dataset_code", maintain_order=True):
        releases.append(_release(dataset, long, providers, file=file))
    return sorted(releases, key=lambda r: (r.published is None, r.published or datetime.min))


def _texts(items: list[Any]) -> list[str | None]:
    """JSON values as text: strings as they are, null as None, numbers as Python writes them
    (``5.2``, ``inf``), anything else as JSON (a list or object is no value or period: it is
    reported later)."""
    return [
        item
        if item is None or isinstance(item, str)
        else str(item)
        if isinstance(item, int | float) and not isinstance(item, bool)
        else json.dumps(item, allow_nan=True)
        for item in items
    ]


def _load(source: Source) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    file = source.name
    raw = source.read_bytes().removeprefix(codecs.BOM_UTF8)
    try:
        document = json.loads(raw)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FormatError(
            problem(
                file,
                line,
                None,
                f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}; expected {EXPECTED}); "
                "download it again",
            )
        ) from exc
    except json.JSONDecodeError as exc:
        found = raw.lstrip()[:40].decode("utf-8", "replace").splitlines()[0] if raw.strip() else ""
        what = (
            "an HTML page: the download failed; download it again"
            if found.lower().startswith(("<!doctype", "<html"))
            else f"invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno}): the file "
            "is cut short or "
            "not JSON; download it again"
        )
        raise FormatError(
            problem(file, exc.lineno, None, f"expected {EXPECTED}, found {what}")
        ) from exc
    series = document.get("series") if isinstance(document, dict) else None
    docs = series.get("docs") if isinstance(series, dict) else None
    if not isinstance(docs, list):
        keys = (
            ", ".join(map(str, document)) if isinstance(document, dict) else type(document).__name__
        )
        message = document.get("message") if isinstance(document, dict) else None
        said = f" (DBnomics said: {message})" if message else ""
        raise FormatError(
            problem(
                file, None, None, f"expected {EXPECTED}, found {keys or 'an empty object'}{said}"
            )
        )
    if not docs:
        raise FormatError(
            problem(
                file,
                None,
                None,
                "holds no series (series.docs is empty): check the query's series codes",
            )
        )
    providers = document.get("providers") if isinstance(document.get("providers"), dict) else {}
    return docs, providers


def _doc_metadata(doc: Any, index: int, *, file: str) -> dict[str, Any]:
    where = f"series.docs[{index}]"
    if not isinstance(doc, dict):
        raise FormatError(
            problem(file, None, None, f"{where} is not an object (expected a series)")
        )
    missing = [key for key in ("provider_code", "dataset_code", "series_code") if not doc.get(key)]
    if missing:
        raise FormatError(
            problem(file, None, None, f"{where} has no {', '.join(missing)} (expected {EXPECTED})")
        )
    label = f"{doc['provider_code']}/{doc['dataset_code']}/{doc['series_code']}"
    periods, values = doc.get("period"), doc.get("value")
    if not isinstance(periods, list) or not isinstance(values, list):
        raise FormatError(
            problem(
                file,
                None,
                None,
                f"series {label} has no 'period'/'value' arrays: download it with observations=1",
            )
        )
    if len(periods) != len(values):
        raise FormatError(
            problem(
                file,
                None,
                None,
                f"series {label} has {len(periods)} periods but {len(values)} values; "
                "the file is damaged: download it again",
            )
        )
    dataset = str(doc["dataset_code"])
    vintage = _VINTAGE.fullmatch(dataset)
    base = vintage["base"] if vintage else dataset
    return {
        "series_id": f"{doc['provider_code']}/{base}/{doc['series_code']}",
        "provider_code": str(doc["provider_code"]),
        "dataset_code": dataset,
        "dataset_name": _texts([doc.get("dataset_name")])[0],
        "series_name": _texts([doc.get("series_name") or doc["series_code"]])[0],
        "frequency": _texts([doc.get("@frequency")])[0],
        "indexed_at": _timestamp(doc.get("indexed_at"), label, file=file),
        "vintage": datetime(int(vintage["year"]), int(vintage["month"]), 1)
        if vintage and vintage["year"]
        else None,
        "forecast": vintage is not None,
        "periods": periods,
        "values": values,
    }


def _timestamp(text: Any, label: str, *, file: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise FormatError(
            problem(
                file,
                None,
                None,
                f"series {label}: indexed_at '{text}' is not an ISO timestamp "
                "(expected e.g. 2025-05-15T11:13:27.379Z)",
            )
        ) from None
    # Store naive UTC, like the dates of the other formats.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _release(
    dataset: pl.DataFrame, long: pl.DataFrame, providers: dict[str, Any], *, file: str
) -> RawRelease:
    first = dataset.row(0, named=True)
    code, provider = first["dataset_code"], first["provider_code"]
    notes = []
    indexed = dataset["indexed_at"].drop_nulls()
    if indexed.len():
        # indexed_at is a Datetime column, so its max is a datetime (polars types it broadly).
        published = cast(datetime, indexed.max())
    elif first["vintage"] is not None:
        published = first["vintage"]
        notes.append(
            f"{file}: {provider}/{code} has no indexed_at: dated {published:%Y-%m-%d}, the first "
            "day of its vintage month (pass --published for the exact day)"
        )
    else:
        published = None
    unknown = sorted(
        {f for f in dataset["frequency"].to_list() if f is not None and f not in FREQUENCY_OF_NAME}
    )
    if unknown:
        notes.append(f"{file}: frequency {', '.join(unknown)} has no tracker code: set it yourself")
    provider_info = providers.get(provider)
    provider_name = provider_info.get("name") if isinstance(provider_info, dict) else None
    source = f"{provider} via DBnomics"
    frame = (
        long.filter(pl.col("doc").is_in(dataset["doc"].implode()))
        .sort("doc", LINE)
        .select("series_id", "period", "value", pl.col(LINE).alias("line"))
    )
    series = dataset.select(
        "series_id",
        pl.col("series_name").alias("name"),
        pl.col("frequency").replace_strict(FREQUENCY_OF_NAME, default=None).alias("frequency"),
        pl.lit(source).alias("source"),
        pl.when(pl.col("forecast"))
        .then(pl.lit("forecast"))
        .otherwise(pl.lit("actual"))
        .alias("kind"),
        pl.col("dataset_name").cast(pl.String).alias("description"),
        pl.lit(["dbnomics"]).alias("tags"),
    ).unique("series_id", keep="first", maintain_order=True)
    name = first["dataset_name"] or code
    return RawRelease(
        frame=frame,
        format=NAME,
        locator="observation",
        source=source,
        published=published,
        title=f"{provider_name or provider} {name} ({code})",
        url=f"https://db.nomics.world/{provider}/{code}",
        series=series,
        notes=notes,
    )
