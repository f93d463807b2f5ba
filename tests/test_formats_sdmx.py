"""SDMX readers on the real files: SDMX-CSV 1.0 (OECD), the SDMX-CSV 2.0 spec examples, SDMX-ML."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from tracker.append import ReleaseMeta, append_releases
from tracker.errors import FormatError, ValidationError, problem
from tracker.formats import RawRelease, detect, read, sdmx_csv, sdmx_ml
from tracker.vocab import HEAD_BYTES

SPEC = "sdmx/csv2_spec_examples"
FIXTURE_NOTE = (
    "the column before OBS_VALUE whose every value is a period code, as the time dimension"
)


def one(path: Path, format: str | None = None) -> RawRelease:
    releases = read(path, format=format)
    assert len(releases) == 1
    return releases[0]


def rows(release: RawRelease) -> list[tuple]:
    return list(release.frame.select("series_id", "period", "value", "status", "line").iter_rows())


def value_of(release: RawRelease, series_id: str, period: str) -> float | None:
    hit = release.frame.filter((pl.col("series_id") == series_id) & (pl.col("period") == period))
    assert hit.height == 1, f"{series_id} {period}: {hit.height} rows"
    return hit["value"][0]


def catalogue(release: RawRelease, series_id: str) -> dict:
    assert release.series is not None
    return release.series.filter(pl.col("series_id") == series_id).row(0, named=True)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def refused(path: Path, format: str = "sdmx_csv") -> str:
    with pytest.raises((FormatError, ValidationError)) as caught:
        read(path, format=format)
    return caught.value.message


# OECD SDMX-CSV 1.0 --------------------------------------------------------------------------


def test_oecd_debt_ireland_2011(fixtures: Path) -> None:
    release = one(fixtures / "sdmx/oecd_GOV_PF_YU_gov_debt_sdmxcsv1.csv")
    ireland = "DF_GOV_PF_YU.A.IRL.GGD.PT_B1GQ.S13.YU.PF"
    assert release.format == "sdmx_csv"
    assert release.frame.height == 695
    assert value_of(release, ireland, "2011") == 109.771
    assert release.frame.filter(pl.col("series_id") == ireland)["line"].to_list()[:2] == [2, 3]
    # An empty OBS_VALUE is published-as-missing, with its status kept.
    assert value_of(release, "DF_GOV_PF_YU.A.KOR.GGD.PT_B1GQ.S13.YU.PF", "2023") is None
    assert set(release.frame["status"]) == {"actual"}
    assert release.source == "OECD"
    assert release.published is None
    assert release.title == "OECD.GOV.GIP:DSD_GOV@DF_GOV_PF_YU(1.0)"
    assert release.series is not None and release.series.height == 42
    assert catalogue(release, ireland) == {
        "series_id": ireland,
        "name": None,
        "unit": "PT_B1GQ",
        "frequency": "A",
        "geo": "IRL",
        "source": "OECD",
        "description": "OECD.GOV.GIP:DSD_GOV@DF_GOV_PF_YU(1.0) FREQ=A REF_AREA=IRL MEASURE=GGD "
        "UNIT_MEASURE=PT_B1GQ SECTOR=S13 EDITION=YU CATEGORY=PF",
    }


def test_oecd_house_prices(fixtures: Path) -> None:
    release = one(fixtures / "sdmx/oecd_house_prices_sdmxcsv1.csv")
    assert release.frame.height == 1694
    # Line 1096 of the file: DEU,A,HPI_RPI,IX,2020,129.555164588331
    germany = "DF_HOUSE_PRICES.DEU.A.HPI_RPI.IX"
    assert value_of(release, germany, "2020") == 129.555164588331
    assert release.frame.filter((pl.col("series_id") == germany) & (pl.col("period") == "2020"))[
        "line"
    ].to_list() == [1096]
    assert catalogue(release, germany)["unit"] == "IX"
    # Aggregates keep their key but get no ISO geography.
    assert catalogue(release, "DF_HOUSE_PRICES.EA17.A.HPI_YDH.IX")["geo"] is None


def test_oecd_eo114_forecast_older_dimension_names(fixtures: Path) -> None:
    release = one(fixtures / "sdmx/oecd_EO114_longterm_forecast_sdmxcsv1.csv")
    assert release.frame.height == 4428
    # Line 924: USA,GDP,S0,A,2060,95084010000000 (dimension FREQUENCY, not FREQ).
    usa = "DF_EO114_LTB.USA.GDP.S0.A"
    assert value_of(release, usa, "2060") == 95084010000000.0
    assert catalogue(release, usa)["frequency"] == "A"
    assert catalogue(release, usa)["unit"] is None  # UNIT_MEASURE is empty in this file
    assert release.frame["period"].min() == "2020"
    assert release.frame["period"].max() == "2060"


# The SDMX-CSV 2.0 specification's examples ---------------------------------------------------

A_B = "NA_MAIN.A.B"
TWO_MONTHS = [(A_B, "2014-01", 12.4, None, 2), (A_B, "2014-02", 10.8, None, 3)]
LOADS = {
    "example-01.csv": TWO_MONTHS,
    "example-04.csv": TWO_MONTHS,  # ';' separator, decimal comma 12,4, labels=both, keys
    "example-05.csv": [(A_B, "2014-01-01", 12.4, None, 2), (A_B, "2014-02-01", 10.8, None, 3)],
    "example-06.csv": TWO_MONTHS,  # labels=name: a name column after each column
    "example-07.csv": TWO_MONTHS,  # multi-valued attributes, ignored
    "example-08.csv": TWO_MONTHS,  # multi-lingual attribute; two versions of one dataflow
    "example-09A.csv": [
        ("DF_NA_MAIN.A.B", "2014-01", 12.4, None, 2),
        ("DSD_NA_MAIN.A.B", "2014-02", 10.8, None, 3),
        ("DPA_NA_MAIN.A.B", "2014-03", 11.2, None, 4),
    ],
    "example-10.csv": TWO_MONTHS,  # actions A and R: ordinary rows
    "example-11.csv": [  # a non-versioned structure
        ("DF_ID.A.B", "2014-01", 12.4, None, 2),
        ("DF_ID.A.B", "2014-02", 10.8, None, 3),
    ],
    "example-15.csv": [(A_B, "2014-01", 12.4, None, 2), (A_B, "2014-02", 10.8, None, 4)],
    "example-16.csv": [(A_B, "2014-01", None, "deleted", 2)],  # D: a tombstone, not an erase
}  # fmt: skip

NO_VALUE = (
    "no OBS_VALUE column, so its rows are not observations; it holds {what} (columns: {columns}); "
    "tracker reads single-measure data whose measure is OBS_VALUE — if one of these columns is "
    "the observation value, rename it to OBS_VALUE"
)
WILDCARD = (
    "is empty in a delete (ACTION D) row: a wildcard deleting every matching observation, which "
    "tracker cannot expand without the agency's series list (send one row per deleted "
    "observation, with every dimension and TIME_PERIOD)"
)
EXPAND = (
    "tracker cannot expand such a deletion into observations — send one row per deleted "
    "observation with every dimension, TIME_PERIOD and OBS_VALUE '-'"
)
FAILS = {
    "example-02.csv": "error: example-02.csv:1: " + NO_VALUE.format(
        what="several measures (OBS_VALUE1, OBS_VALUE2) or data of several structures",
        columns="OBS_VALUE1, OBS_VALUE2, ATTR_3, ATTR_1[], DIM_2, DIM_1, DIM_3",
    ),
    "example-03.csv": "error: example-03.csv:1: " + NO_VALUE.format(
        what="several measures (OBS_VALUE1, OBS_VALUE2) or data of several structures",
        columns="OBS_VALUE1, OBS_VALUE2, ATTR_3, ATTR_1, DIM_2, DIM_1, DIM_3",
    ),
    "example-09B.csv": "error: example-09B.csv:1: " + NO_VALUE.format(
        what="several measures (MEAS_A1B1C1, MEAS_C2) or data of several structures",
        columns="DIM_A1B1, DIM_A2, DIM_A3C2, DIM_B2, DIM_C1, DIM_C3, MEAS_A1B1C1, MEAS_C2, "
        "ATTR_A1, ATTR_B1",
    ),
    "example-12.csv": "error: example-12.csv:1: " + NO_VALUE.format(
        what="no observation values, only dimensions and attributes",
        columns="DIM_2, DIM_3, ATTR_1",
    ),
    "example-13.csv": "error: example-13.csv:1: " + NO_VALUE.format(
        what="a measure named MEAS_1, or attribute values attached to partial keys",
        columns="DIM_1, DIM_2, DIM_3, MEAS_1, ATTR_1, ATTR_2",
    ),
    "example-14.csv": "error: example-14.csv:1: " + NO_VALUE.format(
        what="referential metadata (metadata attributes attached to keys)",
        columns="DIM_2, COLLECTION.METHOD[en;fr], CONTACT[], CONTACT[].NAME[]",
    ),
    "example-17.csv": "\n".join(
        problem("example-17.csv", line, column, WILDCARD)
        for line in (2, 3)
        for column in ("DIM_1", "DIM_3")
    ),
    "example-18.csv": "error: example-18.csv:1: no OBS_VALUE column: it deletes whole series or "
    "groups of observations by partial key (ACTION D with only DIM_2, DIM_3); " + EXPAND,
    "example-19A.csv": "error: example-19A.csv:1: has only structure columns (STRUCTURE, "
    "STRUCTURE_ID, ACTION): it deletes all data of ESTAT:DSD_NA_MAIN(1.6.0) (ACTION D without "
    "any dimension); tracker records deletions per observation and never erases whole data sets",
    "example-19B.csv": "error: example-19B.csv:1: no OBS_VALUE column: it deletes all data of "
    "ESTAT:DSD_NA_MAIN(1.6.0) (ACTION D with every dimension empty); " + EXPAND,
}  # fmt: skip


def test_the_spec_examples_are_all_accounted_for(fixtures: Path) -> None:
    names = sorted(p.name for p in (fixtures / SPEC).glob("*.csv"))
    assert len(names) == 21
    assert names == sorted([*LOADS, *FAILS])


@pytest.mark.parametrize("name", sorted(LOADS))
def test_spec_example_loads(fixtures: Path, name: str) -> None:
    path = fixtures / SPEC / name
    assert detect(path) is sdmx_csv
    release = one(path)
    assert rows(release) == LOADS[name]
    # None of the examples has a TIME_PERIOD column: DIM_3 is taken, and the release says so.
    assert f"{name}: no TIME_PERIOD column; took 'DIM_3', {FIXTURE_NOTE}" in release.notes
    assert release.source == ("AGENCY" if name == "example-11.csv" else "ESTAT")
    assert release.published is None


@pytest.mark.parametrize("name", sorted(FAILS))
def test_spec_example_that_is_not_observation_data_is_refused(fixtures: Path, name: str) -> None:
    path = fixtures / SPEC / name
    expected_type = ValidationError if name == "example-17.csv" else FormatError
    with pytest.raises(expected_type) as caught:
        read(path)
    assert caught.value.message == FAILS[name]


def test_spec_decimal_comma_and_labels(fixtures: Path) -> None:
    release = one(fixtures / SPEC / "example-04.csv")
    assert value_of(release, A_B, "2014-01") == 12.4  # written 12,4 with ';' separators
    assert release.title == "ESTAT:NA_MAIN(1.6.0): Principaux agrégats des comptes nationaux"
    assert catalogue(release, A_B)["name"] == (
        "Principaux agrégats des comptes nationaux, Value A, Value B"
    )
    named = one(fixtures / SPEC / "example-06.csv")
    assert named.title == "National Accounts Main Aggregates"
    assert catalogue(named, A_B)["name"] == "National Accounts Main Aggregates, Value A, Value B"


def test_spec_delete_of_attribute_values_only_is_skipped_with_a_note(fixtures: Path) -> None:
    release = one(fixtures / SPEC / "example-16.csv")
    assert (
        "example-16.csv: skipped 1 delete row(s) that remove attribute values only (line 3); "
        "tracker stores no such attributes"
    ) in release.notes


def test_delete_is_a_tombstone_and_asof_still_shows_the_value(fixtures: Path, con) -> None:
    """Example 10 publishes two months; example 16 deletes one: history keeps it."""
    first = one(fixtures / SPEC / "example-10.csv")
    deletion = one(fixtures / SPEC / "example-16.csv")
    append_releases(con, [(first, "example-10.csv")], ReleaseMeta(published=datetime(2025, 1, 10)))
    result = append_releases(
        con, [(deletion, "example-16.csv")], ReleaseMeta(published=datetime(2025, 2, 10))
    )[0]
    assert result.deleted == 1
    latest = con.execute(
        "SELECT strftime(period, '%Y-%m'), value FROM latest ORDER BY 1"
    ).fetchall()
    assert latest == [("2014-02", 10.8)]
    before = con.execute(
        "SELECT strftime(period, '%Y-%m'), value FROM asof(DATE '2025-01-31') ORDER BY 1"
    ).fetchall()
    assert before == [("2014-01", 12.4), ("2014-02", 10.8)]
    assert con.execute("SELECT source FROM series WHERE series_id = 'NA_MAIN.A.B'").fetchone() == (
        "ESTAT",
    )


# SDMX-CSV features on small files ------------------------------------------------------------


def test_sdmx_csv_21_actions_statuses_and_units(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ecb_exr_sdmxcsv21.csv",
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,CURRENCY,TIME_PERIOD,OBS_VALUE,OBS_STATUS,"
        "UNIT_MEASURE,UNIT_MULT\n"
        "dataflow,ECB:EXR(1.0),M,Q,USD,2025-Q1,1.05,A,USD,6\n"
        "dataflow,ECB:EXR(1.0),M,Q,USD,2025-Q2,1.08,P,USD,6\n"
        "dataflow,ECB:EXR(1.0),R,Q,USD,2025-Q3,1.10,E,USD,6\n"
        "dataflow,ECB:EXR(1.0),I,Q,USD,2025-Q4,1.12,F,USD,6\n"
        "dataflow,ECB:EXR(1.0),A,Q,USD,2026-Q1,NaN,M,USD,6\n"
        "dataflow,ECB:EXR(1.0),D,Q,USD,2024-Q4,-,,,\n",
    )
    release = one(path)
    assert release.frame.select("period", "value", "status", "note").rows() == [
        ("2025-Q1", 1.05, "actual", None),
        ("2025-Q2", 1.08, "provisional", None),
        ("2025-Q3", 1.10, "estimate", None),
        ("2025-Q4", 1.12, "forecast", None),
        ("2026-Q1", None, "actual", "OBS_STATUS=M"),
        ("2024-Q4", None, "deleted", None),
    ]
    assert set(release.frame["series_id"]) == {"EXR.Q.USD"}
    # Values stay as published; the multiplier is recorded in the unit.
    assert catalogue(release, "EXR.Q.USD")["unit"] == "USD ×10^6"
    assert catalogue(release, "EXR.Q.USD")["frequency"] == "Q"


def test_missing_tokens_and_semicolon_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "semicolon.csv",
        "DATAFLOW;FREQ;REF_AREA;TIME_PERIOD;OBS_VALUE\n"
        "IMF:WEO(1.0);A;CHN;2024;5,0\n"
        "IMF:WEO(1.0);A;CHN;2025;#N/A\n"
        "IMF:WEO(1.0);A;CHN;2026;NA\n"
        "IMF:WEO(1.0);A;CHN;2027;\n"
        "IMF:WEO(1.0);A;CHN;2028;-1,25e1\n",
    )
    release = one(path)
    assert release.frame["value"].to_list() == [5.0, None, None, None, -12.5]
    assert catalogue(release, "WEO.A.CHN")["geo"] == "CHN"
    assert release.source == "IMF"


# Broken files --------------------------------------------------------------------------------


@pytest.fixture
def debt(fixtures: Path) -> bytes:
    return (fixtures / "sdmx/oecd_GOV_PF_YU_gov_debt_sdmxcsv1.csv").read_bytes()


def test_truncated_csv(tmp_path: Path, debt: bytes) -> None:
    path = write(tmp_path, "debt.csv", debt[:5000])
    assert refused(path) == problem(
        "debt.csv", 57, "FREQ",
        "missing: the row stops after 1 of 14 fields ('OECD.GOV.GIP:DSD_GOV@DF'): the file is "
        "truncated (download it again)",
    )  # fmt: skip


def test_html_saved_as_sdmx_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "OECD_DSD_GOV@DF_GOV_PF_YU_sdmx.csv",
        "<!DOCTYPE html>\n<html><head><title>503</title></head><body>Busy</body></html>\n",
    )
    assert not sdmx_csv.sniff(path, path.read_bytes())
    assert refused(path) == (
        "error: OECD_DSD_GOV@DF_GOV_PF_YU_sdmx.csv:1: is an HTML page, not SDMX-CSV (probably "
        "an error or login page saved instead of the data; download the file again)"
    )


def test_rows_with_another_delimiter_than_the_header(tmp_path: Path, debt: bytes) -> None:
    header, *lines = debt.split(b"\r\n")
    path = write(tmp_path, "debt.csv", header + b"\n" + lines[0].replace(b",", b";") + b"\n")
    assert refused(path) == problem(
        "debt.csv", 2, "FREQ",
        "missing: the row ('OECD.GOV.GIP:DSD_GOV@DF_GOV_PF_YU(1.0);A;IRL;GGD;P…') is "
        "separated by ';' where the header uses ',' (use one delimiter throughout)",
    )  # fmt: skip


def test_row_with_too_many_fields(tmp_path: Path, debt: bytes) -> None:
    header, first, *_ = debt.split(b"\r\n")
    path = write(tmp_path, "debt.csv", header + b"\n" + first + b",extra\n")
    assert refused(path) == problem(
        "debt.csv", 2, None,
        "the row has 15 fields where the header has 14 ('OECD.GOV.GIP:DSD_GOV@DF_GOV_PF_YU(1.0),"
        "A,IRL,GGD,P…'): check the delimiter and the quoting of this row",
    )  # fmt: skip


def test_header_without_time_period(tmp_path: Path, debt: bytes) -> None:
    kept = [
        b",".join(f for i, f in enumerate(line.split(b",")) if i != 8)
        for line in debt.split(b"\r\n")[:4]
    ]
    path = write(tmp_path, "debt.csv", b"\n".join(kept) + b"\n")
    assert refused(path) == (
        "error: debt.csv:1: no TIME_PERIOD column (the time dimension); tracker needs it to "
        "place each observation in time: the column before OBS_VALUE, 'CATEGORY', holds 'PF' on "
        "line 2, not a period code (add the time dimension as a column named TIME_PERIOD)"
    )  # fmt: skip


def test_renamed_time_column_is_taken_by_position_with_a_note(tmp_path: Path, debt: bytes) -> None:
    path = write(tmp_path, "debt.csv", debt.replace(b"TIME_PERIOD", b"TIME", 1))
    release = one(path)
    assert value_of(release, "DF_GOV_PF_YU.A.IRL.GGD.PT_B1GQ.S13.YU.PF", "2011") == 109.771
    assert f"debt.csv: no TIME_PERIOD column; took 'TIME', {FIXTURE_NOTE}" in release.notes


def test_header_without_obs_value(tmp_path: Path, debt: bytes) -> None:
    path = write(tmp_path, "debt.csv", debt.replace(b"OBS_VALUE", b"VALUE", 1))
    assert refused(path) == "error: debt.csv:1: " + NO_VALUE.format(
        what="no observation values, only dimensions and attributes",
        columns="FREQ, REF_AREA, MEASURE, UNIT_MEASURE, SECTOR, EDITION, CATEGORY, TIME_PERIOD, "
        "VALUE, OBS_STATUS, UNIT_MULT, PRICE_BASE, BASE_PER",
    )


def test_values_that_are_not_finite_numbers(tmp_path: Path, debt: bytes) -> None:
    broken = debt.replace(b",83.356,", b",inf,").replace(b",109.771,", b",1.2.3,")
    path = write(tmp_path, "debt.csv", broken.replace(b",28.975,", b",1e400,"))
    fix = "(use an empty cell or NaN for a missing value)"
    assert refused(path) == "\n".join(
        [
            problem("debt.csv", 2, "OBS_VALUE", f"'inf' is not a finite number {fix}"),
            problem("debt.csv", 3, "OBS_VALUE", f"'1.2.3' is not a number {fix}"),
            problem("debt.csv", 4, "OBS_VALUE", f"'1e400' is not a finite number {fix}"),
        ]
    )


def test_bad_cells_in_structure_action_key_and_unit_mult(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,TIME_PERIOD,OBS_VALUE,UNIT_MULT\n"
        "dataflow,EXR,I,M,2025-01,1,0\n"
        "dataflow,ECB:EXR(1.0),X,M,2025-02,1,0\n"
        "dataflow,ECB:EXR(1.0),I,,2025-03,1,0\n"
        "dataflow,ECB:EXR(1.0),I,M,2025-04,1,millions\n",
    )
    assert refused(path) == "\n".join(
        [
            problem("bad.csv", 2, "STRUCTURE_ID", "'EXR' is not an SDMX structure reference "
                    "(expected AGENCY:ID(VERSION), e.g. ECB:EXR(1.0))"),
            problem("bad.csv", 3, "ACTION", "'X' is not an SDMX action (use I, A, M, R or D)"),
            problem("bad.csv", 4, "FREQ", "is empty; every observation needs a value for each "
                    "dimension and TIME_PERIOD (fill it in, or drop the row if it only carries "
                    "attributes)"),
        ]
    )  # fmt: skip
    path.write_text(
        "DATAFLOW,FREQ,TIME_PERIOD,OBS_VALUE,UNIT_MULT\nECB:EXR(1.0),M,2025-04,1,millions\n"
    )
    assert refused(path) == problem(
        "bad.csv", 2, "UNIT_MULT",
        "'millions' is not a power of ten (UNIT_MULT is an integer exponent, e.g. 6 for millions)",
    )  # fmt: skip


def test_not_utf8(tmp_path: Path, debt: bytes) -> None:
    path = write(tmp_path, "debt.csv", debt[:300] + "é".encode("latin-1") + debt[300:1000])
    assert refused(path) == (
        "error: debt.csv:3: is not UTF-8 (byte 0xe9); SDMX-CSV is UTF-8: download it again or "
        "re-save it as UTF-8"
    )


# SDMX-ML ---------------------------------------------------------------------------------------

ECB = "sdmx/ecb_EXR_M.USD.EUR.SP00.A_sdmxml21.xml"


def test_ecb_generic_message(fixtures: Path) -> None:
    path = fixtures / ECB
    assert detect(path) is sdmx_ml
    release = one(path)
    frame = release.frame
    assert release.format == "sdmx_ml"
    assert frame.height == 252
    assert set(frame["series_id"]) == {"EXR.M.USD.EUR.SP00.A"}
    assert frame.row(0) == ("EXR.M.USD.EUR.SP00.A", "1999-01", 1.16078, "actual", None, 1)
    assert frame.row(-1)[:3] == ("EXR.M.USD.EUR.SP00.A", "2019-12", 1.111345)
    assert frame["line"].to_list() == list(range(1, 253))
    assert release.source == "ECB"
    # Prepared 2020-01-16T08:16:20.341+01:00, in UTC.
    assert release.published == datetime(2020, 1, 16, 7, 16, 20, 341000)
    assert release.title == "ECB:ECB_EXR1(1.0)"
    assert catalogue(release, "EXR.M.USD.EUR.SP00.A") == {
        "series_id": "EXR.M.USD.EUR.SP00.A",
        "name": "US dollar/Euro",
        "unit": "USD",
        "frequency": "M",
        "geo": None,
        "source": "ECB",
        "description": "ECB reference exchange rate, US dollar/Euro, 2:15 pm (C.E.T.)",
    }
    name = path.name
    assert release.notes == [
        f"{name}: the message names its data structure ECB:ECB_EXR1, not its dataflow; series "
        "ids use 'EXR' (ECB names data structures ECB_<DATAFLOW><n>)",
        f"{name}: published date 2020-01-16 07:16 UTC is the message's Prepared time (when the "
        "file was generated); pass --published to give the release date",
    ]


def test_ecb_message_appends(fixtures: Path, con) -> None:
    release = one(fixtures / ECB)
    result = append_releases(con, [(release, "ecb.xml")])[0]
    assert (result.new, result.source) == (252, "ECB")
    assert con.execute(
        "SELECT value FROM latest WHERE series_id = 'EXR.M.USD.EUR.SP00.A' "
        "AND period = DATE '1999-01-01'"
    ).fetchone() == (1.16078,)


STRUCTURE_SPECIFIC = """<?xml version="1.0" encoding="UTF-8"?>
<message:StructureSpecificData
 xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
 xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xmlns:ns1="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=ECB:EXR(1.0):ObsLevelDim:TIME_PERIOD"
 xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
