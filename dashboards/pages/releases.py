"""Releases: every release with its provenance, and appending a new one from the browser."""

from __future__ import annotations

import hashlib
import json

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboards import data
from dashboards.components import error_alert, help_text, page_header
from tracker.errors import TrackerError

dash.register_page(__name__, path="/releases", title="Releases · tracker", name="Releases", order=3)

AUTO = "auto"  # the format Select's "sniff it" value (an empty value shows blank)
LIMIT_MB = data.UPLOAD_LIMIT_BYTES // (1024 * 1024)
COUNT = {"type": "numericColumn", "width": 96, "filter": False, "suppressHeaderMenuButton": True}
RELEASE_COLUMNS = [
    {"field": "release_id", "headerName": "#", **COUNT, "width": 72},
    {"field": "published_at", "headerName": "Published", "width": 122, "sort": "desc"},
    {
        "field": "source",
        "headerName": "Publisher",
        "width": 190,
        "filter": True,
        "tooltipField": "source",
    },
    {
        "field": "title",
        "headerName": "Title",
        "flex": 1,
        "minWidth": 260,
        "filter": True,
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
        "filter": True,
        "tooltipField": "file_name",
    },
    {"field": "format", "headerName": "Format", "width": 110, "filter": True},
]


def release_rows(path) -> list[dict]:
    frame = data.releases(path).with_columns(
        pl.col("published_at").dt.strftime("%Y-%m-%d"),
    )
    columns = [c["field"] for c in RELEASE_COLUMNS]
    return frame.select(columns).to_dicts()


def layout(**_query) -> html.Div:
    path = data.store_path()
    try:
        rows = release_rows(path)
        formats = data.format_names()
    except TrackerError as exc:
        return html.Div([page_header("Releases"), error_alert(exc, id="releases-error")])
    table = dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Every release", className="fw-semibold"),
                    html.Span(
                        f"{len(rows)} releases",
                        id="releases-count",
                        className="ms-auto small text-body-secondary",
                    ),
                ],
                className="d-flex",
            ),
            dbc.CardBody(
                dag.AgGrid(
                    id="releases-table",
                    columnDefs=RELEASE_COLUMNS,
                    rowData=rows,
                    defaultColDef={"sortable": True, "resizable": True},
                    dashGridOptions={
                        "pagination": True,
                        "paginationPageSize": 15,
                        "paginationPageSizeSelector": False,
                        "domLayout": "autoHeight",
                        "tooltipShowDelay": 300,
                    },
                    className="tracker-grid",
                )
            ),
        ]
    )
    upload = dbc.Card(
        [
            dbc.CardHeader(html.Span("Append a release", className="fw-semibold")),
            dbc.CardBody(
                dbc.Row(
                    [dbc.Col(upload_form(formats), lg=5), dbc.Col(upload_outcome(), lg=7)],
                    className="g-4",
                )
            ),
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
        ]
    )


def field(label: str, control, *, width: int = 6) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control], md=width)


def upload_form(formats: list[str]) -> list:
    """The drop zone and the release details a file may lack."""
    kinds = "CSV, Parquet, JSON lines, FRED, ALFRED, SDMX, WDI or DBnomics"
    zone = dcc.Upload(
        id="releases-upload",
        children=html.Div(
            [
                html.Div(
                    "Drop a release file here, or click to choose one", className="fw-semibold"
                ),
                html.Div(f"{kinds} · up to {LIMIT_MB} MB", className="small text-body-secondary"),
            ]
        ),
        max_size=data.UPLOAD_LIMIT_BYTES,
        multiple=False,
        className="upload-zone",
    )
    format_options = [{"label": "Recognise from the content", "value": AUTO}]
    format_options += [{"label": name, "value": name} for name in formats]
    return [
        zone,
        html.Div(id="releases-file", className="small mt-2"),
        dbc.Row(
            [
                field(
                    "Publisher (source)",
                    dbc.Input(
                        id="releases-source", placeholder="e.g. China customs (GAC)", debounce=True
                    ),
                ),
                field("Published on", dbc.Input(id="releases-published", type="date")),
                field(
                    "Title",
                    dbc.Input(
                        id="releases-title", placeholder="e.g. May 2025 trade data", debounce=True
                    ),
                ),
                field(
                    "URL",
                    dbc.Input(
                        id="releases-url", type="url", placeholder="https://…", debounce=True
                    ),
                ),
                field(
                    "Format", dbc.Select(id="releases-format", options=format_options, value=AUTO)
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
            id="releases-preview",
        ),
        dbc.Button(
            "Confirm and append",
            id="releases-confirm",
            color="success",
            disabled=True,
            className="mt-2",
        ),
        html.Div(id="releases-result", className="mt-3"),
        dcc.Store(id="releases-checked"),
    ]


META = [
    State("releases-source", "value"),
    State("releases-published", "value"),
    State("releases-title", "value"),
    State("releases-url", "value"),
    State("releases-format", "value"),
]


def _fingerprint(upload: data.Upload, meta: dict, fmt: str | None) -> str:
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
                id={"type": "releases-diff", "file": result.file_name},
            )
        )
        if result.changes.height > PREVIEW_ROWS:
            parts.append(
                help_text(f"… and {result.changes.height - PREVIEW_ROWS:,} more changed rows.")
            )
    return html.Div(parts, className="release-preview mb-2")


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:,.6g}"


