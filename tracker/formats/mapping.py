"""Mapping the series ids a file carries onto series that already exist in the store.

An external file names its series its own way (``RATE``, ``IMF/WEO/CHN.NGDP_RPCH.pcent_change``,
an OECD SDMX key); to append it into an existing series, so that revisions line up across
sources, the user maps ids: ``FROM=TO`` pairs on the command line, or a small file.

CSV (a ``from,to`` header; other columns, e.g. ``note``, are ignored)::

    from,to
    RATE,US.10Y.YIELD
    IMF/WEO/CHN.NGDP_RPCH.pcent_change,CHN.GDP.IMF_FCST

TOML (a ``[map]`` table, or top-level keys; quote keys with ``/``, ``.`` or ``:``)::

    [map]
    "RATE" = "US.10Y.YIELD"

Rules: ids the mapping does not name pass through unchanged. Mapping an id the file does not
contain is an error naming it (a typo would otherwise append under the wrong id silently). Two
ids mapped onto the same target in one release, or onto an id the release already carries, is an
error (it would give one period two values).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from tracker.errors import FormatError, SeriesError, ValidationError, problem
from tracker.formats import RawRelease

__all__ = ["apply_mapping", "load_mapping", "parse_mapping"]

_BLANK = re.compile(r"\s")


def parse_mapping(items: Iterable[str], *, option: str = "--map") -> dict[str, str]:
    """Parse command-line ``FROM=TO`` items into a mapping.

    Parameters
    ----------
    items
        Items such as ``RATE=US.10Y.YIELD`` (the first ``=`` splits; ids cannot contain ``=``).
    option
        The option name shown in messages.

    Returns
    -------
    dict[str, str]
        From-id → to-id.

    Raises
    ------
    ValidationError
        One line per malformed item, or an id mapped twice to different targets.
    """
    mapping: dict[str, str] = {}
    problems = []
    for item in items:
        source, sep, target = (part.strip() for part in item.partition("="))
        if not sep or not source or not target:
            problems.append(
                f"error: {option} '{item}': expected FROM=TO, e.g. {option} RATE=US.10Y.YIELD"
            )
            continue
        problems += _add(mapping, source, target, where=f"{option} '{item}'")
    if problems:
        raise ValidationError(problems)
    return mapping


def load_mapping(path: Path) -> dict[str, str]:
    """Read a mapping file: CSV with a ``from,to`` header, or TOML (``.toml``).

    Parameters
    ----------
    path
        The mapping file.

    Returns
    -------
    dict[str, str]
        From-id → to-id.

    Raises
    ------
    FormatError
        The file is missing, or is neither a ``from,to`` CSV nor TOML of strings.
    ValidationError
        One line per bad row (empty id, id mapped twice to different targets).
    """
    if not path.exists():
        raise FormatError(f"error: {path}: no such mapping file (check the path)")
    if path.suffix.lower() == ".toml":
        return _load_toml(path)
    return _load_csv(path)


def apply_mapping(
    releases: Sequence[RawRelease], mapping: dict[str, str], *, file: str | None = None
) -> list[RawRelease]:
    """Rename series ids in releases (frames and catalogue rows); unmapped ids pass through.

    Parameters
    ----------
    releases
        Releases as read by a format module.
    mapping
        From-id → to-id.
    file
        The file name used in messages.

    Returns
    -------
    list[RawRelease]
        New releases with the ids replaced (the inputs are not modified).

    Raises
    ------
    SeriesError
        A from-id the releases do not contain (with the ids they do contain, and the closest).
    ValidationError
        Two ids of one release mapped onto the same id, or onto an id the release carries.
    """
    if not mapping:
        return list(releases)
    where = file or "mapping"
    present = _ids(releases)
    unknown = [source for source in mapping if source not in present]
    if unknown:
        raise SeriesError("\n".join(_unknown(where, source, present) for source in unknown))
    problems = []
    for release in releases:
        problems += _collisions(release, mapping, where=where)
    if problems:
        raise ValidationError(problems)

    mapped = []
    for release in releases:
        ids = set(release.frame["series_id"].unique().to_list())
        used = {source: target for source, target in mapping.items() if source in ids}
        series = release.series
        if series is not None and "series_id" in series.columns:
            series = series.with_columns(pl.col("series_id").replace(mapping))
        notes = [*release.notes]
        if used:
            pairs = ", ".join(f"{source} → {target}" for source, target in used.items())
            notes.append(f"{where}: mapped {pairs}")
        mapped.append(
            replace(
                release,
                frame=release.frame.with_columns(pl.col("series_id").replace(mapping)),
                series=series,
                notes=notes,
            )
        )
    return mapped


def _add(mapping: dict[str, str], source: str, target: str, *, where: str) -> list[str]:
    for text in (source, target):
        if _BLANK.search(text):
            return [f"error: {where}: series id '{text}' contains whitespace (ids have none)"]
    if source in mapping and mapping[source] != target:
        return [
            f"error: {where}: '{source}' is already mapped to '{mapping[source]}'; map each id once"
        ]
    mapping[source] = target
    return []


def _load_csv(path: Path) -> dict[str, str]:
    file = path.name
    try:
        table = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).strip().splitlines()[0]
        raise FormatError(
            problem(file, None, None, f"cannot be read as a from,to CSV ({reason})")
        ) from exc
    columns = {name.strip().lower(): name for name in table.columns}
    if "from" not in columns or "to" not in columns:
        raise FormatError(
            problem(
                file,
                1,
                None,
                f"expected a 'from,to' header, found '{','.join(table.columns)}' "
                "(one mapping per line: from,to)",
            )
        )
    mapping: dict[str, str] = {}
    problems: list[str] = []
    rows = table.select(
        pl.col(columns["from"]).str.strip_chars().alias("from"),
        pl.col(columns["to"]).str.strip_chars().alias("to"),
    )
    for line, (source, target) in enumerate(rows.iter_rows(), start=2):
        if not source and not target:
            continue
        if not source or not target:
            empty = "from" if not source else "to"
            problems.append(
                problem(file, line, empty, "is empty (each line maps one series id to another)")
            )
            continue
        problems += _add(mapping, source, target, where=f"{file}:{line}")
    if problems:
        raise ValidationError(problems)
    return mapping


def _load_toml(path: Path) -> dict[str, str]:
    file = path.name
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(problem(file, None, None, f"is not valid TOML ({exc})")) from exc
    table = document.get("map", document.get("mapping", document))
    if not isinstance(table, dict):
        raise FormatError(problem(file, None, "map", 'must be a table of "FROM" = "TO" pairs'))
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for source, target in table.items():
        if not isinstance(target, str) or not target.strip():
            problems.append(
                problem(
                    file,
                    None,
                    None,
                    f'\'{source}\' must map to a series id in quotes, e.g. "{source}" = "NEW.ID"',
                )
            )
            continue
        problems += _add(mapping, source.strip(), target.strip(), where=file)
    if problems:
        raise ValidationError(problems)
    return mapping


def _ids(releases: Sequence[RawRelease]) -> list[str]:
    seen: dict[str, None] = {}
    for release in releases:
        seen.update(dict.fromkeys(release.frame["series_id"].unique(maintain_order=True).to_list()))
        if release.series is not None and "series_id" in release.series.columns:
            seen.update(dict.fromkeys(release.series["series_id"].to_list()))
    return list(seen)


def _unknown(where: str, source: str, present: list[str]) -> str:
    close = difflib.get_close_matches(source, present, n=1)
    if not close:
        close = [p for p in present if p.lower() == source.lower()]
    hint = f"did you mean '{close[0]}'? " if close else ""
    shown = ", ".join(present[:10]) + (
        f" and {len(present) - 10} more" if len(present) > 10 else ""
    )
    return (
        f"error: {where}: cannot map '{source}': the file has no such series "
        f"({hint}it has: {shown or 'no series'})"
    )


def _collisions(release: RawRelease, mapping: dict[str, str], *, where: str) -> list[str]:
    ids = release.frame["series_id"].unique(maintain_order=True).to_list()
    targets: dict[str, list[str]] = {}
    for series_id in ids:
        targets.setdefault(mapping.get(series_id, series_id), []).append(series_id)
    return [
        f"error: {where}: {' and '.join(repr(s) for s in sources)} would both become "
        f"'{target}' (map them onto different ids, or append them separately)"
        for target, sources in targets.items()
        if len(sources) > 1
    ]
