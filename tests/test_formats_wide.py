"""The generic wide CSV reader (date column + numeric columns), on real data-package files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.conftest import FIXTURES, all_fixtures, fixture, head
from tracker.errors import FormatError, ValidationError
from tracker.formats import _MODULES, detect, fred, read, wide_csv
from tracker.formats.tabular import number_styles_expr

BONDS = "datasets/bond_yields_us10y_monthly.csv"
CENSUS = "datasets/census_usa_china_trade_2001_2019_semicolon.csv"


def values(frame: pl.DataFrame) -> dict[tuple[str, str], float | None]:
    return {(r["series_id"], r["period"]): r["value"] for r in frame.to_dicts()}


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bond_yields_load():
    path = fixture(BONDS)

    assert detect(path) is wide_csv
    [release] = read(path)

    assert release.format == "wide_csv"
    assert release.source is None and release.published is None
    result = release.frame
    assert result.height == 879
    assert result.row(0, named=True) == {
        "series_id": "RATE",
        "period": "1953-04-01",
        "value": 2.83,
        "status": None,
        "note": None,
        "line": 2,
    }
    assert values(result)[("RATE", "2026-06-01")] == 4.47
    assert release.series.to_dicts() == [{"series_id": "RATE", "name": "Rate", "frequency": "M"}]


def test_census_semicolon_file_with_month_names_and_thousands():
    path = fixture(CENSUS)

    assert detect(path) is wide_csv
    [release] = read(path)

    result = values(release.frame)
    assert result[("EXPORTS", "2001-01-01")] == 1187.5
    assert result[("IMPORTS", "2001-01-01")] == 8427.5
    assert result[("BALANCE", "2001-01-01")] == -7240.0
    assert result[("EXPORTS", "2019-12-01")] == 8901.2
    assert result[("IMPORTS", "2019-10-01")] == 39794.9
    assert len(result) == 3 * 228
    assert release.series.to_dicts() == [
        {"series_id": "EXPORTS", "name": "Exports", "frequency": "M"},
        {"series_id": "IMPORTS", "name": "Imports", "frequency": "M"},
        {"series_id": "BALANCE", "name": "Balance", "frequency": "M"},
    ]
    january = release.frame.filter(pl.col("period") == "2001-01-01")
    assert set(january["line"]) == {2}


def test_wide_csv_is_registered_just_before_canonical():
    assert _MODULES.index("wide_csv") == _MODULES.index("canonical") - 1
    assert _MODULES.index("fred") < _MODULES.index("wide_csv")


def test_sniff_claims_only_the_data_package_fixtures():
    files = all_fixtures()

    result = {p.relative_to(FIXTURES).as_posix() for p in files if wide_csv.sniff(p, head(p))}

    assert result == {BONDS, CENSUS}


@pytest.mark.parametrize(
    "text",
    [
        "DATE,GDP\n2019-01-01,1\n",  # FRED's header: fred wins
        "observation_date,IMPCH_20190510\n2019-01-01,1\n",  # ALFRED
        "series_id,period,value\nCHN.X,2025-01,1\n",  # canonical
        "Date,Country\n2019-01-01,China\n",  # a text column
        "Date,Rate\n",  # no rows
        "Date,Rate\n2019-01-01,.\n2019-02-01,\n",  # no number at all
        "just one line of prose, with a comma\nand another\n",
        "<!DOCTYPE html>\n<html></html>\n",
    ],
)
def test_sniff_is_conservative(tmp_path, text):
    path = write(tmp_path, text)

    assert not wide_csv.sniff(path, head(path))


@pytest.mark.parametrize(
    ("text", "periods", "frequency"),
    [
        ("Month,X\n2001-01,1\n2001-02,2\n", ["2001-01-01", "2001-02-01"], "M"),
        ("Month,X\nJan 2001,1\nFeb 2001,2\n", ["2001-01-01", "2001-02-01"], "M"),
        ("Quarter,X\n2001-Q1,1\n2001-Q2,2\n2001Q3,3\n", ["2001-01-01", "2001-04-01", "2001-07-01"], "Q"),
        ("Year,X\n2001,1\n2002,2\n", ["2001-01-01", "2002-01-01"], "A"),
        ("Date,X\n2001-01-01 00:00:00,1\n2001-01-02T00:00:00,2\n", ["2001-01-01", "2001-01-02"], "D"),
        ("Week,X\n2001-01-05,1\n2001-01-12,2\n", ["2001-01-05", "2001-01-12"], "W"),
    ],
)  # fmt: skip
def test_date_forms_and_inferred_frequency(tmp_path, text, periods, frequency):
    path = write(tmp_path, text)

    assert wide_csv.sniff(path, head(path))
    [release] = read(path)

    assert release.frame["period"].to_list() == periods
    assert release.series["frequency"].to_list() == [frequency]


def test_tab_separator_decimal_comma_and_column_names(tmp_path):
    tab = write(tmp_path, "Date\tUS Rate (%)\n2020-01-01\t1.5\n2020-02-01\t1.75\n", "tab.tsv")
    comma = write(tmp_path, "Monat;Exporte\n2020-01;1.187,5\n2020-02;3,25\n", "eu.csv")

    [tab_release] = read(tab)
    [eu_release] = read(comma)

    assert values(tab_release.frame) == {
        ("US_RATE", "2020-01-01"): 1.5,
        ("US_RATE", "2020-02-01"): 1.75,
    }
    assert values(eu_release.frame) == {
        ("EXPORTE", "2020-01-01"): 1187.5,
        ("EXPORTE", "2020-02-01"): 3.25,
    }
    assert "eu.csv: column 'Exporte' read with a decimal comma" in eu_release.notes


def test_uneven_columns_are_padding_not_missing_values(tmp_path):
    path = write(
        tmp_path,
        "Date,Old,New\n2020-01-01,1,\n2020-02-01,.,\n2020-03-01,3,30\n2020-04-01,,40\n",
    )

    [release] = read(path)

    assert values(release.frame) == {
        ("OLD", "2020-01-01"): 1.0,
        ("OLD", "2020-02-01"): None,
        ("OLD", "2020-03-01"): 3.0,
        ("NEW", "2020-03-01"): 30.0,
        ("NEW", "2020-04-01"): 40.0,
    }


def test_bad_cells_name_file_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "Month;Exports;Imports\n"
        "January 2001;1,187.5;8,427.5\n"
        "Febuary 2001;1,289.8;6,375.6\n"
        "March 2001;n/a%;7,590.2\n"
        "April 2001;1,398.9;inf\n"
        "March 2001;1;2\n",
        "trade.csv",
    )

    with pytest.raises(ValidationError) as caught:
        read(path, format="wide_csv")

    assert caught.value.problems == [
        "error: trade.csv:3: column 'Month': 'Febuary 2001' is not a date (expected a date such "
        "as 2001-01-01, 2001-01, January 2001, 2001-Q1 or 2001)",
        "error: trade.csv:6: column 'Month': 'March 2001' appears again (first on line 4); "
        "keep one row per period",
        "error: trade.csv:4: column 'Exports': 'n/a%' is not a number "
        "(use an empty cell for a missing value)",
        "error: trade.csv:5: column 'Imports': 'inf' is not a finite number "
        "(use an empty cell for a missing value)",
    ]


def test_wrong_delimiter_and_header_problems(tmp_path):
    single = write(tmp_path, "Date Rate\n2020-01-01 1.5\n", "single.csv")
    ragged = write(tmp_path, "Date,Rate\n2020-01-01,1.5\n2020-02-01;1.6\n", "ragged.csv")
    twice = write(tmp_path, "Date,Rate,Rate\n2020-01-01,1,2\n", "twice.csv")
    same_id = write(tmp_path, "Date,US rate,US-Rate\n2020-01-01,1,2\n", "same.csv")

    with pytest.raises(FormatError) as one:
        read(single, format="wide_csv")
    with pytest.raises(ValidationError) as two:
        read(ragged, format="wide_csv")
    with pytest.raises(FormatError) as three:
        read(twice, format="wide_csv")
    with pytest.raises(FormatError) as four:
        read(same_id, format="wide_csv")

    assert one.value.message == (
        f"error: single.csv:1: expected {wide_csv.EXPECTED}, found a single column 'Date Rate' "
        "(separate the columns with ',', ';' or a tab)"
    )
    assert two.value.problems == [
        "error: ragged.csv:3: expected 2 fields as in the header, found 1 ('2020-02-01;1.6'); "
        "the row is cut short: complete or delete the line"
    ]
    assert three.value.message == (
        "error: twice.csv:1: column 'Rate': appears twice in the header (columns 2 and 3); "
        "give each column its own name"
    )
    assert four.value.message == (
        "error: same.csv:1: column 'US-Rate': gives the same series id 'US_RATE' as column "
        "'US rate'; rename one of them"
    )


def test_html_page_is_not_a_wide_csv(tmp_path):
    path = write(tmp_path, "<html><head></head><body>Not found</body></html>\n", "rates.csv")

    with pytest.raises(FormatError) as caught:
        read(path, format="wide_csv")

    assert caught.value.message.startswith(f"error: rates.csv:1: expected {wide_csv.EXPECTED}")
    assert "found an HTML page" in caught.value.message


def test_windows_1252_file_is_read_with_a_note(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes("Date,Price £\n2020-01-01,1.5\n".encode("cp1252"))

    [release] = read(path)

    assert values(release.frame) == {("PRICE", "2020-01-01"): 1.5}
    assert "prices.csv: read as Windows-1252 text (the file is not UTF-8)" in release.notes


def test_a_million_row_fred_file_is_read_vectorised(tmp_path):
    # FRED daily files reach 1M+ rows: the reader must stay vectorised (no per-row Python).
    dates = pl.date_range(pl.date(1900, 1, 1), pl.date(4800, 1, 1), "1d", eager=True)[:1_000_000]
    frame = pl.DataFrame(
        {
            "observation_date": dates.dt.strftime("%Y-%m-%d"),
            "DGS10": pl.Series(range(1_000_000)).cast(pl.String),
        }
    )
    path = tmp_path / "fredgraph.csv"
    frame.write_csv(path)

    [release] = fred.read(path)

    assert release.frame.height == 1_000_000
    assert release.series["frequency"].to_list() == ["D"]


def test_header_without_rows(tmp_path):
    path = write(tmp_path, "Date,Rate\n", "empty.csv")

    with pytest.raises(FormatError) as caught:
        read(path, format="wide_csv")

    assert caught.value.message == (
        f"error: empty.csv: has a header but no data rows (expected {wide_csv.EXPECTED}); "
        "the download may have been cut short: download it again"
    )


def test_each_reader_claims_only_its_own_files(tmp_path):
    """Every fixture and a synthetic ALFRED/DBnomics file is claimed by exactly its own reader."""
    from tracker.formats import alfred, dbnomics, wdi

    readers = {
        "fred": fred,
        "alfred": alfred,
        "wdi": wdi,
        "dbnomics": dbnomics,
        "wide_csv": wide_csv,
    }
    owners = {
        "fred": "fred", "worldbank/wdi_API": "wdi", "datasets/": "wide_csv",
        "sdmx/": None, "wdi_Metadata": None,
    }  # fmt: skip
    files = {
        p: next(o for k, o in owners.items() if k in p.relative_to(FIXTURES).as_posix())
        for p in all_fixtures()
    }
    vintages = write(tmp_path, "observation_date,IMPCH_20190510\n2019-01-01,1.5\n", "v.csv")
    realtime = write(
        tmp_path,
        "period_start_date,IMPCH,realtime_start_date,realtime_end_date\n"
        "2019-01-01,1.5,2019-02-05,9999-12-31\n",
        "rt.csv",
    )
    series = write(
        tmp_path,
        '{"series": {"docs": [{"provider_code": "IMF", "dataset_code": "WEO:2025-04", '
        '"series_code": "X", "period": ["2025"], "value": ["NA"]}]}}',
        "s.json",
    )
    files |= {vintages: "alfred", realtime: "alfred", series: "dbnomics"}

    result = {
        path.name: [name for name, module in readers.items() if module.sniff(path, head(path))]
        for path in files
    }

    assert result == {path.name: [owner] if owner else [] for path, owner in files.items()}


def test_number_parsing_does_not_grow_with_the_number_of_columns():
    # One branch per style, not per column: a branch per column parsed every cell of a
    # 4,000-column FRED file 4,000 times (minutes and gigabytes for 300,000 values).
    def parsed_cells(columns: int) -> int:
        styles = {f"C{i}": ("plain", "thousands", "decimal_comma")[i % 3] for i in range(columns)}
        return str(number_styles_expr(pl.col("raw"), "column", styles)).count("strip_chars")

    assert parsed_cells(3_000) == parsed_cells(3) > 0


def test_many_columns_of_mixed_number_styles_parse_and_report_bad_cells(tmp_path):
    columns = [f"C{i:03d}" for i in range(300)]
    # Even columns write a decimal comma (3,25), odd ones a decimal point (1187.5).
    cell = {c: ("3,25" if i % 2 == 0 else "1187.5") for i, c in enumerate(columns)}
    rows = [";".join(["Date", *columns])]
    for month in range(1, 4):
        rows.append(";".join([f"2020-{month:02d}-01", *(cell[c] for c in columns)]))
    rows[2] = rows[2].replace("1187.5", "n/a", 1)  # C001 on line 3
    path = write(tmp_path, "\n".join(rows) + "\n", "many.csv")

    with pytest.raises(ValidationError) as caught:
        read(path, format="wide_csv")
    assert caught.value.problems == [
        "error: many.csv:3: column 'C001': 'n/a' is not a number "
        "(use an empty cell for a missing value)"
    ]

    path.write_text(path.read_text().replace("n/a", "1187.5"))
    [release] = read(path, format="wide_csv")
    got = values(release.frame)
    assert len(got) == 900
    assert got[("C000", "2020-02-01")] == 3.25
    assert got[("C001", "2020-02-01")] == 1187.5
    assert got[("C299", "2020-03-01")] == 1187.5
