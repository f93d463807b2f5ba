"""`tracker.append.append`, the one entry point for releases from outside: paths, bytes with a
name and file objects give the same store, for every kind of file; `Store.append` maps ids."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

import tracker
from tests.conftest import content, define, fixture
from tracker import db
from tracker.append import ReleaseMeta, append
from tracker.errors import SeriesError, ValidationError
from tracker.formats import Source

ROOT = Path(__file__).resolve().parent.parent
JUNE = ROOT / "examples" / "cn_trade_2025-06.csv"
#: ALFRED's "New and Revised Observations Only" download of three vintages, as its zip holds it.
ALFRED_README = (
    "Series ID: GDP\r\n"
    "Output Format: Observations by Vintage Date, New and Revised Observations Only\r\n"
)
ALFRED_DATA = (
    "observation_date,GDP_20200130,GDP_20200227,GDP_20200326\n"
    "2019-07-01,100.0,.,101.0\n"
    "2019-10-01,.,200.0,.\n"
)


def alfred_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", ALFRED_README)
        archive.writestr("GDP.csv", ALFRED_DATA)
    return buffer.getvalue()


def stored(path: Path) -> dict[str, list]:
    """The store's content without the ingestion times (which differ from run to run)."""
    result = content(path)
    with db.connect(path, read_only=True) as con:
        result["releases"] = con.execute(
            "SELECT * EXCLUDE (ingested_at) FROM releases ORDER BY release_id"
        ).fetchall()
    return result


def write_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "files" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


CASES = {
    # name: (file name, bytes, metadata the file does not carry)
    "canonical": (
        JUNE.name,
        JUNE.read_bytes(),
        ReleaseMeta("China customs (GAC)", datetime(2025, 7, 14)),
    ),
    "fred": (
        "IMPCH.csv",
        fixture("fred/IMPCH_vintage_2026-02_observation_date_header.csv").read_bytes(),
        ReleaseMeta("FRED", datetime(2026, 2, 1)),
    ),
    "alfred_zip": ("GDP.zip", alfred_zip(), ReleaseMeta()),
    "sdmx_ml": (
        "ecb.xml",
        fixture("sdmx/ecb_EXR_M.USD.EUR.SP00.A_sdmxml21.xml").read_bytes(),
        ReleaseMeta(),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_path_bytes_and_a_file_object_append_the_same(tmp_path, seeded, case):
    name, data, meta = CASES[case]
    stores = {how: tmp_path / f"{how}.duckdb" for how in ("path", "bytes", "file")}
    for store in stores.values():
        shutil.copy(seeded, store)
    path = write_file(tmp_path, name, data)

    by_path = append(stores["path"], path, meta=meta)
    by_bytes = append(stores["bytes"], Source(name, data=data), meta=meta)
    with path.open("rb") as fh:
        by_file = append(stores["file"], fh, meta=meta)

    summaries = [r.summary() for r in by_path]
    assert [r.summary() for r in by_bytes] == summaries
    assert [r.summary() for r in by_file] == summaries
    assert all(r.file_name == name for r in by_path + by_bytes + by_file)
    assert sum(r.new for r in by_path) > 0
    assert stored(stores["bytes"]) == stored(stores["path"])
    assert stored(stores["file"]) == stored(stores["path"])


def test_several_sources_are_one_transaction(seeded, tmp_path):
    before = content(seeded)
    bad = Source("bad.csv", data=b"series_id,period,value\nCHN.EXPORTS.YOY,2025-07,n/a%\n")

    with pytest.raises(ValidationError) as caught:
        append(seeded, [JUNE, bad], meta=ReleaseMeta("GAC", datetime(2025, 7, 14)))

    assert caught.value.problems == [
        "error: bad.csv:2: column 'value': 'n/a%' is not a number "
        "(use an empty cell for a missing value)"
    ]
    assert content(seeded) == before


def test_a_dry_run_writes_nothing_and_shows_the_changes(seeded):
    before = content(seeded)
    [result] = append(
        seeded,
        Source(JUNE.name, data=JUNE.read_bytes()),
        meta=ReleaseMeta("GAC", datetime(2025, 7, 14)),
        dry_run=True,
    )
    assert result.summary() == (
        "dry run: cn_trade_2025-06.csv (GAC, published 2025-07-14) would add "
        "2 new, 0 revised, 0 unchanged"
    )
    assert result.changes is not None and result.changes["change"].to_list() == ["new", "new"]
    assert content(seeded) == before


def test_progress_is_reported_only_past_the_given_rows(seeded, tmp_path):
    steps: list[str] = []
    meta = ReleaseMeta("GAC", datetime(2025, 7, 14))
    shutil.copy(seeded, tmp_path / "other.duckdb")

    append(seeded, JUNE, meta=meta, progress=lambda s, f: steps.append(s), progress_rows=2)
    assert steps == []
    append(tmp_path / "other.duckdb", JUNE, meta=meta, progress=lambda s, f: steps.append(s))
    assert steps[0] == "validating cn_trade_2025-06.csv" and steps[-1] == "done"


# Store.append --------------------------------------------------------------------------------


def test_store_append_maps_a_file_into_an_existing_series(store):
    with db.connect(store) as con:
        define(con, "USA.YIELD.10Y", unit="%", unit_kind="rate", frequency="M", geo="USA")
    data = fixture("datasets/bond_yields_us10y_monthly.csv").read_bytes()

    [result] = tracker.open(store).append(
        data,
        name="yields.csv",
        mapping={"RATE": "USA.YIELD.10Y"},
        source="US Treasury",
        published="2026-02-01",
    )

    assert result.registered == []
    assert "yields.csv: mapped RATE → USA.YIELD.10Y" in result.notes
    latest = tracker.open(store).latest("USA.YIELD.10Y")
    assert latest.height == result.new > 0
    assert latest.row(0, named=True)["period"] == date(1953, 4, 1)
    assert latest.row(0, named=True)["value"] == 2.83


def test_store_append_takes_a_mapping_file_and_refuses_an_unknown_id(store, tmp_path):
    with db.connect(store) as con:
        define(con, "USA.YIELD.10Y", unit="%", unit_kind="rate", frequency="M", geo="USA")
    mapping = tmp_path / "map.csv"
    mapping.write_text("from,to\nRATE,USA.YIELD.10Y\n")
    path = fixture("datasets/bond_yields_us10y_monthly.csv")
    store_ = tracker.open(store)

    with pytest.raises(SeriesError, match="cannot map 'YIELD': the file has no such series"):
        store_.append(path, mapping={"YIELD": "X"}, source="T", published="2026-02-01")
    [result] = store_.append(path, mapping=mapping, source="T", published="2026-02-01")

    assert result.new == store_.latest("USA.YIELD.10Y").height > 0


def test_store_append_takes_frames_and_needs_a_name_for_bytes(seeded):
    store = tracker.open(seeded)
    frame = pl.DataFrame({"series_id": ["CHN.EXPORTS.YOY"], "period": ["2025-06"], "value": [5.8]})

    with pytest.raises(TypeError, match="give name= with bytes"):
        store.append(JUNE.read_bytes(), source="GAC", published="2025-07-14")
    [result] = store.append(frame, source="GAC", published="2025-07-14")

    assert (result.file_name, result.new) == ("frame", 1)
