"""Following sources: subscriptions in the store, and pulling what publishers released since.

A subscription (table ``subscriptions``, migration 004) ties a provider's series (``fred:GDP``)
to the tracker series it feeds (``GDP``). `pull` asks each provider only for what is new since the
newest vintage seen and appends every new vintage as its own release, in publication order,
through `tracker.append.append_releases` — the same validation, diff, idempotency and provenance
as a file: ``source`` is the publisher, ``published_at`` the publisher's vintage date,
``file_name`` the subscription and ``url`` the request without its API key.

Each subscription's releases are one transaction: a subscription that fails leaves nothing half
appended and does not stop the others. The network is asked before the store is opened for
writing, so a slow provider never holds the store's write lock.

The newest vintage seen is the later of ``subscriptions.last_vintage`` and the newest release the
series holds, so a pull interrupted between its commit and the bookkeeping never appends a
vintage twice, and a series appended from files before it was subscribed continues from there.

When is a subscription due (``tracker pull --due``)?

- never pulled, or its last pull failed;
- a release date the publisher announced (``release_dates``, FRED) has come, no vintage from that
  day or later has been seen, and the last pull was not after that day;
- no announced date lies ahead, and the last pull is older than `INTERVALS` for the series'
  frequency (12 hours for daily series, a day for weekly and monthly, two days for quarterly,
  a week for half-yearly and annual).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from tracker import db, snapshots
from tracker.append import SERIES_SCHEMA, AppendResult, append_releases, upsert_series
from tracker.errors import TrackerError, ValidationError
from tracker.formats import RawRelease
from tracker.providers import Fetched, Provider, ProviderError, get, parse_subscription
from tracker.vocab import PullStatus

#: How long after the last pull a subscription without announced release dates is due again.
INTERVALS = {
    "D": timedelta(hours=12),
    "W": timedelta(days=1),
    "M": timedelta(days=1),
    "Q": timedelta(days=2),
    "S": timedelta(days=7),
    "A": timedelta(days=7),
    "irregular": timedelta(days=1),
}
#: Release dates kept from this far back when a provider's calendar is refreshed.
CALENDAR_PAST = timedelta(days=365)

#: A provider's release dates for a series: (publisher, dates).
Calendar = tuple[str, list[date]]
#: ``(subscription, step, fraction_done)``.
PullProgress = Callable[[str, str, float], None]


class PullError(TrackerError):
    """A subscription cannot be added, removed or found (the message is a full line)."""


@dataclass
class Subscription:
    """One row of ``subscriptions`` with what a pull needs."""

    subscription: str
    provider: str
    provider_key: str
    series_id: str
    release_key: str | None = None
    release_name: str | None = None
    last_vintage: datetime | None = None
    last_pulled_at: datetime | None = None
    last_status: PullStatus | None = None
    last_message: str | None = None
    #: The series' frequency (for the due interval).
    frequency: str | None = None
    #: The newest vintage seen: last_vintage, or a later release this subscription appended.
    since: datetime | None = None


@dataclass
class SubscribeResult:
    subscription: str
    series_id: str
    registered: bool
    catalogue: dict
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        from tracker.vocab import FREQUENCY_NAMES

        c = self.catalogue
        what = f"{c['name']} ({FREQUENCY_NAMES.get(c['frequency'], c['frequency'])}"
        what += f", {c['unit']})" if c.get("unit") else ")"
        if self.registered:
            return f"subscribed {self.subscription}: registered series {self.series_id}, {what}"
        return f"subscribed {self.subscription}: feeds the existing series {self.series_id}"


@dataclass
class PullResult:
    """What one subscription's pull did (or, on a dry run, would do)."""

    subscription: str
    series_id: str
    releases: list[AppendResult] = field(default_factory=list)
    error: str | None = None
    last_vintage: datetime | None = None
    requests: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def appended(self) -> list[AppendResult]:
        """The releases that were (or would be) appended: not duplicates."""
        return [r for r in self.releases if r.duplicate_of is None]

    def summary(self) -> str:
        """One line, e.g. ``fred:GDP: 1 release appended to GDP, vintage 2024-11-27 (…)``."""
        if self.error is not None:
            return self.error
        cost = f"{self.requests} request{'s' if self.requests != 1 else ''}, {self.seconds:.1f} s"
        added = self.appended
        if not added:
            newest = f"newest vintage {_day(self.last_vintage)}; " if self.last_vintage else ""
            return f"{self.subscription}: nothing new for {self.series_id} ({newest}{cost})"
        first, last = added[0].published_at, added[-1].published_at
        dates = (
            f"vintage {_day(first)}"
            if len(added) == 1
            else f"vintages {_day(first)} to {_day(last)}"
        )
        counts = f"{sum(r.new for r in added):,} new, {sum(r.revised for r in added):,} revised"
        deleted = sum(r.deleted for r in added)
        if deleted:
            counts += f", {deleted:,} deleted"
        n = f"{len(added):,} release{'s' if len(added) != 1 else ''}"
        if self.dry_run:
            return (
                f"dry run: {self.subscription}: would append {n} to {self.series_id}, {dates} "
                f"({counts} values; {cost})"
            )
        return (
            f"{self.subscription}: {n} appended to {self.series_id}, {dates} "
            f"({counts} values; {cost})"
        )


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "none"
    return (
        moment.date().isoformat()
        if moment.time() == datetime.min.time()
        else f"{moment:%Y-%m-%d %H:%M}"
    )


