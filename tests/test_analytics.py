"""Analytics in SQL: transforms, guards, aggregation, rebasing, trends, forecasts, regimes, revisions.

Every test builds a real DuckDB file in tmp_path and checks exact, hand-computed numbers.
"""

from __future__ import annotations

import io
import math
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

import tracker
from tests.conftest import fixture
from tracker import analytics, db
from tracker.append import append_releases, upsert_series
from tracker.cli import cli
from tracker.errors import TransformError
from tracker.formats import RawRelease
from tracker.vocab import TRANSFORM_CODES, UNIT_KINDS

PC1_MESSAGE = (
    "pc1 is a percent change, but CHN.EXPORTS.YOY is already a growth rate (% y/y); "
    "use ch1 for the change in percentage points"
)
UNKNOWN_CODE = (
    "unknown transform code 'zz' (use one of lin, chg, ch1, pch, pc1, pca, cch, cca, log)"
)
MY_VIEWS = [p for p in db.view_files() if 40 <= int(p.name.split("_", 1)[0]) <= 69]


# Helpers -------------------------------------------------------------------------------------


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "t.duckdb"


@pytest.fixture
def con(path: Path, store_template: Path):
    shutil.copy(store_template, path)  # an empty, migrated store
    connection = db.connect(path)
    yield connection
    connection.close()


def define(con: duckdb.DuckDBPyConnection, series_id: str, **fields) -> None:
    row = {
        "series_id": series_id,
        "name": series_id,
        "unit": "USD mn",
        "unit_kind": "level",
        "frequency": "M",
        "geo": "CHN",
        "source": "Test agency",
        "kind": "actual",
        "description": None,
        "tags": [],
    }
    row.update(fields)
    upsert_series(con, pl.DataFrame([row]))


def publish(con: duckdb.DuckDBPyConnection, published: str, rows: list[tuple]) -> int:
    """Append one release of ``(series_id, period_code, value)`` rows; return its release_id."""
    frame = pl.DataFrame(
        {
            "series_id": [r[0] for r in rows],
            "period": [r[1] for r in rows],
            "value": [r[2] for r in rows],
        },
        schema={"series_id": pl.String, "period": pl.String, "value": pl.Float64},
    )
    raw = RawRelease(
        frame=frame, format="test", source="X", published=datetime.fromisoformat(published)
    )
    (result,) = append_releases(con, [(raw, f"r{published}")])
    return result.release_id


def values(frame: pl.DataFrame) -> dict[str, float | None]:
    """period (ISO) -> value."""
    return {p.isoformat(): v for p, v in zip(frame["period"], frame["value"], strict=True)}


def sql_values(con, sql: str, params: list | None = None) -> dict[str, float | None]:
    return values(con.sql(sql, params=params or []).pl())


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def csv_frame(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text), try_parse_dates=True)


def months(first: str, values_: list[float | None], series_id: str) -> list[tuple]:
    year, month = map(int, first.split("-"))
    rows = []
    for value in values_:
        rows.append((series_id, f"{year}-{month:02d}", value))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


# The view files ------------------------------------------------------------------------------


def test_my_view_files_are_numbered_40_to_69_and_cover_the_issue():
    names = {db.object_name(p) for p in MY_VIEWS}
    assert {
        "transformed", "rebased", "aggregated", "trends", "forecast_evolution", "regimes",
        "revision_stats", "revision_triangle", "unit_guard",
    } <= names  # fmt: skip


@pytest.mark.parametrize("view", MY_VIEWS, ids=lambda p: p.name)
def test_each_analytics_file_creates_the_object_its_name_says(view, con):
    text = view.read_text()
    first_line = text.splitlines()[0]
    assert first_line.startswith(f"-- {db.object_name(view)}"), "header names the object"
    assert "one row per" in first_line or "one value per" in first_line, "header gives the grain"
    assert re.findall(r'CREATE OR REPLACE (?:VIEW|MACRO) "?(\w+)"?', text) == [db.object_name(view)]
    assert "Columns" in text or "Returns" in text, "documented columns"
    functions = {
        r[0] for r in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()
    }
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    assert db.object_name(view) in functions | views


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [("A", 1), ("S", 2), ("Q", 4), ("M", 12), ("W", 52), ("D", 365), ("irregular", None)],
)
def test_periods_per_year(con, frequency, expected):
    assert db.scalar(con, "SELECT periods_per_year(?)", [frequency]) == expected


# Transforms ----------------------------------------------------------------------------------


def test_pc1_of_impch_may_2025_from_the_fred_fixture(con):
    path = fixture("fred/IMPCH_vintage_2026-02_observation_date_header.csv")
    levels = pl.read_csv(path, schema_overrides={"IMPCH": pl.Float64})
    define(con, "IMPCH", name="US imports of goods from China", geo="USA", source="FRED")
    frame = levels.select(
        pl.lit("IMPCH").alias("series_id"),
        pl.col("observation_date").alias("period"),
        pl.col("IMPCH").alias("value"),
    )
    raw = RawRelease(frame=frame, format="test", source="FRED", published=datetime(2026, 2, 1))
    append_releases(con, [(raw, path.name)])
    level = dict(zip(levels["observation_date"], levels["IMPCH"], strict=True))
    may_2025, may_2024 = level["2025-05-01"], level["2024-05-01"]

    result = values(analytics.transformed(con, "IMPCH", "pc1"))

    expected = may_2025 / may_2024 * 100 - 100
    assert result["2025-05-01"] == pytest.approx(expected, rel=1e-12)
    assert round(result["2025-05-01"], 1) == -41.4
    assert result["1985-12-01"] is None  # the first year has no year-ago value
    in_sql = sql_values(
        con, "SELECT * FROM transformed('IMPCH', 'pc1') WHERE period = DATE '2025-05-01'"
    )
    assert in_sql["2025-05-01"] == result["2025-05-01"]


