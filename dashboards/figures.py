"""Pure figure builders: frames in, Plotly figure dicts out (no I/O, no Dash).

Plain dicts rather than ``go.Figure``: building and serialising a dict is ~30× cheaper, and these
run in hot callbacks. Text that comes from the store (series names, event titles) is escaped
before it reaches Plotly, whose labels understand a few HTML tags.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

import polars as pl

from dashboards.format import day_label, day_labels, period_labels, signed

if TYPE_CHECKING:
    from dash import dcc

PALETTE = (
    "#2563eb",  # blue
    "#dc2626",  # red
    "#059669",  # green
    "#d97706",  # amber
    "#7c3aed",  # violet
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#4b5563",  # slate
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: Plotly period of each catalogue frequency: values are drawn across the period they describe.
XPERIOD = {"M": "M1", "Q": "M3", "S": "M6", "A": "M12", "W": 7 * 24 * 3600 * 1000}
EVENT_AXIS = "y9"
GRAPH_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def text(value: object) -> str:
    """Store text made safe for Plotly labels (which render a few HTML tags)."""
    return html.escape("" if value is None else str(value), quote=False)


def colors(dark: bool) -> dict[str, str]:
    """Foreground, grid and hover colours of the light or dark theme."""
    if dark:
        return {
            "fg": "#dee2e6",
            "muted": "#adb5bd",
            "grid": "rgba(255,255,255,0.09)",
            "zero": "rgba(255,255,255,0.35)",
            "hover_bg": "#2b3035",
            "event": "rgba(173,181,189,0.75)",
            "regime": "248,113,113",
        }
    return {
        "fg": "#212529",
        "muted": "#6c757d",
        "grid": "rgba(0,0,0,0.07)",
        "zero": "rgba(0,0,0,0.30)",
        "hover_bg": "#ffffff",
        "event": "rgba(108,117,125,0.75)",
        "regime": "220,38,38",
    }


def base_layout(*, dark: bool = False, height: int | None = 460, title: str | None = None) -> dict:
    """The shared look: transparent background, system font, light grid."""
    c = colors(dark)
    axis = {
        "gridcolor": c["grid"],
        "zerolinecolor": c["zero"],
        "linecolor": c["grid"],
        "tickcolor": c["grid"],
        "automargin": True,
    }
    layout: dict[str, Any] = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 13, "color": c["fg"]},
        "margin": {"l": 56, "r": 24, "t": 48 if title else 16, "b": 40},
        "hovermode": "closest",
        "hoverlabel": {"bgcolor": c["hover_bg"], "font": {"color": c["fg"], "family": FONT}},
        "legend": {"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "uirevision": "keep",
    }
    if height:
        layout["height"] = height
    if title:
        layout["title"] = {"text": text(title), "x": 0, "xanchor": "left", "font": {"size": 15}}
    return layout


def number_format(values: list) -> str:
    """The d3 format of a trace's numbers, as the SQL macro ``display_number`` prints them: no
    decimals from 100 up, three significant digits below (a trace on both sides of 100 gets up
    to two decimals, never an exponent). Plotly formats each point in the browser."""
    sizes = [abs(v) for v in values if v is not None]
    if sizes and min(sizes) >= 100:
        return ",.0f"
    if not sizes or max(sizes) < 100:
        return ".3~g"
    return ",.2~f"


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    return value.isoformat()


@dataclass
class Points:
    """One trace's points, already in drawing order, with their hover fields."""

    x: list
    y: list
    #: Per point: period label, release, publication day (and the source when it varies).
    custom: list[tuple]
    #: The sources of the trace's points (one, when the release source never changes).
    sources: list[str]
    #: The d3 format of its values (`number_format`).
    number: str


_HOVER_FIELDS = ("_period_text", "_release_text", "_published_text")


