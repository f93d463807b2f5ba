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
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import polars as pl

from tracker.errors import FormatError, TrackerError, ValidationError, printable
from tracker.vocab import HEAD_BYTES

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
    #: How problems point into the file: "line" (1-based lines of a text file) or
    #: "observation" (the n-th observation, for XML and JSON where lines mean little).
    locator: str = "line"
    #: The file's own names for the canonical columns, e.g. {"period": "TIME_PERIOD"}.
    columns: dict[str, str] = field(default_factory=dict)


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


def detect(path: Path) -> ModuleType:
    """The format module whose ``sniff`` accepts the file's content (not its extension)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.removeprefix(b"\xef\xbb\xbf").strip():
        raise FormatError(f"error: {path.name}: the file is empty (expected a release file)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError(
            f"error: {path.name}:1: the file is UTF-16 text; tracker reads UTF-8: save it as "
            "UTF-8 (in Excel: CSV UTF-8)"
        )
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
    if head.startswith(b"PK\x03\x04"):
        raise FormatError(_zip_problem(path))
    lines = [line for line in head.removeprefix(b"\xef\xbb\xbf").splitlines() if line.strip()]
    if len(lines) == 1 and len(head) < HEAD_BYTES:
        shown = lines[0].decode("utf-8", "replace").strip()
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        raise FormatError(
            f"error: {path.name}:1: the file holds one line ('{printable(shown)}') and no data "
            "rows; the download may have been cut short: download it again"
        )
    names = ", ".join(formats)
    raise FormatError(
        f"error: {path.name}: not a release format tracker knows (tried {names}); "
        "pass --format NAME if you know it, or convert it to a CSV with the columns "
        "series_id,period,value"
    )


def _zip_problem(path: Path) -> str:
    """What a zip no format claimed is: damaged, an Office document, or some other archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return (
            f"error: {path.name}: is a damaged or truncated zip archive (its table of contents "
            "cannot be read); download it again"
        )
    if "[Content_Types].xml" in names:
        return (
            f"error: {path.name}: is an Office document (an Excel workbook?), not a release "
            "file; save the sheet as CSV and append that"
        )
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"error: {path.name}: is a zip archive ({shown or 'empty'}) that is not ALFRED's "
        "download, the only zip tracker reads; unzip it and append the data file"
    )


def read(
    path: Path, *, format: str | None = None, alfred_output: str | None = None
) -> list[RawRelease]:
    """Read a release file, sniffing its format unless ``format`` names one.

    ``alfred_output`` (``all`` or ``changes``) says which ALFRED output type a vintage-wide
    file is when the file does not say it (see `tracker.formats.alfred`); other files ignore it.
    """
    if not path.exists():
        raise FormatError(f"error: {path}: no such file (check the path)")
    try:
        if format is None:
            module = detect(path)
        else:
            formats = registry()
            if format not in formats:
                raise FormatError(
                    f"error: unknown format '{format}' (choose one of: {', '.join(formats)})"
                )
            module = formats[format]
        if module.NAME == "alfred":
            releases = module.read(path, output=alfred_output)
        else:
            releases = module.read(path)
    except TrackerError as exc:
        raise _one_line_each(exc) from exc.__cause__
    for release in releases:
        release.frame = conform(release.frame)
        release.problems = [printable(text) for text in release.problems]
        release.notes = [printable(text) for text in release.notes]
    return releases


def _one_line_each(exc: TrackerError) -> TrackerError:
    """The error with control characters from the file escaped: one printed line per problem.

    Messages quote cells, names and headers from the file, which may hold line breaks (CR,
    U+0085, U+2028), NUL or other control characters.
    """
    if isinstance(exc, ValidationError):
        problems = [printable(text) for text in exc.problems]
        return exc if problems == exc.problems else ValidationError(problems)
    message = printable(exc.message)
    return exc if message == exc.message else type(exc)(message)
