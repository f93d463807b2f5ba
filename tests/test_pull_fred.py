"""tracker pull from FRED/ALFRED, against GDP's recorded real-time rows served from 127.0.0.1.

The numbers are checked against FRED's own rows: what `asof` returns on a date must be exactly
the values FRED lists as valid on that date.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import content
from recorded_api import API_KEY, LATEST, ApiServer, environment, recording

from tracker import db, pull
from tracker.providers import fred

NOW = datetime(2024, 11, 3, 12, 0)  # the day the recordings were made
ROWS = json.loads(recording("fred/GDP_all_releases.json"))["observations"]


@pytest.fixture
def api(monkeypatch, tmp_path):
    server = ApiServer().start()
    environment(server, monkeypatch, tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """GDP's whole history pulled once, with FRED's vintage cap lowered to 100 and small pages,
    so that runs of vintages and pages of rows and dates are all exercised."""
    folder = tmp_path_factory.mktemp("gdp")
    server = ApiServer().start()
    server.fred.max_vintage_dates = 100
    with pytest.MonkeyPatch.context() as patch:
        environment(server, patch, folder)
        patch.setattr(fred.Provider, "max_vintage_dates", 100)
        patch.setattr(fred.Provider, "page_rows", 500)
        patch.setattr(fred.Provider, "page_dates", 150)
        store = folder / "gdp.duckdb"
        pull.subscribe(store, "fred:GDP")
        started = time.monotonic()
        [result] = pull.pull(store, now=NOW)
        seconds = time.monotonic() - started
    server.stop()
    return store, result, list(server.log), seconds


@pytest.fixture
def gdp(tmp_path, pulled) -> Path:
    """A private copy of the store with GDP pulled."""
    store = tmp_path / "gdp.duckdb"
    shutil.copy(pulled[0], store)
    return store


def known_on(day: str) -> dict[str, float | None]:
    """FRED's values valid on ``day``: rows with realtime_start <= day <= realtime_end."""
    return {
        row["date"]: None if row["value"] == "." else float(row["value"])
        for row in ROWS
        if row["realtime_start"] <= day <= row["realtime_end"]
    }


def asof(store: Path, day: str) -> dict[str, float | None]:
    with db.connect(store, read_only=True) as con:
        rows = con.execute(
            "SELECT period, value FROM asof(CAST(? AS DATE)) WHERE series_id = 'GDP'", [day]
        ).fetchall()
    return {period.isoformat(): value for period, value in rows}


# The server answers like FRED --------------------------------------------------------------


def test_the_served_vintage_dates_are_fred_s(api):
    recorded = json.loads(recording("fred/GDP_vintagedates.json"))["vintage_dates"]
    assert api.fred.vintage_dates("GDP") == recorded


def test_the_server_clips_real_time_periods_like_fred(api):
    import requests

    # The current vintage as FRED served it on 2024-10-30 (recorded separately).
    latest = json.loads(recording("fred/GDP_observations_latest.json"))["observations"]
    answer = requests.get(
        f"{api.url}/fred/series/observations",
        params={"series_id": "GDP", "api_key": API_KEY, "file_type": "json",
                "realtime_start": "2024-10-30", "realtime_end": "2024-10-30"},
        timeout=5,
    ).json()  # fmt: skip
    assert answer["observations"] == latest
    # A start between vintages: rows are clipped to it, so it is no vintage date (FRED does so).
    clipped = requests.get(
        f"{api.url}/fred/series/observations",
        params={"series_id": "GDP", "api_key": API_KEY, "realtime_start": "2000-01-01",
                "realtime_end": "2000-01-01"},
        timeout=5,
    ).json()["observations"]  # fmt: skip
    assert {row["realtime_start"] for row in clipped} == {"2000-01-01"}


# The first pull ----------------------------------------------------------------------------


