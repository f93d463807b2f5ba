"""The dashboard's data readers and figure builders, on a real seeded store, without a browser."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
import pytest

from dashboards import downsample, figures, grids, upload
from dashboards import format as fmt
from dashboards.pages import explore_data, overview_data
from dashboards.pages import sql_console as sql_page
from dashboards.state import ExploreState
from tracker import db, queries
from tracker.errors import TransformError, ValidationError
from tracker.paths import ROOT

DATA = ROOT / "data"


def trace_named(figure: dict, series_id: str) -> dict:
    matches = [t for t in figure["data"] if (t.get("meta") or {}).get("series_id") == series_id]
    assert len(matches) == 1, [t.get("name") for t in figure["data"]]
    return matches[0]


def value_at(trace: dict, x: str) -> float:
    return trace["y"][trace["x"].index(x)]


def hover_text(trace: dict, x: str) -> str:
    """What Plotly shows when hovering the point at ``x``: the trace's hovertemplate filled in."""
    index = trace["x"].index(x)
    custom = trace["customdata"][index]

    def field(match: re.Match) -> str:
        name, number = match.group(1), match.group(2)
        if name == "fullData.name":
            return trace["name"]
        if name == "y":
            value = trace["y"][index]
            # The d3 formats the figures use (figures.number_format).
            if number == ",.0f":
                return f"{value:,.0f}"
            if number == ".3~g":
                return f"{value:.3g}"
            assert number == ",.2~f", number
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return str(custom[int(re.fullmatch(r"customdata\[(\d+)\]", name).group(1))])

    filled = re.sub(r"%\{([^}:]+)(?::([^}]*))?\}", field, trace["hovertemplate"])
    return filled.removesuffix("<extra></extra>")


def draw(path: Path, **state) -> tuple[explore_data.Drawn, dict]:
    explore_state = ExploreState(**state)
    drawn = explore_data.explore(path, explore_state)
    figure = figures.line_chart(
        drawn.frame, drawn.meta, events=drawn.events, regimes=drawn.regimes, until=drawn.until
    )
    return drawn, figure


# Overview ------------------------------------------------------------------------------------


#: The Overview as seen a few days after the May 2025 customs release.
JUNE_2025 = date(2025, 6, 20)


def test_overview_card_reads_china_exports_for_may_2025(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=JUNE_2025)}

    result = cards["CHN.EXPORTS.YOY"]

    assert result.value == 4.8
    assert result.period == date(2025, 5, 1)
    assert result.value_text == "+4.8% y/y"
    assert result.period_text == "May 2025"
    assert result.change_text == "−3.3 pp vs Apr 2025"
    assert result.published_at == datetime(2025, 6, 9)
    assert result.source == "China customs (GAC)"
    assert result.revised is False
    assert result.spark["value"].to_list()[-2:] == [8.1, 4.8]


def test_overview_imports_card_says_what_was_expected(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=JUNE_2025)}

    result = cards["CHN.IMPORTS.YOY"]

    assert (result.value_text, result.expected_text) == ("−3.4% y/y", "expected −0.9% y/y")
    assert result.surprise == pytest.approx(-2.5)
    assert result.freshness == "last release 9 Jun 2025, monthly: next expected 10 Jul 2025"
    assert result.overdue is False


def test_overview_card_says_when_a_series_is_overdue(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=date(2025, 8, 1))}

    result = cards["CHN.EXPORTS.YOY"]

    assert result.overdue is True
    assert result.freshness.startswith("last release 9 Jun 2025, monthly: overdue since")


def test_overview_cards_are_the_seed_watchlist_in_order(seeded: Path):
    result = [c.series_id for c in overview_data.overview_cards(seeded, today=JUNE_2025)]

    watchlist = (DATA / "watchlist.csv").read_text().split()[1:]
    assert result == watchlist
    assert {c.chosen_by for c in overview_data.overview_cards(seeded)} == {"watchlist"}


def test_overview_forecast_card_shows_the_2025_target_and_its_revision(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=JUNE_2025)}

    result = cards["WLD.GDP.OECD_FCST"]

    assert result.value == 2.9
    assert result.period_text == "2025 forecast"
    assert result.change == pytest.approx(-0.2)
    assert result.change_text == "−0.2 pp vs Mar 2025 outlook"
    assert result.revised is True
    assert result.spark["value"].to_list() == [3.2, 3.3, 3.1, 2.9]


