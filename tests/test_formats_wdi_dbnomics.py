"""World Bank WDI bulk CSV (real download) and DBnomics series JSON (API v22 documents)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import FIXTURES, all_fixtures, fixture, head
from tracker.errors import FormatError, ValidationError
from tracker.formats import dbnomics, read, wdi

WDI = "worldbank/wdi_API_NY.GDP.MKTP.KD.ZG_DS2_en_csv_v2_2788350.csv"
WDI_METADATA = "worldbank/wdi_Metadata_Country_API_NY.GDP.MKTP.KD.ZG.csv"


# World Bank WDI ---------------------------------------------------------------------------------


def test_wdi_reads_the_bulk_download():
    releases = read(fixture(WDI))

    assert len(releases) == 1
    release = releases[0]
    assert release.format == "wdi"
    assert release.source == "World Bank (WDI)"
    assert release.published == datetime(2024, 6, 28)
    assert release.title == "World Development Indicators: GDP growth (annual %)"
    china = release.frame.filter(pl.col("series_id") == "NY.GDP.MKTP.KD.ZG.CHN")
    latest = china.filter(pl.col("period") == "2023")
    assert latest["value"][0] == pytest.approx(5.19999999987174, rel=1e-12)
    assert latest["value"][0] == pytest.approx(5.2, abs=1e-6)
    # China has values from 1961 (1960 is blank in WDI): blanks are dropped, not NULL rows.
    assert china["period"].to_list() == [str(year) for year in range(1961, 2024)]
    assert release.frame["value"].null_count() == 0


def test_wdi_line_numbers_count_the_preamble():
    path = fixture(WDI)
    lines = path.read_text(encoding="utf-8-sig").splitlines()

    result = read(path)[0].frame.filter(pl.col("series_id") == "NY.GDP.MKTP.KD.ZG.CHN")

    assert lines[result["line"][0] - 1].startswith('"China","CHN",')


def test_wdi_series_metadata_and_aggregates():
    release = read(fixture(WDI))[0]
    series = {row["series_id"]: row for row in release.series.to_dicts()}

    assert series["NY.GDP.MKTP.KD.ZG.CHN"] == {
        "series_id": "NY.GDP.MKTP.KD.ZG.CHN",
        "name": "GDP growth (annual %): China",
        "unit": "%",
        "unit_kind": "growth_yoy",
        "frequency": "A",
        "geo": "CHN",
        "source": "World Bank (WDI)",
        "kind": "actual",
        "tags": ["wdi"],
    }
    for code in ("WLD", "EAS", "HIC", "EUU", "AFE"):
        assert series[f"NY.GDP.MKTP.KD.ZG.{code}"]["tags"] == ["wdi", "aggregate"], code
    for code in ("USA", "DEU", "ABW"):
        assert series[f"NY.GDP.MKTP.KD.ZG.{code}"]["tags"] == ["wdi"], code


def test_wdi_aggregates_without_the_metadata_file_match(tmp_path):
    copy = tmp_path / Path(WDI).name
    shutil.copy(fixture(WDI), copy)

    def aggregates(path: Path) -> set[str]:
        series = read(path)[0].series
        return set(series.filter(pl.col("tags").list.contains("aggregate"))["geo"].to_list())

    with_metadata = aggregates(fixture(WDI))
    builtin = aggregates(copy)

    assert builtin == with_metadata
    assert len(builtin) == 48


@pytest.mark.parametrize(
    ("name", "unit", "kind"),
    [
        ("GDP growth (annual %)", "%", "growth_yoy"),
        ("Inflation, consumer prices (annual %)", "%", "growth_yoy"),
        ("Lending interest rate (%)", "%", "rate"),
        ("Exports of goods and services (% of GDP)", "% of GDP", "share"),
        ("GDP (current US$)", "current US$", "level"),
        ("Consumer price index (2010 = 100)", "2010 = 100", "index"),
        ("Population, total", None, "level"),
    ],
)
def test_wdi_unit_from_the_indicator_name(name, unit, kind):
    assert wdi._unit(name) == (unit, kind)


def test_wdi_sniff_claims_only_the_data_file():
    files = all_fixtures()

    result = {p.relative_to(FIXTURES).as_posix() for p in files if wdi.sniff(p, head(p))}

    assert result == {WDI}


def test_wdi_metadata_file_is_refused_with_the_fix():
    with pytest.raises(FormatError) as caught:
        read(fixture(WDI_METADATA), format="wdi")

    assert caught.value.message == (
        "error: wdi_Metadata_Country_API_NY.GDP.MKTP.KD.ZG.csv:1: is WDI's country metadata, "
        f"not data (expected {wdi.EXPECTED}); append the API_...csv file that sits beside it"
    )


def wdi_lines() -> list[str]:
    return fixture(WDI).read_text(encoding="utf-8-sig").splitlines()


def test_wdi_bad_cell_names_line_and_year(tmp_path):
    lines = wdi_lines()
    china = next(i for i, line in enumerate(lines) if line.startswith('"China"'))
    lines[china] = lines[china].replace('"5.19999999987174"', '"5.2%"')
    path = tmp_path / "wdi.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        f"error: wdi.csv:{china + 1}: column '2023': '5.2%' is not a number "
        "(leave the cell empty for a missing value)"
    ]


def test_wdi_truncated_download(tmp_path):
    content = fixture(WDI).read_bytes()
    cut = content.index(b'"China","CHN"') + 200
    path = tmp_path / "wdi.csv"
    path.write_bytes(content[:cut])

    with pytest.raises(ValidationError) as caught:
        read(path)

    line = content[:cut].count(b"\n") + 1
    [message] = caught.value.problems
    assert message.startswith(f'error: wdi.csv:{line}: ends inside a quoted value (\'"China",')
    assert message.endswith("the file looks truncated: download it again")


def test_wdi_header_drift(tmp_path):
    lines = wdi_lines()
    lines[4] = lines[4].replace(
        '"Country Code","Indicator Name"', '"Indicator Name","Country Code"'
    )
    path = tmp_path / "wdi.csv"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(FormatError) as caught:
        read(path, format="wdi")

    assert caught.value.message == (
        f"error: wdi.csv:1: expected {wdi.EXPECTED}, found "
        '\'"Data Source","World Development Indicators",\''
    )


def test_wdi_html_page(tmp_path):
    path = tmp_path / "API_NY.GDP.MKTP.KD.ZG.csv"
    path.write_text("<html><body><h1>502 Bad Gateway</h1></body></html>\n")

    assert not wdi.sniff(path, head(path))
    with pytest.raises(FormatError) as caught:
        read(path, format="wdi")

    assert "found an HTML page ('<html><body><h1>502 Bad Gateway</h1></body></html>')" in (
        caught.value.message
    )


# DBnomics --------------------------------------------------------------------------------------

WEO_CHN = {
    "@frequency": "annual",
    "dataset_code": "WEO:2025-04",
    "dataset_name": "World Economic Outlook by countries",
    "dimensions": {"unit": "pcent_change", "weo-country": "CHN", "weo-subject": "NGDP_RPCH"},
    "indexed_at": "2025-05-15T11:13:27.379Z",
    "provider_code": "IMF",
    "series_code": "CHN.NGDP_RPCH.pcent_change",
    "series_name": "China – Gross domestic product, constant prices (NGDP_RPCH) – Percent change",
    "period": ["2021", "2022", "2023", "2024", "2025", "2026", "2030"],
    "period_start_day": [
        "2021-01-01", "2022-01-01", "2023-01-01", "2024-01-01", "2025-01-01", "2026-01-01",
        "2030-01-01",
    ],
    "value": [8.4, 3.0, 5.4, 5.0, 4.0, 4.0, "NA"],
}  # fmt: skip

WEO_OCT = {
    "@frequency": "annual",
    "dataset_code": "WEO:2024-10",
    "dataset_name": "World Economic Outlook by countries",
    "provider_code": "IMF",
    "series_code": "CHN.NGDP_RPCH.pcent_change",
    "series_name": "China – Gross domestic product, constant prices (NGDP_RPCH) – Percent change",
    "period": ["2024", "2025"],
    "period_start_day": ["2024-01-01", "2025-01-01"],
    "value": [4.8, 4.5],
}

CPI_MONTHLY = {
    "@frequency": "monthly",
    "dataset_code": "cu",
    "dataset_name": "All Urban Consumers (Current Series)",
    "indexed_at": "2025-06-12T04:10:02.512Z",
    "provider_code": "BLS",
    "series_code": "CUSR0000SA0",
    "series_name": "All items in U.S. city average, all urban consumers, seasonally adjusted",
    "period": ["2025-01", "2025-02", "2025-03", "2025-04"],
    "period_start_day": ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"],
    "value": [317.671, 318.279, "NA", 320.321],
}


def response(*docs: dict) -> dict:
    return {
        "_meta": {"args": {}, "version": "22.0.0"},
        "providers": {"IMF": {"code": "IMF", "name": "International Monetary Fund"}},
        "series": {"docs": list(docs), "limit": 1000, "num_found": len(docs), "offset": 0},
    }


def write_json(tmp_path: Path, document: object, name: str = "series.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    return path


def test_dbnomics_weo_vintage_is_a_forecast_release(tmp_path):
    path = write_json(tmp_path, response(WEO_CHN))

    [release] = read(path)

    assert release.format == "dbnomics"
    assert release.source == "IMF via DBnomics"
    assert release.published == datetime(2025, 5, 15, 11, 13, 27, 379000)
    assert release.title == (
        "International Monetary Fund World Economic Outlook by countries (WEO:2025-04)"
    )
    assert release.url == "https://db.nomics.world/IMF/WEO:2025-04"
    result = release.frame
    assert set(result["series_id"]) == {"IMF/WEO/CHN.NGDP_RPCH.pcent_change"}
    assert dict(zip(result["period"], result["value"], strict=True)) == {
        "2021": 8.4, "2022": 3.0, "2023": 5.4, "2024": 5.0, "2025": 4.0, "2026": 4.0,
        "2030": None,
    }  # fmt: skip
    assert release.series.to_dicts() == [
        {
            "series_id": "IMF/WEO/CHN.NGDP_RPCH.pcent_change",
            "name": WEO_CHN["series_name"],
            "frequency": "A",
            "source": "IMF via DBnomics",
            "kind": "forecast",
            "description": "World Economic Outlook by countries",
            "tags": ["dbnomics"],
        }
    ]


def test_dbnomics_two_vintages_share_one_series_in_publication_order(tmp_path):
    path = write_json(tmp_path, response(WEO_CHN, WEO_OCT))

    releases = read(path)

    assert [r.published for r in releases] == [
        datetime(2024, 10, 1),  # no indexed_at: the first day of the vintage month
        datetime(2025, 5, 15, 11, 13, 27, 379000),
    ]
    assert releases[0].notes == [
        "series.json: IMF/WEO:2024-10 has no indexed_at: dated 2024-10-01, the first day of its "
        "vintage month (pass --published for the exact day)"
    ]
    ids = {sid for r in releases for sid in r.frame["series_id"]}
    assert ids == {"IMF/WEO/CHN.NGDP_RPCH.pcent_change"}
    assert releases[0].frame.filter(pl.col("period") == "2025")["value"][0] == 4.5


def test_dbnomics_plain_monthly_series(tmp_path):
    path = write_json(tmp_path, {"series": {"docs": [CPI_MONTHLY]}})

    [release] = read(path)

    assert release.published == datetime(2025, 6, 12, 4, 10, 2, 512000)
    assert release.frame.select("series_id", "period", "value").rows() == [
        ("BLS/cu/CUSR0000SA0", "2025-01", 317.671),
        ("BLS/cu/CUSR0000SA0", "2025-02", 318.279),
        ("BLS/cu/CUSR0000SA0", "2025-03", None),
        ("BLS/cu/CUSR0000SA0", "2025-04", 320.321),
    ]
    assert release.series.select("frequency", "kind").row(0) == ("M", "actual")


def test_dbnomics_bad_value_names_series_and_period(tmp_path):
    doc = CPI_MONTHLY | {"value": [317.671, "n/a", 1e400, 320.321]}
    path = tmp_path / "cpi.json"
    # json.dumps writes 1e400 as Infinity, which Python's json module reads back.
    path.write_text(json.dumps({"series": {"docs": [doc]}}))

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: cpi.json: series BLS/cu/CUSR0000SA0 period 2025-02: 'n/a' is not a number "
        '(use "NA" or null for a missing value)',
        "error: cpi.json: series BLS/cu/CUSR0000SA0 period 2025-03: 'inf' is not a finite number "
        '(use "NA" or null for a missing value)',
    ]


def test_dbnomics_repeated_period(tmp_path):
    doc = CPI_MONTHLY | {"period": ["2025-01", "2025-02", "2025-02", "2025-04"]}
    path = write_json(tmp_path, {"series": {"docs": [doc]}}, "cpi.json")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: cpi.json: series BLS/cu/CUSR0000SA0 period 2025-02 appears again "
        "(first as observation 2); keep one row per period"
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"series": {"docs": [CPI_MONTHLY | {"value": [1.0]}]}},
            "error: x.json: series BLS/cu/CUSR0000SA0 has 4 periods but 1 values; "
            "the file is damaged: download it again",
        ),
        (
            {"series": {"docs": [{k: v for k, v in CPI_MONTHLY.items() if k != "value"}]}},
            "error: x.json: series BLS/cu/CUSR0000SA0 has no 'period'/'value' arrays: "
            "download it with observations=1",
        ),
        (
            {"series": {"docs": []}},
            "error: x.json: holds no series (series.docs is empty): check the query's series codes",
        ),
        (
            {"message": "Series not found", "errors": []},
            f"error: x.json: expected {dbnomics.EXPECTED}, found message, errors "
            "(DBnomics said: Series not found)",
        ),
    ],
)
def test_dbnomics_broken_documents(tmp_path, document, expected):
    path = write_json(tmp_path, document, "x.json")

    with pytest.raises(FormatError) as caught:
        read(path, format="dbnomics")

    assert caught.value.message == expected


def test_dbnomics_truncated_and_html(tmp_path):
    text = json.dumps(response(WEO_CHN), indent=1)
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    html = tmp_path / "page.json"
    html.write_text("<!DOCTYPE html><html><body>Too many requests</body></html>")

    assert dbnomics.sniff(cut, head(cut))
    assert not dbnomics.sniff(html, head(html))
    with pytest.raises(FormatError) as truncated:
        read(cut)
    with pytest.raises(FormatError) as page:
        read(html, format="dbnomics")

    assert truncated.value.message.startswith(
        f"error: cut.json:{text[: len(text) // 2].count(chr(10)) + 1}: expected a DBnomics"
    )
    assert "the file is cut short or not JSON; download it again" in truncated.value.message
    assert page.value.message.endswith("found an HTML page: the download failed; download it again")


def test_dbnomics_sniff_claims_its_json_and_no_fixture(tmp_path):
    path = write_json(tmp_path, response(WEO_CHN))
    files = all_fixtures()

    assert dbnomics.sniff(path, head(path))
    assert [p.name for p in files if dbnomics.sniff(p, head(p))] == []
    other = write_json(tmp_path, {"series": [1, 2]}, "other.json")
    assert not dbnomics.sniff(other, head(other))


def test_dbnomics_sniff_sees_a_response_whose_metadata_fills_the_head(tmp_path):
    labels = {f"C{i:04d}": f"Country number {i} with a long label" for i in range(3000)}
    document = {
        "_meta": {"args": {"observations": True}, "version": "22.1.3"},
        "datasets": {
            "IMF/WEO:2025-04": {"code": "WEO:2025-04", "dimensions_values_labels": labels}
        },
        **response(WEO_CHN),
    }
    path = write_json(tmp_path, document)
    assert b'"series"' not in head(path)

    assert dbnomics.sniff(path, head(path))
    assert [r.published for r in read(path)] == [datetime(2025, 5, 15, 11, 13, 27, 379000)]
