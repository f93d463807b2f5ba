"""Read -> validate -> diff -> one transaction: how a release gets into the store.

`append` is the one way releases come in from outside: ``tracker append``, `tracker.Store.append`
and the dashboard's upload all call it with what they were given (paths, bytes with a name,
file objects, frames), and it reads every source (sniffing its format), applies a series-id
mapping, opens the store's writer and appends everything in one transaction. Below it,
`append_releases` validates, diffs and writes releases already read, on an open connection; the
seed loader and ``tracker pull`` call it directly because they hold the connection themselves.

A release adds rows; nothing is updated in place. Only what a release adds or changes is stored
(like ALFRED, which skips unchanged values); the counts of unchanged rows stay on the release.
"""

from __future__ import annotations

import difflib
import getpass
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from tracker import db, formats, lake, periods, snapshots, state
from tracker.errors import ReleaseError, SeriesError, ValidationError, line_of, problem
from tracker.formats import RawRelease, Source, SourceLike, conform
from tracker.vocab import FREQUENCIES, FREQUENCY_NAMES, KINDS, MAX_PROBLEMS, STATUSES, UNIT_KINDS

Progress = Callable[[str, float], None]


@dataclass
class ReleaseMeta:
    """What the user says about a release (flags); it overrides what the file says."""

    source: str | None = None
    published: datetime | None = None
    title: str | None = None
    url: str | None = None
    #: Who appends it (the dashboard's login); the OS user when not given.
    ingested_by: str | None = None