def test_overview_forecast_card_moves_to_the_current_year(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=date(2026, 3, 1))}

    result = cards["WLD.GDP.OECD_FCST"]

    assert result.period_text == "2026 forecast"


def test_overview_policy_card_shows_the_level_in_force(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=JUNE_2025)}

    result = cards["USA.TARIFF.CHN"]

    assert (result.value_text, result.period_text) == ("30%", "since 14 May 2025")
    assert result.change_text == "−115 pp from 145%"


def test_overview_calendar_lists_what_is_late_first(seeded: Path):
    rows, overdue, upcoming = overview_data.calendar(seeded, today=date(2025, 8, 1), limit=50)

    late = rows.filter(pl.col("overdue"))["series_id"].to_list()
    assert "CHN.EXPORTS.YOY" in late and "CHN.TRADE_BALANCE.USD" in late
    assert rows["overdue"].to_list() == sorted(rows["overdue"].to_list(), reverse=True)
    assert overdue == len(late)
    assert upcoming == rows.height - overdue


def test_release_feed_says_what_the_newest_release_changed(seeded: Path):
    result = overview_data.release_feed(seeded, limit=2).row(0, named=True)

    assert result["published_at"] == datetime(2025, 6, 9)
    assert result["rows_new"] == 5
    assert result["rows_revised"] == 0
    assert "CHN.EXPORTS.YOY" in result["series_ids"]


@pytest.mark.parametrize(
    ("value", "unit", "kind", "expected"),
    [
        (4.8, "% y/y", "growth_yoy", "+4.8% y/y"),
        (-34.5, "% y/y", "growth_yoy", "−34.5% y/y"),
        (145.0, "%", "rate", "145%"),
        (270000.0, "t REO", "level", "270,000 t REO"),
        (-295.4, "US$ bn", "level", "−295 US$ bn"),
        (0.125, "%", "share", "0.125%"),
        (None, "%", "rate", "n/a"),
    ],
)
def test_a_reading_is_display_number_with_sign_and_unit(store: Path, value, unit, kind, expected):
    """The number is the SQL macro's (display_number, the one definition); the dashboard adds
    the sign and the unit."""
    with db.connect(store, read_only=True) as con:
        text = con.execute("SELECT display_number(abs($1::DOUBLE))", [value]).fetchall()[0][0]

    assert fmt.reading(text, value, unit, kind) == expected


def test_a_change_is_signed_and_in_percentage_points():
    assert fmt.change("3.3", -3.3, "% y/y") == "−3.3 pp"
    assert fmt.change("0", 0.0, "%") == "±0 pp"
    assert fmt.change("12", 12.0, "US$ bn") == "+12 US$ bn"
    assert fmt.change("n/a", None, "%") == "n/a"


def test_the_dashboard_has_no_number_formatter_of_its_own():
    """Numbers shown as text come from display_number (SQL); chart points use d3 formats. The
    figures and the pages format no value in Python (counts, sizes and timings aside)."""
    sources = [ROOT / "dashboards" / "figures.py", ROOT / "dashboards" / "format.py"]
    sources += sorted((ROOT / "dashboards" / "pages").glob("*.py"))
    source = "\n".join(p.read_text() for p in sources)
    value_formats = re.findall(r"\{[^{}]*value[^{}]*:[^{}]*\.\d+[fg]\}", source)

    assert value_formats == []
    for name in ("def _number", "def format_value", "def format_change", "def _signed"):
        assert name not in source
    assert not (ROOT / "dashboards" / "data.py").exists()


