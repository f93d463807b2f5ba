"""Dates, periods and signs as people read them.

Numbers are not formatted here: the SQL macro ``display_number`` is the one definition of a
number shown as text (the readers in `tracker.queries` return ``*_text`` columns made by it),
and charts format their points with plotly's d3 formats (`dashboards.figures`). This module
puts the sign, the unit and the period around them.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

MINUS = "\u2212"


def period_label(period: date, period_end: date | None, frequency: str) -> str:
    """A period as people write it: ``May 2025``, ``Jan–Feb 2025``, ``2025 Q2``, ``2025``."""
    end = pl.lit(period_end or period, pl.Date)
    return pl.select(period_labels(frequency, pl.lit(period, pl.Date), end)).item()


def period_labels(frequency: str, period: pl.Expr, period_end: pl.Expr | None = None) -> pl.Expr:
    """Labels for a column of periods (see `period_label`); ``W`` is the ISO week, and other
    frequencies show the day."""
    end = period if period_end is None else period_end.fill_null(period)
    year = period.dt.year()
    if frequency == "M":
        same_year = end.dt.year() == year
        return (
            pl.when(same_year & (end.dt.month() == period.dt.month()))
            .then(period.dt.strftime("%b %Y"))
            .when(same_year)
            .then(pl.concat_str(period.dt.strftime("%b"), pl.lit("–"), end.dt.strftime("%b %Y")))
            .otherwise(
                pl.concat_str(period.dt.strftime("%b %Y"), pl.lit("–"), end.dt.strftime("%b %Y"))
            )
        )
    if frequency == "Q":
        return pl.format("{} Q{}", year, period.dt.quarter())
    if frequency == "S":
        return pl.format("{} H{}", year, pl.when(period.dt.month() <= 6).then(1).otherwise(2))
    if frequency == "A":
        return year.cast(pl.String)
    if frequency == "W":
        return period.dt.strftime("%G-W%V")
    return day_labels(period)


def day_labels(value: pl.Expr) -> pl.Expr:
    """`day_label` as a Polars expression (``—`` for a missing day)."""
    return value.dt.strftime("%-d %b %Y").fill_null("—")


def day_label(value: date | datetime | None) -> str:
    """``9 Jun 2025`` (``—`` for None)."""
    return pl.select(day_labels(pl.lit(value, pl.Date))).item()


def signed(text: str, value: float | None, *, plus: bool = True, zero: str = "") -> str:
    """``text`` (an absolute value as ``display_number`` printed it) with the sign of ``value``:
    ``+`` (when ``plus``) or ``−``; ``zero`` goes before a zero."""
    if value is None:
        return text
    if value > 0:
        return ("+" if plus else "") + text
    if value < 0:
        return MINUS + text
    return zero + text


def with_unit(number: str, unit: str) -> str:
    """A number with its unit: ``4.8% y/y``, ``30%``, ``438.9 US$ bn``."""
    if unit.startswith("%"):
        rest = unit[1:].strip()
        return f"{number}%" + (f" {rest}" if rest else "")
    return f"{number} {unit}".strip()


def reading(text: str | None, value: float | None, unit: str, unit_kind: str) -> str:
    """A reading with its unit: ``+4.8% y/y``, ``30%``, ``69%``; growth rates carry a sign,
    levels, rates and shares only when negative; ``n/a`` without a value."""
    if value is None or text is None:
        return "n/a"
    return with_unit(signed(text, value, plus=unit_kind in ("growth_yoy", "growth_pop")), unit)


def change(text: str | None, value: float | None, unit: str) -> str:
    """A change with its sign; percentage units change in percentage points (``−3.3 pp``)."""
    if value is None or text is None:
        return "n/a"
    unit_text = "pp" if unit.startswith("%") else unit
    return f"{signed(text, value, zero='±')} {unit_text}".strip()
