"""The seed history in data/ checked against the sourced facts it was built from.

Every observation must trace to one row of ``trade_war_facts.csv`` or ``consensus_facts.csv``: the
value is parsed here from the facts cell (independently of how data/ was written), and the
observation's release must carry the facts row's published day and cited page. The facts files live in ``data/facts/`` (see its README).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from tracker import paths, vocab

HEADERS = {
    "series.csv": [
        "series_id",
        "name",
        "unit",
        "unit_kind",
        "frequency",
        "geo",
        "source",
        "kind",
        "description",
        "tags",
        "min_value",
        "max_value",
        "actual_series_id",
    ],
    "releases.csv": ["release", "source", "title", "published", "url"],
    "observations.csv": ["release", "series_id", "period", "value", "status", "note"],
    "events.csv": ["starts_on", "ends_on", "title", "description", "tags", "url", "series_ids"],
}
#: The sourced facts the seed was built from (with their provenance in data/facts/README.md).
FACTS = Path(__file__).resolve().parent.parent / "data" / "facts"
#: The seed publishes values: no tombstones.
STATUSES = set(vocab.STATUSES) - {"deleted"}
PERIOD_FORMS = {
    "A": r"\d{4}",
    "M": r"\d{4}-(0[1-9]|1[0-2])(/(0[1-9]|1[0-2]))?",  # 2024-01/02: China's combined Jan-Feb
    "irregular": r"\d{4}-\d{2}-\d{2}",
}

# Facts dates that are not a plain day, and the day data/ uses for each (reasons in data/README.md).
APPROX_DAYS = {
    "2024-07 (day not verified)": "2024-07-16",  # IMF WEO Update, July 2024
    "MCS 2024": "2024-01-31",  # USGS Mineral Commodity Summaries 2024
    "MCS 2025": "2025-01-31",
    "MCS 2025 (Jan 2025; data release 2025-04-08)": "2025-01-31",
    "2024-05 (GCMO 2024)": "2024-05-17",  # IEA Global Critical Minerals Outlook 2024
    "2025-02 (Census annual release)": "2025-02-05",  # Census/BEA December and Annual 2024
    "2025-02": "2025-02-05",
    "2025 (USTR)": "2025-04-04",  # date of the cited page: the latest day it is known to be public
}

NUM = r"[-+]?\d[\d,]*(?:\.\d+)?"
PLAIN_NUMBER = r"[-+]?\d+(?:\.\d+)?"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _lead(cell: str) -> float:
    """The number a facts cell starts with: '+5.9 (US$3.58tn)' -> 5.9."""
    match = re.match(NUM, cell)
    assert match, f"facts cell {cell!r} does not start with a number"
    return _num(match[0])


def _effective(period: str) -> str:
    """The effective date in a tariff row's period: 'eff. 2025-04-10 (announced 04-04)' -> 2025-04-10."""
    for pattern in (
        r"eff\. (\d{4}-\d{2}-\d{2})",
        r"from (\d{4}-\d{2}-\d{2})",
        r"^(\d{4}-\d{2}-\d{2})$",
    ):
        if match := re.search(pattern, period):
            return match[1]
    raise AssertionError(f"no effective date in facts period {period!r}")


def _us_total(cell: str) -> float:
    """US total additional tariff: '34 (total 54 incl. 20 fentanyl)' -> 54, '145 (125 + 20)' -> 145."""
    match = re.search(r"total (\d+)", cell)
    return float(match[1]) if match else _lead(cell)


def _published_day(cell: str) -> str:
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?: \(.*\))?", cell)
    return match[1] if match else APPROX_DAYS[cell]


def _date_is_approximate(cell: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell) is None