def test_every_fred_formula_on_a_quarterly_level(con):
    define(con, "Q.LEVEL", frequency="Q")
    publish(con, "2024-08-01", [
        ("Q.LEVEL", "2023-Q1", 100.0), ("Q.LEVEL", "2023-Q2", 110.0),
        ("Q.LEVEL", "2023-Q3", 121.0), ("Q.LEVEL", "2023-Q4", 133.1),
        ("Q.LEVEL", "2024-Q1", 120.0), ("Q.LEVEL", "2024-Q2", 132.0),
    ])  # fmt: skip

    def q2(code: str) -> float | None:
        return values(analytics.transformed(con, "Q.LEVEL", code))["2024-04-01"]

    assert q2("lin") == 132.0
    assert q2("chg") == pytest.approx(12.0, rel=1e-12)
    assert q2("ch1") == pytest.approx(22.0, rel=1e-12)
    assert q2("pch") == pytest.approx(10.0, rel=1e-12)
    assert q2("pc1") == pytest.approx(20.0, rel=1e-12)
    assert q2("pca") == pytest.approx((1.1**4 - 1) * 100, rel=1e-12)
    assert q2("cch") == pytest.approx(math.log(1.1) * 100, rel=1e-12)
    assert q2("cca") == pytest.approx(math.log(1.1) * 100 * 4, rel=1e-12)
    assert q2("log") == pytest.approx(math.log(132.0), rel=1e-12)
    first = values(analytics.transformed(con, "Q.LEVEL", "chg"))["2023-01-01"]
    assert first is None
    units = {
        code: analytics.transformed(con, "Q.LEVEL", code)["unit"][0]
        for code in ("lin", "chg", "pc1", "log")
    }
    assert units == {
        "lin": "USD mn",
        "chg": "USD mn, change from previous period",
        "pc1": "% change from a year ago",
        "log": "natural log of USD mn",
    }


def test_previous_and_year_ago_are_looked_up_by_period_not_by_row(con):
    define(con, "M.GAP")
    publish(con, "2025-05-20", [
        *months("2024-01", [10.0, 11.0, 12.0, 13.0, 14.0, 15.0], "M.GAP"),
        ("M.GAP", "2025-01", 20.0), ("M.GAP", "2025-03", 30.0), ("M.GAP", "2025-04", 28.0),
    ])  # fmt: skip
    pc1 = values(analytics.transformed(con, "M.GAP", "pc1"))
    pch = values(analytics.transformed(con, "M.GAP", "pch"))
    chg = values(analytics.transformed(con, "M.GAP", "chg"))

    assert pc1["2025-03-01"] == pytest.approx((30 / 12 - 1) * 100, rel=1e-12)
    assert pc1["2025-04-01"] == pytest.approx((28 / 13 - 1) * 100, rel=1e-12)
    assert pch["2025-03-01"] is None  # February 2025 is missing
    assert pch["2025-04-01"] == pytest.approx((28 / 30 - 1) * 100, rel=1e-12)
    assert chg["2025-01-01"] is None  # December 2024 is missing, not June 2024


def test_jan_feb_span_is_compared_like_for_like(con):
    define(con, "CN.EXP.USD")
    publish(con, "2025-04-14", [
        ("CN.EXP.USD", "2024-01", 100.0), ("CN.EXP.USD", "2024-02", 80.0),
        ("CN.EXP.USD", "2024-03", 110.0), ("CN.EXP.USD", "2024-11", 120.0),
        ("CN.EXP.USD", "2024-12", 130.0), ("CN.EXP.USD", "2025-01/02", 198.0),
        ("CN.EXP.USD", "2025-03", 121.0),
    ])  # fmt: skip
    publish(con, "2026-02-14", [("CN.EXP.USD", "2026-01", 50.0)])
    pc1 = analytics.transformed(con, "CN.EXP.USD", "pc1")
    pch = values(analytics.transformed(con, "CN.EXP.USD", "pch"))
    span = pc1.filter(pl.col("period") == date(2025, 1, 1))

    # Jan–Feb 2025 vs January + February 2024; vs November + December 2024.
    assert span["period_end"][0] == date(2025, 2, 28)
    assert span["value"][0] == pytest.approx((198 / (100 + 80) - 1) * 100, rel=1e-12)
    assert pch["2025-01-01"] == pytest.approx((198 / (120 + 130) - 1) * 100, rel=1e-12)
    # March 2025 vs February 2025, which exists only inside the span: no number.
    assert pch["2025-03-01"] is None
    assert values(pc1)["2025-03-01"] == pytest.approx((121 / 110 - 1) * 100, rel=1e-12)
    # January 2026 alone cannot be compared with a year-ago Jan–Feb span.
    assert values(pc1)["2026-01-01"] is None


def test_growth_span_ch1_and_chg(con):
    define(con, "CN.EXP.YOY", unit="% y/y", unit_kind="growth_yoy")
    publish(con, "2025-04-14", [
        ("CN.EXP.YOY", "2024-01/02", 7.1), ("CN.EXP.YOY", "2024-03", -7.5),
        ("CN.EXP.YOY", "2025-01/02", 2.3), ("CN.EXP.YOY", "2025-03", 12.4),
    ])  # fmt: skip
    ch1 = values(analytics.transformed(con, "CN.EXP.YOY", "ch1"))
    chg = values(analytics.transformed(con, "CN.EXP.YOY", "chg"))
    assert ch1["2025-01-01"] == pytest.approx(2.3 - 7.1, rel=1e-12)
    assert ch1["2025-03-01"] == pytest.approx(12.4 - -7.5, rel=1e-12)
    assert chg["2025-03-01"] is None


