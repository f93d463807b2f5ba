"""The seed as loaded by `tracker init`: the numbers people will quote."""

from __future__ import annotations

from datetime import date

import pytest

from tracker import db


@pytest.fixture
def ro(seeded):
    with db.connect(seeded, read_only=True) as con:
        yield con


def value(con, view_sql: str, params: list) -> float | None:
    rows = con.execute(view_sql, params).fetchall()
    return rows[0][0] if rows else None


def test_china_trade_may_2025(ro):
    sql = "SELECT value FROM latest WHERE series_id = ? AND period = DATE '2025-05-01'"
    assert value(ro, sql, ["CHN.EXPORTS.YOY"]) == 4.8
    assert value(ro, sql, ["CHN.IMPORTS.YOY"]) == -3.4


def test_each_china_month_is_its_own_release(ro):
    rows = ro.execute(
        """
        SELECT period, period_end, published_at::DATE FROM latest
        WHERE series_id = 'CHN.EXPORTS.YOY' ORDER BY period
        """
    ).fetchall()
    assert len(rows) == 15  # Jan/Feb combined twice: 17 months, 15 figures
    assert rows[0] == (date(2024, 1, 1), date(2024, 2, 29), date(2024, 3, 7))
    assert rows[-1] == (date(2025, 5, 1), date(2025, 5, 31), date(2025, 6, 9))
    assert len({r[2] for r in rows}) == 15


def test_oecd_forecast_for_2025_as_known_on_dates(ro):
    sql = "SELECT value FROM asof(?) WHERE series_id = 'WLD.GDP.OECD_FCST' AND period = DATE '2025-01-01'"
    assert value(ro, sql, [date(2024, 12, 31)]) == 3.3
    assert value(ro, sql, [date(2025, 5, 1)]) == 3.1
    assert value(ro, sql, [date(2025, 6, 10)]) == 2.9
    revisions = ro.execute(
        """
        SELECT previous_value, value FROM revisions
        WHERE series_id = 'WLD.GDP.OECD_FCST' AND period = DATE '2025-01-01'
        ORDER BY published_at
        """
    ).fetchall()
    assert revisions == [(3.2, 3.3), (3.3, 3.1), (3.1, 2.9)]


def test_tariffs_in_force(ro):
    sql = "SELECT value FROM latest WHERE series_id = ? AND period = ?"
    assert value(ro, sql, ["USA.TARIFF.CHN", date(2025, 4, 10)]) == 145
    assert value(ro, sql, ["USA.TARIFF.CHN", date(2025, 5, 14)]) == 30
    assert value(ro, sql, ["CHN.TARIFF.USA", date(2025, 4, 12)]) == 125
    assert value(ro, sql, ["CHN.TARIFF.USA", date(2025, 5, 14)]) == 10


def test_rare_earth_share(ro):
    sql = "SELECT value FROM latest WHERE series_id = ? AND period = DATE '2024-01-01'"
    assert value(ro, sql, ["CHN.RAREEARTH.MINE_SHARE"]) == 69
    assert value(ro, sql, ["CHN.RAREEARTH.MINE"]) == 270000
    assert value(ro, sql, ["WLD.RAREEARTH.MINE"]) == 390000


def test_every_release_is_cited(ro):
    missing = ro.execute(
        "SELECT release_id FROM releases WHERE url IS NULL OR source IS NULL OR published_at IS NULL"
    ).fetchall()
    assert missing == []
    orphans = ro.execute(
        "SELECT count(*) FROM observations WHERE release_id NOT IN (SELECT release_id FROM releases)"
    ).fetchall()
    assert orphans == [(0,)]


def test_events_include_the_truce_and_london(ro):
    titles = dict(ro.execute("SELECT starts_on, title FROM events").fetchall())
    assert date(2025, 5, 12) in titles
    assert date(2025, 6, 9) in titles
    assert date(2025, 7, 9) in titles