def current_user() -> str:
    """Who is at the keyboard: the OS user of the process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class AppendResult:
    """What one release did (or, on a dry run, would do) to the store."""

    file_name: str
    published_at: datetime
    source: str
    release_id: int | None = None
    duplicate_of: int | None = None
    new: int = 0
    revised: int = 0
    restated: int = 0
    unchanged: int = 0
    deleted: int = 0
    registered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: pl.DataFrame | None = None
    dry_run: bool = False

    def summary(self) -> str:
        """One line, e.g. ``release 12: 2 new, 1 revised, 40 unchanged``."""
        counts = f"{self.new} new, {self.revised} revised"
        if self.restated:
            counts += f", {self.restated} restated"
        counts += f", {self.unchanged} unchanged"
        if self.deleted:
            counts += f", {self.deleted} deleted"
        when = self.published_at.date().isoformat()
        if self.duplicate_of is not None:
            return (
                f"{self.file_name}: already in the store as release {self.duplicate_of} "
                "(same content); nothing appended"
            )
        if self.dry_run:
            return f"dry run: {self.file_name} ({self.source}, published {when}) would add {counts}"
        return f"release {self.release_id}: {counts} ({self.source}, published {when})"


def parse_published(text: str | date | datetime | None) -> datetime | None:
    """Parse ``--published``: an ISO date or date-time."""
    if text is None or isinstance(text, datetime):
        return text
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day)
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReleaseError(
            f"error: --published '{text}' is not a date (use YYYY-MM-DD, e.g. 2025-06-09)"
        ) from None


# Catalogue -----------------------------------------------------------------------------------


def known_series(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql("SELECT series_id, frequency, kind, source FROM series").pl()


def _infer_frequency(codes: pl.Series) -> str | None:
    kinds = set()
    for code in codes.unique().head(2000).to_list():
        try:
            kinds.add(periods.parse(code)[0])
        except periods.PeriodError:
            return None
    if len(kinds) == 1 and "date" not in kinds:
        return kinds.pop()
    return None


def close_ids(series_id: str, known: Sequence[str], *, limit: int = 2) -> list[str]:
    """Known ids that look like a typo of ``series_id`` (closest first)."""
    return difflib.get_close_matches(series_id, known, n=limit, cutoff=0.85)


def _periods_of(raw: RawRelease, series_id: str) -> pl.Series:
    return raw.frame.filter(pl.col("series_id") == series_id)["period"]


def _series_to_register(
    raw: RawRelease,
    unknown: list[str],
    source: str,
    file_name: str,
    known: Sequence[str] = (),
    *,
    dry_run: bool = False,
) -> tuple[pl.DataFrame | None, list[str], list[str]]:
    """Catalogue rows for unknown series the file describes, notes, and problems for the rest."""
    problems: list[str] = []
    notes: list[str] = []
    report = _reporter(raw, file_name)
    described = raw.series if raw.series is not None else pl.DataFrame({"series_id": []})
    described = described.filter(pl.col("series_id").is_in(unknown))
    rows = []
    by_id = {r["series_id"]: r for r in described.iter_rows(named=True)}
    first_line = (
        raw.frame.group_by("series_id").agg(pl.col("line").min()).iter_rows() if unknown else []
    )
    lines = dict(first_line)
    for series_id in unknown:
        meta = by_id.get(series_id)
        close = close_ids(series_id, known) if len(problems) < MAX_PROBLEMS else []
        if meta is None:
            # The command that defines it, with every flag `tracker define` needs and the
            # frequency the file's periods show: following the hint works.
            guess = _infer_frequency(_periods_of(raw, series_id)) or "M"
            define = (
                f"tracker define {series_id} --name NAME --unit UNIT --unit-kind level "
                f"--frequency {guess} --source '{source}'"
            )
            typo = f"did you mean {' or '.join(close)}? if not, " if close else ""
            problems.append(
                report(
                    lines.get(series_id),
                    "series_id",
                    f"'{series_id}' is not a known series ({typo}define it first: {define}, "
                    "or many at once with tracker define --from-csv catalogue.csv)",
                )
            )
            continue
        # Most files give the frequency: filter the rows of one series only when they do not.
        frequency = meta.get("frequency") or _infer_frequency(_periods_of(raw, series_id))
        if frequency is None:
            problems.append(
                report(
                    lines.get(series_id),
                    "series_id",
                    f"'{series_id}' is new and its frequency cannot be told from the file "
                    f"(define it first: tracker define {series_id} --name NAME --unit UNIT "
                    f"--unit-kind level --frequency Q --source '{source}', with its frequency: "
                    "A, S, Q, M, W, D or irregular)",
                )
            )
            continue
        row = {
            "series_id": series_id,
            "name": meta.get("name") or series_id,
            "unit": meta.get("unit") or "",
            "unit_kind": meta.get("unit_kind") or "level",
            "frequency": frequency,
            "geo": meta.get("geo"),
            "source": meta.get("source") or source,
            "kind": meta.get("kind") or "actual",
            "description": meta.get("description"),
            "tags": list(meta.get("tags") or []),
        }
        rows.append(row)
        guessed = [k for k in ("unit", "unit_kind") if not meta.get(k)]
        verb = "would register" if dry_run else "registered"
        note = f"{verb} new series {series_id} ({FREQUENCY_NAMES[frequency]})"
        if close:
            # A FRED column with a typo would otherwise become a series of its own unnoticed.
            note += (
                f"; it looks like {' or '.join(close)}, already in the store: if it is a typo, "
                f"append with --map {series_id}={close[0]} instead"
            )
        if guessed:
            note += (
                f"; the file does not give its {' or '.join(guessed)} "
                f"(assumed unit_kind '{row['unit_kind']}': set them with "
                f"tracker define {series_id} --unit ... --unit-kind ... --replace)"
            )
        notes.append(note)
    frame = pl.DataFrame(rows, schema=SERIES_SCHEMA) if rows else None
    if len(notes) > MAX_NOTES:
        notes = [_registered_note(rows, dry_run=dry_run)]
    return frame, notes, problems


#: Above this many series registered by one file, one summary note replaces a note each.
MAX_NOTES = 10


def _registered_note(rows: list[dict], *, dry_run: bool = False) -> str:
    """One note for many registered series (a FRED download can hold thousands)."""
    by_frequency: dict[str, int] = {}
    for row in rows:
        by_frequency[row["frequency"]] = by_frequency.get(row["frequency"], 0) + 1
    counts = ", ".join(f"{n:,} {FREQUENCY_NAMES[f]}" for f, n in sorted(by_frequency.items()))
    shown = ", ".join(row["series_id"] for row in rows[:5])
    return (
        f"{'would register' if dry_run else 'registered'} {len(rows):,} new series ({counts}): "
        f"{shown} and {len(rows) - 5:,} more "
        "(tracker series lists them; set units with tracker define ID --unit ... "
        "--unit-kind ... --replace, or many at once with tracker define --from-csv)"
    )


#: The catalogue columns a file or a provider can describe, with their types.
SERIES_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "series_id": pl.String,
    "name": pl.String,
    "unit": pl.String,
    "unit_kind": pl.String,
    "frequency": pl.String,
    "geo": pl.String,
    "source": pl.String,
    "kind": pl.String,
    "description": pl.String,
    "tags": pl.List(pl.String),
}


def upsert_series(
    con: duckdb.DuckDBPyConnection, catalogue: pl.DataFrame, *, replace: bool = False
) -> tuple[list[str], list[str]]:
    """Add catalogue rows; with ``replace`` update existing ones. Returns (added, updated).

    New series need every required column. An update changes only the columns the frame
    carries, so ``tracker define ID --unit "% y/y" --replace`` keeps the rest. A series that
    already has observations cannot change its frequency (its periods would no longer fit).
    """
    table_columns = [r[0] for r in con.execute("DESCRIBE series").fetchall()]
    unknown = [c for c in catalogue.columns if c not in table_columns]
    if unknown:
        raise ValidationError(
            [problem("catalogue", 1, None, f"unknown column(s) {', '.join(unknown)} "
                     f"(a catalogue has {', '.join(table_columns)})")]
        )  # fmt: skip
    current = dict(con.execute("SELECT series_id, frequency FROM series").fetchall())
    is_new = ~pl.col("series_id").is_in(list(current))
    new_rows = catalogue.filter(is_new)
    changed = catalogue.filter(~is_new) if replace else catalogue.clear()
    problems = validate_catalogue(new_rows, file="catalogue")
    problems += validate_catalogue(changed, file="catalogue", require_all=False)
    if problems:
        raise ValidationError(problems)
    if "frequency" in changed.columns and changed.height:
        with_data = {
            r[0]
            for r in con.execute(
                "SELECT series_id FROM current_series WHERE list_contains(?, series_id)",
                [changed["series_id"].to_list()],
            ).fetchall()
        }
        for row in changed.iter_rows(named=True):
            if row["series_id"] in with_data and row["frequency"] != current[row["series_id"]]:
                raise SeriesError(
                    f"error: series {row['series_id']} has observations at frequency "
                    f"{current[row['series_id']]}; it cannot become {row['frequency']} "
                    "(define a new series id for the new frequency)"
                )
    if new_rows.height:
        if "tags" not in new_rows.columns:
            # Stated, not left to the column's DEFAULT []: a lake cannot hold list defaults.
            new_rows = new_rows.with_columns(tags=pl.lit([], dtype=pl.List(pl.String)))
        columns = ", ".join(new_rows.columns)
        with db.registered(con, new_rows=new_rows):
            con.execute(f"INSERT INTO series ({columns}) SELECT {columns} FROM new_rows")
    settable = [c for c in changed.columns if c != "series_id"]
    if changed.height and settable:
        # Column names come from the series table itself (checked above), never from values.
        assignments = ", ".join(f"{c} = changed.{c}" for c in settable)
        with db.registered(con, changed=changed):
            con.execute(
                f"UPDATE series SET {assignments} FROM changed "
                "WHERE series.series_id = changed.series_id"
            )
        # The kept trends carry catalogue fields (name, unit, kind) in their rows and headlines.
        state.refresh_trends(con, changed["series_id"].to_list())
    return new_rows["series_id"].to_list(), changed["series_id"].to_list()


def validate_catalogue(
    catalogue: pl.DataFrame, *, file: str, require_all: bool = True
) -> list[str]:
    """One problem line per bad catalogue cell (unknown unit_kind, frequency, kind, empty name).

    With ``require_all`` (new series) every required column must be present; otherwise only
    the columns given are checked (an update of some fields).
    """
    if catalogue.height == 0:
        return []
    problems: list[str] = []
    required = ("series_id", "name", "unit", "unit_kind", "frequency", "source", "kind")
    missing = [c for c in required if c not in catalogue.columns]
    if missing and require_all:
        return [
            problem(file, 1, None, f"missing column(s) {', '.join(missing)} "
                    f"(a catalogue needs {', '.join(required)})")
        ]  # fmt: skip
    allowed = {
        "unit_kind": UNIT_KINDS,
        "frequency": FREQUENCIES,
        "kind": KINDS,
    }
    for i, row in enumerate(catalogue.iter_rows(named=True), start=2):
        for column in ("series_id", "name", "source"):
            if column in row and not (row[column] or "").strip():
                problems.append(problem(file, i, column, "is empty (every series needs one)"))
        for column, choices in allowed.items():
            if column in row and row[column] not in choices:
                problems.append(
                    problem(
                        file, i, column,
                        f"'{row[column]}' is not one of {', '.join(choices)}",
                    )
                )  # fmt: skip
    return problems[:MAX_PROBLEMS]


# Validation ----------------------------------------------------------------------------------


def _fit_periods(
    con: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    frequencies: dict[str, str],
    file_name: str,
    report: Reporter,
) -> tuple[pl.DataFrame, list[str]]:
    """Add ``period`` (DATE start) and ``period_end`` checked against each series' frequency."""
    frame = frame.with_columns(
        pl.col("series_id")
        .replace_strict(frequencies, default=None, return_dtype=pl.String)
        .alias("frequency")
    )
    table = periods.fit_all(con, frame.select(pl.col("period").alias("code"), "frequency").unique())
    # Join only the key columns and add the result: a join of the whole frame would copy it.
    fitted = (
        frame.select(pl.col("period").alias("code"), "frequency")
        .join(table, on=["code", "frequency"], how="left", maintain_order="left")
        .select("start", "end", "error")
    )
    error = fitted["error"]
    bad = frame.filter(error.is_not_null()).with_columns(error.filter(error.is_not_null()))
    bad = bad.sort("line")
    problems = [
        report(r["line"], "period", f"{r['error']} for series {r['series_id']}")
        for r in bad.head(MAX_PROBLEMS).iter_rows(named=True)
    ]
    if bad.height > MAX_PROBLEMS:
        problems.append(f"error: {file_name}: … and {bad.height - MAX_PROBLEMS} more bad periods")
    out = frame.drop("frequency").with_columns(
        fitted["start"].alias("period"), fitted["end"].alias("period_end")
    )
    return out, problems


