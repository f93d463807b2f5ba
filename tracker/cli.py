"""The ``tracker`` command line: the only place that prints or exits.

Start-up is kept to click: Polars, rich, DuckDB, the formats and the dashboard are imported
inside the commands that use them, so `tracker --help` answers in a few hundredths of a second
and `tracker query` prints a table without Polars (tests/test_cli_startup.py).
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.errors import TrackerError, TransformError
from tracker.vocab import (
    AGGREGATION_METHODS,
    AGGREGATION_TARGETS,
    ALFRED_OUTPUTS,
    FREQUENCIES,
    KINDS,
    ROLES,
    UNIT_KINDS,
)

if TYPE_CHECKING:
    import polars as pl

PROGRESS_ROWS = 100_000
OUTPUT_FORMATS = ("table", "csv", "json", "parquet")


class LazyConsole:
    """A rich Console made on first use: importing rich costs ~50 ms that `--help` need not pay."""

    def __init__(self, **options: Any):
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)
out = LazyConsole(highlight=False, soft_wrap=True)


# Shared options ------------------------------------------------------------------------------


def db_option(f: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="TRACKER_DB",
        default=None,
        help="The store (default: $TRACKER_DB, else data/tracker.duckdb in a checkout, or "
        "tracker.duckdb in the user data folder when installed; `tracker init` prints it).",
    )(f)


def output_options(f: Callable) -> Callable:
    f = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write to this file instead of the terminal (parquet needs it).",
    )(f)
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(f)
    return f


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Full precision, so a small revision never looks like none (12,938.01, not 12,938),
        # without float noise from arithmetic (a change of -3.3, not -3.3000000000000003).
        text = f"{float(f'{value:.12g}'):,}"
        return text.removesuffix(".0")
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ") if value.time() != datetime.min.time() else str(value.date())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def emit(frame: pl.DataFrame, fmt: str, output: Path | None, *, title: str | None = None) -> None:
    """Write a frame as a table, CSV, JSON or Parquet to the terminal or a file."""
    if fmt == "parquet":
        if output is None:
            raise click.UsageError("--format parquet needs -o FILE")
        frame.write_parquet(output)
        err.print(f"wrote {frame.height} rows to {output}")
        return
    if fmt == "table":
        numeric = [t.is_numeric() for t in frame.dtypes]
        emit_table(frame.columns, numeric, frame.iter_rows(), output, title=title)
        return
    if fmt == "csv":
        text = _flatten(frame).write_csv()
    else:
        text = json.dumps(frame.to_dicts(), default=_json_default, indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        err.print(f"wrote {frame.height} rows to {output}")


def emit_table(
    columns: list[str],
    numeric: list[bool],
    rows: Any,
    output: Path | None,
    *,
    title: str | None = None,
) -> None:
    """Write rows (tuples of Python values) as a table to the terminal or a file."""
    from rich.console import Console
    from rich.table import Table

    # The title goes on its own line: a table's title wraps to the table's width.
    table = Table(show_lines=False, header_style="bold")
    # Ids, dates and numbers keep their full width; long text (names, titles) wraps.
    text = {"name", "title", "headline", "description", "source", "freshness", "basis_detail"}
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    for i, column in enumerate(columns):
        table.add_column(
            column,
            justify="right" if numeric[i] else "left",
            no_wrap=column not in text,
            overflow="fold",
            min_width=min(12, widths[i]) if column in text else widths[i],
        )
    for row in cells:
        table.add_row(*row)
    # What the table needs without squeezing: every column at its minimum, plus borders.
    needed = sum(min(12, w) if c in text else w for c, w in zip(columns, widths, strict=True))
    needed += 3 * len(columns) + 1
    natural = sum(widths) + 3 * len(columns) + 1
    if output is None and out.is_terminal and needed > out.width:
        # Too wide for the terminal: one block per row, never a column dropped or cut.
        _print_records(columns, cells, title)
        return
    if output is None and out.is_terminal:
        if title:
            out.print(title, markup=False, highlight=False)
        out.print(table)
        return
    # Piped or written to a file: the table at its full width, nothing squeezed.
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(natural, 80), highlight=False)
    if title:
        console.print(title, markup=False, soft_wrap=True)
    console.print(table)
    if output is None:
        sys.stdout.write(buffer.getvalue())
        return
    output.write_text(buffer.getvalue())
    err.print(f"wrote {len(cells)} rows to {output}")


def _print_records(columns: list[str], cells: list[list[str]], title: str | None) -> None:
    """Rows as blocks of ``column: value`` lines (psql's expanded display)."""
    if title:
        out.print(title, markup=False)
    label = max(len(c) for c in columns)
    for n, row in enumerate(cells, start=1):
        out.print(f"-[ row {n} ]" + "-" * max(0, label - 6), markup=False)
        for column, value in zip(columns, row, strict=True):
            out.print(f"{column.ljust(label)} | {value}", markup=False, soft_wrap=True)


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(pl.col(c).list.join(";") for c in lists) if lists else frame


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def fail_on_tracker_errors(f: Callable) -> Callable:
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except TrackerError as exc:
            if os.environ.get("TRACKER_DEBUG") == "1":
                raise
            # Split on newlines only: a problem quoting a cell stays on its own line.
            for line in exc.message.split("\n"):
                err.print(line, markup=False)
            sys.exit(exc.exit_code)

    return wrapper


# Commands ------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="tracker")
def cli() -> None:
    """Economic indicators with every release kept: append releases, replay any date.

    \b
    Example:
        tracker init
        tracker show CHN.EXPORTS.YOY
        tracker show WLD.GDP.OECD_FCST --as-of 2025-05-01
        tracker query "select * from revisions where series_id = 'WLD.GDP.OECD_FCST'"
    """


@cli.command()
@db_option
@click.option("--no-seed", is_flag=True, help="Create the schema only; do not load data/.")
@click.option(
    "--lake",
    "lake_spec",
    default=None,
    help="Create the store on DuckLake with this catalog, e.g. 'postgres:dbname=lake "
    "host=127.0.0.1 user=tracker'; later commands name it --db 'ducklake:postgres:…'.",
)
@click.option(
    "--data-path",
    default=None,
    help="With --lake: the folder (or object-storage URL) of the lake's Parquet files.",
)
@fail_on_tracker_errors
def init(db_path: Path | None, no_seed: bool, lake_spec: str | None, data_path: str | None) -> None:
    """Create or migrate the store and load the seed release history from data/.

    Running it again applies new migrations and seed releases only: it changes nothing else.

    \b
    Example:
        tracker init
        tracker init --db /tmp/scratch.duckdb --no-seed
        tracker init --lake 'postgres:dbname=lake host=127.0.0.1' --data-path /srv/lake
    """
    from tracker import db, lake, snapshots
    from tracker.seed import load_seed

    if data_path is not None and lake_spec is None:
        raise click.UsageError("--data-path goes with --lake (the lake's catalog)")
    if lake_spec is not None:
        db_path = Path(lake.PREFIX + lake_spec.removeprefix(lake.PREFIX))
        if data_path is None:
            raise click.UsageError(
                "--lake needs --data-path: the folder or URL where the lake keeps its files"
            )
        lake.connect(db_path, data_path=data_path, create=True).close()
    target = db.resolve(db_path)
    with snapshots.writer(target, migrate_first=False) as con:
        applied, refreshed = db.ensure_schema(con)
        done = "views and kept state rebuilt" if refreshed else "views up to date"
        msg = f"store {target}: {len(applied)} migration(s) applied, {done}"
        err.print(msg)
        if no_seed:
            return
        result = load_seed(con)
    err.print(
        f"seed: {len(result.series_added)} series added, {result.events_added} events added, "
        f"{result.releases_added} of {len(result.releases)} releases appended"
    )


def _bar() -> tuple[Any, Callable[[str, float], None]]:
    """A rich progress bar on stderr, and the function that moves it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console: Any = err  # a Console once used: LazyConsole forwards every attribute to it
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )
    task = bar.add_task("appending", total=1.0)

    def update(step: str, fraction: float) -> None:
        bar.update(task, description=step, completed=fraction)

    return bar, update


def _progress_for(rows: int):
    """A rich progress bar for big tables; a no-op for small ones."""
    if rows <= PROGRESS_ROWS or not err.is_terminal:
        return None, None
    return _bar()


def _append_progress() -> AbstractContextManager[Callable[[str, float], None] | None]:
    """The progress callback of `tracker append` for the block: a bar on a terminal, else none."""
    return _LazyProgress() if err.is_terminal else nullcontext(None)


class _LazyProgress:
    """A progress bar that appears on its first update and goes at the end of the block:
    `tracker.append.append` updates it only for releases of more than `PROGRESS_ROWS` rows,
    which it knows once it has read the files."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._update: Callable[[str, float], None] | None = None

    def __call__(self, step: str, fraction: float) -> None:
        if self._update is None:
            self._bar, self._update = _bar()
            self._bar.start()
        self._update(step, fraction)

    def __enter__(self) -> _LazyProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option("--source", help="Publisher of the release, e.g. 'China customs (GAC)'.")
@click.option("--published", help="Day the values became public (YYYY-MM-DD).")
@click.option("--title", help="Title of the release, e.g. 'May 2025 trade data'.")
@click.option("--url", help="Where the release was published.")
@click.option("--format", "fmt", default=None, help="Skip sniffing: the file's format name.")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FROM=TO",
    help="Append the file's series FROM into the existing series TO (repeatable).",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV (from,to) or TOML ([map]) file of series-id mappings.",
)
@click.option(
    "--alfred-output",
    type=click.Choice(ALFRED_OUTPUTS),
    default=None,
    help="Which ALFRED download a vintage-wide file is, when its README does not say: 'all' "
    "(All Observations: a '.' after a value is a withdrawal) or 'changes' (New and Revised "
    "Observations Only: a '.' is unchanged).",
)
@click.option("--sheet", help="The sheet of an Excel workbook to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--show",
    "show_rows",
    default="10",
    show_default=True,
    metavar="N|all",
    help="With --dry-run: how many of the changed rows to list.",
)
@fail_on_tracker_errors
def append(
    files: tuple[Path, ...],
    db_path: Path | None,
    source: str | None,
    published: str | None,
    title: str | None,
    url: str | None,
    fmt: str | None,
    mappings: tuple[str, ...],
    mapping_file: Path | None,
    alfred_output: str | None,
    sheet: str | None,
    dry_run: bool,
    show_rows: str,
) -> None:
    """Append release files: validate every row, diff against the store, commit all at once.

    The format is recognised from the content (canonical CSV/Parquet/JSON lines, FRED, ALFRED,
    SDMX-CSV, SDMX-ML, World Bank WDI, DBnomics, Excel workbooks). If anything is wrong, nothing
    is written and each problem is printed as FILE:LINE: column 'C': what is wrong (the fix).

    \b
    Example:
        tracker append may.csv --source "China customs (GAC)" --published 2025-06-09
        tracker append IMPCH.csv --source FRED --published 2026-02-01 --dry-run
        tracker append IMPCH.csv --source FRED --published 2026-02-01 --dry-run --show all
        tracker append oecd.csv --map "GDP.WLD=WLD.GDP.OECD_FCST" --published 2025-06-03
        tracker append GDP_vintages.csv --alfred-output all
        tracker append outlook.xlsx --sheet Forecasts --source IMF --published 2025-04-22
    """
    import polars as pl

    from tracker import append as appending

    if show_rows != "all" and not show_rows.isdigit():
        raise click.BadParameter(f"'{show_rows}' is not a number or 'all'", param_hint="--show")
    limit = None if show_rows == "all" else int(show_rows)
    meta = appending.ReleaseMeta(
        source=source, published=appending.parse_published(published), title=title, url=url
    )
    with _append_progress() as progress:
        results = appending.append(
            db_path,
            list(files),
            meta=meta,
            mapping=_mapping(mappings, mapping_file),
            format=fmt,
            alfred_output=alfred_output,
            sheet=sheet,
            dry_run=dry_run,
            progress=progress,
            progress_rows=PROGRESS_ROWS,
        )
    for result in results:
        for note in result.notes:
            err.print(f"note: {note}", markup=False)
        changes = result.changes
        if dry_run and changes is not None and changes.height and limit != 0:
            shown = changes if limit is None else changes.head(limit)
            more = changes.height - shown.height
            title = f"{result.file_name}: " + (
                f"the first {shown.height} of {changes.height:,} changed rows" if more else
                f"the {changes.height:,} changed row{'s' if changes.height > 1 else ''}"
            )  # fmt: skip
            emit(
                shown.select(
                    "change",
                    "series_id",
                    pl.col("period_code").alias("period"),
                    "previous_value",
                    "value",
                    "status",
                ),
                "table",
                None,
                title=title,
            )
            if more:
                err.print(f"… and {more:,} more (--show all lists them)", markup=False)
        out.print(result.summary(), markup=False)


