"""A writer process for the lake's concurrency tests: appends releases of its own series.

    python tests/lake_writer.py STORE WRITER RELEASES [--hold-at-commit]

Writer ``w`` appends ``RELEASES`` releases; release ``k`` revises all 36 months of series
``W<w>.A`` and ``W<w>.B`` (values that depend on ``w`` and ``k``), published on day ``k`` of
2030. With ``--hold-at-commit`` it prints ``committing`` and sleeps just before its first
COMMIT, for a test to kill it there.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

import polars as pl

from tracker import append, lake

MONTHS = 36


def catalogue(writers: int) -> pl.DataFrame:
    ids = [f"W{w}.{s}" for w in range(writers) for s in "AB"]
    return pl.DataFrame(
        {
            "series_id": ids,
            "name": [f"Writer test series {i}" for i in ids],
            "unit": ["units"] * len(ids),
            "unit_kind": ["level"] * len(ids),
            "frequency": ["M"] * len(ids),
            "geo": ["WLD"] * len(ids),
            "source": ["test"] * len(ids),
            "kind": ["actual"] * len(ids),
        }
    )


def release(writer: int, k: int) -> pl.DataFrame:
    periods = [f"{2020 + m // 12}-{m % 12 + 1:02d}" for m in range(MONTHS)]
    return pl.DataFrame(
        {
            "series_id": [f"W{writer}.{s}" for s in "AB" for _ in periods],
            "period": periods * 2,
            "value": [
                float(writer * 1000 + k * 10 + m + (s == "B")) for s in "AB" for m in range(MONTHS)
            ],
        }
    )


def published(k: int) -> datetime:
    return datetime(2030, 1, 1) + timedelta(days=k)


def main(argv: list[str]) -> int:
    store, writer, releases = argv[0], int(argv[1]), int(argv[2])
    hold = "--hold-at-commit" in argv

    def progress(step: str, fraction: float) -> None:
        if hold and step == "committing":
            print("committing", flush=True)
            time.sleep(120)

    for k in range(releases):
        meta = append.ReleaseMeta(source="test", published=published(k), title=f"w{writer} k{k}")
        results = append.append(store, release(writer, k), meta=meta, progress=progress)
        print(f"appended {results[0].release_id}", flush=True)
    print(f"conflicts {lake.conflicts}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