<message:Header><message:ID>t</message:ID><message:Test>false</message:Test>
<message:Prepared>2025-06-02T10:00:00+02:00</message:Prepared><message:Sender id="ECB"/>
<message:Structure structureID="ECB_EXR1" dimensionAtObservation="TIME_PERIOD"
 namespace="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=ECB:EXR(1.0):ObsLevelDim:TIME_PERIOD">
<common:StructureUsage><Ref agencyID="ECB" id="EXR" version="1.0"/></common:StructureUsage>
</message:Structure></message:Header>
<message:DataSet ss:structureRef="ECB_EXR1" xsi:type="ns1:DataSetType" action="{action}">
<Series FREQ="M" CURRENCY="JPY" CURRENCY_DENOM="EUR" EXR_TYPE="SP00" EXR_SUFFIX="A" UNIT="JPY"
 UNIT_MULT="0" TITLE="Japanese yen/Euro">
<Obs TIME_PERIOD="2025-04" OBS_VALUE="161.7" OBS_STATUS="A"/>
<Obs TIME_PERIOD="2025-05" OBS_VALUE="NaN" OBS_STATUS="E"/>
</Series></message:DataSet></message:StructureSpecificData>
"""


def test_structure_specific_message(tmp_path: Path) -> None:
    path = write(tmp_path, "jpy.xml", STRUCTURE_SPECIFIC.replace("{action}", "Replace"))
    assert sdmx_ml.sniff(path, path.read_bytes())
    release = one(path)
    assert rows(release) == [
        ("EXR.M.JPY.EUR.SP00.A", "2025-04", 161.7, "actual", 1),
        ("EXR.M.JPY.EUR.SP00.A", "2025-05", None, "estimate", 2),
    ]
    assert catalogue(release, "EXR.M.JPY.EUR.SP00.A")["name"] == "Japanese yen/Euro"
    assert release.published == datetime(2025, 6, 2, 8, 0)
    assert (
        "jpy.xml: structure-specific message read without its data structure: took FREQ, "
        "CURRENCY, CURRENCY_DENOM, EXR_TYPE, EXR_SUFFIX as the series dimensions (check the "
        "series ids, or download the data as generic SDMX-ML or SDMX-CSV)"
    ) in release.notes


def test_delete_data_set_gives_tombstones(tmp_path: Path) -> None:
    path = write(tmp_path, "jpy.xml", STRUCTURE_SPECIFIC.replace("{action}", "Delete"))
    assert rows(one(path)) == [
        ("EXR.M.JPY.EUR.SP00.A", "2025-04", None, "deleted", 1),
        ("EXR.M.JPY.EUR.SP00.A", "2025-05", None, "deleted", 2),
    ]


def test_broken_sdmx_ml(tmp_path: Path, fixtures: Path) -> None:
    source = (fixtures / ECB).read_bytes()
    truncated = write(tmp_path, "ecb.xml", source[:20000])
    assert refused(truncated, "sdmx_ml") == (
        "error: ecb.xml:663: sdmx1 cannot read this SDMX-ML (XMLSyntaxError: attributes "
        "construct error, line 663, column 38 (ecb.xml, line 663)); the file may be truncated "
        "or not a data message (download it again)"
    )
    bad = write(tmp_path, "bad.xml", source.replace(b'value="1.120765"', b'value="1.2.3"'))
    assert refused(bad, "sdmx_ml") == (
        "error: bad.xml: observation 2: column 'OBS_VALUE': '1.2.3' is not a number "
        "(use NaN for a missing value)"
    )
    html = write(tmp_path, "ecb_sdmx.xml", "<!DOCTYPE html><html><body>503</body></html>")
    assert refused(html, "sdmx_ml") == (
        "error: ecb_sdmx.xml:1: is an HTML page, not SDMX-ML (probably an error or login page "
        "saved instead of the data; download the file again)"
    )
    csv = fixtures / "sdmx/oecd_house_prices_sdmxcsv1.csv"
    assert refused(csv, "sdmx_ml").startswith(
        "error: oecd_house_prices_sdmxcsv1.csv:1: not SDMX-ML 2.1 (expected XML with the "
        "namespace http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message, found 'DATAFLOW,"
    )
    structure = write(
        tmp_path,
        "codelist.xml",
        '<?xml version="1.0"?><mes:Structure '
        'xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
        'xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure" '
        'xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">'
        "<mes:Header><mes:ID>x</mes:ID><mes:Test>false</mes:Test>"
        '<mes:Prepared>2025-01-01T00:00:00</mes:Prepared><mes:Sender id="ECB"/></mes:Header>'
        '<mes:Structures><str:Codelists><str:Codelist id="CL_FREQ" agencyID="ECB" version="1.0">'
        '<com:Name xml:lang="en">Frequency</com:Name><str:Code id="A"><com:Name xml:lang="en">'
        "Annual</com:Name></str:Code></str:Codelist></str:Codelists></mes:Structures>"
        "</mes:Structure>",
    )
    assert refused(structure, "sdmx_ml") == (
        "error: codelist.xml: is an SDMX-ML StructureMessage, not a data message (download the "
        "data, e.g. .../data/FLOW/KEY, not its structure)"
    )


# Sniffing ------------------------------------------------------------------------------------


def test_sniff_claims_exactly_the_sdmx_fixtures(fixtures: Path) -> None:
    files = sorted(
        p
        for folder in ("sdmx", "fred", "worldbank", "datasets")
        for p in (fixtures / folder).rglob("*")
        if p.is_file()
    )
    assert len(files) > 25
    for path in files:
        head = path.read_bytes()[:HEAD_BYTES]
        is_sdmx = path.relative_to(fixtures).parts[0] == "sdmx"
        assert sdmx_csv.sniff(path, head) is (is_sdmx and path.suffix == ".csv"), path
        assert sdmx_ml.sniff(path, head) is (is_sdmx and path.suffix == ".xml"), path


def test_sniff_never_raises_on_odd_bytes(tmp_path: Path) -> None:
    path = tmp_path / "odd.bin"
    for head in (b"", b"\xff\xfe\x00", b"DATAFLOW", b"STRUCTURE,NOPE\n", b"<?xml?>"):
        assert sdmx_csv.sniff(path, head) is False
        assert sdmx_ml.sniff(path, head) is False