def _mapping(pairs: tuple[str, ...], mapping_file: Path | None) -> dict[str, str]:
    if not pairs and mapping_file is None:
        return {}
    from tracker.formats import mapping as mapping_module

    result = mapping_module.load_mapping(mapping_file) if mapping_file else {}
    result.update(mapping_module.parse_mapping(pairs))
    return result


@cli.command()
@click.argument("series_id", required=False)
@db_option
@click.option(
    "--from-csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Define every series in a catalogue CSV (the shape of data/series.csv).",
)
@click.option("--name", help="Human name, e.g. 'China exports, y/y'.")
@click.option("--unit", help="Display unit, e.g. '% y/y' or 'USD mn'.")
@click.option(
    "--unit-kind",
    type=click.Choice(UNIT_KINDS),
    help="What the numbers are; decides which transforms make sense.",
)
@click.option(
    "--frequency", type=click.Choice(FREQUENCIES),
    help="Periodicity of the observations.",
)  # fmt: skip
@click.option("--geo", help="ISO 3166 alpha-3 code, or WLD.")
@click.option("--source", help="Publisher, e.g. 'OECD'.")
@click.option(
    "--kind", type=click.Choice(KINDS), default=None,
    help="actual (default); forecast: periods are target periods; policy: levels in force.",
)  # fmt: skip
@click.option("--description", help="One or two sentences on what the series measures.")
@click.option("--tags", help="Comma-separated tags, e.g. 'china,trade'.")
@click.option(
    "--actual-series", "actual_series_id", metavar="SERIES_ID",
    help="For a forecast series (a consensus poll, an outlook): the actual series it forecasts; "
    "surprises, forecast errors and the Overview's 'expected' line follow this link.",
)  # fmt: skip
@click.option("--replace", is_flag=True, help="Update a series that already exists.")
@fail_on_tracker_errors
def define(
    series_id: str | None,
    db_path: Path | None,
    from_csv: Path | None,
    replace: bool,
    tags: str | None,
    **fields: str | None,
) -> None:
    """Define new series in the catalogue, one from flags or many from a catalogue CSV.

    \b
    Example:
        tracker define DEU.EXPORTS.YOY --name "Germany exports, y/y" --unit "% y/y" \\
            --unit-kind growth_yoy --frequency M --geo DEU --source Destatis
        tracker define --from-csv my_series.csv
        tracker define DEU.EXPORTS.YOY.CONSENSUS --kind forecast --actual-series DEU.EXPORTS.YOY \
            --name "Germany exports, y/y: consensus" --unit "% y/y" --unit-kind growth_yoy \
            --frequency M --geo DEU --source "Reuters poll"
    """
    import polars as pl

    from tracker import append as appending
    from tracker import snapshots
    from tracker.seed import read_catalogue

    if from_csv is not None:
        catalogue = read_catalogue(from_csv)
    else:
        if not series_id:
            raise click.UsageError("give a SERIES_ID (or --from-csv FILE)")
        needed = ("name", "unit", "unit_kind", "frequency", "source")
        missing = [f"--{n.replace('_', '-')}" for n in needed if not fields.get(n)]
        if missing and not replace:
            raise click.UsageError(f"defining {series_id} needs {', '.join(missing)}")
        # With --replace only the flags given change; the rest of the definition stays.
        row: dict[str, object] = {
            "series_id": series_id,
            **{k: v for k, v in fields.items() if v is not None},
        }
        if not replace:
            row.setdefault("kind", "actual")
        if tags is not None:
            row["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        catalogue = pl.DataFrame([row])
    with snapshots.writer(db_path) as con:
        if fields.get("actual_series_id"):
            _check_actual_link(con, str(series_id), str(fields["actual_series_id"]), fields)
        added, updated = appending.upsert_series(con, catalogue, replace=replace)
    skipped = len(catalogue) - len(added) - len(updated)
    out.print(f"{len(added)} series added, {len(updated)} updated", markup=False)
    if skipped:
        err.print(f"note: {skipped} already defined (pass --replace to update them)")


def _check_actual_link(con, series_id: str, actual_id: str, fields: dict) -> None:
    """`--actual-series` names a series that exists, and links a forecast series to it."""
    from tracker.errors import SeriesError

    kinds = dict(
        con.execute(
            "SELECT series_id, kind FROM series WHERE series_id IN (?, ?)", [series_id, actual_id]
        ).fetchall()
    )
    if actual_id not in kinds:
        raise SeriesError(
            f"error: --actual-series {actual_id}: no such series (define it first, or see "
            "`tracker series`)"
        )
    if actual_id == series_id:
        raise SeriesError(f"error: --actual-series: {series_id} cannot forecast itself")
    kind = fields.get("kind") or kinds.get(series_id) or "actual"
    if kind != "forecast":
        raise SeriesError(
            f"error: --actual-series links a forecast series to the actual it forecasts, but "
            f"{series_id} is of kind {kind}: add --kind forecast"
        )


@cli.command()
@click.argument("sql")
@db_option
@output_options
@click.option("--limit", type=int, default=None, help="Return at most this many rows.")
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds before it is stopped."
)
@fail_on_tracker_errors
def query(
    sql: str,
    db_path: Path | None,
    fmt: str,
    output: Path | None,
    limit: int | None,
    timeout: float,
) -> None:
    """Run read-only SQL on the store (- reads it from stdin).

    Every public view works: latest, vintages, first_release, revisions, series_summary, and
    the table macro asof(ts). Writes, file access and settings changes are refused.

    \b
    Example:
        tracker query "select * from revisions where series_id = 'WLD.GDP.OECD_FCST'"
        tracker query "select * from asof(DATE '2025-05-01')" --format csv -o may.csv
        echo "select count(*) from observations" | tracker query -
    """
    from tracker import sqlconsole

    if sql == "-":
        sql = sys.stdin.read()
    if fmt == "table":
        # Rows straight from DuckDB: a table needs no Polars, which costs more than the query.
        rows = sqlconsole.run_rows(db_path, sql, max_rows=limit, timeout=timeout)
        emit_table(rows.columns, rows.numeric, rows.rows, output)
        truncated = rows.truncated
    else:
        result = sqlconsole.run(db_path, sql, max_rows=limit, timeout=timeout)
        emit(result.frame, fmt, output)
        truncated = result.truncated
    if truncated:
        err.print(f"note: showing the first {limit} rows (raise --limit for more)")


