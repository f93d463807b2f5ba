"""Release formats: each module turns a file as published into canonical release rows.

Every format module defines

``NAME``
    the name users pass to ``--format``;
``sniff(path: Path, head: bytes) -> bool``
    True when the first bytes of the file (``head``, up to 64 KiB) look like this format;
``read(path: Path) -> list[RawRelease]``
    the releases the file holds (most files hold one; an ALFRED file holds one per vintage).

A reader raises `tracker.errors.FormatError` (the file is not what it claims) or
`tracker.errors.ValidationError` (bad rows, one line per problem naming file, line, column, value
and fix). It never touches the store: `tracker.append` validates periods against the catalogue,
diffs and writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import polars as pl

from tracker.errors import FormatError

#: Columns and dtypes of ``RawRelease.frame``.
RAW_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.String(),
    "period": pl.String(),  # the period code as published: 2025, 2025-Q2, 2025-05, 2025-05-01, ...
    "value": pl.Float64(),  # null = published as missing
    "status": pl.String(),  # null = the series default (actual, or forecast for forecast series)
    "note": pl.String(),
    "line": pl.Int64(),  # 1-based line (or record number) in the file, for error messages
}

#: Catalogue columns a format may describe for the series it carries (``RawRelease.series``).
SERIES_COLUMNS = (
    "series_id", "name", "unit", "unit_kind", "frequency", "geo", "source", "kind",
    "description", "tags",
)  # fmt: skip


@dataclass
class RawRelease:
    """One release read from a file, before validation against the store."""

    frame: pl.DataFrame
    format: str
    source: str | None = None
    published: datetime | None = None
    title: str | None = None
    url: str | None = None
    #: Catalogue rows (any subset of SERIES_COLUMNS, ``series_id`` required) for the series the
    #: file describes; used to register unknown series. ``tags`` is a list of strings.
    series: pl.DataFrame | None = None
    #: Per-format notes shown to the user (e.g. "dropped 3 aggregate rows").
    notes: list[str] = field(default_factory=list)
    #: Problems found while reading that need not stop it (bad cells, whose value is then
    #: null); `tracker.append` reports them together with its own, sorted by line.
    problems: list[str] = field(default_factory=list)


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=RAW_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing optional columns and cast to `RAW_SCHEMA` order and types."""
    for name, dtype in RAW_SCHEMA.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return frame.select([pl.col(n).cast(t) for n, t in RAW_SCHEMA.items()])


# Sniffing order matters: the most specific signatures first, the canonical CSV last.
_MODULES = (
    "sdmx_csv",
    "sdmx_ml",
    "wdi",
    "alfred",
    "fred",
    "dbnomics",
    "wide_csv",
    "canonical",
)


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"tracker.formats.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"tracker.formats.{name}":
            return None
        raise


def registry() -> dict[str, ModuleType]:
    """The available format modules by ``NAME``, in sniffing order."""
    found = {}
    for name in _MODULES:
        module = _load(name)
        if module is not None:
            found[module.NAME] = module
    return found


HEAD_BYTES = 65536


def detect(path: Path) -> ModuleType:
    """The format module whose ``sniff`` accepts the file's content (not its extension)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        raise FormatError(f"error: {path.name}: the file is empty (expected a release file)")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        raise FormatError(
            f"error: {path.name}:1: the file is an HTML page, not data (a failed download, an "
            "error or login page saved under a data name?); download the data file itself"
        )
    formats = registry()
    for module in formats.values():
        if module.sniff(path, head):
            return module
    names = ", ".join(formats)
    raise FormatError(
        f"error: {path.name}: not a release format tracker knows (tried {names}); "
        "pass --format NAME if you know it, or convert it to a CSV with the columns "
        "series_id,period,value"
    )


def read(path: Path, *, format: str | None = None) -> list[RawRelease]:
    """Read a release file, sniffing its format unless ``format`` names one."""
    if not path.exists():
        raise FormatError(f"error: {path}: no such file (check the path)")
    if format is None:
        module = detect(path)
    else:
        formats = registry()
        if format not in formats:
            raise FormatError(
                f"error: unknown format '{format}' (choose one of: {', '.join(formats)})"
            )
        module = formats[format]
    releases = module.read(path)
    for release in releases:
        release.frame = conform(release.frame)
    return releases