def test_ch1_of_a_rate_is_a_change_in_percentage_points(con):
    define(con, "US.UNRATE", unit="%", unit_kind="rate", geo="USA")
    publish(con, "2025-06-06", [
        ("US.UNRATE", "2024-05", 4.0), ("US.UNRATE", "2025-04", 4.2), ("US.UNRATE", "2025-05", 4.2),
    ])  # fmt: skip
    ch1 = analytics.transformed(con, "US.UNRATE", "ch1")
    assert values(ch1)["2025-05-01"] == pytest.approx(0.2, abs=1e-12)
    assert values(ch1)["2025-04-01"] is None
    assert ch1["unit"][0] == "percentage points, change from a year ago"
    assert values(analytics.transformed(con, "US.UNRATE", "chg"))["2025-05-01"] == 0.0


def _chn_exports(con) -> None:
    define(con, "CHN.EXPORTS.YOY", name="China exports, y/y", unit="% y/y", unit_kind="growth_yoy")
    publish(con, "2024-06-07", [("CHN.EXPORTS.YOY", "2024-05", 7.6)])
    publish(
        con,
        "2025-06-09",
        [("CHN.EXPORTS.YOY", "2025-04", 8.1), ("CHN.EXPORTS.YOY", "2025-05", 4.8)],
    )
    publish(
        con,
        "2025-07-14",
        [("CHN.EXPORTS.YOY", "2025-05", 5.0), ("CHN.EXPORTS.YOY", "2025-06", 5.8)],
    )


def test_the_as_of_cut_comes_first(con):
    _chn_exports(con)

    def may(code: str, as_of) -> float | None:
        frame = analytics.transformed(con, "CHN.EXPORTS.YOY", code, as_of=as_of)
        return values(frame).get("2025-05-01", "absent")

    assert may("lin", "2025-06-08") == "absent"
    assert may("lin", "2025-06-10") == 4.8
    assert may("lin", date(2025, 7, 14)) == 5.0  # a date includes releases of that day
    assert may("lin", None) == 5.0
    assert may("ch1", "2025-06-10") == pytest.approx(4.8 - 7.6, rel=1e-12)
    assert may("ch1", None) == pytest.approx(5.0 - 7.6, rel=1e-12)
    assert may("chg", "2025-06-10") == pytest.approx(4.8 - 8.1, rel=1e-12)
    in_sql = sql_values(
        con,
        "SELECT * FROM transformed('CHN.EXPORTS.YOY', 'ch1', as_of := DATE '2025-06-10')",
    )
    assert in_sql["2025-05-01"] == pytest.approx(4.8 - 7.6, rel=1e-12)


def test_aggregate_then_transform(con):
    define(con, "M.STEADY")
    publish(con, "2025-07-15", months("2024-01", [10.0 + i for i in range(18)], "M.STEADY"))
    pc1 = values(analytics.transformed(con, "M.STEADY", "pc1", frequency="Q", method="sum"))
    assert pc1 == {
        "2024-01-01": None, "2024-04-01": None, "2024-07-01": None, "2024-10-01": None,
        "2025-01-01": pytest.approx(((22 + 23 + 24) / (10 + 11 + 12) - 1) * 100, rel=1e-12),
        "2025-04-01": pytest.approx(((25 + 26 + 27) / (13 + 14 + 15) - 1) * 100, rel=1e-12),
    }  # fmt: skip


# The unit guard ------------------------------------------------------------------------------


def test_guard_refuses_pc1_of_a_growth_rate_in_sql(con):
    _chn_exports(con)
    with pytest.raises(duckdb.InvalidInputException) as info:
        con.sql("SELECT * FROM transformed('CHN.EXPORTS.YOY', 'pc1')").fetchall()
    assert str(info.value).splitlines()[0] == f"Invalid Input Error: {PC1_MESSAGE}"


def test_guard_refuses_even_a_series_without_observations(con):
    define(con, "CHN.EXPORTS.YOY", unit="% y/y", unit_kind="growth_yoy")
    with pytest.raises(duckdb.InvalidInputException, match=re.escape(PC1_MESSAGE)):
        con.sql("SELECT count(*) FROM transformed('CHN.EXPORTS.YOY', 'pc1')").fetchall()


def test_guard_refuses_pc1_of_a_growth_rate_in_the_api(con, path):
    _chn_exports(con)
    con.close()
    with pytest.raises(TransformError) as info:
        tracker.open(path).transformed("CHN.EXPORTS.YOY", "pc1")
    assert info.value.message == PC1_MESSAGE


def test_guard_refuses_pc1_of_a_growth_rate_in_the_cli(con, path):
    _chn_exports(con)
    con.close()
    result = run("show", "CHN.EXPORTS.YOY", "--db", str(path), "--transform", "pc1")
    assert result.exit_code == 1
    assert result.stderr == f"error: {PC1_MESSAGE}\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("unit_kind", "unit", "code", "message"),
    [
        ("rate", "%", "pch",
         "pch is a percent change, but S is already a rate (%); use chg for the change in "
         "percentage points"),
        ("share", "% of GDP", "log",
         "log is a logarithm, but S is already a share (% of GDP); use lin for the values as "
         "published"),
        ("growth_pop", "% q/q", "cca",
         "cca is a continuously compounded annual rate of change, but S is already a growth rate "
         "(% q/q); use chg for the change in percentage points"),
    ],
)  # fmt: skip
def test_guard_names_rates_and_shares(con, unit_kind, unit, code, message):
    define(con, "S", unit=unit, unit_kind=unit_kind)
    publish(con, "2025-01-10", [("S", "2024-12", 5.0)])
    with pytest.raises(TransformError) as info:
        analytics.transformed(con, "S", code)
    assert info.value.message == message


