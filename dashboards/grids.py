"""AG Grid rows from frames, and grids that page on the server.

A paged grid uses AG Grid's infinite row model: the grid asks for a block of rows
(``getRowsRequest``: first and last row, sort model, filter model) and a callback answers with
those rows and the total (``getRowsResponse``), read by one of `tracker.queries`' ``*_page``
readers. So a grid of 25,000 rows ships one page of them.
"""

from __future__ import annotations

import polars as pl

from tracker.queries import Page


def paged_options(page_size: int) -> dict:
    """``dashGridOptions`` of a grid whose rows come one page at a time from the server (the
    grid itself has ``rowModelType="infinite"``)."""
    return {
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "cacheBlockSize": page_size,
        "maxBlocksInCache": 20,
        "infiniteInitialRowCount": page_size,
        "domLayout": "autoHeight",
    }


#: Text filters the server applies (the grid offers only these).
TEXT_FILTER = {"filter": "agTextColumnFilter", "filterParams": {"filterOptions": ["contains"]}}


def page_request(
    request: dict | None, *, default_size: int
) -> tuple[int, int, list[tuple[str, str]], dict[str, str]]:
    """``(offset, limit, order, contains)`` from a grid's ``getRowsRequest``.

    ``order`` is ``[(column, "asc" | "desc")]`` from the sort model and ``contains`` maps a
    column to the text of its "contains" filter; the reader refuses unknown columns.
    """
    request = request or {}
    start = max(int(request.get("startRow") or 0), 0)
    end = int(request.get("endRow") or start + default_size)
    order = [
        (str(s["colId"]), str(s["sort"]))
        for s in request.get("sortModel") or []
        if s.get("colId") and s.get("sort") in ("asc", "desc")
    ]
    contains = {
        str(column): str(model.get("filter"))
        for column, model in (request.get("filterModel") or {}).items()
        if isinstance(model, dict) and model.get("type") == "contains" and model.get("filter")
    }
    return start, max(end - start, 1), order, contains


def page_response(page: Page, rows: list[dict]) -> dict:
    """A ``getRowsResponse``: the rows of the page and how many rows there are in all."""
    return {"rowData": rows, "rowCount": page.total}


def flat_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame CSV can hold: lists and structs as text."""
    nested = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))
    ]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(_cell_text, return_dtype=pl.String) for name in nested
    )


def grid_rows(frame: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """ag-grid column definitions and JSON-safe rows for any frame."""
    columns = []
    exprs = []
    for name, dtype in frame.schema.items():
        numeric = dtype.is_numeric()
        column = {"field": name, "headerName": name}
        if numeric:
            column["type"] = "numericColumn"
            column["filter"] = "agNumberColumnFilter"
        columns.append(column)
        if isinstance(dtype, pl.Datetime) and _all_midnight(frame[name]):
            exprs.append(pl.col(name).dt.date().cast(pl.String))
        elif isinstance(dtype, (pl.Date, pl.Datetime, pl.Time, pl.Duration)):
            exprs.append(pl.col(name).cast(pl.String))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Binary, pl.Object, pl.Decimal)):
            exprs.append(pl.col(name).map_elements(_cell_text, return_dtype=pl.String))
    if exprs:
        frame = frame.with_columns(exprs)
    return columns, frame.to_dicts()


def _all_midnight(column: pl.Series) -> bool:
    values = column.drop_nulls()
    return values.is_empty() or bool((values.dt.truncate("1d") == values).all())


def _cell_text(value: object) -> str:
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
