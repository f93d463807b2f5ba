"""Readers take a `tracker.formats.Source`: a file's bytes read the same as the file itself."""

from __future__ import annotations

import io

import pytest

from tests.conftest import FIXTURES, all_fixtures
from tracker import formats
from tracker.errors import TrackerError
from tracker.formats import Source


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_bytes_and_file_objects_read_as_the_path_does(path):
    try:
        expected = formats.read(path)
    except TrackerError:
        pytest.skip("refused as a path too (tests/test_formats_*.py say why)")
    with path.open("rb") as fh:
        from_file = formats.read(fh)
    for result in (formats.read(Source(path.name, data=path.read_bytes())), from_file):
        assert len(result) == len(expected)
        for got, want in zip(result, expected, strict=True):
            assert got.frame.equals(want.frame)
            assert (got.format, got.source, got.published, got.title, got.url) == (
                want.format, want.source, want.published, want.title, want.url,
            )  # fmt: skip


def test_a_source_names_what_it_reads():
    assert Source.of(FIXTURES / "fred" / "CPIAUCSL_2016_2025-09.csv").name == (
        "CPIAUCSL_2016_2025-09.csv"
    )
    assert Source.of(io.BytesIO(b"x")).name == "stream"
    with pytest.raises(TypeError, match="bytes need a name"):
        Source.of(b"series_id,period,value\n")
    with pytest.raises(TypeError, match="open it in binary mode"):
        Source.of(io.StringIO("series_id,period,value\n"))
    with pytest.raises(TypeError, match="either data or a path"):
        Source("x.csv")


def test_problems_in_bytes_name_the_given_name():
    bad = Source("upload.csv", data=b"series_id,period,value\nX,2025-01,n/a%\n")
    [release] = formats.read(bad)
    assert release.problems == [
        "error: upload.csv:2: column 'value': 'n/a%' is not a number "
        "(use an empty cell for a missing value)"
    ]
