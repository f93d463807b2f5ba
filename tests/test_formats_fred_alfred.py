"""FRED fredgraph.csv and ALFRED vintage readers, on the real IMPCH downloads and files built from
them, and on US GDP's whole real-time history as FRED's API answered it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import tracker
from tests.conftest import API_RECORDINGS, FIXTURES, all_fixtures, content, fixture, head
from tracker import db
from tracker.append import append_releases
from tracker.cli import cli
from tracker.errors import FormatError, ValidationError
from tracker.formats import alfred, fred, read, wide_csv

IMPCH_2019 = "fred/IMPCH_vintage_2019-05-10_DATE_header.csv"
IMPCH_2026 = "fred/IMPCH_vintage_2026-02_observation_date_header.csv"
CPI = "fred/CPIAUCSL_2016_2025-09.csv"


def value_at(frame: pl.DataFrame, period: str, series_id: str = "IMPCH") -> float | None:
    rows = frame.filter((pl.col("series_id") == series_id) & (pl.col("period") == period))
    assert rows.height == 1, f"{series_id} {period}: {rows.height} rows"
    return rows["value"][0]


def rows_of(path: Path) -> list[tuple[str, str]]:
    """(date, value) pairs of a one-series FRED file, read with the csv module as a cross-check."""
    with path.open(newline="") as fh:
        return [(row[0], row[1]) for row in list(csv.reader(fh))[1:]]


# FRED ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "rows", "last"),
    [
        (IMPCH_2019, 52232.99, 411, "2019-03-01"),
        (IMPCH_2026, 52081.07, 492, "2025-12-01"),
    ],
)
def test_fred_reads_both_impch_headers(name, expected, rows, last):
    path = fixture(name)

    releases = read(path)

    assert len(releases) == 1
    release = releases[0]
    assert release.format == "fred"
    assert release.source == "FRED"
    assert release.published is None  # the user passes --published
    result = release.frame
    assert result.height == rows
    assert result["period"][0] == "1985-01-01"
    assert result["period"][-1] == last
    assert value_at(result, "1985-01-01") == 293.1
    assert value_at(result, "2018-10-01") == pytest.approx(expected, abs=0.005)
    assert release.series.to_dicts() == [
        {"series_id": "IMPCH", "name": "IMPCH", "frequency": "M", "source": "FRED"}
    ]


def test_fred_line_numbers_point_at_the_file_line():
    path = fixture(IMPCH_2019)
    lines = path.read_text().splitlines()

    result = read(path)[0].frame.filter(pl.col("period") == "2018-10-01")

    assert lines[result["line"][0] - 1].startswith("2018-10-01,")


def test_fred_cpi_first_and_last_values():
    result = read(fixture(CPI))[0].frame

    assert value_at(result, "2016-01-01", "CPIAUCSL") == 237.652
    assert value_at(result, "2025-09-01", "CPIAUCSL") == 324.368


def test_fred_vintages_differ_in_exactly_the_39_revised_months():
    old = read(fixture(IMPCH_2019))[0].frame
    new = read(fixture(IMPCH_2026))[0].frame

    joined = old.join(new, on=["series_id", "period"], suffix="_new")
    revised = joined.filter(
        (pl.col("value") - pl.col("value_new")).abs() > 1e-9 * pl.col("value").abs()
    )

    assert revised.height == 39
    assert revised["period"].min() == "2016-01-01"


def test_fred_dot_and_empty_cells_in_a_mixed_frequency_file(tmp_path):
    path = tmp_path / "fredgraph.csv"
    path.write_text(
        "observation_date,GDPC1,UNRATE\n"
        "2019-01-01,100.5,4.0\n"
        "2019-02-01,,3.8\n"
        "2019-03-01,,.\n"
        "2019-04-01,.,3.7\n"
        "2019-05-01,,3.6\n"
        "2019-06-01,,\n"
        "2019-07-01,102.0,\n"
    )

    release = read(path)[0]

    result = {(r["series_id"], r["period"]): r["value"] for r in release.frame.to_dicts()}
    expected = {
        # Quarterly: the '.' on its own date is a published missing value; the empty monthly
        # cells around it are layout and are dropped.
        ("GDPC1", "2019-01-01"): 100.5,
        ("GDPC1", "2019-04-01"): None,
        ("GDPC1", "2019-07-01"): 102.0,
        # Monthly: '.' inside is missing; the trailing empty cells are padding.
        ("UNRATE", "2019-01-01"): 4.0,
        ("UNRATE", "2019-02-01"): 3.8,
        ("UNRATE", "2019-03-01"): None,
        ("UNRATE", "2019-04-01"): 3.7,
        ("UNRATE", "2019-05-01"): 3.6,
    }
    assert result == expected
    frequencies = dict(release.series.select("series_id", "frequency").iter_rows())
    assert frequencies == {"GDPC1": "Q", "UNRATE": "M"}


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("DATE,X\n2019-01-01,1\n2020-01-01,2\n2021-01-01,3\n", "A"),
        ("DATE,X\n2019-01-01,1\n2019-04-01,2\n2019-07-01,3\n", "Q"),
        ("DATE,X\n2019-01-05,1\n2019-01-12,2\n2019-01-19,3\n", "W"),
        ("DATE,X\n2019-01-02,1\n2019-01-03,2\n2019-01-04,3\n2019-01-07,4\n", "D"),
        ("DATE,X\n2019-01-01,1\n", None),
    ],
)
def test_fred_frequency_is_inferred_from_the_dates(tmp_path, text, frequency):
    path = tmp_path / "x.csv"
    path.write_text(text)

    release = fred.read(path)[0]

    assert release.series["frequency"][0] == frequency


def test_fred_sniff_claims_only_fred_fixtures():
    files = all_fixtures()

    result = {p.relative_to(FIXTURES).as_posix() for p in files if fred.sniff(p, head(p))}

    assert result == {IMPCH_2019, IMPCH_2026, CPI}


def test_alfred_sniff_claims_no_fixture():
    files = all_fixtures()

    result = [p.name for p in files if alfred.sniff(p, head(p))]

    assert result == []


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02garbage", b"PK\x03\x04not really a zip", b"\xff\xfe\x00D", b"DATE\n"],
)
def test_sniffers_never_raise_on_junk(tmp_path, content):
    path = tmp_path / "junk.csv"
    path.write_bytes(content)

    assert fred.sniff(path, content) is False
    assert alfred.sniff(path, content) is False


# FRED broken files -----------------------------------------------------------------------------


def impch_copy(tmp_path: Path, *, name: str = "IMPCH.csv") -> tuple[Path, list[str]]:
    lines = fixture(IMPCH_2019).read_text().splitlines()
    return tmp_path / name, lines


def test_fred_bad_value_names_file_line_column_and_fix(tmp_path):
    path, lines = impch_copy(tmp_path)
    lines[13] = lines[13].split(",")[0] + ",n/a%"
    lines[19] = lines[19].split(",")[0] + ",1e400"
    lines[20] = lines[20].split(",")[0] + ",nan"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: IMPCH.csv:14: column 'IMPCH': 'n/a%' is not a number "
        "(use an empty cell or '.' for a missing value)",
        "error: IMPCH.csv:20: column 'IMPCH': '1e400' is not a finite number "
        "(use an empty cell or '.' for a missing value)",
        "error: IMPCH.csv:21: column 'IMPCH': 'nan' is not a finite number "
        "(use an empty cell or '.' for a missing value)",
    ]


def test_fred_bad_and_repeated_dates(tmp_path):
    path, lines = impch_copy(tmp_path)
    lines[4] = "1985-13-01,1.0"
    lines[6] = lines[5]
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: IMPCH.csv:5: column 'DATE': '1985-13-01' is not a date "
        "(expected a date as YYYY-MM-DD, e.g. 2019-03-01)",
        f"error: IMPCH.csv:7: column 'DATE': date {lines[5].split(',')[0]} appears again "
        "(first on line 6); keep one row per period",
    ]


def test_fred_html_page_saved_as_csv(tmp_path):
    path = tmp_path / "IMPCH.csv"
    path.write_text(
        "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
        "<body>Please try again later.</body></html>\n"
    )

    assert not any(m.sniff(path, head(path)) for m in (fred, alfred, wide_csv))
    with pytest.raises(FormatError) as caught:
        read(path, format="fred")

    message = caught.value.message
    assert message.startswith("error: IMPCH.csv:1: expected a FRED CSV")
    assert "found an HTML page ('<!DOCTYPE html>')" in message
    assert "download the file again" in message


def test_fred_truncated_file(tmp_path):
    path, _ = impch_copy(tmp_path)
    content = fixture(IMPCH_2019).read_bytes()
    cut = content.index(b"\n1999-01-01") + len(b"\n1999-0")
    path.write_bytes(content[:cut])

    with pytest.raises(ValidationError) as caught:
        read(path)

    line = content[:cut].count(b"\n") + 1
    assert caught.value.problems == [
        f"error: IMPCH.csv:{line}: expected 2 fields as in the header, found 1 ('1999-0'); "
        "the file looks truncated: download it again"
    ]


def test_fred_saved_again_with_semicolons_reads_the_same(tmp_path):
    path, lines = impch_copy(tmp_path)
    comma = tmp_path / "comma.csv"
    comma.write_text("\n".join(lines) + "\n")
    path.write_text("\n".join(line.replace(",", ";") for line in lines) + "\n")

    assert fred.sniff(path, head(path))
    [semicolons] = read(path)
    [original] = read(comma)

    assert semicolons.frame.equals(original.frame)
    assert semicolons.notes[-1] == (
        "IMPCH.csv: a FRED file saved again by a spreadsheet: ';'-separated"
    )


def test_fred_header_drift_missing_date_column(tmp_path):
    path, lines = impch_copy(tmp_path)
    path.write_text("\n".join(line.split(",")[1] for line in lines) + "\n")

    assert not any(m.sniff(path, head(path)) for m in (fred, alfred, wide_csv))
    with pytest.raises(FormatError) as caught:
        read(path, format="fred")

    assert caught.value.message == (
        "error: IMPCH.csv:1: expected the first column to be 'observation_date' (or 'DATE'), "
        "found 'IMPCH'; the date column is missing: download the CSV again from FRED"
    )


def test_fred_row_with_an_extra_field(tmp_path):
    path, lines = impch_copy(tmp_path)
    lines[29] += ",5"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        f"error: IMPCH.csv:30: expected 2 fields as in the header, found 3 ('{lines[29]}'); "
        "quote values that contain ',', or check the delimiter"
    ]


# ALFRED ----------------------------------------------------------------------------------------


def build_vintage_wide(path: Path) -> None:
    """observation_date,IMPCH_20190510,IMPCH_20260201 from the two downloads ('.' = not yet)."""
    old = dict(rows_of(fixture(IMPCH_2019)))
    new = rows_of(fixture(IMPCH_2026))
    lines = ["observation_date,IMPCH_20190510,IMPCH_20260201"]
    lines += [f"{day},{old.get(day, '.')},{value}" for day, value in new]
    path.write_text("\n".join(lines) + "\n")


def realtime_rows() -> tuple[list[str], int]:
    """ALFRED's real-time layout from the two downloads, and the rows the 2026 vintage adds."""
    old = dict(rows_of(fixture(IMPCH_2019)))
    new = dict(rows_of(fixture(IMPCH_2026)))
    lines = ["period_start_date,IMPCH,realtime_start_date,realtime_end_date"]
    added = 0
    for day, value in new.items():
        if day in old and abs(float(old[day]) - float(value)) <= 1e-9 * abs(float(value)):
            lines.append(f"{day},{old[day]},2019-05-10,9999-12-31")
            continue
        if day in old:
            lines.append(f"{day},{old[day]},2019-05-10,2026-01-31")
        lines.append(f"{day},{value},2026-02-01,9999-12-31")
        added += 1
    return lines, added