# Reading --------------------------------------------------------------------------------------

#: ``since``: the newest vintage seen is also the newest release the series already holds (from
#: this subscription, or from files appended before it was subscribed): releases are appended in
#: publication order, so older vintages could not be appended anyway.
_SUBSCRIPTIONS_SQL = """
SELECT
    s.subscription, s.provider, s.provider_key, s.series_id, s.release_key, s.release_name,
    s.last_vintage, s.last_pulled_at, s.last_status, s.last_message, se.frequency,
    greatest(s.last_vintage, held.newest) AS since
FROM subscriptions AS s
LEFT JOIN series AS se USING (series_id)
LEFT JOIN (
    SELECT o.series_id, max(r.published_at) AS newest
    FROM observations AS o
    JOIN releases AS r USING (release_id)
    WHERE o.series_id IN (SELECT series_id FROM subscriptions)
    GROUP BY o.series_id
) AS held USING (series_id)
ORDER BY s.subscription
"""


def load(con: duckdb.DuckDBPyConnection) -> list[Subscription]:
    """Every subscription, with the newest vintage seen."""
    rel = con.sql(_SUBSCRIPTIONS_SQL)
    return [Subscription(**dict(zip(rel.columns, row, strict=True))) for row in rel.fetchall()]


def _release_dates(con: duckdb.DuckDBPyConnection) -> dict[str, list[date]]:
    rows = con.execute(
        "SELECT series_id, list(expected_on ORDER BY expected_on) FROM release_dates "
        "GROUP BY series_id"
    ).fetchall()
    return {series_id: dates for series_id, dates in rows}


def due_reason(sub: Subscription, dates: Sequence[date], now: datetime) -> str | None:
    """Why ``sub`` is due at ``now`` (see the module docstring), or None when it is not."""
    if sub.last_pulled_at is None:
        return "never pulled"
    if sub.last_status == "failed":
        return "the last pull failed"
    today, pulled_on = now.date(), sub.last_pulled_at.date()
    seen = sub.since.date() if sub.since is not None else date.min
    missed = [d for d in dates if seen < d <= today and pulled_on <= d]
    if missed:
        return f"release date {missed[-1].isoformat()} has come"
    if any(d > pulled_on for d in dates):
        return None
    interval = INTERVALS.get(sub.frequency or "", timedelta(days=1))
    if now - sub.last_pulled_at >= interval:
        hours = interval.total_seconds() / 3600
        every = (
            f"{hours:.0f} hours"
            if hours < 24
            else f"{hours / 24:.0f} day{'s' if hours > 24 else ''}"
        )
        return f"last pulled over {every} ago"
    return None


def subscriptions(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None) -> pl.DataFrame:
    """One row per subscription: what it feeds, how its last pull went, when it is due.

    Columns: ``subscription, provider, provider_key, series_id, name, last_vintage,
    last_pulled_at, last_status, last_message, release_name, next_release, due, due_reason``.
    """
    now = now or datetime.now()
    subs = load(con)
    dates = _release_dates(con)
    names = dict(con.execute("SELECT series_id, name FROM series").fetchall())
    rows = []
    for sub in subs:
        listed = dates.get(sub.series_id, [])
        upcoming = [d for d in listed if d >= now.date()]
        reason = due_reason(sub, listed, now)
        rows.append(
            {
                "subscription": sub.subscription,
                "provider": sub.provider,
                "provider_key": sub.provider_key,
                "series_id": sub.series_id,
                "name": names.get(sub.series_id),
                "last_vintage": sub.since,
                "last_pulled_at": sub.last_pulled_at,
                "last_status": sub.last_status,
                "last_message": sub.last_message,
                "release_name": sub.release_name,
                "next_release": upcoming[0] if upcoming else None,
                "due": reason is not None,
                "due_reason": reason,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "subscription": pl.String, "provider": pl.String, "provider_key": pl.String,
            "series_id": pl.String, "name": pl.String, "last_vintage": pl.Datetime("us"),
            "last_pulled_at": pl.Datetime("us"), "last_status": pl.String,
            "last_message": pl.String, "release_name": pl.String, "next_release": pl.Date,
            "due": pl.Boolean, "due_reason": pl.String,
        },
    )  # fmt: skip


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    return {"subscriptions", "release_dates"} <= tables