def _rule(row: dict[str, str], us_total_from: dict[float, str]) -> list[tuple[str, str, float]]:
    """(series_id, period, value) that a facts row yields; [] for events and computed rows."""
    ind, period, cell = row["indicator"], row["period"], row["value"]
    year = period[:4]
    if row["unit"] == "event" or row["status"].startswith("computed"):
        return []
    if match := re.fullmatch(r"China (exports|imports), y/y", ind):
        return [(f"CHN.{match[1].upper()}.YOY", period, _lead(cell))]
    if match := re.fullmatch(r"China (exports|imports), calendar year", ind):
        flow = match[1].upper()
        level = re.search(r"US\$(\d+(?:\.\d+)?)tn", cell)
        assert level, cell
        return [
            (f"CHN.{flow}.YOY.A", period, _lead(cell)),
            (f"CHN.{flow}.USD.A", period, float(level[1]) * 1000),
        ]
    if ind.startswith("China exports to US"):
        yoy = re.search(rf"\(({NUM})% y/y\)", cell)
        assert yoy, cell
        return [
            ("CHN.EXPORTS.USA.USD", period, _lead(cell)),
            ("CHN.EXPORTS.USA.YOY", period, _num(yoy[1])),
        ]
    if ind == "OECD world real GDP growth forecast":
        return [("WLD.GDP.OECD_FCST", year, _lead(cell))]
    if ind == "IMF world real GDP growth forecast":
        return [("WLD.GDP.IMF_FCST", year, _lead(cell))]
    if re.match(r"US\b.*(Chinese goods|on China)", ind):
        eff = _effective(period)
        if match := re.fullmatch(r"(\d+) total, then \d+ reciprocal \((\d+) total\)", cell):
            # The later total's effective date is the one stated by the facts row leading with it.
            later = float(match[2])
            return [
                ("USA.TARIFF.CHN", eff, float(match[1])),
                ("USA.TARIFF.CHN", us_total_from[later], later),
            ]
        return [("USA.TARIFF.CHN", eff, _us_total(cell))]
    if ind in ("China tariff on all US goods", "China tariff on US goods after Geneva"):
        return [("CHN.TARIFF.USA", _effective(period), _lead(cell))]
    if ind.startswith("China retaliatory tariff on US coal & LNG / crude"):
        match = re.fullmatch(r"(\d+) / (\d+)", cell)
        assert match, cell
        eff = _effective(period)
        return [
            ("CHN.TARIFF.USA.COAL_LNG", eff, float(match[1])),
            ("CHN.TARIFF.USA.OIL_MACHINERY_CARS", eff, float(match[2])),
        ]
    if ind == "China retaliatory tariff on US farm goods":
        high, low = re.search(r"(\d+)%: chicken", cell), re.search(r"(\d+)%: soybeans", cell)
        assert high and low, cell
        eff = _effective(period)
        return [
            ("CHN.TARIFF.USA.FARM_15", eff, float(high[1])),
            ("CHN.TARIFF.USA.FARM_10", eff, float(low[1])),
        ]
    if ind == "China rare-earth mine production":
        return [("CHN.RAREEARTH.MINE", period, _lead(cell))]
    if ind == "World rare-earth mine production":
        return [("WLD.RAREEARTH.MINE", period, _lead(cell))]
    if ind == "China share of world rare-earth mine production":
        return [("CHN.RAREEARTH.MINE_SHARE", period, _lead(cell))]
    if ind == "US / Myanmar rare-earth mine production":
        match = re.fullmatch(rf"({NUM}) / ({NUM})", cell)
        assert match, cell
        return [
            ("USA.RAREEARTH.MINE", period, _num(match[1])),
            ("MMR.RAREEARTH.MINE", period, _num(match[2])),
        ]
    if ind == "China rare-earth mine production / world":
        match = re.fullmatch(rf"({NUM}) / ({NUM}) \(({NUM})%\)", cell)
        assert match, cell
        return [
            ("CHN.RAREEARTH.MINE", period, _num(match[1])),
            ("WLD.RAREEARTH.MINE", period, _num(match[2])),
            ("CHN.RAREEARTH.MINE_SHARE", period, _num(match[3])),
        ]
    if ind == "China share of refined rare-earth output":
        return [("CHN.RAREEARTH.REFINED_SHARE", period, _lead(cell))]
    if ind == "US goods imports from China":
        return [("USA.IMPORTS.CHN.USD", period, _lead(cell))]
    if ind == "US goods exports to China":
        return [("USA.EXPORTS.CHN.USD", period, _lead(cell))]
    if ind == "US goods trade deficit with China":
        return [("USA.BALANCE.CHN.USD", period, -_lead(cell))]  # a deficit is a negative balance
    if ind == "US total goods trade with China":
        return [("USA.TRADE.CHN.USD", period, _lead(cell))]
    raise AssertionError(f"facts row {ind!r} / {period!r} has no rule in this test")


