"""The kept state (`tracker.state`) always equals a recomputation from the history.

`latest`, `first_release`, `series_summary`, `trends` and `revision_stats` read tables that each
append updates for the series it touches. Random release sequences (new values, revisions, float
noise, status-only changes, missing values, tombstones and values coming back, forecasts stored
whole, a benchmark revision of every period, a release appended twice, a catalogue change) are
appended through the real append path; then the kept tables must match the SQL recomputation
(`tracker check`'s kept_* checks) and an independent recomputation in Python from `vintages`, and
each release's counts must match what `revisions` lists.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import define, release
from tracker import db, state

SERIES = {
    # series_id: (frequency, kind, unit_kind, periods)
    "M.LEVEL": ("M", "actual", "level", [f"2024-{m:02d}" for m in range(1, 13)]),
    "M.GROWTH": ("M", "actual", "growth_yoy", [f"2023-{m:02d}" for m in range(1, 13)]),
    "Q.INDEX": ("Q", "actual", "index", [f"{y}-Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]),
    "A.FCST": ("A", "forecast", "growth_yoy", ["2024", "2025", "2026"]),
    "P.RATE": (
        "irregular",
        "policy",
        "rate",
        [f"2025-0{m}-1{d}" for m in (1, 4, 7) for d in (0, 5)],
    ),
}
#: Values that make equal, noisy (equal within 1e-9), revised and zero versions likely.
VALUES = [1.0, 2.0, 2.0 + 1e-12, -3.5, 100.0, 0.0, None]
STATUSES = [None, None, "provisional", "estimate", "deleted"]
KEPT_CHECKS = ("kept_observations_match_history", "kept_series_match_history",
               "kept_trends_match_history", "kept_release_series_match_history")  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kept") / "template.duckdb"
    with db.connect(path) as con:
        db.ensure_schema(con)
        for series_id, (frequency, kind, unit_kind, _) in SERIES.items():
            define(con, series_id, frequency=frequency, kind=kind, unit_kind=unit_kind)
    return path


@contextmanager
def store_from(template: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private copy of the template per example (hypothesis shares tmp_path between them)."""
    folder = Path(tempfile.mkdtemp(prefix="kept-"))
    try:
        path = folder / "store.duckdb"
        shutil.copy(template, path)
        with db.connect(path) as con:
            yield con
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@st.composite
def rows_for(draw, series_id: str) -> list[tuple]:
    periods = SERIES[series_id][3]
    chosen = draw(
        st.lists(st.sampled_from(periods), min_size=1, max_size=len(periods), unique=True)
    )
    return [
        (series_id, period, draw(st.sampled_from(VALUES)), draw(st.sampled_from(STATUSES)))
        for period in chosen
    ]


@st.composite
def histories(draw) -> list[tuple[str, list[tuple]]]:
    """Releases as (kind, rows): 'release', 'benchmark' (every period of a series), 'again'
    (the previous release appended twice), 'rename' (a catalogue change)."""
    steps = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        action = draw(st.sampled_from(["release", "release", "release", "benchmark", "again",
                                       "rename"]))  # fmt: skip
        if action == "release":
            ids = draw(st.lists(st.sampled_from(sorted(SERIES)), min_size=1, max_size=3,
                                unique=True))  # fmt: skip
            steps.append(("release", [row for s in ids for row in draw(rows_for(s))]))
        elif action == "benchmark":
            series_id = draw(st.sampled_from(sorted(SERIES)))
            value = draw(st.sampled_from([v for v in VALUES if v is not None]))
            steps.append(("benchmark", [(series_id, p, value + i, None)
                                        for i, p in enumerate(SERIES[series_id][3])]))  # fmt: skip
        else:
            steps.append((action, []))
    return steps


def play(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, list[tuple]]]) -> None:
    day = date(2025, 1, 1)
    last: tuple[str, list[tuple]] | None = None
    for action, rows in steps:
        if action == "again":
            if last is not None:
                result = release(con, *last)
                assert result.duplicate_of is not None
            continue
        if action == "rename":
            con.execute("UPDATE series SET name = name || '+' WHERE series_id = 'M.LEVEL'")
            state.refresh_trends(con, ["M.LEVEL"])
            continue
        day += timedelta(days=17)
        last = (day.isoformat(), rows)
        release(con, *last)


