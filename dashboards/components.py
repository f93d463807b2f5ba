"""Small layout pieces shared by the pages."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboards import ids
from tracker.errors import TrackerError


def page_header(title: str, subtitle: str | None = None, *, actions=None) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H1(title, className="page-title"),
                    html.P(subtitle, className="page-subtitle") if subtitle else None,
                ]
            ),
            html.Div(actions, className="ms-md-auto") if actions else None,
        ],
        className="d-flex flex-column flex-md-row align-items-md-end gap-2 mb-3",
    )


def error_alert(error: TrackerError | str, *, id: str | dict | None = None) -> dbc.Alert:
    """A TrackerError as a visible alert, one line per problem (rendered as text)."""
    message = error.message if isinstance(error, TrackerError) else str(error)
    lines = [line for line in message.splitlines() if line.strip()] or [message]
    body = [html.Div(line, className="error-line") for line in lines]
    kwargs = {"id": id} if id is not None else {}
    return dbc.Alert(body, color="danger", className="error-alert", **kwargs)


def needs_role(what: str, role: str, *, id: str) -> dbc.Alert:
    """What this session may not do here, and which role it takes (`tracker users role`)."""
    return dbc.Alert(
        f"{what} needs the {role} role; an administrator can grant it with "
        f"`tracker users role NAME {role}`.",
        color="secondary",
        id=id,
    )


def series_link(series_id: str, label: str, *, className: str = "") -> dcc.Link:
    return dcc.Link(
        label,
        href="/explore?" + urlencode({"series": series_id}, safe=","),
        className=className,
        title=f"Open {series_id} in the Explorer",
    )


def help_text(*children, className: str = "") -> html.Div:
    return html.Div(children, className=f"form-text {className}".strip())


def theme_store(page: str) -> dict:
    """The id of a page's copy of the theme ("light" or "dark").

    Callbacks of one page take the theme from their own page, never from the shell's
    ``app-theme`` store: an input that exists on every page would fire them on pages where
    their outputs do not exist. The shell copies the theme into every ``page-theme`` store.
    """
    return {"type": ids.PAGE_THEME_TYPE, "page": page}


def theme_holder(page: str) -> dcc.Store:
    return dcc.Store(id=theme_store(page))