@cli.command("sql")
@db_option
@click.option("--timeout", default=30.0, show_default=True, help="Seconds before a query stops.")
@fail_on_tracker_errors
def sql_shell(db_path: Path | None, timeout: float) -> None:
    """An interactive read-only SQL shell on the store (no other program needed).

    End each statement with ; (it may span lines). .tables lists the views and tables, .quit or
    Ctrl-D leaves. The same read-only connection as `tracker query`: writes, file access and
    settings changes are refused, and the store stays free for `tracker append` between
    statements. From your own Python, open the file read-only the same way:
    duckdb.connect("data/tracker.duckdb", read_only=True).

    \b
    Example:
        tracker sql
        tracker> select * from latest where series_id = 'CHN.EXPORTS.YOY';
    """
    from tracker import sqlconsole

    interactive = sys.stdin.isatty()
    if interactive:
        err.print("read-only SQL on the store; end statements with ;  (.tables, .quit)")
    buffer: list[str] = []
    while True:
        try:
            line = (
                input("tracker> " if not buffer else "   ...> ")
                if interactive
                else sys.stdin.readline()
            )
        except EOFError:
            break
        if not interactive and line == "":
            break
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit", "\\q"):
            break
        if not buffer and stripped == ".tables":
            stripped = (
                "SELECT table_name AS name, table_type AS kind FROM information_schema.tables "
                "ORDER BY kind, name;"
            )
        if not stripped:
            continue
        buffer.append(stripped)
        if not stripped.endswith(";"):
            continue
        statement, buffer = " ".join(buffer), []
        try:
            rows = sqlconsole.run_rows(db_path, statement, max_rows=1000, timeout=timeout)
        except TrackerError as exc:
            err.print(exc.message, markup=False)
            continue
        emit_table(rows.columns, rows.numeric, rows.rows, None)
        if rows.truncated:
            err.print("note: showing the first 1000 rows (tracker query --limit gives more)")