def python_reference(con: duckdb.DuckDBPyConnection) -> dict:
    """latest, first release, revisions and per-release counts, recomputed in Python from
    `vintages` (every stored version) without any of tracker's macros."""
    versions = con.sql(
        "SELECT series_id, period, value, status, release_id FROM vintages "
        "ORDER BY series_id, period, release_id"
    ).fetchall()

    def same(a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))

    latest, first, revised, counts = {}, {}, set(), {}
    previous: dict[tuple, tuple] = {}
    for series_id, period, value, status, release_id in versions:
        key = (series_id, period)
        before = previous.get(key)
        if status == "deleted":
            kind = "deleted" if before and before[1] != "deleted" else "unchanged"
        elif before is None or before[1] == "deleted":
            kind = "new"
        elif not same(before[0], value):
            kind = "revised"
        elif status != before[1]:
            kind = "restated"
        else:
            kind = "unchanged"
        counts.setdefault(release_id, {"revised": 0, "restated": 0, "deleted": 0})
        if kind in counts[release_id]:
            counts[release_id][kind] += 1
        if kind in ("revised", "deleted"):
            revised.add((series_id, period, release_id))
        if status != "deleted" and key not in first:
            first[key] = (value, release_id)
        previous[key] = (value, status, release_id)
    for key, (value, status, release_id) in previous.items():
        if status != "deleted":
            latest[key] = (value, status, release_id)
    return {"latest": latest, "first": first, "revisions": revised, "counts": counts}


def assert_kept_state_is_the_history(con: duckdb.DuckDBPyConnection) -> None:
    failing = {
        name: frame.head(5).to_dicts()
        for name, frame in db.run_checks(con).items()
        if name in KEPT_CHECKS and frame.height
    }
    assert failing == {}

    expected = python_reference(con)
    latest = {
        (s, p): (v, st_, r)
        for s, p, v, st_, r in con.sql(
            "SELECT series_id, period, value, status, release_id FROM latest"
        ).fetchall()
    }
    assert latest == expected["latest"]
    first = {
        (s, p): (v, r)
        for s, p, v, r in con.sql(
            "SELECT series_id, period, value, release_id FROM first_release"
        ).fetchall()
    }
    assert first == expected["first"]
    revisions = set(con.sql("SELECT series_id, period, release_id FROM revisions").fetchall())
    assert revisions == expected["revisions"]
    counts = {
        r: {"revised": v, "restated": rs, "deleted": d}
        for r, v, rs, d in con.sql(
            "SELECT release_id, rows_revised, rows_restated, rows_deleted FROM releases"
        ).fetchall()
    }
    stored = {r: counts[r] for r in expected["counts"]}
    assert stored == expected["counts"]

    # Per series: the two newest periods and the release count, from the same reference.
    summary = con.sql(
        "SELECT series_id, last_period, last_value, previous_value, release_count "
        "FROM series_summary"
    ).pl()
    for row in summary.iter_rows(named=True):
        periods = sorted((p for s, p in expected["latest"] if s == row["series_id"]), reverse=True)
        values = [expected["latest"][(row["series_id"], p)][0] for p in periods[:2]]
        assert row["last_period"] == (periods[0] if periods else None)
        assert row["last_value"] == (values[0] if values else None)
        assert row["previous_value"] == (values[1] if len(values) > 1 else None)
        releases = {r for (s, _, r) in _stored_keys(con) if s == row["series_id"]}
        assert row["release_count"] == len(releases)