# -- fixtures -------------------------------------------------------------------------------------


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(paths.DATA_DIR / name, infer_schema=False)


@pytest.fixture(scope="module")
def series() -> pl.DataFrame:
    return _read("series.csv")


@pytest.fixture(scope="module")
def releases() -> pl.DataFrame:
    return _read("releases.csv")


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    return _read("observations.csv")


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return _read("events.csv")


@pytest.fixture(scope="module")
def facts() -> pl.DataFrame:
    return pl.read_csv(FACTS / "trade_war_facts.csv", infer_schema=False)


@pytest.fixture(scope="module")
def expected(facts: pl.DataFrame) -> list[dict]:
    """One dict per observation the facts call for, with the release day and page it must carry."""
    rows = list(facts.iter_rows(named=True))
    us_total_from = {}
    for row in rows:
        if (
            re.match(r"US\b.*(Chinese goods|on China)", row["indicator"])
            and "then" not in row["value"]
        ):
            us_total_from[_us_total(row["value"])] = _effective(row["period"])
    result = []
    for line, row in enumerate(rows, start=2):
        for series_id, period, value in _rule(row, us_total_from):
            result.append(
                {
                    "line": line,
                    "series_id": series_id,
                    "period": period,
                    "value": value,
                    "published": _published_day(row["published"]),
                    "published_cell": row["published"],
                    "url": row["source_url"],
                    "cell": row["value"],
                }
            )
    return result


#: Consensus facts: the indicator's consensus series and the actual series it forecasts.
CONSENSUS_SERIES = {
    "China exports, y/y": ("CHN.EXPORTS.YOY.CONSENSUS", "CHN.EXPORTS.YOY"),
    "China imports, y/y": ("CHN.IMPORTS.YOY.CONSENSUS", "CHN.IMPORTS.YOY"),
    "China trade balance": ("CHN.TRADE_BALANCE.USD.CONSENSUS", "CHN.TRADE_BALANCE.USD"),
}


@pytest.fixture(scope="module")
def consensus_facts() -> pl.DataFrame:
    return pl.read_csv(FACTS / "consensus_facts.csv", infer_schema=False)


@pytest.fixture(scope="module")
def consensus_expected(consensus_facts: pl.DataFrame) -> list[dict]:
    """One dict per poll observation, and per trade-balance outturn, the consensus facts call for.

    A poll is dated by its own publication day; where the facts give none, by the day of a row for
    the same period citing the same page, else by the day before the customs release it preceded
    (the note says so). The balance's outturn has no row in the trade
    facts, so it comes from the consensus row's actual column and release day.
    """
    rows = list(consensus_facts.iter_rows(named=True))
    # A row with no poll day takes the day of a row for the same period citing the same page.
    same_page = {(r["period"], r["consensus_url"]): r["poll_published"] for r in rows}
    same_page |= {
        (r["period"], r["consensus_url"]): r["poll_published"] for r in rows if r["poll_published"]
    }
    result = []
    for line, row in enumerate(rows, start=2):
        consensus_id, actual_id = CONSENSUS_SERIES[row["indicator"]]
        released = date.fromisoformat(row["release_published"])
        polled = (
            same_page[(row["period"], row["consensus_url"])]
            or (released - timedelta(days=1)).isoformat()
        )
        result.append(
            {
                "line": line,
                "series_id": consensus_id,
                "period": row["period"],
                "value": _num(row["consensus"]),
                "published": polled,
                "url": row["consensus_url"],
                "poll_source": row["poll_source"],
                "poll_dated": bool(row["poll_published"]),
            }
        )
        if actual_id == "CHN.TRADE_BALANCE.USD":
            result.append(
                {
                    "line": line,
                    "series_id": actual_id,
                    "period": row["period"],
                    "value": _num(row["actual"]),
                    "published": row["release_published"],
                    "url": row["actual_url"],
                    "poll_source": None,
                    "poll_dated": True,
                }
            )
    return result