def _points(
    frame: pl.DataFrame, meta: Mapping[str, Mapping], keys: list[str]
) -> dict[tuple, Points]:
    """Every trace's points, read in one pass over the frame (trace key -> points, in the order
    the series first appear).

    Only what changes from point to point travels with each point (period label, release,
    publication day): name, unit and source go once into the trace's hovertemplate and Plotly
    formats the value, ~30 bytes of JSON per point instead of ~75. The labels are Polars
    expressions over the whole frame, not a Python loop per point (or a frame per trace).
    """
    columns = frame.columns
    first_seen = {s: i for i, s in enumerate(frame["series_id"].unique(maintain_order=True))}
    end = pl.col("period_end") if "period_end" in columns else None
    by_frequency: dict[str, list[str]] = {}
    for series_id in first_seen:
        frequency = meta[series_id].get("frequency") or "irregular"
        by_frequency.setdefault(frequency, []).append(series_id)
    labels = None
    for frequency, series_ids in by_frequency.items():
        label = period_labels(frequency, pl.col("period"), end)
        labels = (
            label
            if labels is None
            else pl.when(pl.col("series_id").is_in(series_ids)).then(label).otherwise(labels)
        )
    release = (
        pl.col("release_id").cast(pl.String).fill_null("")
        if "release_id" in columns
        else pl.lit("")
    )
    published = (
        day_labels(pl.col("published_at")) if "published_at" in columns else pl.lit("—", pl.String)
    )
    source = pl.col("source") if "source" in columns else pl.lit(None, pl.String)
    x = (
        pl.col("period").cast(pl.String)
        if frame.schema["period"] == pl.Date
        else pl.col("period").map_elements(_iso, pl.String)
    )
    ordered = frame.sort(
        pl.col("series_id").replace_strict(first_seen, return_dtype=pl.Int64), *keys[1:], "period"
    ).select(
        *keys,
        x.alias("_x"),
        pl.col("value"),
        (labels if labels is not None else pl.lit("")).alias("_period_text"),
        release.alias("_release_text"),
        published.alias("_published_text"),
        source.alias("_source"),
    )
    summary = ordered.group_by(keys, maintain_order=True).agg(
        pl.len().alias("_n"),
        pl.col("_source").drop_nulls().unique(maintain_order=True).alias("_sources"),
        pl.col("value").abs().min().alias("_smallest"),
        pl.col("value").abs().max().alias("_largest"),
    )
    xs = ordered["_x"].to_list()
    ys = ordered["value"].to_list()
    custom = ordered.select(_HOVER_FIELDS).rows()
    sources = ordered["_source"].to_list()
    points: dict[tuple, Points] = {}
    offset = 0
    for row in summary.iter_rows(named=True):
        n = row["_n"]
        cut = slice(offset, offset + n)
        trace_custom = custom[cut]
        if len(row["_sources"]) > 1:
            trace_custom = [
                (*c, text(s or "")) for c, s in zip(trace_custom, sources[cut], strict=True)
            ]
        points[tuple(row[k] for k in keys)] = Points(
            x=xs[cut],
            y=ys[cut],
            custom=trace_custom,
            sources=row["_sources"],
            number=number_format([row["_smallest"], row["_largest"]]),
        )
        offset += n
    return points


def _unit_of(frame: pl.DataFrame, meta: Mapping[str, Mapping]) -> dict[str, str]:
    """Each series' unit: the frame's (a transform's) where it has one, else the catalogue's."""
    units = {}
    if "unit" in frame.columns:
        units = dict(
            frame.filter(pl.col("unit").is_not_null())
            .group_by("series_id")
            .agg(pl.col("unit").first())
            .iter_rows()
        )
    return {
        series_id: str(units.get(series_id) or meta[series_id].get("unit") or "")
        for series_id in frame["series_id"].unique(maintain_order=True)
    }


