"""The floor: the same rows into the same store with nothing but DuckDB's own readers and SQL.

Run in a fresh process (``python -m bench.floor KIND FILE DB PUBLISHED``) so that it pays the
same interpreter start and store open as ``tracker append``; it imports only DuckDB. It does
what a bare ``INSERT … SELECT`` must do to give the store the rows `tracker append` gives it —
period codes to dates and period ends, one release row, series registration for FRED — and
nothing else: no validation, no diff, no duplicate check, no sort.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

_RELEASE = """
INSERT INTO releases (release_id, source, published_at, ingested_at, file_name, format, checksum)
VALUES (nextval('release_id_seq'), $source, $published, current_localtimestamp(), $file,
        $format, 'floor')
"""

# Canonical codes: 2025 (A), 2025-Q2 (Q), 2025-05 (M).
_CANONICAL = """
INSERT INTO observations (series_id, period, period_end, value, status, release_id)
WITH
raw AS (SELECT series_id, period AS code, value FROM read_parquet($file)),
parsed AS (
    SELECT
        series_id,
        CAST(value AS DOUBLE) AS value,
        CASE
            WHEN length(code) = 4 THEN make_date(CAST(code AS INTEGER), 1, 1)
            WHEN code[6] = 'Q' THEN make_date(
                CAST(code[1:4] AS INTEGER), (CAST(code[7] AS INTEGER) - 1) * 3 + 1, 1)
            ELSE make_date(CAST(code[1:4] AS INTEGER), CAST(code[6:7] AS INTEGER), 1)
        END AS period,
        CASE WHEN length(code) = 4 THEN 12 WHEN code[6] = 'Q' THEN 3 ELSE 1 END AS months
    FROM raw
)
SELECT series_id, period, last_day(period + to_months(months - 1)), value, 'actual',
       currval('release_id_seq')
FROM parsed
"""

# FRED: a date column, one column per series; empty cells are dropped by UNPIVOT.
_FRED_LONG = """
CREATE TEMP TABLE long AS
WITH cells AS (
    UNPIVOT (FROM read_csv($file, header = true, auto_detect = false, columns = $columns))
    ON COLUMNS(* EXCLUDE (observation_date))
    INTO NAME series_id VALUE raw
)
SELECT series_id, CAST(observation_date AS DATE) AS period, CAST(raw AS DOUBLE) AS value
FROM cells
"""

_FRED_SERIES = """
CREATE TEMP TABLE frequencies AS
SELECT
    series_id,
    CASE
        WHEN bool_or(month(period) NOT IN (1, 4, 7, 10)) THEN 1
        WHEN bool_or(month(period) <> 1) THEN 3
        ELSE 12
    END AS months
FROM long
GROUP BY series_id
"""

_FRED_REGISTER = """
INSERT INTO series (series_id, name, unit, unit_kind, frequency, source, kind)
SELECT series_id, series_id, '', 'level',
       CASE months WHEN 1 THEN 'M' WHEN 3 THEN 'Q' ELSE 'A' END, 'FRED', 'actual'
FROM frequencies
"""

_FRED_INSERT = """
INSERT INTO observations (series_id, period, period_end, value, status, release_id)
SELECT l.series_id, l.period, last_day(l.period + to_months(f.months - 1)), l.value, 'actual',
       currval('release_id_seq')
FROM long AS l JOIN frequencies AS f USING (series_id)
"""


def load(kind: str, file: str, store: str, published: str) -> None:
    """Append ``file`` (``canonical`` Parquet or ``fred`` CSV) to ``store`` in one transaction."""
    start = time.perf_counter()
    con = duckdb.connect(store)
    con.execute("BEGIN TRANSACTION")
    con.execute(
        _RELEASE,
        {
            "source": "FRED" if kind == "fred" else "Synthetic",
            "published": published,
            "file": file,
            "format": kind,
        },
    )
    if kind == "canonical":
        con.execute(_CANONICAL, {"file": file})
    else:
        # DuckDB's CSV sniffer takes seconds on 4,000 columns; the header alone gives the types.
        with open(file, encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        columns = {name: "DOUBLE" for name in header[1:]}
        con.execute(_FRED_LONG, {"file": file, "columns": {header[0]: "DATE", **columns}})
        con.execute(_FRED_SERIES)
        con.execute(_FRED_REGISTER)
        con.execute(_FRED_INSERT)
    con.execute("COMMIT")
    con.close()
    # The work alone, without interpreter start and imports, for the report's second table.
    print(json.dumps({"work": time.perf_counter() - start}))


if __name__ == "__main__":
    load(*sys.argv[1:5])
