"""Releases: every release with its provenance, and appending a new one from the browser."""

from __future__ import annotations

import hashlib
import json

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboards import auth, grids, ids
from dashboards.components import error_alert, help_text, needs_role, page_header
from dashboards.store import reader, store_path
from dashboards.upload import (
    UPLOAD_LIMIT_BYTES,
    Upload,
    append_upload,
    decode_upload,
    format_names,
)
from tracker import queries
from tracker.errors import TrackerError

dash.register_page(__name__, path="/releases", title="Releases · tracker", name="Releases", order=3)

AUTO = "auto"  # the format Select's "sniff it" value (an empty value shows blank)
LIMIT_MB = UPLOAD_LIMIT_BYTES // (1024 * 1024)
#: Rows per page of the releases grid (each page is read on the server).
PAGE_SIZE = 15
COUNT = {"type": "numericColumn", "width": 96, "filter": False, "suppressHeaderMenuButton": True}
RELEASE_COLUMNS = [
    {"field": "release_id", "headerName": "#", **COUNT, "width": 72},
    {"field": "published_at", "headerName": "Published", "width": 122, "sort": "desc"},
    {
        "field": "source",
        "headerName": "Publisher",
        "width": 190,
        **grids.TEXT_FILTER,
        "tooltipField": "source",
    },
    {
        "field": "title",
        "headerName": "Title",
        "flex": 1,
        "minWidth": 260,
        **grids.TEXT_FILTER,
        "tooltipField": "title",
    },
    {
        "field": "url",
        "headerName": "Link",
        "cellRenderer": "ExternalLink",
        "width": 100,
        "filter": False,
    },
    {"field": "rows_new", "headerName": "New", **COUNT},
    {"field": "rows_revised", "headerName": "Revised", **COUNT},
    {"field": "rows_unchanged", "headerName": "Same", **COUNT, "headerTooltip": "unchanged rows"},
    {"field": "rows_deleted", "headerName": "Deleted", **COUNT},
    {
        "field": "file_name",
        "headerName": "File",
        "width": 170,
        **grids.TEXT_FILTER,
        "tooltipField": "file_name",
    },
    {"field": "format", "headerName": "Format", "width": 110, **grids.TEXT_FILTER},
    {
        "field": "ingested_by",
        "headerName": "Appended by",
        "width": 140,
        **grids.TEXT_FILTER,
        "headerTooltip": "the login that uploaded it, or the OS user of `tracker append`",
    },
]


def release_rows(frame: pl.DataFrame) -> list[dict]:
    """Grid rows of a page of releases."""
    columns = [c["field"] for c in RELEASE_COLUMNS]
    return (
        frame.with_columns(pl.col("published_at").dt.strftime("%Y-%m-%d"))
        .select(columns)
        .to_dicts()
    )


def release_total(path) -> int:
    """How many releases the store holds."""
    with reader(path) as con:
        return queries.releases_page(con, limit=1).total


def count_text(total: int) -> str:
    return f"{total} releases"


def layout(**_query) -> html.Div:
    path = store_path()
    try:
        total = release_total(path)
        formats = format_names()
    except TrackerError as exc:
        return html.Div([page_header("Releases"), error_alert(exc, id=ids.RELEASES_ERROR)])
    table = dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Every release", className="fw-semibold"),
                    html.Span(
                        count_text(total),
                        id=ids.RELEASES_COUNT,
                        className="ms-auto small text-body-secondary",
                    ),
                ],
                className="d-flex",
            ),
            dbc.CardBody(
                dag.AgGrid(
                    id=ids.RELEASES_TABLE,
                    columnDefs=RELEASE_COLUMNS,
                    rowModelType="infinite",
                    defaultColDef={"sortable": True, "resizable": True},
                    # Each page is read on the server, sorted and filtered there.
                    dashGridOptions={**grids.paged_options(PAGE_SIZE), "tooltipShowDelay": 300},
                    className="tracker-grid",
                )
            ),
        ]
    )
    if auth.may(auth.NEEDS[ids.RELEASES_RESULT]):
        body = dbc.Row(
            [dbc.Col(upload_form(formats), lg=5), dbc.Col(upload_outcome(), lg=7)],
            className="g-4",
        )
    else:
        # The server refuses the upload's callbacks too (dashboards.auth.NEEDS).
        body = needs_role(
            "Appending a release", auth.NEEDS[ids.RELEASES_RESULT], id=ids.RELEASES_FORBIDDEN
        )
    upload = dbc.Card(
        [
            dbc.CardHeader(html.Span("Append a release", className="fw-semibold")),
            dbc.CardBody(body),
        ]
    )
    return html.Div(
        [
            page_header(
                "Releases",
                "Every release in the store, newest first, with what it added and revised.",
            ),
            dbc.Row(
                [
                    dbc.Col(table, xs=12, className="mb-3"),
                    dbc.Col(upload, xs=12, className="mb-3"),
                ],
                className="g-3",
            ),
            html.Div(id=ids.RELEASES_GRID_SINK, hidden=True),
        ]
    )