def test_period_labels_follow_the_frequency():
    assert fmt.period_label(date(2025, 1, 1), date(2025, 2, 28), "M") == "Jan–Feb 2025"
    assert fmt.period_label(date(2025, 4, 1), date(2025, 6, 30), "Q") == "2025 Q2"
    assert fmt.period_label(date(2025, 1, 1), date(2025, 12, 31), "A") == "2025"
    assert fmt.period_label(date(2025, 5, 14), None, "irregular") == "14 May 2025"
    assert fmt.period_label(date(2024, 12, 1), date(2025, 1, 31), "M") == "Dec 2024–Jan 2025"
    assert fmt.period_label(date(2025, 5, 1), None, "M") == "May 2025"
    assert fmt.period_label(date(2025, 7, 1), date(2025, 12, 31), "S") == "2025 H2"
    assert fmt.period_label(date(2025, 5, 12), date(2025, 5, 18), "W") == "2025-W20"
    assert fmt.period_label(date(2024, 12, 30), None, "W") == "2025-W01"  # ISO year
    assert fmt.period_label(date(2025, 5, 2), None, "D") == "2 May 2025"


# Explorer ------------------------------------------------------------------------------------


def test_policy_series_is_drawn_as_steps_until_the_newest_release(seeded: Path):
    _, figure = draw(seeded, series=("USA.TARIFF.CHN",))

    result = trace_named(figure, "USA.TARIFF.CHN")

    assert result["line"]["shape"] == "hv"
    assert "xperiod" not in result
    assert value_at(result, "2025-04-10") == 145.0
    # The 30% in force since 14 May is held to the newest release in the store (9 June 2025).
    assert result["x"][-1] == "2025-06-09"
    assert result["y"][-1] == 30.0


def test_monthly_values_are_drawn_as_periods(seeded: Path):
    _, figure = draw(seeded, series=("CHN.EXPORTS.YOY",))

    result = trace_named(figure, "CHN.EXPORTS.YOY")

    assert result["xperiod"] == "M1"
    assert result["xperiodalignment"] == "middle"
    assert value_at(result, "2025-05-01") == 4.8
    assert "dash" not in result["line"]


def test_forecast_series_are_dashed(seeded: Path):
    _, figure = draw(seeded, series=("WLD.GDP.OECD_FCST",))

    result = trace_named(figure, "WLD.GDP.OECD_FCST")

    assert result["line"]["dash"] == "dash"
    assert result["xperiod"] == "M12"


def test_as_of_redraws_the_oecd_2025_forecast_as_known_then(seeded: Path):
    _, now = draw(seeded, series=("WLD.GDP.OECD_FCST",))
    _, then = draw(seeded, series=("WLD.GDP.OECD_FCST",), as_of="2025-05-01")

    assert value_at(trace_named(now, "WLD.GDP.OECD_FCST"), "2025-01-01") == 2.9
    assert value_at(trace_named(then, "WLD.GDP.OECD_FCST"), "2025-01-01") == 3.1


def test_hover_names_value_unit_period_release_and_source(seeded: Path):
    _, figure = draw(seeded, series=("CHN.EXPORTS.YOY",))
    trace = trace_named(figure, "CHN.EXPORTS.YOY")

    result = hover_text(trace, "2025-05-01")

    may = seed_release(seeded, "gac-2025-06-09")
    assert result == (
        "<b>China goods exports, y/y (USD)</b><br>May 2025: <b>4.8</b> % y/y<br>"
        f"release {may}, published 9 Jun 2025<br>China customs (GAC)"
    )
    # Only what changes per point travels with each point; name, unit and source once.
    per_point = trace["customdata"][trace["x"].index("2025-05-01")]
    assert list(per_point) == ["May 2025", str(may), "9 Jun 2025"]


def test_two_units_get_two_axes(seeded: Path):
    _, figure = draw(seeded, series=("CHN.EXPORTS.YOY", "USA.TARIFF.CHN"))

    assert trace_named(figure, "CHN.EXPORTS.YOY")["yaxis"] == "y"
    assert trace_named(figure, "USA.TARIFF.CHN")["yaxis"] == "y2"
    assert figure["layout"]["yaxis"]["title"]["text"] == "% y/y"
    assert figure["layout"]["yaxis2"]["title"]["text"] == "%"


def test_events_are_markers_and_regimes_are_shaded(seeded: Path):
    drawn, figure = draw(seeded, series=("USA.TARIFF.CHN",))

    events = [t for t in figure["data"] if t["name"] == "Events"]
    rects = [
        s
        for s in figure["layout"]["shapes"]
        if s["type"] == "rect" and s["fillcolor"].startswith("rgba(220,38,38")
    ]
    assert len(events) == 1
    assert "2025-04-02" in events[0]["x"]
    assert any("Liberation Day" in h for h in events[0]["hovertext"])
    assert drawn.regimes["value"].to_list() == [10.0, 20.0, 104.0, 145.0, 30.0]
    assert [(r["x0"], r["x1"]) for r in rects][3] == ("2025-04-10", "2025-05-13")