#: Series built from consensus_facts.csv; every other series comes from trade_war_facts.csv.
FROM_CONSENSUS = {sid for pair in CONSENSUS_SERIES.values() for sid in pair} - {
    "CHN.EXPORTS.YOY",
    "CHN.IMPORTS.YOY",
}


def _join(observations: pl.DataFrame, releases: pl.DataFrame) -> pl.DataFrame:
    return observations.join(
        releases.select("release", "published", "url"), on="release", how="left"
    )


@pytest.fixture(scope="module")
def joined(observations: pl.DataFrame, releases: pl.DataFrame) -> list[dict]:
    """Observations from the trade facts, with their release's day and page."""
    frame = _join(observations, releases).filter(~pl.col("series_id").is_in(FROM_CONSENSUS))
    return list(frame.iter_rows(named=True))


@pytest.fixture(scope="module")
def joined_consensus(observations: pl.DataFrame, releases: pl.DataFrame) -> list[dict]:
    """Observations from the consensus facts: polls, and the trade balance's outturns."""
    frame = _join(observations, releases).filter(pl.col("series_id").is_in(FROM_CONSENSUS))
    return list(frame.iter_rows(named=True))


def _matches(obs: dict, exp: dict) -> bool:
    return (
        obs["series_id"] == exp["series_id"]
        and obs["period"] == exp["period"]
        and obs["published"] == exp["published"]
    )


def _facts_row(obs: dict, expected: list[dict]) -> dict:
    found = [
        e for e in expected if _matches(obs, e) and float(obs["value"]) == pytest.approx(e["value"])
    ]
    assert found, f"{obs['release']} {obs['series_id']} {obs['period']}: no facts row"
    return found[0]


# -- shape of the files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_headers_are_exact(name: str) -> None:
    assert _read(name).columns == HEADERS[name]


def test_series_catalogue_is_valid(series: pl.DataFrame) -> None:
    assert series["series_id"].is_unique().all()
    for row in series.iter_rows(named=True):
        sid = row["series_id"]
        assert row["unit_kind"] in vocab.UNIT_KINDS, sid
        assert row["frequency"] in vocab.FREQUENCIES, sid
        assert row["kind"] in vocab.KINDS, sid
        assert re.fullmatch(r"[A-Z]{3}", row["geo"]), sid
        assert row["name"] and row["unit"] and row["source"] and row["description"], sid
        assert row["tags"] and all(re.fullmatch(r"[a-z0-9-]+", t) for t in row["tags"].split(";"))
        if row["min_value"] and row["max_value"]:
            assert float(row["min_value"]) < float(row["max_value"]), sid
        if row["kind"] == "policy":
            assert row["frequency"] == "irregular", sid


def test_releases_are_unique_and_dated(releases: pl.DataFrame) -> None:
    assert releases["release"].is_unique().all()
    for row in releases.iter_rows(named=True):
        date.fromisoformat(row["published"])
        assert re.fullmatch(r"[a-z0-9-]+", row["release"]), row["release"]
        assert row["source"] and row["title"], row["release"]
        assert row["url"].startswith(("http://", "https://")), row["release"]