def _read(path: str | Path | None, reader: Callable[[duckdb.DuckDBPyConnection], object]):
    """Run ``reader`` on a read-only connection, or on a writer when the store needs migrating."""
    target = db.resolve(path)
    if target.exists():
        with snapshots.reader(target) as con:
            if _has_tables(con):
                return reader(con)
    with snapshots.writer(target) as con:
        return reader(con)


def list_subscriptions(path: str | Path | None = None, *, now: datetime | None = None):
    """`subscriptions` of the store at ``path``."""
    return _read(path, lambda con: subscriptions(con, now=now))


# Subscribing ----------------------------------------------------------------------------------


def subscribe(
    path: str | Path | None, text: str, *, series_id: str | None = None
) -> SubscribeResult:
    """Register ``PROVIDER:KEY`` (and, if new, the series it feeds, described by the provider).

    Raises
    ------
    PullError
        Unknown provider, malformed key, the provider's refusal (unknown series, no key, network),
        or a subscription or series that is already taken.
    """
    try:
        name, key = parse_subscription(text)
        provider = get(name)
        described = provider.describe(key)
    except ProviderError as exc:
        raise PullError(f"error: {text.strip()}: {exc.message}") from None
    subscription = f"{name}:{described.key}"
    target = (series_id or described.series_id).strip()
    if not target:
        raise PullError("error: --as needs a series id")
    with snapshots.writer(path) as con, db.transaction(con):
        taken = db.one(
            con,
            "SELECT subscription, series_id FROM subscriptions "
            "WHERE subscription = ? OR series_id = ?",
            [subscription, target],
        )
        if taken is not None and taken[0] == subscription:
            raise PullError(
                f"error: {subscription} is already subscribed (it feeds {taken[1]}); "
                f"`tracker unsubscribe {subscription}` first to change it"
            )
        if taken is not None:
            raise PullError(
                f"error: series {target} is already fed by {taken[0]} (a series follows one "
                f"source; choose another id with --as)"
            )
        existing = db.one(con, "SELECT frequency FROM series WHERE series_id = ?", [target])
        wanted = described.catalogue["frequency"]
        if existing is not None and existing[0] != wanted:
            raise PullError(
                f"error: series {target} has frequency {existing[0]} but {subscription} is "
                f"{wanted}; choose another id with --as"
            )
        if existing is None:
            row = {"series_id": target, **described.catalogue}
            upsert_series(con, pl.DataFrame([row], schema=SERIES_SCHEMA))
        con.execute(
            """
            INSERT INTO subscriptions (subscription, provider, provider_key, series_id,
                release_key, release_name, created_at)
            VALUES (?, ?, ?, ?, ?, ?, current_localtimestamp())
            """,
            [subscription, name, described.key, target, described.release_key,
             described.release_name],
        )  # fmt: skip
    return SubscribeResult(
        subscription=subscription,
        series_id=target,
        registered=existing is None,
        catalogue=described.catalogue,
        notes=described.notes,
    )


def _find(subs: Sequence[Subscription], text: str) -> Subscription:
    """A subscription by its name (``fred:GDP``, any case of the provider) or its series id."""
    wanted = text.strip()
    for sub in subs:
        if wanted in (sub.subscription, sub.series_id):
            return sub
    lowered = wanted.lower()
    for sub in subs:
        if lowered == sub.subscription.lower():
            return sub
    listed = ", ".join(s.subscription for s in subs[:5]) or "none yet"
    raise PullError(
        f"error: no subscription '{wanted}' (subscriptions: {listed}; "
        "`tracker subscriptions` lists them)"
    )


