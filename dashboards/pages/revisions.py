"""Revisions: how forecasts evolved, how each period was revised, and revision statistics.

Every panel reads the kept state or one series at a time: the forecast series picked, the
periods of one series in a window of `figures.HEATMAP_ROWS` (older ones a click away), and the
revision statistics a page at a time.
"""

from __future__ import annotations

from datetime import datetime

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboards import figures, grids, ids, picker
from dashboards.components import error_alert, help_text, page_header, theme_holder, theme_store
from dashboards.format import period_label, period_labels, signed
from dashboards.store import reader, store_path
from tracker import queries
from tracker.errors import TrackerError

dash.register_page(
    __name__, path="/revisions", title="Revisions · tracker", name="Revisions", order=2
)

NUMBER = {"function": "params.value == null ? '' : d3.format(',.3~f')(params.value)"}
#: Series the triangle shows when the address names none and the store has it.
DEFAULT_SERIES = "WLD.GDP.OECD_FCST"
#: Forecast series drawn together by default: the most revised one and those forecasting the
#: same geo in the same unit.
DEFAULT_FORECASTS = 4
#: Rows per page of the revision statistics (each page is read on the server).
STATS_PAGE = 10


# Defaults from the data ---------------------------------------------------------------------


def default_forecasts(forecasts: pl.DataFrame) -> list[str]:
    """The forecast series whose forecasts were revised most (`tracker.queries.forecast_series`
    order), and up to three more of the same geo and unit (the same quantity forecast by other
    publishers)."""
    if forecasts.is_empty():
        return []
    top = forecasts.row(0, named=True)
    same = forecasts.filter(
        pl.col("geo").eq_missing(top["geo"]) & pl.col("unit").eq_missing(top["unit"])
    )
    return same["series_id"].head(DEFAULT_FORECASTS).to_list()


def default_target(targets: list[int], newest: datetime | None) -> int | None:
    """The year of the newest outlook when it is a target, else the next target after it,
    else the newest target."""
    if not targets:
        return None
    year = newest.year if newest else None
    if year in targets:
        return year
    later = sorted(t for t in targets if year is not None and t > year)
    return later[0] if later else targets[0]


def _ids(text: str | None) -> list[str]:
    return [s for s in (x.strip() for x in (text or "").split(",")) if s]