def validate(
    con: duckdb.DuckDBPyConnection, raw: RawRelease, series: pl.DataFrame, file_name: str
) -> tuple[pl.DataFrame, list[str]]:
    """Check every row; return the canonical frame and one problem line per bad cell.

    ``con`` is the store the release goes into: its catalogue gave ``series``, and its calendar
    macros check the periods (`tracker.periods.fit_all`).
    """
    frame = conform(raw.frame)
    report = _reporter(raw, file_name)
    problems: list[str] = []
    frequencies = dict(zip(series["series_id"], series["frequency"], strict=True))
    kinds = dict(zip(series["series_id"], series["kind"], strict=True))

    # Values: readers parse text; a frame handed in from Python may still carry NaN or inf.
    bad_values = frame.filter(pl.col("value").is_not_null() & ~pl.col("value").is_finite())
    for r in bad_values.head(MAX_PROBLEMS).iter_rows(named=True):
        problems.append(
            report(r["line"], "value",
                f"'{r['value']}' is not a finite number (use an empty cell for a missing value)",
            )
        )  # fmt: skip

    # Status: default by series kind, must be one we know.
    frame = frame.with_columns(
        pl.coalesce(
            pl.col("status"),
            pl.when(pl.col("series_id").replace_strict(kinds, default=None) == "forecast")
            .then(pl.lit("forecast"))
            .otherwise(pl.lit("actual")),
        ).alias("status")
    )
    bad_status = frame.filter(~pl.col("status").is_in(STATUSES))
    for r in bad_status.head(MAX_PROBLEMS).iter_rows(named=True):
        problems.append(
            report(r["line"], "status",
                f"'{r['status']}' is not a status (use one of {', '.join(STATUSES)}, "
                "or leave it empty)",
            )
        )  # fmt: skip
    frame = frame.with_columns(
        pl.when(pl.col("status") == "deleted").then(None).otherwise(pl.col("value")).alias("value")
    )

    # Periods against each series' frequency.
    frame, period_problems = _fit_periods(con, frame, frequencies, file_name, report)
    problems.extend(period_problems)

    # Duplicate (series, period) within the file. Sorted, a duplicate is a row equal to the
    # one before it: a cheap check, and the sorted frame is what the checksum hashes and the
    # store keeps (physical order is what makes as-of reads fast).
    frame = frame.sort("series_id", "period", "line")
    same_key = (pl.col("series_id") == pl.col("series_id").shift(1)) & (
        pl.col("period") == pl.col("period").shift(1)
    )
    has_duplicates = frame.select(same_key.any()).item() if frame.height > 1 else False
    if not period_problems and has_duplicates:
        dupes = (
            frame.group_by("series_id", "period")
            .agg(pl.col("line").sort(), pl.len().alias("n"))
            .filter(pl.col("n") > 1)
            .sort(pl.col("line").list.first())
        )
        for r in dupes.head(MAX_PROBLEMS).iter_rows(named=True):
            first, *others = r["line"]
            problems.append(
                report(others[0], "period",
                    f"series {r['series_id']} period {r['period'].isoformat()} appears again "
                    f"(first on line {first}; a release holds one value per series and period)",
                )
            )  # fmt: skip
    problems.sort(key=line_of)
    return frame, problems