def test_guard_refuses_rebasing_a_rate(con):
    define(con, "US.UNRATE", unit="%", unit_kind="rate")
    publish(con, "2025-01-10", [("US.UNRATE", "2024-12", 4.1)])
    with pytest.raises(TransformError) as info:
        analytics.rebased(con, "US.UNRATE", "2024-12")
    assert info.value.message == (
        "rebasing is a ratio to a base period, but US.UNRATE is already a rate (%); "
        "use lin for the values as published"
    )


def test_unknown_code_lists_the_codes_in_sql_api_and_cli(con, path):
    define(con, "L")
    publish(con, "2025-01-10", [("L", "2024-12", 5.0)])
    with pytest.raises(duckdb.InvalidInputException, match=re.escape(UNKNOWN_CODE)):
        con.sql("SELECT * FROM transformed('L', 'zz')").fetchall()
    with pytest.raises(TransformError) as info:
        analytics.transformed(con, "L", "zz")
    assert info.value.message == UNKNOWN_CODE
    con.close()
    result = run("show", "L", "--db", str(path), "--transform", "zz")
    assert (result.exit_code, result.stderr) == (1, f"error: {UNKNOWN_CODE}\n")


@pytest.mark.parametrize("unit_kind", UNIT_KINDS)
def test_allowed_transforms_are_the_sql_guards(con, unit_kind):
    allowed = analytics.allowed_transforms(con, unit_kind, series_id="X.Y", unit="% y/y")
    assert list(allowed) == [*TRANSFORM_CODES, "rebase"]
    refused = {code for code, reason in allowed.items() if reason}
    if unit_kind in ("level", "index"):
        assert refused == set()
    else:
        assert refused == {"pch", "pc1", "pca", "cch", "cca", "log", "rebase"}
    # What the Explorer greys out is what the macros refuse, with the same text.
    define(con, "X.Y", unit="% y/y", unit_kind=unit_kind)
    publish(con, "2025-01-10", [("X.Y", "2024-11", 5.0), ("X.Y", "2024-12", 6.0)])
    for code in TRANSFORM_CODES:
        if allowed[code] is None:
            analytics.transformed(con, "X.Y", code)
        else:
            with pytest.raises(TransformError) as info:
                analytics.transformed(con, "X.Y", code)
            assert info.value.message == allowed[code]


def test_allowed_transforms_default_wording(con):
    reasons = analytics.allowed_transforms(con, "growth_yoy")
    assert reasons["pc1"] == (
        "pc1 is a percent change, but this series is already a growth rate; "
        "use ch1 for the change in percentage points"
    )
    assert reasons["ch1"] is None
    with pytest.raises(TransformError, match="unknown unit_kind 'ratio'"):
        analytics.allowed_transforms(con, "ratio")


# Aggregation ---------------------------------------------------------------------------------


def _flows(con) -> None:
    define(con, "M.FLOW")
    publish(con, "2025-07-10", [
        ("M.FLOW", "2024-10", 1.0), ("M.FLOW", "2024-11", None), ("M.FLOW", "2024-12", 3.0),
        ("M.FLOW", "2025-01", 10.0), ("M.FLOW", "2025-03", 30.0), ("M.FLOW", "2025-04", 40.0),
        ("M.FLOW", "2025-05", 50.0), ("M.FLOW", "2025-06", 60.0),
    ])  # fmt: skip


def test_a_quarter_missing_a_month_is_null_not_a_partial_average(con):
    _flows(con)
    result = analytics.aggregated(con, "M.FLOW", "Q", "avg")
    assert result.select("period", "period_end", "value", "covered", "expected").rows() == [
        (date(2024, 10, 1), date(2024, 12, 31), None, 2, 3),  # November published as missing
        (date(2025, 1, 1), date(2025, 3, 31), None, 2, 3),  # February never published
        (date(2025, 4, 1), date(2025, 6, 30), 50.0, 3, 3),
    ]
    assert values(analytics.aggregated(con, "M.FLOW", "Q", "sum"))["2025-04-01"] == 150.0
    assert values(analytics.aggregated(con, "M.FLOW", "Q", "eop"))["2025-04-01"] == 60.0
    assert values(analytics.aggregated(con, "M.FLOW", "Q", "eop"))["2025-01-01"] is None
    assert values(analytics.aggregated(con, "M.FLOW", "A", "sum")) == {
        "2024-01-01": None,
        "2025-01-01": None,
    }


def test_aggregation_after_the_as_of_cut(con):
    _flows(con)
    publish(con, "2025-08-01", [("M.FLOW", "2025-02", 20.0)])
    before = analytics.aggregated(con, "M.FLOW", "Q", "sum", as_of="2025-07-31")
    after = analytics.aggregated(con, "M.FLOW", "Q", "sum")
    assert values(before)["2025-01-01"] is None
    assert values(after)["2025-01-01"] == 60.0
    assert values(analytics.aggregated(con, "M.FLOW", "Q", "avg"))["2025-01-01"] == 20.0
    in_sql = sql_values(
        con, "SELECT * FROM aggregated('M.FLOW', 'Q', 'sum', as_of := DATE '2025-07-31')"
    )
    assert in_sql["2025-01-01"] is None and in_sql["2025-04-01"] == 150.0