def layout(
    target: str | None = None,
    series: str | None = None,
    forecasts: str | None = None,
    **_query,
) -> html.Div:
    path = store_path()
    try:
        with reader(path) as con:
            forecast_rows = queries.forecast_series(con)
            asked = [s for s in _ids(forecasts) if s in set(forecast_rows["series_id"])]
            chosen = asked or default_forecasts(forecast_rows)
            targets = queries.forecast_targets(con, chosen) if chosen else []
            newest = (
                forecast_rows.filter(pl.col("series_id").is_in(chosen))["last_published_at"].max()
                if chosen
                else None
            )
            named = queries.series_rows(con, [series]) if series else None
            if named is not None and named.height:
                triangle_series = series
            elif queries.series_rows(con, [DEFAULT_SERIES]).height:
                triangle_series = DEFAULT_SERIES
            else:
                triangle_series = queries.most_revised_series(con)
        forecast_options = picker.options(path, None, chosen, kind="forecast")
        series_options = picker.options(path, None, [triangle_series] if triangle_series else [])
    except TrackerError as exc:
        return html.Div([page_header("Revisions"), error_alert(exc, id=ids.REVISIONS_ERROR)])
    chosen_target = default_target(targets, newest if isinstance(newest, datetime) else None)
    if target and target.isdigit() and int(target) in targets:
        chosen_target = int(target)
    evolution = dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Forecast evolution", className="fw-semibold"),
                    html.Div(
                        [
                            dbc.Label(
                                "Target year",
                                html_for=ids.REVISIONS_TARGET,
                                className="me-2 mb-0 small",
                            ),
                            dbc.Select(
                                id=ids.REVISIONS_TARGET,
                                options=[{"label": str(t), "value": str(t)} for t in targets],
                                value=str(chosen_target) if chosen_target else None,
                                size="sm",
                                style={"width": "7rem"},
                            ),
                        ],
                        className="d-flex align-items-center ms-auto",
                    ),
                    dcc.Dropdown(
                        id=ids.REVISIONS_FORECAST,
                        options=forecast_options,
                        value=chosen,
                        multi=True,
                        searchable=True,
                        search_order="original",
                        placeholder="Search the forecast series…",
                        className="revisions-forecast-picker w-100",
                    ),
                ],
                className="d-flex align-items-center flex-wrap gap-2",
            ),
            dbc.CardBody(
                [
                    html.Div(id=ids.REVISIONS_EVOLUTION_ALERT),
                    dcc.Graph(
                        id=ids.REVISIONS_EVOLUTION,
                        config=figures.GRAPH_CONFIG,
                        style={"height": "420px"},
                    ),
                    help_text(
                        "Each step is one outlook: the forecast for the target year as published "
                        "on that date, held until the next. Every forecast series can be picked."
                    ),
                ]
            ),
        ]
    )
    triangle = dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Revision triangle", className="fw-semibold"),
                    dcc.Dropdown(
                        id=ids.REVISIONS_SERIES,
                        options=series_options,
                        value=triangle_series,
                        clearable=False,
                        searchable=True,
                        search_order="original",
                        placeholder="Search by name, id, country or source…",
                        className="revisions-series-picker ms-auto",
                    ),
                ],
                className="d-flex align-items-center flex-wrap gap-2",
            ),
            dbc.CardBody(
                [
                    html.Div(id=ids.REVISIONS_TRIANGLE_ALERT),
                    dcc.Store(id=ids.REVISIONS_TRIANGLE_WINDOW, data=0),
                    dcc.Graph(id=ids.REVISIONS_TRIANGLE, config=figures.GRAPH_CONFIG),
                    html.Div(
                        [
                            dbc.Button(
                                "◀ Older",
                                id=ids.REVISIONS_TRIANGLE_OLDER,
                                color="secondary",
                                outline=True,
                                size="sm",
                                disabled=True,
                            ),
                            html.Span(
                                id=ids.REVISIONS_TRIANGLE_SHOWN,
                                className="small text-body-secondary",
                            ),
                            dbc.Button(
                                "Newer ▶",
                                id=ids.REVISIONS_TRIANGLE_NEWER,
                                color="secondary",
                                outline=True,
                                size="sm",
                                disabled=True,
                            ),
                        ],
                        className="d-flex align-items-center justify-content-between gap-2",
                    ),
                    help_text(
                        "Rows are periods, columns the releases that published or changed them; "
                        f"each cell is the value as known after that release. "
                        f"{figures.HEATMAP_ROWS} periods at a time: page back for older ones."
                    ),
                ]
            ),
        ]
    )
    first = dbc.Card(
        [
            dbc.CardHeader(
                html.Span("First release vs latest", className="fw-semibold"),
                id=ids.REVISIONS_FIRST_HEADER,
            ),
            dbc.CardBody(html.Div(id=ids.REVISIONS_FIRST)),
        ]
    )
    stats = dbc.Card(
        [
            dbc.CardHeader(html.Span("Revision statistics", className="fw-semibold")),
            dbc.CardBody(stats_grid()),
        ]
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
                    dbc.Col(evolution, lg=6, className="mb-3"),
                    dbc.Col(triangle, lg=6, className="mb-3"),
                ],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(first, lg=6, className="mb-3"),
                    dbc.Col(stats, lg=6, className="mb-3"),
                ],
                className="g-3",
            ),
        ]
    )