Reporter = Callable[[int | None, str | None, str], str]


def _reporter(raw: RawRelease, file_name: str) -> Reporter:
    """Problem lines in the file's own terms: its column names, lines or observation numbers."""

    def report(line: int | None, column: str | None, text: str) -> str:
        name = raw.columns.get(column, column) if column else None
        return problem(file_name, line, name, text, locator=raw.locator)

    return report


#: Prefix of the checksum `checksum` computes; releases appended before it carry
#: `legacy_checksum`'s plain ``sha256:`` digests.
CHECKSUM_PREFIX = "sha256v2:"


def checksum(frame: pl.DataFrame, published: datetime) -> str:
    """Hash of the normalised content and its publication time, rows in any order.

    The publication time is part of it because an agency may re-publish identical numbers
    (the IMF's April and October 2024 outlooks both said 3.2 for 2025): that is a new vintage
    confirming the old one, not the same release twice.

    The rows are hashed column by column in (series_id, period) order (unique within a valid
    release): series ids and statuses as runs of equal values (sorted, a few thousand runs per
    million rows), periods as day numbers, values rounded to 12 significant digits (beyond what
    agencies publish, above float noise such as 0.1 + 0.2) as IEEE doubles, missing as NaN.
    """
    body = frame.select(
        "series_id",
        pl.col("period").cast(pl.Int32),
        pl.col("period_end").cast(pl.Int32),
        pl.col("value").round_sig_figs(12).fill_null(float("nan")),
        "status",
    )
    previous_id, previous_period = pl.col("series_id").shift(1), pl.col("period").shift(1)
    in_order = (pl.col("series_id") > previous_id) | (
        (pl.col("series_id") == previous_id) & (pl.col("period") > previous_period)
    )
    if not body.select(in_order.fill_null(True).all()).item():  # `validate` sorts: no copy
        body = body.sort("series_id", "period")
    digest = hashlib.sha256(published.isoformat().encode() + b"\n")
    digest.update(f"{body.height}\n".encode())
    for name in ("series_id", "status"):
        runs = body.select(pl.col(name).rle()).unnest(name)
        for length, value in runs.iter_rows():
            digest.update(f"{length}\x1f{value}\x1e".encode())
    for name in ("period", "period_end", "value"):
        # Fixed-width little-endian numbers without nulls: one Arrow data buffer each.
        digest.update(body[name].to_arrow().buffers()[1])
    return CHECKSUM_PREFIX + digest.hexdigest()


