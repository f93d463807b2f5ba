"""Period codes <-> (start, end) dates, checked against a series' frequency.

Accepted codes (ISO 8601 and SDMX):

=========  ======================  ============================================
frequency  codes                   example -> (start, end)
=========  ======================  ============================================
A          ``2025``, ``2025-A1``   2025 -> 2025-01-01 .. 2025-12-31
S          ``2025-S1``             2025-S2 -> 2025-07-01 .. 2025-12-31
Q          ``2025-Q2``             2025-Q2 -> 2025-04-01 .. 2025-06-30
M          ``2025-05``, ``2025-M05`` 2025-05 -> 2025-05-01 .. 2025-05-31
W          ``2025-W10``            ISO week, Monday .. Sunday
D          ``2025-05-31``, ``2025-D151``
irregular  ``2025-05-31``          a point in time (policy changes, events)
=========  ======================  ============================================

An ISO date also fits a period series when it is the first or the last day of a period of
that frequency (FRED dates monthly data by the first of the month).

Monthly series may carry a span of consecutive months, ``2024-01/02`` or ``2024-01/2024-02``:
China customs publishes January and February as one figure, and the store keeps it as one
observation from 2024-01-01 to 2024-02-29 rather than inventing two monthly values.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from tracker.errors import PeriodError
from tracker.vocab import FREQUENCY_NAMES

#: Periods per year, for "change from a year ago" (FRED's ch1/pc1).
PERIODS_PER_YEAR = {"A": 1, "S": 2, "Q": 4, "M": 12, "W": 52, "D": 365}

_YEAR = r"(?P<y>\d{4})"
# re.ASCII: \d would otherwise accept other scripts' digits (٢٠٢٥ for 2025).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("A", re.compile(rf"^{_YEAR}(?:-A1?)?$", re.ASCII)),
    ("S", re.compile(rf"^{_YEAR}-S(?P<n>[12])$", re.ASCII)),
    ("Q", re.compile(rf"^{_YEAR}-Q(?P<n>[1-4])$", re.ASCII)),
    ("M", re.compile(rf"^{_YEAR}-M?(?P<n>\d{{2}})$", re.ASCII)),
    (
        "Mspan",
        re.compile(rf"^{_YEAR}-M?(?P<n>\d{{2}})/(?:(?P<y2>\d{{4}})-)?M?(?P<n2>\d{{2}})$", re.ASCII),
    ),
    ("W", re.compile(rf"^{_YEAR}-W(?P<n>\d{{2}})$", re.ASCII)),
    ("Dn", re.compile(rf"^{_YEAR}-D(?P<n>\d{{3}})$", re.ASCII)),
    (
        "date",
        re.compile(rf"^{_YEAR}-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?:[T ]00:00(?::00)?)?$", re.ASCII),
    ),
]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def span_of(frequency: str, day: date) -> tuple[date, date]:
    """The period of ``frequency`` that contains ``day``."""
    y, m = day.year, day.month
    if frequency == "A":
        return date(y, 1, 1), date(y, 12, 31)
    if frequency == "S":
        first = 1 if m <= 6 else 7
        return date(y, first, 1), _month_end(y, first + 5)
    if frequency == "Q":
        first = 3 * ((m - 1) // 3) + 1
        return date(y, first, 1), _month_end(y, first + 2)
    if frequency == "M":
        return date(y, m, 1), _month_end(y, m)
    if frequency == "W":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    return day, day


def _bad(code: str, why: str) -> PeriodError:
    return PeriodError(f"'{code}' {why}")


def parse(code: str) -> tuple[str, date, date]:
    """Parse a period code on its own: ``(kind, start, end)``.

    ``kind`` is the frequency the code denotes (``A``, ``S``, ``Q``, ``M``, ``W``, ``D``), ``M``
    for a span of months, or ``date`` for an ISO calendar date (which may stand for a day, a point
    in time, or the first/last day of a longer period).
    """
    try:
        return _parse(code)
    except OverflowError:
        raise _bad(code, "runs past the last date tracker can store (9999-12-31)") from None


def _parse(code: str) -> tuple[str, date, date]:
    text = code.strip()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        y = int(match["y"])
        try:
            if kind == "A":
                return "A", date(y, 1, 1), date(y, 12, 31)
            n = int(match["n"]) if "n" in pattern.groupindex else 0
            if kind == "S":
                return "S", *span_of("S", date(y, 6 * n - 5, 1))
            if kind == "Q":
                return "Q", *span_of("Q", date(y, 3 * n - 2, 1))
            if kind == "M":
                if not 1 <= n <= 12:
                    raise _bad(code, f"has month {n:02d} (months are 01 to 12)")
                return "M", *span_of("M", date(y, n, 1))
            if kind == "Mspan":
                y2 = int(match["y2"]) if match["y2"] else y
                n2 = int(match["n2"])
                if not (1 <= n <= 12 and 1 <= n2 <= 12) or (y2, n2) <= (y, n):
                    raise _bad(code, "is not a span of consecutive months (write 2024-01/02)")
                return "M", date(y, n, 1), _month_end(y2, n2)
            if kind == "W":
                start = date.fromisocalendar(y, n, 1)
                return "W", start, start + timedelta(days=6)
            if kind == "Dn":
                if not 1 <= n <= (366 if calendar.isleap(y) else 365):
                    raise _bad(code, f"has day-of-year {n} (year {y} has fewer days)")
                day = date(y, 1, 1) + timedelta(days=n - 1)
                return "D", day, day
            day = date(y, int(match["m"]), int(match["d"]))
            return "date", day, day
        except ValueError as exc:
            raise _bad(code, f"is not a real date or period ({exc})") from None
    raise _bad(
        code,
        "is not a period code (use 2025, 2025-S1, 2025-Q2, 2025-05, 2025-M05, 2025-W10, "
        "2025-D151 or an ISO date 2025-05-31)",
    )


def _example(frequency: str, start: date) -> str:
    y, m = f"{start.year:04d}", start.month
    return {
        "A": f"{y}",
        "S": f"{y}-S{1 if m <= 6 else 2}",
        "Q": f"{y}-Q{(m - 1) // 3 + 1}",
        "M": f"{y}-{m:02d}",
        "W": f"{start.isocalendar()[0]:04d}-W{start.isocalendar()[1]:02d}",
    }.get(frequency, start.isoformat())


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def fit(code: str, frequency: str) -> tuple[date, date]:
    """Parse ``code`` for a series of ``frequency`` and return its ``(start, end)``.

    Raises `PeriodError` with a message that says which code would fit.
    """
    kind, start, end = parse(code)
    name = FREQUENCY_NAMES.get(frequency, frequency)
    if kind == "date":
        if frequency in ("D", "irregular"):
            return start, end
        try:
            p_start, p_end = span_of(frequency, start)
        except OverflowError:
            raise _bad(code, "runs past the last date tracker can store (9999-12-31)") from None
        if start in (p_start, p_end):
            return p_start, p_end
        raise _bad(
            code,
            f"falls inside a {name} period, not at its start or end "
            f"(use {_example(frequency, start)} or {p_start.isoformat()})",
        )
    if kind == frequency:
        return start, end
    if kind == "D" and frequency == "irregular":
        return start, end
    raise _bad(
        code,
        f"is a {FREQUENCY_NAMES[kind]} period but the series is {name} "
        f"(use {_article(name)} {name} code such as {_example(frequency, start)})",
    )


def code_of(frequency: str, start: date, end: date | None = None) -> str:
    """The canonical code of a stored period: the inverse of `fit`."""
    code = _example(frequency, start)
    if frequency == "M" and end is not None and (end.year, end.month) != (start.year, start.month):
        if end.year == start.year:
            return f"{code}/{end.month:02d}"
        return f"{code}/{end.year}-{end.month:02d}"
    return code
