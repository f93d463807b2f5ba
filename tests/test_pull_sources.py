"""tracker subscribe/pull from SDMX agencies (through sdmx1) and the World Bank, and the CLI,
against recorded responses served from 127.0.0.1."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from click.testing import CliRunner
from conftest import content
from recorded_api import API_KEY, ApiServer, environment

from tracker import db, pull
from tracker.cli import cli

NOW = datetime(2025, 3, 1, 12)


@pytest.fixture
def api(monkeypatch, tmp_path):
    server = ApiServer().start()
    environment(server, monkeypatch, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store.duckdb"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def values(path, series_id: str, day: str | None = None) -> dict[str, float | None]:
    with db.connect(path, read_only=True) as con:
        sql = "SELECT period, value FROM latest WHERE series_id = ?"
        params = [series_id]
        if day:
            sql = "SELECT period, value FROM asof(CAST(? AS TIMESTAMP)) WHERE series_id = ?"
            params = [day, series_id]
        return {p.isoformat(): v for p, v in con.execute(sql, params).fetchall()}


def releases(path) -> list[tuple]:
    with db.connect(path, read_only=True) as con:
        return con.execute(
            "SELECT published_at, source, format, file_name, url FROM releases ORDER BY release_id"
        ).fetchall()


def catalogue(path, series_id: str) -> dict:
    with db.connect(path, read_only=True) as con:
        rel = con.sql(
            "SELECT name, unit, unit_kind, frequency, geo, source FROM series "
            "WHERE series_id = $id",
            params={"id": series_id},
        )
        return dict(zip(rel.columns, rel.fetchall()[0], strict=True))


# SDMX --------------------------------------------------------------------------------------


def test_sdmx_series_dated_by_the_agency_s_last_update(api, store):
    subscribed = pull.subscribe(store, "sdmx:INSEE/CNA-2010-CONSO-SI-A17/S13.P3.A10-BE.IPCH")
    series_id = "CNA-2010-CONSO-SI-A17.S13.P3.A10-BE.IPCH"
    assert (subscribed.subscription, subscribed.series_id) == (
        "sdmx:INSEE/CNA-2010-CONSO-SI-A17/S13.P3.A10-BE.IPCH",
        series_id,
    )
    [result] = pull.pull(store, now=NOW)
    assert result.ok, result.error
    [(published, source, fmt, file_name, url)] = releases(store)
    # The series attribute LAST_UPDATE="2015-08-06", not the message's Prepared time (2015-12-23).
    assert (published, source, fmt, file_name) == (
        datetime(2015, 8, 6), "INSEE", "sdmx_ml",
        "sdmx:INSEE/CNA-2010-CONSO-SI-A17/S13.P3.A10-BE.IPCH",
    )  # fmt: skip
    assert url == f"{api.url}/sdmx/INSEE/data/CNA-2010-CONSO-SI-A17/S13.P3.A10-BE.IPCH"
    with db.connect(store, read_only=True) as con:
        rows = con.execute(
            "SELECT period, value, status, note FROM observations ORDER BY period"
        ).fetchall()
    assert [(p.year, v, s, n) for p, v, s, n in rows] == [
        (2013, 92.7, "actual", "OBS_STATUS=SD"),
        (2014, 89.9, "provisional", None),
    ]
    assert catalogue(store, series_id)["frequency"] == "A"


def test_sdmx_generic_data_from_the_ecb(api, store):
    pull.subscribe(store, "sdmx:ECB/EXR/M.USD.EUR.SP00.A")
    [result] = pull.pull(store, now=NOW)
    assert result.ok, result.error
    assert catalogue(store, "EXR.M.USD.EUR.SP00.A") == {
        "name": "US dollar/Euro", "unit": "USD", "unit_kind": "level", "frequency": "M",
        "geo": None, "source": "ECB",
    }  # fmt: skip
    got = values(store, "EXR.M.USD.EUR.SP00.A")
    assert len(got) == 252
    assert (got["1999-01-01"], got["2019-12-01"]) == (1.16078, 1.111345)
    # Dated by the data set's validFromDate (2020-01-16T08:16:20.341+01:00), in UTC.
    assert releases(store)[0][0] == datetime(2020, 1, 16, 7, 16, 20, 341000)


def test_sdmx_without_an_update_date_is_dated_by_prepared(api, store):
    pull.subscribe(store, "sdmx:ESTAT/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU")
    [result] = pull.pull(store, now=NOW)
    assert result.ok, result.error
    assert values(store, "NAMA_10_GDP.A.CP_MEUR.B1GQ.LU") == {
        "2012-01-01": 46526.2, "2013-01-01": 49094.5, "2014-01-01": 51791.3,
        "2015-01-01": 54142.3,
    }  # fmt: skip
    with db.connect(store, read_only=True) as con:
        [(published, title)] = con.execute("SELECT published_at, title FROM releases").fetchall()
    assert published == datetime(2022, 11, 11, 12, 30, 30, 333000)
    assert title == (
        "ESTAT NAMA_10_GDP/A.CP_MEUR.B1GQ.LU, as of 2022-11-11 12:30 (the message's Prepared "
        "time (when the agency generated it; the values were public by then))"
    )


def test_sdmx_second_pull_asks_only_for_updates(api, store):
    pull.subscribe(store, "sdmx:IMF_DATA/PCPS/M.W00.PZINC.USD")
    pull.pull(store, now=NOW)
    before = content(store)
    [again] = pull.pull(store, now=NOW)
    assert again.ok and again.appended == []
    after = content(store)
    assert (after["releases"], after["observations"]) == (
        before["releases"],
        before["observations"],
    )
    last = api.log[-1][2]
    assert last == {"updatedAfter": "2025-01-09T12:59:18+00:00"}


def test_an_agency_that_ignores_updated_after_appends_only_changes(api, store):
    route = api.sdmx.routes["/sdmx/ESTAT/data/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU"]
    route.ignores_updated_after = True
    pull.subscribe(store, "sdmx:ESTAT/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU")
    pull.pull(store, now=NOW)
    # The same data again, generated later: a later date, but nothing new.
    route.body = route.body.replace(b"2022-11-11T12:30:30.333Z", b"2022-12-01T09:00:00Z")
    [same] = pull.pull(store, now=NOW)
    assert same.ok and same.appended == []
    assert len(releases(store)) == 1
    # A revision of 2015: one release, one revised value.
    route.body = route.body.replace(b"2022-12-01T09:00:00Z", b"2023-01-05T09:00:00Z")
    route.body = route.body.replace(b'OBS_VALUE="54142.3"', b'OBS_VALUE="54201.9"')
    [revised] = pull.pull(store, now=NOW)
    [release] = revised.appended
    assert (release.published_at, release.new, release.revised) == (datetime(2023, 1, 5, 9), 0, 1)
    assert values(store, "NAMA_10_GDP.A.CP_MEUR.B1GQ.LU", "2023-01-04")["2015-01-01"] == 54142.3
    assert values(store, "NAMA_10_GDP.A.CP_MEUR.B1GQ.LU")["2015-01-01"] == 54201.9


def test_sdmx_key_matching_several_series_is_refused(api, store):
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "sdmx:ISTAT/47_850/A.001001+001002.AUTP.ALL.ALL.1")
    assert caught.value.message == (
        "error: sdmx:ISTAT/47_850/A.001001+001002.AUTP.ALL.ALL.1: the key matches 2 series "
        "(47_850.A.001001.AUTP.ALL.ALL.1, 47_850.A.001002.AUTP.ALL.ALL.1) and a subscription "
        "feeds one: subscribe to each series' own key"
    )


def test_sdmx_errors_are_one_line(api, store):
    cases = {
        "sdmx:ISTAT/22_289/A.IT.JAN.1.TOTAL.99": (
            "ISTAT sent structure-specific data that sdmx1 cannot read without its data "
            "structure (XMLParseError: RuntimeError: No DSD when creating DataSet)"
        ),
        "sdmx:ECB/EXR/D.XXX.EUR.SP00.A": (
            "ECB has no data for EXR/D.XXX.EUR.SP00.A (HTTP 404); check the dataflow and the "
            "series key"
        ),
        "sdmx:ECB/EXR": "'ECB/EXR' is not SOURCE/FLOW/KEY (e.g. ECB/EXR/M.USD.EUR.SP00.A)",
    }
    for key, text in cases.items():
        with pytest.raises(pull.PullError) as caught:
            pull.subscribe(store, key)
        assert caught.value.message == f"error: {key}: {text}"
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "sdmx:NOPE/EXR/M")
    assert caught.value.message.startswith(
        "error: sdmx:NOPE/EXR/M: sdmx1 knows no source 'NOPE' (choose one of ABS, ABS_JSON,"
    )


def test_sdmx_answer_that_is_not_sdmx(api, store):
    pull.subscribe(store, "sdmx:IMF_DATA/PCPS/M.W00.PZINC.USD")
    route = api.sdmx.routes["/sdmx/IMF_DATA/data/PCPS/M.W00.PZINC.USD"]
    route.body = b"<html><body>Service temporarily moved</body></html>"
    route.headers = {"Content-Type": "text/html"}
    route.ignores_updated_after = True
    [result] = pull.pull(store, now=NOW)
    assert result.error == (
        "error: sdmx:IMF_DATA/PCPS/M.W00.PZINC.USD: IMF_DATA sent something that is not SDMX-ML "
        "(HTTP 200, text/html, starting '<html><body>Service temporarily moved</body></html>'); "
        "check the source's base URL (TRACKER_SDMX_URL_IMF_DATA)"
    )


# World Bank --------------------------------------------------------------------------------


def test_world_bank_series_dated_by_lastupdated(api, store):
    subscribed = pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    assert subscribed.series_id == "NY.GNP.PCAP.CD.USA"
    assert catalogue(store, "NY.GNP.PCAP.CD.USA") == {
        "name": "GNI per capita, Atlas method (current US$): United States",
        "unit": "current US$", "unit_kind": "level", "frequency": "A", "geo": "USA",
        "source": "World Bank",
    }  # fmt: skip
    [result] = pull.pull(store, now=NOW)
    assert result.ok, result.error
    assert values(store, "NY.GNP.PCAP.CD.USA") == {
        "1990-01-01": 24060.0, "1991-01-01": 24270.0, "1992-01-01": 25680.0,
        "1993-01-01": 26390.0, "1994-01-01": 27650.0, "1995-01-01": 29040.0,
        "1996-01-01": 30270.0, "1997-01-01": 31270.0,
    }  # fmt: skip
    [(published, source, fmt, file_name, url)] = releases(store)
    assert (published, source, fmt, file_name) == (
        datetime(2020, 7, 1),
        "World Bank",
        "worldbank_api",
        "wb:NY.GNP.PCAP.CD/US",
    )
    assert (
        url
        == f"{api.url}/wb/v2/countries/US/indicators/NY.GNP.PCAP.CD?format=json&per_page=1000&page=1"
    )
    [again] = pull.pull(store, now=NOW)
    assert again.appended == [] and len(releases(store)) == 1


def test_world_bank_update_appends_one_release(api, store):
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    pull.pull(store, now=NOW)
    route = "/wb/v2/countries/US/indicators/NY.GNP.PCAP.CD"
    body = api.worldbank.routes[route]
    body = body.replace(b'"lastupdated":"2020-07-01"', b'"lastupdated":"2020-12-16"')
    api.worldbank.routes[route] = body.replace(b'"value":31270', b'"value":31280')
    [result] = pull.pull(store, now=NOW)
    [release] = result.appended
    assert (release.published_at, release.revised, release.unchanged) == (
        datetime(2020, 12, 16),
        1,
        7,
    )


def test_world_bank_unknown_indicator(api, store):
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "wb:NO.SUCH.THING/US")
    assert caught.value.message == (
        "error: wb:NO.SUCH.THING/US: the World Bank does not know NO.SUCH.THING for US (The "
        "provided parameter value is not valid); check the indicator code and the country code"
    )


def test_world_bank_answer_of_another_shape(api, store):
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    route = "/wb/v2/countries/US/indicators/NY.GNP.PCAP.CD"
    api.worldbank.routes[route] = (
        b'[{"page":1,"pages":1,"lastupdated":"2021-07-01"},'
        b'[{"indicator":"NY.GNP.PCAP.CD","country":"US","date":"1998","value":32000}]]'
    )
    [result] = pull.pull(store, now=NOW)
    assert result.error == (
        "error: wb:NY.GNP.PCAP.CD/US: the World Bank sent a row that is not {indicator: {id, "
        "value}, country: {id, value}, date, value}; check TRACKER_WORLDBANK_URL"
    )
    api.worldbank.routes[route] = b'{"not": "a list"}'
    [result] = pull.pull(store, now=NOW)
    assert result.error == (
        "error: wb:NY.GNP.PCAP.CD/US: the World Bank sent JSON that is not [header, rows] "
        """(HTTP 200, application/json, starting '{"not": "a list"}'); check """
        "TRACKER_WORLDBANK_URL"
    )


# Subscriptions -----------------------------------------------------------------------------


def test_a_series_follows_one_source(api, store):
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "sdmx:ECB/EXR/M.USD.EUR.SP00.A", series_id="NY.GNP.PCAP.CD.USA")
    assert caught.value.message == (
        "error: series NY.GNP.PCAP.CD.USA is already fed by wb:NY.GNP.PCAP.CD/US (a series "
        "follows one source; choose another id with --as)"
    )
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "wb:ny.gnp.pcap.cd/us", series_id="OTHER")
    assert caught.value.message == (
        "error: wb:NY.GNP.PCAP.CD/US is already subscribed (it feeds NY.GNP.PCAP.CD.USA); "
        "`tracker unsubscribe wb:NY.GNP.PCAP.CD/US` first to change it"
    )


def test_subscribe_as_an_existing_series(api, store):
    from conftest import define

    with db.writer(store) as con:
        define(con, "USA.GNI.PC", frequency="A", name="US GNI per capita", source="World Bank")
    result = pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US", series_id="USA.GNI.PC")
    assert result.summary() == (
        "subscribed wb:NY.GNP.PCAP.CD/US: feeds the existing series USA.GNI.PC"
    )
    pull.pull(store, now=NOW)
    assert values(store, "USA.GNI.PC")["1997-01-01"] == 31270.0
    assert catalogue(store, "USA.GNI.PC")["name"] == "US GNI per capita"
    with pytest.raises(pull.PullError) as caught:
        pull.subscribe(store, "sdmx:ECB/EXR/M.USD.EUR.SP00.A", series_id="USA.GNI.PC")
    assert "already fed by wb:NY.GNP.PCAP.CD/US" in caught.value.message


def test_a_series_appended_from_files_continues_from_its_newest_release(api, store):
    from conftest import define, release

    with db.writer(store) as con:
        define(con, "USA.GNI.PC", frequency="A", source="World Bank")
        release(con, "2021-02-01", [("USA.GNI.PC", "1997", 31270.0)], source="World Bank")
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US", series_id="USA.GNI.PC")
    # The World Bank's 2020-07-01 data is older than what the series holds: nothing to append
    # (appending it would be refused as out of publication order).
    [result] = pull.pull(store, now=NOW)
    assert result.ok and result.appended == []
    assert result.summary().startswith(
        "wb:NY.GNP.PCAP.CD/US: nothing new for USA.GNI.PC (newest vintage 2021-02-01; "
    )


def test_unsubscribe_keeps_the_data(api, store):
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    pull.pull(store, now=NOW)
    removed = pull.unsubscribe(store, "NY.GNP.PCAP.CD.USA")
    assert removed.subscription == "wb:NY.GNP.PCAP.CD/US"
    assert pull.list_subscriptions(store).height == 0
    assert len(values(store, "NY.GNP.PCAP.CD.USA")) == 8
    # Subscribing again picks up where the releases it appended left off.
    pull.subscribe(store, "wb:NY.GNP.PCAP.CD/US")
    [again] = pull.pull(store, now=NOW)
    assert again.appended == [] and again.last_vintage == datetime(2020, 7, 1)


# The command line --------------------------------------------------------------------------


def timing(text: str) -> str:
    """Output with the measured seconds replaced by S (they vary from run to run)."""
    return re.sub(r"\d+\.\d s\)", "S s)", text)


def test_cli_subscribe_pull_and_list(api, store):
    result = run("subscribe", "wb:NY.GNP.PCAP.CD/US", "--db", str(store))
    assert result.exit_code == 0
    assert result.stdout == (
        "subscribed wb:NY.GNP.PCAP.CD/US: registered series NY.GNP.PCAP.CD.USA, GNI per capita, "
        "Atlas method (current US$): United States (annual, current US$)\n"
    )
    result = run("subscribe", "sdmx:ESTAT/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU", "--db", str(store))
    assert result.exit_code == 0
    assert "note: ESTAT gives no update date for NAMA_10_GDP/A.CP_MEUR.B1GQ.LU" in result.stderr
    pulled = run("pull", "--db", str(store))
    assert pulled.exit_code == 0
    assert timing(pulled.stdout) == (
        "sdmx:ESTAT/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU: 1 release appended to "
        "NAMA_10_GDP.A.CP_MEUR.B1GQ.LU, vintage 2022-11-11 12:30 (4 new, 0 revised values; "
        "1 request, S s)\n"
        "wb:NY.GNP.PCAP.CD/US: 1 release appended to NY.GNP.PCAP.CD.USA, vintage 2020-07-01 "
        "(8 new, 0 revised values; 1 request, S s)\n"
    )
    assert pulled.stderr == "pulled 2 subscriptions: 2 ok, 0 failed\n"
    listed = run("subscriptions", "--db", str(store), "--format", "csv")
    lines = listed.stdout.splitlines()
    assert lines[0] == (
        "subscription,provider,provider_key,series_id,name,last_vintage,last_pulled_at,"
        "last_status,last_message,release_name,next_release,due,due_reason"
    )
    assert lines[2].startswith(
        "wb:NY.GNP.PCAP.CD/US,wb,NY.GNP.PCAP.CD/US,NY.GNP.PCAP.CD.USA,"
        '"GNI per capita, Atlas method (current US$): United States",2020-07-01T00:00:00.000000,'
    )
    dry = run("pull", "NY.GNP.PCAP.CD.USA", "--dry-run", "--db", str(store))
    assert timing(dry.stdout) == (
        "wb:NY.GNP.PCAP.CD/US: nothing new for NY.GNP.PCAP.CD.USA (newest vintage 2020-07-01; "
        "1 request, S s)\n"
    )


def test_cli_dry_run_writes_nothing(api, store):
    run("subscribe", "wb:NY.GNP.PCAP.CD/US", "--db", str(store))
    before = content(store)
    dry = run("pull", "--dry-run", "--db", str(store))
    assert dry.exit_code == 0
    assert timing(dry.stdout) == (
        "dry run: wb:NY.GNP.PCAP.CD/US: would append 1 release to NY.GNP.PCAP.CD.USA, vintage "
        "2020-07-01 (8 new, 0 revised values; 1 request, S s)\n"
    )
    assert content(store) == before


def test_cli_one_failing_subscription_does_not_stop_the_others(api, store):
    run("subscribe", "fred:GDP", "--db", str(store))
    run("subscribe", "wb:NY.GNP.PCAP.CD/US", "--db", str(store))
    api.fred.rows.pop("GDP")  # FRED no longer knows the series
    result = run("pull", "--db", str(store))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: fred:GDP: FRED has no series 'GDP' (HTTP 400: Bad Request. The series does "
        "not exist.); check the id on https://fred.stlouisfed.org/series/GDP",
        "pulled 2 subscriptions: 1 ok, 1 failed",
    ]
    assert "wb:NY.GNP.PCAP.CD/US: 1 release appended" in result.stdout
    assert [r[3] for r in releases(store)] == ["wb:NY.GNP.PCAP.CD/US"]
    frame = pull.list_subscriptions(store, now=NOW)
    assert frame.select("subscription", "last_status", "due").rows() == [
        ("fred:GDP", "failed", True),
        ("wb:NY.GNP.PCAP.CD/US", "ok", False),
    ]


def test_cli_errors_for_subscribe_and_unknown_targets(api, store):
    result = run("subscribe", "GDP", "--db", str(store))
    assert (result.exit_code, result.stderr) == (
        1,
        "error: GDP: 'GDP' is not PROVIDER:KEY (e.g. fred:GDP, sdmx:ECB/EXR/M.USD.EUR.SP00.A, "
        "wb:NY.GNP.PCAP.CD/US)\n",
    )
    result = run("subscribe", "fred:NOPE", "--db", str(store))
    assert result.stderr == (
        "error: fred:NOPE: FRED has no series 'NOPE' (HTTP 400: Bad Request. The series does not "
        "exist.); check the id on https://fred.stlouisfed.org/series/NOPE\n"
    )
    result = run("pull", "NOPE", "--db", str(store))
    assert (result.exit_code, result.stderr) == (
        1,
        "error: no subscription 'NOPE' (subscriptions: none yet; `tracker subscriptions` lists "
        "them)\n",
    )
    nothing = run("pull", "--db", str(store))
    assert (nothing.exit_code, nothing.stderr) == (
        0,
        "no subscriptions to pull (add one with: tracker subscribe fred:GDP)\n",
    )


def test_the_key_appears_nowhere(api, store, monkeypatch):
    api.fred.keep_periods_from("GDP", "2024-01-01")  # fewer vintages: a faster test
    outputs = []
    outputs.append(run("subscribe", "fred:GDP", "--db", str(store)))
    outputs.append(run("subscribe", "wb:NY.GNP.PCAP.CD/US", "--db", str(store)))
    outputs.append(run("pull", "--dry-run", "--db", str(store)))
    with monkeypatch.context() as wrong:
        wrong.setenv("FRED_API_KEY", API_KEY[::-1])
        outputs.append(run("pull", "GDP", "--db", str(store)))
    api.fail("/fred/series/vintagedates", 500, times=6)
    outputs.append(run("pull", "--db", str(store)))
    outputs.append(run("pull", "--db", str(store)))
    api.die_after(1)
    outputs.append(run("pull", "--db", str(store)))
    outputs.append(run("subscriptions", "--db", str(store), "--format", "json"))
    text = "".join(o.stdout + o.stderr for o in outputs)
    assert "FRED kept failing (HTTP 500)" in text and "cannot reach FRED" in text
    assert "FRED refused the API key" in text
    assert API_KEY not in text and API_KEY[::-1] not in text and "api_key=" not in text
    with db.connect(store, read_only=True) as con:
        for (table,) in con.execute("SHOW TABLES").fetchall():
            for row in con.execute(f"SELECT * FROM {table}").fetchall():
                assert API_KEY not in repr(row), table
                assert API_KEY[::-1] not in repr(row), table
    assert API_KEY.encode() not in store.read_bytes()