@cli.command("series")
@click.argument("text", required=False)
@db_option
@output_options
@fail_on_tracker_errors
def series_cmd(text: str | None, db_path: Path | None, fmt: str, output: Path | None) -> None:
    """List the series catalogue with latest readings; TEXT searches id, name, geo, source, tags.

    \b
    Example:
        tracker series
        tracker series china
        tracker series tariff --format csv
    """
    import polars as pl

    from tracker import queries, snapshots

    with snapshots.reader(db_path) as con:
        frame = queries.summary(con, text)
        if fmt == "table":
            codes = queries.period_codes(con, frame.select("series_id", "frequency", "last_period"))
    if fmt == "table":
        # The main columns; --format csv/json gives every column.
        frame = frame.with_columns(codes.alias("last_period")).select(
            "series_id", "name", "last_period", "last_value", "unit", "change",
            pl.col("last_published_at").dt.date().alias("published"),
        )  # fmt: skip
    emit(frame, fmt, output)


@cli.command()
@click.argument("series_id")
@db_option
@click.option("--as-of", help="Show the series as it was known on this date (YYYY-MM-DD).")
@click.option("--vintages", "show_vintages", is_flag=True, help="Every version of every period.")
@click.option(
    "--periods",
    metavar="FROM:TO",
    help="Only these periods, as codes: 2024-01:2024-12, 2020:, :2019-Q4.",
)
@click.option(
    "--revised-only", is_flag=True, help="With --vintages: only the periods that were revised."
)
@click.option(
    "--transform",
    metavar="CODE",
    help="A FRED units transform: lin, chg, ch1, pch, pc1, pca, cch, cca, log.",
)
@click.option(
    "--rebase", metavar="PERIOD", help="An index = 100 in PERIOD (2020, 2020-Q1, 2020-01)."
)
@click.option(
    "--to",
    "to_frequency",
    type=click.Choice(AGGREGATION_TARGETS, case_sensitive=False),
    help="Aggregate to this frequency first; a period missing a sub-period is left empty.",
)
@click.option(
    "--agg",
    type=click.Choice(AGGREGATION_METHODS, case_sensitive=False),
    default=None,
    help="How --to aggregates: avg (default), sum or eop (end of period).",
)
@output_options
@fail_on_tracker_errors
def show(
    series_id: str,
    db_path: Path | None,
    as_of: str | None,
    show_vintages: bool,
    periods: str | None,
    revised_only: bool,
    transform: str | None,
    rebase: str | None,
    to_frequency: str | None,
    agg: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Show one series: as now known, as known on a date, with every vintage, or transformed.

    The as-of cut comes first, then --to aggregates, then --transform or --rebase applies: every
    number comes from the SQL macros transformed, rebased and aggregated. A percent change of a
    rate, growth rate or share is refused with the transform to use instead.

    \b
    Example:
        tracker show CHN.EXPORTS.YOY
        tracker show WLD.GDP.OECD_FCST --as-of 2025-05-01
        tracker show WLD.GDP.OECD_FCST --vintages
        tracker show GDP --vintages --periods 2019-Q1:2019-Q4 --revised-only
        tracker show IMPCH --transform pc1
        tracker show CHN.EXPORTS.YOY --transform ch1 --as-of 2025-06-10
        tracker show IMPCH --rebase 2020
        tracker show IMPCH --to Q --agg sum --transform pc1
    """
    import polars as pl

    from tracker import analytics, queries, snapshots

    derived = transform is not None or rebase is not None or to_frequency is not None
    if show_vintages and derived:
        raise click.UsageError("--vintages cannot be combined with --transform, --rebase or --to")
    if transform is not None and rebase is not None:
        raise click.UsageError("give --transform or --rebase, not both")
    if agg is not None and to_frequency is None:
        raise click.UsageError("--agg needs --to Q (or S, A)")
    if revised_only and not show_vintages:
        raise click.UsageError("--revised-only goes with --vintages")
    frequency = to_frequency.upper() if to_frequency else None
    method = (agg or "avg").lower()
    with snapshots.reader(db_path) as con:
        meta = queries.require_series(con, series_id)
        unit = meta["unit"]
        try:
            if transform is not None:
                frame = analytics.transformed(
                    con, series_id, transform, as_of=as_of, frequency=frequency, method=method
                )
            elif rebase is not None:
                frame = analytics.rebased(
                    con, series_id, rebase, as_of=as_of, frequency=frequency, method=method
                )
            elif frequency is not None:
                frame = analytics.aggregated(con, series_id, frequency, method, as_of=as_of)
            elif show_vintages:
                frame = queries.vintages(con, series_id).select(
                    "period", "value", "status", "release_id", "published_at", "source"
                )
            else:
                frame = queries.series(con, series_id, as_of=as_of).select(
                    "period", "period_end", "value", "status", "release_id", "published_at"
                )
        except TransformError as exc:
            raise TransformError(_error_line(exc.message)) from None
        if periods is not None:
            frame = _in_periods(frame, periods, frequency or meta["frequency"])
        if revised_only:
            revised = con.sql(
                "SELECT DISTINCT period FROM revisions WHERE series_id = $id",
                params={"id": series_id},
            ).pl()["period"]
            frame = frame.filter(frame["period"].is_in(revised.implode()))
        if frame.is_empty() and as_of is not None:
            _nothing_known(con, series_id, as_of)
        if fmt == "table" and frame.height:
            # Periods as people write them (2025-05, 2024-01/02, 2025-Q2); csv/json keep dates.
            coded = frame.with_columns(
                series_id=pl.lit(series_id), frequency=pl.lit(frequency or meta["frequency"])
            )
            codes = queries.period_codes(con, coded.select("series_id", "frequency", "period"))
            frame = frame.with_columns(codes.alias("period"))
            if "period_end" in frame.columns and not derived:
                frame = frame.drop("period_end")
    if derived and frame.height:
        unit = frame["unit"][0]
    if derived and fmt == "table":
        extra = ["covered", "expected"] if "covered" in frame.columns else []
        frame = frame.select("period", "value", *extra)
    known = f" as known on {as_of}" if as_of else ""
    if frame.is_empty():
        err.print(f"{series_id} has no observations{known}", markup=False)
        return
    emit(frame, fmt, output, title=f"{series_id} — {meta['name']} ({unit}){known}")


def _in_periods(frame: pl.DataFrame, text: str, frequency: str) -> pl.DataFrame:
    """The rows whose period lies in FROM:TO (period codes; either side may be empty)."""
    from tracker import periods as codes

    if ":" not in text:
        raise click.BadParameter(
            f"'{text}' is not FROM:TO (e.g. 2024-01:2024-12)", param_hint="--periods"
        )
    first, last = (part.strip() for part in text.split(":", 1))
    keep = frame["period"].is_not_null()
    try:
        if first:
            keep &= frame["period"] >= codes.parse(first)[1]
        if last:
            keep &= frame["period"] <= codes.parse(last)[2]
    except codes.PeriodError as exc:
        raise click.BadParameter(exc.message, param_hint="--periods") from None
    return frame.filter(keep)


def _nothing_known(con, series_id: str, as_of: str) -> None:
    """An as-of date before a series' first release is an error that names the first one."""
    from tracker import db
    from tracker.errors import QueryError

    first = db.scalar(
        con,
        "SELECT min(published_at) FROM release_series WHERE series_id = ?",
        [series_id],
    )
    if first is not None and first.date().isoformat() > as_of[:10]:
        raise QueryError(
            f"error: nothing of {series_id} was published by {as_of}: its first release came "
            f"out on {first.date().isoformat()} (pick a later --as-of)"
        )


def _error_line(text: str) -> str:
    """A message as the CLI prints it: prefixed ``error: `` once."""
    return text if text.startswith("error: ") else f"error: {text}"


@cli.command("trends")
@db_option
@click.option("--as-of", help="The trends as they looked on this date (YYYY-MM-DD).")
@click.option("--headlines", is_flag=True, help="Print only each series' one-line headline.")
@output_options
@fail_on_tracker_errors
def trends_cmd(
    db_path: Path | None, as_of: str | None, headlines: bool, fmt: str, output: Path | None
) -> None:
    """Per series: latest value, changes, rolling means, slope, current streak and a headline.

    Actual and policy series only (forecasts: `tracker query "select * from forecast_evolution"`).
    The table shows the main columns; --format csv/json gives all of them (the view `trends`).

    \b
    Example:
        tracker trends
        tracker trends --headlines
        tracker trends --as-of 2025-06-10 --format csv -o trends.csv
    """
    from tracker import analytics, snapshots

    with snapshots.reader(db_path) as con:
        frame = analytics.trends(con, as_of=as_of)
    if headlines:
        for line in frame["headline"]:
            out.print(line, markup=False)
        return
    if fmt == "table":
        frame = frame.select(
            "series_id", "last_period", "last_value", "change_1p", "change_1y", "mean_3",
            "slope_6", "headline",
        )  # fmt: skip
    emit(frame, fmt, output)


@cli.command("check")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Format of the offending rows.",
)
@fail_on_tracker_errors
def check_cmd(db_path: Path | None, fmt: str) -> None:
    """Run the data checks in sql/checks/; print the rows each failing check flags, exit 1 if any.

    Checks: duplicate keys, periods off the series frequency, values outside a series' range,
    releases without rows, series without a source, observations without a series or release.

    \b
    Example:
        tracker check
        tracker check --db /tmp/scratch.duckdb --format csv
    """
    from tracker import analytics, snapshots

    with snapshots.reader(db_path) as con:
        results = analytics.run_checks(con)
    failed = {name: frame for name, frame in results.items() if frame.height}
    for name, frame in failed.items():
        rows = "row" if frame.height == 1 else "rows"
        out.print(f"check {name} failed: {frame.height} offending {rows}", markup=False)
        emit(frame, fmt, None)
    if failed:
        raise analytics.ChecksFailed(
            f"error: {len(failed)} of {len(results)} checks failed: {', '.join(failed)}"
        )
    out.print(f"all {len(results)} checks passed", markup=False)