def test_observations_reference_known_releases_and_series(
    observations: pl.DataFrame, releases: pl.DataFrame, series: pl.DataFrame
) -> None:
    assert set(observations["release"]) <= set(releases["release"])
    assert set(observations["series_id"]) <= set(series["series_id"])
    # No empty series, no release without observations.
    assert set(series["series_id"]) == set(observations["series_id"])
    assert set(releases["release"]) == set(observations["release"])


def test_no_duplicate_observation_keys(observations: pl.DataFrame) -> None:
    keys = observations.select("release", "series_id", "period")
    assert keys.is_duplicated().sum() == 0, keys.filter(keys.is_duplicated())


def test_observation_values_periods_and_statuses(
    observations: pl.DataFrame, series: pl.DataFrame
) -> None:
    catalogue = {row["series_id"]: row for row in series.iter_rows(named=True)}
    for row in observations.iter_rows(named=True):
        meta = catalogue[row["series_id"]]
        where = f"{row['release']} {row['series_id']} {row['period']}"
        value = float(row["value"])
        if meta["min_value"]:
            assert value >= float(meta["min_value"]), where
        if meta["max_value"]:
            assert value <= float(meta["max_value"]), where
        assert re.fullmatch(PERIOD_FORMS[meta["frequency"]], row["period"]), where
        if meta["frequency"] == "irregular":
            date.fromisoformat(row["period"])
        assert row["status"] in STATUSES, where
        assert (row["status"] == "forecast") == (meta["kind"] == "forecast"), where


def test_january_february_is_one_combined_period(observations: pl.DataFrame) -> None:
    """China customs' Jan-Feb figure is one two-month period: no invented January or February."""
    monthly = observations.filter(pl.col("series_id").is_in(["CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY"]))
    periods = set(monthly["period"])
    assert {"2024-01/02", "2025-01/02"} <= periods
    assert not periods & {"2024-01", "2024-02", "2025-01", "2025-02"}
    expected_months = {"2024-01/02", "2025-01/02"} | {f"2024-{m:02d}" for m in range(3, 13)}
    expected_months |= {f"2025-{m:02d}" for m in range(3, 6)}
    for sid in ("CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY"):
        assert set(monthly.filter(pl.col("series_id") == sid)["period"]) == expected_months


def test_events_are_valid(events: pl.DataFrame, series: pl.DataFrame) -> None:
    known = set(series["series_id"])
    for row in events.iter_rows(named=True):
        start = date.fromisoformat(row["starts_on"])
        if row["ends_on"]:
            assert date.fromisoformat(row["ends_on"]) > start, row["title"]
        assert row["title"] and row["description"] and row["tags"], row["title"]
        ids = row["series_ids"].split(";")
        assert ids and set(ids) <= known, row["title"]


def test_required_events_are_present(events: pl.DataFrame) -> None:
    spans = {(r["starts_on"], r["ends_on"] or None): r for r in events.iter_rows(named=True)}
    assert ("2025-02-04", None) in spans
    assert ("2025-03-04", None) in spans
    assert ("2025-04-02", None) in spans
    assert ("2025-04-04", None) in spans
    assert ("2025-04-09", "2025-04-12") in spans
    assert "truce" in spans[("2025-05-12", "2025-05-14")]["tags"].split(";")
    assert ("2025-06-09", "2025-06-10") in spans
    assert "pause" in spans[("2025-07-09", None)]["description"]


def test_every_series_is_documented(series: pl.DataFrame) -> None:
    readme = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    missing = [sid for sid in series["series_id"] if f"`{sid}`" not in readme]
    assert not missing, f"data/README.md does not describe {missing}"


# -- against the facts ----------------------------------------------------------------------------


def test_every_facts_row_has_a_rule(facts: pl.DataFrame, expected: list[dict]) -> None:
    """Each facts row yields observations, or is an event / computed row (not a release)."""
    covered = {exp["line"] for exp in expected}
    for line, row in enumerate(facts.iter_rows(named=True), start=2):
        skipped = row["unit"] == "event" or row["status"].startswith("computed")
        assert skipped or line in covered, f"facts line {line} ({row['indicator']}) is not in data/"


