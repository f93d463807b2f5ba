"""Render the results of `bench.run` as Markdown: targets first, then each measurement."""

from __future__ import annotations

from dataclasses import dataclass

from bench import stores

GIB = 2**30
MIB = 2**20

QUESTION_NAMES = {
    "latest_all": "`latest`, full cross-section",
    "latest_one": "`latest`, one series",
    "asof_all": "`asof(ts)`, full cross-section",
    "asof_one": "`asof(ts)`, one series",
}


#: Issue 7: appending is ≥ 30× faster than pandas + SQLite (it assumed ~10 s per million rows).
ISSUE_PANDAS_GAIN = 30.0
#: The same target re-based on this machine: tracker meeting its own target against the floor
#: (≤ 1.5×) is (pandas / floor) / 1.5 faster than pandas, and pandas / floor measured ~3.1–3.2×
#: here, so ≈ 2.1×, rounded down. See `_rebasing` for the wording the report prints.
REBASED_PANDAS_GAIN = 2.0
FLOOR_TARGET = 1.5
#: Issue 11: the 1M-row appends no slower against the floor than when it was filed.
FLOOR_LIMIT = {"canonical": 1.9, "fred": 2.7}
#: Issue 11: each view read whole costs at most this many times a plain scan of its answer.
ANSWER_TARGET = 2.0
#: Issue 11: `tracker serve` answers within this many seconds.
SERVE_TARGET = 3.0


@dataclass
class Check:
    """One target of issue 7: a ratio (or a number) and whether it meets the target."""

    key: str
    what: str
    measured: str
    value: float
    target: str
    ok: bool


def checks(r: dict) -> list[Check]:
    out = []
    for fmt, label in (("canonical", "canonical Parquet"), ("fred", "wide FRED CSV")):
        a = r["append"][fmt]
        tracker, floor, pandas = a["tracker"]["median"], a["floor"]["median"], a["pandas"]["median"]
        out.append(
            Check(
                f"append_floor_{fmt}",
                f"append {label}: tracker / floor",
                f"{tracker:.2f} s vs {floor:.2f} s",
                tracker / floor,
                f"≤ {FLOOR_LIMIT[fmt]:g}× (no slower than before; aim {FLOOR_TARGET:g}×)",
                tracker / floor <= FLOOR_LIMIT[fmt],
            )
        )
        # Issue 7's target stays visible; on a machine where even the floor cannot reach it,
        # the row says so with the measured reason, and a re-based target sits next to it.
        gain = pandas / floor
        unreachable = f" — not reachable here: bare DuckDB is {gain:.1f}× pandas+SQLite"
        out.append(
            Check(
                f"append_pandas_{fmt}",
                f"append {label}: pandas+SQLite / tracker (issue 7)",
                f"{pandas:.2f} s vs {tracker:.2f} s",
                pandas / tracker,
                f"≥ {ISSUE_PANDAS_GAIN:g}×" + (unreachable if gain < ISSUE_PANDAS_GAIN else ""),
                pandas / tracker >= ISSUE_PANDAS_GAIN,
            )
        )
        out.append(
            Check(
                f"append_pandas_rebased_{fmt}",
                f"append {label}: pandas+SQLite / tracker (re-based)",
                f"{pandas:.2f} s vs {tracker:.2f} s",
                pandas / tracker,
                f"≥ {REBASED_PANDAS_GAIN:g}× (the floor reaches {gain:.1f}×)",
                pandas / tracker >= REBASED_PANDAS_GAIN,
            )
        )
    inc = r["incremental"]
    for kind, label, unit in (("library", "in-process", 1000), ("cli", "CLI", 1)):
        empty, full = inc[kind]["empty"]["median"], inc[kind]["full"]["median"]
        shown = (
            f"{full * unit:.0f} ms vs {empty * unit:.0f} ms"
            if unit == 1000
            else (f"{full:.2f} s vs {empty:.2f} s")
        )
        out.append(
            Check(
                f"incremental_{kind}",
                f"1k-row append ({label}): full store / empty store",
                shown,
                full / empty,
                "≤ 1.5×",
                full / empty <= 1.5,
            )
        )
    queries = r["queries"]
    appended = queries["layouts"]["appended"]["questions"]
    # Runs before `tracker compact` existed called the sorted layout "ordered".
    compacted = (queries["layouts"].get("compacted") or queries["layouts"]["ordered"])["questions"]
    for question, ways in appended.items():
        view = ways["view"]["median"]
        best_name = queries["best"][question]
        best = ways[best_name]["median"]
        pandas = queries["pandas"]["questions"][question]["median"]
        out.append(
            Check(
                f"view_{question}",
                f"{QUESTION_NAMES[question]}: view / best hand-written",
                f"{_ms(view)} vs {_ms(best)} ({best_name})",
                view / best,
                "≤ 1.2×",
                view / best <= 1.2,
            )
        )
        if question.endswith("one"):
            # `tracker compact` is how the store is kept in order, so the one-series claim is
            # made on the compacted store; the append-order figure stays in view.
            on = compacted[question]["view"]["median"]
            layout = "compacted store"
            measured = (
                f"{_ms(pandas)} vs {_ms(on)} (append order: {_ms(view)}, {pandas / view:.1f}×)"
            )
        else:  # a full cross-section reads every row: judged in append order, as above
            on, layout, measured = view, "append order", f"{_ms(pandas)} vs {_ms(view)}"
        out.append(
            Check(
                f"pandas_{question}",
                f"{QUESTION_NAMES[question]}: pandas / view, {layout}",
                measured,
                pandas / on,
                "≥ 10×",
                pandas / on >= 10,
            )
        )
    for name, case in r["dashboard"]["cases"].items():
        p95 = case["callback"]["p95"] * 1000
        kib = case["figure_bytes"] / 1024
        out.append(
            Check(
                f"dash_p95_{name}",
                f"Explorer callback p95 (served), {name}",
                f"{p95:.0f} ms",
                p95,
                "≤ 100 ms",
                p95 <= 100,
            )
        )
        out.append(
            Check(
                f"dash_json_{name}",
                f"Explorer figure JSON, {name}",
                f"{kib:.0f} KiB",
                kib,
                "≤ 200 KB",
                case["figure_bytes"] <= 200 * 1000,
            )
        )
    out += _user_checks(r)
    big = r["big_append"]
    rss = big["tracker"]["rss"]
    out.append(
        Check(
            "memory_big_append",
            f"peak RSS appending {big['rows']:,} rows (tracker append)",
            f"{rss / GIB:.2f} GiB",
            rss / GIB,
            "≤ ~2 GB",
            rss <= 2 * GIB,
        )
    )
    return out


VIEW_NAMES = {
    "latest": "`latest`",
    "series_summary": "`series_summary`",
    "trends": "`trends`",
    "revision_stats": "`revision_stats`",
    "asof": "`asof(ts)` cross-section",
}