def test_alfred_vintage_wide_gives_one_release_per_column(tmp_path):
    path = tmp_path / "IMPCH_vintages.csv"
    build_vintage_wide(path)

    assert alfred.sniff(path, head(path))
    assert not fred.sniff(path, head(path))
    assert not wide_csv.sniff(path, head(path))
    releases = read(path)

    assert [r.published for r in releases] == [datetime(2019, 5, 10), datetime(2026, 2, 1)]
    assert all(r.format == "alfred" and r.source == "ALFRED" for r in releases)
    first, second = (r.frame for r in releases)
    # '.' cells (periods not yet published in 2019) are not emitted.
    assert first.height == 411
    assert first["value"].null_count() == 0
    assert second.height == 492
    assert value_at(first, "2018-10-01") == pytest.approx(52232.99, abs=0.005)
    assert value_at(second, "2018-10-01") == pytest.approx(52081.07, abs=0.005)
    assert releases[0].series.to_dicts() == [
        {"series_id": "IMPCH", "name": "IMPCH", "frequency": "M", "source": "FRED"}
    ]


def test_alfred_realtime_layout_gives_one_release_per_realtime_start(tmp_path):
    lines, added = realtime_rows()
    path = tmp_path / "obs._by_real-time_period.csv"
    path.write_text("\n".join(lines) + "\n")

    releases = read(path)

    assert [r.published for r in releases] == [datetime(2019, 5, 10), datetime(2026, 2, 1)]
    assert releases[0].frame.height == 411
    assert releases[1].frame.height == added == 39 + (492 - 411)
    assert value_at(releases[0].frame, "2018-10-01") == pytest.approx(52232.99, abs=0.005)
    assert value_at(releases[1].frame, "2018-10-01") == pytest.approx(52081.07, abs=0.005)