@cli.command()
@db_option
@click.option("--limit", type=int, default=None, help="Only the newest N releases.")
@output_options
@fail_on_tracker_errors
def releases(db_path: Path | None, limit: int | None, fmt: str, output: Path | None) -> None:
    """List the releases, newest first, with what each added and changed.

    \b
    Example:
        tracker releases --limit 10
    """
    import polars as pl

    from tracker import queries, snapshots

    with snapshots.reader(db_path) as con:
        frame = queries.releases(con, limit=limit)
    if fmt == "table":
        frame = frame.select(
            "release_id", pl.col("published_at").dt.date().alias("published"), "source", "title",
            pl.col("rows_new").alias("new"), pl.col("rows_revised").alias("revised"),
            pl.col("rows_restated").alias("restated"), pl.col("rows_unchanged").alias("unchanged"),
            pl.col("rows_deleted").alias("deleted"),
            pl.col("retracted_at").dt.date().alias("retracted"),
        )  # fmt: skip
    emit(frame, fmt, output)


@cli.command("compact")
@db_option
@click.option(
    "--dry-run", is_flag=True, help="Only say how much of the table is in order; write nothing."
)
@fail_on_tracker_errors
def compact_cmd(db_path: Path | None, dry_run: bool) -> None:
    """Rewrite the observations in (series_id, period, release_id) order, so one-series
    questions read one place of the file instead of a row group per release.

    Every row and release id is kept; only the physical order changes, in one transaction (a
    failure leaves the store as it was), followed by a checkpoint. A running `tracker serve`
    sees the result on its next page load. Nothing to do when the rows are already in order.
    It sorts and rewrites the whole table, holding the write lock: about 8 s and 1 GB of memory
    per 10 million rows on 2 cores. Run it after large appends or on a schedule; --dry-run says
    how many rows lie after the ordered part.

    On a lake it runs DuckLake's maintenance instead: the rows small appends left in the catalog
    go to Parquet files, and small files are merged; --dry-run counts the files per table.

    \b
    Example:
        tracker compact
        tracker compact --dry-run
        tracker compact --db /tmp/scratch.duckdb
    """
    from tracker import compact as compacting
    from tracker import lake

    if lake.is_lake(db_path):
        _compact_lake(str(db_path), dry_run)
        return
    result = compacting.check(db_path)
    result.dry_run = dry_run
    if not dry_run and not result.in_order:
        bar, update = _progress_for(result.rows)
        if bar is None:
            result = compacting.compact(db_path)
        else:
            with bar:
                result = compacting.compact(db_path, progress=update)
    for line in result.summary():
        out.print(line, markup=False)


def _compact_lake(spec: str, dry_run: bool) -> None:
    """`tracker compact` on a lake: its rows kept in the catalog go to Parquet files and small
    files are merged (DuckLake's maintenance), table by table."""
    from tracker import db, lake

    with db.writer(spec) as con:
        if dry_run:
            before = after = lake.data_files(con)
        else:
            before, after = lake.compact(con)
    for table, files in before.items():
        change = f"{files} data file(s)" if dry_run else f"{files} -> {after[table]} data file(s)"
        out.print(f"{table}: {change}", markup=False)
    if not dry_run:
        err.print(
            "compacted: rows the catalog held are in Parquet files and small files merged; the "
            "replaced files stay for time travel until ducklake_expire_snapshots and "
            "ducklake_cleanup_old_files remove them",
            markup=False,
        )


