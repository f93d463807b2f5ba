"""Measurements that run inside a fresh worker process: ``python -m bench.tasks NAME JSON``.

Each task prints one JSON line (its last line of output) with what it measured; the parent
reads the process's peak RSS from ``wait4``. Tasks import only what they measure.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

clock = time.perf_counter


def stages(args: dict) -> dict:
    """`tracker append`'s work in one process, step by step (what the CLI does, timed).

    Imports are paid once, by the first file.
    """
    start = clock()
    import tracker.cli  # noqa: F401 - what the CLI imports before it does anything
    from tracker import append as appending
    from tracker import formats, snapshots

    imported = clock() - start
    out = {}
    for item in args["files"]:
        steps = {"import": imported}
        imported = 0.0
        mark = clock()
        path = Path(item["file"])
        raws = formats.read(path)
        steps["read file"] = clock() - mark
        mark = clock()
        opened = snapshots.writer(item["db"])  # the writer `tracker append` opens
        con = opened.__enter__()
        steps["open + migrate + views"] = clock() - mark
        stamps: list[tuple[str, float]] = []

        def progress(step: str, fraction: float, stamps=stamps) -> None:
            stamps.append((step.split()[0], clock()))

        meta = appending.ReleaseMeta(
            source=item.get("source"), published=appending.parse_published(item["published"])
        )
        mark = clock()
        appending.append_releases(con, [(raw, path.name) for raw in raws], meta, progress=progress)
        total = clock() - mark
        for (step, when), (_, then) in itertools.pairwise(stamps):
            if step in STAGE_NAMES:
                steps[STAGE_NAMES[step]] = steps.get(STAGE_NAMES[step], 0.0) + then - when
        steps["append_releases total"] = total
        mark = clock()
        opened.__exit__(None, None, None)
        steps["close"] = clock() - mark
        out[item["name"]] = steps
    return out


#: append_releases progress steps -> what happens between one and the next.
STAGE_NAMES = {
    "validating": "catalogue + validate",
    "diffing": "checksum + order check + diff",
    "writing": "insert + kept state",
    "committing": "commit",
}


def compact(args: dict) -> dict:
    """`tracker compact`'s work in one process (what the CLI runs), step by step."""
    start = clock()
    import tracker.cli  # noqa: F401 - what the CLI imports before it does anything
    from tracker import compact as compacting

    imported = clock() - start
    stamps: list[tuple[str, float]] = []

    def progress(step: str, fraction: float) -> None:
        # Also called from the thread that polls DuckDB's progress: only step changes count.
        name = step.split()[0]
        if not stamps or stamps[-1][0] != name:
            stamps.append((name, clock()))

    mark = clock()
    result = compacting.compact(args["db"], progress=progress)
    total = clock() - mark
    steps = {"import": imported}
    for (step, when), (_, then) in itertools.pairwise(stamps):
        steps[step] = steps.get(step, 0.0) + then - when
    return {
        "steps": steps,
        "total": total,
        "rows": result.rows,
        "ordered_rows": result.ordered_rows,
        "compacted": result.compacted,
        "file_bytes_before": result.file_bytes_before,
        "file_bytes_after": result.file_bytes_after,
        "data_bytes_before": result.data_bytes_before,
        "data_bytes_after": result.data_bytes_after,
    }


def incremental(args: dict) -> dict:
    """Small releases appended in-process to each store: read + validate + diff + write."""
    from tracker import append as appending
    from tracker import formats, snapshots

    out = {}
    for store in args["stores"]:
        times = []
        with snapshots.writer(store["db"]) as con:
            for file, published in zip(store["files"], store["published"], strict=True):
                path = Path(file)
                meta = appending.ReleaseMeta(
                    source="Incremental", published=appending.parse_published(published)
                )
                mark = clock()
                raws = formats.read(path)
                appending.append_releases(con, [(raw, path.name) for raw in raws], meta)
                times.append(clock() - mark)
        out[store["name"]] = times
    return out


def queries(args: dict) -> dict:
    """Every question and way on the first layout, the view alone on the others; the ways are
    interleaved round by round so drift hits all alike. Before the timed rounds the view runs
    once untimed, which brings the table into DuckDB's buffer cache for every way."""
    from bench import queries as q
    from tracker import db

    ts = datetime.fromisoformat(args["ts"])
    out: dict = {"layouts": {}, "best": {}}
    for index, (layout, path) in enumerate(args["layouts"].items()):
        measured = {}
        con = db.connect(path, read_only=True)
        for question in args["questions"]:
            chosen = q.variants(question) if index == 0 else {"view": q.VIEWS[question]}
            bound = q.params(question, ts=ts, series_id=args["series_id"])
            result = {name: {"times": [], "digest": None} for name in chosen}
            if index == 0 and question.endswith("_all"):
                out.setdefault("answer_only", {})[question] = _answer_only(
                    con, chosen["view"], bound, runs=args["runs"][question]
                )
            con.sql(chosen["view"], params=bound).pl()
            names = list(chosen)
            for round_ in range(args["runs"][question]):
                shift = round_ % len(names)
                for name in names[shift:] + names[:shift]:
                    mark = clock()
                    frame = con.sql(chosen[name], params=bound).pl()
                    result[name]["times"].append(clock() - mark)
                    if result[name]["digest"] is None:
                        result[name]["digest"] = q.digest(frame)
                    del frame
            measured[question] = result
        con.close()
        out["layouts"][layout] = measured
        if index == 0:
            for question, ways in measured.items():
                hand = {w: statistics.median(r["times"]) for w, r in ways.items() if w != "view"}
                out["best"][question] = min(hand, key=hand.__getitem__)
    return out