def test_alfred_zip_download(tmp_path):
    lines, added = realtime_rows()
    path = tmp_path / "IMPCH.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "Series ID: IMPCH\nVintage Dates Specified:\n2019-05-10\n")
        archive.writestr("obs._by_real-time_period.csv", "\n".join(lines) + "\n")

    assert alfred.sniff(path, head(path))
    assert not fred.sniff(path, head(path))
    releases = read(path)

    assert [r.published for r in releases] == [datetime(2019, 5, 10), datetime(2026, 2, 1)]
    assert [r.frame.height for r in releases] == [411, added]


def test_alfred_tab_separated_txt_in_zip_with_description_block(tmp_path):
    text = (
        "Title: U.S. Imports of Goods by Customs Basis from China\n"
        "Series ID: IMPCH\n"
        "\n"
        "period_start_date\tIMPCH\trealtime_start_date\trealtime_end_date\n"
        "2018-10-01\t52232.992043\t2018-12-06\t2019-06-04\n"
        "2018-10-01\t52081.070497\t2019-06-05\t9999-12-31\n"
    )
    path = tmp_path / "IMPCH_txt.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.txt", "readme")
        archive.writestr("IMPCH.txt", text)

    releases = read(path)

    assert [(r.published, r.frame["value"].to_list()) for r in releases] == [
        (datetime(2018, 12, 6), [52232.992043]),
        (datetime(2019, 6, 5), [52081.070497]),
    ]
    assert releases[0].frame["line"].to_list() == [5]


