"""Reading period codes, and checking them against a series' frequency.

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

Who owns which rule. Python owns the *grammar of codes*: `parse` reads what a user or a file
wrote and names the span the code denotes, with an error that quotes the code and says what to
write instead; SQL never reads codes. SQL owns the *calendar of stored periods*, which every
view and any DuckDB client needs: the period of a frequency that contains a day
(``period_floor``, ``period_last_day``), period numbers (``period_index``), periods per year
(``periods_per_year``) and the code a stored period is written as (``period_code``). `fit` and
`fit_all`, which check codes against a frequency while a release is validated, read the codes
here and ask those macros, on the connection the release is appended through, for the period
an ISO date falls in and for the code to suggest; they keep no calendar of their own.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tracker.errors import PeriodError
from tracker.vocab import FREQUENCY_NAMES

if TYPE_CHECKING:
    import duckdb
    import polars as pl

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
_PAST_THE_END = "runs past the last date tracker can store (9999-12-31)"


def _months(year: int, first: int, last: int) -> tuple[date, date]:
    """The span from the first day of month ``first`` to the last day of month ``last``."""
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


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
        raise _bad(code, _PAST_THE_END) from None


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
                return "S", *_months(y, 6 * n - 5, 6 * n)
            if kind == "Q":
                return "Q", *_months(y, 3 * n - 2, 3 * n)
            if kind == "M":
                if not 1 <= n <= 12:
                    raise _bad(code, f"has month {n:02d} (months are 01 to 12)")
                return "M", *_months(y, n, n)
            if kind == "Mspan":
                y2 = int(match["y2"]) if match["y2"] else y
                n2 = int(match["n2"])
                if not (1 <= n <= 12 and 1 <= n2 <= 12) or (y2, n2) <= (y, n):
                    raise _bad(code, "is not a span of consecutive months (write 2024-01/02)")
                return "M", date(y, n, 1), _months(y2, n2, n2)[1]
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


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


#: For each frequency and first day of a parsed code that needs the calendar: the period of that
#: frequency holding the day, and the code to suggest for it, from the calendar macros. A period
#: ending after 9999-12-31 (the last ISO week of 9999) has no end: Python cannot hold the day.
_CALENDAR_SQL = """
WITH
asked AS (
    SELECT unnest($frequencies) AS frequency, unnest($days) AS day
),
floored AS (
    SELECT a.frequency, a.day, period_floor(a.frequency, a.day) AS period_start
    FROM asked AS a
)
SELECT
    f.frequency,
    f.day,
    CAST(f.period_start AS DATE) AS period_start,
    CAST(CASE
        WHEN period_last_day(f.frequency, f.period_start) <= DATE '9999-12-31'
        THEN period_last_day(f.frequency, f.period_start)
    END AS DATE) AS period_end,
    period_code(f.frequency, f.day, CAST(NULL AS DATE)) AS example
FROM floored AS f
"""

Parsed = tuple[str, date, date] | str  # (kind, start, end), or the PeriodError message


def _needs_calendar(kind: str, frequency: str) -> bool:
    """Whether checking a code of ``kind`` against ``frequency`` asks the calendar: an ISO date
    for a period frequency (which period holds it), or a code of another frequency (which code
    to suggest)."""
    if kind == "date":
        return frequency not in ("D", "irregular")
    return kind != frequency and not (kind == "D" and frequency == "irregular")


def fit_all(con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame) -> pl.DataFrame:
    """Check period codes against frequencies, every pair at once.

    Parameters
    ----------
    con
        A connection to a store (the calendar macros of ``sql/views/``).
    pairs
        Columns ``code`` and ``frequency`` (String), one row per pair to check.

    Returns
    -------
    pl.DataFrame
        ``pairs`` with ``start`` and ``end`` (Date; null for a bad pair) and ``error`` (the
        `PeriodError` message, null for a good pair), in the order of ``pairs``.
    """
    import polars as pl

    # Read each code once (the grammar).
    parsed: dict[str, Parsed] = {}
    for code in pairs["code"].unique().to_list():
        try:
            parsed[code] = parse(code)
        except PeriodError as exc:
            parsed[code] = exc.message
    unique = pairs.select("code", "frequency").unique().rows()

    # Ask the calendar, in one query, about the pairs that need it.
    asked = list(
        {
            (frequency, found[1])
            for code, frequency in unique
            if not isinstance(found := parsed[code], str) and _needs_calendar(found[0], frequency)
        }
    )
    calendar: dict[tuple[str, date], tuple[date, date | None, str]] = {}
    if asked:
        rows = con.execute(
            _CALENDAR_SQL,
            {"frequencies": [f for f, _ in asked], "days": [d for _, d in asked]},
        ).fetchall()
        calendar = {(f, d): (start, end, example) for f, d, start, end, example in rows}

    # Decide each pair.
    decided = [
        (code, frequency, *_decide(code, frequency, parsed[code], calendar))
        for code, frequency in unique
    ]
    table = pl.DataFrame(
        decided,
        schema={
            "code": pl.String,
            "frequency": pl.String,
            "start": pl.Date,
            "end": pl.Date,
            "error": pl.String,
        },
        orient="row",
    )
    return pairs.join(table, on=["code", "frequency"], how="left", maintain_order="left")


def _decide(
    code: str,
    frequency: str,
    parsed: Parsed,
    calendar: dict[tuple[str, date], tuple[date, date | None, str]],
) -> tuple[date | None, date | None, str | None]:
    """``(start, end, None)`` when ``code`` fits ``frequency``, else ``(None, None, message)``."""
    if isinstance(parsed, str):
        return None, None, parsed
    kind, start, end = parsed
    if not _needs_calendar(kind, frequency):
        return start, end, None
    period_start, period_end, example = calendar[(frequency, start)]
    name = FREQUENCY_NAMES.get(frequency, frequency)
    if kind == "date":
        if period_end is None:
            return None, None, _bad(code, _PAST_THE_END).message
        if start in (period_start, period_end):
            return period_start, period_end, None
        return (
            None,
            None,
            _bad(
                code,
                f"falls inside a {name} period, not at its start or end "
                f"(use {example} or {period_start.isoformat()})",
            ).message,
        )
    return (
        None,
        None,
        _bad(
            code,
            f"is a {FREQUENCY_NAMES[kind]} period but the series is {name} "
            f"(use {_article(name)} {name} code such as {example})",
        ).message,
    )


def fit(con: duckdb.DuckDBPyConnection, code: str, frequency: str) -> tuple[date, date]:
    """Parse ``code`` for a series of ``frequency`` and return its ``(start, end)``.

    Raises `PeriodError` with a message that says which code would fit. ``con`` is a
    connection to a store: the calendar is its SQL macros (see the module docstring).
    """
    import polars as pl

    row = fit_all(con, pl.DataFrame({"code": [code], "frequency": [frequency]})).row(0)
    _, _, start, end, error = row
    if error is not None:
        raise PeriodError(error)
    return start, end