def test_the_first_pull_brings_every_vintage_as_its_own_release(pulled):
    store, result, log, _ = pulled
    assert result.ok, result.error
    vintages = json.loads(recording("fred/GDP_vintagedates.json"))["vintage_dates"]
    assert len(result.appended) == len(vintages) == 393
    # 393 vintages in runs of 100 (none refused by the cap), each run in pages of 500 rows.
    pages = [query for _, path, query in log if path == "/fred/series/observations"]
    starts = vintages[0::100]
    ends = [(date.fromisoformat(d) - timedelta(days=1)).isoformat() for d in starts[1:]]
    runs = [(q["realtime_start"], q["realtime_end"]) for q in pages]
    assert list(dict.fromkeys(runs)) == list(zip(starts, [*ends, vintages[-1]], strict=True))
    assert len(pages) > 4 and {q["offset"] for q in pages} >= {"0", "500"}
    dates = [query for _, path, query in log if path == "/fred/series/vintagedates"]
    assert [q["offset"] for q in dates] == ["0", "150", "300"]
    with db.connect(store, read_only=True) as con:
        releases = con.execute(
            "SELECT published_at, source, format, file_name, url FROM releases ORDER BY release_id"
        ).fetchall()
        stored = con.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert [r[0].date().isoformat() for r in releases] == vintages
    assert {r[1:4] for r in releases} == {("FRED", "fred_api", "fred:GDP")}
    assert all(r[4].startswith("http://127.0.0.1:") for r in releases)
    assert all("/fred/series/observations?series_id=GDP&realtime_start=" in r[4] for r in releases)
    assert not any("api_key" in r[4] or API_KEY in r[4] for r in releases)
    # Only what a vintage adds or changes is stored: one row per FRED real-time row.
    assert stored == len(ROWS) == 3199


@pytest.mark.parametrize(
    "day",
    ["1991-12-04", "1992-06-15", "1996-01-19", "1997-05-06", "1999-10-28", "2008-10-30",
     "2013-07-31", "2020-04-29", "2024-10-29", "2024-10-30"],
)  # fmt: skip
def test_asof_returns_exactly_what_fred_listed_as_valid_that_day(pulled, day):
    assert asof(pulled[0], day) == known_on(day)


def test_nothing_is_known_before_the_first_vintage(pulled):
    assert asof(pulled[0], "1991-12-03") == {}


def test_first_release_is_each_quarter_s_first_value(pulled):
    first: dict[str, float] = {}
    for row in sorted(ROWS, key=lambda r: r["realtime_start"]):
        if row["value"] != "." and row["date"] not in first:
            first[row["date"]] = float(row["value"])
    firsts = {}
    for row in sorted(ROWS, key=lambda r: r["realtime_start"]):
        firsts.setdefault(row["date"], row["value"])
    assert "." not in firsts.values()  # so "first published" and "first non-missing" agree
    with db.connect(pulled[0], read_only=True) as con:
        rows = con.execute(
            "SELECT period, value FROM first_release WHERE series_id = 'GDP'"
        ).fetchall()
    assert {p.isoformat(): v for p, v in rows} == first


def test_a_missing_value_reads_as_missing_as_of_its_vintage(pulled):
    # 1946-Q1: 199.7 from 1992-12-22, '.' from 1996-01-19, 210.4 from 1997-05-07, '.' since
    # 1999-10-28 (BEA's history before 1947 was withdrawn, then republished, then withdrawn).
    store = pulled[0]
    assert asof(store, "1996-01-18")["1946-01-01"] == 199.7
    assert "1946-01-01" in asof(store, "1996-01-19")
    assert asof(store, "1996-01-19")["1946-01-01"] is None
    assert asof(store, "1997-05-07")["1946-01-01"] == 210.4
    assert asof(store, "2024-10-30")["1946-01-01"] is None