def test_alfred_realtime_dot_after_a_value_is_a_withdrawal_and_open_ends(tmp_path):
    path = tmp_path / "CPIAUCSL.csv"
    path.write_text(
        "period_start_date,CPIAUCSL,realtime_start_date,realtime_end_date\n"
        "2018-01-01,249.245,2018-02-14,2019-02-10\n"
        "2018-01-01,248.884,2019-02-11,2020-02-10\n"
        "2018-01-01,.,2020-02-11,2021-02-09\n"
        "2018-01-01,249.0,2021-02-10,\n"
        "2018-02-01,.,2018-03-13,2019-02-10\n"
        "2018-02-01,249.6,2019-02-11,\n"
    )

    releases = read(path)

    result = [(r.published, r.frame.select("period", "value", "status").rows()) for r in releases]
    assert result == [
        (datetime(2018, 2, 14), [("2018-01-01", 249.245, None)]),
        # 2018-02 had no value yet: its '.' is no row, not a withdrawal.
        (datetime(2019, 2, 11), [("2018-01-01", 248.884, None), ("2018-02-01", 249.6, None)]),
        (datetime(2020, 2, 11), [("2018-01-01", None, "deleted")]),
        (datetime(2021, 2, 10), [("2018-01-01", 249.0, None)]),
    ]


def test_alfred_bad_cells_are_reported_with_lines(tmp_path):
    path = tmp_path / "IMPCH.csv"
    path.write_text(
        "period_start_date,IMPCH,realtime_start_date,realtime_end_date\n"
        "2018-10-01,52232.99,2018-12-06,2018-11-01\n"
        "2018-11-01,n/a,2018-12-06,9999-12-31\n"
        "2018-12-01,1.5,someday,9999-12-31\n"
    )

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: IMPCH.csv:4: column 'realtime_start_date': 'someday' is not a date "
        "(expected a date as YYYY-MM-DD, e.g. 2019-03-01)",
        "error: IMPCH.csv:2: column 'realtime_end_date': 2018-11-01 is before "
        "realtime_start_date 2018-12-06 (swap or fix the dates)",
        "error: IMPCH.csv:3: column 'IMPCH': 'n/a' is not a number (use '.' for a missing value)",
    ]


def test_alfred_bad_vintage_suffix(tmp_path):
    path = tmp_path / "IMPCH.csv"
    path.write_text("observation_date,IMPCH_20191350\n2019-01-01,1.0\n")

    with pytest.raises(ValidationError) as caught:
        read(path)

    assert caught.value.problems == [
        "error: IMPCH.csv:1: column 'IMPCH_20191350': '20191350' is not a vintage date "
        "(expected SERIES_YYYYMMDD, e.g. IMPCH_20190510)"
    ]