def test_every_observation_equals_its_facts_value(joined: list[dict], expected: list[dict]) -> None:
    for obs in joined:
        where = f"{obs['release']} {obs['series_id']} {obs['period']}"
        candidates = [exp for exp in expected if _matches(obs, exp)]
        assert candidates, f"{where}: no facts row with this series, period and published day"
        assert any(float(obs["value"]) == pytest.approx(exp["value"]) for exp in candidates), (
            f"{where}: value {obs['value']} != facts {[exp['value'] for exp in candidates]}"
        )


def test_every_facts_value_is_in_the_seed(joined: list[dict], expected: list[dict]) -> None:
    for exp in expected:
        found = [obs for obs in joined if _matches(obs, exp)]
        assert any(float(obs["value"]) == pytest.approx(exp["value"]) for obs in found), (
            f"facts line {exp['line']}: {exp['series_id']} {exp['period']} = {exp['value']} "
            f"published {exp['published']} is missing from data/observations.csv"
        )


def test_releases_carry_the_facts_date_and_page(joined: list[dict], expected: list[dict]) -> None:
    """Release day = facts day; the cited page is the release URL, or is named in the note."""
    pages: dict[str, set[str]] = {}
    for obs in joined:
        exp = _facts_row(obs, expected)
        where = f"{obs['release']} {obs['series_id']} {obs['period']}"
        assert obs["published"] == exp["published"], where
        if obs["url"] != exp["url"]:
            assert exp["url"] in (obs["note"] or ""), f"{where}: cite {exp['url']} in the note"
        pages.setdefault(obs["release"], set()).add(exp["url"])
    for release, urls in pages.items():
        url = next(o["url"] for o in joined if o["release"] == release)
        assert url in urls, f"release {release}: url {url} is not a cited facts page"


def test_notes_quote_what_was_cleaned(joined: list[dict], expected: list[dict]) -> None:
    """A note quotes a non-numeric cell and an approximate date; otherwise it stays empty."""
    for obs in joined:
        exp = _facts_row(obs, expected)
        where = f"{obs['release']} {obs['series_id']} {obs['period']}"
        note = obs["note"] or ""
        cleaned = re.fullmatch(PLAIN_NUMBER, exp["cell"]) is None
        approximate = _date_is_approximate(exp["published_cell"])
        if cleaned:
            assert f"'{exp['cell']}'" in note, f"{where}: quote the facts cell in the note"
        if approximate:
            assert f"'{exp['published_cell']}'" in note, f"{where}: quote the facts date"
        if not (cleaned or approximate or obs["url"] != exp["url"]):
            assert note == "", f"{where}: nothing was cleaned, the note should be empty"


def test_approximate_days_stay_inside_the_stated_period(expected: list[dict]) -> None:
    for exp in expected:
        cell = exp["published_cell"]
        if not _date_is_approximate(cell):
            continue
        stated = re.match(r"(\d{4}(?:-\d{2}(?:-\d{2})?)?)", cell)
        mcs = re.match(r"MCS (\d{4})", cell)
        prefix = stated[1] if stated else f"{mcs[1]}-01"  # MCS is published each January
        assert exp["published"].startswith(prefix), (cell, exp["published"])


def test_events_cite_facts_pages(events: pl.DataFrame, facts: pl.DataFrame) -> None:
    assert set(events["url"]) <= set(facts["source_url"])


# -- real numbers ---------------------------------------------------------------------------------


def _value(observations: pl.DataFrame, release: str | None, series_id: str, period: str) -> float:
    rows = observations.filter((pl.col("series_id") == series_id) & (pl.col("period") == period))
    if release is not None:
        rows = rows.filter(pl.col("release") == release)
    assert rows.height == 1, (release, series_id, period, rows)
    return float(rows["value"][0])


def _vintages(joined: list[dict], series_id: str, period: str) -> list[tuple[str, float]]:
    found = [o for o in joined if o["series_id"] == series_id and o["period"] == period]
    return sorted((o["published"], float(o["value"])) for o in found)