def hovertemplate(unit: str, points: Points) -> str:
    """Name, period, value with unit, release and publication day, source."""
    number = points.number
    if len(points.sources) > 1:
        source = "%{customdata[3]}"
    else:
        source = text(points.sources[0]) if points.sources else ""
    return (
        "<b>%{fullData.name}</b><br>"
        f"%{{customdata[0]}}: <b>%{{y:{number}}}</b> {text(unit)}<br>"
        "release %{customdata[1]}, published %{customdata[2]}<br>"
        f"{source}<extra></extra>"
    )


def series_trace(
    points: Points,
    info: Mapping,
    *,
    name: str,
    color: str,
    unit: str,
    yaxis: str = "y",
    until: date | None = None,
    width: float = 2.2,
    opacity: float = 1.0,
) -> dict:
    """One series as a trace: periods drawn as spans, policy levels as steps, forecasts dashed."""
    frequency = info.get("frequency") or "irregular"
    kind = info.get("kind") or "actual"
    x, y, custom = points.x, points.y, points.custom
    line: dict = {"color": color, "width": width}
    trace: dict = {
        "type": "scatter",
        "name": text(name),
        "x": x,
        "y": y,
        "customdata": custom,
        "hovertemplate": hovertemplate(unit, points),
        "yaxis": yaxis,
        "opacity": opacity,
        "connectgaps": False,
        "meta": {"series_id": info.get("series_id")},
    }
    if kind == "policy":
        line["shape"] = "hv"
        if until is not None and x and y and date.fromisoformat(x[-1][:10]) < until:
            # The last level stays in force until the end of the view.
            trace["x"] = [*x, until.isoformat()]
            trace["y"] = [*y, y[-1]]
            trace["customdata"] = [*custom, custom[-1]]
    elif frequency in XPERIOD:
        trace["xperiod"] = XPERIOD[frequency]
        trace["xperiodalignment"] = "middle"
    if kind == "forecast":
        line["dash"] = "dash"
    trace["line"] = line
    few = len(x) <= 60
    trace["mode"] = "lines+markers" if few else "lines"
    if few:
        trace["marker"] = {"size": 6 if kind != "policy" else 5, "color": color}
    return trace