def _stored_keys(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql("SELECT series_id, period, release_id FROM observations").fetchall()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_kept_state_equals_the_history_after_any_release_sequence(template, steps):
    with store_from(template) as con:
        play(con, steps)
        assert_kept_state_is_the_history(con)


def test_a_status_only_change_is_restated_not_revised(con):
    define(con, "CHN.EXPORTS.YOY", unit_kind="growth_yoy")
    release(con, "2025-06-09", [("CHN.EXPORTS.YOY", "2025-05", 4.8, "provisional")])

    result = release(con, "2025-07-14", [("CHN.EXPORTS.YOY", "2025-05", 4.8, "actual")])

    assert (result.new, result.revised, result.restated, result.unchanged) == (0, 0, 1, 0)
    assert result.summary().startswith("release 2: 0 new, 0 revised, 1 restated, 0 unchanged")
    assert con.sql("SELECT count(*) FROM revisions").fetchall() == [(0,)]
    assert con.sql("SELECT revised_periods FROM revision_stats").fetchall() == [(0,)]
    assert con.sql("SELECT value, status, release_id FROM latest").fetchall() == [
        (4.8, "actual", 2)
    ]
    assert con.sql(
        "SELECT rows_new, rows_revised, rows_restated FROM releases ORDER BY release_id"
    ).fetchall() == [(1, 0, 0), (0, 0, 1)]


def test_a_revision_counts_the_same_everywhere(con):
    define(con, "M.X")
    release(con, "2025-02-01", [("M.X", "2025-01", 10.0), ("M.X", "2024-12", 9.0)])
    result = release(con, "2025-03-01", [("M.X", "2025-01", 10.5), ("M.X", "2025-02", 11.0)])

    assert (result.new, result.revised) == (1, 1)
    assert con.sql("SELECT period, previous_value, value, revision FROM revisions").fetchall() == [
        (date(2025, 1, 1), 10.0, 10.5, 0.5)
    ]
    stats = con.sql("SELECT revised_periods, revision_count, mean_revision FROM revision_stats")
    assert stats.fetchall() == [(1, 1, 0.5)]
    assert con.sql(
        "SELECT last_period, last_value, previous_value, change, release_count FROM series_summary"
    ).fetchall() == [(date(2025, 2, 1), 11.0, 10.5, 0.5, 2)]


def test_a_rejected_release_leaves_the_kept_state_alone(con):
    define(con, "M.X")
    release(con, "2025-03-01", [("M.X", "2025-01", 10.0)])
    before = {t: con.sql(f"SELECT * FROM {t}").fetchall() for t in state.TABLES}

    with pytest.raises(Exception, match="publication order"):
        release(con, "2025-02-01", [("M.X", "2025-01", 12.0)])

    assert {t: con.sql(f"SELECT * FROM {t}").fetchall() for t in state.TABLES} == before


def test_a_dry_run_leaves_the_kept_state_alone(con):
    define(con, "M.X")
    release(con, "2025-03-01", [("M.X", "2025-01", 10.0)])
    before = {t: con.sql(f"SELECT * FROM {t}").fetchall() for t in state.TABLES}

    result = release(con, "2025-04-01", [("M.X", "2025-01", 12.0)], dry_run=True)

    assert result.revised == 1
    assert {t: con.sql(f"SELECT * FROM {t}").fetchall() for t in state.TABLES} == before


def test_a_catalogue_change_reaches_the_kept_trends(con):
    define(con, "M.X", name="Exports")
    release(con, "2025-03-01", [("M.X", "2025-01", 10.0), ("M.X", "2025-02", 11.0)])

    define(con, "M.X", name="Exports of goods")  # replaces: tests' define upserts by id
    from tracker.append import upsert_series

    upsert_series(con, pl.DataFrame({"series_id": ["M.X"], "name": ["Goods exports"]}),
                  replace=True)  # fmt: skip

    assert (
        con.sql("SELECT name, headline FROM trends")
        .fetchall()[0][1]
        .startswith("Goods exports: 11")
    )


# Stores made before the kept state ----------------------------------------------------------


def _old_store(path: Path) -> None:
    """A store as tracker wrote it before migration 003: two releases, the second a status-only
    change that the old diff counted as revised."""
    with db.connect(path) as con:
        con.execute(
            "CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP "
            "NOT NULL DEFAULT current_timestamp)"
        )
        for name in ("001_core", "002_analytics"):
            con.execute((db.paths.MIGRATIONS_DIR / f"{name}.sql").read_text())
            con.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
        con.execute(
            "INSERT INTO series (series_id, name, unit, unit_kind, frequency, source, kind) "
            "VALUES ('M.X', 'X', '%', 'level', 'M', 'Agency', 'actual')"
        )
        for release_id, day, new, revised in ((1, 1, 2, 0), (2, 2, 0, 1)):
            con.execute(
                "INSERT INTO releases (release_id, source, published_at, ingested_at, format, "
                "checksum, rows_new, rows_revised) VALUES (?, 'Agency', ?, ?, 'test', ?, ?, ?)",
                [release_id, datetime(2025, day, 5), datetime(2025, day, 5), f"c{release_id}",
                 new, revised],
            )  # fmt: skip
        con.execute(
            "INSERT INTO observations VALUES "
            "('M.X', DATE '2024-11-01', DATE '2024-11-30', 1.5, 'provisional', 1, NULL), "
            "('M.X', DATE '2024-12-01', DATE '2024-12-31', 2.5, 'provisional', 1, NULL), "
            "('M.X', DATE '2024-12-01', DATE '2024-12-31', 2.5, 'actual', 2, NULL)"
        )
        con.execute("SELECT max(nextval('release_id_seq')) FROM range(2)")


def test_an_older_store_gets_its_kept_state_and_consistent_counts(tmp_path):
    path = tmp_path / "old.duckdb"
    _old_store(path)

    with db.writer(path) as con:
        latest = con.sql("SELECT period, value, status FROM latest ORDER BY period").fetchall()
        counts = con.sql(
            "SELECT rows_new, rows_revised, rows_restated FROM releases ORDER BY release_id"
        ).fetchall()
        summary = con.sql("SELECT last_value, previous_value, release_count FROM series_summary")
        assert_kept_state_is_the_history(con)
        assert summary.fetchall() == [(2.5, 1.5, 2)]

    assert latest == [(date(2024, 11, 1), 1.5, "provisional"), (date(2024, 12, 1), 2.5, "actual")]
    assert counts == [(2, 0, 0), (0, 0, 1)]


# Streaks longer than trends' recent stretch ------------------------------------------------


def _months(first: date, count: int) -> list[str]:
    return [f"{first.year + (first.month - 1 + i) // 12}-{(first.month - 1 + i) % 12 + 1:02d}"
            for i in range(count)]  # fmt: skip


def test_a_streak_longer_than_the_recent_stretch_is_counted_from_the_whole_history(con):
    """trends reads each series' last 48 months (recent_start) and the whole history only where
    the streak may reach further: every streak here must still be whole."""
    months = _months(date(2017, 1, 1), 100)  # 2017-01 .. 2025-04; the newest unit is n
    days = [(date(2023, 1, 1) + timedelta(days=i)).isoformat() for i in range(800)]
    rising = [100.0 + i for i in range(100)]
    # A dip at row d breaks the rise there: the streak is the 99 - d months after it. The
    # recent stretch starts at row 52 (n - 47): a dip at 53 has its comparison (row 52) inside
    # it, a dip at 52 has it outside (row 51), so the whole history decides.
    dip_inside = [v - 50 if i == 53 else v for i, v in enumerate(rising)]
    dip_outside = [v - 50 if i == 52 else v for i, v in enumerate(rising)]
    histories = {
        "M.UP": ("M", "level", months, rising),
        "M.GROWTH": ("M", "growth_yoy", months, [0.5] * 100),
        "M.DIP53": ("M", "level", months, dip_inside),
        "M.DIP52": ("M", "level", months, dip_outside),
        "D.UP": ("D", "level", days, [float(i) for i in range(800)]),
    }
    for series_id, (frequency, unit_kind, _, _) in histories.items():
        define(con, series_id, frequency=frequency, unit_kind=unit_kind)
    release(con, "2025-06-01", [(s, p, v) for s, (_, _, periods, values) in histories.items()
                                for p, v in zip(periods, values, strict=True)])  # fmt: skip

    streaks = dict(con.sql("SELECT series_id, streak_length FROM trends").fetchall())
    assert streaks == {"M.UP": 99, "M.GROWTH": 100, "M.DIP53": 46, "M.DIP52": 47, "D.UP": 799}
    # Only the dip inside the stretch was decided from it; the rest read the whole history.
    exact = dict(con.sql("SELECT series_id, exact FROM trend_rows(NULL, NULL, true)").fetchall())
    assert exact == {"M.UP": False, "M.GROWTH": False, "M.DIP53": True, "M.DIP52": False,
                     "D.UP": False}  # fmt: skip
    # Every column of trends_asof, now and as of a past day, equals the whole-history rows.
    for ts in ("NULL", "TIMESTAMP '2025-06-01'", "TIMESTAMP '2025-05-31'"):
        shortcut = con.sql(f"SELECT * FROM trends_asof({ts}) ORDER BY series_id").fetchall()
        whole = con.sql(
            f"SELECT * EXCLUDE (exact) FROM trend_rows({ts}, NULL, false) ORDER BY series_id"
        ).fetchall()
        assert shortcut == whole
    assert_kept_state_is_the_history(con)
