"""Explorer: any series, transformed, aggregated, as known on any date; the URL holds the view."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)

from dashboards import auth, figures, ids, picker
from dashboards.components import error_alert, help_text, page_header, theme_holder, theme_store
from dashboards.downsample import MAX_POINTS
from dashboards.format import day_label
from dashboards.pages import explore_data as data
from dashboards.state import AGGREGATIONS, FREQUENCIES, TRANSFORMS, ExploreState
from dashboards.store import store_path
from tracker.errors import TrackerError

dash.register_page(__name__, path="/explore", title="Explorer · tracker", name="Explorer", order=1)

NATIVE = "native"  # the Select's value for "as published" (an empty value shows blank)
OPTIONS = (
    ("events", "Event markers"),
    ("regimes", "Policy regimes"),
    ("expectations", "Expectations (consensus)"),
    ("log", "Log scale"),
    ("vintages", "Overlay vintages (one series)"),
)


def layout(**query) -> html.Div:
    path = store_path()
    state = ExploreState.from_query(query)
    try:
        # The picked series and the first few dozen of the catalogue: typing asks for more.
        series_options = picker.options(path, None, state.series)
        choices = data.transform_choices(path, state.series)
    except TrackerError as exc:
        return html.Div([page_header("Explorer"), error_alert(exc, id=ids.EXPLORE_ERROR)])
    flags = [name for name, _ in OPTIONS if getattr(state, name)]
    controls = dbc.Card(
        dbc.CardBody(
            [
                dbc.Label("Series", html_for=ids.EXPLORE_SERIES, className="fw-semibold"),
                dcc.Dropdown(
                    id=ids.EXPLORE_SERIES,
                    options=series_options,
                    value=list(state.series),
                    multi=True,
                    searchable=True,
                    search_order="original",
                    placeholder="Search by name, id, country or source…",
                    className="mb-3",
                ),
                dbc.Label("Transform", html_for=ids.EXPLORE_TRANSFORM, className="fw-semibold"),
                dcc.Dropdown(
                    id=ids.EXPLORE_TRANSFORM,
                    options=transform_options(choices),
                    value=state.transform,
                    clearable=False,
                    searchable=False,
                ),
                html.Div(refusals(choices), id=ids.EXPLORE_TRANSFORM_HELP, className="mb-3"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Frequency", html_for=ids.EXPLORE_FREQ),
                                dbc.Select(
                                    id=ids.EXPLORE_FREQ,
                                    options=[
                                        {"label": v, "value": k or NATIVE}
                                        for k, v in FREQUENCIES.items()
                                    ],
                                    value=state.freq or NATIVE,
                                ),
                            ],
                            width=6,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Aggregate by", html_for=ids.EXPLORE_AGG),
                                dbc.Select(
                                    id=ids.EXPLORE_AGG,
                                    options=[
                                        {"label": v, "value": k} for k, v in AGGREGATIONS.items()
                                    ],
                                    value=state.agg,
                                ),
                            ],
                            width=6,
                        ),
                    ],
                    className="g-2 mb-3",
                ),
                dbc.Label("Rebase to 100 at", html_for=ids.EXPLORE_REBASE),
                dbc.Input(
                    id=ids.EXPLORE_REBASE,
                    value=state.rebase or "",
                    placeholder="period, e.g. 2024-01",
                    debounce=True,
                    className="mb-3",
                ),
                dbc.Label("As known on", html_for=ids.EXPLORE_AS_OF, className="fw-semibold"),
                dbc.InputGroup(
                    [
                        dbc.Input(
                            id=ids.EXPLORE_AS_OF,
                            type="date",
                            value=state.as_of or "",
                            min="1990-01-01",
                            max="2100-12-31",
                        ),
                        dbc.Button(
                            "Now", id=ids.EXPLORE_AS_OF_CLEAR, color="secondary", outline=True
                        ),
                    ],
                ),
                help_text(
                    "Time travel: every series as it was known at the end of that day.",
                    className="mb-3",
                ),
                dbc.Checklist(
                    id=ids.EXPLORE_OPTIONS,
                    options=[{"label": label, "value": name} for name, label in OPTIONS],
                    value=flags,
                    switch=True,
                    className="mb-3",
                ),
                dbc.Button(
                    "Download CSV of this view",
                    id=ids.EXPLORE_DOWNLOAD_BUTTON,
                    color="primary",
                    outline=True,
                    className="w-100",
                    # The server refuses the download below analyst (dashboards.auth.NEEDS).
                    disabled=not auth.may(auth.NEEDS[ids.EXPLORE_DOWNLOAD]),
                ),
                help_text(
                    "Every drawn row with its release, publication date, source and URL.",
                ),
                dcc.Download(id=ids.EXPLORE_DOWNLOAD),
            ]
        ),
        className="explore-controls",
    )
    chart = dbc.Card(
        dbc.CardBody(
            [
                html.Div(id=ids.EXPLORE_ALERT),
                html.Div(
                    dcc.Loading(
                        dcc.Graph(
                            id=ids.EXPLORE_GRAPH,
                            config=figures.GRAPH_CONFIG,
                            style={"height": "520px"},
                        ),
                        type="dot",
                        delay_show=300,
                    ),
                    id=ids.EXPLORE_GRAPH_WRAP,
                ),
                html.Div(id=ids.EXPLORE_INFO, className="mt-2"),
                html.Div(id=ids.EXPLORE_WATCH_NOTE, role="status", className="small"),
            ]
        )
    )
    return html.Div(
        [
            page_header(
                "Explorer",
                "Pick series, transform them, travel back in time. The address bar always holds "
                "this exact view: copy it to share or bookmark it.",
            ),
            dcc.Store(id=ids.EXPLORE_RANGE, data=[state.start, state.end]),
            theme_holder("explore"),
            dcc.Store(id=ids.EXPLORE_QUERY),
            html.Div(id=ids.EXPLORE_URL_SINK, hidden=True),
            dbc.Row(
                [
                    dbc.Col(controls, lg=4, xl=3, className="mb-3"),
                    dbc.Col(chart, lg=8, xl=9, className="mb-3"),
                ],
                className="g-3",
            ),
        ]
    )


def transform_options(choices: dict[str, str | None]) -> list[dict]:
    """FRED codes; refused ones disabled with the reason as their tooltip."""
    options = []
    for code, label in TRANSFORMS.items():
        reason = choices.get(code)
        option = {"label": f"{code} — {label}", "value": code, "disabled": bool(reason)}
        if reason:
            option["title"] = reason
        options.append(option)
    return options


def refusals(choices: dict[str, str | None]) -> list:
    """Which transforms are greyed out, and why (the reasons open on demand)."""
    refused = [(code, reason) for code, reason in choices.items() if reason]
    if not refused:
        return [help_text("Every transform applies to the selected series.")]
    return [
        html.Details(
            [
                html.Summary(
                    f"Greyed out: {', '.join(code for code, _ in refused)} (why?)",
                    className="form-text",
                ),
                html.Ul(
                    [html.Li(reason) for _, reason in refused],
                    className="form-text small ps-3 mb-0",
                ),
            ],
            id=ids.EXPLORE_REFUSALS,
        )
    ]


@callback(
    Output(ids.EXPLORE_SERIES, "options"),
    Input(ids.EXPLORE_SERIES, "search_value"),
    State(ids.EXPLORE_SERIES, "value"),
    prevent_initial_call=True,
)
def search_series(text: str | None, picked: list[str] | None):
    """What is typed in the picker, searched on the server: the picked series stay."""
    if not text or not text.strip():
        # Keep the options of the last search: the series just picked from them is there.
        return no_update
    return picker.options(store_path(), text, picked or [])


@callback(
    Output(ids.EXPLORE_TRANSFORM, "options"),
    Output(ids.EXPLORE_TRANSFORM_HELP, "children"),
    Input(ids.EXPLORE_SERIES, "value"),
    prevent_initial_call=True,
)
def update_transforms(series: list[str] | None):
    try:
        choices = data.transform_choices(store_path(), series or [])
    except TrackerError as exc:
        return no_update, error_alert(exc)
    return transform_options(choices), refusals(choices)


def state_from_controls(
    series, transform, freq, agg, rebase, as_of, options, window
) -> ExploreState:
    options = options or []
    start, end = ([*(window or []), None, None])[:2]
    return ExploreState(
        series=tuple(series or ()),
        transform=transform or "lin",
        rebase=(rebase or "").strip() or None,
        freq="" if freq in (None, NATIVE) else freq,
        agg=agg or "avg",
        as_of=as_of or None,
        start=start,
        end=end,
        log="log" in options,
        events="events" in options,
        regimes="regimes" in options,
        vintages="vintages" in options,
        expectations="expectations" in options,
    )


CONTROLS = [
    Input(ids.EXPLORE_SERIES, "value"),
    Input(ids.EXPLORE_TRANSFORM, "value"),
    Input(ids.EXPLORE_FREQ, "value"),
    Input(ids.EXPLORE_AGG, "value"),
    Input(ids.EXPLORE_REBASE, "value"),
    Input(ids.EXPLORE_AS_OF, "value"),
    Input(ids.EXPLORE_OPTIONS, "value"),
    Input(ids.EXPLORE_RANGE, "data"),
]


@callback(
    Output(ids.EXPLORE_GRAPH, "figure"),
    Output(ids.EXPLORE_GRAPH_WRAP, "hidden"),
    Output(ids.EXPLORE_ALERT, "children"),
    Output(ids.EXPLORE_INFO, "children"),
    Output(ids.EXPLORE_QUERY, "data"),
    *CONTROLS,
    Input(theme_store("explore"), "data"),
)
def draw(series, transform, freq, agg, rebase, as_of, options, window, theme):
    state = state_from_controls(series, transform, freq, agg, rebase, as_of, options, window)
    query = state.to_query()
    if not state.series:
        note = dbc.Alert(
            "Pick one or more series to draw.", color="info", id=ids.EXPLORE_EMPTY, className="mb-0"
        )
        return no_update, True, note, None, query
    try:
        drawn = data.explore(store_path(), state)
    except TrackerError as exc:
        return no_update, True, error_alert(exc, id=ids.EXPLORE_ERROR), None, query
    figure = figures.line_chart(
        drawn.frame,
        drawn.meta,
        events=drawn.events,
        regimes=drawn.regimes,
        expectations=drawn.expectations,
        log=state.log,
        dark=theme == "dark",
        until=drawn.until,
        title=chart_title(state, drawn),
        x_range=(state.start, state.end),
    )
    notes = []
    if state.vintages and len(state.series) != 1:
        notes.append(
            dbc.Alert(
                "Overlay vintages works with one series: pick just one to see its vintages.",
                color="info",
                className="py-2 mb-2",
            )
        )
    if drawn.frame.is_empty():
        known = f" as known on {state.as_of}" if state.as_of else ""
        notes.append(
            dbc.Alert(
                f"Nothing to draw{known}: no release of these series was public yet.",
                color="warning",
                id=ids.EXPLORE_NOTHING,
                className="py-2 mb-2",
            )
        )
    return figure, drawn.frame.is_empty(), notes, series_info(drawn, state), query


def chart_title(state: ExploreState, drawn: data.Drawn) -> str:
    """What is drawn, in words: the series, the transform and the vintage."""
    names = [m["name"] for m in drawn.meta.values()]
    parts = [names[0] if len(names) == 1 else f"{len(names)} series"]
    if state.transform != "lin":
        parts.append(TRANSFORMS[state.transform].lower())
    if state.freq:
        frequency = FREQUENCIES[state.freq].lower()
        parts.append(f"{frequency}, {AGGREGATIONS[state.agg].lower()}")
    if state.rebase:
        parts.append(f"index, {state.rebase} = 100")
    if state.vintages and len(state.series) == 1:
        parts.append("every vintage" + (f" up to {state.as_of}" if state.as_of else ""))
    elif state.as_of:
        parts.append(f"as known on {day_label(date.fromisoformat(state.as_of))}")
    else:
        parts.append("as now known")
    return " · ".join(parts)


def series_info(drawn: data.Drawn, state: ExploreState) -> html.Div:
    rows = []
    # The newest drawn period of each series, in one pass over the frame.
    newest = {
        row["series_id"]: row
        for row in drawn.frame.select("series_id", "period", "release_id", "published_at")
        .sort("period")
        .group_by("series_id")
        .last()
        .to_dicts()
    }
    for series_id, meta in drawn.meta.items():
        last = newest.get(series_id)
        rows.append(
            html.Tr(
                [
                    html.Td(watch_star(series_id, bool(meta.get("watched"))), className="pe-0"),
                    html.Td(
                        [html.Div(meta["name"], className="fw-semibold"), html.Code(series_id)]
                    ),
                    html.Td(meta["unit"], className="text-nowrap"),
                    html.Td(meta["source"]),
                    html.Td(
                        f"release {last['release_id']}, {day_label(last['published_at'])}"
                        if last and last.get("release_id") is not None
                        else "—"
                    ),
                    html.Td(meta.get("description") or "", className="small text-body-secondary"),
                ]
            )
        )
    note = []
    if drawn.downsampled:
        note.append(
            help_text(
                f"Long series are drawn with the minimum and maximum of equal buckets, "
                f"{MAX_POINTS:,} points for the whole chart; zoom in for detail, "
                "the download has every row."
            )
        )
    return html.Div(
        [
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th(html.Span("★", title="On the Overview")),
                                html.Th("Series"),
                                html.Th("Unit"),
                                html.Th("Source"),
                                html.Th("Newest release drawn"),
                                html.Th("About"),
                            ]
                        )
                    ),
                    html.Tbody(rows),
                ],
                size="sm",
                responsive=True,
                className="mb-1 series-table",
            ),
            *note,
        ]
    )


def _star_look(watched: bool) -> tuple[str, str, str, str]:
    """A watchlist star's text, class, title and aria-pressed for a series (not) on the list."""
    return (
        "★" if watched else "☆",
        "btn btn-link watch-star p-0" + (" watched" if watched else ""),
        "On your Overview: click to remove" if watched else "Add to your Overview",
        "true" if watched else "false",
    )


