"""Release formats: each module turns a file as published into canonical release rows.

Every format module defines

``NAME``
    the name users pass to ``--format``;
``sniff(source: Source, head: bytes) -> bool``
    True when the first bytes of the file (``head``, up to 64 KiB) look like this format;
``read(source: Source) -> list[RawRelease]``
    the releases the file holds (most files hold one; an ALFRED file holds one per vintage).

A `Source` is a release file on disk or in memory (an upload, an answer from a web API, a file
object), with the name messages give it: readers never need a temporary file. Readers take a
path too, for convenience.

A reader raises `tracker.errors.FormatError` (the file is not what it claims) or
`tracker.errors.ValidationError` (bad rows, one line per problem naming file, line, column, value
and fix). It never touches the store: `tracker.append` validates periods against the catalogue,
diffs and writes.
"""

from __future__ import annotations

import importlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import IO

import polars as pl

from tracker.errors import FormatError, TrackerError, ValidationError, printable
from tracker.vocab import HEAD_BYTES

__all__ = ["RawRelease", "Source", "SourceLike", "conform", "detect", "read", "registry"]


@dataclass(frozen=True)
class Source:
    """A release file to read: on disk (``path``) or in memory (``data``), and its ``name``.

    ``name`` is the file name problem lines start with (``may.csv:3: …``). Build one with
    `Source.of` from a path, a binary file object or another Source, or directly from bytes:
    ``Source("may.csv", data=content)``.
    """

    name: str
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def of(cls, source: SourceLike) -> Source:
        """A Source for a path (``str`` or path-like), a binary file object (read whole, named
        after its ``name`` attribute when it has one) or a Source (returned as it is)."""
        if isinstance(source, Source):
            return source
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            return cls(path.name, path=path)
        if isinstance(source, (bytes, bytearray, memoryview)):
            raise TypeError(
                "bytes need a name for messages: pass tracker.formats.Source(name, data=...)"
            )
        read = getattr(source, "read", None)
        if not callable(read):
            raise TypeError(
                f"cannot read a release from {type(source).__name__} (give a path, bytes in a "
                "tracker.formats.Source, or a file object opened in binary mode)"
            )
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("the file object gives text: open it in binary mode ('rb')")
        name = Path(str(getattr(source, "name", "") or "")).name or "stream"
        return cls(name, data=bytes(data))

    def __post_init__(self) -> None:
        if (self.data is None) == (self.path is None):
            raise TypeError("a Source has either data or a path")

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.name

    def exists(self) -> bool:
        return self.data is not None or (self.path is not None and self.path.exists())

    def read_bytes(self) -> bytes:
        """The whole file."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def open(self) -> io.BufferedIOBase:
        """The file, open for reading bytes."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes (what ``sniff`` sees)."""
        if self.data is not None:
            return self.data[:size]
        with self.open() as fh:
            return fh.read(size)

    def file(self) -> Path | io.BytesIO:
        """What Polars, zipfile and sdmx1 read: the path, or the bytes as a file object."""
        return self.path if self.path is not None else io.BytesIO(self.read_bytes())

    @property
    def folder(self) -> Path | None:
        """The folder the file is in (None for bytes): where companion files may sit."""
        return self.path.parent if self.path is not None else None


#: What readers accept: a Source, a path, or a binary file object.
SourceLike = Source | str | os.PathLike[str] | IO[bytes]

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
    "excel",
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


def detect(source: SourceLike) -> ModuleType:
    """The format module whose ``sniff`` accepts the file's content (not its extension)."""
    source = Source.of(source)
    head = source.head()
    name = source.name
    if not head.removeprefix(b"\xef\xbb\xbf").strip():
        raise FormatError(f"error: {name}: the file is empty (expected a release file)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError(
            f"error: {name}:1: the file is UTF-16 text; tracker reads UTF-8: save it as "
            "UTF-8 (in Excel: CSV UTF-8)"
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        raise FormatError(
            f"error: {name}:1: the file is an HTML page, not data (a failed download, an "
            "error or login page saved under a data name?); download the data file itself"
        )
    formats = registry()
    for module in formats.values():
        if module.sniff(source, head):
            return module
    if head.startswith(b"PK\x03\x04"):
        raise FormatError(_zip_problem(source))
    lines = [line for line in head.removeprefix(b"\xef\xbb\xbf").splitlines() if line.strip()]
    if len(lines) == 1 and len(head) < HEAD_BYTES:
        shown = lines[0].decode("utf-8", "replace").strip()
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        raise FormatError(
            f"error: {name}:1: the file holds one line ('{printable(shown)}') and no data "
            "rows; the download may have been cut short: download it again"
        )
    names = ", ".join(formats)
    raise FormatError(
        f"error: {name}: not a release format tracker knows (tried {names}); "
        "pass --format NAME if you know it, or convert it to a CSV with the columns "
        "series_id,period,value"
    )


def _zip_problem(source: Source) -> str:
    """What a zip no format claimed is: damaged, an Office document, or some other archive."""
    name = source.name
    try:
        with zipfile.ZipFile(source.file()) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return (
            f"error: {name}: is a damaged or truncated zip archive (its table of contents "
            "cannot be read); download it again"
        )
    if "[Content_Types].xml" in names:
        return (
            f"error: {name}: is an Office document other than an Excel workbook (.xlsx), not a "
            "release file; save the table as CSV or .xlsx and append that"
        )
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"error: {name}: is a zip archive ({shown or 'empty'}) that is not ALFRED's "
        "download, the only zip tracker reads; unzip it and append the data file"
    )


def read(
    source: SourceLike,
    *,
    format: str | None = None,
    alfred_output: str | None = None,
    sheet: str | None = None,
) -> list[RawRelease]:
    """Read a release file, sniffing its format unless ``format`` names one.

    ``source`` is a path, a binary file object or a `Source` (bytes with a name).
    ``alfred_output`` (``all`` or ``changes``) says which ALFRED output type a vintage-wide
    file is when the file does not say it (see `tracker.formats.alfred`); other files ignore it.
    ``sheet`` names the sheet of an Excel workbook to read (default: its first).
    """
    source = Source.of(source)
    if not source.exists():
        raise FormatError(f"error: {source}: no such file (check the path)")
    try:
        if format is None:
            module = detect(source)
        else:
            formats = registry()
            if format not in formats:
                raise FormatError(
                    f"error: unknown format '{format}' (choose one of: {', '.join(formats)})"
                )
            module = formats[format]
        if module.NAME == "alfred":
            releases = module.read(source, output=alfred_output)
        elif module.NAME == "excel":
            releases = module.read(source, sheet=sheet)
        elif sheet is not None:
            raise FormatError(f"error: {source.name}: --sheet is for Excel workbooks (.xlsx)")
        else:
            releases = module.read(source)
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