def unsubscribe(path: str | Path | None, text: str) -> Subscription:
    """Remove a subscription (by ``PROVIDER:KEY`` or series id) and its release dates. The series
    and every release it received stay in the store."""
    with snapshots.writer(path) as con, db.transaction(con):
        sub = _find(load(con), text)
        con.execute("DELETE FROM subscriptions WHERE subscription = ?", [sub.subscription])
        con.execute("DELETE FROM release_dates WHERE series_id = ?", [sub.series_id])
    return sub


# Pulling --------------------------------------------------------------------------------------


def pull(
    path: str | Path | None = None,
    targets: Sequence[str] = (),
    *,
    due_only: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: PullProgress | None = None,
    report: Callable[[PullResult], None] | None = None,
) -> list[PullResult]:
    """Pull every subscription (or those named by ``targets``, or only the due ones).

    Parameters
    ----------
    path
        The store (default ``$TRACKER_DB`` or ``data/tracker.duckdb``).
    targets
        Subscriptions (``fred:GDP``) or series ids; empty = all.
    due_only
        Only subscriptions that are due (see the module docstring).
    dry_run
        Fetch and diff, write nothing (not even the bookkeeping).
    now
        The time to judge "due" by and to record as the pull time (default: now).
    progress
        Called with ``(subscription, step, fraction_done)``.
    report
        Called with each subscription's result as soon as it is known.

    Returns
    -------
    list[PullResult]
        One per subscription pulled, in order; failed ones carry their one-line ``error``.
    """
    now = now or datetime.now()

    def choose(con: duckdb.DuckDBPyConnection) -> list[Subscription]:
        subs = load(con)
        chosen = [_find(subs, t) for t in targets] if targets else subs
        chosen = list({s.subscription: s for s in chosen}.values())
        if due_only:
            dates = _release_dates(con)
            chosen = [s for s in chosen if due_reason(s, dates.get(s.series_id, []), now)]
        return chosen

    chosen = _read(path, choose)
    instances: dict[str, Provider] = {}
    results: list[PullResult] = []
    bookkeeping: list[tuple[Subscription, PullResult, Calendar | None]] = []
    for sub in chosen:
        result, calendar = _pull_one(path, sub, instances, dry_run=dry_run, now=now,
                                     progress=progress)  # fmt: skip
        results.append(result)
        if not dry_run and not (result.ok and result.appended):
            bookkeeping.append((sub, result, calendar))
        if report is not None:
            report(result)
    if bookkeeping:
        # Subscriptions that appended nothing: their bookkeeping in one short write.
        with snapshots.writer(path) as con, db.transaction(con):
            for sub, result, calendar in bookkeeping:
                _record(con, sub, result, now=now, calendar=calendar)
    return results


def _pull_one(
    path: str | Path | None,
    sub: Subscription,
    instances: dict[str, Provider],
    *,
    dry_run: bool,
    now: datetime,
    progress: PullProgress | None,
) -> tuple[PullResult, Calendar | None]:
    started = time.monotonic()
    result = PullResult(sub.subscription, sub.series_id, dry_run=dry_run, last_vintage=sub.since)
    calendar: Calendar | None = None
    provider: Provider | None = None
    before = 0

    def say(step: str, fraction: float) -> None:
        if progress is not None:
            progress(sub.subscription, step, fraction)

    def measure(done: PullResult) -> PullResult:
        """The result with its request count and duration so far."""
        if provider is not None:
            done.requests = provider.requests_sent - before
        done.seconds = time.monotonic() - started
        return done

    try:
        if sub.provider not in instances:
            instances[sub.provider] = get(sub.provider)
        provider = instances[sub.provider]
        before = provider.requests_sent
        fetched = provider.fetch(
            sub.provider_key, since=sub.since, progress=lambda s, f: say(s, 0.6 * f)
        )
        if fetched.last_vintage is not None:
            result.last_vintage = max(fetched.last_vintage, sub.since or fetched.last_vintage)
        if sub.release_key and not dry_run:
            try:
                dates = provider.calendar(sub.release_key, since=(now - CALENDAR_PAST).date())
                calendar = (provider.label, dates)
            except ProviderError as exc:
                result.notes.append(f"release dates not refreshed: {exc.message}")
        releases = [(_for_series(raw, sub), sub.subscription) for raw in fetched.releases]
        if releases:
            say(f"appending {len(releases):,} release{'s' if len(releases) > 1 else ''}", 0.6)
            result.releases = _append(path, sub, releases, fetched, result, calendar,
                                      dry_run=dry_run, now=now, measure=measure,
                                      progress=lambda s, f: say(s, 0.6 + 0.4 * f))  # fmt: skip
    except TrackerError as exc:
        result.error = _one_line(sub.subscription, exc)
        result.releases = []
    except Exception as exc:
        # An answer shaped in a way no check foresaw must not stop the other subscriptions;
        # it is reported as this one's failure (TRACKER_DEBUG=1 shows the traceback).
        if os.environ.get("TRACKER_DEBUG") == "1":
            raise
        from tracker.providers.http import scrub

        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = scrub(text, (os.environ.get("FRED_API_KEY", ""),))
        result.error = (
            f"error: {sub.subscription}: unexpected failure ({type(exc).__name__}"
            f"{': ' + text[:200] if text else ''}); TRACKER_DEBUG=1 shows where"
        )
        result.releases = []
    say("done", 1.0)
    return measure(result), calendar