def line_chart(
    frame: pl.DataFrame,
    meta: Mapping[str, Mapping],
    *,
    events: pl.DataFrame | None = None,
    regimes: pl.DataFrame | None = None,
    expectations: pl.DataFrame | None = None,
    log: bool = False,
    dark: bool = False,
    until: date | None = None,
    title: str | None = None,
    height: int = 480,
    x_range: tuple[str | None, str | None] | None = None,
) -> dict:
    """Series over time: one trace per series (or per vintage when ``vintage_id`` is present).

    Series with different units go on two y axes (the first two units); event markers are
    dotted vertical lines with a hoverable marker on top; policy regimes are shaded bands;
    ``expectations`` (`tracker.queries.expectations`: the consensus before each release) are
    open diamonds in the colour of their series.
    """
    c = colors(dark)
    layout = base_layout(dark=dark, height=height, title=title)
    traces: list[dict] = []
    vintaged = "vintage_id" in frame.columns
    keys = ["series_id", "vintage_id"] if vintaged else ["series_id"]
    points = _points(frame, meta, keys) if frame.height else {}
    units_of = _unit_of(frame, meta) if frame.height else {}
    units = list(dict.fromkeys(units_of.values()))
    axis_of = {u: ("y2" if i == 1 else "y") for i, u in enumerate(units)}
    by_series: dict[str, list[tuple]] = {}
    for key in points:
        by_series.setdefault(key[0], []).append(key)
    # Each series' colour, in the order drawn: its line and its expectation markers share it.
    colour_of = {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(by_series)}

    for series_id, trace_keys in by_series.items():
        info = {"series_id": series_id, **meta[series_id]}
        unit = units_of[series_id]
        if vintaged:
            vintages = sorted(trace_keys, key=lambda k: k[1])
            newest = vintages[-1][1] if vintages else None
            for order, key in enumerate(vintages):
                vintage_id = key[1]
                when = frame.filter(
                    (pl.col("series_id") == series_id) & (pl.col("vintage_id") == vintage_id)
                )["vintage"][0]
                is_newest = vintage_id == newest
                shade = _fade(PALETTE[0], (order + 1) / len(vintages))
                traces.append(
                    series_trace(
                        points[key],
                        info,
                        name=f"as of {day_label(when)} (release {vintage_id})",
                        color=PALETTE[0] if is_newest else shade,
                        unit=unit,
                        yaxis=axis_of[unit],
                        until=until,
                        width=2.6 if is_newest else 1.4,
                    )
                )
        else:
            traces.append(
                series_trace(
                    points[trace_keys[0]],
                    info,
                    name=str(meta[series_id].get("name") or series_id),
                    color=colour_of[series_id],
                    unit=unit,
                    yaxis=axis_of[unit],
                    until=until,
                )
            )

    if units:
        layout["yaxis"]["title"] = {"text": text(units[0]), "standoff": 8}
    if len(units) > 1:
        layout["yaxis2"] = {
            **base_layout(dark=dark)["yaxis"],
            "title": {"text": text(units[1]), "standoff": 8},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "tickmode": "auto",
        }
        layout["margin"]["r"] = 64
    if log:
        layout["yaxis"]["type"] = "log"
        if "yaxis2" in layout:
            layout["yaxis2"]["type"] = "log"
    if expectations is not None and expectations.height:
        for series_id, colour in colour_of.items():
            if series_id in units_of:
                trace = expectation_trace(
                    expectations.filter(pl.col("series_id") == series_id),
                    meta[series_id],
                    color=colour,
                    yaxis=axis_of[units_of[series_id]],
                )
                if trace is not None:
                    traces.append(trace)
    layout["xaxis"]["type"] = "date"
    if x_range and (x_range[0] or x_range[1]):
        layout["xaxis"]["range"] = [x_range[0] or None, x_range[1] or None]
    if len(traces) > 1:
        layout["showlegend"] = True
        layout["margin"]["b"] = 72

    start, end = _x_bounds(frame, until)
    shapes: list[dict] = []
    if regimes is not None and regimes.height and start is not None and end is not None:
        shapes.extend(_regime_shapes(regimes, start, end, c, meta))
    if events is not None and events.height and start is not None and end is not None:
        event_shapes, event_trace = _event_marks(events, start, end, c)
        shapes.extend(event_shapes)
        if event_trace:
            traces.append(event_trace)
            layout[_axis_key(EVENT_AXIS)] = {
                "overlaying": "y",
                "range": [0, 1],
                "visible": False,
                "fixedrange": True,
            }
    if shapes:
        layout["shapes"] = shapes
    return {"data": traces, "layout": layout}


def expectation_trace(
    expected: pl.DataFrame, info: Mapping, *, color: str, yaxis: str
) -> dict | None:
    """The consensus for each period of one series as open diamonds next to its line, with the
    poll's date and the surprise in the hover."""
    if expected.is_empty():
        return None
    frequency = info.get("frequency") or "irregular"
    rows = expected.sort("period").with_columns(
        period_labels(frequency, pl.col("period"), pl.col("period_end")).alias("label"),
        day_labels(pl.col("consensus_published_at")).alias("poll_day"),
    )
    unit = str(info.get("unit") or "")
    return {
        "type": "scatter",
        "mode": "markers",
        "name": f"{info.get('name') or ''}: expected",
        "x": rows["period"].cast(pl.String).to_list(),
        "y": rows["consensus"].to_list(),
        "customdata": list(
            zip(rows["label"], rows["poll_day"], rows["actual"], rows["surprise"], strict=True)
        ),
        "marker": {"symbol": "diamond-open", "size": 9, "color": color, "line": {"width": 2}},
        "yaxis": yaxis,
        "hovertemplate": (
            "<b>%{customdata[0]}: expected %{y}" + (f" {unit}" if unit else "") + "</b><br>"
            "poll published %{customdata[1]}<br>"
            "actual %{customdata[2]}, surprise %{customdata[3]:+}<extra></extra>"
        ),
    }