def test_aggregating_a_jan_feb_span(con):
    define(con, "CN.EXP.USD")
    define(con, "CN.EXP.YOY", unit="% y/y", unit_kind="growth_yoy")
    publish(con, "2025-04-14", [
        ("CN.EXP.USD", "2025-01/02", 198.0), ("CN.EXP.USD", "2025-03", 121.0),
        ("CN.EXP.YOY", "2025-01/02", 2.3), ("CN.EXP.YOY", "2025-03", 12.4),
    ])  # fmt: skip
    # A level span is the total of its months; a growth rate's span is their average.
    assert values(analytics.aggregated(con, "CN.EXP.USD", "Q", "avg"))["2025-01-01"] == (
        pytest.approx((198 + 121) / 3, rel=1e-12)
    )
    assert values(analytics.aggregated(con, "CN.EXP.USD", "Q", "sum"))["2025-01-01"] == 319.0
    assert values(analytics.aggregated(con, "CN.EXP.YOY", "Q", "avg"))["2025-01-01"] == (
        pytest.approx((2 * 2.3 + 12.4) / 3, rel=1e-12)
    )


@pytest.mark.parametrize(
    ("series_id", "frequency", "method", "message"),
    [
        ("M.RATE", "Q", "sum",
         "sum adds the periods up, but M.RATE is a rate (%); use avg or eop"),
        ("M.FLOW", "Q", "median", "aggregated: unknown method 'median' (use avg, sum or eop)"),
        ("Q.FLOW", "M", "avg",
         "aggregated: Q.FLOW has frequency Q; it cannot be split into M periods "
         "(aggregate to a lower frequency: S or A)"),
        ("M.FLOW", "W", "avg", "aggregated: 'W' is not a frequency to aggregate to (use Q, S or A)"),
    ],
)  # fmt: skip
def test_aggregation_refusals(con, series_id, frequency, method, message):
    define(con, "M.FLOW")
    define(con, "M.RATE", unit="%", unit_kind="rate")
    define(con, "Q.FLOW", frequency="Q")
    with pytest.raises(TransformError) as info:
        analytics.aggregated(con, series_id, frequency, method)
    assert info.value.message == message


def test_unknown_series_is_an_sql_error(con):
    with pytest.raises(duckdb.InvalidInputException, match="unknown series 'NOPE'"):
        con.sql("SELECT * FROM aggregated('NOPE', 'Q', 'avg')").fetchall()
    with pytest.raises(duckdb.InvalidInputException, match="unknown series 'NOPE'"):
        con.sql("SELECT * FROM transformed('NOPE', 'lin')").fetchall()


# Rebasing ------------------------------------------------------------------------------------


def test_rebased_to_a_month_a_quarter_and_a_year(con):
    _flows(con)
    month = analytics.rebased(con, "M.FLOW", "2025-04")
    assert values(month)["2025-05-01"] == pytest.approx(125.0, rel=1e-12)
    assert values(month)["2025-04-01"] == 100.0
    assert month["unit"][0] == "index, 2025-04 = 100"
    quarter = analytics.rebased(con, "M.FLOW", "2025-Q2")
    assert [values(quarter)[f"2025-0{m}-01"] for m in (4, 5, 6)] == pytest.approx([80, 100, 120])
    assert quarter["unit"][0] == "index, 2025-Q2 = 100"
    in_sql = sql_values(
        con, "SELECT * FROM rebased('M.FLOW', DATE '2025-06-15') WHERE period = DATE '2025-03-01'"
    )
    assert in_sql == {"2025-03-01": pytest.approx(50.0, rel=1e-12)}
    with pytest.raises(TransformError) as info:
        analytics.rebased(con, "M.FLOW", "2025-Q1")
    assert info.value.message == (
        "rebased: M.FLOW has no complete values for the base period 2025-Q1 "
        "(choose a base period the series covers)"
    )


# Trends --------------------------------------------------------------------------------------


def _trend_store(con) -> None:
    define(con, "G.YOY", name="China exports, y/y", unit="% y/y", unit_kind="growth_yoy")
    define(con, "G.GAP", unit="% y/y", unit_kind="growth_yoy")
    define(con, "G.SPAN", unit="% y/y", unit_kind="growth_yoy")
    define(con, "L.IMP", name="US imports from China")
    define(con, "USA.TARIFF.CHN", name="US tariff on China", unit="%", unit_kind="rate",
           frequency="irregular", kind="policy")  # fmt: skip
    define(con, "FCST", unit="% y/y", unit_kind="growth_yoy", frequency="A", kind="forecast")
    publish(con, "2025-06-09", [
        *months("2024-12", [-1.0, 2.0, 3.0, 1.5, 4.8], "G.YOY"),
        ("G.GAP", "2025-01", 1.0), ("G.GAP", "2025-02", 2.0),
        ("G.GAP", "2025-04", 3.0), ("G.GAP", "2025-05", 4.0),
        ("G.SPAN", "2025-01/02", 2.3), ("G.SPAN", "2025-03", 12.4), ("G.SPAN", "2025-04", 8.1),
        *months("2025-01", [100.0, 90.0, 95.0, 85.0, 80.0], "L.IMP"),
        ("USA.TARIFF.CHN", "2025-03-04", 20.0), ("USA.TARIFF.CHN", "2025-04-10", 145.0),
        ("USA.TARIFF.CHN", "2025-05-14", 30.0), ("USA.TARIFF.CHN", "2025-06-01", 30.0),
        ("FCST", "2025", 2.9),
    ])  # fmt: skip