def _latest_steps(joined: list[dict], series_id: str) -> list[tuple[str, float]]:
    latest: dict[str, tuple[str, float]] = {}
    for obs in joined:
        if obs["series_id"] == series_id:
            seen = latest.get(obs["period"])
            if seen is None or obs["published"] >= seen[0]:
                latest[obs["period"]] = (obs["published"], float(obs["value"]))
    return sorted((period, value) for period, (_, value) in latest.items())


def test_known_numbers(observations: pl.DataFrame) -> None:
    assert _value(observations, "gac-2025-06-09", "CHN.EXPORTS.YOY", "2025-05") == 4.8
    assert _value(observations, "gac-2025-06-09", "CHN.IMPORTS.YOY", "2025-05") == -3.4
    assert _value(observations, "gac-2024-03-07", "CHN.EXPORTS.YOY", "2024-01/02") == 7.1
    assert _value(observations, "gac-2025-03-07", "CHN.IMPORTS.YOY", "2025-01/02") == -8.4
    assert _value(observations, None, "CHN.EXPORTS.YOY.A", "2024") == 5.9
    assert _value(observations, None, "CHN.IMPORTS.YOY.A", "2024") == 1.1
    assert _value(observations, None, "CHN.EXPORTS.USA.USD", "2025-05") == 28.8
    assert _value(observations, None, "CHN.RAREEARTH.MINE", "2024") == 270000
    assert _value(observations, None, "WLD.RAREEARTH.MINE", "2024") == 390000
    assert _value(observations, None, "CHN.RAREEARTH.MINE_SHARE", "2024") == 69
    assert _value(observations, None, "CHN.RAREEARTH.MINE_SHARE", "2023") == 68.6
    assert _value(observations, None, "USA.IMPORTS.CHN.USD", "2024") == 438.9
    assert _value(observations, None, "USA.EXPORTS.CHN.USD", "2024") == 143.5
    assert _value(observations, None, "USA.BALANCE.CHN.USD", "2024") == -295.4


def test_forecast_vintages(joined: list[dict]) -> None:
    assert _vintages(joined, "WLD.GDP.OECD_FCST", "2025") == [
        ("2024-09-25", 3.2),
        ("2024-12-04", 3.3),
        ("2025-03-17", 3.1),
        ("2025-06-03", 2.9),
    ]
    assert _vintages(joined, "WLD.GDP.IMF_FCST", "2025") == [
        ("2024-04-16", 3.2),
        ("2024-07-16", 3.3),
        ("2024-10-22", 3.2),
        ("2025-01-17", 3.3),
        ("2025-04-22", 2.8),
    ]


def test_tariff_steps(joined: list[dict]) -> None:
    assert _latest_steps(joined, "USA.TARIFF.CHN") == [
        ("2025-02-04", 10),
        ("2025-03-04", 20),
        ("2025-04-09", 104),
        ("2025-04-10", 145),
        ("2025-05-14", 30),
    ]
    assert _latest_steps(joined, "CHN.TARIFF.USA") == [
        ("2025-04-10", 84),
        ("2025-04-12", 125),
        ("2025-05-14", 10),
    ]
    # Two announcements for one effective date are two vintages of the same period.
    assert _vintages(joined, "CHN.TARIFF.USA", "2025-04-10") == [
        ("2025-04-04", 34),
        ("2025-04-09", 84),
    ]
    assert _vintages(joined, "USA.TARIFF.CHN", "2025-04-09") == [
        ("2025-04-04", 54),
        ("2025-04-09", 104),
    ]


# -- market consensus -----------------------------------------------------------------------------


