"""The Explorer's chart stays small and cheap however long or many the series (issue #7).

A real store in tmp_path with long series appended through `tracker.append`; the chart is drawn by
the page's own callback and serialised with Plotly's JSON encoder, as Dash serves it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import plotly.io.json as plotly_json
import polars as pl
import pytest

from dashboards import downsample, figures
from dashboards.pages import explore_data
from dashboards.state import ExploreState
from tests.conftest import define, release
from tracker import analytics, db
from tracker.errors import StoreError

#: Issue #7: the figure's JSON stays under 200 KB whatever the series length.
JSON_LIMIT = 200_000
MONTHLY = [f"LONG.M{i:02d}" for i in range(20)]


def business_days(first: date, years: int) -> list[date]:
    days, day = [], first
    while day < date(first.year + years, first.month, first.day):
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 monthly series of 40 years and business-daily series of 10 and 40 years.

    Values carry every digit a double has (the longest JSON numbers), two sources per monthly
    series (hover text that changes along a trace).
    """
    path = tmp_path_factory.mktemp("long") / "store.duckdb"
    rng = random.Random(7)
    with db.connect(path) as con:
        db.ensure_schema(con)
        for series_id in MONTHLY:
            define(con, series_id, name=f"Monthly level {series_id}", unit="USD mn")
        define(con, "LONG.D10", name="Daily level, 10 years", unit="index", frequency="D")
        define(con, "LONG.D40", name="Daily level, 40 years", unit="index", frequency="D")
        months = [(1985 + m // 12, m % 12 + 1) for m in range(480)]
        rows = [
            (s, f"{y}-{m:02d}", 1000 * rng.random() + rng.random() / 7)
            for s in MONTHLY
            for y, m in months[:240]
        ]
        release(con, "2005-02-01", rows, source="First agency")
        rows = [
            (s, f"{y}-{m:02d}", 1000 * rng.random() + rng.random() / 7)
            for s in MONTHLY
            for y, m in months[240:]
        ]
        release(con, "2025-02-01", rows, source="Second agency")
        daily = [
            ("LONG.D10", d.isoformat(), 100 + rng.random() / 3)
            for d in business_days(date(2015, 1, 1), 10)
        ]
        daily += [
            ("LONG.D40", d.isoformat(), 100 + rng.random() / 3)
            for d in business_days(date(1985, 1, 1), 40)
        ]
        release(con, "2025-02-02", daily, source="Daily agency")
    return path


def callback_figure(path: Path, series: list[str], transform: str = "lin", as_of: str = ""):
    """The Explorer page's own chart callback, as the benchmark calls it."""
    from dashboards.app import create_app

    app = create_app(path)
    from dashboards.pages import explore  # the module Dash imported: a page registers once

    with app.server.app_context():
        outputs = explore.draw(
            series, transform, "", "avg", "", as_of, ["events", "regimes"], None, "light"
        )
    return outputs[0]


def points(figure: dict) -> int:
    return sum(len(t["x"]) for t in figure["data"] if (t.get("meta") or {}).get("series_id"))


# The budget is per figure ------------------------------------------------------------------


def test_twenty_long_series_share_one_point_budget(long_store: Path):
    drawn = explore_data.explore(long_store, ExploreState(series=tuple(MONTHLY)))
    full = explore_data.explore(long_store, ExploreState(series=tuple(MONTHLY)), max_points=None)

    # Each series (480 months) is far under the budget alone: only a budget for the whole
    # figure drops anything.
    assert full.frame.group_by("series_id").len()["len"].max() < downsample.MAX_POINTS
    assert full.frame.height == 20 * 480
    assert drawn.downsampled is True
    assert drawn.frame.height <= downsample.MAX_POINTS
    counts = drawn.frame.group_by("series_id").len()["len"]
    assert counts.min() >= downsample.MAX_POINTS // 20 - 2  # an equal share each
    assert drawn.frame.height > downsample.MAX_POINTS // 2


def test_each_bucket_keeps_its_minimum_and_maximum(long_store: Path):
    full = explore_data.explore(long_store, ExploreState(series=tuple(MONTHLY)), max_points=None)
    drawn = explore_data.explore(long_store, ExploreState(series=tuple(MONTHLY)))
    cap = downsample.point_share([480] * 20, downsample.MAX_POINTS)
    buckets = (cap - 2) // 2

    for series_id in MONTHLY:
        rows = full.frame.filter(pl.col("series_id") == series_id).sort("period")
        kept = set(drawn.frame.filter(pl.col("series_id") == series_id)["period"].to_list())
        bucketed = rows.with_columns((pl.int_range(pl.len()) * buckets // pl.len()).alias("bucket"))
        for _, bucket in bucketed.group_by("bucket"):
            low = bucket.sort("value", "period").row(0, named=True)["period"]
            high = bucket.sort("value", "period", descending=[True, False]).row(0, named=True)
            assert low in kept and high["period"] in kept
        # The newest value is always on the chart.
        assert rows["period"].max() in kept
        assert rows["period"].min() in kept


def test_short_series_keep_every_point_next_to_long_ones():
    long = pl.DataFrame(
        {
            "series_id": ["LONG"] * 5000,
            "period": [date(2000, 1, 1) + timedelta(days=i) for i in range(5000)],
            "value": [float(i % 37) for i in range(5000)],
        }
    )
    short = pl.DataFrame(
        {
            "series_id": ["SHORT"] * 300,
            "period": [date(2000, 1, 1) + timedelta(days=30 * i) for i in range(300)],
            "value": [float(i) for i in range(300)],
        }
    )

    result, dropped = downsample.downsample(pl.concat([short, long]), max_points=1000)

    assert dropped is True
    assert result.filter(pl.col("series_id") == "SHORT").height == 300
    assert result.height <= 1000
    assert result["series_id"].unique(maintain_order=True).to_list() == ["SHORT", "LONG"]


def test_point_share_fills_the_budget_from_the_shortest_trace_up():
    assert downsample.point_share([100, 200], 1000) is None
    assert downsample.point_share([100, 5000, 5000], 1000) == 450
    assert downsample.point_share([480] * 20, 2000) == 100


def test_a_bucket_without_values_stays_a_gap():
    frame = pl.DataFrame(
        {
            "series_id": ["G"] * 1000,
            "period": [date(2000, 1, 1) + timedelta(days=i) for i in range(1000)],
            "value": [None if 400 <= i < 600 else float(i) for i in range(1000)],
        },
        schema={"series_id": pl.String, "period": pl.Date, "value": pl.Float64},
    )

    result, _ = downsample.downsample(frame, max_points=100)

    assert result["value"].null_count() > 0
    assert result.height <= 100


# The JSON stays small ------------------------------------------------------------------------


@pytest.mark.parametrize("series_id", ["LONG.D10", "LONG.D40"])
def test_a_long_daily_series_is_under_200_kb_of_json(long_store: Path, series_id: str):
    figure = callback_figure(long_store, [series_id])

    result = len(plotly_json.to_json_plotly(figure).encode())

    assert result <= JSON_LIMIT
    assert points(figure) <= downsample.MAX_POINTS


@pytest.mark.parametrize("as_of", ["", "2025-01-15"])
def test_twenty_monthly_series_are_under_200_kb_of_json(long_store: Path, as_of: str):
    figure = callback_figure(long_store, MONTHLY, as_of=as_of)

    result = len(plotly_json.to_json_plotly(figure).encode())

    assert result <= JSON_LIMIT
    assert points(figure) <= downsample.MAX_POINTS
    assert len([t for t in figure["data"] if (t.get("meta") or {}).get("series_id")]) == 20


def test_twenty_transformed_series_are_under_200_kb_of_json(long_store: Path):
    figure = callback_figure(long_store, MONTHLY, transform="pc1")

    assert len(plotly_json.to_json_plotly(figure).encode()) <= JSON_LIMIT
    assert points(figure) <= downsample.MAX_POINTS


# Hover text ----------------------------------------------------------------------------------


def test_hover_carries_the_source_per_point_when_a_series_changes_source(long_store: Path):
    drawn = explore_data.explore(long_store, ExploreState(series=("LONG.M00",)), max_points=None)
    figure = figures.line_chart(drawn.frame, drawn.meta)
    trace = figure["data"][0]

    first, last = trace["customdata"][0], trace["customdata"][-1]

    assert "%{customdata[3]}" in trace["hovertemplate"]
    assert (first[0], first[3]) == ("Jan 1985", "First agency")
    assert (last[0], last[3]) == ("Dec 2024", "Second agency")


def test_hover_names_one_source_once_in_the_template(long_store: Path):
    drawn = explore_data.explore(long_store, ExploreState(series=("LONG.D10",)))
    trace = figures.line_chart(drawn.frame, drawn.meta)["data"][0]

    assert trace["hovertemplate"].endswith("<br>Daily agency<extra></extra>")
    assert len(trace["customdata"][0]) == 3
    assert trace["customdata"][0][0] == "1 Jan 2015"


def test_series_are_drawn_in_the_order_they_were_picked(long_store: Path):
    picked = ("LONG.M07", "LONG.D10", "LONG.M01")

    _, figure = draw(long_store, series=picked)
    _, transformed = draw(long_store, series=picked, transform="chg")

    assert [t["meta"]["series_id"] for t in figure["data"][:3]] == list(picked)
    assert [t["meta"]["series_id"] for t in transformed["data"][:3]] == list(picked)


def draw(path: Path, **state):
    drawn = explore_data.explore(path, ExploreState(**state))
    return drawn, figures.line_chart(drawn.frame, drawn.meta, until=drawn.until)


# One query for all series --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "frequency", "method"),
    [("lin", None, "avg"), ("pc1", None, "avg"), ("chg", "Q", "avg"), ("ch1", "A", "sum")],
)
def test_transformed_of_a_list_equals_each_series_alone(long_store: Path, code, frequency, method):
    ids = MONTHLY[:3]
    with db.connect(long_store, read_only=True) as con:
        result = con.sql(
            "SELECT * FROM transformed(NULL, $code, frequency := $f, method := $m, "
            "series_ids := $ids) ORDER BY series_id, period",
            params={"code": code, "f": frequency, "m": method, "ids": ids},
        ).pl()
        expected = pl.concat(
            analytics.transformed(con, s, code, frequency=frequency, method=method) for s in ids
        )

    assert result.drop("value").equals(expected.drop("value"))
    assert result["value"].to_list() == pytest.approx(expected["value"].to_list(), nan_ok=True)


def test_rebased_and_aggregated_of_a_list_equal_each_series_alone(long_store: Path):
    ids = MONTHLY[:3]
    with db.connect(long_store, read_only=True) as con:
        rebased = con.sql(
            "SELECT * FROM rebased(NULL, DATE '2000-01-01', base_end := DATE '2000-12-31', "
            "series_ids := $ids) ORDER BY series_id, period",
            params={"ids": ids},
        ).pl()
        aggregated = con.sql(
            "SELECT * FROM aggregated(NULL, 'A', 'eop', series_ids := $ids) "
            "ORDER BY series_id, period",
            params={"ids": ids},
        ).pl()
        rebased_alone = pl.concat(analytics.rebased(con, s, "2000") for s in ids)
        aggregated_alone = pl.concat(analytics.aggregated(con, s, "A", "eop") for s in ids)

    assert rebased.drop("value").equals(rebased_alone.drop("value"))
    assert rebased["value"].to_list() == pytest.approx(rebased_alone["value"].to_list())
    assert aggregated.equals(aggregated_alone)


def test_a_refused_transform_in_a_list_is_refused(seeded: Path):
    with (
        db.connect(seeded, read_only=True) as con,
        pytest.raises(duckdb.InvalidInputException) as caught,
    ):
        con.sql(
            "SELECT * FROM transformed(NULL, 'pc1', series_ids := $ids)",
            params={"ids": ["USA.IMPORTS.CHN.USD", "CHN.EXPORTS.YOY"]},
        ).fetchall()

    assert "CHN.EXPORTS.YOY is already a growth rate" in str(caught.value)


def test_transforms_of_several_series_match_the_sql_macro_one_by_one(seeded: Path):
    ids = ("CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY", "USA.TARIFF.CHN")
    drawn = explore_data.explore(seeded, ExploreState(series=ids, transform="ch1"), max_points=None)

    with db.connect(seeded, read_only=True) as con:
        for series_id in ids:
            expected = analytics.transformed(con, series_id, "ch1")
            result = drawn.frame.filter(pl.col("series_id") == series_id).sort("period")
            assert result["period"].to_list() == expected["period"].to_list()
            assert result["value"].to_list() == pytest.approx(
                expected["value"].to_list(), nan_ok=True
            )
            assert result["release_id"].null_count() == 0


def test_a_store_with_views_from_before_the_lists_says_how_to_refresh_them(seeded: Path):
    with db.connect(seeded) as con:
        # The macro as it was before it took `series_ids`.
        con.execute(
            "CREATE OR REPLACE MACRO series_asof(series_id, as_of := NULL) AS TABLE "
            "SELECT * FROM latest WHERE series_id = series_id"
        )

    with pytest.raises(StoreError) as caught:
        explore_data.explore(seeded, ExploreState(series=("CHN.EXPORTS.YOY",)))

    assert "tracker init --no-seed" in caught.value.message
    with db.connect(seeded) as con:
        db.refresh_views(con)
    assert explore_data.explore(seeded, ExploreState(series=("CHN.EXPORTS.YOY",))).frame.height