@cli.command("export")
@db_option
@click.option(
    "--to-lake",
    "to_lake",
    default=None,
    help="Copy the file store (--db) into a new lake with this catalog, e.g. "
    "'postgres:dbname=lake host=127.0.0.1'.",
)
@click.option("--data-path", default=None, help="With --to-lake: where the lake keeps its files.")
@click.option(
    "--to-file",
    "to_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Copy the lake (--db 'ducklake:…') into this new DuckDB file.",
)
@fail_on_tracker_errors
def export_cmd(
    db_path: Path | None, to_lake: str | None, data_path: str | None, to_file: Path | None
) -> None:
    """Move a store between a DuckDB file and a DuckLake lake, every release and vintage kept.

    Each table's row count and checksum are compared on both sides after the copy.

    \b
    Example:
        tracker export --to-lake 'postgres:dbname=lake host=127.0.0.1' --data-path /srv/lake
        tracker export --db 'ducklake:postgres:dbname=lake' --to-file /tmp/copy.duckdb
    """
    from tracker import db, lake

    if (to_lake is None) == (to_file is None):
        raise click.UsageError("pass one of --to-lake CATALOG or --to-file PATH")
    if to_lake is not None:
        if data_path is None:
            raise click.UsageError("--to-lake needs --data-path: where the lake keeps its files")
        target: str | Path = lake.PREFIX + to_lake.removeprefix(lake.PREFIX)
    else:
        target = to_file  # type: ignore[assignment]
    source = db.resolve(db_path)
    counts = lake.export(source, target, data_path=data_path)
    for table, (rows, checksum) in counts.items():
        out.print(f"{table}: {rows} rows, checksum {checksum:x}", markup=False)
    err.print(f"exported {source} to {target}: counts and checksums match")


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _bring_schema_up_to_date(target: Path) -> None:
    from tracker import db, snapshots

    warning = db.update_schema(target, on_commit=[snapshots.publish])
    if warning:
        err.print(warning, markup=False)


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests answered at once (for several processes, see gunicorn in the README).",
)
@click.option("--debug", is_flag=True, help="Dash dev tools: callback errors shown in the page.")
@click.option(
    "--login/--no-login",
    "login",
    default=None,
    help="Ask for a login, with the roles of `tracker users`. Needed to listen beyond "
    "loopback; --no-login instead only behind a proxy of your own that checks who comes in.",
)
@click.option(
    "--trusted-proxy",
    is_flag=True,
    help="Behind one reverse proxy that terminates https: trust its X-Forwarded-For and "
    "X-Forwarded-Proto, and send cookies over https only.",
)
@fail_on_tracker_errors
def serve(
    db_path: Path | None,
    host: str,
    port: int,
    threads: int,
    debug: bool,
    login: bool | None,
    trusted_proxy: bool,
) -> None:
    """Start the dashboard on http://HOST:PORT (the store must exist: `tracker init` makes it).

    The dashboard reads a snapshot of the store that every writer refreshes after its commit,
    so `tracker append` from another terminal works while it runs, and new releases show on the
    next page interaction. It runs on waitress, a production WSGI server.

    To share it, add users (`tracker users add NAME --role viewer|analyst|editor`) and start it
    with --login: every page and callback then needs a session, and the SQL console, downloads
    and uploads need their role, checked on the server.

    \b
    Example:
        tracker serve
        tracker serve --db /tmp/scratch.duckdb --port 8051
        tracker serve --login --host 0.0.0.0
    """
    from tracker import db, lake
    from tracker.errors import ServeError, StoreError

    if login is None and host not in LOOPBACK_HOSTS:
        raise ServeError(
            f"error: listening on {host} needs --login (add users with `tracker users add NAME "
            "--role viewer`), or --no-login behind a proxy of your own that checks who comes in"
        )
    target = db.resolve(db_path)
    if not lake.is_lake(target) and not target.exists():
        raise StoreError(
            f"error: store {target} does not exist (run `tracker init` to create it, "
            "or pass --db / set TRACKER_DB)"
        )
    users_path = _login_users(target) if login else None
    from dashboards.server import Listener

    # Bound before anything else happens: a taken port is one line, and requests that arrive
    # while the app is built wait in the socket's backlog instead of being refused.
    listener = Listener(host, port)
    try:
        _bring_schema_up_to_date(target)
        if host not in LOOPBACK_HOSTS and not login:
            err.print(
                f"warning: listening on {host} with --no-login: unless your proxy checks who "
                "comes in, anyone who reaches the port can read everything, run SQL and append "
                "releases",
                markup=False,
            )
        from dashboards.app import create_app, warm_up
        from tracker import snapshots

        app = create_app(
            target, login=bool(login), users_path=users_path, trusted_proxy=trusted_proxy
        )
        if debug:
            app.enable_dev_tools(debug=True)
        warm_up(app)
        shown = f"[{host}]" if ":" in host else host
        logins = f"; logins from {users_path}" if users_path else ""
        err.print(
            f"tracker dashboard on http://{shown}:{port}/ (store {target}{logins}; "
            "Ctrl+C stops it)",
            markup=False,
        )
        # While registered, every writer publishes a snapshot that this server reads, so
        # `tracker append` from another terminal never waits for the dashboard
        # (docs/architecture.md).
        with snapshots.registered_server(target):
            listener.serve(app.server, threads=threads, proxy_headers=trusted_proxy)
    finally:
        listener.close()


def _login_users(target: Path) -> Path:
    """The users file for `serve --login`; refused when it has no user or flask-login is
    missing."""
    from tracker import users
    from tracker.errors import ServeError

    try:
        import flask_login  # noqa: F401
    except ImportError:
        raise ServeError("error: --login needs flask-login: pip install 'tracker[serve]'") from None
    path = users.users_file(target)
    if not users.load(path):
        raise ServeError(
            f"error: --login needs at least one user in {path}: add one with "
            "`tracker users add NAME --role editor`"
        )
    return path


# Following sources ---------------------------------------------------------------------------


@cli.command()
@click.argument("subscription", metavar="PROVIDER:KEY")
@db_option
@click.option(
    "--as",
    "series_id",
    metavar="SERIES_ID",
    help="The tracker series it feeds (default: the provider's own id, e.g. GDP).",
)
@fail_on_tracker_errors
def subscribe(subscription: str, db_path: Path | None, series_id: str | None) -> None:
    """Follow a provider's series: `tracker pull` then fetches every new vintage of it.

    Registers the series it feeds, with the name, unit, frequency and source the provider
    gives, unless a series with that id exists (it must have the same frequency).

    \b
    PROVIDER:KEY is one of
      fred:SERIES            FRED/ALFRED (API key: FRED_API_KEY or ~/.config/tracker/config.toml)
      sdmx:SOURCE/FLOW/KEY   an SDMX agency sdmx1 knows (ECB, ESTAT, OECD, IMF_DATA, BIS, ...)
      wb:INDICATOR/COUNTRY   the World Bank API

    \b
    Example:
        tracker subscribe fred:GDP
        tracker subscribe sdmx:ECB/EXR/M.USD.EUR.SP00.A --as USD.EUR.M
        tracker subscribe wb:NY.GNP.PCAP.CD/US
    """
    from tracker import pull as pulling

    result = pulling.subscribe(db_path, subscription, series_id=series_id)
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    out.print(result.summary(), markup=False)


@cli.command()
@click.argument("subscription", metavar="PROVIDER:KEY|SERIES_ID")
@db_option
@fail_on_tracker_errors
def unsubscribe(subscription: str, db_path: Path | None) -> None:
    """Stop following a series. The series and every release it received stay in the store.

    \b
    Example:
        tracker unsubscribe fred:GDP
        tracker unsubscribe GDP
    """
    from tracker import pull as pulling

    removed = pulling.unsubscribe(db_path, subscription)
    out.print(
        f"unsubscribed {removed.subscription}; series {removed.series_id} and its releases stay "
        "in the store",
        markup=False,
    )


