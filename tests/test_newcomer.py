"""What a newcomer trips over: files saved by a European spreadsheet, hints that work when
followed, typos in series ids, dry runs that say what they would do, and Excel workbooks."""

from __future__ import annotations

import shlex
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from tests.conftest import content, define
from tracker import formats
from tracker.cli import cli
from tracker.errors import ValidationError


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# A fredgraph.csv saved again by a European spreadsheet ------------------------------------------


def test_a_european_fred_file_reads_with_day_first_dates_and_decimal_commas(tmp_path):
    path = tmp_path / "GDPC1.csv"
    path.write_text("observation_date;GDPC1\n01.07.2009;14.355,558\n01.10.2009;14.402,082\n")

    [release] = formats.read(path)

    assert release.format == "fred"
    assert release.frame.select("series_id", "period", "value").rows() == [
        ("GDPC1", "2009-07-01", 14355.558), ("GDPC1", "2009-10-01", 14402.082),
    ]  # fmt: skip
    assert release.notes == [
        "GDPC1.csv: column 'observation_date' read as day-first dates ('01.07.2009')",
        "GDPC1.csv: a FRED file saved again by a spreadsheet: ';'-separated, decimal commas in "
        "GDPC1",
    ]


def test_slash_dates_are_read_only_when_the_file_tells_which_way(tmp_path):
    day_first = tmp_path / "day.csv"
    day_first.write_text("date;X\n13/01/2009;1\n01/02/2009;2\n")
    unclear = tmp_path / "unclear.csv"
    unclear.write_text("date;X\n01/02/2009;1\n01/03/2009;2\n")

    [release] = formats.read(day_first)
    with pytest.raises(ValidationError) as refused:
        formats.read(unclear)

    assert release.frame["period"].to_list() == ["2009-01-13", "2009-02-01"]
    assert refused.value.problems == [
        "error: unclear.csv: column 'date': dates such as '01/02/2009' could be day-first or "
        "month-first and no date in the file tells which (no number above 12) (save the dates "
        "as YYYY-MM-DD, e.g. 2009-10-01)"
    ]


# Hints that work when followed -------------------------------------------------------------------


def test_the_hint_for_an_unknown_series_defines_it_when_followed(con, store, tmp_path):
    con.close()
    path = tmp_path / "pop.csv"
    path.write_text("series_id,period,value\nUSA.POP.Q,2009-Q3,307.0\nUSA.POP.Q,2009-Q4,307.5\n")

    refused = run("append", str(path), "--db", str(store), "--source", "Census",
                  "--published", "2010-01-30")  # fmt: skip
    hint = refused.stderr.split("define it first: ", 1)[1].split(", or many at once")[0]
    followed = run(*shlex.split(hint)[1:], "--db", str(store))

    assert refused.exit_code == 1
    assert hint == (
        "tracker define USA.POP.Q --name NAME --unit UNIT --unit-kind level --frequency Q "
        "--source 'Census'"
    )
    assert followed.exit_code == 0, followed.stderr
    again = run("append", str(path), "--db", str(store), "--source", "Census",
                "--published", "2010-01-30")  # fmt: skip
    assert again.exit_code == 0 and again.stdout.startswith("release 1: 2 new")


def test_a_typo_in_a_file_gets_a_did_you_mean(con, store, tmp_path):
    define(con, "CHN.EXPORTS.YOY")
    con.close()
    path = tmp_path / "typo.csv"
    path.write_text("series_id,period,value\nCHN.EXPORT.YOY,2025-06,5.8\n")
    before = content(store)

    result = run("append", str(path), "--db", str(store), "--source", "GAC",
                 "--published", "2025-07-14")  # fmt: skip

    assert result.exit_code == 1
    assert "'CHN.EXPORT.YOY' is not a known series (did you mean CHN.EXPORTS.YOY? if not, " in (
        result.stderr
    )
    assert content(store) == before


