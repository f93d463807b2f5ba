"""Appends per second from 1, 2 and 4 writer processes: a DuckDB file against a DuckLake lake.

    python -m bench.lake [--writers 1 2 4] [--releases 5]

Runs in the lake's environment (``make test-lake`` builds ``.venv-lake``; duckdb 1.5.5), as root
or as a user who may run PostgreSQL: it starts a throwaway PostgreSQL on 127.0.0.1 (the one of
``tests/pgserver.py``) and always stops it. Each writer is a process of its own that appends
``--releases`` releases of its own two monthly series (72 rows each, every row revised each
time) with `tracker.append.append`, opening the store for each release as ``tracker append``
does. A file store takes one writer at a time (the others wait for its lock); a lake takes them
all at once, and a writer that loses a race on the kept state runs its append again.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _store(kind: str, server, folder: Path, writers: int) -> str:
    sys.path.insert(0, str(TESTS))
    import lake_writer

    from tracker import db, lake
    from tracker.append import upsert_series

    if kind == "file":
        store = str(folder / f"bench-{uuid.uuid4().hex[:8]}.duckdb")
    else:
        store = lake.PREFIX + server.createdb(f"bench_{uuid.uuid4().hex[:8]}")
        lake.connect(store, data_path=folder / uuid.uuid4().hex[:8], create=True).close()
    with db.writer(store) as con, db.transaction(con):
        upsert_series(con, lake_writer.catalogue(writers))
    return store


def run(kind: str, writers: int, releases: int, server, folder: Path) -> dict[str, float]:
    store = _store(kind, server, folder, writers)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(TESTS / "lake_writer.py"), store, str(w), str(releases)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    done = failed = retried = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        done += out.count("appended")
        failed += proc.returncode != 0
        retried += sum(int(line.split()[1]) for line in out.splitlines() if line.startswith("conf"))
    seconds = time.perf_counter() - started
    return {
        "appends": done,
        "failed": failed,
        "retried": retried,
        "seconds": seconds,
        "per_s": done / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--releases", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(TESTS))
    import pgserver

    from tracker import lake

    reason = lake.unavailable()
    if reason is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    server = pgserver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-bench-lake-") as tmp:
            rows = []
            for kind in ("file", "lake"):
                for writers in args.writers:
                    result = run(kind, writers, args.releases, server, Path(tmp))
                    rows.append((kind, writers, result))
                    print(f"{kind} {writers} writer(s): {result}", file=sys.stderr, flush=True)
    finally:
        server.stop()
    print("| store | writers | appends | failed writers | appends retried | seconds | appends/s |")
    print("|---|---|---|---|---|---|---|")
    for kind, writers, r in rows:
        print(
            f"| {kind} | {writers} | {r['appends']:.0f} | {r['failed']:.0f} | "
            f"{r['retried']:.0f} | {r['seconds']:.1f} | {r['per_s']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