def test_alfred_refuses_a_zip_bomb(tmp_path, monkeypatch):
    monkeypatch.setattr(alfred, "MAX_ZIP_BYTES", 1_000_000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMPCH.csv", "observation_date,IMPCH_20190510\n" + "0" * 2_000_000)
    assert path.stat().st_size < 50_000

    with pytest.raises(FormatError) as caught:
        read(path, format="alfred")

    assert caught.value.message == (
        "error: bomb.zip: would inflate to 2,000,032 bytes, over the 1,000,000-byte limit; "
        "refusing it as a possible zip bomb (unzip it yourself and append the data file)"
    )


def test_alfred_zip_that_lies_about_its_size_is_not_inflated(tmp_path, monkeypatch):
    monkeypatch.setattr(alfred, "MAX_ZIP_BYTES", 1_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMPCH.csv", "observation_date,IMPCH_20190510\n" + "0" * 2_000_000)
    data = bytearray(buffer.getvalue())
    # Shrink the declared size in the central directory; the data still inflates to 2 MB.
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))

    with pytest.raises(FormatError) as caught:
        read(path, format="alfred")

    # zipfile stops at the declared size and the CRC check fails: nothing past it is inflated.
    assert caught.value.message == (
        "error: liar.zip:IMPCH.csv: cannot be extracted (Bad CRC-32 for file 'IMPCH.csv'); "
        "download the zip again"
    )


