"""Overview: the user's cards (the watchlist, else the newest releases), what is due or late,
the newest releases and the event timeline."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboards import figures, ids
from dashboards.components import error_alert, page_header, series_link
from dashboards.format import day_label
from dashboards.pages import overview_data as data
from dashboards.store import store_path
from tracker.errors import TrackerError

#: The "Upcoming and overdue" panel looks this many days ahead.
DUE_DAYS = 14

dash.register_page(__name__, path="/", title="Overview · tracker", name="Overview", order=0)


def layout(**_query) -> html.Div:
    path = store_path()
    try:
        cards = data.overview_cards(path)
        due, overdue_total, upcoming_total = data.calendar(path, days=DUE_DAYS, limit=8)
        feed = data.release_feed(path, limit=8)
        events = data.events(path)
        newest = data.newest_release(path)
    except TrackerError as exc:
        return html.Div([page_header("Overview"), error_alert(exc, id=ids.OVERVIEW_ERROR)])
    chosen = (
        "Your watchlist"
        if cards and cards[0].chosen_by == "watchlist"
        else "The series with the newest releases (star series in the Explorer to choose your own)"
    )
    subtitle = (
        f"{chosen}, as now known · newest release {day_label(newest)}"
        if newest
        else "The store has no releases yet: run `tracker init` or append one on Releases."
    )
    return html.Div(
        [
            page_header("Overview", subtitle),
            dbc.Row(
                [
                    dbc.Col(indicator_card(card, i), xs=12, sm=6, lg=4, xl=3)
                    for i, card in enumerate(cards)
                ],
                id=ids.OVERVIEW_CARDS,
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        calendar_panel(due, overdue_total, upcoming_total, days=DUE_DAYS), lg=4
                    ),
                    dbc.Col(release_feed(feed), lg=4),
                    dbc.Col(event_timeline(events), lg=4),
                ],
                className="g-3 mt-1 mb-3",
            ),
        ]
    )


def indicator_card(card: data.Card, index: int) -> dbc.Card:
    """Latest value, change, sparkline, release and source of one indicator."""
    direction = "flat" if not card.change else ("up" if card.change > 0 else "down")
    badges = []
    if card.revised:
        label = "revised"
        tip = (
            "The newest outlook changed this forecast"
            if card.kind == "forecast"
            else "The newest release revised earlier values of this series"
        )
        badges.append(dbc.Badge(label, color="warning", text_color="dark", title=tip))
    if card.kind == "forecast":
        badges.append(dbc.Badge("forecast", color="info", className="ms-1"))
    if card.kind == "policy":
        badges.append(dbc.Badge("policy", color="secondary", className="ms-1"))
    if card.overdue:
        badges.append(
            dbc.Badge(
                "overdue",
                color="danger",
                className="ms-1",
                title="The next release is later than this series' publisher usually is",
            )
        )
    color = figures.PALETTE[index % len(figures.PALETTE)]
    arrow = {"up": "▲ ", "down": "▼ ", "flat": ""}[direction]
    released = f"{day_label(card.published_at)} · {card.source}"
    return dbc.Card(
        [
            dbc.CardBody(
                [
                    html.Div(card.name, className="card-name", title=card.series_id),
                    html.Div(
                        card.value_text,
                        className="card-value mt-1",
                        id={"type": ids.OVERVIEW_VALUE_TYPE, "series": card.series_id},
                    ),
                    html.Div(
                        [
                            html.Span(card.period_text, className="card-period"),
                            html.Span(badges, className="ms-auto text-nowrap"),
                        ],
                        className="d-flex align-items-center gap-2",
                    ),
                    html.Div(arrow + card.change_text, className=f"card-change change-{direction}"),
                    html.Div(
                        _expected(card),
                        className="card-expected small",
                        id={"type": ids.OVERVIEW_EXPECTED_TYPE, "series": card.series_id},
                    )
                    if card.expected_text
                    else None,
                    dcc.Graph(
                        figure=figures.sparkline(card.spark, kind=card.kind, color=color),
                        config={"staticPlot": True, "displayModeBar": False},
                        className="sparkline",
                        style={"height": "56px"},
                    ),
                    html.Div(
                        card.freshness or "",
                        className="card-freshness small"
                        + (" text-danger" if card.overdue else " text-body-secondary"),
                        id={"type": ids.OVERVIEW_FRESHNESS_TYPE, "series": card.series_id},
                    ),
                ]
            ),
            dbc.CardFooter(
                [
                    html.Span(
                        released,
                        className="text-truncate",
                        title=f"Released {released}",
                    ),
                    series_link(card.series_id, "Explore →", className="ms-auto text-nowrap"),
                ],
                className="d-flex gap-2 small text-body-secondary",
            ),
        ],
        className="h-100 indicator-card",
        id={"type": ids.OVERVIEW_CARD_TYPE, "series": card.series_id},
    )


def _expected(card: data.Card) -> list:
    """``expected −0.9% y/y``, and how far the outturn missed it."""
    parts: list = [card.expected_text]
    if card.surprise is not None and card.surprise != 0:
        word = "above" if card.surprise > 0 else "below"
        parts.append(html.Span(f" · {word} expectations", className="text-body-secondary"))
    return parts


def calendar_panel(due, overdue_total: int, upcoming_total: int, *, days: int) -> dbc.Card:
    """What is overdue (most recently late first) and what is due in the next ``days`` days."""
    items = []
    for r in due.iter_rows(named=True):
        if r["overdue"]:
            when = html.Span(
                f"overdue since {day_label(r['overdue_since'])}", className="text-danger"
            )
        else:
            until = r["days_until"]
            soon = "today" if until == 0 else ("tomorrow" if until == 1 else f"in {until} days")
            when = html.Span(f"due {day_label(r['expected_on'])} ({soon})")
        detail = (
            f"{r['basis_detail'] or r['basis']}; last release {day_label(r['last_published_at'])}"
        )
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(
                        [series_link(r["series_id"], r["name"], className="fw-semibold")],
                        className="text-truncate",
                        title=r["series_id"],
                    ),
                    html.Div([when, html.Span(" · " + detail)], className="small"),
                ]
            )
        )
    shown = len(items)
    total = overdue_total + upcoming_total
    if not items:
        items.append(
            dbc.ListGroupItem(
                f"Nothing is due in the next {days} days and nothing is late.",
                className="small text-body-secondary",
            )
        )
    summary = f"{overdue_total} overdue · {upcoming_total} due in {days} days"
    footer = (
        dbc.CardFooter(
            [
                f"{total - shown} more: ",
                html.Code(f"tracker calendar --days {days}"),
                " lists them all",
            ],
            className="small text-body-secondary",
        )
        if total > shown
        else None
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Upcoming and overdue", className="fw-semibold"),
                    html.Span(summary, className="ms-auto small text-body-secondary"),
                ],
                className="d-flex",
            ),
            dbc.ListGroup(items, flush=True, id=ids.OVERVIEW_CALENDAR),
            footer,
        ],
        className="h-100",
    )


def release_feed(feed) -> dbc.Card:
    items = []
    for r in feed.iter_rows(named=True):
        counts = [f"{r['rows_new']} new", f"{r['rows_revised']} revised"]
        if r["rows_deleted"]:
            counts.append(f"{r['rows_deleted']} deleted")
        if r["rows_unchanged"]:
            counts.append(f"{r['rows_unchanged']} unchanged")
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(
                        [
                            html.Span(day_label(r["published_at"]), className="feed-date"),
                            html.Span(r["source"], className="fw-semibold"),
                            dbc.Badge(
                                f"{r['rows_revised']} revised",
                                color="warning",
                                text_color="dark",
                                className="ms-auto",
                            )
                            if r["rows_revised"]
                            else None,
                        ],
                        className="d-flex gap-2 align-items-baseline",
                    ),
                    html.Div(r["title"] or "", className="small"),
                    html.Div(
                        [html.Span(" · ".join(counts), className="me-2")]
                        + [series_link(s, s, className="series-chip") for s in r["series_ids"]]
                        + (
                            [html.Span(f"+{r['series_count'] - len(r['series_ids'])} more")]
                            if r["series_count"] > len(r["series_ids"])
                            else []
                        ),
                        className="small text-body-secondary d-flex flex-wrap gap-1 mt-1",
                    ),
                ]
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Recent releases", className="fw-semibold"),
                    dcc.Link("All releases →", href="/releases", className="ms-auto small"),
                ],
                className="d-flex",
            ),
            dbc.ListGroup(items, flush=True, id=ids.OVERVIEW_FEED),
        ],
        className="h-100",
    )


def event_timeline(events) -> dbc.Card:
    items = []
    for r in events.sort("starts_on", descending=True).iter_rows(named=True):
        when = day_label(r["starts_on"])
        if r["ends_on"]:
            when += f" – {day_label(r['ends_on'])}"
        items.append(
            html.Li(
                [
                    html.Div(when, className="timeline-date"),
                    html.Div(r["title"], className="timeline-title"),
                    html.Div(r["description"] or "", className="timeline-text"),
                ],
                className="timeline-item",
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader(html.Span("Event timeline", className="fw-semibold")),
            dbc.CardBody(html.Ul(items, className="timeline", id=ids.OVERVIEW_EVENTS)),
        ],
        className="h-100",
    )
