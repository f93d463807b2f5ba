"""Revisions: how forecasts evolved, how each period was revised, and revision statistics."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, callback, dcc, html, no_update

from dashboards import data, figures
from dashboards.components import error_alert, help_text, page_header, theme_holder, theme_store
from tracker.errors import TrackerError

dash.register_page(
    __name__, path="/revisions", title="Revisions · tracker", name="Revisions", order=2
)

NUMBER = {"function": "params.value == null ? '' : d3.format(',.3~f')(params.value)"}
GRID_OPTIONS = {
    "domLayout": "autoHeight",
    "pagination": True,
    "paginationPageSize": 10,
    "paginationPageSizeSelector": False,
}
DEFAULT_TARGET = 2025
DEFAULT_SERIES = "WLD.GDP.OECD_FCST"


def layout(target: str | None = None, series: str | None = None, **_query) -> html.Div:
    path = data.store_path()
    try:
        targets = data.forecast_targets(path)
        revised = data.revised_series(path)
        catalogue = data.catalogue(path)
    except TrackerError as exc:
        return html.Div([page_header("Revisions"), error_alert(exc, id="revisions-error")])
    names = dict(zip(catalogue["series_id"], catalogue["name"], strict=True))
    try:
        chosen_target = int(target) if target else DEFAULT_TARGET
    except ValueError:
        chosen_target = DEFAULT_TARGET
    if targets and chosen_target not in targets:
        chosen_target = targets[0]
    series_ids = [s for s in names if s in set(revised)] + [s for s in names if s not in revised]
    chosen_series = (
        series
        if series in names
        else (DEFAULT_SERIES if DEFAULT_SERIES in names else (series_ids or [None])[0])
    )
    return html.Div(
        [
            theme_holder("revisions"),
            page_header(
                "Revisions",
                "Every number is published, revised and re-forecast: see what was known when.",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    [
                                        html.Span("Forecast evolution", className="fw-semibold"),
                                        html.Div(
                                            [
                                                dbc.Label(
                                                    "Target year",
                                                    html_for="revisions-target",
                                                    className="me-2 mb-0 small",
                                                ),
                                                dbc.Select(
                                                    id="revisions-target",
                                                    options=[
                                                        {"label": str(t), "value": str(t)}
                                                        for t in targets
                                                    ],
                                                    value=str(chosen_target),
                                                    size="sm",
                                                    style={"width": "7rem"},
                                                ),
                                            ],
                                            className="d-flex align-items-center ms-auto",
                                        ),
                                    ],
                                    className="d-flex align-items-center flex-wrap gap-2",
                                ),
                                dbc.CardBody(
                                    [
                                        html.Div(id="revisions-evolution-alert"),
                                        dcc.Graph(
                                            id="revisions-evolution",
                                            config=figures.GRAPH_CONFIG,
                                            style={"height": "420px"},
                                        ),
                                        help_text(
                                            "Each step is one outlook: the forecast for the target "
                                            "year as published on that date, held until the next."
                                        ),
                                    ]
                                ),
                            ]
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    [
                                        html.Span("Revision triangle", className="fw-semibold"),
                                        dcc.Dropdown(
                                            id="revisions-series",
                                            options=[
                                                {
                                                    "label": f"{names[s]} · {s}",
                                                    "value": s,
                                                    "search": f"{s} {names[s]}",
                                                }
                                                for s in series_ids
                                            ],
                                            value=chosen_series,
                                            clearable=False,
                                            className="revisions-series-picker ms-auto",
                                        ),
                                    ],
                                    className="d-flex align-items-center flex-wrap gap-2",
                                ),
                                dbc.CardBody(
                                    [
                                        html.Div(id="revisions-triangle-alert"),
                                        dcc.Graph(
                                            id="revisions-triangle",
                                            config=figures.GRAPH_CONFIG,
                                        ),
                                        help_text(
                                            "Rows are periods, columns the releases that "
                                            "published or changed them; each cell is the value "
                                            "as known after that release."
                                        ),
                                    ]
                                ),
                            ]
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                ],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    html.Span("First release vs latest", className="fw-semibold"),
                                    id="revisions-first-header",
                                ),
                                dbc.CardBody(
                                    dag.AgGrid(
                                        id="revisions-first",
                                        columnDefs=FIRST_COLUMNS,
                                        rowData=[],
                                        defaultColDef={
                                            "sortable": True,
                                            "resizable": True,
                                            "flex": 1,
                                            "wrapHeaderText": True,
                                            "autoHeaderHeight": True,
                                        },
                                        dashGridOptions=GRID_OPTIONS,
                                        className="tracker-grid",
                                    )
                                ),
                            ]
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    html.Span("Revision statistics", className="fw-semibold")
                                ),
                                dbc.CardBody(stats_grid(path)),
                            ]
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                ],
                className="g-3",
            ),
        ]
    )


NUMERIC = {"type": "numericColumn", "valueFormatter": NUMBER, "filter": False}
FIRST_COLUMNS = [
    {"field": "period", "headerName": "Period", "minWidth": 90},
    {"field": "first_value", "headerName": "First", **NUMERIC, "minWidth": 70},
    {"field": "first_published_at", "headerName": "First published", "minWidth": 110},
    {"field": "latest_value", "headerName": "Latest", **NUMERIC, "minWidth": 70},
    {"field": "latest_published_at", "headerName": "Latest published", "minWidth": 110},
    {"field": "difference", "headerName": "Latest − first", **NUMERIC, "minWidth": 80},
]
STATS_COLUMNS = [
    {
        "field": "series_id",
        "headerName": "Series",
        "minWidth": 200,
        "tooltipField": "name",
        "pinned": "left",
    },
    {"field": "revised_periods", "headerName": "Revised periods", **NUMERIC},
    {"field": "periods", "headerName": "Periods", **NUMERIC},
    {"field": "revision_count", "headerName": "Revisions", **NUMERIC, "sort": "desc"},
    {"field": "mean_revision", "headerName": "Mean revision", **NUMERIC},
    {"field": "mean_abs_revision", "headerName": "Mean |revision|", **NUMERIC},
    {"field": "max_abs_revision", "headerName": "Max |revision|", **NUMERIC},
    {"field": "mean_abs_first_to_latest", "headerName": "Mean |latest − first|", **NUMERIC},
    {"field": "last_revised_at", "headerName": "Last revised", "minWidth": 120},
]


def stats_grid(path) -> object:
    try:
        frame = data.revision_stats(path)
    except TrackerError as exc:
        return error_alert(exc, id="revisions-stats-error")
    _, rows = data.grid_rows(frame)
    return html.Div(
        [
            dag.AgGrid(
                id="revisions-stats",
                columnDefs=STATS_COLUMNS,
                rowData=rows,
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "minWidth": 90,
                    "flex": 1,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                },
                dashGridOptions={**GRID_OPTIONS, "tooltipShowDelay": 300},
                className="tracker-grid",
            ),
            help_text(
                "Per series, from the revisions view: forecast series count forecast revisions. "
                "Hover a series id for its name."
            ),
        ]
    )


@callback(
    Output("revisions-evolution", "figure"),
    Output("revisions-evolution-alert", "children"),
    Input("revisions-target", "value"),
    Input(theme_store("revisions"), "data"),
)
def evolution(target: str | None, theme: str | None):
    if not target:
        return no_update, dbc.Alert("No forecast series in the store yet.", color="info")
    try:
        frame = data.forecast_evolution(data.store_path(), target=int(target))
    except TrackerError as exc:
        return no_update, error_alert(exc)
    return figures.forecast_evolution(frame, target=int(target), dark=theme == "dark"), None


@callback(
    Output("revisions-triangle", "figure"),
    Output("revisions-triangle-alert", "children"),
    Output("revisions-first", "rowData"),
    Output("revisions-first-header", "children"),
    Input("revisions-series", "value"),
    Input(theme_store("revisions"), "data"),
)
def triangle(series_id: str | None, theme: str | None):
    if not series_id:
        return no_update, dbc.Alert("Pick a series.", color="info"), [], no_update
    path = data.store_path()
    try:
        frame = data.revision_triangle(path, series_id)
        first = data.first_vs_latest(path, series_id)
        meta = data.catalogue(path).filter(pl.col("series_id") == series_id).row(0, named=True)
    except TrackerError as exc:
        return no_update, error_alert(exc), [], no_update
    figure = figures.revision_heatmap(
        frame, frequency=meta["frequency"], unit=meta["unit"], dark=theme == "dark"
    )
    first = first.with_columns(
        data.period_labels(meta["frequency"], pl.col("period"), pl.col("period_end")).alias(
            "period"
        )
    ).drop("period_end")
    _, rows = data.grid_rows(first.with_columns(pl.col("^.*_published_at$").dt.date()))
    header = [
        html.Span("First release vs latest: ", className="fw-semibold"),
        html.Span(meta["name"]),
    ]
    return figure, None, rows, header