def test_events_and_regimes_can_be_switched_off(seeded: Path):
    _, figure = draw(seeded, series=("USA.TARIFF.CHN",), events=False, regimes=False)

    assert [t["name"] for t in figure["data"]] == ["US additional tariff on Chinese goods (total)"]
    assert "shapes" not in figure["layout"]


def test_log_scale_sets_the_axis_type(seeded: Path):
    drawn = explore_data.explore(seeded, ExploreState(series=("USA.IMPORTS.CHN.USD",)))

    result = figures.line_chart(drawn.frame, drawn.meta, log=True)

    assert result["layout"]["yaxis"]["type"] == "log"


def test_transform_comes_from_the_sql_macro(seeded: Path):
    drawn, figure = draw(seeded, series=("CHN.EXPORTS.YOY",), transform="chg")

    result = trace_named(figure, "CHN.EXPORTS.YOY")

    assert value_at(result, "2025-05-01") == pytest.approx(4.8 - 8.1)
    assert drawn.frame["unit"].drop_nulls()[0] != "% y/y"
    may = drawn.frame.filter(pl.col("period") == date(2025, 5, 1)).row(0, named=True)
    assert (may["release_id"], may["source"]) == (65, "China customs (GAC)")


def test_rebase_makes_an_index_from_the_sql_macro(seeded: Path):
    _, figure = draw(seeded, series=("CHN.RAREEARTH.MINE",), rebase="2023")

    result = trace_named(figure, "CHN.RAREEARTH.MINE")

    assert value_at(result, "2023-01-01") == 100.0
    assert value_at(result, "2024-01-01") == pytest.approx(112.5)
    assert figure["layout"]["yaxis"]["title"]["text"] == "index, 2023 = 100"


def test_aggregation_draws_quarters_with_their_newest_release(seeded: Path):
    drawn, figure = draw(seeded, series=("CHN.EXPORTS.YOY",), freq="Q", agg="avg")

    result = trace_named(figure, "CHN.EXPORTS.YOY")

    assert result["xperiod"] == "M3"
    assert value_at(result, "2024-01-01") == pytest.approx((2 * 7.1 - 7.5) / 3)
    q1 = drawn.frame.filter(pl.col("period") == date(2025, 1, 1)).row(0, named=True)
    # March 2025 completes the quarter
    assert q1["release_id"] == seed_release(seeded, "gac-2025-04-14")


def test_refused_transform_raises_with_the_reason(seeded: Path):
    with pytest.raises(TransformError) as caught:
        explore_data.explore(seeded, ExploreState(series=("CHN.EXPORTS.YOY",), transform="pc1"))

    assert "already a growth rate" in caught.value.message
    assert "use ch1" in caught.value.message


def test_transform_choices_grey_out_what_does_not_apply(seeded: Path):
    result = explore_data.transform_choices(seeded, ["CHN.EXPORTS.YOY", "USA.IMPORTS.CHN.USD"])

    assert result["lin"] is None
    assert result["ch1"] is None
    assert "CHN.EXPORTS.YOY is already a growth rate" in result["pc1"]
    assert explore_data.transform_choices(seeded, ["USA.IMPORTS.CHN.USD"])["pc1"] is None


def test_vintages_overlay_draws_one_trace_per_release(seeded: Path):
    _, figure = draw(seeded, series=("WLD.GDP.OECD_FCST",), vintages=True, events=False)

    result = [t for t in figure["data"] if t["name"].startswith("as of")]

    ids = [
        seed_release(seeded, key)
        for key in ("oecd-interim-2024-09", "oecd-eo116", "oecd-interim-2025-03", "oecd-eo117")
    ]
    assert [t["name"] for t in result] == [
        f"as of 25 Sep 2024 (release {ids[0]})",
        f"as of 4 Dec 2024 (release {ids[1]})",
        f"as of 17 Mar 2025 (release {ids[2]})",
        f"as of 3 Jun 2025 (release {ids[3]})",
    ]
    assert [value_at(t, "2025-01-01") for t in result] == [3.2, 3.3, 3.1, 2.9]
    assert all(t["line"]["dash"] == "dash" for t in result)