def _answer_only(con, sql: str, params: dict, *, runs: int) -> list[float]:
    """What a full cross-section costs once its answer is known: the same rows materialised in
    a temporary table, then only sorted and handed to Polars, as every way must. No way that
    computes the answer can beat it."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE answer_only AS {sql}", params)
    times = []
    for _ in range(runs):
        mark = clock()
        con.sql("SELECT * FROM answer_only ORDER BY series_id, period").pl()
        times.append(clock() - mark)
    con.execute("DROP TABLE answer_only")
    return times


def pandas_queries(args: dict) -> dict:
    """The same questions in pandas over the whole table loaded in memory (as fredapi does)."""
    import pandas as pd

    from bench import queries as q
    from tracker import db

    ts = pd.Timestamp(args["ts"])
    mark = clock()
    con = db.connect(args["db"], read_only=True)
    frame = con.sql(q.LOAD_SQL).df()
    con.close()
    out: dict = {"load": clock() - mark, "rows": len(frame)}
    for question in args["questions"]:
        times = []
        answer = None
        for round_ in range(args["warmup"] + args["runs"][question]):
            mark = clock()
            answer = q.pandas_answer(frame, question, ts=ts, series_id=args["series_id"])
            if round_ >= args["warmup"]:
                times.append(clock() - mark)
        out[question] = {"times": times, "digest": q.pandas_digest(answer)}
    return out


def once(args: dict) -> dict:
    """One question one way, once: run alone in a process for its peak RSS."""
    from bench import queries as q
    from tracker import db

    question = args["question"]
    mark = clock()
    if args["way"] == "pandas":
        import pandas as pd

        con = db.connect(args["db"], read_only=True)
        frame = con.sql(q.LOAD_SQL).df()
        con.close()
        answer = q.pandas_answer(
            frame, question, ts=pd.Timestamp(args["ts"]), series_id=args["series_id"]
        )
        rows = len(answer)
    else:
        con = db.connect(args["db"], read_only=True)
        sql = q.variants(question)[args["way"]]
        bound = q.params(
            question, ts=datetime.fromisoformat(args["ts"]), series_id=args["series_id"]
        )
        rows = con.sql(sql, params=bound).pl().height
        con.close()
    return {"time": clock() - mark, "rows": rows}


def dashboard(args: dict) -> dict:
    """The Explorer's chart callback (data + figure + JSON, as Dash serves it), per case."""
    os.environ["TRACKER_DB"] = args["db"]
    try:
        import plotly.io.json as plotly_json

        from dashboards.app import create_app
        from dashboards.pages import explore_data

        app = create_app(args["db"])  # pages register themselves on an existing app
        from dashboards.pages import explore
    except Exception as exc:  # the dashboard is optional here: fall back to its SQL
        return _dashboard_sql(args, reason=f"{type(exc).__name__}: {exc}")

    # Time the data function inside the real callback: the page calls `explore_data.explore`.
    read = explore_data.explore
    last: dict = {}

    def timed_explore(*call_args, **call_kwargs):
        mark = clock()
        last["drawn"] = read(*call_args, **call_kwargs)
        last["time"] = clock() - mark
        return last["drawn"]

    explore_data.explore = timed_explore
    from tracker import snapshots

    out: dict = {"mode": "callback", "cases": {}}
    store = Path(args["db"])
    with app.server.app_context():
        for case in args["cases"]:
            controls = (case["series"], "lin", "", "avg", "", case["as_of"],
                        ["events", "regimes"], None, "light")  # fmt: skip
            measured: dict = {}
            # As `tracker serve` runs it (one connection per process to a snapshot), and with a
            # read-only connection opened and closed per call (the dashboard without a server).
            for mode, serving in (("per_call", contextlib.nullcontext()),
                                  ("served", snapshots.registered_server(store))):  # fmt: skip
                with serving:
                    data_times, callback_times = [], []
                    outputs: tuple = ()
                    response = ""
                    for round_ in range(args["warmup"] + args["runs"]):
                        mark = clock()
                        outputs = explore.draw(*controls)
                        response = plotly_json.to_json_plotly(list(outputs))
                        elapsed = clock() - mark
                        if round_ >= args["warmup"]:
                            data_times.append(last["time"])
                            callback_times.append(elapsed)
                measured[mode] = (data_times, callback_times)
            figure = plotly_json.to_json_plotly(outputs[0])
            points = sum(len(trace.get("x") or []) for trace in outputs[0].get("data", []))
            out["cases"][case["name"]] = {
                "data": measured["served"][0],
                "callback": measured["served"][1],
                "per_call_data": measured["per_call"][0],
                "per_call_callback": measured["per_call"][1],
                "figure_bytes": len(figure.encode()),
                "response_bytes": len(response.encode()),
                "points": points,
                "rows": last["drawn"].frame.height,
            }
    return out