def test_trends_streaks_and_headlines(con):
    _trend_store(con)
    trends = {r["series_id"]: r for r in analytics.trends(con).iter_rows(named=True)}

    assert set(trends) == {"G.YOY", "G.GAP", "G.SPAN", "L.IMP", "USA.TARIFF.CHN"}  # no forecasts
    growth = trends["G.YOY"]
    assert (growth["streak_basis"], growth["streak_sign"], growth["streak_length"]) == (
        "value", 1, 4,
    )  # fmt: skip
    assert growth["headline"] == (
        "China exports, y/y: 4.8 % y/y in 2025-04; has grown y/y for 4 consecutive months"
    )
    assert growth["change_1p"] == pytest.approx(3.3, rel=1e-12)
    assert growth["pct_change_1p"] is None  # a percent change of a growth rate is not offered
    assert trends["G.GAP"]["streak_length"] == 2  # the missing March ends the run
    assert trends["G.SPAN"]["streak_length"] == 4  # Jan–Feb counts for two months

    imports = trends["L.IMP"]
    assert (imports["up_last_4"], imports["down_last_4"], imports["changes_last_4"]) == (1, 3, 4)
    assert (imports["streak_basis"], imports["streak_sign"], imports["streak_length"]) == (
        "change", -1, 2,
    )  # fmt: skip
    assert imports["headline"] == (
        "US imports from China: 80 USD mn in 2025-05; fell in 3 of the last 4 months"
    )
    assert imports["last_value"] == 80.0
    assert imports["change_1p"] == -5.0
    assert imports["pct_change_1p"] == pytest.approx(-500 / 85, rel=1e-12)
    assert imports["year_ago_value"] is None and imports["change_1y"] is None
    assert imports["mean_3"] == pytest.approx((95 + 85 + 80) / 3, rel=1e-12)
    assert imports["mean_12"] is None  # only 5 of 12 months
    assert imports["slope_6"] == pytest.approx(-4.5, rel=1e-12)

    tariff = trends["USA.TARIFF.CHN"]
    assert tariff["last_period"] == date(2025, 5, 14)  # the 2025-06-01 restatement is no change
    assert tariff["headline"] == "US tariff on China: 30 % since 2025-05-14 (was 145)"
    assert (tariff["mean_3"], tariff["slope_6"]) == (None, None)


def test_trends_as_of_a_date(con):
    _trend_store(con)
    publish(con, "2025-07-14", [("G.YOY", "2025-05", -0.5)])
    before = analytics.trends(con, as_of="2025-07-01").filter(pl.col("series_id") == "G.YOY")
    after = analytics.trends(con).filter(pl.col("series_id") == "G.YOY")
    assert (before["last_value"][0], before["streak_length"][0]) == (4.8, 4)
    assert (after["last_value"][0], after["streak_sign"][0], after["streak_length"][0]) == (
        -0.5, -1, 1,
    )  # fmt: skip
    assert after["headline"][0] == (
        "China exports, y/y: -0.5 % y/y in 2025-05; has shrunk y/y in the latest month"
    )


# Forecast evolution --------------------------------------------------------------------------


def test_oecd_forecast_evolution_with_revisions_and_errors(con):
    define(con, "WLD.GDP.OECD_FCST", unit="% y/y", unit_kind="growth_yoy", frequency="A",
           kind="forecast", geo="WLD", source="OECD")  # fmt: skip
    define(con, "WLD.GDP", unit="% y/y", unit_kind="growth_yoy", frequency="A", geo="WLD")
    con.execute(
        "UPDATE series SET actual_series_id = 'WLD.GDP' WHERE series_id = 'WLD.GDP.OECD_FCST'"
    )
    published = ["2024-09-25", "2024-12-04", "2025-03-17", "2025-06-03"]
    for day, value in zip(published, [3.2, 3.3, 3.1, 2.9], strict=True):
        publish(con, day, [("WLD.GDP.OECD_FCST", "2025", value)])

    before = analytics.forecast_evolution(con, "WLD.GDP.OECD_FCST")
    assert before["value"].to_list() == [3.2, 3.3, 3.1, 2.9]
    assert before["revision"].to_list()[0] is None
    assert before["revision"].to_list()[1:] == pytest.approx([0.1, -0.2, -0.2], abs=1e-12)
    assert before["version"].to_list() == [1, 2, 3, 4]
    assert before["actual_value"].to_list() == [None] * 4
    assert before["horizon_days"][0] == (date(2025, 12, 31) - date(2024, 9, 25)).days
    assert [d.date().isoformat() for d in before["published_at"]] == published

    publish(con, "2026-04-14", [("WLD.GDP", "2025", 3.0)])
    after = analytics.forecast_evolution(con)
    assert after["actual_value"].to_list() == [3.0] * 4
    assert after["forecast_error"].to_list() == pytest.approx([0.2, 0.3, 0.1, -0.1], abs=1e-12)


def test_actual_series_id_column_comes_from_migration_002(con):
    columns = {r[0] for r in con.execute("DESCRIBE series").fetchall()}
    assert "actual_series_id" in columns
    assert "002_analytics" in db.applied_migrations(con)


# Policy regimes ------------------------------------------------------------------------------


def _tariffs(con) -> None:
    define(con, "USA.TARIFF.CHN", unit="%", unit_kind="rate", frequency="irregular",
           kind="policy", geo="USA")  # fmt: skip
    publish(con, "2025-02-01", [("USA.TARIFF.CHN", "2025-02-04", 10.0)])
    publish(con, "2025-03-03", [("USA.TARIFF.CHN", "2025-03-04", 20.0)])
    publish(con, "2025-04-09", [
        ("USA.TARIFF.CHN", "2025-04-09", 104.0), ("USA.TARIFF.CHN", "2025-04-10", 145.0),
    ])  # fmt: skip
    publish(con, "2025-05-12", [("USA.TARIFF.CHN", "2025-05-14", 30.0)])
    publish(con, "2025-06-01", [("USA.TARIFF.CHN", "2025-06-01", 30.0)])  # a restatement