def _user_checks(r: dict) -> list[Check]:
    """Issue 11: the views read whole against their answer, start-up, and every page."""
    from bench.pages import TARGETS

    out = []
    for name, v in r.get("views", {}).get("views", {}).items():
        view, table = v["view"]["median"], v["table"]["median"]
        out.append(
            Check(
                f"answer_{name}",
                f"{VIEW_NAMES.get(name, name)}, read whole: view / plain scan of its answer",
                f"{_ms(view)} vs {_ms(table)} ({v['rows']:,} rows)",
                view / table,
                f"≤ {ANSWER_TARGET:g}×",
                view / table <= ANSWER_TARGET,
            )
        )
    pages = r.get("pages") or {}
    if not pages or "skipped" in pages:
        return out
    start = pages["serve_first_answer_s"]
    out.append(
        Check(
            "serve_start",
            "`tracker serve`: seconds until it answers",
            _s(start),
            start,
            f"≤ {SERVE_TARGET:g} s",
            start <= SERVE_TARGET,
        )
    )
    drawn = {n: p for n, p in pages["pages"].items() if "error" not in p}
    for name, page in pages["pages"].items():
        for visit, target in (("cold", TARGETS["cold"]), ("warm", TARGETS["warm"])):
            if name in drawn:
                value = page[f"{visit}_s"]
                measured = f"{value:.2f} s (median of {len(page[f'{visit}_runs'])})"
            else:  # not drawn at all: counted at the time it was given
                value = pages.get("timeout", 180.0)
                measured = f"not drawn within {value:.0f} s"
            out.append(
                Check(
                    f"page_{visit}_{name}",
                    f"{PAGE_NAMES.get(name, name)} page drawn, {visit} "
                    + ("(new browser context)" if visit == "cold" else "(reload)"),
                    measured,
                    value,
                    f"≤ {target:g} s",
                    name in drawn and value <= target,
                )
            )
    if drawn:
        for visit, key, target in (
            ("first", "first_bytes", TARGETS["first_bytes"]),
            ("repeat", "repeat_bytes", TARGETS["repeat_bytes"]),
        ):
            heaviest = max(drawn, key=lambda n: drawn[n][key])
            kb = drawn[heaviest][key] / 1000
            out.append(
                Check(
                    f"page_bytes_{visit}",
                    f"bytes transferred, {visit} visit, heaviest page "
                    f"({PAGE_NAMES.get(heaviest, heaviest)})",
                    f"{kb:,.0f} kB",
                    kb,
                    f"≤ {target / 1000:,.0f} kB",
                    drawn[heaviest][key] <= target,
                )
            )
    return out


PAGE_NAMES = {
    "overview": "Overview",
    "explore": "Explorer",
    "revisions": "Revisions",
    "releases": "Releases",
    "sql": "SQL",
}


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.1f} ms" if ms < 10 else f"{ms:,.0f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _spread(stat: dict) -> str:
    return f"±{stat['spread'] * 50:.0f}%" if stat["n"] > 1 else "1 run"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


#: What changed in the code since a published run, by that run's commit, per target (found by
#: profiling that run; see "Misses" for what is left). Only the entry for the ``--before`` run's
#: commit is shown: add one when a later run becomes the baseline.
CHANGES: dict[str, dict[str, str]] = {}
CHANGES["408f503"] = {
    "append_floor_canonical": (
        "the diff is computed into a DuckDB temporary table and inserted from there (the "
        "release no longer comes back to Polars); the checksum hashes sorted columns instead of "
        "rendering every row as CSV; one sort, duplicates found as adjacent rows; Parquet "
        "numbers are not re-parsed from text"
    ),
    "append_floor_fred": (
        "as above, plus: a wide file melted in order skips the sort and window functions of "
        "frequency inference and padding, blank rows are found in the line text instead of "
        "across ~4,000 columns, and one note replaces ~4,000 'registered' lines"
    ),
    "pandas_latest_one": "measured on the store `tracker compact` leaves (new command)",
    "pandas_asof_one": "measured on the store `tracker compact` leaves (new command)",
    "dash_p95_10-year daily series": (
        "one query for the drawn series, hover text in the trace's template instead of six "
        "strings per point, a point budget per figure"
    ),
    "dash_p95_20 monthly series": "as above",
    "dash_p95_20 monthly series, as of": "as above",
    "dash_json_20 monthly series": "a point budget per figure; constant hover parts per trace",
    "dash_json_20 monthly series, as of": "as above",
    "memory_big_append": (
        "no CSV rendering for the checksum, no diff copy in Polars, periods fitted on the key "
        "columns only, and writers cap DuckDB at 750MB (it spills beyond)"
    ),
}

KEPT_TRENDS = (
    "the kept `trends` rows, recomputed inside each append for the series it touched, compare "
    "each period with the one before and a year before by one lookup when that window is one "
    "period (`period_comparisons`), instead of unrolling every window into its periods and "
    "grouping them again"
)
KEPT_STATE = (
    "the kept state (issue 11): each append also brings the current state of every series it "
    "touched up to date in its own transaction (`current_observations`, `current_series`, "
    "`current_trends`, `release_series`), and a release carrying whole histories recomputes "
    "`trends` over every period of its series; the faster `period_comparisons` of this run "
    "took back part of it"
)
CHANGES["f3d3115"] = {
    "append_floor_canonical": KEPT_STATE,
    "append_floor_fred": "as above",
    "append_pandas_canonical": "as above",
    "append_pandas_rebased_canonical": "as above",
    "append_pandas_fred": "as above",
    "append_pandas_rebased_fred": "as above",
    "memory_big_append": "as above (the kept tables of 10 million new rows)",
    "view_latest_all": (
        "`latest` reads the kept `current_observations` instead of aggregating the history"
    ),
    "view_latest_one": "as above",
}
CHANGES["84173ec"] = {
    "append_floor_canonical": KEPT_TRENDS,
    "append_floor_fred": "as above",
    "incremental_library": "as above",
    "incremental_cli": "as above",
    "memory_big_append": "as above",
}

CHANGES["88f52fb"] = {
    "append_floor_canonical": (
        "the kept `trends` read each series' recent stretch (two years and 24 periods) and the "
        "whole history only where a streak reaches back (`trend_rows`), with one sort for their "
        "windows; `series_state` ranks each series' 12 newest periods only. A quiet machine this "
        "time (the run before shared its cores: load 7–15)"
    ),
    "append_floor_fred": "as above",
    "append_pandas_canonical": "as above",
    "append_pandas_rebased_canonical": "as above",
    "append_pandas_fred": "as above",
    "append_pandas_rebased_fred": "as above",
}


def _before_after(r: dict, before: dict | None) -> list[str]:
    """Each target in the earlier run (``--before``) and in this one, with what changed."""
    if before is None or before.get("size") != r["size"]:
        return []
    try:
        earlier = {c.key: c for c in checks(before)}
    except (KeyError, TypeError):
        return []
    commit = before.get("machine", {}).get("commit", "?")
    changes = CHANGES.get(commit, {})
    rows = []
    for check in checks(r):
        old = earlier.get(check.key)
        if old is None:
            continue
        unit = "×" if "×" in check.target else ""
        rows.append(
            [
                check.what,
                f"{old.value:,.2f}{unit}" + ("" if old.ok else " (miss)"),
                f"{check.value:,.2f}{unit}" + ("" if check.ok else " (miss)"),
                check.target.split(" — ")[0],
                changes.get(check.key, ""),
            ]
        )
    when = str(before.get("started", ""))[:16].replace("T", " ")
    return [
        "## Before and after",
        "",
        f"The same harness on {when} (commit {commit}) against this run. Both runs are noisy "
        "(see Machine and noise): a change inside the spread of the runs is not a change.",
        "",
        *_table(["Target", "Before", "After", "Target", "What changed"], rows),
    ]


def render(r: dict, *, before: dict | None = None) -> str:
    size = r["size"]
    all_checks = checks(r)
    missed = [c for c in all_checks if not c.ok]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench.run --size {size}` (`make bench` runs `--size full`) on "
        f"{str(r['started'])[:16].replace('T', ' ')}; the whole run took "
        f"{r['seconds'] / 60:.1f} min. Ratios, not absolute times, are the claim: every "
        "competitor ran in the same run, interleaved round by round, on the same files.",
        "",
    ]
    if size != "full":
        lines += [
            f"> **Size `{size}`: a smoke run.** The data is far smaller than the issue's sizes "
            "and runs are fewer; these numbers say nothing about performance.",
            "",
        ]
    passed = len(all_checks) - len(missed)
    lines += [f"## Targets: {passed} of {len(all_checks)} met", ""]
    lines += _table(
        ["", "Measured", "Ratio / value", "Target", "Result"],
        [
            [
                c.what,
                c.measured,
                f"{c.value:,.2f}" + ("×" if "×" in c.target else ""),
                c.target,
                "pass" if c.ok else "**miss**",
            ]
            for c in all_checks
        ],
    )
    lines += _before_after(r, before)
    lines += _rebasing(r)
    lines += _noise(r)
    lines += _data(r)
    lines += _append(r)
    lines += _incremental(r)
    lines += _queries(r)
    lines += _dashboard(r)
    lines += _memory(r)
    lines += _users(r)
    lines += _misses(r, missed)
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench                                   # = python -m bench.run --size full "
        "--out docs/benchmarks.md",
        "python -m bench.run --size tiny             # smoke run (CI runs it via tests/"
        "test_bench.py)",
        "python -m bench.run --render docs/benchmarks.json --before OLD.json "
        "--out docs/benchmarks.md",
        "```",
        "",
    ]
    return "\n".join(lines)