def _for_series(raw: RawRelease, sub: Subscription) -> RawRelease:
    """The release with its rows in the subscription's series (it must hold exactly one)."""
    ids = raw.frame["series_id"].unique(maintain_order=True).to_list()
    if len(ids) > 1:
        shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
        raise ProviderError(
            f"the answer holds {len(ids)} series ({shown}) and a subscription feeds one: "
            "subscribe to each series' own key"
        )
    frame = raw.frame.with_columns(pl.lit(sub.series_id).alias("series_id"))
    return replace(raw, frame=frame, series=None)


def _append(
    path: str | Path | None,
    sub: Subscription,
    releases: list[tuple[RawRelease, str]],
    fetched: Fetched,
    result: PullResult,
    calendar: Calendar | None,
    *,
    dry_run: bool,
    now: datetime,
    measure: Callable[[PullResult], PullResult],
    progress: Callable[[str, float], None],
) -> list[AppendResult]:
    """Append the releases in one transaction and record the pull; returns what was appended."""
    with snapshots.writer(path) as con:
        if fetched.skip_unchanged:
            # A date that moved without a value changing is not a vintage worth storing.
            trial = append_releases(con, releases, dry_run=True)
            releases = [
                pair
                for pair, outcome in zip(releases, trial, strict=True)
                if outcome.duplicate_of is None and outcome.new + outcome.revised + outcome.deleted
            ]
            if not releases:
                return []
        appended = append_releases(con, releases, dry_run=dry_run, progress=progress)
        if not dry_run:
            done = measure(replace(result, releases=appended))
            with db.transaction(con):
                _record(con, sub, done, now=now, calendar=calendar)
    return appended


def _record(
    con: duckdb.DuckDBPyConnection,
    sub: Subscription,
    result: PullResult,
    *,
    now: datetime,
    calendar: Calendar | None,
) -> None:
    """The bookkeeping of one pull: newest vintage, time, status, message, release dates."""
    con.execute(
        """
        UPDATE subscriptions
        SET last_vintage = CASE WHEN ? THEN ? ELSE last_vintage END,
            last_pulled_at = ?, last_status = ?, last_message = ?
        WHERE subscription = ?
        """,
        [result.ok, result.last_vintage, now, "ok" if result.ok else "failed",
         result.summary(), sub.subscription],
    )  # fmt: skip
    if calendar is not None and result.ok:
        start = (now - CALENDAR_PAST).date()
        con.execute(
            "DELETE FROM release_dates WHERE series_id = ? AND expected_on >= ?",
            [sub.series_id, start],
        )
        source, dates = calendar
        if dates:
            frame = pl.DataFrame({"expected_on": dates}, schema={"expected_on": pl.Date})
            with db.registered(con, fetched_dates=frame):
                con.execute(
                    """
                    INSERT INTO release_dates (series_id, expected_on, source, release, fetched_at)
                    SELECT ?, expected_on, ?, ?, ? FROM fetched_dates
                    """,
                    [sub.series_id, source, sub.release_name, now],
                )


def _one_line(subscription: str, exc: TrackerError) -> str:
    """A failure as one line that names the subscription."""
    if isinstance(exc, ProviderError):
        return f"error: {subscription}: {exc.message}"
    if isinstance(exc, ValidationError) and len(exc.problems) > 1:
        more = len(exc.problems) - 1
        return f"{exc.problems[0]} (and {more} more problem{'s' if more > 1 else ''})"
    line = exc.message.split("\n")[0]
    return line if line.startswith("error: ") else f"error: {subscription}: {line}"