def field(label: str, control, *, width: int = 6) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control], md=width)


def upload_form(formats: list[str]) -> list:
    """The drop zone and the release details a file may lack."""
    kinds = "CSV, Parquet, JSON lines, FRED, ALFRED, SDMX, WDI or DBnomics"
    zone = dcc.Upload(
        id=ids.RELEASES_UPLOAD,
        children=html.Div(
            [
                html.Div(
                    "Drop a release file here, or click to choose one", className="fw-semibold"
                ),
                html.Div(f"{kinds} · up to {LIMIT_MB} MB", className="small text-body-secondary"),
            ]
        ),
        max_size=UPLOAD_LIMIT_BYTES,
        multiple=False,
        className="upload-zone",
    )
    format_options = [{"label": "Recognise from the content", "value": AUTO}]
    format_options += [{"label": name, "value": name} for name in formats]
    return [
        zone,
        html.Div(id=ids.RELEASES_FILE, className="small mt-2"),
        dbc.Row(
            [
                field(
                    "Publisher (source)",
                    dbc.Input(
                        id=ids.RELEASES_SOURCE,
                        placeholder="e.g. China customs (GAC)",
                        debounce=True,
                    ),
                ),
                field("Published on", dbc.Input(id=ids.RELEASES_PUBLISHED, type="date")),
                field(
                    "Title",
                    dbc.Input(
                        id=ids.RELEASES_TITLE, placeholder="e.g. May 2025 trade data", debounce=True
                    ),
                ),
                field(
                    "URL",
                    dbc.Input(
                        id=ids.RELEASES_URL, type="url", placeholder="https://…", debounce=True
                    ),
                ),
                field(
                    "Format", dbc.Select(id=ids.RELEASES_FORMAT, options=format_options, value=AUTO)
                ),
            ],
            className="g-2 mt-1",
        ),
        help_text(
            "Fill these in when the file does not carry them (a canonical CSV has no publisher or "
            "date); they override what the file says. Files above "
            f"{LIMIT_MB} MB: use `tracker append FILE` in a terminal.",
            className="mt-2",
        ),
    ]


def upload_outcome() -> list:
    """Where the dry run, the confirm button and the result appear."""
    return [
        html.Div(
            help_text(
                "Choose a file: the same validation and dry run as `tracker append --dry-run` "
                "appear here. Nothing is written until you confirm."
            ),
            id=ids.RELEASES_PREVIEW,
        ),
        dbc.Button(
            "Confirm and append",
            id=ids.RELEASES_CONFIRM,
            color="success",
            disabled=True,
            className="mt-2",
        ),
        html.Div(id=ids.RELEASES_RESULT, className="mt-3"),
        dcc.Store(id=ids.RELEASES_CHECKED),
    ]


META = [
    State(ids.RELEASES_SOURCE, "value"),
    State(ids.RELEASES_PUBLISHED, "value"),
    State(ids.RELEASES_TITLE, "value"),
    State(ids.RELEASES_URL, "value"),
    State(ids.RELEASES_FORMAT, "value"),
]


