"""SQL: ad-hoc read-only DuckDB SQL on the store, with the public views one click away."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboards import data
from dashboards.components import error_alert, help_text, page_header
from tracker.errors import TrackerError

dash.register_page(__name__, path="/sql", title="SQL · tracker", name="SQL", order=4)

DEFAULT_SQL = data.EXAMPLE_QUERIES[0][1]


def layout(q: str | None = None, **_query) -> html.Div:
    path = data.store_path()
    try:
        objects = data.public_objects(path)
    except TrackerError as exc:
        return html.Div([page_header("SQL"), error_alert(exc, id="sql-error")])
    editor = dbc.Card(
        dbc.CardBody(
            [
                dcc.Textarea(
                    id="sql-editor",
                    value=q or DEFAULT_SQL,
                    spellCheck=False,
                    className="sql-editor form-control",
                    style={"height": "170px"},
                    placeholder="SELECT * FROM latest WHERE series_id = 'CHN.EXPORTS.YOY'",
                ),
                html.Div(
                    [
                        dbc.Button("Run ▸", id="sql-run", color="primary"),
                        dbc.Button(
                            "Download CSV",
                            id="sql-download-button",
                            color="secondary",
                            outline=True,
                        ),
                        html.Span(id="sql-status", className="small text-body-secondary ms-md-2"),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mt-2",
                ),
                help_text(
                    f"Read-only: SELECT, WITH, DESCRIBE, SHOW and EXPLAIN. The grid shows at most "
                    f"{data.SQL_MAX_ROWS:,} rows; a query is stopped after "
                    f"{data.SQL_TIMEOUT:g} s; the CSV download holds up to "
                    f"{data.SQL_DOWNLOAD_ROWS:,} rows. No files, network or settings.",
                    className="mt-1",
                ),
                dcc.Download(id="sql-download"),
            ]
        ),
        className="mb-3",
    )
    examples = dbc.Card(
        [
            dbc.CardHeader(html.Span("Examples", className="fw-semibold")),
            dbc.ListGroup(
                [
                    dbc.ListGroupItem(
                        title,
                        id={"type": "sql-example", "index": i},
                        action=True,
                        className="small",
                    )
                    for i, (title, _) in enumerate(data.EXAMPLE_QUERIES)
                ],
                flush=True,
            ),
        ],
        className="mb-3",
    )
    catalogue = dbc.Card(
        [
            dbc.CardHeader(html.Span("Public views and macros", className="fw-semibold")),
            dbc.Accordion(
                [
                    dbc.AccordionItem(
                        [
                            dbc.Button(
                                f"SELECT * FROM {_usage(o)} LIMIT 100",
                                id={"type": "sql-object", "index": o["name"]},
                                color="link",
                                size="sm",
                                className="p-0 mb-1 text-start",
                            ),
                            html.Ul(
                                [html.Li(html.Code(col)) for col in o["columns"]],
                                className="object-columns small mb-0",
                            ),
                        ],
                        title=f"{o['name']}{'(…)' if o['kind'] == 'macro' else ''}",
                        item_id=o["name"],
                    )
                    for o in objects
                ],
                active_item="latest",
                flush=True,
                id="sql-objects",
            ),
        ]
    )
    results = dbc.Card(
        dbc.CardBody(
            [
                html.Div(id="sql-alert"),
                dag.AgGrid(
                    id="sql-results",
                    columnDefs=[],
                    rowData=[],
                    defaultColDef={
                        "sortable": True,
                        "resizable": True,
                        "filter": True,
                        "minWidth": 110,
                    },
                    dashGridOptions={
                        "pagination": True,
                        "paginationPageSize": 25,
                        "paginationPageSizeSelector": False,
                    },
                    columnSize="autoSize",
                    className="tracker-grid",
                    style={"height": "560px"},
                ),
            ]
        )
    )
    return html.Div(
        [
            page_header(
                "SQL", "Query the store with DuckDB SQL, exactly as a DuckDB client would."
            ),
            dbc.Row(
                [
                    dbc.Col([editor, results], lg=8, xl=9, className="mb-3"),
                    dbc.Col([examples, catalogue], lg=4, xl=3, className="mb-3"),
                ],
                className="g-3",
            ),
        ]
    )


def _usage(obj: dict) -> str:
    if obj["kind"] != "macro":
        return obj["name"]
    if obj["name"] == "asof":
        return "asof(DATE '2025-05-01')"
    return f"{obj['name']}({', '.join(obj['columns'])})"


@callback(
    Output("sql-editor", "value"),
    Input({"type": "sql-example", "index": ALL}, "n_clicks"),
    Input({"type": "sql-object", "index": ALL}, "n_clicks"),
    State("sql-objects", "children"),
    prevent_initial_call=True,
)
def insert_query(_examples, _objects, _items):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update
    if trigger["type"] == "sql-example":
        return data.EXAMPLE_QUERIES[trigger["index"]][1]
    objects = {o["name"]: o for o in data.public_objects(data.store_path())}
    obj = objects.get(trigger["index"])
    return f"SELECT * FROM {_usage(obj)} LIMIT 100" if obj else no_update


@callback(
    Output("sql-results", "columnDefs"),
    Output("sql-results", "rowData"),
    Output("sql-status", "children"),
    Output("sql-alert", "children"),
    Input("sql-run", "n_clicks"),
    State("sql-editor", "value"),
)
def run(_n, sql):
    if not sql or not sql.strip():
        return [], [], "", None
    try:
        result = data.run_sql(data.store_path(), sql)
    except TrackerError as exc:
        return [], [], "", error_alert(exc, id="sql-error")
    columns, rows = data.grid_rows(result.frame)
    status = f"{len(rows):,} row{'s' if len(rows) != 1 else ''} · {result.seconds * 1000:.0f} ms"
    alert = None
    if result.truncated:
        alert = dbc.Alert(
            f"Showing the first {data.SQL_MAX_ROWS:,} rows: add a WHERE or LIMIT, or download the "
            "CSV for more.",
            color="warning",
            className="py-2",
        )
    return columns, rows, html.Span(status, id="sql-row-count"), alert


@callback(
    Output("sql-download", "data"),
    Output("sql-alert", "children", allow_duplicate=True),
    Input("sql-download-button", "n_clicks"),
    State("sql-editor", "value"),
    prevent_initial_call=True,
)
def download(_n, sql):
    if not sql or not sql.strip():
        return no_update, no_update
    try:
        result = data.run_sql(data.store_path(), sql, max_rows=data.SQL_DOWNLOAD_ROWS)
    except TrackerError as exc:
        return no_update, error_alert(exc, id="sql-error")
    frame = data.flat_frame(result.frame)
    return dcc.send_string(frame.write_csv(), "tracker_query.csv", type="text/csv"), no_update