def legacy_checksum(frame: pl.DataFrame, published: datetime) -> str:
    """The checksum of releases appended by tracker before `CHECKSUM_PREFIX` (CSV text)."""
    body = frame.select(
        "series_id",
        pl.col("period").cast(pl.String),
        pl.col("period_end").cast(pl.String),
        pl.col("value").round_sig_figs(12).cast(pl.String),
        "status",
    ).sort("series_id", "period", "status")
    digest = hashlib.sha256(published.isoformat().encode() + b"\n")
    digest.update(body.write_csv(include_header=False).encode())
    return "sha256:" + digest.hexdigest()


def _duplicate_of(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, published: datetime):
    """(checksum, id of a release with the same content and publication time or None). A
    retracted release does not count: its content may be appended again."""
    digests = [checksum(frame, published)]
    if db.scalar(con, "SELECT count(*) FROM releases WHERE checksum LIKE 'sha256:%'"):
        digests.append(legacy_checksum(frame, published))
    existing = db.scalar(
        con,
        "SELECT min(release_id) FROM releases WHERE list_contains(?, checksum) "
        "AND release_id NOT IN (SELECT release_id FROM retractions)",
        [digests],
    )
    return digests[0], existing


# Diff and write ------------------------------------------------------------------------------

#: The release's rows against the kept state of their periods (the newest stored version, see
#: `tracker.state`), classified by the one definition of a change (the ``change_kind`` macro).
#: ``stored``: what a release keeps: what it adds or changes, and forecast vintages whole (a
#: forecast that a new outlook confirms is a data point of the forecast's evolution, unlike an
#: unchanged actual, which is just a repeat).
_DIFF_SQL = """
CREATE OR REPLACE TEMP TABLE diffed AS
WITH
classified AS (
    SELECT
        i.series_id, i.period, i.period_end, i.value, i.status, i.note,
        c.value AS previous_value,
        c.status AS previous_status,
        c.first_release_id AS previous_first_release_id,
        c.first_period_end AS previous_first_period_end,
        c.first_value AS previous_first_value,
        c.first_status AS previous_first_status,
        c.revision_count AS previous_revision_count,
        change_kind(c.value, c.status, i.value, i.status) AS change,
        s.kind = 'forecast' AS forecast
    FROM incoming AS i
    JOIN series AS s ON s.series_id = i.series_id
    LEFT JOIN current_observations AS c ON c.series_id = i.series_id AND c.period = i.period
)
SELECT
    c.*,
    c.change <> 'unchanged' OR (c.forecast AND c.status <> 'deleted') AS stored
FROM classified AS c
"""

