"""Hostile and broken input: each file is refused with one clear line per problem, store untouched.

The corpus is ``tests/data/bad/``; its README.md holds the table of files, what is wrong with
each and the exact first error line expected, which these tests read. Most files run through
click's CliRunner (fast, in-process); a few run through the installed ``tracker`` console script.
The store is compared by content and by bytes: see the README for why the bytes are stable here.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from tests.conftest import content
from tracker.cli import cli
from tracker.formats import alfred

BAD = Path(__file__).parent / "data" / "bad"
FLAGS = ["--source", "X", "--published", "2025-07-01"]
#: Appended without --published (see the README).
NO_PUBLISHED = {"wdi_no_preamble.csv"}
_ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<what>.+) \| `(?P<first>.+)` \|$")


def corpus() -> dict[str, str]:
    """File name -> the first error line expected, from the README's table."""
    rows = {}
    for line in (BAD / "README.md").read_text().splitlines():
        match = _ROW.match(line)
        if match:
            rows[match["file"]] = match["first"]
    return rows


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def seeded_content(seeded_template: Path) -> dict[str, list]:
    """Every row of the seeded store, read once: each test's store is a copy of it."""
    return content(seeded_template)


@pytest.fixture
def unchanged(seeded: Path, seeded_template: Path, seeded_content: dict[str, list]):
    """Asserts that the store is as it was: its rows, its bytes and its companion files."""
    digest = sha256(seeded)
    assert digest == sha256(seeded_template)

    def companions() -> list[str]:  # store.duckdb.wal, store.duckdb.snapshots, ...
        return sorted(p.name for p in seeded.parent.iterdir() if p.name.startswith(seeded.name))

    files = companions()

    def check() -> None:
        assert companions() == files
        assert sha256(seeded) == digest
        assert content(seeded) == seeded_content

    return check


def flags_for(name: str) -> list[str]:
    return FLAGS[:2] if name in NO_PUBLISHED else FLAGS


def append(path: Path, store: Path, *flags: str):
    return CliRunner().invoke(cli, ["append", str(path), "--db", str(store), *flags])


def assert_refused(name: str, exit_code: int, stdout: str, stderr: str, first: str) -> list[str]:
    """Exit 1, nothing on stdout, one ``error: <name>`` line per problem, no traceback."""
    assert "Traceback" not in stderr
    assert exit_code == 1, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines, "no error message"
    assert lines[0] == first
    assert all(line.startswith(f"error: {name}") for line in lines), lines
    return lines


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("TRACKER_DEBUG", raising=False)
    monkeypatch.delenv("TRACKER_DB", raising=False)


def test_the_corpus_has_40_files_and_the_readme_lists_each():
    files = sorted(p.name for p in BAD.iterdir() if p.name != "README.md")
    listed = corpus()
    assert len(files) >= 40
    assert sorted(listed) == files
    assert all(p.stat().st_size < 64 * 1024 for p in BAD.iterdir())


@pytest.mark.parametrize("name", sorted(corpus()))
def test_bad_file_is_refused_and_changes_nothing(name, seeded, unchanged):
    result = append(BAD / name, seeded, *flags_for(name))

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert_refused(name, result.exit_code, result.stdout, result.stderr, corpus()[name])
    unchanged()


@pytest.mark.parametrize(
    "name",
    [
        "canonical_nul_byte.csv",
        "canonical_latin1_bytes.csv",
        "alfred_truncated.zip",
        "sdmx_ml_truncated.xml",
        "dbnomics_truncated.json",
        "wdi_no_preamble.csv",
    ],
)
def test_the_console_script_refuses_it_too(name, seeded, unchanged):
    """The installed `tracker` command, as a user runs it: exit 1, the same lines, no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DEBUG", "TRACKER_DB")}

    done = subprocess.run(
        [str(Path(sys.executable).with_name("tracker")), "append", str(BAD / name),
         "--db", str(seeded), *flags_for(name)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip

    assert_refused(name, done.returncode, done.stdout, done.stderr, corpus()[name])
    unchanged()


# Made at test time ---------------------------------------------------------------------------

MILLION = "x" * 1_000_000
CLIPPED = "x" * 60 + "…"  # tracker.errors.clip keeps 60 characters, for every format


@pytest.mark.parametrize(
    ("name", "text", "first"),
    [
        (
            "huge_canonical.csv",
            f"series_id,period,value\nCHN.EXPORTS.YOY,2025-06,5.8\nCHN.EXPORTS.YOY,2025-07,{MILLION}\n",
            f"error: huge_canonical.csv:3: column 'value': '{CLIPPED}' is not a number (use an empty cell for a missing value)",
        ),
        (
            "huge_fred.csv",
            f"observation_date,IMPCH\n2019-01-01,{MILLION}\n2019-02-01,1.5\n",
            f"error: huge_fred.csv:2: column 'IMPCH': '{CLIPPED}' is not a number (use an empty cell or '.' for a missing value)",
        ),
        (
            "huge_wide.csv",
            f"Date,Rate\n2024-01-01,2.5\n2024-02-01,{MILLION}\n",
            f"error: huge_wide.csv:3: column 'Rate': '{CLIPPED}' is not a number (use an empty cell for a missing value)",
        ),
    ],
)
def test_a_million_character_field(tmp_path, seeded, unchanged, name, text, first):
    path = tmp_path / name
    path.write_text(text)

    result = append(path, seeded, *FLAGS)

    lines = assert_refused(name, result.exit_code, result.stdout, result.stderr, first)
    assert max(map(len, lines)) < 400
    unchanged()


def test_alfred_zip_bomb_is_refused_before_inflating(tmp_path, seeded, unchanged):
    """~200 KiB that would inflate to 201 MiB: refused from the sizes the zip declares."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("IMPCH.csv", "w") as member:
            member.write(b"observation_date,IMPCH_20190510\n")
            zeros = bytes(1 << 20)
            for _ in range(201):
                member.write(zeros)
        archive.writestr("README.txt", "ALFRED download\n")
    assert path.stat().st_size < 1 << 20
    inflated = 32 + 201 * (1 << 20) + len("ALFRED download\n")
    assert inflated > alfred.MAX_ZIP_BYTES

    result = append(path, seeded, *FLAGS)

    assert_refused(
        "bomb.zip", result.exit_code, result.stdout, result.stderr,
        f"error: bomb.zip: would inflate to {inflated:,} bytes, over the "
        f"{alfred.MAX_ZIP_BYTES:,}-byte limit; refusing it as a possible zip bomb (unzip it "
        "yourself and append the data file)",
    )  # fmt: skip
    unchanged()