def watch_star(series_id: str, watched: bool) -> html.Button | html.Span:
    """A star that puts the series on the Overview (the watchlist) or takes it off."""
    text, class_name, title, pressed = _star_look(watched)
    if not auth.may(auth.NEEDS[ids.EXPLORE_WATCH_TYPE]):
        # The server refuses the star below editor (dashboards.auth.NEEDS); a button would fire
        # its callback as soon as the table is drawn, so a viewer gets the mark without it.
        return html.Span(
            text,
            className="watch-star-static" + (" watched" if watched else ""),
            title="On the Overview" if watched else "Not on the Overview",
        )
    aria: dict[str, Any] = {"aria-pressed": pressed}
    return html.Button(
        text,
        id={"type": ids.EXPLORE_WATCH_TYPE, "series": series_id},
        type="button",
        className=class_name,
        title=title,
        **aria,
    )


@callback(
    Output({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "children"),
    Output({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "className"),
    Output({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "title"),
    Output({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "aria-pressed"),
    Output(ids.EXPLORE_WATCH_NOTE, "children"),
    Input({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "n_clicks"),
    State({"type": ids.EXPLORE_WATCH_TYPE, "series": ALL}, "id"),
    prevent_initial_call=True,
)
def toggle_watch(clicks, stars):
    """Add the clicked series to the watchlist, or remove it; the Overview shows the list."""
    unchanged = [[no_update] * len(stars) for _ in range(4)]
    clicked = ctx.triggered_id
    if not clicked or not any(clicks):
        return *unchanged, None
    series_id = clicked["series"]
    try:
        watched = data.toggle_watch(store_path(), series_id)
    except TrackerError as exc:
        return *unchanged, error_alert(exc)
    looks = [
        _star_look(watched) if star["series"] == series_id else (no_update,) * 4 for star in stars
    ]
    columns = [list(column) for column in zip(*looks, strict=True)] if looks else unchanged
    note = (
        f"{series_id} is on your Overview."
        if watched
        else f"{series_id} is no longer on your Overview."
    )
    return *columns, note


@callback(
    Output(ids.EXPLORE_RANGE, "data"),
    Input(ids.EXPLORE_GRAPH, "relayoutData"),
    State(ids.EXPLORE_RANGE, "data"),
    prevent_initial_call=True,
)
def remember_range(relayout: dict | None, current):
    if not relayout:
        return no_update
    if relayout.get("xaxis.autorange"):
        return [None, None] if current and any(current) else no_update
    start = relayout.get("xaxis.range[0]")
    end = relayout.get("xaxis.range[1]")
    if start is None and "xaxis.range" in relayout:
        start, end = relayout["xaxis.range"]
    if start is None or end is None:
        return no_update
    window = [str(start)[:10], str(end)[:10]]
    return window if window != current else no_update


@callback(
    Output(ids.EXPLORE_AS_OF, "value"),
    Input(ids.EXPLORE_AS_OF_CLEAR, "n_clicks"),
    prevent_initial_call=True,
)
def clear_as_of(_n):
    return ""


@callback(
    Output(ids.EXPLORE_DOWNLOAD, "data"),
    Input(ids.EXPLORE_DOWNLOAD_BUTTON, "n_clicks"),
    *[State(c.component_id, c.component_property) for c in CONTROLS],
    prevent_initial_call=True,
)
def download(_n, series, transform, freq, agg, rebase, as_of, options, window):
    state = state_from_controls(series, transform, freq, agg, rebase, as_of, options, window)
    if not state.series:
        return no_update
    drawn = data.explore(store_path(), state, max_points=None)
    frame = data.download_frame(drawn, state)
    stamp = state.as_of or "latest"
    name = f"tracker_{'_'.join(state.series)[:80]}_{state.transform}_{stamp}.csv"
    return dcc.send_string(frame.write_csv(), name, type="text/csv")


# The address bar follows the view without a page reload (Dash Pages re-renders a page when
# its own location changes, so the query string is replaced directly).
clientside_callback(
    """
    function (query) {
        if (query === undefined || query === null) { return window.dash_clientside.no_update; }
        var target = window.location.pathname + (query ? "?" + query : "");
        if (target !== window.location.pathname + window.location.search) {
            window.history.replaceState(window.history.state, "", target);
        }
        return query;
    }
    """,
    Output(ids.EXPLORE_URL_SINK, "children"),
    Input(ids.EXPLORE_QUERY, "data"),
)
