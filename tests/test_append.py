"""The append pipeline end to end through the CLI: validate, diff, one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import content, define, release
from tracker import db
from tracker.cli import cli


@pytest.fixture
def trade(store: Path) -> Path:
    with db.connect(store) as con:
        define(con, "CHN.EXPORTS.YOY", unit="% y/y", unit_kind="growth_yoy")
        define(con, "CHN.IMPORTS.YOY", unit="% y/y", unit_kind="growth_yoy")
        release(
            con,
            "2025-05-09",
            [("CHN.EXPORTS.YOY", "2025-04", 8.1), ("CHN.IMPORTS.YOY", "2025-04", -0.2)],
            source="China customs (GAC)",
        )
    return store


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "series_id,period,value\nCHN.EXPORTS.YOY,2025-05,4.8\nCHN.IMPORTS.YOY,2025-05,-3.4\n"


def test_append_prints_what_it_did_and_shows_in_latest(trade, tmp_path):
    path = write(tmp_path, "may.csv", GOOD)
    result = run("append", str(path), "--db", str(trade), "--source", "China customs (GAC)",
                 "--published", "2025-06-09")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "release 2: 2 new, 0 revised, 0 unchanged (China customs (GAC), published 2025-06-09)\n"
    )
    shown = run("show", "CHN.EXPORTS.YOY", "--db", str(trade), "--format", "csv")
    assert shown.stdout.splitlines()[1:] == [
        "2025-04-01,2025-04-30,8.1,actual,1,2025-05-09T00:00:00.000000",
        "2025-05-01,2025-05-31,4.8,actual,2,2025-06-09T00:00:00.000000",
    ]


def test_same_content_twice_is_a_no_op_naming_the_release(trade, tmp_path):
    path = write(tmp_path, "may.csv", GOOD)
    args = ["--db", str(trade), "--source", "GAC", "--published", "2025-06-09"]
    assert run("append", str(path), *args).exit_code == 0
    before = content(trade)
    again = run("append", str(path), *args)
    assert again.exit_code == 0
    assert (
        again.stdout
        == "may.csv: already in the store as release 2 (same content); nothing appended\n"
    )
    assert content(trade) == before


def test_revision_and_unchanged_are_counted(trade, tmp_path):
    path = write(
        tmp_path,
        "rev.csv",
        "series_id,period,value\nCHN.EXPORTS.YOY,2025-04,8.2\nCHN.IMPORTS.YOY,2025-04,-0.2\n",
    )
    result = run(
        "append", str(path), "--db", str(trade), "--source", "GAC", "--published", "2025-06-20"
    )
    assert result.stdout.startswith("release 2: 0 new, 1 revised, 1 unchanged")


def test_dry_run_prints_the_diff_and_writes_nothing(trade, tmp_path):
    path = write(tmp_path, "may.csv", GOOD)
    before = content(trade)
    result = run("append", str(path), "--db", str(trade), "--source", "GAC",
                 "--published", "2025-06-09", "--dry-run")  # fmt: skip
    assert result.exit_code == 0
    assert (
        "dry run: may.csv (GAC, published 2025-06-09) would add 2 new, 0 revised, 0 unchanged"
        in result.stdout
    )
    assert "CHN.EXPORTS.YOY" in result.stdout
    assert content(trade) == before


BAD_CASES = [
    (
        "series_id,period,value\nCHN.EXPORTS.YOY,2025-05,n/a%\n",
        ["error: bad.csv:2: column 'value': 'n/a%' is not a number (use an empty cell for a missing value)"],
    ),
    (
        "series_id,period,value\nCHN.EXPORTS.YOY,2025-05,NaN\nCHN.IMPORTS.YOY,2025-05,inf\n",
        [
            "error: bad.csv:2: column 'value': 'NaN' is not a finite number (use an empty cell for a missing value)",
            "error: bad.csv:3: column 'value': 'inf' is not a finite number (use an empty cell for a missing value)",
        ],
    ),
    (
        "series_id,period,value\nCHN.EXPORTS.YOY,2025-Q2,1\n",
        ["error: bad.csv:2: column 'period': '2025-Q2' is a quarterly period but the series is "
         "monthly (use a monthly code such as 2025-04) for series CHN.EXPORTS.YOY"],
    ),
    (
        "series_id,period,value\nCHN.EXPORTS.YOY,2025-05,1\nCHN.EXPORTS.YOY,2025-05-01,2\n",
        ["error: bad.csv:3: column 'period': series CHN.EXPORTS.YOY period 2025-05-01 appears "
         "again (first on line 2; a release holds one value per series and period)"],
    ),
    (
        "series_id,period,value\nDEU.EXPORTS.YOY,2025-05,1\n",
        ["error: bad.csv:2: column 'series_id': 'DEU.EXPORTS.YOY' is not a known series (define "
         "it first: tracker define DEU.EXPORTS.YOY --name NAME --unit UNIT --unit-kind level "
         "--frequency M --source 'GAC', or many at once with tracker define --from-csv "
         "catalogue.csv)"],
    ),
    (
        "series_id,period,value,status\nCHN.EXPORTS.YOY,2025-05,1,final\n",
        ["error: bad.csv:2: column 'status': 'final' is not a status (use one of actual, "
         "estimate, provisional, forecast, deleted, or leave it empty)"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), BAD_CASES)
def test_bad_rows_exit_1_with_one_line_each_and_change_nothing(trade, tmp_path, text, expected):
    path = write(tmp_path, "bad.csv", text)
    before = content(trade)
    result = run(
        "append", str(path), "--db", str(trade), "--source", "GAC", "--published", "2025-06-09"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected
    assert content(trade) == before


def test_missing_published_date_says_which_flag(trade, tmp_path):
    path = write(tmp_path, "may.csv", GOOD)
    result = run("append", str(path), "--db", str(trade), "--source", "GAC")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: may.csv: no publication date (pass --published YYYY-MM-DD: the day these values "
        "became public)\n"
    )


def test_a_failure_half_way_leaves_nothing(trade, tmp_path):
    """The first file is fine and gets diffed and written inside the transaction; the second is
    refused; the store must be exactly as before."""
    good = write(tmp_path, "may.csv", GOOD)
    late = write(tmp_path, "late.csv", "series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\n")
    bad = write(tmp_path, "bad.csv", "series_id,period,value\nCHN.EXPORTS.YOY,2025-07,x\n")
    before = content(trade)
    result = run("append", str(good), str(late), str(bad), "--db", str(trade),
                 "--source", "GAC", "--published", "2025-06-09")  # fmt: skip
    assert result.exit_code == 1
    assert content(trade) == before


def test_out_of_order_release_is_refused(trade, tmp_path):
    path = write(tmp_path, "old.csv", "series_id,period,value\nCHN.EXPORTS.YOY,2025-03,12.4\n")
    before = content(trade)
    result = run(
        "append", str(path), "--db", str(trade), "--source", "GAC", "--published", "2025-04-14"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: old.csv: series CHN.EXPORTS.YOY already has release 1 published 2025-05-09, "
        "after this release's 2025-04-14; append releases in publication order"
    )
    assert content(trade) == before


def test_define_then_append_a_new_series(trade, tmp_path):
    result = run("define", "DEU.EXPORTS.YOY", "--db", str(trade), "--name", "Germany exports",
                 "--unit", "% y/y", "--unit-kind", "growth_yoy", "--frequency", "M",
                 "--geo", "DEU", "--source", "Destatis")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == "1 series added, 0 updated\n"
    path = write(tmp_path, "de.csv", "series_id,period,value\nDEU.EXPORTS.YOY,2025-05,-1.6\n")
    appended = run(
        "append", str(path), "--db", str(trade), "--source", "Destatis", "--published", "2025-07-08"
    )
    assert appended.exit_code == 0


def test_define_from_a_catalogue_csv(trade, tmp_path):
    path = write(
        tmp_path,
        "cat.csv",
        "series_id,name,unit,unit_kind,frequency,geo,source,kind,description,tags\n"
        "JPN.CPI,Japan CPI,index,index,M,JPN,Statistics Bureau,actual,,japan;prices\n"
        "JPN.BAD,Japan bad,%,percent,M,JPN,Statistics Bureau,actual,,\n",
    )
    result = run("define", "--from-csv", str(path), "--db", str(trade))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: catalogue:3: column 'unit_kind': 'percent' is not one of level, index, rate, "
        "growth_yoy, growth_pop, share"
    ]


def test_parquet_and_jsonl_are_canonical_too(trade, tmp_path):
    import polars as pl

    frame = pl.DataFrame({"series_id": ["CHN.EXPORTS.YOY"], "period": ["2025-05"], "value": [4.8]})
    frame.write_parquet(tmp_path / "may.parquet")
    frame.write_ndjson(tmp_path / "may.jsonl")
    args = ["--db", str(trade), "--source", "GAC", "--published", "2025-06-09"]
    first = run("append", str(tmp_path / "may.parquet"), *args)
    assert first.stdout.startswith("release 2: 1 new")
    second = run("append", str(tmp_path / "may.jsonl"), *args)
    assert (
        second.stdout
        == "may.jsonl: already in the store as release 2 (same content); nothing appended\n"
    )


def test_define_replace_changes_only_the_flags_given(trade):
    result = run(
        "define", "CHN.EXPORTS.YOY", "--db", str(trade), "--unit", "% y/y (USD)", "--replace"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 series added, 1 updated\n"
    with db.connect(trade, read_only=True) as con:
        row = con.execute(
            "SELECT unit, unit_kind, frequency, source FROM series WHERE series_id = 'CHN.EXPORTS.YOY'"
        ).fetchall()
    assert row == [("% y/y (USD)", "growth_yoy", "M", "Test agency")]


def test_define_cannot_change_the_frequency_of_a_series_with_data(trade):
    before = content(trade)
    result = run("define", "CHN.EXPORTS.YOY", "--db", str(trade), "--frequency", "Q", "--replace")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: series CHN.EXPORTS.YOY has observations at frequency M; it cannot become Q "
        "(define a new series id for the new frequency)\n"
    )
    assert content(trade) == before


# Checksum: what makes two releases "the same" ---------------------------------------------------


def _valid(rows: list[tuple[str, str, float | None, str]]):
    """A validated release frame (the shape `append.checksum` hashes)."""
    import polars as pl

    from tracker import periods

    spans = [periods.parse(code)[1:] for _, code, _, _ in rows]
    return pl.DataFrame(
        {
            "series_id": [r[0] for r in rows],
            "period": [s for s, _ in spans],
            "period_end": [e for _, e in spans],
            "value": [r[2] for r in rows],
            "status": [r[3] for r in rows],
        },
        schema_overrides={"value": pl.Float64},
    )


def test_checksum_is_order_free_and_sees_every_field():
    from datetime import datetime

    from tracker.append import checksum

    june = datetime(2025, 6, 9)
    rows = [("A", "2025-04", 8.1, "actual"), ("A", "2025-05", 4.8, "actual"),
            ("B", "2025-05", None, "actual")]  # fmt: skip
    base = checksum(_valid(rows), june)
    assert base.startswith("sha256v2:") and len(base) == len("sha256v2:") + 64
    assert checksum(_valid(rows[::-1]), june) == base
    # Float noise is not a change; anything an agency could publish is.
    noisy, exact = ("A", "2025-04", 0.1 + 0.2, "actual"), ("A", "2025-04", 0.3, "actual")
    assert 0.1 + 0.2 != 0.3
    assert checksum(_valid([noisy, *rows[1:]]), june) == checksum(_valid([exact, *rows[1:]]), june)
    changed = [
        [("A", "2025-04", 8.2, "actual"), *rows[1:]],  # a value
        [("A", "2025-04", 8.1, "estimate"), *rows[1:]],  # a status
        [rows[0], ("A", "2025-06", 4.8, "actual"), rows[2]],  # a period
        [rows[0], ("C", "2025-05", 4.8, "actual"), rows[2]],  # a series
        [*rows[:2], ("B", "2025-05", 0.0, "actual")],  # missing is not zero
        rows[:2],  # a row fewer
    ]
    digests = {checksum(_valid(other), june) for other in changed}
    assert base not in digests and len(digests) == len(changed)
    assert checksum(_valid(rows), datetime(2025, 6, 10)) != base


def test_releases_appended_with_the_older_checksum_are_still_recognised(trade, tmp_path):
    """A store written before the current checksum keeps its ``sha256:`` digests: appending
    the same release again must still be a no-op, not a second vintage."""
    path = write(tmp_path, "may.csv", GOOD)
    args = ["--db", str(trade), "--source", "GAC", "--published", "2025-06-09"]
    assert run("append", str(path), *args).exit_code == 0
    from tracker import append as appending
    from tracker import formats

    with db.connect(trade) as con:
        raw = formats.read(path)[0]
        series = appending.known_series(con)
        frame, problems = appending.validate(con, raw, series, "may.csv")
        assert problems == []
        published = appending.parse_published("2025-06-09")
        old = appending.legacy_checksum(frame, published)
        assert old.startswith("sha256:") and old != appending.checksum(frame, published)
        con.execute("UPDATE releases SET checksum = ? WHERE release_id = 2", [old])
    before = content(trade)
    again = run("append", str(path), *args)
    assert again.stdout == (
        "may.csv: already in the store as release 2 (same content); nothing appended\n"
    )
    assert content(trade) == before


def test_define_links_a_consensus_to_its_actual(trade):
    args = ["--name", "China exports: consensus", "--unit", "% y/y", "--unit-kind", "growth_yoy",
            "--frequency", "M", "--source", "Reuters poll", "--db", str(trade)]  # fmt: skip
    before = content(trade)

    missing = run(
        "define", "CHN.X.CONSENSUS", "--kind", "forecast", "--actual-series", "CHN.NOPE", *args
    )
    not_forecast = run("define", "CHN.X.CONSENSUS", "--actual-series", "CHN.EXPORTS.YOY", *args)
    assert content(trade) == before
    linked = run(
        "define",
        "CHN.X.CONSENSUS",
        "--kind",
        "forecast",
        "--actual-series",
        "CHN.EXPORTS.YOY",
        *args,
    )

    assert (missing.exit_code, not_forecast.exit_code, linked.exit_code) == (1, 1, 0)
    assert missing.stderr == (
        "error: --actual-series CHN.NOPE: no such series (define it first, or see `tracker series`)\n"
    )
    assert not_forecast.stderr.endswith("CHN.X.CONSENSUS is of kind actual: add --kind forecast\n")
    with db.connect(trade, read_only=True) as con:
        row = con.execute(
            "SELECT kind, actual_series_id FROM series WHERE series_id = 'CHN.X.CONSENSUS'"
        ).fetchall()
    assert row == [("forecast", "CHN.EXPORTS.YOY")]