def test_the_subscription_records_the_newest_vintage(pulled):
    # Every request but the two of `subscribe` (series, series/release).
    requests = len(pulled[2]) - 2
    with db.connect(pulled[0], read_only=True) as con:
        row = con.execute(
            "SELECT last_vintage, last_pulled_at, last_status, last_message, release_key, "
            "release_name FROM subscriptions"
        ).fetchone()
    assert row[:3] == (datetime(2024, 10, 30), NOW, "ok")
    assert row[3].startswith(
        "fred:GDP: 393 releases appended to GDP, vintages 1991-12-04 to 2024-10-30 "
        f"(315 new, 2,884 revised values; {requests} requests, "
    )
    assert row[4:] == ("53", "Gross Domestic Product (FRED release 53)")


# Later pulls -------------------------------------------------------------------------------


def test_pulling_twice_appends_nothing(api, gdp):
    before = content(gdp)
    [result] = pull.pull(gdp, now=NOW)
    assert result.ok and result.appended == []
    assert result.summary().startswith(
        "fred:GDP: nothing new for GDP (newest vintage 2024-10-30; 2 requests, "
    )
    after = content(gdp)
    assert after["releases"] == before["releases"]
    assert after["observations"] == before["observations"]
    # Only the vintage dates were asked for (and the release calendar): no observations.
    assert [path for _, path, _ in api.log] == ["/fred/series/vintagedates", "/fred/release/dates"]
    assert api.log[0][2]["realtime_start"] == "2024-10-30"


def test_a_new_vintage_appends_exactly_one_release(api, gdp):
    # BEA's second estimate of 2024-Q3, published 2024-11-27.
    api.fred.add_vintage("GDP", "2024-11-27", {"2024-07-01": "29354.321"})
    [result] = pull.pull(gdp, now=datetime(2024, 11, 27, 12))
    assert result.ok, result.error
    [release] = result.appended
    assert (release.published_at, release.new, release.revised) == (datetime(2024, 11, 27), 0, 1)
    assert asof(gdp, "2024-11-26") == known_on("2024-11-26")
    assert asof(gdp, "2024-11-26")["2024-07-01"] == 29349.924
    assert asof(gdp, "2024-11-27") == {**known_on("2024-11-26"), "2024-07-01": 29354.321}
    # The request started on the newest vintage seen and ended on the newest one listed.
    [query] = [q for _, p, q in api.log if p == "/fred/series/observations"]
    assert (query["realtime_start"], query["realtime_end"]) == ("2024-10-30", "2024-11-27")
    [again] = pull.pull(gdp, now=datetime(2024, 11, 28))
    assert again.appended == []


def test_a_period_fred_stops_listing_becomes_a_tombstone(api, gdp):
    rows = api.fred.rows["GDP"]
    [open_row] = [r for r in rows if r["date"] == "1946-04-01" and r["realtime_end"] == LATEST]
    open_row["realtime_end"] = "2024-11-26"
    api.fred.add_vintage("GDP", "2024-11-27", {"2024-07-01": "29354.321"})
    [result] = pull.pull(gdp, now=datetime(2024, 11, 27, 12))
    [release] = result.appended
    assert (release.revised, release.deleted) == (1, 1)
    assert "1946-04-01" in asof(gdp, "2024-11-26")
    assert "1946-04-01" not in asof(gdp, "2024-11-27")


def test_an_interrupted_pull_leaves_no_partial_release(api, tmp_path, monkeypatch):
    store = tmp_path / "fresh.duckdb"
    monkeypatch.setattr(fred.Provider, "max_vintage_dates", 100)
    pull.subscribe(store, "fred:GDP")
    before = content(store)
    api.die_after(2)  # vintage dates and the first run of vintages, then the server is gone
    [result] = pull.pull(store, now=NOW)
    assert result.error == (
        f"error: fred:GDP: cannot reach FRED at 127.0.0.1:{api.server_address[1]} "
        "(the server closed the connection) after 3 attempts; check the network, or try "
        "again later"
    )
    after = content(store)
    assert after["releases"] == before["releases"] == []
    assert after["observations"] == before["observations"] == []
    with db.connect(store, read_only=True) as con:
        status = con.execute("SELECT last_status, last_vintage FROM subscriptions").fetchone()
    assert status == ("failed", None)


