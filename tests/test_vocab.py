"""The vocabularies of `tracker.vocab` are the store's: its CHECK constraints, read from DuckDB's
catalogue on a migrated store, and the words the SQL macros produce and accept."""

from __future__ import annotations

import itertools
import re

import click
import duckdb
import pytest

from tracker import vocab
from tracker.cli import cli


def check_constraint(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """The words a ``CHECK (column IN (...))`` constraint of the store allows."""
    rows = con.execute(
        """
        SELECT expression FROM duckdb_constraints()
        WHERE constraint_type = 'CHECK' AND table_name = ? AND constraint_column_names = [?]
        """,
        [table, column],
    ).fetchall()
    assert len(rows) == 1, f"one CHECK constraint on {table}.{column}"
    match = re.fullmatch(rf"\({column} IN \((.*)\)\)", rows[0][0])
    assert match is not None, rows[0][0]
    return re.findall(r"'((?:[^']|'')*)'", match[1])


@pytest.mark.parametrize(
    ("table", "column", "words"),
    [
        ("series", "unit_kind", vocab.UNIT_KINDS),
        ("series", "frequency", vocab.FREQUENCIES),
        ("series", "kind", vocab.KINDS),
        ("observations", "status", vocab.STATUSES),
        ("subscriptions", "last_status", vocab.PULL_STATUSES),
    ],
)
def test_each_vocabulary_is_its_check_constraint(calendar, table, column, words):
    assert check_constraint(calendar, table, column) == list(words)


def test_every_check_constraint_of_the_store_has_its_vocabulary(calendar):
    checked = calendar.execute(
        "SELECT table_name, constraint_column_names[1] FROM duckdb_constraints() "
        "WHERE constraint_type = 'CHECK' ORDER BY ALL"
    ).fetchall()
    assert checked == sorted(
        [
            ("observations", "status"),
            ("series", "frequency"),
            ("series", "kind"),
            ("series", "unit_kind"),
            ("subscriptions", "last_status"),
        ]
    )


def test_frequency_names_cover_the_frequencies():
    assert list(vocab.FREQUENCY_NAMES) == list(vocab.FREQUENCIES)


def test_change_kinds_are_what_the_change_kind_macro_says(calendar):
    values = [None, 1.0, 2.0]
    statuses = [None, "actual", "provisional", "deleted"]
    said = {
        calendar.execute(
            "SELECT change_kind(?, ?, ?, ?)", [before, before_status, after, after_status]
        ).fetchall()[0][0]
        for before, before_status, after, after_status in itertools.product(
            values, statuses, values, statuses[1:]
        )
    }
    assert said == set(vocab.CHANGE_KINDS)


def test_transform_codes_are_the_codes_transformed_accepts(calendar):
    calendar.execute(
        "INSERT INTO series (series_id, name, unit, unit_kind, frequency, source, kind) "
        "VALUES ('L', 'L', 'USD', 'level', 'M', 'Test', 'actual')"
    )
    try:
        for code in vocab.TRANSFORM_CODES:
            calendar.execute("SELECT * FROM transformed('L', ?)", [code]).fetchall()
        with pytest.raises(duckdb.InvalidInputException) as caught:
            calendar.execute("SELECT * FROM transformed('L', 'zz')").fetchall()
        assert f"(use one of {', '.join(vocab.TRANSFORM_CODES)})" in str(caught.value)
        for method in vocab.AGGREGATION_METHODS:
            for target in vocab.AGGREGATION_TARGETS:
                calendar.execute("SELECT * FROM aggregated('L', ?, ?)", [target, method]).fetchall()
        with pytest.raises(duckdb.InvalidInputException, match=r"\(use avg, sum or eop\)"):
            calendar.execute("SELECT * FROM aggregated('L', 'Q', 'median')").fetchall()
    finally:
        calendar.execute("DELETE FROM series WHERE series_id = 'L'")


@pytest.mark.parametrize(
    ("command", "option", "words"),
    [
        ("define", "--unit-kind", vocab.UNIT_KINDS),
        ("define", "--frequency", vocab.FREQUENCIES),
        ("define", "--kind", vocab.KINDS),
        ("show", "--to", vocab.AGGREGATION_TARGETS),
        ("show", "--agg", vocab.AGGREGATION_METHODS),
        ("append", "--alfred-output", vocab.ALFRED_OUTPUTS),
    ],
)
def test_cli_choices_are_the_vocabularies(command, option, words):
    [param] = [p for p in cli.commands[command].params if option in p.opts]
    assert isinstance(param.type, click.Choice)
    assert list(param.type.choices) == list(words)