def _rebasing(r: dict) -> list[str]:
    """Why the append targets against pandas+SQLite have two rows, from this run's numbers."""
    parts = []
    gains = []
    for fmt, a in r["append"].items():
        pandas, floor = a["pandas"]["median"], a["floor"]["median"]
        gains.append(pandas / floor)
        parts.append(
            f"{fmt}: pandas+SQLite {_s(pandas)}, bare DuckDB {_s(floor)}, {pandas / floor:.1f}×"
        )
    rows = r["shape"]["append_rows"]
    if max(gains) < ISSUE_PANDAS_GAIN:
        verdict = (
            f"is at most {max(gains):.1f}× faster than pandas+SQLite, so no implementation "
            f"reaches {ISSUE_PANDAS_GAIN:g}× on this machine: that row stays, marked, as the "
            "issue's target."
        )
    else:
        verdict = f"is {min(gains):.1f}× faster or more, so the issue's target is reachable here."
    return [
        f"**Append against pandas+SQLite, re-based.** Issue 7 asked for ≥ "
        f"{ISSUE_PANDAS_GAIN:g}×, assuming pandas+SQLite needs ~10 s per million rows (an "
        "in-process measurement: 0.14 s vs 10.3 s). Here, whole processes appending the same "
        f"{rows:,} rows ({'; '.join(parts)}), even the floor — bare DuckDB with no validation, "
        f"diff or checksum — {verdict} The re-based row asks for what tracker gets if it "
        f"meets its own target against the floor (≤ {FLOOR_TARGET:g}×): pandas / floor "
        f"divided by {FLOOR_TARGET:g}. The full-size runs that set it measured pandas / floor "
        f"at 3.1–3.2×, i.e. ≈ 2.1×, rounded down to ≥ {REBASED_PANDAS_GAIN:g}× (this run: "
        f"{min(gains):.1f}–{max(gains):.1f}×, ÷ {FLOOR_TARGET:g} = "
        f"{min(gains) / FLOOR_TARGET:.1f}–{max(gains) / FLOOR_TARGET:.1f}×). It is a re-basing "
        "on this machine's measurements, not the issue's promise, and it moves with pandas' "
        "speed on the machine.",
        "",
    ]


