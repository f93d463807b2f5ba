"""What's due, what's late, what surprised, and a user's own Overview.

The release calendar on irregular histories (China's combined January–February release, a
missed month, quarterly and annual series, a publisher's schedule), the surprises of May 2025
against the Reuters poll, the Overview's cards from the watchlist or the newest releases, and the
CLI commands that manage them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import define, release
from tracker import db
from tracker.cli import cli


def calendar(con, today: str, series_id: str) -> dict:
    rows = con.sql(
        "SELECT * FROM release_calendar_asof(CAST($today AS DATE)) WHERE series_id = $id",
        params={"today": today, "id": series_id},
    ).pl()
    assert rows.height == 1, f"{series_id} not in the calendar"
    return rows.row(0, named=True)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# The seed's own history --------------------------------------------------------------------


def test_china_january_february_is_expected_as_one_span_after_december(tmp_path, seeded):
    # The store as it stood after the December 2024 release (published 2025-01-13).
    with db.connect(seeded) as con:
        later = con.execute(
            "SELECT release_id FROM releases WHERE published_at > TIMESTAMP '2025-01-13 23:59'"
        ).fetchall()
        con.execute(
            "DELETE FROM observations WHERE list_contains(?, release_id)", [[r[0] for r in later]]
        )
        con.execute("DELETE FROM releases WHERE published_at > TIMESTAMP '2025-01-13 23:59'")
        from tracker import state

        state.rebuild(con)
        row = calendar(con, "2025-02-25", "CHN.EXPORTS.YOY")

    assert (row["last_period"], row["next_period"], row["next_period_end"]) == (
        date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 28),
    )  # fmt: skip
    # Customs published Jan–Feb 2024 on 7 March: 8 days after the span ended; the typical lag
    # over the newest 12 periods is about 10 days, so early March, not mid-February.
    assert date(2025, 3, 5) <= row["expected_on"] <= date(2025, 3, 12)
    assert row["basis"] == "inferred" and row["confidence"] == "high"
    assert row["overdue"] is False


def test_the_seed_calendar_in_december_2026_says_june_2025_is_stale(seeded):
    with db.connect(seeded, read_only=True) as con:
        row = calendar(con, "2026-12-03", "CHN.IMPORTS.YOY")
        policy = calendar(con, "2026-12-03", "USA.TARIFF.CHN")

    assert row["expected_on"] == date(2025, 7, 10)
    assert row["overdue"] is True and row["overdue_since"] == date(2025, 7, 21)
    assert row["freshness"] == "last release 9 Jun 2025, monthly: overdue since 21 Jul 2025"
    assert (policy["expected_on"], policy["basis"], policy["overdue"]) == (None, "none", False)


# Synthetic histories ---------------------------------------------------------------------------


def test_a_missed_month_is_overdue_after_the_tolerance(con):
    define(con, "M.X")
    for month in range(1, 7):  # Jan..Jun published on the 15th of the next month
        release(con, f"2025-{month + 1:02d}-15", [("M.X", f"2025-{month:02d}", float(month))])

    due = calendar(con, "2025-08-20", "M.X")
    late = calendar(con, "2025-08-26", "M.X")

    assert due["next_period"] == date(2025, 7, 1) and due["expected_on"] == date(2025, 8, 15)
    assert due["overdue"] is False and due["days_until"] == -5
    assert late["overdue"] is True and late["overdue_since"] == date(2025, 8, 26)
    assert due["confidence"] == "high"  # six lags, all the same


def test_quarterly_and_annual_series(con):
    define(con, "Q.X", frequency="Q")
    define(con, "A.X", frequency="A")
    release(con, "2024-10-30", [("Q.X", "2024-Q3", 1.0)])
    release(con, "2025-01-30", [("Q.X", "2024-Q4", 2.0)])
    release(con, "2025-03-01", [("A.X", "2024", 5.0)])

    quarterly = calendar(con, "2025-02-01", "Q.X")
    annual = calendar(con, "2025-03-02", "A.X")

    assert (quarterly["next_period"], quarterly["next_period_end"]) == (
        date(2025, 1, 1), date(2025, 3, 31),
    )  # fmt: skip
    assert quarterly["expected_on"] == date(2025, 4, 30)  # 30 days after the quarter ends
    assert quarterly["tolerance_days"] == 21 and quarterly["confidence"] == "low"
    assert annual["expected_on"] == date(2026, 3, 1) and annual["tolerance_days"] == 45


def test_a_schedule_wins_over_the_history_and_an_imported_file_sets_it(tmp_path, con, store):
    define(con, "M.X")
    for month in range(1, 4):
        release(con, f"2025-{month + 1:02d}-15", [("M.X", f"2025-{month:02d}", float(month))])
    con.close()
    dates = tmp_path / "calendar.csv"
    dates.write_text(
        "series_id,expected_on,release\nM.X,2025-05-02,April data\nM.X,2025-03-01,old\n"
    )

    result = run("calendar", "import", str(dates), "--db", str(store))

    assert (result.exit_code, result.stderr) == (0, "calendar.csv: 2 release date(s) imported\n")
    with db.connect(store, read_only=True) as reader:
        row = calendar(reader, "2025-05-10", "M.X")
    assert (row["expected_on"], row["basis"], row["confidence"]) == (
        date(2025, 5, 2), "schedule", "high",
    )  # fmt: skip
    assert row["basis_detail"] == "announced by calendar file calendar.csv"


def test_a_bad_calendar_file_names_every_bad_row_and_imports_nothing(tmp_path, con, store):
    define(con, "M.X")
    con.close()
    dates = tmp_path / "bad.csv"
    dates.write_text("series_id,expected_on\nM.X,2025-05-02\nM.Y,2025-06-02\nM.X,next week\n")

    result = run("calendar", "import", str(dates), "--db", str(store))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: bad.csv:3: column 'series_id': 'M.Y' is not a known series (define it first, "
        "or check the id with `tracker series`)",
        "error: bad.csv:4: column 'expected_on': 'next week' is not a date (use YYYY-MM-DD)",
    ]
    with db.connect(store, read_only=True) as reader:
        assert reader.sql("SELECT count(*) FROM release_dates").fetchall() == [(0,)]


def test_tracker_calendar_lists_overdue_and_due(tmp_path, con, store):
    define(con, "M.X")
    define(con, "M.Y")
    for month in range(1, 4):
        release(con, f"2025-{month + 1:02d}-15", [("M.X", f"2025-{month:02d}", 1.0)])
        release(con, f"2025-{month + 1:02d}-16", [("M.Y", f"2025-{month:02d}", 1.0)])
    release(con, "2025-05-16", [("M.Y", "2025-04", 1.0)])
    con.close()

    result = run(
        "calendar", "--db", str(store), "--today", "2025-05-28", "--days", "30", "--format", "csv"
    )

    lines = result.stdout.splitlines()
    assert lines[0].startswith("series_id,frequency,last_published_at,expected_on,basis")
    assert [line.split(",")[0] for line in lines[1:]] == ["M.X", "M.Y"]  # overdue, then due
    assert lines[1].split(",")[6] == "true" and lines[2].split(",")[6] == "false"


# Consensus and surprises -----------------------------------------------------------------------


def test_surprise_z_needs_six_earlier_surprises(con):
    define(con, "M.A")
    define(con, "M.C", kind="forecast", actual_series_id="M.A")
    surprises = [1.0, -1.0, 2.0, -2.0, 1.0, -1.0, 3.0]
    for month, surprise in enumerate(surprises, start=1):
        release(con, f"2025-{month + 1:02d}-10", [("M.C", f"2025-{month:02d}", 10.0)])
        release(con, f"2025-{month + 1:02d}-15", [("M.A", f"2025-{month:02d}", 10.0 + surprise)])

    rows = con.sql("SELECT surprise, surprise_z FROM surprises ORDER BY period").fetchall()

    assert [r[0] for r in rows] == surprises
    assert [r[1] for r in rows[:6]] == [None] * 6
    spread = (sum((x - sum(surprises[:6]) / 6) ** 2 for x in surprises[:6]) / 5) ** 0.5
    assert rows[6][1] == pytest.approx(3.0 / spread)


def test_a_poll_published_after_the_actual_is_not_its_consensus(con):
    define(con, "M.A")
    define(con, "M.C", kind="forecast", actual_series_id="M.A")
    release(con, "2025-02-10", [("M.C", "2025-01", 1.0)])
    release(con, "2025-02-15", [("M.A", "2025-01", 2.0)])
    release(con, "2025-02-20", [("M.C", "2025-01", 1.9)])  # a "forecast" after the fact

    assert con.sql("SELECT consensus, surprise FROM surprises").fetchall() == [(1.0, 1.0)]


# The Overview's cards -------------------------------------------------------------------------


def test_the_seed_cards_are_the_seed_watchlist(seeded):
    with db.connect(seeded, read_only=True) as con:
        cards = con.sql(
            "SELECT series_id, chosen_by, period_code, value_text, consensus_text, freshness "
            "FROM overview_cards_asof(DATE '2025-06-20')"
        ).fetchall()

    assert [c[0] for c in cards] == [
        "CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY", "USA.TARIFF.CHN", "CHN.TARIFF.USA",
        "WLD.GDP.OECD_FCST", "WLD.GDP.IMF_FCST", "CHN.RAREEARTH.MINE_SHARE",
    ]  # fmt: skip
    assert {c[1] for c in cards} == {"watchlist"}
    imports = cards[1]
    assert imports[2:4] == ("2025-05", "-3.4")
    assert imports[5] == "last release 9 Jun 2025, monthly: next expected 10 Jul 2025"
    assert cards[4][2:4] == ("2025", "2.9")  # OECD's newest forecast for the current year


def test_forecast_cards_move_to_the_next_year_when_forecasts_for_it_exist(seeded):
    with db.connect(seeded, read_only=True) as con:
        in_2026 = con.sql(
            "SELECT period_code, value FROM overview_cards_asof(DATE '2026-03-01') "
            "WHERE series_id = 'WLD.GDP.OECD_FCST'"
        ).fetchall()
        in_2030 = con.sql(
            "SELECT period_code FROM overview_cards_asof(DATE '2030-03-01') "
            "WHERE series_id = 'WLD.GDP.OECD_FCST'"
        ).fetchall()
        newest = con.sql(
            "SELECT max(period) FROM latest WHERE series_id = 'WLD.GDP.OECD_FCST'"
        ).fetchall()[0][0]

    assert in_2026[0][0] == "2026"
    assert in_2030 == [(str(newest.year),)]  # no forecast for 2030: the newest target


def test_without_a_watchlist_the_cards_are_the_newest_releases(con):
    for i in range(10):
        define(con, f"USER.S{i}")
        release(con, f"2025-03-{i + 1:02d}", [(f"USER.S{i}", "2025-02", float(i))])

    cards = con.sql("SELECT series_id, chosen_by FROM overview_cards").fetchall()

    assert [c[0] for c in cards] == [f"USER.S{i}" for i in range(9, 1, -1)]
    assert {c[1] for c in cards} == {"newest releases"}


# Watchlist and events from the command line ---------------------------------------------------


def test_watch_add_remove_list(con, store):
    define(con, "M.X")
    define(con, "M.Y")
    con.close()

    assert (
        run("watch", "add", "M.Y", "M.X", "--db", str(store)).stderr == "watching 2 more series\n"
    )
    assert run("watch", "list", "--db", str(store)).stdout == "M.Y\nM.X\n"
    assert run("watch", "remove", "M.Y", "--db", str(store)).stderr == "stopped watching 1 series\n"
    assert run("watch", "--db", str(store)).stdout == "M.X\n"
    typo = run("watch", "add", "M.Z", "--db", str(store))
    assert typo.exit_code == 1
    assert typo.stderr.startswith("error: unknown series 'M.Z' (did you mean ")


def test_events_add_list_remove_and_global_events(con, store):
    define(con, "M.X")
    define(con, "M.Y")
    con.close()

    mine = run("events", "add", "--starts-on", "2025-05-12", "--title", "Truce", "--series", "M.X",
               "--db", str(store))  # fmt: skip
    everyone = run("events", "add", "--starts-on", "2025-06-01", "--title", "Global shock",
                   "--db", str(store))  # fmt: skip
    backwards = run("events", "add", "--starts-on", "2025-06-01", "--ends-on", "2025-05-01",
                    "--title", "X", "--db", str(store))  # fmt: skip

    assert mine.stderr == "event 1 added (for M.X): Truce\n"
    assert everyone.stderr == "event 2 added (global): Global shock\n"
    assert backwards.exit_code == 1 and "is before --starts-on" in backwards.stderr
    shown_for_y = run("events", "list", "--series", "M.Y", "--db", str(store), "--format", "csv")
    assert [line.split(",")[3] for line in shown_for_y.stdout.splitlines()[1:]] == ["Global shock"]
    assert run("events", "remove", "1", "--db", str(store)).stderr == "event 1 removed: Truce\n"
    gone = run("events", "remove", "1", "--db", str(store))
    assert gone.exit_code == 1 and "there is no event 1" in gone.stderr


def test_init_sets_the_seed_watchlist_once(tmp_path: Path):
    store = tmp_path / "s.duckdb"
    assert run("init", "--db", str(store)).exit_code == 0
    run("watch", "remove", "WLD.GDP.IMF_FCST", "--db", str(store))

    assert run("init", "--db", str(store)).exit_code == 0

    listed = run("watch", "list", "--db", str(store)).stdout.split()
    assert "WLD.GDP.IMF_FCST" not in listed and len(listed) == 6