def test_tariff_regimes(con):
    _tariffs(con)
    result = analytics.regimes(con, "USA.TARIFF.CHN")
    assert result.select("value", "effective_from", "effective_to").rows() == [
        (10.0, date(2025, 2, 4), date(2025, 3, 3)),
        (20.0, date(2025, 3, 4), date(2025, 4, 8)),
        (104.0, date(2025, 4, 9), date(2025, 4, 9)),
        (145.0, date(2025, 4, 10), date(2025, 5, 13)),
        (30.0, date(2025, 5, 14), None),
    ]
    in_sql = con.sql(
        "SELECT value, effective_from, effective_to FROM regimes WHERE value = 145"
    ).fetchall()
    assert in_sql == [(145.0, date(2025, 4, 10), date(2025, 5, 13))]
    as_of = analytics.regimes(con, "USA.TARIFF.CHN", as_of="2025-05-01")
    assert as_of.select("value", "effective_from", "effective_to").rows()[-1] == (
        145.0, date(2025, 4, 10), None,
    )  # fmt: skip


def test_ch1_of_a_policy_level_uses_the_level_in_force_a_year_before(con):
    _tariffs(con)
    publish(con, "2026-03-01", [("USA.TARIFF.CHN", "2026-03-01", 25.0)])
    ch1 = values(analytics.transformed(con, "USA.TARIFF.CHN", "ch1"))
    assert ch1["2026-03-01"] == 25.0 - 10.0  # 2025-03-01: the 10 % of 2025-02-04 was in force
    assert ch1["2025-05-14"] is None  # nothing was in force on 2024-05-14


# Revisions -----------------------------------------------------------------------------------


def _revised(con) -> list[int]:
    define(con, "R.S")
    return [
        publish(con, "2025-02-01", [("R.S", "2025-01", 10.0)]),
        publish(con, "2025-03-01", [("R.S", "2025-01", 11.0), ("R.S", "2025-02", 20.0)]),
        publish(con, "2025-04-01", [
            ("R.S", "2025-01", 12.5), ("R.S", "2025-02", 20.0), ("R.S", "2025-03", 30.0),
        ]),
    ]  # fmt: skip


def test_revision_stats(con):
    _revised(con)
    define(con, "EMPTY")
    stats = {r["series_id"]: r for r in analytics.revision_stats(con).iter_rows(named=True)}
    row = stats["R.S"]
    assert (row["periods"], row["revised_periods"], row["revision_count"]) == (3, 1, 2)
    assert row["revised_share"] == pytest.approx(1 / 3, rel=1e-12)
    assert row["mean_revision"] == pytest.approx(1.25, rel=1e-12)
    assert row["mean_abs_revision"] == pytest.approx(1.25, rel=1e-12)
    assert row["max_abs_revision"] == pytest.approx(1.5, rel=1e-12)
    assert row["mean_first_to_latest"] == pytest.approx(2.5 / 3, rel=1e-12)
    assert row["last_revised_at"] == datetime(2025, 4, 1)
    assert (stats["EMPTY"]["periods"], stats["EMPTY"]["mean_revision"]) == (0, None)


def test_revision_triangle(con):
    r1, r2, r3 = _revised(con)
    triangle = analytics.revision_triangle(con, "R.S")
    assert triangle.select(
        "period", "release_id", "value", "changed", "revision_since_first"
    ).rows() == [
        (date(2025, 1, 1), r1, 10.0, True, 0.0),
        (date(2025, 1, 1), r2, 11.0, True, 1.0),
        (date(2025, 1, 1), r3, 12.5, True, 2.5),
        (date(2025, 2, 1), r2, 20.0, True, 0.0),
        (date(2025, 2, 1), r3, 20.0, False, 0.0),
        (date(2025, 3, 1), r3, 30.0, True, 0.0),
    ]


# Data checks ---------------------------------------------------------------------------------


def _clean(con) -> int:
    define(con, "M.OK", min_value=0.0, max_value=500.0)
    define(con, "A.OK", frequency="A")
    return publish(con, "2025-04-14", [
        ("M.OK", "2025-01/02", 198.0), ("M.OK", "2025-03", 121.0), ("A.OK", "2024", 5.0),
    ])  # fmt: skip


CORRUPTIONS = {
    "duplicate_keys": "INSERT INTO observations SELECT * FROM observations LIMIT 1",
    "periods_off_frequency": (
        "INSERT INTO observations VALUES "
        "('M.OK', DATE '2025-04-15', DATE '2025-04-30', 1.0, 'actual', $rid, NULL)"
    ),
    # The values as now known (kept) against a range tightened after they were appended.
    "values_out_of_range": "UPDATE series SET max_value = 150.0 WHERE series_id = 'M.OK'",
    "releases_without_rows": (
        "INSERT INTO releases (release_id, source, published_at, ingested_at, format, checksum,"
        " rows_new) VALUES (99, 'X', TIMESTAMP '2025-05-01', TIMESTAMP '2025-05-01', 'test',"
        " 'abc', 3)"
    ),
    "series_without_source": (
        "INSERT INTO series (series_id, name, unit, unit_kind, frequency, source, kind)"
        " VALUES ('NO.SOURCE', 'n', 'u', 'level', 'M', ' ', 'actual')"
    ),
    "observations_without_series": (
        "INSERT INTO observations VALUES "
        "('GHOST', DATE '2025-01-01', DATE '2025-01-31', 1.0, 'actual', $rid, NULL)"
    ),
    "observations_without_release": (
        "INSERT INTO observations VALUES "
        "('M.OK', DATE '2025-05-01', DATE '2025-05-31', 1.0, 'actual', 12345, NULL)"
    ),
    # The kept state drifting from the history it is derived from.
    "kept_observations_match_history": (
        "UPDATE current_observations SET published_at = published_at + INTERVAL 1 DAY "
        "WHERE series_id = 'A.OK'"
    ),
    "kept_series_match_history": "UPDATE current_series SET release_count = release_count + 1",
    "kept_release_series_match_history": "UPDATE release_series SET stored_rows = stored_rows + 1",
    "kept_trends_match_history": "UPDATE current_trends SET last_value = last_value * 2",
}
#: Checks that compare the kept state with the history: rows written around `tracker append`
#: (the other corruptions) leave the state behind too, so these may fail along with them.
KEPT = {name for name in CORRUPTIONS if name.startswith("kept_")}