def test_a_fred_column_close_to_a_known_series_is_not_registered_silently(con, store, tmp_path):
    define(con, "IMPCH", source="FRED")
    con.close()
    path = tmp_path / "fredgraph.csv"
    path.write_text("observation_date,IMPCHH\n2025-01-01,1.0\n2025-02-01,2.0\n")

    result = run("append", str(path), "--db", str(store), "--source", "FRED",
                 "--published", "2025-03-01", "--dry-run")  # fmt: skip

    assert result.exit_code == 0
    assert result.stderr.startswith(
        "note: would register new series IMPCHH (monthly); it looks like IMPCH, already in the "
        "store: if it is a typo, append with --map IMPCHH=IMPCH instead"
    )


# Dry runs -----------------------------------------------------------------------------------------


def test_a_dry_run_lists_the_first_changes_and_counts_the_rest(con, store, tmp_path):
    define(con, "M.X")
    con.close()
    path = tmp_path / "many.csv"
    rows = "".join(f"M.X,{1900 + i // 12}-{i % 12 + 1:02d},{i}\n" for i in range(40))
    path.write_text("series_id,period,value\n" + rows)

    short = run("append", str(path), "--db", str(store), "--source", "A",
                "--published", "2025-01-01", "--dry-run", "--show", "3")  # fmt: skip
    none = run("append", str(path), "--db", str(store), "--source", "A",
               "--published", "2025-01-01", "--dry-run", "--show", "0")  # fmt: skip

    assert "many.csv: the first 3 of 40 changed rows" in short.stdout
    assert "1900-01" in short.stdout and "1900-04" not in short.stdout
    assert "… and 37 more (--show all lists them)" in short.stderr
    assert none.stdout == (
        "dry run: many.csv (A, published 2025-01-01) would add 40 new, 0 revised, 0 unchanged\n"
    )


# Excel ---------------------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, pl.DataFrame]) -> Path:
    import xlsxwriter

    with xlsxwriter.Workbook(path) as book:
        for name, frame in sheets.items():
            frame.write_excel(book, worksheet=name)
    return path


def test_excel_canonical_and_wide_sheets(tmp_path, con):
    canonical = pl.DataFrame(
        {"series_id": ["CHN.EXPORTS.YOY"], "period": ["2025-06"], "value": [5.8]}
    )
    wide = pl.DataFrame({"Date": ["2001-01", "2001-02"], "Rate": [5.16, 5.1]})
    book = _workbook(tmp_path / "trade.xlsx", {"June": canonical, "Yields": wide})

    [first] = formats.read(book)
    [second] = formats.read(book, sheet="Yields")
    with pytest.raises(Exception, match="no sheet 'Nope' \\(the workbook has June, Yields"):
        formats.read(book, sheet="Nope")

    assert first.format == "excel/canonical"
    assert first.frame.select("series_id", "period", "value").rows() == [
        ("CHN.EXPORTS.YOY", "2025-06", 5.8)
    ]
    assert first.notes[0] == (
        "trade.xlsx: sheet 'June' read as canonical (the workbook also has Yields: --sheet NAME "
        "reads another)"
    )
    assert second.format == "excel/wide_csv"
    assert second.frame.select("series_id", "period", "value").rows() == [
        ("RATE", "2001-01-01", 5.16), ("RATE", "2001-02-01", 5.1),
    ]  # fmt: skip


def test_excel_from_bytes_and_with_a_bad_row_names_the_sheet_row(tmp_path):
    frame = pl.DataFrame({"series_id": ["M.X", "M.X"], "period": ["2025-01", "2025-02"],
                          "value": ["1.5", "n/a%"]})  # fmt: skip
    data = _workbook(tmp_path / "bad.xlsx", {"Data": frame}).read_bytes()

    [release] = formats.read(formats.Source("bad.xlsx", data=data))

    # Reported by the append with every other problem of the file, at the sheet's row.
    assert release.problems == [
        "error: bad.xlsx:3: column 'value': 'n/a%' is not a number (use an empty cell for a "
        "missing value)"
    ]


def test_a_workbook_with_format_canonical_says_what_it_is(tmp_path):
    book = _workbook(tmp_path / "w.xlsx", {"S": pl.DataFrame({"a": [1]})})
    with pytest.raises(Exception, match=r"is a zip archive, not CSV text \(an .xlsx workbook"):
        formats.read(book, format="canonical")