@cli.command("subscriptions")
@db_option
@output_options
@fail_on_tracker_errors
def subscriptions_cmd(db_path: Path | None, fmt: str, output: Path | None) -> None:
    """List the subscriptions: what each feeds, its newest vintage, its last pull, when it is due.

    \b
    Example:
        tracker subscriptions
        tracker subscriptions --format csv
    """
    from tracker import pull as pulling

    frame = pulling.list_subscriptions(db_path)
    if fmt == "table":
        frame = frame.select(
            "subscription", "series_id", "last_vintage", "last_pulled_at", "last_status",
            "next_release", "due_reason",
        )  # fmt: skip
    if frame.height == 0 and fmt == "table":
        err.print("no subscriptions yet (add one with: tracker subscribe fred:GDP)")
        return
    emit(frame, fmt, output, title="subscriptions")


@cli.command("pull")
@click.argument("series", nargs=-1)
@db_option
@click.option("--due", is_flag=True, help="Only subscriptions that are due (see README).")
@click.option("--dry-run", is_flag=True, help="Fetch and show what would change; write nothing.")
@fail_on_tracker_errors
def pull_cmd(series: tuple[str, ...], db_path: Path | None, due: bool, dry_run: bool) -> None:
    """Fetch what the subscribed publishers released since the last pull, and append it.

    Each new vintage becomes its own release, dated by the publisher (FRED's realtime_start,
    an SDMX or World Bank update date), in publication order. SERIES are series ids or
    subscriptions (default: all). One line per subscription; exit code 1 if any failed (the
    others are pulled all the same, and a failed one leaves nothing half appended).

    \b
    Example:
        tracker pull
        tracker pull GDP --dry-run
        tracker pull --due          # from cron or a systemd timer
    """
    from tracker import pull as pulling

    bar = None
    tasks: dict[str, Any] = {}
    if err.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console: Any = err  # a Console once used: LazyConsole forwards every attribute to it
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )

    def progress(subscription: str, step: str, fraction: float) -> None:
        if bar is None:
            return
        if subscription not in tasks:
            tasks[subscription] = bar.add_task(subscription, total=1.0)
        bar.update(tasks[subscription], description=f"{subscription}: {step}", completed=fraction)
        if fraction >= 1.0:
            bar.remove_task(tasks.pop(subscription))

    def report(result) -> None:
        for note in result.notes:
            err.print(f"note: {result.subscription}: {note}", markup=False)
        (out if result.ok else err).print(result.summary(), markup=False)

    with bar if bar is not None else nullcontext():
        results = pulling.pull(
            db_path, series, due_only=due, dry_run=dry_run, progress=progress, report=report
        )
    if not results:
        err.print(
            "nothing is due (tracker subscriptions shows when each is)"
            if due
            else "no subscriptions to pull (add one with: tracker subscribe fred:GDP)",
            markup=False,
        )
        return
    failed = sum(not r.ok for r in results)
    if len(results) > 1:
        err.print(
            f"pulled {len(results)} subscriptions: {len(results) - failed} ok, {failed} failed",
            markup=False,
        )
    if failed:
        sys.exit(1)


@cli.command("retract")
@click.argument("release_id", type=int)
@click.option("--reason", required=True, help="Why it is taken back (kept with the store).")
@db_option
@fail_on_tracker_errors
def retract_cmd(release_id: int, reason: str, db_path: Path | None) -> None:
    """Take back a mistaken release without deleting history.

    The retraction is recorded (who, when, why) and the release's rows stay: as of any time
    before now every view shows what was believed then; from now on the values are as if the
    release never came. A release that later releases of the same series rest on is refused
    with their ids: retract those first, newest first. `tracker releases` shows retractions.

    \b
    Example:
        tracker retract 41 --reason "wrong file: June figures appended as July"
    """
    from tracker import db, snapshots
    from tracker.retract import retract

    with snapshots.writer(db_path) as con, db.transaction(con):
        done = retract(con, release_id, reason=reason)
    err.print(done.summary(), markup=False)


# Calendar, watchlist, events ------------------------------------------------------------------


def _day(text: str | None, flag: str) -> date | None:
    """A YYYY-MM-DD flag value as a date, or a one-line usage error."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date (use YYYY-MM-DD)", param_hint=flag
        ) from None


@cli.group("calendar", invoke_without_command=True)
@db_option
@click.option("--days", default=14, show_default=True, type=int, help="Look this many days ahead.")
@click.option("--all", "everything", is_flag=True, help="Every series, not only what is due.")
@click.option("--today", help="Judge as on this day (YYYY-MM-DD) instead of today.")
@output_options
@click.pass_context
@fail_on_tracker_errors
def calendar_cmd(
    ctx: click.Context,
    db_path: Path | None,
    days: int,
    everything: bool,
    today: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """What is overdue and what is due in the next --days days.

    A series' next release date comes from a schedule its publisher announced (FRED release
    dates brought in by `tracker pull`, or a file imported with `tracker calendar import`), else
    from its own history (the typical lag after a period ends). It is overdue once today is past
    that date plus a tolerance for its frequency (monthly: 10 days). The view `release_calendar`
    has the same answer for every series.

    \b
    Example:
        tracker calendar
        tracker calendar --days 30
        tracker calendar --all --format csv -o calendar.csv
        tracker calendar import releases-2026.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    from tracker import calendar, snapshots

    day = _day(today, "--today") or date.today()
    with snapshots.reader(db_path) as con:
        frame = calendar.upcoming(con, today=day, days=days, everything=everything)
    if frame.is_empty():
        err.print(f"nothing overdue and nothing expected by {day + timedelta(days=days)}")
        return
    emit(frame, fmt, output, title=f"release calendar as of {day.isoformat()}")


@calendar_cmd.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--source", help="Whose schedule it is (default: 'calendar file NAME').")
@fail_on_tracker_errors
def calendar_import(file: Path, db_path: Path | None, source: str | None) -> None:
    """Import announced release dates: a CSV with series_id, expected_on [, release].

    A date already known for a series is replaced. Every bad row is reported at once and
    nothing is imported.

    \b
    Example:
        tracker calendar import releases-2026.csv
        tracker calendar import nbs.csv --source "NBS release calendar"
    """
    from tracker import calendar, db, snapshots

    with snapshots.writer(db_path) as con, db.transaction(con):
        added = calendar.import_file(con, file, source=source)
    err.print(f"{file.name}: {added} release date(s) imported", markup=False)


