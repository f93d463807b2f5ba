"""FRED/ALFRED: every vintage of a FRED series, from the FRED API's real-time periods.

``fred:GDP`` follows FRED series GDP into tracker series ``GDP``. The API key comes from
``FRED_API_KEY`` or ``[fred] api_key`` in the configuration file (`tracker.config`); the base URL
from ``TRACKER_FRED_URL`` (default ``https://api.stlouisfed.org``).

How vintages are fetched
------------------------
``series/observations`` with a real-time period returns rows ``{realtime_start, realtime_end,
date, value}``: the value of ``date`` as known from ``realtime_start`` to ``realtime_end``. FRED
returns every row whose real-time period *overlaps* the request and clips it to the request, so a
clipped ``realtime_start`` is not a vintage date (docs/ENGINEERING_NOTES: measured). Hence:

1. ``series/vintagedates`` from the newest vintage seen (or from the start) lists the vintage
   dates; the ones after the newest seen are new.
2. The vintage dates are cut into runs of at most `Provider.max_vintage_dates` (FRED refuses a
   request spanning more than 2,000); each run is one ``series/observations`` request starting
   *on* a vintage date, so rows clipped to its start belong to that vintage, and ending the day
   before the next run (the last run ends on the newest vintage: one published while we ask
   waits for the next pull). Pages of 100,000 rows are followed with ``offset``.
3. Each row becomes a value in the release of its ``realtime_start``; ``.`` is a value published
   as missing. A row that ends before the requested period and has no successor the next day is
   a period FRED stopped listing: a tombstone (status ``deleted``) in the release of that day.
4. Releases dated on or before the newest vintage seen are already in the store and dropped; the
   first run restates that vintage so that a period deleted by the next one is noticed.

Release dates come from ``series/release`` (at subscribe) and ``release/dates`` with
``include_release_dates_with_no_data=true`` (future dates included).
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta

import polars as pl
import requests

from tracker import config
from tracker.formats import RawRelease
from tracker.providers import Described, Fetched, Progress, ProviderError, unit_kind_of
from tracker.providers import Provider as BaseProvider
from tracker.providers.http import decode_json, describe_body, gave_up, redact
from tracker.vocab import Frequency

NAME = "fred"
BASE_URL = "https://api.stlouisfed.org"
EARLIEST = "1776-07-04"
LATEST = "9999-12-31"
KEY_HELP = (
    "set FRED_API_KEY, or put api_key under [fred] in {path}; a free key: "
    "https://fred.stlouisfed.org/docs/api/api_key.html"
)
#: FRED's ``frequency_short`` -> tracker frequency.
FREQUENCY_OF_FRED: dict[str, Frequency] = {
    "D": "D", "W": "W", "BW": "irregular", "M": "M", "Q": "Q", "SA": "S", "A": "A",
}  # fmt: skip


class Provider(BaseProvider):
    """FRED's JSON API (``api.stlouisfed.org/fred``)."""

    name = NAME
    label = "FRED"
    #: FRED allows about 120 requests a minute.
    min_interval = 0.5
    example = "fred:GDP"
    #: FRED refuses a request whose real-time period spans more vintage dates than this.
    max_vintage_dates = 2000
    #: Rows per ``series/observations`` page (FRED's maximum) and dates per date-list page.
    page_rows = 100_000
    page_dates = 10_000

    def __init__(self, http=None):
        super().__init__(http)
        self.base = (os.environ.get("TRACKER_FRED_URL") or BASE_URL).rstrip("/")
        self._api_key: str | None = None

    def api_key(self) -> str:
        if self._api_key is None:
            key = config.secret("fred", "api_key", "FRED_API_KEY")
            if not key:
                raise ProviderError(f"no FRED API key ({KEY_HELP.format(path=config.path())})")
            self._api_key = key
        return self._api_key

    def url(self, key: str) -> str:
        return f"https://alfred.stlouisfed.org/series?seid={key}"

    # Requests --------------------------------------------------------------------------------

    def _get(self, endpoint: str, params: dict[str, str], *, key: str) -> tuple[dict, str]:
        """The decoded JSON answer of ``fred/<endpoint>`` and the request URL without the key."""
        query = {**params, "api_key": self.api_key(), "file_type": "json"}
        response = self.http.get(f"{self.base}/fred/{endpoint}", params=query)
        url = redact(response.url)
        if response.status_code != 200:
            raise ProviderError(self._failure(response, key=key, endpoint=endpoint))
        body = decode_json(response, self.label)
        if not isinstance(body, dict):
            raise ProviderError(
                f"FRED sent JSON that is not an object ({describe_body(response)}); "
                "check TRACKER_FRED_URL"
            )
        return body, url

    def _failure(self, response: requests.Response, *, key: str, endpoint: str) -> str:
        """One line for an HTTP error, with FRED's own message (never the key)."""
        status = response.status_code
        text = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                text = str(body.get("error_message") or "")
        except ValueError:
            text = ""
        text = " ".join(text.split())
        if self._api_key:
            text = text.replace(self._api_key, "***")
        said = f"HTTP {status}: {text}" if text else f"HTTP {status}"
        lowered = text.lower()
        if status in (400, 401, 403) and "api_key" in lowered:
            return f"FRED refused the API key ({said}); {KEY_HELP.format(path=config.path())}"
        if status == 400 and "does not exist" in lowered:
            return (
                f"FRED has no series '{key}' ({said}); check the id on "
                f"https://fred.stlouisfed.org/series/{key}"
            )
        given_up = gave_up(self.label, status, self.http.policy.retries + 1)
        if given_up:
            return given_up
        if status == 404:
            return f"FRED has no endpoint fred/{endpoint} ({said}); check TRACKER_FRED_URL"
        return f"FRED refused the request for {key} ({said})"

    def _pages(self, endpoint: str, params: dict[str, str], field: str, limit: int, *, key: str):
        """Every item of a paged list (``count``/``offset``/``limit``), and the first page's URL."""
        items: list = []
        first_url = None
        while True:
            body, url = self._get(
                endpoint, {**params, "limit": str(limit), "offset": str(len(items))}, key=key
            )
            first_url = first_url or url
            page = body.get(field)
            if not isinstance(page, list):
                raise ProviderError(
                    f"FRED's answer to fred/{endpoint} has no '{field}' list; check "
                    "TRACKER_FRED_URL"
                )
            items.extend(page)
            count = body.get("count")
            if not page or not isinstance(count, int) or len(items) >= count:
                return items, first_url

    # Interface -------------------------------------------------------------------------------

    def describe(self, key: str) -> Described:
        key = self.check_key(key).upper()
        body, _ = self._get("series", {"series_id": key}, key=key)
        found = body.get("seriess") or []
        if not found or not isinstance(found[0], dict):
            raise ProviderError(f"FRED has no series '{key}'")
        info = found[0]
        series_id = str(info.get("id") or key)
        notes: list[str] = []
        short = str(info.get("frequency_short") or "")
        frequency = FREQUENCY_OF_FRED.get(short) or FREQUENCY_OF_FRED.get(short[:1])
        if frequency is None:
            raise ProviderError(
                f"FRED series {series_id} has frequency '{info.get('frequency')}', which "
                "tracker does not store"
            )
        start = _day(info.get("observation_start"))
        if frequency == "W" and start is not None and start.isoweekday() not in (1, 7):
            # tracker's weeks are ISO weeks (Monday to Sunday); FRED dates most weekly series
            # by the week's last day (a Friday or Saturday): keep them as dated points.
            frequency = "irregular"
            notes.append(
                f"{series_id} is weekly ({info.get('frequency')}); its weeks are not ISO weeks, "
                "so it is stored as dated points (frequency irregular)"
            )
        units = str(info.get("units") or "")
        unit = str(info.get("units_short") or units)
        adjustment = str(info.get("seasonal_adjustment_short") or "")
        if adjustment and adjustment != "NSA":
            unit = f"{unit}, {adjustment}"
        unit_kind = unit_kind_of(units)
        if unit_kind is None:
            unit_kind = "level"
            notes.append(
                f"FRED's unit '{units}' does not say what kind of number it is: assumed "
                f"unit_kind 'level' (set it with tracker define {series_id} --unit-kind ... "
                "--replace)"
            )
        title = str(info.get("title") or series_id)
        description = f"{title}: {units}, {info.get('seasonal_adjustment') or 'n/a'}."
        paragraph = str(info.get("notes") or "").strip().split("\n\n")[0].strip()
        if paragraph:
            description += " " + (paragraph if len(paragraph) <= 400 else paragraph[:400] + "…")
        release_key = release_name = None
        body, _ = self._get("series/release", {"series_id": key}, key=key)
        releases = body.get("releases") or []
        if releases and isinstance(releases[0], dict) and releases[0].get("id") is not None:
            release_key = str(releases[0]["id"])
            release_name = f"{releases[0].get('name') or 'release'} (FRED release {release_key})"
        return Described(
            key=series_id,
            series_id=series_id,
            catalogue={
                "name": title,
                "unit": unit,
                "unit_kind": unit_kind,
                "frequency": frequency,
                "geo": None,
                "source": "FRED",
                "kind": "actual",
                "description": description,
                "tags": ["fred"],
            },
            release_key=release_key,
            release_name=release_name,
            notes=notes,
        )

    def fetch(
        self, key: str, *, since: datetime | None, progress: Progress | None = None
    ) -> Fetched:
        say = progress or (lambda step, fraction: None)
        key = self.check_key(key).upper()
        seen = since.date() if since is not None else None

        # Which vintages are new.
        say("asking for vintage dates", 0.0)
        listed, _ = self._pages(
            "series/vintagedates",
            {
                "series_id": key,
                "realtime_start": seen.isoformat() if seen else EARLIEST,
                "realtime_end": LATEST,
                "sort_order": "asc",
            },
            "vintage_dates",
            self.page_dates,
            key=key,
        )
        dates = sorted({d for d in (_day(text) for text in listed) if d is not None})
        if len(dates) != len(listed):
            raise ProviderError("FRED listed vintage dates that are not YYYY-MM-DD dates")
        dates = [d for d in dates if seen is None or d >= seen]
        new = [d for d in dates if seen is None or d > seen]
        if not new:
            return Fetched(releases=[], last_vintage=since)

        # Their rows, run by run of at most max_vintage_dates vintages.
        size = max(1, self.max_vintage_dates)
        runs = [dates[i : i + size] for i in range(0, len(dates), size)]
        parts = []
        for index, run in enumerate(runs):
            end = runs[index + 1][0] - timedelta(days=1) if index + 1 < len(runs) else run[-1]
            say(f"vintages {run[0]} to {run[-1]}", 0.1 + 0.8 * index / len(runs))
            rows, url = self._pages(
                "series/observations",
                {
                    "series_id": key,
                    "realtime_start": run[0].isoformat(),
                    "realtime_end": end.isoformat(),
                    "sort_order": "asc",
                },
                "observations",
                self.page_rows,
                key=key,
            )
            parts.append(_rows(rows, url=url))
        say("building releases", 0.95)
        frame = pl.concat(parts) if parts else _rows([], url="")
        releases = _releases(frame, key=key, end=dates[-1], seen=seen)
        return Fetched(
            releases=releases, last_vintage=datetime.combine(new[-1], datetime.min.time())
        )

    def calendar(self, release_key: str, *, since: date) -> list[date]:
        dates, _ = self._pages(
            "release/dates",
            {
                "release_id": release_key,
                "realtime_start": since.isoformat(),
                "realtime_end": LATEST,
                "include_release_dates_with_no_data": "true",
                "sort_order": "asc",
            },
            "release_dates",
            self.page_dates,
            key=f"release {release_key}",
        )
        days = {_day(item.get("date")) for item in dates if isinstance(item, dict)}
        return sorted(d for d in days if d is not None and d >= since)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(text: object) -> date | None:
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _rows(rows: list, *, url: str) -> pl.DataFrame:
    """Real-time rows as a frame: period, value (null for '.'), realtime_start/_end, url."""
    schema = {"date": pl.String, "value": pl.String, "realtime_start": pl.String,
              "realtime_end": pl.String}  # fmt: skip
    try:
        frame = (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        raise ProviderError(
            "FRED sent observations that are not {date, value, realtime_*} rows"
        ) from None
    parsed = frame.with_columns(
        pl.col("date").str.to_date("%Y-%m-%d", strict=False).alias("period"),
        pl.col("realtime_start").str.to_date("%Y-%m-%d", strict=False).alias("start"),
        pl.col("realtime_end").str.to_date("%Y-%m-%d", strict=False).alias("end"),
        pl.when(pl.col("value").str.strip_chars() == ".")
        .then(None)
        .otherwise(pl.col("value").str.strip_chars().cast(pl.Float64, strict=False))
        .alias("number"),
    )
    bad_dates = parsed.filter(
        pl.col("period").is_null() | pl.col("start").is_null() | pl.col("end").is_null()
    )
    if bad_dates.height:
        row = bad_dates.row(0, named=True)
        raise ProviderError(
            f"FRED sent a row with a date that is not YYYY-MM-DD (date '{row['date']}', "
            f"realtime '{row['realtime_start']}' to '{row['realtime_end']}')"
        )
    bad_values = parsed.filter(
        pl.col("number").is_null() & (pl.col("value").str.strip_chars() != ".")
        | ~pl.col("number").is_finite()
    )
    if bad_values.height:
        row = bad_values.row(0, named=True)
        raise ProviderError(
            f"FRED sent a value that is not a number: '{row['value']}' for {row['date']} "
            f"(real-time {row['realtime_start']})"
        )
    return parsed.select("period", "number", "start", "end", pl.lit(url).alias("url"))


def _releases(frame: pl.DataFrame, *, key: str, end: date, seen: date | None) -> list[RawRelease]:
    """One release per vintage date (see the module docstring), in publication order."""
    frame = frame.sort("period", "start")
    following = pl.col("start").shift(-1).over("period")
    next_day = pl.col("end") + pl.duration(days=1)
    ended = (pl.col("end") < end) & (following.is_null() | (following != next_day))
    values = frame.select(
        "period", "number", pl.col("start").alias("published"), pl.lit(None, pl.String).alias(
            "status"), "url"
    )  # fmt: skip
    tombstones = frame.filter(ended).select(
        "period",
        pl.lit(None, pl.Float64).alias("number"),
        next_day.alias("published"),
        pl.lit("deleted").alias("status"),
        "url",
    )
    rows = pl.concat([values, tombstones])
    if seen is not None:
        rows = rows.filter(pl.col("published") > seen)
    rows = rows.with_row_index("line", offset=1)
    releases = []
    for (published,), part in sorted(rows.partition_by("published", as_dict=True).items()):
        frame = part.sort("period").select(
            pl.lit(key).alias("series_id"),
            pl.col("period").dt.strftime("%Y-%m-%d"),
            pl.col("number").alias("value"),
            "status",
            pl.lit(None, pl.String).alias("note"),
            pl.col("line").cast(pl.Int64),
        )
        releases.append(
            RawRelease(
                frame=frame,
                format="fred_api",
                source="FRED",
                published=datetime.combine(published, datetime.min.time()),
                title=f"{key} vintage {published.isoformat()} (FRED real-time data)",
                url=part["url"][0],
                locator="observation",
                columns={"period": "date", "value": "value"},
            )
        )
    return releases
