"""One root exception; each user-visible failure is a subclass whose message names the fix."""

from __future__ import annotations

import re
from collections.abc import Sequence


class TrackerError(Exception):
    """Root of every error tracker reports to a user (exit code 1 in the CLI)."""

    exit_code = 1

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class StoreError(TrackerError):
    """The store cannot be opened, migrated or written (locked, missing, read-only disk)."""


class SeriesError(TrackerError):
    """A series id or series definition is unknown or invalid."""


class PeriodError(TrackerError):
    """A period code cannot be parsed or does not fit the series frequency."""


class QueryError(TrackerError):
    """An ad-hoc query was refused or failed."""


class TransformError(TrackerError):
    """A transform, rebase or aggregation does not apply to the series (e.g. pc1 of a rate)."""


class ReleaseError(TrackerError):
    """Release metadata is missing or contradicts the store (no published date, out of order)."""


class ServeError(TrackerError):
    """The dashboard cannot listen where it was asked to (a port in use, an unknown host)."""


class FormatError(TrackerError):
    """A file is not in the format expected, or is broken."""


class ValidationError(TrackerError):
    """A release file has one or more bad rows. ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x00``): a problem stays one line."""
    escaped = _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)
    return Problem(escaped, text.line) if isinstance(text, Problem) else escaped


def clip(text: str | None, limit: int = 60) -> str:
    """Cell text quoted in a problem: at most ``limit`` characters, control characters escaped."""
    text = text or ""
    return printable(text if len(text) <= limit else text[:limit] + "…")


class Problem(str):
    """One problem line (see `problem`) that knows the line or observation it points to."""

    line: int | None

    def __new__(cls, text: str, line: int | None = None) -> Problem:
        self = super().__new__(cls, text)
        self.line = line
        return self


def line_of(text: str) -> int:
    """Sort key of a problem line: its line or observation, 0 for file-wide problems."""
    return getattr(text, "line", None) or 0


def problem(
    file: str, line: int | None, column: str | None, text: str, *, locator: str = "line"
) -> Problem:
    """Format one problem line: ``error: FILE:LINE: column 'C': TEXT``.

    ``locator="observation"`` for formats without meaningful lines (XML, JSON):
    ``error: FILE: observation N: …``. Cell text quoted in ``text`` may come from the file, so
    control characters are escaped to keep the problem on one printed line.
    """
    if line is None:
        where = f"{file}:"
    elif locator == "line":
        where = f"{file}:{line}:"
    else:
        where = f"{file}: {locator} {line}:"
    col = f" column '{printable(column)}':" if column else ""
    return Problem(f"error: {where}{col} {printable(text)}", line)