def test_consensus_series_point_at_their_actuals(series: pl.DataFrame) -> None:
    catalogue = {row["series_id"]: row for row in series.iter_rows(named=True)}
    for consensus_id, actual_id in CONSENSUS_SERIES.values():
        assert catalogue[consensus_id]["kind"] == "forecast", consensus_id
        assert catalogue[consensus_id]["actual_series_id"] == actual_id, consensus_id
        assert catalogue[actual_id]["kind"] == "actual", actual_id
        assert catalogue[consensus_id]["unit"] == catalogue[actual_id]["unit"], consensus_id
    linked = {row["series_id"] for row in series.iter_rows(named=True) if row["actual_series_id"]}
    assert linked == {consensus_id for consensus_id, _ in CONSENSUS_SERIES.values()}


def test_every_consensus_observation_equals_its_facts_row(
    joined_consensus: list[dict], consensus_expected: list[dict]
) -> None:
    for obs in joined_consensus:
        where = f"{obs['release']} {obs['series_id']} {obs['period']}"
        exp = _facts_row(obs, consensus_expected)
        if obs["url"] != exp["url"]:
            assert exp["url"] in (obs["note"] or ""), f"{where}: cite {exp['url']} in the note"
        if exp["poll_source"] is not None:
            assert f"poll source '{exp['poll_source']}'" in obs["note"], where
        else:
            assert "consensus facts row 'China trade balance'" in obs["note"], where
        if not exp["poll_dated"]:
            assert "poll date not given" in obs["note"], where
    assert len(joined_consensus) == len(consensus_expected)


def test_every_consensus_facts_value_is_in_the_seed(
    joined_consensus: list[dict], consensus_expected: list[dict]
) -> None:
    for exp in consensus_expected:
        found = [obs for obs in joined_consensus if _matches(obs, exp)]
        assert any(float(obs["value"]) == pytest.approx(exp["value"]) for obs in found), (
            f"consensus facts line {exp['line']}: {exp['series_id']} {exp['period']} = "
            f"{exp['value']} published {exp['published']} is missing from data/observations.csv"
        )


def test_each_poll_precedes_the_release_it_forecasts(
    joined: list[dict], joined_consensus: list[dict]
) -> None:
    """A consensus is what was expected before the number came out: its day is before the outturn."""
    first: dict[tuple[str, str], str] = {}
    for obs in joined + joined_consensus:
        key = (obs["series_id"], obs["period"])
        first[key] = min(first.get(key, obs["published"]), obs["published"])
    polls = [o for o in joined_consensus if o["series_id"].endswith(".CONSENSUS")]
    assert len(polls) == 44
    for poll in polls:
        actual_id = poll["series_id"].removesuffix(".CONSENSUS")
        released = first[(actual_id, poll["period"])]
        assert poll["published"] < released, (poll["release"], poll["period"], released)


def test_may_2025_surprise_numbers(observations: pl.DataFrame) -> None:
    """Imports fell 3.4% y/y in May 2025 against a consensus of -0.9%; exports rose 4.8% vs 5.0%."""
    assert _value(observations, None, "CHN.IMPORTS.YOY.CONSENSUS", "2025-05") == -0.9
    assert _value(observations, None, "CHN.EXPORTS.YOY.CONSENSUS", "2025-05") == 5.0
    assert _value(observations, "gac-2025-06-09", "CHN.IMPORTS.YOY", "2025-05") == -3.4


def test_consensus_outturns_agree_with_the_trade_facts(
    joined: list[dict], consensus_facts: pl.DataFrame
) -> None:
    """The growth outturns come from the trade facts; the consensus file's actual column agrees."""
    first: dict[tuple[str, str], tuple[str, float]] = {}
    for obs in joined:
        key = (obs["series_id"], obs["period"])
        if key not in first or obs["published"] < first[key][0]:
            first[key] = (obs["published"], float(obs["value"]))
    checked = 0
    for row in consensus_facts.iter_rows(named=True):
        _, actual_id = CONSENSUS_SERIES[row["indicator"]]
        if actual_id in FROM_CONSENSUS:
            continue
        published, value = first[(actual_id, row["period"])]
        assert (published, value) == (row["release_published"], _num(row["actual"])), row
        checked += 1
    assert checked == 30