# HTTP manners ------------------------------------------------------------------------------


def test_network_down_is_one_line(gdp, monkeypatch, tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ApiServer()
    environment(server, monkeypatch, tmp_path)
    server.server_close()
    monkeypatch.setenv("TRACKER_FRED_URL", f"http://127.0.0.1:{port}")
    [result] = pull.pull(gdp, now=NOW)
    assert result.error == (
        f"error: fred:GDP: cannot reach FRED at 127.0.0.1:{port} (connection refused) after 3 "
        "attempts; check the network, or try again later"
    )


def test_429_with_retry_after_is_retried_after_the_wait(api, gdp):
    api.fail("/fred/series/vintagedates", 429, **{"Retry-After": "1"})
    [result] = pull.pull(gdp, now=NOW)
    assert result.ok, result.error
    first, second = api.requests_to("/fred/series/vintagedates")
    assert second[0] - first[0] >= 1.0


def test_5xx_is_retried_with_backoff_then_given_up_on(api, gdp):
    api.fail("/fred/series/vintagedates", 503, times=2)
    [result] = pull.pull(gdp, now=NOW)
    assert result.ok, result.error
    api.fail("/fred/series/vintagedates", 503, times=3)  # retries=2 in tests: 3 attempts
    [result] = pull.pull(gdp, now=NOW)
    assert result.error == (
        "error: fred:GDP: FRED kept failing (HTTP 503) after 3 attempts; try again later"
    )


def test_a_retry_after_beyond_the_limit_fails_at_once(api, gdp):
    api.fail("/fred/series/vintagedates", 429, **{"Retry-After": "3600"})
    [result] = pull.pull(gdp, now=NOW)
    assert result.error == (
        "error: fred:GDP: FRED answered HTTP 429 and asks to wait 3,600 s (more than 300 s); "
        "try again later"
    )


def test_requests_to_fred_are_spaced_by_its_rate_limit(api, gdp, monkeypatch):
    monkeypatch.setenv("TRACKER_HTTP_MIN_INTERVAL", "0.3")
    pull.pull(gdp, now=NOW)
    (t1, _, _), (t2, _, _) = api.log
    # Logged by the server when each request arrives: a loaded machine can delay the first log
    # line, never bring the second request forward; without the limit they are ~1 ms apart.
    assert t2 - t1 >= 0.2


# Keys --------------------------------------------------------------------------------------


def test_a_missing_key_is_one_line(api, gdp, monkeypatch, tmp_path):
    monkeypatch.delenv("FRED_API_KEY")
    [result] = pull.pull(gdp, now=NOW)
    assert result.error == (
        "error: fred:GDP: no FRED API key (set FRED_API_KEY, or put api_key under [fred] in "
        f"{tmp_path / 'no-config.toml'}; a free key: "
        "https://fred.stlouisfed.org/docs/api/api_key.html)"
    )
    assert api.log == []


def test_the_key_can_come_from_the_config_file(api, gdp, monkeypatch, tmp_path):
    monkeypatch.delenv("FRED_API_KEY")
    config = tmp_path / "config.toml"
    config.write_text(f'[fred]\napi_key = "{API_KEY}"\n')
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    [result] = pull.pull(gdp, now=NOW)
    assert result.ok, result.error


def test_a_refused_key_says_so_without_quoting_it(api, gdp, monkeypatch):
    monkeypatch.setenv("FRED_API_KEY", "0" * 32)
    [result] = pull.pull(gdp, now=NOW)
    assert result.error.startswith(
        "error: fred:GDP: FRED refused the API key (HTTP 400: Bad Request. The value for "
        "variable api_key is not registered."
    )
    assert "0" * 32 not in result.error


# Release dates and --due -------------------------------------------------------------------


def rewind(world, day: str) -> None:
    """FRED as it was on ``day``: the rows known then, open-ended."""
    rows = [dict(r) for r in world.rows["GDP"] if r["realtime_start"] <= day]
    for row in rows:
        if row["realtime_end"] >= day:
            row["realtime_end"] = LATEST
    world.rows["GDP"] = rows


def test_release_dates_make_a_subscription_due(api, tmp_path):
    # Only the CPI's release dates (FRED release 10) are recorded: GDP is pointed at release 10
    # to exercise the calendar with real dates (the last one is 2024-10-10).
    api.fred.series_release["GDP"] = json.loads(recording("fred/release_get.json"))
    api.fred.keep_periods_from("GDP", "2020-01-01")  # fewer vintages: a faster test
    rewind(api.fred, "2024-10-09")
    store = tmp_path / "due.duckdb"
    pull.subscribe(store, "fred:GDP")
    [first] = pull.pull(store, due_only=True, now=datetime(2024, 10, 9, 12))
    assert first.last_vintage == datetime(2024, 9, 26)
    with db.connect(store, read_only=True) as con:
        dates = con.execute(
            "SELECT min(expected_on), max(expected_on), count(*), any_value(source), "
            "any_value(release) FROM release_dates WHERE series_id = 'GDP'"
        ).fetchall()[0]
        assert dates == (
            date(2023, 10, 12), date(2024, 10, 10), 14, "FRED",
            "Consumer Price Index (FRED release 10)",
        )  # fmt: skip

        def due(now):
            frame = pull.subscriptions(con, now=now)
            return frame.select("next_release", "due", "due_reason").row(0)

        assert due(datetime(2024, 10, 9, 18)) == (date(2024, 10, 10), False, None)
        assert due(datetime(2024, 10, 10, 7)) == (
            date(2024, 10, 10),
            True,
            "release date 2024-10-10 has come",
        )
    # Pulled early on the day, before anything was published: still due that day.
    assert pull.pull(store, due_only=True, now=datetime(2024, 10, 10, 7))[0].appended == []
    assert len(pull.pull(store, due_only=True, now=datetime(2024, 10, 10, 20))) == 1
    # Pulled the next day and still nothing: no longer due; with no date ahead, the quarterly
    # interval (two days) applies.
    pull.pull(store, due_only=True, now=datetime(2024, 10, 11, 8))
    assert pull.pull(store, due_only=True, now=datetime(2024, 10, 12, 9)) == []
    assert len(pull.pull(store, due_only=True, now=datetime(2024, 10, 13, 9))) == 1


def test_due_reasons():
    pulled = pull.Subscription("fred:X", "fred", "X", "X", frequency="M", last_status="ok",
                               last_pulled_at=datetime(2025, 3, 1, 9),
                               since=datetime(2025, 2, 14))  # fmt: skip
    never = pull.Subscription("fred:Y", "fred", "Y", "Y", frequency="M")
    failed = pull.Subscription("fred:Z", "fred", "Z", "Z", frequency="M", last_status="failed",
                               last_pulled_at=datetime(2025, 3, 1, 9))  # fmt: skip
    now = datetime(2025, 3, 1, 12)
    assert pull.due_reason(never, [], now) == "never pulled"
    assert pull.due_reason(failed, [], now) == "the last pull failed"
    assert pull.due_reason(pulled, [], now) is None
    assert pull.due_reason(pulled, [], datetime(2025, 3, 2, 9)) == "last pulled over 1 day ago"
    calendar = [date(2025, 3, 14), date(2025, 4, 11)]
    assert pull.due_reason(pulled, calendar, datetime(2025, 3, 13, 23)) is None
    assert pull.due_reason(pulled, calendar, datetime(2025, 3, 14, 8)) == (
        "release date 2025-03-14 has come"
    )
    seen = pull.Subscription(**{**pulled.__dict__, "since": datetime(2025, 3, 14)})
    assert pull.due_reason(seen, calendar, datetime(2025, 3, 14, 9)) is None
    daily = pull.Subscription(**{**pulled.__dict__, "frequency": "D"})
    assert pull.due_reason(daily, [], datetime(2025, 3, 1, 21)) == "last pulled over 12 hours ago"