def _noise(r: dict) -> list[str]:
    m = r["machine"]
    before, after = r["calibration_before"], r["calibration_after"]
    spreads = sorted(_all_spreads(r))
    median_spread = spreads[len(spreads) // 2] if spreads else 0.0
    drift = after["median"] / before["median"] - 1
    lines = ["## Machine and noise", ""]
    lines += _table(
        ["", ""],
        [
            ["CPU", f"{m['cpu']}, {m['cores']} cores"],
            ["Memory", f"{(m['memory'] or 0) / GIB:.1f} GiB"],
            ["OS / Python", f"{m['os']} / Python {m['python']}"],
            ["Libraries", f"duckdb {m['duckdb']}, polars {m['polars']}, pandas {m['pandas']}"],
            ["Code", f"commit {m['commit']}" + (" + uncommitted changes" if m["dirty"] else "")],
        ],
    )
    lines += [
        "Noise: the machine is shared (other jobs ran during the run). A fixed calibration "
        f"workload took {_ms(before['median'])} (spread ±{before['spread'] * 50:.0f}%) before "
        f"and {_ms(after['median'])} (±{after['spread'] * 50:.0f}%) after the run "
        f"({drift:+.0%} drift); load average {before['load'][0]:.1f} before, "
        f"{after['load'][0]:.1f} after. Across all measurements the half-range of the runs "
        f"around their median was ±{median_spread * 50:.0f}% typically and "
        f"±{(spreads[-1] if spreads else 0) * 50:.0f}% at worst (the ± columns below): ratios "
        "closer to their target than that are within noise.",
        "",
    ]
    return lines


def _all_spreads(r: dict) -> list[float]:
    out = []
    for fmt in r["append"].values():
        out += [w["spread"] for w in fmt.values() if w["n"] > 1]
    for kind in ("library", "cli"):
        out += [s["spread"] for s in r["incremental"][kind].values() if s["n"] > 1]
    for layout in r["queries"]["layouts"].values():
        for ways in layout["questions"].values():
            out += [s["spread"] for s in ways.values() if s["n"] > 1]
    out += [s["spread"] for s in r["queries"]["pandas"]["questions"].values() if s["n"] > 1]
    return out


def _data(r: dict) -> list[str]:
    d = r["data"]
    shape = r["shape"]
    freq = d["frequencies"]
    return [
        "## Data",
        "",
        f"Synthetic, generated per run (`bench/synth.py`): {d['store_series']:,} series "
        f"({freq.get('M', 0):,} monthly, {freq.get('Q', 0):,} quarterly, {freq.get('A', 0):,} "
        f"annual, {freq.get('D', 0):,} business-daily with {shape['daily_years']} years), up to "
        f"{shape['months']} months of history, {shape['vintages']} monthly vintages from 20 "
        "publishers (one release each per vintage): each vintage adds the new periods and "
        "revises each of the last 6 monthly / 2 quarterly / 1 annual values with probability "
        f"1/2, and the middle vintage is a benchmark revision of {shape['benchmark_share']:.0%} "
        "of the history (0.1 % of those deleted). Only added or changed values are stored, as "
        f"`tracker append` does: **{d['store_rows']:,} observation-vintages** for "
        f"{d['store_periods']:,} (series, period) pairs in {d['store_releases']} releases "
        f"({d['store_bytes'] / MIB:,.0f} MiB store). `asof` is asked at {d['as_of'][:16]}.",
        "",
        f"Append files: the first release of {d['canonical_series']:,} series as canonical "
        f"Parquet ({d['bytes release.parquet'] / MIB:.1f} MiB; the same rows as CSV for "
        f"pandas, {d['bytes release.csv'] / MIB:.1f} MiB) and a FRED `fredgraph.csv` of "
        f"{d['fred_series']:,} columns × 480 monthly rows, mixed M/Q/A "
        f"({d['bytes fredgraph.csv'] / MIB:.1f} MiB); both hold {r['shape']['append_rows']:,} "
        "observations.",
        "",
    ]


def _append(r: dict) -> list[str]:
    lines = [
        "## 1. Append",
        "",
        "Each way runs in a fresh process into a fresh copy of the same store (catalogue "
        "defined for the canonical file, empty for FRED, which registers its series). "
        "**tracker**: the `tracker append` CLI. **floor**: bare DuckDB in Python "
        "(`bench/floor.py`): `INSERT … SELECT` from `read_parquet`/`read_csv` with period codes "
        "turned into dates and period ends, one release row, FRED series registered — no "
        "validation, diff, checksum or sort. **pandas**: `read_csv` + `to_sql` into SQLite "
        "(the canonical rows read from the CSV copy; FRED melted and empty cells dropped).",
        "",
    ]
    rows = []
    for fmt, ways in r["append"].items():
        tracker = ways["tracker"]["median"]
        for way, s in ways.items():
            rows.append(
                [
                    fmt,
                    way,
                    _s(s["median"]),
                    f"{_s(s['min'])} – {_s(s['max'])}",
                    _spread(s),
                    f"{s['rows']:,}",
                    f"{s['rss'] / MIB:,.0f} MiB",
                    f"{s['median'] / tracker:.2f}×",
                ]
            )
    lines += _table(
        ["File", "Way", "Median", "Min – max", "±", "Rows stored", "Peak RSS", "vs tracker"], rows
    )
    lines += ["Where `tracker append` spends its time (one in-process run of the same steps):", ""]
    stages = r["stages"]
    formats = [f for f in stages if f not in ("process", "rss")]
    names = list(dict.fromkeys(k for f in formats for k in stages[f]))
    lines += _table(
        ["Step", *formats],
        [[name, *(_s(stages[f].get(name, 0.0)) for f in formats)] for name in names],
    )
    lines += [
        f"Imports are paid once, by the first file. The worker doing both took "
        f"{_s(stages['process'])} (peak RSS {stages['rss'] / MIB:,.0f} MiB).",
        "",
        "The work alone, without interpreter start and imports (tracker: read + open + "
        "`append_releases` + close from the run above; floor and pandas: their own timer, "
        "median):",
        "",
    ]
    rows = []
    for fmt in formats:
        a = r["append"][fmt]
        tracker = sum(
            stages[fmt].get(k, 0.0)
            for k in ("read file", "open + migrate + views", "append_releases total", "close")
        )
        floor, pandas = a["floor"]["work"], a["pandas"]["work"]
        rows.append(
            [
                fmt,
                _s(tracker),
                _s(floor),
                _s(pandas),
                f"{tracker / floor:.1f}×",
                f"{pandas / tracker:.1f}×",
                f"{pandas / floor:.1f}×",
                f"{a['pandas']['median'] / a['floor']['median']:.1f}×",
            ]
        )
    lines += _table(
        [
            "File",
            "tracker",
            "floor",
            "pandas",
            "tracker / floor",
            "pandas / tracker",
            "pandas / floor",
            "pandas / floor, whole processes",
        ],
        rows,
    )
    return lines


def _incremental(r: dict) -> list[str]:
    inc = r["incremental"]
    rows = []
    for name in ("empty", "mid", "full"):
        lib, cli = inc["library"][name], inc["cli"][name]
        rows.append(
            [
                name,
                f"{inc['store_rows'][name]:,}",
                _ms(lib["median"]),
                _spread(lib),
                f"{lib['median'] / inc['library']['empty']['median']:.2f}×",
                _s(cli["median"]),
                _spread(cli),
                f"{cli['median'] / inc['cli']['empty']['median']:.2f}×",
                f"{cli['rss'] / MIB:,.0f} MiB",
            ]
        )
    return [
        "## 2. Incremental append",
        "",
        f"A release of {inc['rows_per_release']:,} rows ({inc['rows_per_release'] // 10} monthly "
        "series: one new month, nine revised) into a store holding no observations (same "
        "catalogue), the middle store and the full query store. In-process: `formats.read` + "
        "`append_releases` on an open connection (one worker; its first release is a warm-up). "
        "CLI: `tracker append` in a fresh process. Successive releases, later publication "
        "dates.",
        "",
        *_table(
            [
                "Store",
                "Observations after",
                "In-process median",
                "±",
                "vs empty",
                "CLI median",
                "±",
                "vs empty",
                "CLI peak RSS",
            ],
            rows,
        ),
    ]


def _queries(r: dict) -> list[str]:
    qr = r["queries"]
    layouts = qr["layouts"]
    appended = layouts["appended"]["questions"]
    lines = [
        "## 3. As-of and latest",
        "",
        f"Over the full store; one series = `{qr['series_id']}`. Every way returns the same rows "
        "(deletions removed) ordered by series and period into a Polars frame (`.pl()`), "
        "which the digests below confirm. **view**: the SQL `tracker/queries.py` runs over "
        "the shipped views. Hand-written forms (`bench/queries.py`), the releases known at "
        "`ts` as a semi-join and `published_at` joined after the aggregate: `arg_max` per "
        "column; `row_number()` with `QUALIFY`; `max(release_id)` joined back. Before the "
        "timed rounds the view ran once untimed (buffer cache warm for every way); then the "
        "ways ran interleaved. **pandas**: the joined table in memory "
        "(loading it is not timed: "
        f"{qr['pandas']['load']:.1f} s), filter by release date, sort, groupby-last (as "
        "fredapi users do). The store in append order, as `tracker append` leaves it; the "
        "last two columns divide pandas by the view in append order and on the compacted "
        "store (after `tracker compact`, see Physical order). The targets judge one series on "
        "the compacted store, full cross-sections in append order.",
        "",
    ]
    compacted = layouts["compacted"]["questions"]
    ways = list(next(iter(appended.values())))
    header = [
        "Question", *ways, "pandas", "view / best", "pandas / view", "pandas / view, compacted",
    ]  # fmt: skip
    rows = []
    for question, measured in appended.items():
        best = qr["best"][question]
        pandas = qr["pandas"]["questions"][question]
        rows.append(
            [
                QUESTION_NAMES[question],
                *(_ms(measured[w]["median"]) + (" ★" if w == best else "") for w in ways),
                _ms(pandas["median"]),
                f"{measured['view']['median'] / measured[best]['median']:.2f}×",
                f"{pandas['median'] / measured['view']['median']:.1f}×",
                f"{pandas['median'] / compacted[question]['view']['median']:.1f}×",
            ]
        )
    lines += _table(header, rows)
    lines += ["★ = best hand-written form. Spread of the runs (±):", ""]
    lines += _table(
        ["Question", *ways, "pandas"],
        [
            [
                QUESTION_NAMES[qn],
                *(_spread(m[w]) for w in ways),
                _spread(qr["pandas"]["questions"][qn]),
            ]
            for qn, m in appended.items()
        ],
    )
    same = _digests_agree(qr)
    lines += [
        "Same answer: "
        + (
            "every way returned identical digests (rows, value sum, release-id "
            "sum, first and last key)."
            if not same
            else "**digests differ** for " + ", ".join(same) + "."
        ),
        "",
        "### Physical order",
        "",
        "The same rows stored three ways: **appended** (what `tracker append` produces: each "
        "release sorted by series and period, releases in publication order), **compacted** "
        "(a copy of the appended store after the real `tracker compact`: rows in series, "
        "period, release order) and **shuffled**. The shipped views, median of the same runs:",
        "",
    ]
    names = stores.ALL_LAYOUTS
    medians = {
        question: {
            layout: layouts[layout]["questions"][question]["view"]["median"] for layout in names
        }
        for question in appended
    }
    lines += _table(
        ["View", *names, "appended / compacted", "shuffled / compacted"],
        [
            [
                QUESTION_NAMES[question],
                *(_ms(m[layout]) for layout in names),
                f"{m['appended'] / m['compacted']:.2f}×",
                f"{m['shuffled'] / m['compacted']:.2f}×",
            ]
            for question, m in medians.items()
        ],
    )
    one = medians["latest_one"]
    lines += [
        "Sorting each release before inserting it (what `tracker append` does) keeps part of "
        "the benefit: one series via `latest` costs "
        f"{one['appended'] / one['compacted']:.1f}× the compacted store in append order "
        f"against {one['shuffled'] / one['compacted']:.1f}× when the rows are shuffled, "
        "because each series then lies in one short run per release and zone maps skip the "
        "rest. `tracker compact` recovers the remainder; the gap grows as releases accumulate.",
        "",
        *_compaction(r),
    ]
    return lines


def _compaction(r: dict) -> list[str]:
    c = r["compact"]
    qr = r["queries"]
    steps = c["steps"]
    step_names = {
        "checking": "check order, open for writing",
        "sorting": "sort into a temporary copy",
        "writing": "replace the rows",
        "committing": "commit",
        "checkpointing": "checkpoint, close",
    }
    saved = {
        question: qr["layouts"]["appended"]["questions"][question]["view"]["median"]
        - qr["layouts"]["compacted"]["questions"][question]["view"]["median"]
        for question in ("latest_one", "asof_one")
    }
    shown = ", ".join(
        f"{label} {_s(steps[name])}" for name, label in step_names.items() if name in steps
    )
    rows = [
        ["Rows", f"{c['rows']:,} (in order before: the first {c['ordered_rows']:,})"],
        [
            f"`tracker compact`, whole process (median of {c['process']['n']})",
            f"{_s(c['process']['median'])} ({_s(c['process']['min'])} – "
            f"{_s(c['process']['max'])}), peak RSS {c['rss'] / MIB:,.0f} MiB",
        ],
        [
            "of which the compaction itself",
            f"{_s(c['work']['median'])}: {shown}",
        ],
        [
            "File (data)",
            f"{c['file_bytes_before'] / MIB:,.1f} MiB → {c['file_bytes_after'] / MIB:,.1f} MiB "
            f"({c['data_bytes_before'] / MIB:,.1f} MiB → {c['data_bytes_after'] / MIB:,.1f} MiB "
            "of data; the rest is freed space that later writes reuse)",
        ],
        [
            "`tracker compact` again (already in order: the check alone)",
            f"{_s(c['again']['wall'])}, whole process",
        ],
    ]
    lines = [
        "#### Compaction",
        "",
        "`tracker compact` on fresh copies of the appended store, each in a fresh worker doing "
        "what the CLI does (imports included in the whole-process time); the last copy is the "
        "compacted store measured above.",
        "",
        *_table(["", ""], rows),
    ]
    if saved["latest_one"] > 0:
        lines += [
            f"A compaction takes as long as {c['work']['median'] / saved['latest_one']:,.0f} "
            "one-series `latest` questions save on the compacted store "
            f"({_ms(saved['latest_one'])} each).",
            "",
        ]
    return lines


def _digests_agree(qr: dict) -> list[str]:
    bad = []
    for question in QUESTION_NAMES:
        seen = {}
        for layout, data in qr["layouts"].items():
            for way, s in data["questions"][question].items():
                seen[f"{layout} {way}"] = s["digest"]
        seen["pandas"] = qr["pandas"]["questions"][question]["digest"]
        if len({repr(v) for v in seen.values()}) > 1:
            bad.append(question)
    return bad


def _dashboard(r: dict) -> list[str]:
    d = r["dashboard"]
    mode = d["mode"]
    if mode == "callback":
        how = (
            "The Explorer page's own `draw` callback (`dashboards/pages/explore.py`), called as "
            "Dash calls it — `explore_data.explore` (the views, the server-side min/max "
            "downsampling with one point budget per figure) plus `figures.line_chart` — and its "
            "outputs serialised with plotly's JSON encoder, as Dash does. **served**: as `tracker "
            "serve` and gunicorn run it, reading a snapshot of the store through one "
            "connection per process (the target is judged here); **per call**: a read-only "
            "connection opened and closed for each call, as the dashboard does without a "
            "server (~30 ms of opening, then a cold read). **data** is the time spent in "
            "`explore_data.explore` within each call. Event markers and policy regimes on; the "
            "store in append order (not compacted)."
        )
    else:
        how = (
            f"**The dashboard could not be imported ({mode}):** measured instead the SQL the "
            "Explorer runs — `asof` for the series plus min/max per bucket — and a plain dict "
            "figure."
        )
    rows = []
    for name, c in d["cases"].items():
        rows.append(
            [
                name,
                f"{c['rows']:,}",
                f"{c['points']:,}",
                f"{_ms(c['data']['median'])} / {_ms(c['data']['p95'])}",
                f"{_ms(c['callback']['median'])} / {_ms(c['callback']['p95'])}",
                (
                    f"{_ms(c['per_call_callback']['median'])} / "
                    f"{_ms(c['per_call_callback']['p95'])}"
                    if "per_call_callback" in c
                    else "–"
                ),
                f"{c['figure_bytes'] / 1024:,.0f} KiB",
                f"{c['response_bytes'] / 1024:,.0f} KiB",
            ]
        )
    return [
        "## 4. Dashboard",
        "",
        how + f" {r['shape']['dash_runs']} calls per case after a warm-up, on the full store.",
        "",
        *_table(
            [
                "Case",
                "Rows read",
                "Points drawn",
                "served: data p50 / p95",
                "served: callback p50 / p95",
                "per call: callback p50 / p95",
                "Figure JSON",
                "Whole response",
            ],
            rows,
        ),
    ]


def _users(r: dict) -> list[str]:
    """Issue 11's measurements: the views read whole, `tracker serve` start-up, every page."""
    lines = ["## 6. What users meet: views read whole, start-up, pages", ""]
    views = r.get("views")
    if views:
        lines += [
            "### Views read whole",
            "",
            "Each view read whole into Polars (`SELECT * FROM view`, `asof` at "
            f"{views['as_of'][:16].replace('T', ' ')}) against a plain scan of a temporary "
            "table holding the same rows (created from the view first, untimed), interleaved "
            "in one worker on the appended store. The table is the least any way of answering "
            "can cost; the ratio is what computing the answer adds.",
            "",
        ]
        rows = []
        for name, v in views["views"].items():
            rows.append(
                [
                    VIEW_NAMES.get(name, name),
                    f"{v['rows']:,}",
                    _ms(v["view"]["median"]),
                    _spread(v["view"]),
                    _ms(v["table"]["median"]),
                    f"{v['view']['median'] / v['table']['median']:.2f}×",
                ]
            )
        lines += _table(
            ["View", "Rows", "View", "±", "Plain scan of the answer", "View / scan"], rows
        )
    pages = r.get("pages")
    if not pages:
        return lines
    lines += ["### `tracker serve` and the pages in Chromium", ""]
    if "skipped" in pages:
        return [*lines, f"Not measured: {pages['skipped']}.", ""]
    lines += [
        "`bench/pages.py` starts `tracker serve` on the appended store and measures the time "
        "from starting the process to its first HTTP 200 on `/`: "
        f"**{pages['serve_first_answer_s']:.2f} s**. Then each page in Debian's Chromium "
        "(Playwright, headless, 1280×800): **cold** in a new browser context (empty cache), "
        "then **warm** by reloading in the same context, "
        f"{pages['runs']} time(s) each; the time is from the start of navigation until the "
        "page's main content is drawn (its chart traces, grid rows or heatmap, measured in "
        "the page), the bytes are what the network transferred (compressed bodies and "
        "headers) until it was idle.",
        "",
    ]
    rows = []
    for name, page in pages["pages"].items():
        label = f"{PAGE_NAMES.get(name, name)} (`{page.get('path', '')}`)"
        if "error" in page:
            rows.append([label, f"not drawn: {page['error']}", "", "", "", ""])
            continue
        rows.append(
            [
                label,
                f"{page['cold_s']:.2f} s",
                ", ".join(f"{t:.2f}" for t in page["cold_runs"]),
                f"{page['warm_s']:.2f} s",
                ", ".join(f"{t:.2f}" for t in page["warm_runs"]),
                f"{page['first_bytes'] / 1000:,.0f} kB / {page['repeat_bytes'] / 1000:,.1f} kB",
            ]
        )
    lines += _table(
        ["Page", "Cold (median)", "Cold runs (s)", "Warm (median)", "Warm runs (s)",
         "Bytes: first / repeat visit"],
        rows,
    )  # fmt: skip
    measured = set(pages["pages"])
    left = [PAGE_NAMES[n] for n in PAGE_NAMES if n not in measured]
    if left:
        lines += [f"Not measured at this size: {', '.join(left)}.", ""]
    return lines


def _memory(r: dict) -> list[str]:
    rows = []
    for fmt, ways in r["append"].items():
        for way, s in ways.items():
            rows.append(
                [
                    f"append {r['shape']['append_rows']:,} rows, {fmt}, {way}",
                    f"{s['rss'] / MIB:,.0f} MiB",
                ]
            )
    big = r["big_append"]
    for way in ("tracker", "floor"):
        rows.append(
            [
                f"append {big['rows']:,} rows, canonical, {way} ({_s(big[way]['time'])})",
                f"{big[way]['rss'] / MIB:,.0f} MiB",
            ]
        )
    inc = r["incremental"]
    rows.append(["incremental, CLI, full store", f"{inc['cli']['full']['rss'] / MIB:,.0f} MiB"])
    rows.append(
        ["incremental, in-process worker (all stores)", f"{inc['library_rss'] / MIB:,.0f} MiB"]
    )
    for key, m in r["queries"]["memory"].items():
        question, way = key.split(" ", 1)
        rows.append(
            [f"{QUESTION_NAMES[question]}, {way}, alone in a process", f"{m['rss'] / MIB:,.0f} MiB"]
        )
    rows.append(
        [
            "pandas: whole table loaded + the four questions",
            f"{r['queries']['pandas']['rss'] / MIB:,.0f} MiB",
        ]
    )
    rows.append(
        ["queries worker (every layout, question and way)", f"{r['queries']['rss'] / MIB:,.0f} MiB"]
    )
    rows.append(["dashboard worker (all cases)", f"{r['dashboard']['rss'] / MIB:,.0f} MiB"])
    return [
        "## 5. Memory",
        "",
        "Peak resident set size of each process (Linux `wait4` rusage, the child's own peak), "
        "including the interpreter and its imports.",
        "",
        *_table(["Process", "Peak RSS"], rows),
    ]


def _misses(r: dict, missed: list[Check]) -> list[str]:
    if not missed:
        return ["## Misses", "", "None.", ""]
    lines = [
        "## Misses: why, and what would close them",
        "",
        "Causes found by profiling (pyinstrument on the CLI and the dashboard callback, EXPLAIN "
        "ANALYZE on the views) of the code measured here; what has already been fixed is in "
        "Before and after.",
        "",
    ]
    seen = set()
    for check in missed:
        for prefix, (title, explain) in WHY.items():
            if check.key.startswith(prefix) and prefix not in seen:
                seen.add(prefix)
                affected = [c.what for c in missed if c.key.startswith(prefix)]
                lines += [f"### {title}", "", "Misses: " + "; ".join(affected) + ".", ""]
                lines += [explain(r), ""]
    unexplained = [c for c in missed if not any(c.key.startswith(p) for p in WHY)]
    for check in unexplained:
        lines += [f"### {check.what}", "", "Not analysed yet.", ""]
    return lines


# Why each kind of miss happens and what would close it. The causes come from profiling the
# code as it was when this file was written (pyinstrument on the CLI and the dashboard callback,
# EXPLAIN ANALYZE on the views); the numbers quoted come from the run being reported.


def _why_append_floor(r: dict) -> str:
    canonical = r["stages"]["canonical"]
    fred = r["stages"]["fred"]
    read, validate = canonical.get("read file", 0.0), canonical.get("catalogue + validate", 0.0)
    diff = canonical.get("checksum + order check + diff", 0.0)
    return "\n".join(
        [
            "Where the time goes (the stage table in section 1, and pyinstrument on the CLI): "
            f"the work the floor does not do — reading into Polars ({_s(read)} canonical, "
            f"{_s(fred.get('read file', 0.0))} FRED, whose wide file is melted, its frequencies "
            f"inferred and its padding dropped), validation ({_s(validate)}: periods fitted "
            "per series frequency, statuses, duplicates), the checksum and the diff against the "
            f"store ({_s(diff)}) — and start-up: {_s(canonical.get('import', 0.0))} of imports "
            "(polars, duckdb, click, rich) plus ~0.2 s for pyarrow and numpy on the first "
            "exchange with DuckDB, against ~0.15 s for the floor's `import duckdb`. The insert "
            "itself, sorted by series and period, costs what the floor's does plus the sort.",
            "",
            "Since the kept state (issue 11), the same transaction also brings the current "
            "state of every series the release touched up to date, and for a release that "
            "carries whole histories that costs more than everything else: profiled on this "
            "machine (1,000,000 canonical rows of 4,801 series into a store holding only "
            "their catalogue, at commit 84173ec), `state.apply_release` took 10.1 s of a "
            "12.5 s append, 8.0 s of it recomputing the `trends` rows (`trends_asof` over "
            "every period of those series: `period_comparisons` 4.5 s, then the streak and "
            "window statistics); the stage table counts it in 'insert + kept state'. To close it: "
            "recompute `trends` from the last periods of each series only (its statistics "
            "look back at most 12 periods; only a streak can reach further, and it can be "
            "carried in the kept row).",
            "",
            "What would close the rest: read the canonical file with DuckDB itself "
            "(`read_parquet` / `read_csv` into a temporary table) and run the period, status "
            "and duplicate checks as SQL that returns only offending rows (Polars then words "
            "the errors), so the release never crosses into Python; and a stable columnar "
            "hash that needs neither pyarrow nor numpy. For the FRED file, a melt in DuckDB "
            "(`UNPIVOT`) with the frequency rules in SQL.",
        ]
    )


def _why_append_pandas(r: dict) -> str:
    lines = []
    for fmt, a in r["append"].items():
        lines.append(
            f"{fmt}: pandas+SQLite took {_s(a['pandas']['median'])}, tracker "
            f"{_s(a['tracker']['median'])}, the floor {_s(a['floor']['median'])} (pandas / "
            f"floor = {a['pandas']['median'] / a['floor']['median']:.1f}×, whole processes)"
        )
    return "\n".join(
        [
            "pandas 3 with SQLite is much faster here than the ~10 s per million rows the issue "
            "assumed: " + "; ".join(lines) + f". So ≥ {ISSUE_PANDAS_GAIN:g}× is out of reach "
            "even for bare DuckDB in a fresh process: the target came from in-process numbers "
            "(0.14 s vs 10 s), and interpreter start plus imports alone cost tracker more than "
            "a tenth of pandas' whole run (the table of work without start-up in section 1 "
            "gives the in-process ratios). The re-based target (under the targets table) is "
            f"what meeting ≤ {FLOOR_TARGET:g}× of the floor would give; what closes the gap to "
            "pandas is what closes the gap to the floor (previous section).",
        ]
    )


def _why_incremental(r: dict) -> str:
    inc = r["incremental"]
    return (
        "Since the kept state (issue 11), each append also recomputes the kept rows of the "
        "series it touched: profiled on a 1,000,000-row store, a 1,000-row release of 100 "
        "series spent 0.41 s of its 0.54 s in `state.apply_release` recomputing their `trends` "
        "rows (every period of those series, so it grows with their history) and 0.10 s in "
        "`series_state`. "
        "The in-process append also reads the store twice per release: `_diff` aggregates the "
        "touched series' history (`WHERE series_id IN (SELECT series_id FROM touched)`) and "
        "`_order_problem` joins their observations with `releases`. Both scan the "
        "observations' column segments unless zone maps skip them; in append order each "
        "release's rows are sorted by series, so the row groups holding other series can be "
        "skipped only if the series filter reaches the scan as a range. Full store: "
        f"{_ms(inc['library']['full']['median'])} vs {_ms(inc['library']['empty']['median'])} "
        "empty. Fix: filter on `series_id BETWEEN min AND max` of the release (plus the IN) so "
        "the scan prunes row groups, and keep the table compacted (see Physical order)."
    )


def _why_views(r: dict) -> str:
    qr = r["queries"]
    appended = qr["layouts"]["appended"]["questions"]
    parts = []
    for question, ways in appended.items():
        best = qr["best"][question]
        parts.append(
            f"{QUESTION_NAMES[question]}: view {_ms(ways['view']['median'])}, {best} "
            f"{_ms(ways[best]['median'])}"
        )
    return "\n".join(
        [
            "; ".join(parts) + ".",
            "",
            "The views use one `arg_max` per column (the releases known at `ts` as a "
            "semi-join, `releases` joined after the aggregate), the fastest form for one "
            "series — the question the CLI, the API and the dashboard ask most — and within "
            "noise of the best for `latest`. For a full `asof` cross-section `max(release_id)` "
            "joined back to the rows is faster (it aggregates one narrow column, then joins "
            "5 million rows), but the same form is about twice as slow for one series; one "
            "macro cannot be both. What would close it: let `asof` pick the form by whether a "
            "series filter is given (two macros behind one name), or the validity interval "
            "described under 'The views against pandas', which makes both forms a filter.",
        ]
    )


def _why_pandas_queries(r: dict) -> str:
    qr = r["queries"]
    layouts = qr["layouts"]
    parts = []
    for question in ("latest_one", "asof_one"):
        appended = layouts["appended"]["questions"][question]["view"]["median"]
        compacted = layouts["compacted"]["questions"][question]["view"]["median"]
        pandas = qr["pandas"]["questions"][question]["median"]
        parts.append(
            f"{QUESTION_NAMES[question]}: pandas {_ms(pandas)}, the view {_ms(compacted)} on "
            f"the compacted store ({pandas / compacted:.1f}×) and {_ms(appended)} in append "
            f"order ({pandas / appended:.1f}×)"
        )
    answer = qr.get("answer_only", {})
    bounds = []
    for question in ("latest_all", "asof_all"):
        if question in answer:
            only = answer[question]["median"]
            pandas = qr["pandas"]["questions"][question]["median"]
            bounds.append(
                f"{QUESTION_NAMES[question]} {_ms(only)}, at most {pandas / only:.1f}× pandas"
            )
    bound = (
        " Sorting and handing over the answer alone, already computed and stored in a "
        "temporary table, takes: " + "; ".join(bounds) + ". No way of computing the answer "
        "can be 10× pandas on this machine."
        if bounds
        else ""
    )
    return (
        "Full cross-sections: both sides produce ~5 million rows, ordered by series and "
        "period; pandas sorts the table it already holds in memory (loading it took "
        f"{qr['pandas']['load']:.1f} s and is not timed) while the view aggregates 10 million "
        "rows on 2 cores, sorts the result and hands it to Polars." + bound + " What would "
        "bring the view closer to that bound: a validity interval per row (the release that "
        "superseded it, set when a newer version is appended), which turns `latest` and "
        "`asof` into filters instead of a 5-million-group aggregate. One series: "
        + "; ".join(parts)
        + ". In append order each series is spread over a row group per release; after "
        "`tracker compact` zone maps skip all but one or two row groups, and what remains is "
        "the view's fixed cost (binding the macro, the semi-join with `releases`, the "
        "transfer to Polars). Rows appended after a compaction are in append order again "
        "until the next one."
    )


def _why_dashboard_time(r: dict) -> str:
    cases = r["dashboard"]["cases"]
    parts = [
        f"{name}: data {_ms(c['data']['median'])} of {_ms(c['callback']['median'])} "
        f"(median, served), {c['points']:,} points"
        for name, c in cases.items()
    ]
    return "\n".join(
        [
            "; ".join(parts) + ".",
            "",
            "pyinstrument on `draw`: `explore_data.explore` runs one catalogue query and one data "
            "query for all drawn series; what remains is the scan of the store in append order "
            "(each series spread over a row group per release: on a compacted store the 20-series "
            "case was ~25 ms faster), planning the SQL macros (~40–50 ms for a transformed "
            "chart, a few ms per helper macro), and building the figure. Without a server each "
            "call also opens the store (~30 ms) and reads it cold. What would close it: "
            "`tracker compact` on a schedule, and fewer, flatter helper macros in "
            "`period_comparisons`.",
        ]
    )


def _why_dashboard_json(r: dict) -> str:
    parts = [
        f"{name}: {c['figure_bytes'] / max(c['points'], 1):.0f} bytes per point × "
        f"{c['points']:,} points"
        for name, c in r["dashboard"]["cases"].items()
    ]
    return (
        "; ".join(parts)
        + ". The budget (`data.MAX_POINTS`) is shared by the traces of a figure and each point "
        "carries its period label, release and published day; a trace whose releases come "
        "from different sources also carries the source per point. What would close it: "
        "a smaller budget, or the release details fetched on hover instead of sent with "
        "every point."
    )


def _why_memory(r: dict) -> str:
    big = r["big_append"]
    return (
        f"tracker peaked at {big['tracker']['rss'] / GIB:.1f} GiB for {big['rows']:,} rows "
        f"(the floor: {big['floor']['rss'] / MIB:,.0f} MiB). Polars holds the release while it "
        "is read and validated (text columns, the sorted frame with period dates), and DuckDB "
        "holds the diff and sorts it for the insert, capped at 750MB for writers "
        "(`TRACKER_MEMORY_LIMIT`; it spills beyond). What would close it: the same change as "
        "for the floor — the file read and checked inside DuckDB, so only problem rows reach "
        "Polars."
    )


def _why_answers(r: dict) -> str:
    parts = [
        f"{VIEW_NAMES.get(n, n)} {_ms(v['view']['median'])} against {_ms(v['table']['median'])}"
        f" for its {v['rows']:,} rows ({v['view']['median'] / v['table']['median']:.1f}×)"
        for n, v in r["views"]["views"].items()
        if v["view"]["median"] > ANSWER_TARGET * v["table"]["median"]
    ]
    return (
        "; ".join(parts) + ". `latest`, `series_summary`, `trends` and `revision_stats` read "
        "the kept state (`current_*` tables, kept up to date by each append for the series it "
        "touches); what remains over the plain scan is the views' joins (the catalogue, "
        "`releases` for `published_at`) and casts. `asof(ts)` for a past date is computed from "
        "`observations` on every call (one `arg_max` per column over the releases known at "
        "`ts`), so it costs what the history costs, not what the answer costs: closing that "
        "needs a validity interval per row (the release that superseded it), which makes it "
        "a filter."
    )


def _why_pages(r: dict) -> str:
    pages = r["pages"]
    slow = [
        f"{PAGE_NAMES.get(n, n)} cold {p['cold_s']:.2f} s / warm {p['warm_s']:.2f} s"
        for n, p in pages["pages"].items()
        if "error" not in p
    ]
    missing = [PAGE_NAMES.get(n, n) for n, p in pages["pages"].items() if "error" in p]
    text = "Measured: " + "; ".join(slow) + "." if slow else ""
    if missing:
        text += f" Not drawn within the time limit: {', '.join(missing)}."
    return text + (
        " The time runs from navigation to the main content drawn: the Dash renderer and "
        "plotly.js are parsed and run on every cold visit (a warm visit revalidates them), "
        "then the page's layout and its callbacks each make a round trip to the server, which "
        "reads the kept state or one series. The measurement shares the machine's two cores "
        "with the browser, the server and whatever else runs; the runs' spread is in the "
        "table of section 6."
    )


def _why_serve(r: dict) -> str:
    return (
        f"`tracker serve` answered after {r['pages']['serve_first_answer_s']:.2f} s: "
        "interpreter start, imports of Dash, Plotly and the pages, opening the store's "
        "snapshot, and the first render of `/`."
    )


WHY = {
    "answer_": ("Views read whole against their answer", _why_answers),
    "page_": ("Pages in the browser", _why_pages),
    "serve_start": ("`tracker serve` start-up", _why_serve),
    "append_floor": ("`tracker append` against the floor", _why_append_floor),
    "append_pandas": ("Append against pandas+SQLite", _why_append_pandas),
    "incremental": ("Incremental append grows with the store", _why_incremental),
    "view_": ("The views against the best hand-written SQL", _why_views),
    "pandas_": ("The views against pandas", _why_pandas_queries),
    "dash_p95": ("Explorer latency", _why_dashboard_time),
    "dash_json": ("Explorer figure size", _why_dashboard_json),
    "memory": ("Memory of a 10-million-row append", _why_memory),
}