#: Sorted by (series_id, period): physical order is what makes as-of reads fast.
_INSERT_SQL = """
INSERT INTO observations (series_id, period, period_end, value, status, release_id, note)
SELECT d.series_id, d.period, d.period_end, d.value, d.status, $release_id, d.note
FROM diffed AS d
WHERE d.stored
ORDER BY d.series_id, d.period
"""


def _diff(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Diff the registered ``incoming`` rows against the store into the temporary table
    ``diffed``; return the count of rows per change (new, revised, restated, unchanged, deleted)."""
    con.execute(_DIFF_SQL)
    return dict(con.execute("SELECT change, count(*) FROM diffed GROUP BY change").fetchall())


def _changes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The rows of ``diffed`` that add or change something, in (series_id, period) order."""
    return con.sql(
        """
        SELECT d.series_id, d.period, d.period_end,
               period_code(s.frequency, d.period, d.period_end) AS period_code,
               d.value, d.status, d.note, d.previous_value, d.previous_status, d.change
        FROM diffed AS d JOIN series AS s ON s.series_id = d.series_id
        WHERE d.change <> 'unchanged' ORDER BY d.series_id, d.period
        """
    ).pl()


def _order_problem(
    con: duckdb.DuckDBPyConnection, published: datetime, file_name: str
) -> str | None:
    # The newest release that stored rows of each series is kept (current_series); its rows
    # are the newest versions of their periods, so its id is the series' largest kept release_id.
    row = db.one(
        con,
        """
        SELECT c.series_id, c.last_published_at
        FROM current_series AS c
        WHERE c.series_id IN (SELECT DISTINCT series_id FROM incoming) AND c.last_published_at > ?
        ORDER BY c.last_published_at DESC, c.series_id LIMIT 1
        """,
        [published],
    )
    if row is None:
        return None
    series_id, later = row
    release_id = db.scalar(
        con, "SELECT max(release_id) FROM current_observations WHERE series_id = ?", [series_id]
    )
    return (
        f"error: {file_name}: series {series_id} already has release {release_id} published "
        f"{later.date().isoformat()}, after this release's {published.date().isoformat()}; "
        "append releases in publication order (an ALFRED file carries a whole vintage history "
        "in one file), or check --published"
    )


def _resolve_meta(raw: RawRelease, meta: ReleaseMeta, file_name: str) -> tuple[str, datetime]:
    published = meta.published or raw.published
    source = meta.source or raw.source
    missing = []
    if published is None:
        missing.append(
            f"error: {file_name}: no publication date (pass --published YYYY-MM-DD: the day "
            "these values became public)"
        )
    if not source:
        missing.append(
            f"error: {file_name}: no source (pass --source PUBLISHER, "
            "e.g. --source 'China customs (GAC)')"
        )
    if missing:
        raise ValidationError(missing)
    return source, published  # type: ignore[return-value]


def append_releases(
    con: duckdb.DuckDBPyConnection,
    releases: Sequence[tuple[RawRelease, str]],
    meta: ReleaseMeta | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[AppendResult]:
    """Validate, diff and write releases, all in one transaction.

    Parameters
    ----------
    con
        A read-write connection to a migrated store.
    releases
        ``(raw_release, file_name)`` pairs, applied in order.
    meta
        Flags that override what the files say (source, published date, title, URL).
    dry_run
        Compute and return the diff but write nothing.
    progress
        Called with ``(step, fraction_done)`` as the work advances.

    Raises
    ------
    ValidationError
        One line per problem across all releases; nothing is written.
    """
    meta = meta or ReleaseMeta()
    say = progress or (lambda step, fraction: None)
    results: list[AppendResult] = []
    total = max(len(releases), 1)
    with db.transaction(con, commit=not dry_run, on_commit=lambda: say("committing", 0.99)):
        for index, (raw, file_name) in enumerate(releases):
            base = index / total
            say(f"validating {file_name}", base)
            results.append(
                _append_one(con, raw, meta, file_name, say, base, 1 / total, dry_run=dry_run)
            )
    for result in results:
        result.dry_run = dry_run
        if dry_run:
            result.release_id = None
    say("done", 1.0)
    return results


def _append_one(
    con: duckdb.DuckDBPyConnection,
    raw: RawRelease,
    meta: ReleaseMeta,
    file_name: str,
    say: Progress,
    base: float,
    share: float,
    *,
    dry_run: bool = False,
) -> AppendResult:
    source, published = _resolve_meta(raw, meta, file_name)
    title = meta.title or raw.title
    url = meta.url or raw.url
    result = AppendResult(file_name=file_name, published_at=published, source=source)
    result.notes.extend(raw.notes)

    if raw.frame.height == 0:
        raise ValidationError(
            [f"error: {file_name}: the release has no rows (expected at least one value)"]
        )

    # Catalogue: register what the file describes, refuse what nobody described.
    problems = list(raw.problems)
    series = known_series(con)
    ids = raw.frame["series_id"].unique()
    unknown = sorted(set(ids.to_list()) - set(series["series_id"].to_list()))
    if unknown:
        new_series, notes, unknown_problems = _series_to_register(
            raw, unknown, source, file_name, series["series_id"].to_list(), dry_run=dry_run
        )
        problems.extend(unknown_problems)
        if new_series is not None:
            upsert_series(con, new_series)
            result.registered = new_series["series_id"].to_list()
            result.notes.extend(notes)
        series = known_series(con)

    # Rows: report every problem of the file at once, in line order.
    known = raw.frame.filter(pl.col("series_id").is_in(series["series_id"].implode()))
    frame, row_problems = validate(con, replace(raw, frame=known), series, file_name)
    problems.extend(row_problems)
    if problems:
        problems.sort(key=line_of)
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], f"error: {file_name}: … and {extra} more"]
        raise ValidationError(problems)
    say(f"diffing {file_name}", base + share * 0.4)

    digest, existing = _duplicate_of(con, frame, published)
    if existing is not None:
        result.duplicate_of = existing
        result.unchanged = frame.height
        return result

    incoming = frame.select("series_id", "period", "period_end", "value", "status", "note")
    with db.registered(con, incoming=incoming):
        order = _order_problem(con, published, file_name)
        if order:
            raise ReleaseError(order)
        count = _diff(con)
    # The rows live on in DuckDB (``diffed``): let Python free its copies before the insert.
    del known, frame, incoming
    result.new = count.get("new", 0)
    result.revised = count.get("revised", 0)
    result.restated = count.get("restated", 0)
    result.deleted = count.get("deleted", 0)
    result.unchanged = count.get("unchanged", 0)
    # Only a dry run shows the changed rows; a real append need not carry them back to Python.
    result.changes = _changes(con) if dry_run else None

    say(f"writing {file_name}", base + share * 0.7)
    release_id = db.next_id(con, "release_id_seq")
    if lake.attached(con):
        lake.claim_series(con, "diffed")
    con.execute(
        """
        INSERT INTO releases (release_id, source, title, published_at, url, ingested_at,
            file_name, format, checksum, rows_new, rows_revised, rows_restated, rows_unchanged,
            rows_deleted, ingested_by)
        VALUES (?, ?, ?, ?, ?, current_localtimestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            release_id, source, title, published, url, file_name, raw.format, digest,
            result.new, result.revised, result.restated, result.unchanged, result.deleted,
            meta.ingested_by or current_user(),
        ],
    )  # fmt: skip
    con.execute(_INSERT_SQL, {"release_id": release_id})
    con.execute(
        "INSERT INTO release_coverage SELECT $release_id, series_id, count(*) FROM diffed "
        "GROUP BY series_id ORDER BY series_id",
        {"release_id": release_id},
    )
    state.apply_release(con, release_id, published)
    con.execute("DROP TABLE diffed")
    result.release_id = release_id
    return result


# The entry point ------------------------------------------------------------------------------

#: What `append` takes: a release file (a path, a binary file object, or bytes with a name as a
#: `tracker.formats.Source`), or a frame of ``series_id, period, value`` (+ ``status``, ``note``).
Release = SourceLike | pl.DataFrame


def append(
    store: str | Path | None,
    sources: Release | list[Release] | tuple[Release, ...],
    *,
    meta: ReleaseMeta | None = None,
    mapping: Mapping[str, str] | None = None,
    format: str | None = None,
    alfred_output: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    progress_rows: int = 0,
) -> list[AppendResult]:
    """Append release files to a store: read, map, validate, diff and write, in one transaction.

    Every source is read (its format sniffed unless ``format`` names one) before the store is
    opened for writing, so a file that cannot be read never takes the write lock. The releases
    of all sources then go in through one writer (`tracker.snapshots.writer`: a running
    dashboard gets a snapshot of the result) and one transaction: a failure anywhere leaves the
    store as it was.

    Parameters
    ----------
    store
        The store; defaults to ``$TRACKER_DB`` or `tracker.paths.DEFAULT_DB`.
    sources
        One release file or frame, or several, appended in order: a path, a binary file
        object, a `tracker.formats.Source` (``Source("may.csv", data=content)`` for bytes), or a
        Polars frame of canonical rows.
    meta
        What the user says about the releases (source, published date, title, URL); it
        overrides what the files say.
    mapping
        Series ids to rename, from-id -> to-id (`tracker.formats.mapping.apply_mapping`): one
        mapping for all sources; an id it names must be in at least one of them.
    format
        A format name (``tracker append --format``) instead of sniffing each file's content.
    alfred_output
        Which ALFRED download a vintage-wide file is (``"all"`` or ``"changes"``) when the file
        does not say it.
    sheet
        The sheet of an Excel workbook to read (default: its first).
    dry_run
        Compute and return the diff (with the changed rows) but write nothing.
    progress
        Called with ``(step, fraction_done)`` as the work advances, when the releases hold more
        than ``progress_rows`` rows.

    Returns
    -------
    list[AppendResult]
        One per release, in order (a file may hold several: ALFRED, DBnomics).

    Raises
    ------
    tracker.errors.TrackerError
        A file that cannot be read (`FormatError`), bad rows (`ValidationError`, one line per
        problem), missing release metadata, a release older than one the store holds for the
        same series (`ReleaseError`), a busy store (`StoreError`); nothing is written then.
    """
    # Read every source before the write lock is taken.
    releases = read_releases(
        sources, format=format, alfred_output=alfred_output, sheet=sheet, mapping=mapping
    )
    rows = sum(raw.frame.height for raw, _ in releases)
    say = progress if progress is not None and rows > progress_rows else None
    # Validate, diff and write.
    with snapshots.writer(store) as con:
        # Only a lake's writers race (`tracker.lake.retrying`): the loser's append runs again.
        return lake.retrying(
            lambda: append_releases(con, releases, meta, dry_run=dry_run, progress=say)
        )


def read_releases(
    sources: Release | list[Release] | tuple[Release, ...],
    *,
    format: str | None = None,
    alfred_output: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> list[tuple[RawRelease, str]]:
    """The releases the sources hold, mapped, as ``(raw_release, file_name)`` pairs in order
    (what `append_releases` takes). Arguments as for `append`."""
    items = list(sources) if isinstance(sources, list | tuple) else [sources]
    names: list[str] = []
    releases: list[tuple[RawRelease, str]] = []
    for item in items:
        if isinstance(item, pl.DataFrame):
            frame = item if "line" in item.columns else item.with_row_index("line", offset=1)
            names.append("frame")
            releases.append((RawRelease(frame=conform(frame), format="frame"), "frame"))
            continue
        source = Source.of(item)
        names.append(source.name)
        read = formats.read(source, format=format, alfred_output=alfred_output, sheet=sheet)
        releases.extend((raw, source.name) for raw in read)
    if mapping:
        from tracker.formats.mapping import apply_mapping

        # One mapping for all sources: an id must appear in at least one of them.
        where = names[0] if len(names) == 1 else "the files"
        mapped = apply_mapping([raw for raw, _ in releases], dict(mapping), file=where)
        releases = [(raw, name) for raw, (_, name) in zip(mapped, releases, strict=True)]
    return releases