@cli.group("watch", invoke_without_command=True)
@db_option
@click.pass_context
@fail_on_tracker_errors
def watch_cmd(ctx: click.Context, db_path: Path | None) -> None:
    """The Overview's cards: the series you watch, in order.

    With an empty watchlist the Overview shows the series with the newest releases.

    \b
    Example:
        tracker watch add CHN.EXPORTS.YOY CHN.IMPORTS.YOY
        tracker watch remove WLD.GDP.IMF_FCST
        tracker watch list
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(watch_list, db_path=db_path)


@watch_cmd.command("add")
@click.argument("series_ids", nargs=-1, required=True)
@db_option
@fail_on_tracker_errors
def watch_add(series_ids: tuple[str, ...], db_path: Path | None) -> None:
    """Add series to the end of the watchlist."""
    from tracker import db, snapshots, watchlist

    with snapshots.writer(db_path) as con, db.transaction(con):
        added = watchlist.add(con, list(series_ids))
    kept = len(series_ids) - len(added)
    note = f" ({kept} already watched)" if kept else ""
    err.print(f"watching {len(added)} more series{note}", markup=False)


@watch_cmd.command("remove")
@click.argument("series_ids", nargs=-1, required=True)
@db_option
@fail_on_tracker_errors
def watch_remove(series_ids: tuple[str, ...], db_path: Path | None) -> None:
    """Take series off the watchlist (their data stays)."""
    from tracker import db, snapshots, watchlist

    with snapshots.writer(db_path) as con, db.transaction(con):
        gone = watchlist.remove(con, list(series_ids))
    err.print(f"stopped watching {len(gone)} series", markup=False)


@watch_cmd.command("list")
@db_option
@fail_on_tracker_errors
def watch_list(db_path: Path | None) -> None:
    """The watched series, in card order."""
    from tracker import snapshots, watchlist

    with snapshots.reader(db_path) as con:
        ids = watchlist.listed(con)
    if not ids:
        err.print("the watchlist is empty: the Overview shows the newest releases", markup=False)
    for series_id in ids:
        out.print(series_id, markup=False)


@cli.group("events")
def events_cmd() -> None:
    """Events drawn on charts: tariff steps, truces, talks.

    An event belongs to the series it names (--series); an event with no series is global and
    shows on every chart.

    \b
    Example:
        tracker events list
        tracker events add --starts-on 2025-05-12 --title "Geneva truce" --series USA.TARIFF.CHN
        tracker events remove 12
    """


@events_cmd.command("list")
@db_option
@click.option("--series", "series_id", help="Only the events a chart of this series shows.")
@output_options
@fail_on_tracker_errors
def events_list(db_path: Path | None, series_id: str | None, fmt: str, output: Path | None) -> None:
    """Events oldest first, with their ids."""
    from tracker import events, snapshots

    with snapshots.reader(db_path) as con:
        frame = events.listing(con, series_id)
    emit(frame, fmt, output)


@events_cmd.command("add")
@db_option
@click.option("--starts-on", required=True, help="First day (YYYY-MM-DD).")
@click.option("--ends-on", help="Last day, for an event that lasts (YYYY-MM-DD).")
@click.option("--title", required=True, help="What happened, e.g. 'Geneva truce'.")
@click.option("--description", help="A sentence or two.")
@click.option("--tags", help="Comma-separated tags, e.g. 'tariff,usa'.")
@click.option("--url", help="Where it was reported.")
@click.option("--series", "series", help="Comma-separated series it concerns (none = global).")
@fail_on_tracker_errors
def events_add(
    db_path: Path | None,
    starts_on: str,
    ends_on: str | None,
    title: str,
    description: str | None,
    tags: str | None,
    url: str | None,
    series: str | None,
) -> None:
    """Add an event."""
    from tracker import db, events, snapshots

    start = _day(starts_on, "--starts-on")
    assert start is not None
    with snapshots.writer(db_path) as con, db.transaction(con):
        event_id = events.add(
            con,
            starts_on=start,
            ends_on=_day(ends_on, "--ends-on"),
            title=title,
            description=description,
            tags=_csv_list(tags),
            url=url,
            series_ids=_csv_list(series),
        )
    scope = f"for {series}" if series else "global"
    err.print(f"event {event_id} added ({scope}): {title}", markup=False)


@events_cmd.command("remove")
@click.argument("event_id", type=int)
@db_option
@fail_on_tracker_errors
def events_remove(event_id: int, db_path: Path | None) -> None:
    """Remove an event by its id (`tracker events list` shows them)."""
    from tracker import db, events, snapshots

    with snapshots.writer(db_path) as con, db.transaction(con):
        title = events.remove(con, event_id)
    err.print(f"event {event_id} removed: {title}", markup=False)


def _csv_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# Users of a shared dashboard ------------------------------------------------------------------


def _new_password(name: str) -> str:
    """A password from the terminal (asked twice, not echoed) or the first line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@cli.group("users")
def users_cmd() -> None:
    """Logins and roles for `tracker serve --login`, in a file next to the store.

    Roles: viewer (the pages), analyst (+ the SQL console and downloads), editor (+ uploads,
    retractions and pulls). The password is asked twice at the terminal, or read from the first
    line of standard input; it is never printed or stored as text. The file is
    <store>.users.json (or $TRACKER_USERS), readable by its owner only and out of SQL's reach.

    \b
    Example:
        tracker users add maria --role analyst
        echo "$PASSWORD" | tracker users add ingest --role editor
        tracker users list
        tracker users passwd maria
        tracker users role maria editor
        tracker users remove maria
    """


@users_cmd.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@db_option
@fail_on_tracker_errors
def users_add(name: str, role: str, db_path: Path | None) -> None:
    """Add a login."""
    from tracker import users

    users.add(users.users_file(db_path), name, role, _new_password(name))
    err.print(f"user {name} added ({role})", markup=False)


@users_cmd.command("passwd")
@click.argument("name")
@db_option
@fail_on_tracker_errors
def users_passwd(name: str, db_path: Path | None) -> None:
    """Set a new password (the user's open sessions end)."""
    from tracker import users

    users.set_password(users.users_file(db_path), name, _new_password(name))
    err.print(f"password of {name} changed", markup=False)


@users_cmd.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@db_option
@fail_on_tracker_errors
def users_role(name: str, role: str, db_path: Path | None) -> None:
    """Change what a user may do."""
    from tracker import users

    users.set_role(users.users_file(db_path), name, role)
    err.print(f"{name} is now {role}", markup=False)


@users_cmd.command("remove")
@click.argument("name")
@db_option
@fail_on_tracker_errors
def users_remove(name: str, db_path: Path | None) -> None:
    """Remove a login (its sessions end at their next request)."""
    from tracker import users

    users.remove(users.users_file(db_path), name)
    err.print(f"user {name} removed", markup=False)


@users_cmd.command("list")
@db_option
@fail_on_tracker_errors
def users_list(db_path: Path | None) -> None:
    """The logins with their roles (never their hashes)."""
    from tracker import users

    path = users.users_file(db_path)
    found = users.load(path)
    if not found:
        err.print(f"no users in {path}: `tracker users add NAME --role viewer` adds one",
                  markup=False)  # fmt: skip
        return
    width = max(len(name) for name in found)
    for user in found.values():
        changed = f"password set {user.password_changed_at}"
        out.print(f"{user.name.ljust(width)}  {user.role.ljust(7)}  {changed}", markup=False)


def main() -> None:
    """Entry point of the ``tracker`` console script."""
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
