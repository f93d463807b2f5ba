"""Mapping external series ids onto existing ones (CLI pairs, CSV and TOML files)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import fixture
from tracker.errors import FormatError, SeriesError, ValidationError
from tracker.formats import RawRelease, read
from tracker.formats.mapping import apply_mapping, load_mapping, parse_mapping

CENSUS = "datasets/census_usa_china_trade_2001_2019_semicolon.csv"


def census() -> list[RawRelease]:
    return read(fixture(CENSUS))


def test_parse_mapping_from_cli_pairs():
    result = parse_mapping(["EXPORTS=USA.EXPORTS.CHN", " IMPORTS = USA.IMPORTS.CHN "])

    assert result == {"EXPORTS": "USA.EXPORTS.CHN", "IMPORTS": "USA.IMPORTS.CHN"}


def test_parse_mapping_reports_every_bad_item():
    with pytest.raises(ValidationError) as caught:
        parse_mapping(["EXPORTS", "=X", "A=B", "A=C", "B=has space"])

    assert caught.value.problems == [
        "error: --map 'EXPORTS': expected FROM=TO, e.g. --map RATE=US.10Y.YIELD",
        "error: --map '=X': expected FROM=TO, e.g. --map RATE=US.10Y.YIELD",
        "error: --map 'A=C': 'A' is already mapped to 'B'; map each id once",
        "error: --map 'B=has space': series id 'has space' contains whitespace (ids have none)",
    ]


def test_load_mapping_csv_and_toml(tmp_path):
    csv_file = tmp_path / "map.csv"
    csv_file.write_text(
        "from,to,note\n"
        "RATE,US.10Y.YIELD,Treasury\n"
        "IMF/WEO/CHN.NGDP_RPCH.pcent_change,CHN.GDP.IMF_FCST,\n"
    )
    toml_file = tmp_path / "map.toml"
    toml_file.write_text(
        '[map]\n"RATE" = "US.10Y.YIELD"\n"IMF/WEO/CHN.NGDP_RPCH.pcent_change" = "CHN.GDP.IMF_FCST"\n'
    )
    expected = {
        "RATE": "US.10Y.YIELD",
        "IMF/WEO/CHN.NGDP_RPCH.pcent_change": "CHN.GDP.IMF_FCST",
    }

    assert load_mapping(csv_file) == expected
    assert load_mapping(toml_file) == expected


def test_load_mapping_errors_name_the_line(tmp_path):
    header = tmp_path / "header.csv"
    header.write_text("source,target\nRATE,X\n")
    rows = tmp_path / "rows.csv"
    rows.write_text("from,to\nRATE,X\nRATE,Y\nEXPORTS,\n")
    toml_file = tmp_path / "bad.toml"
    toml_file.write_text("[map]\nRATE = 3\n")
    broken = tmp_path / "broken.toml"
    broken.write_text("[map\n")

    with pytest.raises(FormatError) as wrong_header:
        load_mapping(header)
    with pytest.raises(ValidationError) as bad_rows:
        load_mapping(rows)
    with pytest.raises(ValidationError) as bad_toml:
        load_mapping(toml_file)
    with pytest.raises(FormatError) as not_toml:
        load_mapping(broken)
    with pytest.raises(FormatError) as missing:
        load_mapping(tmp_path / "nope.csv")

    assert wrong_header.value.message == (
        "error: header.csv:1: expected a 'from,to' header, found 'source,target' "
        "(one mapping per line: from,to)"
    )
    assert bad_rows.value.problems == [
        "error: rows.csv:3: 'RATE' is already mapped to 'X'; map each id once",
        "error: rows.csv:4: column 'to': is empty (each line maps one series id to another)",
    ]
    assert bad_toml.value.problems == [
        'error: bad.toml: \'RATE\' must map to a series id in quotes, e.g. "RATE" = "NEW.ID"'
    ]
    assert not_toml.value.message.startswith("error: broken.toml: is not valid TOML")
    assert (
        missing.value.message
        == f"error: {tmp_path / 'nope.csv'}: no such mapping file (check the path)"
    )


def test_apply_mapping_renames_frame_and_catalogue_and_passes_the_rest_through():
    releases = census()
    before = releases[0].frame.clone()

    [result] = apply_mapping(releases, {"EXPORTS": "USA.EXPORTS.CHN"}, file="census.csv")

    assert set(result.frame["series_id"]) == {"USA.EXPORTS.CHN", "IMPORTS", "BALANCE"}
    assert result.series["series_id"].to_list() == ["USA.EXPORTS.CHN", "IMPORTS", "BALANCE"]
    exports = result.frame.filter(pl.col("series_id") == "USA.EXPORTS.CHN")
    assert exports.filter(pl.col("period") == "2001-01-01")["value"][0] == 1187.5
    assert result.notes[-1] == "census.csv: mapped EXPORTS → USA.EXPORTS.CHN"
    # The input release is not modified.
    assert releases[0].frame.equals(before)


def test_apply_mapping_unknown_id_is_an_error_naming_it():
    with pytest.raises(SeriesError) as caught:
        apply_mapping(census(), {"EXPORT": "USA.EXPORTS.CHN"}, file="census.csv")

    assert caught.value.message == (
        "error: census.csv: cannot map 'EXPORT': the file has no such series "
        "(did you mean 'EXPORTS'? it has: EXPORTS, IMPORTS, BALANCE)"
    )


def test_apply_mapping_refuses_two_ids_onto_one():
    with pytest.raises(ValidationError) as onto_each_other:
        apply_mapping(census(), {"EXPORTS": "IMPORTS"}, file="census.csv")
    with pytest.raises(ValidationError) as onto_the_same:
        apply_mapping(census(), {"EXPORTS": "X", "IMPORTS": "X"}, file="census.csv")

    assert onto_each_other.value.problems == [
        "error: census.csv: 'EXPORTS' and 'IMPORTS' would both become 'IMPORTS' "
        "(map them onto different ids, or append them separately)"
    ]
    assert onto_the_same.value.problems == [
        "error: census.csv: 'EXPORTS' and 'IMPORTS' would both become 'X' "
        "(map them onto different ids, or append them separately)"
    ]


def test_apply_mapping_across_forecast_vintages(tmp_path):
    doc = {
        "@frequency": "annual",
        "provider_code": "IMF",
        "series_code": "CHN.NGDP_RPCH.pcent_change",
        "series_name": "China – GDP growth",
        "period": ["2025"],
        "period_start_day": ["2025-01-01"],
    }
    path = tmp_path / "weo.json"
    path.write_text(
        json.dumps(
            {
                "series": {
                    "docs": [
                        doc | {"dataset_code": "WEO:2024-10", "value": [4.5]},
                        doc | {"dataset_code": "WEO:2025-04", "value": [4.0]},
                    ]
                }
            }
        )
    )

    releases = apply_mapping(
        read(path), parse_mapping(["IMF/WEO/CHN.NGDP_RPCH.pcent_change=CHN.GDP.IMF_FCST"])
    )

    assert [(r.frame["series_id"][0], r.frame["value"][0]) for r in releases] == [
        ("CHN.GDP.IMF_FCST", 4.5),
        ("CHN.GDP.IMF_FCST", 4.0),
    ]
    assert all(r.series["kind"][0] == "forecast" for r in releases)


def test_empty_mapping_changes_nothing():
    releases = census()

    assert apply_mapping(releases, {}) == releases