def test_zip_that_understates_its_size_is_refused(tmp_path, seeded, unchanged):
    """The directory says 1,000 bytes; the member holds 52 MB. Nothing past 1,000 is inflated."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("IMPCH.csv", "w") as member,
    ):
        member.write(b"observation_date,IMPCH_20190510\n")
        for _ in range(50):
            member.write(b"2019-01-01,1\n" * 80_000)
    data = bytearray(buffer.getvalue())
    # Uncompressed size: offset 22 of the local header, 24 of the central directory entry.
    central = data.index(b"PK\x01\x02")
    for offset in (22, central + 24):
        assert int.from_bytes(data[offset : offset + 4], "little") == 32 + 50 * 13 * 80_000
        data[offset : offset + 4] = (1000).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))

    result = append(path, seeded, *FLAGS)

    assert_refused(
        "liar.zip", result.exit_code, result.stdout, result.stderr,
        "error: liar.zip:IMPCH.csv: cannot be extracted (Bad CRC-32 for file 'IMPCH.csv'); "
        "download the zip again",
    )  # fmt: skip
    unchanged()


def test_huge_file_with_one_bad_value_on_its_last_line(tmp_path, seeded, unchanged):
    """432,000 rows; the only problem is on the last line, and the message says which."""
    ids = ["CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY", "CHN.EXPORTS.USA.USD", "CHN.EXPORTS.USA.YOY"]
    periods = [f"{1000 + m // 12}-{m % 12 + 1:02d}" for m in range(12 * 9000)]
    frame = pl.DataFrame({"series_id": ids}).join(pl.DataFrame({"period": periods}), how="cross")
    frame = frame.with_columns((pl.int_range(pl.len()) % 997 / 10).cast(pl.String).alias("value"))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == pl.len() - 1)
        .then(pl.lit("4,8"))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    path = tmp_path / "huge.csv"
    frame.write_csv(path)
    last = frame.height + 1

    result = append(path, seeded, *FLAGS)

    assert_refused(
        "huge.csv", result.exit_code, result.stdout, result.stderr,
        f"error: huge.csv:{last}: column 'value': '4,8' is not a number (use an empty cell for "
        "a missing value)",
    )  # fmt: skip
    unchanged()


# Known bugs outside the readers (the README lists them under "Known gaps") ----------------


@pytest.mark.parametrize(
    ("period", "status"),
    [("2025-06", "\x1e"), ("2025-\x8506", "")],
    ids=["status-record-separator", "period-next-line"],
)
def test_control_characters_stay_on_one_line(tmp_path, seeded, unchanged, period, status):
    path = tmp_path / "status.csv"
    path.write_text(f'series_id,period,value,status\nCHN.EXPORTS.YOY,"{period}",5.8,"{status}"\n')

    result = append(path, seeded, *FLAGS)

    assert result.exit_code == 1
    assert all(line.startswith("error: status.csv:2: ") for line in result.stderr.splitlines())
    unchanged()


def test_a_weekly_series_at_the_end_of_time(tmp_path, seeded, unchanged):
    path = tmp_path / "weekly.csv"
    path.write_text("observation_date,WEEKLY\n9999-12-13,1\n9999-12-20,2\n9999-12-27,3\n")

    result = append(path, seeded, *FLAGS)

    assert isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: weekly.csv:4: column 'period': '9999-12-27' ")
    unchanged()


def test_problems_sort_by_the_line_they_name_not_by_their_text():
    """A file name holding ': ' or digits must not change the order of its problems."""
    from tracker.errors import line_of, printable, problem

    lines = [problem("a: 12.csv", n, "value", "'x' is not a number") for n in (30, 4, 12)]
    lines.append(problem("a: 12.csv", None, None, "… and 3 more"))
    lines.append(problem("b.xml", 7, None, "bad\ncell", locator="observation"))
    ordered = sorted((printable(text) for text in lines), key=line_of)
    assert [line_of(text) for text in ordered] == [0, 4, 7, 12, 30]
    assert ordered[2] == "error: b.xml: observation 7: bad\\ncell"


def test_parquet_numbers_that_are_not_finite_are_named(tmp_path, seeded, unchanged):
    """Parquet values arrive as numbers: only NaN and infinities can be wrong, and each is
    reported by its row like a bad cell of a CSV."""
    path = tmp_path / "bad.parquet"
    pl.DataFrame(
        {
            "series_id": ["CHN.EXPORTS.YOY"] * 3,
            "period": ["2025-06", "2025-07", "2025-08"],
            "value": [5.8, float("inf"), float("nan")],
        }
    ).write_parquet(path)

    result = append(path, seeded, *FLAGS)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: bad.parquet:2: column 'value': 'inf' is not a finite number "
        "(use an empty cell for a missing value)",
        "error: bad.parquet:3: column 'value': 'NaN' is not a finite number "
        "(use an empty cell for a missing value)",
    ]
    unchanged()