def test_store_text_is_escaped_in_figures(seeded: Path):
    frame = pl.DataFrame(
        {"series_id": ["X"], "period": [date(2025, 1, 1)], "value": [1.0]},
    )
    meta = {"X": {"name": "<img src=x onerror=alert(1)>", "unit": "%", "frequency": "M"}}

    result = figures.line_chart(frame, meta)

    assert result["data"][0]["name"] == "&lt;img src=x onerror=alert(1)&gt;"


def test_explore_state_round_trips_through_the_query_string():
    state = ExploreState(
        series=("CHN.EXPORTS.YOY", "USA.TARIFF.CHN"),
        transform="chg",
        freq="Q",
        agg="eop",
        as_of="2025-05-01",
        start="2024-06-01",
        end="2025-06-30",
        log=True,
        events=False,
        vintages=True,
    )
    query = {k: v[0] for k, v in parse_qs(state.to_query()).items()}

    result = ExploreState.from_query(query)

    assert result == state
    assert query["series"] == "CHN.EXPORTS.YOY,USA.TARIFF.CHN"
    assert query["as_of"] == "2025-05-01"


def test_explore_state_ignores_unknown_values():
    result = ExploreState.from_query({"transform": "bogus", "as_of": "yesterday"})

    assert (result.transform, result.as_of) == ("lin", None)


def test_download_has_every_drawn_row_with_provenance(seeded: Path):
    state = ExploreState(series=("CHN.EXPORTS.YOY",), as_of="2025-05-01")
    drawn = explore_data.explore(seeded, state, max_points=None)

    result = explore_data.download_frame(drawn, state)

    assert {"release_id", "published_at", "source", "url", "unit", "as_of"} <= set(result.columns)
    assert result.height == 13  # Jan–Feb 2024 .. Apr 2025 as known on 1 May 2025
    last = result.sort("period").row(-1, named=True)
    march = seed_release(seeded, "gac-2025-04-14")
    assert (last["period"], last["value"], last["release_id"]) == (date(2025, 3, 1), 12.4, march)


def test_downsampling_keeps_extremes_and_bounds_points(seeded: Path):
    days = 10_000
    start = date(2000, 1, 1)
    values = [float(i % 97) for i in range(days)]
    values[5000] = 1e6
    values[7000] = -1e6
    frame = pl.DataFrame(
        {
            "series_id": ["LONG"] * days,
            "period": [start + timedelta(days=i) for i in range(days)],
            "value": values,
        }
    )
    result, dropped = downsample.downsample(frame, max_points=500)
    short, short_dropped = downsample.downsample(frame.head(300), max_points=500)

    assert dropped is True
    assert result.height <= 500
    assert result["value"].max() == 1e6
    assert result["value"].min() == -1e6
    assert result["period"].is_sorted()
    assert (short.height, short_dropped) == (300, False)


def test_readers_leave_the_store_free_for_a_writer(seeded: Path):
    explore_data.explore(seeded, ExploreState())
    overview_data.overview_cards(seeded)

    with db.connect(seeded, retry_seconds=0) as result:
        assert result.execute("SELECT count(*) FROM releases").fetchone()[0] == 65


# Revisions -----------------------------------------------------------------------------------

FORECASTS = ["WLD.GDP.IMF_FCST", "WLD.GDP.OECD_FCST"]


def test_forecast_evolution_figure_for_2025(seeded: Path):
    with db.connect(seeded, read_only=True) as con:
        frame = queries.forecast_paths(con, FORECASTS, target_year=2025)

    result = figures.forecast_evolution(frame, target=2025)

    assert trace_named(result, "WLD.GDP.OECD_FCST")["y"] == [3.2, 3.3, 3.1, 2.9]
    assert trace_named(result, "WLD.GDP.OECD_FCST")["line"]["shape"] == "hv"
    assert trace_named(result, "WLD.GDP.IMF_FCST")["y"][-1] == 2.8