@callback(
    Output("releases-preview", "children"),
    Output("releases-confirm", "disabled"),
    Output("releases-checked", "data"),
    Output("releases-file", "children"),
    Input("releases-upload", "contents"),
    Input("releases-source", "value"),
    Input("releases-published", "value"),
    Input("releases-title", "value"),
    Input("releases-url", "value"),
    Input("releases-format", "value"),
    State("releases-upload", "filename"),
    prevent_initial_call=True,
)
def dry_run(contents, source, published, title, url, fmt, file_name):
    """Validate and diff the uploaded file against the store; write nothing."""
    if not contents:
        return no_update, True, None, no_update
    meta = _meta(source, published, title, url)
    try:
        upload = data.decode_upload(contents, file_name)
        label = html.Span(
            [html.Span("File: "), html.Code(upload.file_name), f" · {len(upload.content):,} bytes"]
        )
        results = data.append_upload(
            data.store_path(), upload, meta, fmt=_format(fmt), dry_run=True
        )
    except TrackerError as exc:
        return error_alert(exc, id="releases-error"), True, None, no_update
    blocks = [preview(r) for r in results]
    nothing = all(r.duplicate_of is not None for r in results)
    if not nothing:
        blocks.append(help_text("Dry run: nothing has been written. Confirm to append."))
    checked = _fingerprint(upload, meta, fmt)
    return (
        dbc.Alert(blocks, color="info" if not nothing else "secondary", id="releases-dry-run"),
        nothing,
        checked,
        label,
    )


@callback(
    Output("releases-result", "children"),
    Output("releases-table", "rowData"),
    Output("releases-count", "children"),
    Output("releases-confirm", "disabled", allow_duplicate=True),
    Output("releases-preview", "children", allow_duplicate=True),
    Input("releases-confirm", "n_clicks"),
    State("releases-upload", "contents"),
    State("releases-upload", "filename"),
    State("releases-checked", "data"),
    *META,
    prevent_initial_call=True,
)
def confirm(_n, contents, file_name, checked, source, published, title, url, fmt):
    """Append what the dry run showed, in one transaction."""
    if not contents or ctx.triggered_id != "releases-confirm":
        return no_update, no_update, no_update, no_update, no_update
    meta = _meta(source, published, title, url)
    path = data.store_path()
    try:
        upload = data.decode_upload(contents, file_name)
        if _fingerprint(upload, meta, fmt) != checked:
            stale = dbc.Alert(
                "The file or its details changed since the dry run: check it again.",
                color="warning",
            )
            return stale, no_update, no_update, True, no_update
        results = data.append_upload(path, upload, meta, fmt=_format(fmt), dry_run=False)
        rows = release_rows(path)
    except TrackerError as exc:
        return error_alert(exc, id="releases-error"), no_update, no_update, True, no_update
    message = dbc.Alert(
        [html.Div(r.summary()) for r in results],
        color="success",
        id="releases-appended",
    )
    return message, rows, f"{len(rows)} releases", True, None