_EMULATED_SQL = """
WITH
known AS (SELECT series_id, period, value FROM asof($ts) WHERE list_contains($ids, series_id)),
bucketed AS (
    SELECT *, ntile($buckets) OVER (PARTITION BY series_id ORDER BY period) AS bucket,
           count(*) OVER (PARTITION BY series_id) AS n
    FROM known
),
ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY series_id, bucket ORDER BY value, period) AS low,
           row_number() OVER (PARTITION BY series_id, bucket ORDER BY value DESC, period) AS high
    FROM bucketed
)
SELECT series_id, period, value FROM ranked
WHERE n <= $max_points OR low = 1 OR high = 1
ORDER BY series_id, period
"""


def _dashboard_sql(args: dict, *, reason: str) -> dict:
    """Without the dashboard: the SQL the Explorer runs (as-of + min/max per bucket) and a
    plain dict figure, per request on a fresh read-only connection."""
    from tracker import db

    out: dict = {"mode": f"emulated ({reason})", "cases": {}}
    for case in args["cases"]:
        ts = datetime.fromisoformat(case["as_of"]) if case["as_of"] else datetime(9999, 1, 1)
        times = []
        body = ""
        frame = None
        for round_ in range(args["warmup"] + args["runs"]):
            mark = clock()
            with db.reader(args["db"]) as con:
                frame = con.sql(
                    _EMULATED_SQL,
                    params={"ts": ts, "ids": case["series"], "buckets": 1000, "max_points": 2000},
                ).pl()
            traces = [
                {
                    "type": "scatter",
                    "name": sid,
                    "x": [d.isoformat() for d in part["period"].to_list()],
                    "y": part["value"].to_list(),
                }
                for (sid,), part in frame.partition_by("series_id", as_dict=True).items()
            ]
            body = json.dumps({"data": traces, "layout": {}})
            if round_ >= args["warmup"]:
                times.append(clock() - mark)
        out["cases"][case["name"]] = {
            "data": times,
            "callback": times,
            "figure_bytes": len(body.encode()),
            "response_bytes": len(body.encode()),
            "points": frame.height if frame is not None else 0,
            "rows": frame.height if frame is not None else 0,
        }
    return out


#: The public views users read whole (the Overview, the grids, `tracker query`), each asked as a
#: plain ``SELECT *``; ``$ts`` is bound for the as-of cross-section.
VIEW_READS = {
    "latest": "SELECT * FROM latest",
    "series_summary": "SELECT * FROM series_summary",
    "trends": "SELECT * FROM trends",
    "revision_stats": "SELECT * FROM revision_stats",
    "asof": "SELECT * FROM asof($ts)",
}


def views(args: dict) -> dict:
    """Each view in `VIEW_READS` against a plain scan of a table holding its answer.

    The answer is materialised first and each is read once (untimed: buffer cache, imports),
    then the view and the table are read into Polars in turn, ``runs`` times each. The table is the
    least any way of answering can cost: the view's ratio to it is what computing the answer
    adds."""
    from tracker import db

    ts = datetime.fromisoformat(args["ts"])
    con = db.connect(args["db"], read_only=True)
    out: dict = {}
    for name in args["views"]:
        sql = VIEW_READS[name]
        params = {"ts": ts} if "$ts" in sql else {}
        mark = clock()
        con.execute(f"CREATE OR REPLACE TEMP TABLE answer AS {sql}", params)
        first = clock() - mark
        rows = con.execute("SELECT count(*) FROM answer").fetchall()[0][0]
        # One untimed read of each: the first hand-over to Polars imports pyarrow.
        con.sql(sql, params=params).pl()
        con.sql("SELECT * FROM answer").pl()
        times: dict[str, list[float]] = {"view": [], "table": []}
        for round_ in range(args["runs"]):
            order = [("view", sql, params), ("table", "SELECT * FROM answer", {})]
            for way, query, bound in order[round_ % 2 :] + order[: round_ % 2]:
                mark = clock()
                con.sql(query, params=bound).pl()
                times[way].append(clock() - mark)
        con.execute("DROP TABLE answer")
        out[name] = {**times, "rows": rows, "first": first}
    con.close()
    return out


TASKS = {
    "stages": stages,
    "compact": compact,
    "incremental": incremental,
    "queries": queries,
    "pandas_queries": pandas_queries,
    "once": once,
    "dashboard": dashboard,
    "views": views,
}

if __name__ == "__main__":
    result = TASKS[sys.argv[1]](json.loads(sys.argv[2]))
    sys.stdout.write("\n" + json.dumps(result, default=str) + "\n")