def test_revision_triangle_heatmap_reads_each_cell(seeded: Path):
    with db.connect(seeded, read_only=True) as con:
        frame = queries.revision_window(con, "WLD.GDP.OECD_FCST").triangle

    result = figures.revision_heatmap(frame, frequency="A", unit="% y/y")["data"][0]

    column = result["x"].index(f"17 Mar 2025 (#{seed_release(seeded, 'oecd-interim-2025-03')})")
    row = result["y"].index("2025")
    assert result["text"][row][column] == "3.1"
    assert result["z"][row][column] == pytest.approx(-0.1)
    assert result["y"] == ["2024", "2025", "2026"]


def test_first_vs_latest_and_revision_stats(seeded: Path):
    with db.connect(seeded, read_only=True) as con:
        first = queries.revision_window(con, "WLD.GDP.OECD_FCST").first_vs_latest
        stats = queries.revision_stats_page(con, limit=100).rows

    row = first.filter(pl.col("period") == date(2025, 1, 1)).row(0, named=True)
    assert (row["first_value"], row["latest_value"]) == (3.2, 2.9)
    assert row["difference"] == pytest.approx(-0.3)
    oecd = stats.filter(pl.col("series_id") == "WLD.GDP.OECD_FCST").row(0, named=True)
    assert oecd["revised_periods"] == 3


def test_chart_numbers_follow_display_numbers_rule():
    """No decimals from 100 up, three significant digits below, as display_number prints."""
    assert figures.number_format([4.8, 0.125, -41.4]) == ".3~g"
    assert figures.number_format([145.0, 270000.0]) == ",.0f"
    assert figures.number_format([4.8, 145.0]) == ",.2~f"  # never an exponent
    assert figures.number_format([None]) == ".3~g"


def test_forecast_hover_shows_the_revision_from_the_second_outlook(seeded: Path):
    with db.connect(seeded, read_only=True) as con:
        frame = queries.forecast_paths(con, FORECASTS, target_year=2025)

    trace = trace_named(figures.forecast_evolution(frame, target=2025), "WLD.GDP.OECD_FCST")

    assert trace["texttemplate"] == "%{y:.3~g}"
    assert "revision" not in trace["hovertemplate"][0]
    assert "revision %{customdata[2]:+.3~g}" in trace["hovertemplate"][1]
    assert [c[2] for c in trace["customdata"]][1:] == pytest.approx([0.1, -0.2, -0.2])


def test_sparkline_of_a_policy_series_is_a_step():
    frame = pl.DataFrame({"period": [date(2025, 2, 4), date(2025, 3, 4)], "value": [10.0, 20.0]})

    result = figures.sparkline(frame, kind="policy")

    assert result["data"][0]["line"]["shape"] == "hv"
    assert result["data"][1]["y"] == [20.0]


# Releases ------------------------------------------------------------------------------------


def encoded(text: str, name: str) -> upload.Upload:
    data = base64.b64encode(text.encode()).decode()
    return upload.decode_upload(f"data:text/csv;base64,{data}", name)


def seed_release(path: Path, key: str) -> int:
    """The store's id of the seed release `key` in data/releases.csv (e.g. gac-2025-06-09)."""
    with db.connect(path, read_only=True) as con:
        row = con.execute(
            "SELECT release_id FROM releases WHERE file_name = ?", [f"seed:{key}"]
        ).fetchone()
    assert row, key
    return int(row[0])