def _axis_key(axis: str) -> str:
    return "yaxis" + axis[1:]


def _fade(color: str, strength: float) -> str:
    """``color`` mixed with grey: older vintages recede."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    grey = 160
    mix = 0.25 + 0.6 * strength
    return "#" + "".join(f"{round(grey + (v - grey) * mix):02x}" for v in (r, g, b))


def _x_bounds(frame: pl.DataFrame, until: date | None) -> tuple[date | None, date | None]:
    if frame.is_empty():
        return None, None
    # Date columns: polars types their min and max as any Python value.
    start = cast(date | None, frame["period"].min())
    ends = frame["period_end"] if "period_end" in frame.columns else frame["period"]
    highs = (cast(date | None, ends.max()), cast(date | None, frame["period"].max()), until)
    end = max(x for x in highs if x is not None)
    return start, end


def _event_marks(
    events: pl.DataFrame, start: date, end: date, c: dict
) -> tuple[list[dict], dict | None]:
    shown = events.filter((pl.col("starts_on") >= start) & (pl.col("starts_on") <= end))
    shapes = []
    xs, hover = [], []
    for r in shown.iter_rows(named=True):
        x = r["starts_on"].isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": c["event"], "width": 1, "dash": "dot"},
                "layer": "below",
            }
        )
        if r.get("ends_on") and r["ends_on"] > r["starts_on"]:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": x,
                    "x1": r["ends_on"].isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": c["event"],
                    "opacity": 0.12,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        when = day_label(r["starts_on"])
        if r.get("ends_on"):
            when += f" – {day_label(r['ends_on'])}"
        description = _wrap(text(r.get("description") or ""), 70)
        hover.append(
            f"<b>{text(r['title'])}</b><br>{when}" + (f"<br>{description}" if description else "")
        )
        xs.append(x)
    if not xs:
        return shapes, None
    trace = {
        "type": "scatter",
        "name": "Events",
        "x": xs,
        "y": [0.985] * len(xs),
        "yaxis": EVENT_AXIS,
        "mode": "markers",
        "marker": {"symbol": "triangle-down", "size": 11, "color": c["event"]},
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }
    return shapes, trace


def _wrap(value: str, width: int) -> str:
    words, lines, line = value.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines[:6]) + ("…" if len(lines) > 6 else "")


def _regime_shapes(
    regimes: pl.DataFrame, start: date, end: date, c: dict, meta: Mapping[str, Mapping]
) -> list[dict]:
    """Shaded bands, darker for higher levels, labelled when wide enough to read."""
    shapes = []
    span = max((end - start).days, 1)
    peak = max((abs(v) for v in regimes["value"].drop_nulls().to_list()), default=0) or 1
    for r in regimes.iter_rows(named=True):
        lo = r["effective_from"]
        hi = r["effective_to"] or end
        if hi < start or lo > end or r["value"] is None:
            continue
        strength = abs(r["value"]) / peak
        shape = {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": lo.isoformat(),
            "x1": hi.isoformat(),
            "y0": 0,
            "y1": 1,
            "fillcolor": f"rgba({c['regime']},{0.03 + 0.16 * strength:.3f})",
            "line": {"width": 0},
            "layer": "below",
        }
        if (min(hi, end) - max(lo, start)).days >= span * 0.08:
            unit = r.get("unit") or meta.get(r["series_id"], {}).get("unit", "")
            shape["label"] = {
                "text": text(f"{r['value_text']}{unit if unit == '%' else ' ' + unit}"),
                "textposition": "bottom center",
                "font": {"size": 10, "color": c["muted"]},
            }
        shapes.append(shape)
    return shapes


def sparkline(frame: pl.DataFrame, *, kind: str = "actual", color: str = PALETTE[0]) -> dict:
    """A small axis-free line of recent values; steps for policy levels, dashes for forecasts."""
    x = [_iso(p) for p in frame["period"]]
    y = frame["value"].to_list()
    line: dict = {"color": color, "width": 2}
    if kind == "policy":
        line["shape"] = "hv"
    if kind == "forecast":
        line["dash"] = "dot"
    axis = {"visible": False, "fixedrange": True}
    return {
        "data": [
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines",
                "line": line,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": x[-1:],
                "y": y[-1:],
                "mode": "markers",
                "marker": {"color": color, "size": 6},
                "hoverinfo": "skip",
            },
        ],
        "layout": {
            "height": 56,
            "margin": {"l": 2, "r": 6, "t": 6, "b": 6},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "xaxis": axis,
            "yaxis": axis,
            "showlegend": False,
        },
    }


def forecast_evolution(frame: pl.DataFrame, *, target: int, dark: bool = False) -> dict:
    """Forecasts for one target year by publication date: a step per outlook, labelled.

    One trace per series, in the frame's order of series; the y axis names the series' unit.
    """
    layout = base_layout(dark=dark, height=420)
    c = colors(dark)
    traces = []
    units = []
    for index, series_id in enumerate(dict.fromkeys(frame["series_id"].to_list())):
        part = frame.filter(pl.col("series_id") == series_id).sort("published_at")
        color = PALETTE[index % len(PALETTE)]
        unit = part["unit"][0] if "unit" in part.columns else ""
        units.append(unit)
        name = part["name"][0] if "name" in part.columns else series_id
        values = part["value"].to_list()
        number = number_format(values)
        head = (
            f"<b>%{{fullData.name}}</b><br>{target} forecast published %{{customdata[0]}}: "
            f"<b>%{{y:{number}}}</b> {text(unit)}<br>"
        )
        revised = head + f"revision %{{customdata[2]:+{number}}} · release %{{customdata[1]}}"
        first = head + "first forecast · release %{customdata[1]}"
        traces.append(
            {
                "type": "scatter",
                "name": text(name),
                "x": [_iso(p) for p in part["published_at"]],
                "y": values,
                "mode": "lines+markers+text",
                "texttemplate": f"%{{y:{number}}}",
                "textposition": "top center",
                "textfont": {"color": color, "size": 12},
                "line": {"color": color, "width": 2.4, "shape": "hv"},
                "marker": {"size": 8, "color": color},
                "customdata": [
                    [day_label(r["published_at"]), str(r["release_id"]), r.get("revision")]
                    for r in part.iter_rows(named=True)
                ],
                "hovertemplate": [
                    (first if r is None else revised) + "<extra></extra>"
                    for r in part["revision"].to_list()
                ]
                if "revision" in part.columns
                else first + "<extra></extra>",
                "meta": {"series_id": series_id},
            }
        )
        if "actual_value" in part.columns:
            actual = part["actual_value"].drop_nulls()
            if len(actual):
                traces.append(
                    {
                        "type": "scatter",
                        "name": text(f"{name}: outturn"),
                        "x": [
                            _iso(cast(datetime, part["published_at"].min())),
                            _iso(cast(datetime, part["published_at"].max())),
                        ],
                        "y": [actual[-1], actual[-1]],
                        "mode": "lines",
                        "line": {"color": color, "width": 1.5, "dash": "dot"},
                        "hoverinfo": "name+y",
                    }
                )
    shown_units = list(dict.fromkeys(u for u in units if u))
    axis_unit = f", {text(' / '.join(shown_units))}" if shown_units else ""
    layout["yaxis"]["title"] = {"text": f"{target} forecast{axis_unit}"}
    layout["xaxis"]["title"] = {"text": "publication date"}
    layout["xaxis"]["type"] = "date"
    layout["showlegend"] = True
    layout["margin"]["b"] = 80
    layout["legend"]["y"] = -0.22
    drawn = frame["value"].drop_nulls()
    if len(drawn):
        low, high = cast(float, drawn.min()), cast(float, drawn.max())  # a Float64 column
        pad = max((high - low) * 0.25, 0.15)
        layout["yaxis"]["range"] = [low - pad, high + pad]
    layout["font"]["color"] = c["fg"]
    return {"data": traces, "layout": layout}


#: Rows (periods) a revision heatmap is drawn for at most, ~28 px each: longer series are shown
#: a window of periods at a time (`tracker.queries.revision_window`).
HEATMAP_ROWS = 12
#: Releases (columns) up to which each cell is labelled with its value.
HEATMAP_LABELLED_COLUMNS = 8


def revision_heatmap(
    frame: pl.DataFrame, *, frequency: str, unit: str = "", dark: bool = False
) -> dict:
    """The revision triangle: periods down, releases across, the value known at each cell.

    ``frame`` is a window of `tracker.queries.revision_window`: its ``value_text`` and
    ``revision_text`` are the numbers as ``display_number`` prints them. The height follows the
    rows, so a window of `HEATMAP_ROWS` periods keeps it readable.
    """
    layout = base_layout(dark=dark, height=max(320, 28 * frame["period"].n_unique() + 140))
    releases = frame.select("release_id", "published_at").unique().sort("release_id")
    periods = frame.select("period", "period_end").unique("period").sort("period")
    x_labels = [
        f"{day_label(r['published_at'])} (#{r['release_id']})"
        for r in releases.iter_rows(named=True)
    ]
    y_labels = (
        periods.select(period_labels(frequency, pl.col("period"), pl.col("period_end")))
        .to_series()
        .to_list()
    )
    col = {rid: i for i, rid in enumerate(releases["release_id"].to_list())}
    row = {p: i for i, p in enumerate(periods["period"].to_list())}
    labels = [[""] * len(col) for _ in row]
    hover = [[""] * len(col) for _ in row]
    # Colour = revision since first publication (0 = white), text = the value then known.
    colour: list[list[float | None]] = [[None] * len(col) for _ in row]
    for r in frame.iter_rows(named=True):
        i, j = row[r["period"]], col[r["release_id"]]
        since = r.get("revision_since_first")
        labels[i][j] = r["value_text"]
        colour[i][j] = since or 0.0
        note = ""
        if since not in (None, 0, 0.0):
            moved = signed(r["revision_text"], since)
            note = (
                f"<br>revised here; {moved} since first published"
                if r.get("changed")
                else f"<br>{moved} since first published"
            )
        hover[i][j] = (
            f"{y_labels[i]} as published {x_labels[j]}: <b>{r['value_text']}</b> {text(unit)}{note}"
        )
    spread = max((abs(v) for line in colour for v in line if v is not None), default=0) or 1
    trace = {
        "type": "heatmap",
        "x": x_labels,
        "y": y_labels,
        "z": colour,
        "zmin": -spread,
        "zmax": spread,
        "text": labels,
        # Values in the cells while they fit; with many releases the hover says them.
        "texttemplate": "%{text}" if len(col) <= HEATMAP_LABELLED_COLUMNS else "",
        "textfont": {"size": 12},
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "colorscale": "RdBu",
        "showscale": True,
        "colorbar": {
            "title": {"text": "revision since<br>first release", "side": "right"},
            "thickness": 12,
        },
        "xgap": 2,
        "ygap": 2,
    }
    layout["xaxis"].update({"type": "category", "tickangle": -35, "title": {"text": "release"}})
    layout["yaxis"].update({"type": "category", "title": {"text": "period"}})
    layout["margin"]["b"] = 110
    return {"data": [trace], "layout": layout}