def _fingerprint(upload: Upload, meta: dict, fmt: str | None) -> str:
    text = json.dumps([upload.digest, upload.file_name, meta, fmt or ""], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _format(value: str | None) -> str | None:
    return None if value in (None, "", AUTO) else value


def _meta(source, published, title, url) -> dict:
    return {"source": source, "published": published, "title": title, "url": url}


PREVIEW_ROWS = 200


def preview(result) -> html.Div:
    """The dry run of one release: summary, notes and the rows that would change."""
    parts = [html.Div(result.summary(), className="fw-semibold")]
    parts += [
        html.Div(f"note: {note}", className="small text-body-secondary") for note in result.notes
    ]
    if result.changes is not None and result.changes.height:
        rows = [
            html.Tr(
                [
                    html.Td(r["change"]),
                    html.Td(html.Code(r["series_id"])),
                    html.Td(r["period"].isoformat()),
                    html.Td(_cell(r["previous_value"]), className="text-end"),
                    html.Td(_cell(r["value"]), className="text-end"),
                    html.Td(r["status"]),
                ]
            )
            for r in result.changes.head(PREVIEW_ROWS).iter_rows(named=True)
        ]
        head = html.Thead(
            html.Tr(
                [
                    html.Th(h, className="text-end" if h in ("before", "after") else None)
                    for h in ("change", "series", "period", "before", "after", "status")
                ]
            )
        )
        parts.append(
            dbc.Table(
                [head, html.Tbody(rows)],
                size="sm",
                responsive=True,
                className="mt-2 mb-1 preview-table",
                id={"type": ids.RELEASES_DIFF_TYPE, "file": result.file_name},
            )
        )
        if result.changes.height > PREVIEW_ROWS:
            parts.append(
                help_text(f"… and {result.changes.height - PREVIEW_ROWS:,} more changed rows.")
            )
    return html.Div(parts, className="release-preview mb-2")


def _cell(value: float | None) -> str:
    """A value of the diff as stored, every digit of it (the diff is about exact values)."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


@callback(
    Output(ids.RELEASES_PREVIEW, "children"),
    Output(ids.RELEASES_CONFIRM, "disabled"),
    Output(ids.RELEASES_CHECKED, "data"),
    Output(ids.RELEASES_FILE, "children"),
    Input(ids.RELEASES_UPLOAD, "contents"),
    Input(ids.RELEASES_SOURCE, "value"),
    Input(ids.RELEASES_PUBLISHED, "value"),
    Input(ids.RELEASES_TITLE, "value"),
    Input(ids.RELEASES_URL, "value"),
    Input(ids.RELEASES_FORMAT, "value"),
    State(ids.RELEASES_UPLOAD, "filename"),
    prevent_initial_call=True,
)
def dry_run(contents, source, published, title, url, fmt, file_name):
    """Validate and diff the uploaded file against the store; write nothing."""
    if not contents:
        return no_update, True, None, no_update
    meta = _meta(source, published, title, url)
    try:
        upload = decode_upload(contents, file_name)
        label = html.Span(
            [html.Span("File: "), html.Code(upload.file_name), f" · {len(upload.content):,} bytes"]
        )
        results = append_upload(store_path(), upload, meta, fmt=_format(fmt), dry_run=True)
    except TrackerError as exc:
        return error_alert(exc, id=ids.RELEASES_ERROR), True, None, no_update
    blocks = [preview(r) for r in results]
    nothing = all(r.duplicate_of is not None for r in results)
    if not nothing:
        blocks.append(help_text("Dry run: nothing has been written. Confirm to append."))
    checked = _fingerprint(upload, meta, fmt)
    return (
        dbc.Alert(blocks, color="info" if not nothing else "secondary", id=ids.RELEASES_DRY_RUN),
        nothing,
        checked,
        label,
    )


@callback(
    Output(ids.RELEASES_RESULT, "children"),
    Output(ids.RELEASES_COUNT, "children"),
    Output(ids.RELEASES_CONFIRM, "disabled", allow_duplicate=True),
    Output(ids.RELEASES_PREVIEW, "children", allow_duplicate=True),
    Input(ids.RELEASES_CONFIRM, "n_clicks"),
    State(ids.RELEASES_UPLOAD, "contents"),
    State(ids.RELEASES_UPLOAD, "filename"),
    State(ids.RELEASES_CHECKED, "data"),
    *META,
    prevent_initial_call=True,
)
def confirm(_n, contents, file_name, checked, source, published, title, url, fmt):
    """Append what the dry run showed, in one transaction."""
    if not contents or ctx.triggered_id != ids.RELEASES_CONFIRM:
        return no_update, no_update, no_update, no_update
    meta = _meta(source, published, title, url)
    path = store_path()
    try:
        upload = decode_upload(contents, file_name)
        if _fingerprint(upload, meta, fmt) != checked:
            stale = dbc.Alert(
                "The file or its details changed since the dry run: check it again.",
                color="warning",
            )
            return stale, no_update, True, no_update
        results = append_upload(
            path, upload, meta, fmt=_format(fmt), dry_run=False, by=auth.current_login()
        )
        total = release_total(path)
    except TrackerError as exc:
        return error_alert(exc, id=ids.RELEASES_ERROR), no_update, True, no_update
    message = dbc.Alert(
        [html.Div(r.summary()) for r in results],
        color="success",
        id=ids.RELEASES_APPENDED,
    )
    return message, count_text(total), True, None


@callback(
    Output(ids.RELEASES_TABLE, "getRowsResponse"),
    Input(ids.RELEASES_TABLE, "getRowsRequest"),
)
def release_page(request: dict | None):
    """The page of releases the grid asks for, sorted and filtered on the server."""
    if not request:
        return no_update
    offset, limit, order, contains = grids.page_request(request, default_size=PAGE_SIZE)
    with reader(store_path()) as con:
        page = queries.releases_page(
            con, offset=offset, limit=limit, order=order, contains=contains
        )
    return grids.page_response(page, release_rows(page.rows))


# After an append the grid asks for its rows again (the count changes with every append).
clientside_callback(
    """
    function (count, id) {
        window.dash_ag_grid.getApiAsync(id).then(function (api) { api.purgeInfiniteCache(); });
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.RELEASES_GRID_SINK, "children"),
    Input(ids.RELEASES_COUNT, "children"),
    State(ids.RELEASES_TABLE, "id"),
    prevent_initial_call=True,
)