def release_count(path: Path) -> int:
    with db.connect(path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM releases").fetchall()[0][0]


def newest_title(path: Path) -> str:
    with db.connect(path, read_only=True) as con:
        return queries.releases(con, limit=1)["title"][0]


META = {"source": "China customs (GAC)", "published": "2025-07-14", "title": "June", "url": None}


def test_upload_dry_run_shows_the_diff_and_writes_nothing(seeded: Path):
    good = encoded("series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n", "june.csv")

    result = upload.append_upload(seeded, good, META, dry_run=True)[0]

    assert (result.new, result.revised) == (1, 0)
    assert result.summary().startswith("dry run: june.csv")
    assert release_count(seeded) == 65


def test_upload_commit_appends_one_release(seeded: Path):
    good = encoded("series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n", "june.csv")

    result = upload.append_upload(seeded, good, META, dry_run=False)[0]

    assert result.release_id == release_count(seeded)
    assert newest_title(seeded) == "June"


def test_bad_upload_names_line_and_column_and_writes_nothing(seeded: Path):
    bad = encoded("series_id,period,value\nCHN.EXPORTS.YOY,2025-06,n/a%\n", "bad.csv")

    with pytest.raises(ValidationError) as caught:
        upload.append_upload(seeded, bad, META, dry_run=False)

    assert "bad.csv:2" in caught.value.message
    assert "column 'value'" in caught.value.message
    assert release_count(seeded) == 65


def test_upload_over_the_limit_is_refused():
    too_big = base64.b64encode(b"x" * (upload.UPLOAD_LIMIT_BYTES + 1)).decode()

    with pytest.raises(ValidationError) as caught:
        upload.decode_upload(f"data:text/csv;base64,{too_big}", "huge.csv")

    assert "over the 20 MB upload limit" in caught.value.message


# SQL -----------------------------------------------------------------------------------------


def test_public_objects_list_views_with_columns_and_macros(seeded: Path):
    with db.connect(seeded, read_only=True) as con:
        result = {o["name"]: o for o in queries.public_objects(con)}

    assert result["latest"]["kind"] == "view"
    assert "published_at timestamp" in result["latest"]["columns"]
    assert result["asof"] == {"name": "asof", "kind": "macro", "columns": ["ts"], "history": True}
    assert (result["latest"]["history"], result["revisions"]["history"]) == (False, True)


def test_sql_console_rows_and_grid(seeded: Path):
    result = sql_page.run_sql(seeded, sql_page.EXAMPLE_QUERIES[0][1])

    columns, rows = grids.grid_rows(result.frame)
    assert len(rows) == 6
    assert {"field": "series_id", "headerName": "series_id"} in columns
    assert {r["published_at"] for r in rows} == {"2024-12-04", "2025-03-17", "2025-06-03"}


def test_explorer_draws_the_consensus_before_each_release(seeded: Path):
    drawn = explore_data.explore(seeded, ExploreState(series=("CHN.IMPORTS.YOY",), events=False))
    figure = figures.line_chart(drawn.frame, drawn.meta, expectations=drawn.expectations)

    result = next(t for t in figure["data"] if t["name"].endswith(": expected"))

    may = result["x"].index("2025-05-01")
    assert result["y"][may] == -0.9
    label, _, actual, surprise = result["customdata"][may]
    assert (label, actual, surprise) == ("May 2025", -3.4, pytest.approx(-2.5))
    assert result["marker"]["symbol"] == "diamond-open"
    assert result["marker"]["color"] == trace_named(figure, "CHN.IMPORTS.YOY")["line"]["color"]
    assert len(result["x"]) == 15


def test_explorer_as_of_shows_only_surprises_known_then(seeded: Path):
    state = ExploreState(series=("CHN.IMPORTS.YOY",), as_of="2025-06-08", events=False)

    result = explore_data.explore(seeded, state).expectations

    assert result is not None
    assert result["period"].max() == date(2025, 4, 1)  # May's outturn came on 9 Jun
    hidden = dataclasses.replace(state, expectations=False)
    assert explore_data.explore(seeded, hidden).expectations is None


def test_a_card_without_a_consensus_says_nothing_of_expectations(seeded: Path):
    cards = {c.series_id: c for c in overview_data.overview_cards(seeded, today=JUNE_2025)}

    result = [cards[s].expected_text for s in ("USA.TARIFF.CHN", "WLD.GDP.OECD_FCST")]

    assert result == [None, None]
    assert cards["CHN.EXPORTS.YOY"].expected_text == "expected +5% y/y"


def test_a_chart_shows_only_the_events_about_its_series(seeded: Path):
    def days(*series: str) -> set[str]:
        drawn = explore_data.explore(seeded, ExploreState(series=series))
        assert drawn.events is not None
        return set(drawn.events["starts_on"].cast(pl.String))

    assert days("CHN.RAREEARTH.MINE_SHARE") == set()
    assert days("CHN.EXPORTS.USA.USD") == {"2025-06-09"}
    assert days("CHN.TARIFF.USA.FARM_10") == {"2025-03-04", "2025-03-10"}
    assert len(days("USA.TARIFF.CHN", "CHN.TARIFF.USA")) == 9
