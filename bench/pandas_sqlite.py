"""The usual alternative: pandas ``read_csv`` + ``to_sql`` into SQLite, in a fresh process.

``python -m bench.pandas_sqlite KIND CSV SQLITE_FILE``: ``canonical`` (long CSV) or ``fred``
(wide CSV, melted to long and empty cells dropped). Imports only pandas and sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

import pandas as pd


def load(kind: str, file: str, target: str) -> None:
    start = time.perf_counter()
    frame = pd.read_csv(file)
    if kind == "fred":
        frame = (
            frame.melt(id_vars=["observation_date"], var_name="series_id", value_name="value")
            .dropna(subset=["value"])
            .rename(columns={"observation_date": "period"})
        )
    con = sqlite3.connect(target)
    frame.to_sql("observations", con, index=False, if_exists="append")
    con.commit()
    con.close()
    print(json.dumps({"work": time.perf_counter() - start}))


if __name__ == "__main__":
    load(*sys.argv[1:4])
