"""Reading period codes (Python: `tracker.periods`) and the calendar of stored periods (SQL:
``period_floor``, ``period_last_day``, ``period_code``) meet here: every code the store writes
reads back as the same span."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import code_of, span_of
from tracker import periods
from tracker.errors import PeriodError
from tracker.vocab import FREQUENCIES


@pytest.mark.parametrize(
    ("code", "frequency", "start", "end"),
    [
        ("2025", "A", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025-S1", "S", date(2025, 1, 1), date(2025, 6, 30)),
        ("2025-S2", "S", date(2025, 7, 1), date(2025, 12, 31)),
        ("2025-Q2", "Q", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-05", "M", date(2025, 5, 1), date(2025, 5, 31)),
        ("2025-M05", "M", date(2025, 5, 1), date(2025, 5, 31)),
        ("2024-02", "M", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-W10", "W", date(2025, 3, 3), date(2025, 3, 9)),
        ("2020-W53", "W", date(2020, 12, 28), date(2021, 1, 3)),
        ("2025-D151", "D", date(2025, 5, 31), date(2025, 5, 31)),
        ("2025-05-31", "D", date(2025, 5, 31), date(2025, 5, 31)),
        ("2025-04-10", "irregular", date(2025, 4, 10), date(2025, 4, 10)),
        # FRED dates a month by its first day; the last day is accepted too.
        ("2025-05-01", "M", date(2025, 5, 1), date(2025, 5, 31)),
        ("2025-05-31", "M", date(2025, 5, 1), date(2025, 5, 31)),
        ("2025-04-01", "Q", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-01-01", "A", date(2025, 1, 1), date(2025, 12, 31)),
        # China customs' combined January-February figure: one two-month observation.
        ("2024-01/02", "M", date(2024, 1, 1), date(2024, 2, 29)),
        ("2024-12/2025-01", "M", date(2024, 12, 1), date(2025, 1, 31)),
    ],
)
def test_fit_gives_the_span(calendar, code, frequency, start, end):
    assert periods.fit(calendar, code, frequency) == (start, end)


@pytest.mark.parametrize(
    ("code", "frequency", "message"),
    [
        ("2025-Q2", "M", "'2025-Q2' is a quarterly period but the series is monthly "
         "(use a monthly code such as 2025-04)"),
        ("2025-05", "A", "'2025-05' is a monthly period but the series is annual "
         "(use an annual code such as 2025)"),
        ("2025-05-15", "M", "'2025-05-15' falls inside a monthly period, not at its start or end "
         "(use 2025-05 or 2025-05-01)"),
        ("2025-02-30", "D", "'2025-02-30' is not a real date or period (day is out of range for month)"),
        ("2025-13", "M", "'2025-13' has month 13 (months are 01 to 12)"),
        ("2025-D366", "D", "'2025-D366' has day-of-year 366 (year 2025 has fewer days)"),
        ("May 2025", "M", "'May 2025' is not a period code (use 2025, 2025-S1, 2025-Q2, 2025-05, "
         "2025-M05, 2025-W10, 2025-D151 or an ISO date 2025-05-31)"),
    ],
)  # fmt: skip
def test_fit_refuses_with_the_fix(calendar, code, frequency, message):
    with pytest.raises(PeriodError) as caught:
        periods.fit(calendar, code, frequency)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("frequency", "code"),
    [("A", "2025"), ("S", "2025-S2"), ("Q", "2025-Q3"), ("M", "2025-05"), ("W", "2025-W10"),
     ("M", "2024-01/02")],
)  # fmt: skip
def test_the_stored_code_reads_back_as_the_same_span(calendar, frequency, code):
    assert code_of(calendar, frequency, *periods.fit(calendar, code, frequency)) == code


@given(st.text(max_size=30), st.sampled_from(FREQUENCIES))
def test_any_text_gives_a_span_or_our_error(calendar, text, frequency):
    try:
        start, end = periods.fit(calendar, text, frequency)
    except PeriodError:
        return
    assert start <= end


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.sampled_from(["A", "S", "Q", "M", "W"]))  # fmt: skip
def test_every_day_lies_in_its_period(calendar, day, frequency):
    start, end = span_of(calendar, frequency, day)
    assert start <= day <= end
    code = code_of(calendar, frequency, start, end)
    assert periods.fit(calendar, code, frequency) == (start, end)


def test_fit_all_checks_every_pair_in_the_order_given(calendar):
    import polars as pl

    pairs = pl.DataFrame(
        {"code": ["2025-05", "2025-Q2", "2025-05", "x"], "frequency": ["M", "M", "Q", "A"]}
    )
    result = periods.fit_all(calendar, pairs)
    assert result.select("code", "frequency").equals(pairs)
    assert result["start"].to_list() == [date(2025, 5, 1), None, None, None]
    assert result["error"].to_list() == [
        None,
        "'2025-Q2' is a quarterly period but the series is monthly "
        "(use a monthly code such as 2025-04)",
        "'2025-05' is a monthly period but the series is quarterly "
        "(use a quarterly code such as 2025-Q2)",
        "'x' is not a period code (use 2025, 2025-S1, 2025-Q2, 2025-05, 2025-M05, 2025-W10, "
        "2025-D151 or an ISO date 2025-05-31)",
    ]