def test_alfred_refuses_too_many_zip_members(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(alfred.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"part{i}.csv", "observation_date,IMPCH_20190510\n2019-01-01,1\n")

    with pytest.raises(FormatError) as caught:
        read(path, format="alfred")

    assert caught.value.message == (
        "error: many.zip: holds 101 files; an ALFRED download holds a data file and README.txt "
        "(refusing archives of more than 100 files)"
    )


def test_alfred_truncated_zip_and_zip_without_data(tmp_path):
    lines, _ = realtime_rows()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("obs._by_real-time_period.csv", "\n".join(lines))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(buffer.getvalue()[:300])
    empty = tmp_path / "readme_only.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("README.txt", "nothing here")

    with pytest.raises(FormatError) as truncated:
        read(cut, format="alfred")
    with pytest.raises(FormatError) as no_data:
        read(empty, format="alfred")

    assert truncated.value.message.startswith("error: cut.zip: is a damaged or truncated zip")
    assert no_data.value.message == (
        "error: readme_only.zip: expected a .csv or .txt data file in the zip, found README.txt"
    )


def test_alfred_refuses_a_plain_fred_file(tmp_path):
    path = fixture(IMPCH_2026)

    with pytest.raises(FormatError) as caught:
        read(path, format="alfred")

    assert caught.value.message.startswith(
        "error: IMPCH_vintage_2026-02_observation_date_header.csv:1: expected an ALFRED file"
    )
    assert "found 'observation_date,IMPCH'" in caught.value.message


# ALFRED output types: All Observations vs New and Revised Observations Only ---------------------

#: Three vintages as ALFRED's "New and Revised Observations Only" writes them: 2019 Q4 first
#: published in January, unchanged in February, revised in March; 2020 Q1 new in February.
CHANGES = (
    "observation_date,GDP_20200130,GDP_20200227,GDP_20200326\n"
    "2019-10-01,100.0,.,101.0\n"
    "2020-01-01,.,200.0,.\n"
)
READ_AS_CHANGES = [
    (datetime(2020, 1, 30), [("2019-10-01", 100.0, None)]),
    (datetime(2020, 2, 27), [("2020-01-01", 200.0, None)]),
    (datetime(2020, 3, 26), [("2019-10-01", 101.0, None)]),
]
READ_AS_ALL = [
    (datetime(2020, 1, 30), [("2019-10-01", 100.0, None)]),
    (datetime(2020, 2, 27), [("2019-10-01", None, "deleted"), ("2020-01-01", 200.0, None)]),
    (datetime(2020, 3, 26), [("2019-10-01", 101.0, None), ("2020-01-01", None, "deleted")]),
]
AMBIGUOUS = (
    "a '.' follows a value (2019-10-01 in GDP_20200227): withdrawn if this is ALFRED's "
    "'All Observations' download, unchanged if 'New and Revised Observations Only', and the file "
    "does not say which (pass --alfred-output all or --alfred-output changes)"
)


def rows_by_release(releases) -> list[tuple[datetime, list[tuple]]]:
    return [(r.published, r.frame.select("period", "value", "status").rows()) for r in releases]


@pytest.mark.parametrize(
    ("output", "expected"), [("changes", READ_AS_CHANGES), ("all", READ_AS_ALL)]
)
def test_alfred_output_option_says_what_a_dot_means(tmp_path, output, expected):
    path = tmp_path / "GDP.csv"
    path.write_text(CHANGES)

    releases = read(path, alfred_output=output)

    assert rows_by_release(releases) == expected


@pytest.mark.parametrize("missing", [".", ""])
def test_alfred_all_observations_told_from_repeated_values(tmp_path, missing):
    path = tmp_path / "GDP.csv"
    path.write_text(
        "observation_date,GDP_20200130,GDP_20200227,GDP_20200326\n"
        f"2019-07-01,90.0,90.0,{missing}\n"
        "2019-10-01,100.0,100.0,101.0\n"
        f"2020-01-01,{missing},200.0,200.0\n"
    )

    releases = read(path)

    assert rows_by_release(releases) == [
        (datetime(2020, 1, 30), [("2019-07-01", 90.0, None), ("2019-10-01", 100.0, None)]),
        (
            datetime(2020, 2, 27),
            [("2019-07-01", 90.0, None), ("2019-10-01", 100.0, None), ("2020-01-01", 200.0, None)],
        ),
        (
            datetime(2020, 3, 26),
            [
                ("2019-07-01", None, "deleted"),
                ("2019-10-01", 101.0, None),
                ("2020-01-01", 200.0, None),
            ],
        ),
    ]


def alfred_zip(path: Path, output_format: str, data: str = CHANGES) -> Path:
    """ALFRED's download: README.txt (as ALFRED writes its head) and the data file."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            "Series ID: GDP\r\n"
            "Archival Federal Reserve Economic Data, Federal Reserve Bank of St. Louis\r\n"
            "Link: https://alfred.stlouisfed.org/series?seid=GDP\r\n"
            f"Output Format: {output_format}\r\n"
            "Vintage Dates Specified:\r\n----------\r\n2020-01-30\r\n2020-02-27\r\n2020-03-26\r\n",
        )
        archive.writestr("GDP.csv", data)
    return path


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        ("Observations by Vintage Date, New and Revised Observations Only", READ_AS_CHANGES),
        ("Observations by Vintage Date, All Observations", READ_AS_ALL),
    ],
)
def test_alfred_output_type_from_the_zip_readme(tmp_path, output_format, expected):
    path = alfred_zip(tmp_path / "GDP.zip", output_format)

    releases = read(path)

    assert rows_by_release(releases) == expected


def test_alfred_output_type_from_the_description_block_of_a_txt(tmp_path):
    path = tmp_path / "GDP.txt"
    path.write_text(
        "Series ID: GDP\n"
        "Output Format: Observations by Vintage Date, New and Revised Observations Only\n\n"
        + CHANGES.replace(",", "\t")
    )

    assert rows_by_release(read(path)) == READ_AS_CHANGES


def test_alfred_readme_contradicting_the_option_is_refused(tmp_path):
    path = alfred_zip(tmp_path / "GDP.zip", "Observations by Vintage Date, All Observations")

    with pytest.raises(FormatError) as caught:
        read(path, alfred_output="changes")

    assert caught.value.message == (
        "error: GDP.zip:GDP.csv: README.txt says 'Output Format: Observations by Vintage Date, "
        "All Observations' but --alfred-output changes was given (drop --alfred-output: the "
        "download says which it is)"
    )


def test_alfred_without_a_dot_after_a_value_needs_no_option(tmp_path):
    """Only periods not yet published are '.': both output types read the same."""
    path = tmp_path / "GDP.csv"
    path.write_text(
        "observation_date,GDP_20200130,GDP_20200227\n2019-10-01,100.0,101.0\n2020-01-01,.,200.0\n"
    )

    expected = rows_by_release(read(path, alfred_output="changes"))

    assert (
        rows_by_release(read(path)) == expected == rows_by_release(read(path, alfred_output="all"))
    )
    assert expected[1] == (
        datetime(2020, 2, 27),
        [("2019-10-01", 101.0, None), ("2020-01-01", 200.0, None)],
    )


def test_alfred_ambiguous_file_is_refused_with_the_option_to_pass(tmp_path, store):
    path = tmp_path / "GDP.csv"
    path.write_text(CHANGES)
    before = content(store)

    result = CliRunner().invoke(cli, ["append", str(path), "--db", str(store)])

    assert result.exit_code == 1
    assert result.stderr == f"error: GDP.csv: {AMBIGUOUS}\n"
    assert content(store) == before


def test_alfred_changes_file_appended_with_the_option(tmp_path, store):
    path = tmp_path / "GDP.csv"
    path.write_text(CHANGES)

    cli_result = CliRunner().invoke(
        cli, ["append", str(path), "--db", str(store), "--alfred-output", "changes"]
    )

    assert cli_result.exit_code == 0, cli_result.output
    assert cli_result.stdout.splitlines() == [
        "release 1: 1 new, 0 revised, 0 unchanged (ALFRED, published 2020-01-30)",
        "release 2: 1 new, 0 revised, 0 unchanged (ALFRED, published 2020-02-27)",
        "release 3: 0 new, 1 revised, 0 unchanged (ALFRED, published 2020-03-26)",
    ]
    result = tracker.open(store).query(
        "SELECT period, value FROM asof(DATE '2020-02-27') ORDER BY period"
    )
    assert result.rows() == [(date(2019, 10, 1), 100.0), (date(2020, 1, 1), 200.0)]


def test_alfred_all_file_through_the_python_api(tmp_path, store):
    path = tmp_path / "GDP.csv"
    path.write_text(CHANGES)

    results = tracker.open(store).append(path, alfred_output="all")

    assert [(r.new, r.revised, r.deleted) for r in results] == [(1, 0, 0), (1, 0, 1), (1, 0, 1)]
    result = tracker.open(store).query(
        "SELECT CAST(published_at AS DATE) AS day, period, value, status FROM vintages "
        "ORDER BY period, release_id"
    )
    assert result.rows() == [
        (date(2020, 1, 30), date(2019, 10, 1), 100.0, "actual"),
        (date(2020, 2, 27), date(2019, 10, 1), None, "deleted"),
        (date(2020, 3, 26), date(2019, 10, 1), 101.0, "actual"),
        (date(2020, 2, 27), date(2020, 1, 1), 200.0, "actual"),
        (date(2020, 3, 26), date(2020, 1, 1), None, "deleted"),
    ]


def test_alfred_output_option_rejects_other_values(tmp_path):
    path = tmp_path / "GDP.csv"
    path.write_text(CHANGES)

    with pytest.raises(FormatError) as caught:
        read(path, alfred_output="new")

    assert caught.value.message == (
        "error: --alfred-output 'new' is not an ALFRED output type (use one of: all, changes)"
    )


# ALFRED against FRED: US GDP's whole real-time history --------------------------------------

GDP_HISTORY = API_RECORDINGS / "fred" / "GDP_all_releases.json"
SHAPES = ("realtime", "all")


def gdp_history() -> list[dict[str, str]]:
    """FRED's real-time rows of GDP: {date, value, realtime_start, realtime_end}; '.' = none."""
    return json.loads(GDP_HISTORY.read_text())["observations"]


def write_realtime(path: Path, history: list[dict[str, str]]) -> None:
    """ALFRED's "Observations by Real-Time Period" download of the history."""
    lines = ["period_start_date,GDP,realtime_start_date,realtime_end_date"]
    lines += [
        f"{r['date']},{r['value']},{r['realtime_start']},{r['realtime_end']}" for r in history
    ]
    path.write_text("\n".join(lines) + "\n")


def write_all_observations(path: Path, history: list[dict[str, str]]) -> None:
    """ALFRED's "Observations by Vintage Date, All Observations" download of the history: a
    column per vintage, each cell the value valid on that date, '.' where there is none."""
    vintages = sorted({r["realtime_start"] for r in history})
    cells = {
        (r["date"], vintage): r["value"]
        for r in history
        for vintage in vintages
        if r["realtime_start"] <= vintage <= r["realtime_end"]
    }
    lines = ["observation_date," + ",".join(f"GDP_{v.replace('-', '')}" for v in vintages)]
    for day in sorted({r["date"] for r in history}):
        lines.append(",".join([day, *(cells.get((day, v), ".") for v in vintages)]))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def gdp_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """GDP's history in each shape, appended (with no option) to an empty store of its own."""
    folder = tmp_path_factory.mktemp("gdp")
    history = gdp_history()
    stores = {}
    for shape, write in (("realtime", write_realtime), ("all", write_all_observations)):
        path = folder / f"GDP_{shape}.csv"
        write(path, history)
        stores[shape] = folder / f"{shape}.duckdb"
        with db.connect(stores[shape]) as con:
            db.ensure_schema(con)
            append_releases(con, [(raw, path.name) for raw in read(path)])
    return stores


def fred_valid_on(history: list[dict[str, str]], vintages: list[str]) -> pl.DataFrame:
    """The rows FRED lists as valid on each vintage date, '.' ones left out (no value)."""
    rows = [
        (date.fromisoformat(v), date.fromisoformat(r["date"]), float(r["value"]))
        for v in vintages
        for r in history
        if r["realtime_start"] <= v <= r["realtime_end"] and r["value"] != "."
    ]
    return pl.DataFrame(
        rows, schema={"vintage": pl.Date, "period": pl.Date, "value": pl.Float64}, orient="row"
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_alfred_gdp_asof_equals_fred_on_every_vintage_date(gdp_stores, shape):
    history = gdp_history()
    vintages = sorted({r["realtime_start"] for r in history})
    assert len(vintages) == 393
    expected = fred_valid_on(history, vintages)
    days = pl.DataFrame({"vintage": [date.fromisoformat(v) for v in vintages]})

    with db.connect(gdp_stores[shape], read_only=True) as con, db.registered(con, days=days):
        result = con.sql(
            "SELECT d.vintage, a.period, a.value "
            "FROM days AS d, LATERAL (SELECT * FROM asof(d.vintage)) AS a"
        ).pl()

    compared = expected.join(
        result, on=["vintage", "period"], how="full", coalesce=True, suffix="_store"
    )
    differ = compared.filter(~(pl.col("value") == pl.col("value_store")).fill_null(False))
    assert differ["vintage"].unique().sort().to_list() == []
    assert result.height == expected.height == 94_571


@pytest.mark.parametrize("shape", SHAPES)
def test_alfred_gdp_first_release_is_fred_first_value(gdp_stores, shape):
    history = sorted(
        (r for r in gdp_history() if r["value"] != "."), key=lambda r: r["realtime_start"]
    )
    first: dict[str, dict[str, str]] = {}
    for row in history:
        first.setdefault(row["date"], row)
    expected = sorted(
        (date.fromisoformat(d), float(r["value"]), date.fromisoformat(r["realtime_start"]))
        for d, r in first.items()
    )

    with db.connect(gdp_stores[shape], read_only=True) as con:
        result = con.sql(
            "SELECT period, value, CAST(published_at AS DATE) FROM first_release ORDER BY period"
        ).fetchall()

    assert len(expected) == 315
    assert result == expected


@pytest.mark.parametrize("shape", SHAPES)
def test_alfred_gdp_1946_withdrawn_in_1996_back_in_1997_gone_in_1999(gdp_stores, shape):
    sql = (
        "SELECT d.day, a.value, a.status FROM (VALUES (DATE '1995-12-01'), (DATE '1996-06-01'), "
        "(DATE '1998-01-01'), (DATE '2019-01-01')) AS d(day) "
        "LEFT JOIN LATERAL (SELECT * FROM asof(d.day) WHERE period = DATE '1946-01-01') AS a "
        "ON true ORDER BY d.day"
    )

    with db.connect(gdp_stores[shape], read_only=True) as con:
        result = con.sql(sql).fetchall()

    # No row at all (not a row with an empty value) while BEA has withdrawn the quarter.
    assert result == [
        (date(1995, 12, 1), 199.7, "actual"),
        (date(1996, 6, 1), None, None),
        (date(1998, 1, 1), 210.4, "actual"),
        (date(2019, 1, 1), None, None),
    ]


def test_alfred_gdp_both_shapes_store_the_same_history(gdp_stores):
    sql = (
        "SELECT o.period, o.value, o.status, r.published_at FROM observations AS o "
        "JOIN releases AS r USING (release_id) ORDER BY ALL"
    )

    def history(shape: str) -> list[tuple]:
        with db.connect(gdp_stores[shape], read_only=True) as con:
            return con.sql(sql).fetchall()

    realtime, all_observations = history("realtime"), history("all")

    # One stored row per real-time row of FRED's answer, the 245 '.' rows as tombstones.
    assert len(realtime) == len(gdp_history()) == 3_199
    assert sum(row[2] == "deleted" for row in realtime) == 245
    assert all_observations == realtime