def test_every_check_file_is_covered_and_documented():
    names = {db.object_name(p) for p in db.check_files()}
    assert names == set(CORRUPTIONS)
    for check in db.check_files():
        assert check.read_text().startswith(f"-- {check.stem}: "), check.name


def test_checks_pass_on_a_clean_store(con):
    _clean(con)
    results = analytics.run_checks(con)
    assert {name: frame.height for name, frame in results.items()} == dict.fromkeys(CORRUPTIONS, 0)


@pytest.mark.parametrize("check", sorted(CORRUPTIONS))
def test_each_check_catches_its_corruption(con, check):
    release_id = _clean(con)
    sql = CORRUPTIONS[check]
    con.execute(sql, {"rid": release_id} if "$rid" in sql else {})
    failing = {name for name, frame in analytics.run_checks(con).items() if frame.height}
    assert check in failing
    assert failing - {check} <= (set() if check in KEPT else KEPT)


# CLI and API ---------------------------------------------------------------------------------


def test_cli_check_passes_then_fails(con, path):
    _clean(con)
    con.close()
    total = len(db.check_files())
    clean = run("check", "--db", str(path))
    assert (clean.exit_code, clean.stdout) == (0, f"all {total} checks passed\n")

    with db.connect(path) as writer:
        writer.execute(CORRUPTIONS["duplicate_keys"])
    dirty = run("check", "--db", str(path), "--format", "csv")
    assert dirty.exit_code == 1
    assert dirty.stdout.splitlines() == [
        "check duplicate_keys failed: 1 offending row",
        "series_id,period,release_id,copies",
        "A.OK,2024-01-01,1,2",
    ]
    assert dirty.stderr == f"error: 1 of {total} checks failed: duplicate_keys\n"


def test_cli_show_transform_as_of(con, path):
    _chn_exports(con)
    con.close()
    result = run(
        "show", "CHN.EXPORTS.YOY", "--db", str(path), "--transform", "ch1",
        "--as-of", "2025-06-10", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "series_id,period,period_end,value,unit"
    frame = csv_frame(result.stdout)
    may = frame.filter(pl.col("period") == date(2025, 5, 1))
    assert may["value"][0] == pytest.approx(4.8 - 7.6, rel=1e-12)
    assert may["unit"][0] == "percentage points, change from a year ago"
    assert frame["period"].to_list() == [date(2024, 5, 1), date(2025, 4, 1), date(2025, 5, 1)]


def test_cli_show_to_quarter_and_rebase(con, path):
    _flows(con)
    con.close()
    summed = run(
        "show", "M.FLOW", "--db", str(path), "--to", "Q", "--agg", "sum", "--format", "csv"
    )
    assert summed.stdout.splitlines() == [
        "series_id,period,period_end,value,unit,frequency,covered,expected",
        "M.FLOW,2024-10-01,2024-12-31,,USD mn,Q,2,3",
        "M.FLOW,2025-01-01,2025-03-31,,USD mn,Q,2,3",
        "M.FLOW,2025-04-01,2025-06-30,150.0,USD mn,Q,3,3",
    ]
    table = run("show", "M.FLOW", "--db", str(path), "--rebase", "2025-04")
    assert table.exit_code == 0
    assert "M.FLOW — M.FLOW (index, 2025-04 = 100)" in table.stdout
    usage = run("show", "M.FLOW", "--db", str(path), "--agg", "sum")
    assert usage.exit_code == 2 and "--agg needs --to" in usage.stderr


def test_cli_trends(con, path):
    _trend_store(con)
    con.close()
    result = run("trends", "--db", str(path), "--format", "csv")
    assert result.exit_code == 0
    frame = csv_frame(result.stdout)
    headline = frame.filter(pl.col("series_id") == "L.IMP")["headline"][0]
    assert headline == "US imports from China: 80 USD mn in 2025-05; fell in 3 of the last 4 months"
    table = run("trends", "--db", str(path))
    assert table.exit_code == 0 and "L.IMP" in table.stdout
    lines = run("trends", "--db", str(path), "--headlines").stdout.splitlines()
    assert lines[2] == (
        "China exports, y/y: 4.8 % y/y in 2025-04; has grown y/y for 4 consecutive months"
    )
    assert lines[-1] == "US tariff on China: 30 % since 2025-05-14 (was 145)"


def test_store_methods_read_the_same_views(con, path):
    _flows(con)
    _tariffs(con)
    _revised(con)
    con.close()
    store = tracker.open(path)
    assert values(store.aggregated("M.FLOW", "Q", "sum"))["2025-04-01"] == 150.0
    assert values(store.transformed("M.FLOW", "chg"))["2025-05-01"] == 10.0
    assert values(store.rebased("M.FLOW", "2025-04"))["2025-06-01"] == pytest.approx(150.0)
    assert store.regimes("USA.TARIFF.CHN")["value"].to_list() == [10.0, 20.0, 104.0, 145.0, 30.0]
    assert set(store.trends()["series_id"]) == {"M.FLOW", "USA.TARIFF.CHN", "R.S"}
    assert store.forecast_evolution().height == 0
    assert store.revision_stats().filter(pl.col("series_id") == "R.S")["revision_count"][0] == 2
    assert store.revision_triangle("R.S").height == 6
    assert all(frame.height == 0 for frame in store.run_checks().values())