NUMERIC = {"type": "numericColumn", "valueFormatter": NUMBER, "filter": False}
STATS_COLUMNS = [
    {
        "field": "series_id",
        "headerName": "Series",
        "minWidth": 200,
        "tooltipField": "name",
        "pinned": "left",
        **grids.TEXT_FILTER,
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


def stats_grid() -> html.Div:
    return html.Div(
        [
            dag.AgGrid(
                id=ids.REVISIONS_STATS,
                columnDefs=STATS_COLUMNS,
                rowModelType="infinite",
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "minWidth": 90,
                    "flex": 1,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                },
                dashGridOptions={**grids.paged_options(STATS_PAGE), "tooltipShowDelay": 300},
                className="tracker-grid",
            ),
            help_text(
                "Per series, from the revisions view: forecast series count forecast revisions. "
                "Hover a series id for its name."
            ),
        ]
    )


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def first_table(frame: pl.DataFrame, frequency: str) -> dbc.Table:
    """The window's first-published and latest values, newest period first. Every digit is
    shown and a number never wraps or is cut: the columns take the width their numbers need
    (the table scrolls sideways on a narrow screen)."""
    number = "text-end text-nowrap"
    head = html.Thead(
        html.Tr(
            [
                html.Th("Period"),
                html.Th("First", className="text-end"),
                html.Th("First published"),
                html.Th("Latest", className="text-end"),
                html.Th("Latest published"),
                html.Th("Latest − first", className="text-end"),
            ]
        )
    )
    labels = frame.select(
        period_labels(frequency, pl.col("period"), pl.col("period_end"))
    ).to_series()
    body = [
        html.Tr(
            [
                html.Td(label, className="text-nowrap"),
                html.Td(r["first_text"], className=number),
                html.Td(_day(r["first_published_at"]), className="text-nowrap"),
                html.Td(r["latest_text"], className=number),
                html.Td(_day(r["latest_published_at"]), className="text-nowrap"),
                html.Td(signed(r["difference_text"], r["difference"]), className=number),
            ]
        )
        for label, r in zip(labels, frame.iter_rows(named=True), strict=True)
    ]
    return dbc.Table(
        [head, html.Tbody(body)],
        size="sm",
        responsive=True,
        hover=True,
        className="mb-0 first-vs-latest",
    )


# Callbacks ----------------------------------------------------------------------------------


@callback(
    Output(ids.REVISIONS_FORECAST, "options"),
    Input(ids.REVISIONS_FORECAST, "search_value"),
    State(ids.REVISIONS_FORECAST, "value"),
    prevent_initial_call=True,
)
def search_forecasts(text: str | None, picked: list[str] | None):
    """The forecast series matching what is typed; the picked ones stay."""
    if not text or not text.strip():
        return no_update
    return picker.options(store_path(), text, picked or [], kind="forecast")


@callback(
    Output(ids.REVISIONS_SERIES, "options"),
    Input(ids.REVISIONS_SERIES, "search_value"),
    State(ids.REVISIONS_SERIES, "value"),
    prevent_initial_call=True,
)
def search_series(text: str | None, picked: str | None):
    """The series matching what is typed; the picked one stays."""
    if not text or not text.strip():
        return no_update
    return picker.options(store_path(), text, [picked] if picked else [])


@callback(
    Output(ids.REVISIONS_TARGET, "options"),
    Output(ids.REVISIONS_TARGET, "value"),
    Input(ids.REVISIONS_FORECAST, "value"),
    State(ids.REVISIONS_TARGET, "value"),
    prevent_initial_call=True,
)
def targets_of(picked: list[str] | None, current: str | None):
    """The target years of the picked forecast series (the current one kept when it is one)."""
    if not picked:
        return [], None
    with reader(store_path()) as con:
        targets = queries.forecast_targets(con, picked)
        newest = (
            queries.forecast_series(con)
            .filter(pl.col("series_id").is_in(picked))["last_published_at"]
            .max()
        )
    options = [{"label": str(t), "value": str(t)} for t in targets]
    if current and current.isdigit() and int(current) in targets:
        return options, current
    chosen = default_target(targets, newest if isinstance(newest, datetime) else None)
    return options, str(chosen) if chosen else None


@callback(
    Output(ids.REVISIONS_EVOLUTION, "figure"),
    Output(ids.REVISIONS_EVOLUTION_ALERT, "children"),
    Input(ids.REVISIONS_TARGET, "value"),
    Input(ids.REVISIONS_FORECAST, "value"),
    Input(theme_store("revisions"), "data"),
)
def evolution(target: str | None, picked: list[str] | None, theme: str | None):
    path = store_path()
    if not picked:
        with reader(path) as con:
            any_forecast = not queries.forecast_series(con, limit=1).is_empty()
        message = (
            "Pick a forecast series." if any_forecast else "No forecast series in the store yet."
        )
        return no_update, dbc.Alert(message, color="info")
    if not target or not target.isdigit():
        return no_update, dbc.Alert("These series have no forecasts yet.", color="info")
    try:
        with reader(path) as con:
            frame = queries.forecast_paths(con, picked, target_year=int(target))
    except TrackerError as exc:
        return no_update, error_alert(exc)
    figure = figures.forecast_evolution(frame, target=int(target), dark=theme == "dark")
    return figure, None


@callback(
    Output(ids.REVISIONS_TRIANGLE, "figure"),
    Output(ids.REVISIONS_TRIANGLE_ALERT, "children"),
    Output(ids.REVISIONS_FIRST, "children"),
    Output(ids.REVISIONS_FIRST_HEADER, "children"),
    Output(ids.REVISIONS_TRIANGLE_SHOWN, "children"),
    Output(ids.REVISIONS_TRIANGLE_OLDER, "disabled"),
    Output(ids.REVISIONS_TRIANGLE_NEWER, "disabled"),
    Output(ids.REVISIONS_TRIANGLE_WINDOW, "data"),
    Input(ids.REVISIONS_SERIES, "value"),
    Input(ids.REVISIONS_TRIANGLE_OLDER, "n_clicks"),
    Input(ids.REVISIONS_TRIANGLE_NEWER, "n_clicks"),
    Input(theme_store("revisions"), "data"),
    State(ids.REVISIONS_TRIANGLE_WINDOW, "data"),
)
def triangle(series_id: str | None, _older, _newer, theme: str | None, offset: int | None):
    """The window of periods asked for (a new series starts from its newest periods)."""
    offset = offset or 0
    if ctx.triggered_id == ids.REVISIONS_TRIANGLE_OLDER:
        offset += figures.HEATMAP_ROWS
    elif ctx.triggered_id == ids.REVISIONS_TRIANGLE_NEWER:
        offset = max(offset - figures.HEATMAP_ROWS, 0)
    elif ctx.triggered_id == ids.REVISIONS_SERIES:
        offset = 0
    return triangle_view(series_id, offset, theme)


def triangle_view(series_id: str | None, offset: int, theme: str | None) -> tuple:
    """The outputs of `triangle` for the window ``offset`` periods back from the newest: the
    heatmap, an alert, the first-vs-latest table and its header, which periods are shown,
    whether Older and Newer are disabled, and the window's offset (clamped to the data)."""
    if not series_id:
        alert = dbc.Alert("Pick a series.", color="info")
        return no_update, alert, None, no_update, "", True, True, 0
    rows = figures.HEATMAP_ROWS
    try:
        with reader(store_path()) as con:
            window = queries.revision_window(con, series_id, periods=rows, offset=offset)
            meta = queries.require_series(con, series_id)
    except TrackerError as exc:
        return no_update, error_alert(exc), None, no_update, "", True, True, offset
    figure = figures.revision_heatmap(
        window.triangle, frequency=meta["frequency"], unit=meta["unit"], dark=theme == "dark"
    )
    header = [
        html.Span("First release vs latest: ", className="fw-semibold"),
        html.Span(meta["name"]),
    ]
    return (
        figure,
        None,
        first_table(window.first_vs_latest, meta["frequency"]),
        header,
        shown_text(window, meta["frequency"]),
        window.offset + rows >= window.periods,
        window.offset == 0,
        window.offset,
    )


def shown_text(window: queries.RevisionWindow, frequency: str) -> str:
    """Which periods the window shows, of how many: ``2024 Q4 – 2025 Q3 · 12 of 203 periods``."""
    periods = window.triangle.select("period", "period_end").unique("period").sort("period")
    if periods.is_empty():
        return f"{window.periods} periods"
    oldest, newest = periods.row(0, named=True), periods.row(-1, named=True)
    span = (
        f"{period_label(oldest['period'], oldest['period_end'], frequency)} – "
        f"{period_label(newest['period'], newest['period_end'], frequency)}"
    )
    return f"{span} · {periods.height} of {window.periods} periods"


@callback(
    Output(ids.REVISIONS_STATS, "getRowsResponse"),
    Input(ids.REVISIONS_STATS, "getRowsRequest"),
)
def stats_page(request: dict | None):
    """The page of revision statistics the grid asks for, sorted and filtered on the server."""
    if not request:
        return no_update
    offset, limit, order, contains = grids.page_request(request, default_size=STATS_PAGE)
    with reader(store_path()) as con:
        page = queries.revision_stats_page(
            con, offset=offset, limit=limit, order=order, contains=contains
        )
    _, rows = grids.grid_rows(page.rows)
    return grids.page_response(page, rows)
