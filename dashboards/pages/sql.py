"""SQL: ad-hoc read-only DuckDB SQL on the store, with the public views one click away."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboards import auth, grids, ids
from dashboards.components import error_alert, help_text, needs_role, page_header
from dashboards.pages.sql_console import (
    DEFAULT_SQL,
    EXAMPLE_QUERIES,
    SQL_DOWNLOAD_ROWS,
    SQL_MAX_ROWS,
    SQL_TIMEOUT,
    public_objects,
    run_sql,
    snippet,
)
from dashboards.store import store_path
from tracker.errors import TrackerError

dash.register_page(__name__, path="/sql", title="SQL · tracker", name="SQL", order=4)


def layout(q: str | None = None, **_query) -> html.Div:
    if not auth.may(auth.NEEDS[ids.SQL_RESULTS]):
        # The server refuses the console's callbacks too (dashboards.auth.NEEDS).
        return html.Div(
            [
                page_header("SQL"),
                needs_role("The SQL console", auth.NEEDS[ids.SQL_RESULTS], id=ids.SQL_FORBIDDEN),
            ]
        )
    path = store_path()
    try:
        objects, example = public_objects(path)
    except TrackerError as exc:
        return html.Div([page_header("SQL"), error_alert(exc, id=ids.SQL_ERROR)])
    editor = dbc.Card(
        dbc.CardBody(
            [
                dcc.Textarea(
                    id=ids.SQL_EDITOR,
                    value=q or DEFAULT_SQL,
                    spellCheck=False,
                    className="sql-editor form-control",
                    style={"height": "170px"},
                    placeholder="SELECT * FROM latest WHERE series_id = 'CHN.EXPORTS.YOY'",
                ),
                html.Div(
                    [
                        dbc.Button("Run ▸", id=ids.SQL_RUN, color="primary"),
                        dbc.Button(
                            "Download CSV",
                            id=ids.SQL_DOWNLOAD_BUTTON,
                            color="secondary",
                            outline=True,
                        ),
                        html.Span(id=ids.SQL_STATUS, className="small text-body-secondary ms-md-2"),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mt-2",
                ),
                help_text(
                    f"Read-only: SELECT, WITH, DESCRIBE, SHOW and EXPLAIN. The grid shows at most "
                    f"{SQL_MAX_ROWS:,} rows; a query is stopped after "
                    f"{SQL_TIMEOUT:g} s; the CSV download holds up to "
                    f"{SQL_DOWNLOAD_ROWS:,} rows. No files, network or settings.",
                    className="mt-1",
                ),
                dcc.Download(id=ids.SQL_DOWNLOAD),
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
                        id={"type": ids.SQL_EXAMPLE_TYPE, "index": i},
                        action=True,
                        className="small",
                    )
                    for i, (title, _) in enumerate(EXAMPLE_QUERIES)
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
                                snippet(o, example),
                                id={"type": ids.SQL_OBJECT_TYPE, "index": o["name"]},
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
                id=ids.SQL_OBJECTS,
            ),
        ]
    )
    results = dbc.Card(
        dbc.CardBody(
            [
                html.Div(id=ids.SQL_ALERT),
                dag.AgGrid(
                    id=ids.SQL_RESULTS,
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


@callback(
    Output(ids.SQL_EDITOR, "value"),
    Input({"type": ids.SQL_EXAMPLE_TYPE, "index": ALL}, "n_clicks"),
    Input({"type": ids.SQL_OBJECT_TYPE, "index": ALL}, "n_clicks"),
    State(ids.SQL_OBJECTS, "children"),
    prevent_initial_call=True,
)
def insert_query(_examples, _objects, _items):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update
    if trigger["type"] == ids.SQL_EXAMPLE_TYPE:
        return EXAMPLE_QUERIES[trigger["index"]][1]
    found, example = public_objects(store_path())
    obj = {o["name"]: o for o in found}.get(trigger["index"])
    return snippet(obj, example) if obj else no_update


@callback(
    Output(ids.SQL_RESULTS, "columnDefs"),
    Output(ids.SQL_RESULTS, "rowData"),
    Output(ids.SQL_STATUS, "children"),
    Output(ids.SQL_ALERT, "children"),
    Input(ids.SQL_RUN, "n_clicks"),
    State(ids.SQL_EDITOR, "value"),
)
def run(_n, sql):
    if not sql or not sql.strip():
        return [], [], "", None
    try:
        result = run_sql(store_path(), sql)
    except TrackerError as exc:
        return [], [], "", error_alert(exc, id=ids.SQL_ERROR)
    columns, rows = grids.grid_rows(result.frame)
    status = f"{len(rows):,} row{'s' if len(rows) != 1 else ''} · {result.seconds * 1000:.0f} ms"
    alert = None
    if result.truncated:
        alert = dbc.Alert(
            f"Showing the first {SQL_MAX_ROWS:,} rows: add a WHERE or LIMIT, or download the "
            "CSV for more.",
            color="warning",
            className="py-2",
        )
    return columns, rows, html.Span(status, id=ids.SQL_ROW_COUNT), alert


@callback(
    Output(ids.SQL_DOWNLOAD, "data"),
    Output(ids.SQL_ALERT, "children", allow_duplicate=True),
    Input(ids.SQL_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.SQL_EDITOR, "value"),
    prevent_initial_call=True,
)
def download(_n, sql):
    if not sql or not sql.strip():
        return no_update, no_update
    try:
        result = run_sql(store_path(), sql, max_rows=SQL_DOWNLOAD_ROWS)
    except TrackerError as exc:
        return no_update, error_alert(exc, id=ids.SQL_ERROR)
    frame = grids.flat_frame(result.frame)
    return dcc.send_string(frame.write_csv(), "tracker_query.csv", type="text/csv"), no_update
