"""Excel workbooks (.xlsx) as agencies and users publish them.

One sheet (the first, or the one ``--sheet`` names) is read with Polars' ``read_excel`` (the
calamine engine, through fastexcel), every cell as text, and then read exactly as the same table
saved as CSV would be: a canonical sheet (``series_id, period, value``), a FRED sheet
(``observation_date`` + ids) or a wide sheet (a date column + numeric columns). Line numbers in
messages are the sheet's row numbers, so ``may.xlsx:3`` is row 3.
"""

from __future__ import annotations

import zipfile

import polars as pl

from tracker.errors import FormatError
from tracker.formats import RawRelease, Source, SourceLike

NAME = "excel"
EXPECTED = "an Excel workbook (.xlsx) with a canonical, FRED or wide table on its sheet"


def sniff(source: SourceLike, head: bytes) -> bool:
    """True for an .xlsx workbook: a zip holding ``xl/workbook.xml``."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(Source.of(source).file()) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def read(source: SourceLike, *, sheet: str | None = None) -> list[RawRelease]:
    """Read one sheet of a workbook as the CSV it would be saved as.

    Parameters
    ----------
    source
        The .xlsx file.
    sheet
        The sheet's name (default: the first sheet).

    Raises
    ------
    FormatError
        No such sheet, an empty sheet, or a table that no CSV format reads.
    """
    from tracker import formats

    source = Source.of(source)
    file = source.name
    try:
        import fastexcel
    except ModuleNotFoundError:  # pragma: no cover - a dependency of tracker
        message = f"error: {file}: reading Excel needs fastexcel (pip install fastexcel)"
        raise FormatError(message) from None
    data = source.read_bytes()
    try:
        names = fastexcel.read_excel(data).sheet_names
    except Exception as exc:  # fastexcel raises its own error types for damaged workbooks
        raise FormatError(
            f"error: {file}: the workbook cannot be read ({str(exc).splitlines()[0]}); save it "
            "again from Excel, or save the sheet as CSV"
        ) from None
    if sheet is not None and sheet not in names:
        raise FormatError(
            f"error: {file}: no sheet '{sheet}' (the workbook has {', '.join(names)}; pass "
            "--sheet with one of them)"
        )
    chosen = sheet or names[0]
    table = pl.read_excel(data, sheet_name=chosen, engine="calamine", infer_schema_length=0)
    if table.is_empty():
        raise FormatError(f"error: {file}: sheet '{chosen}' has no rows below its header")
    # Text cells, as a CSV of the sheet would hold them: Excel dates arrive as
    # "2009-07-01 00:00:00", which every reader takes as that day.
    csv = Source(f"{file}", data=table.write_csv().encode())
    module = formats.detect(csv)
    releases = module.read(csv)
    others = [n for n in names if n != chosen]
    for release in releases:
        release.format = f"{NAME}/{module.NAME}"
        note = f"{file}: sheet '{chosen}' read as {module.NAME}"
        if others and sheet is None:
            note += f" (the workbook also has {', '.join(others)}: --sheet NAME reads another)"
        release.notes.insert(0, note)
    return releases
