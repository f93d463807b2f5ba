"""SDMX REST agencies through sdmx1: ECB, ESTAT, OECD, IMF_DATA, WB_WDI, BIS, INSEE, ISTAT, ….

``sdmx:ECB/EXR/M.USD.EUR.SP00.A`` is ``SOURCE/FLOW/KEY``: an sdmx1 source id
(``sdmx.list_sources()``), a dataflow (OECD's ``OECD.SDD.TPS,DSD_PRICES@DF_PRICES_ALL,1.0``
form works too) and a series key that names exactly one series. It feeds the tracker series
``<flow>.<key>`` (``EXR.M.USD.EUR.SP00.A``), the id `tracker.formats.sdmx_ml` gives the same data
appended from a file.

Requests are built and answers parsed by sdmx1's ``Client``, sending through `Http` (timeouts,
retries, rate limit: OECD allows about 60 data downloads an hour). Generic data is asked for
(``Accept``) unless the source says otherwise, because structure-specific data cannot always be
read without its data structure. ``TRACKER_SDMX_URL_<SOURCE>`` replaces a source's base URL
(``TRACKER_SDMX_URL_ECB=http://127.0.0.1:8000/ecb``), on a copy of sdmx1's source.

A pull after the first asks only for what changed (``updatedAfter`` = the newest vintage seen);
an answer of 404 (no results) or 304 then means nothing new. A source that ignores the parameter
sends everything again, and a release that changes nothing is not stored.

Release dates: SDMX has no standard "last updated" for data, so the date is the first of: the
newest ``LAST_UPDATE`` attribute of the series (INSEE), the data set's ``validFromDate`` (ECB),
the answer's ``Last-Modified`` header, and last the message's ``Prepared`` time, which is when the
agency generated the message — an upper bound of the publication, said in a note.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests

from tracker.errors import TrackerError
from tracker.providers import (
    Described,
    Fetched,
    Progress,
    ProviderError,
    frequency_of,
    unit_kind_of,
)
from tracker.providers import Provider as BaseProvider
from tracker.providers.http import Http, describe_body, gave_up, redact
from tracker.vocab import HEAD_BYTES

if TYPE_CHECKING:
    from tracker.formats import RawRelease

NAME = "sdmx"
GENERIC = "application/vnd.sdmx.genericdata+xml;version=2.1"
#: Seconds between requests per source: OECD allows about 60 data downloads an hour; others
#: publish no limit, so tracker stays polite.
RATE_LIMITS = {"OECD": 60.0, "OECD3": 60.0}
DEFAULT_INTERVAL = 1.0
#: Series or observation attributes that carry the agency's update date.
UPDATE_ATTRIBUTES = ("LAST_UPDATE", "LAST_UPDATED", "UPDATE_DATE")
_VALID_FROM = re.compile(rb"<(?:[\w.\-]+:)?DataSet\b[^>]*\bvalidFromDate\s*=\s*[\"']([^\"']+)")


def _sdmx():
    # sdmx1 takes ~0.8 s to import: only when an SDMX subscription is used.
    import sdmx

    return sdmx


class Provider(BaseProvider):
    """SDMX 2.1 REST web services, one `Http` session per source."""

    name = NAME
    label = "SDMX"
    example = "sdmx:ECB/EXR/M.USD.EUR.SP00.A"

    def __init__(self, http: Http | None = None):
        self._given = http
        self._clients: dict[str, tuple[Any, Http]] = {}

    @property
    def requests_sent(self) -> int:
        return sum(http.sent for _, http in self._clients.values())

    def parse(self, key: str) -> tuple[str, str, str]:
        """``ECB/EXR/M.USD.EUR.SP00.A`` -> (source id as sdmx1 spells it, flow, series key)."""
        key = self.check_key(key)
        parts = key.split("/", 2)
        if len(parts) < 3 or not parts[0] or not parts[1] or not parts[2]:
            raise ProviderError(
                f"'{key}' is not SOURCE/FLOW/KEY (e.g. {self.example.removeprefix('sdmx:')})"
            )
        source, flow, series_key = parts
        known = {name.upper(): name for name in _sdmx().list_sources()}
        if source.upper() not in known:
            raise ProviderError(
                f"sdmx1 knows no source '{source}' "
                f"(choose one of {', '.join(sorted(known.values()))})"
            )
        return known[source.upper()], flow, series_key

    def series_id(self, key: str) -> str:
        """The tracker series id: dataflow id (after an OECD agency, ``@`` and before a
        version) + ``.`` + the series key, as `tracker.formats.sdmx_ml` names the series."""
        _, flow, series_key = self.parse(key)
        parts = flow.split(",")
        flow_id = parts[1] if len(parts) >= 2 else parts[0]
        return f"{flow_id.split('@')[-1]}.{series_key}"

    def url(self, key: str) -> str:
        source, flow, series_key = self.parse(key)
        client, _ = self._client(source)
        return client.source.url.rstrip("/") + f"/data/{flow}/{series_key}"

    def _client(self, source: str) -> tuple[Any, Http]:
        if source not in self._clients:
            sdmx = _sdmx()
            http = self._given or Http(
                source, min_interval=RATE_LIMITS.get(source, DEFAULT_INTERVAL)
            )
            client = sdmx.Client(source, session=http)
            override = os.environ.get(
                f"TRACKER_SDMX_URL_{re.sub(r'[^A-Z0-9]', '_', source.upper())}"
            )
            if override:
                # A copy of sdmx1's source with another URL: its hooks stay, the registry is
                # untouched.
                client.source = dataclasses.replace(client.source, url=override.rstrip("/"))
            self._clients[source] = (client, http)
        return self._clients[source]

    # Interface -------------------------------------------------------------------------------

    def describe(self, key: str) -> Described:
        source, _, _ = self.parse(key)
        fetched = self.fetch(key, since=None)
        raw = fetched.releases[0]
        ids = raw.frame["series_id"].unique(maintain_order=True).to_list()
        if len(ids) != 1:
            shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
            raise ProviderError(
                f"the key matches {len(ids)} series ({shown}) and a subscription feeds one: "
                "subscribe to each series' own key"
            )
        row = raw.series.row(0, named=True) if raw.series is not None and raw.series.height else {}
        notes = list(fetched.notes)
        series_id = self.series_id(key)
        unit = row.get("unit") or ""
        unit_kind = unit_kind_of(unit) if unit else None
        if unit_kind is None:
            unit_kind = "level"
            notes.append(
                f"{source} does not say what kind of number {series_id} is (unit "
                f"'{unit or 'none'}'): assumed unit_kind 'level' (set it with tracker define "
                f"{series_id} --unit ... --unit-kind ... --replace)"
            )
        frequency = row.get("frequency") or frequency_of(raw.frame["period"])
        if frequency is None:
            raise ProviderError(
                f"cannot tell the frequency of {series_id} from its periods (define the series "
                f"first: tracker define {series_id} --frequency ..., then subscribe with --as)"
            )
        return Described(
            key=f"{source}/{key.split('/', 1)[1]}",
            series_id=series_id,
            catalogue={
                "name": row.get("name") or f"{source} {series_id}",
                "unit": unit,
                "unit_kind": unit_kind,
                "frequency": frequency,
                "geo": row.get("geo"),
                "source": source,
                "kind": "actual",
                "description": row.get("description"),
                "tags": ["sdmx", source.lower()],
            },
            notes=notes,
        )

    def fetch(
        self, key: str, *, since: datetime | None, progress: Progress | None = None
    ) -> Fetched:
        say = progress or (lambda step, fraction: None)
        source, flow, series_key = self.parse(key)
        client, http = self._client(source)
        params = {}
        if since is not None:
            params["updatedAfter"] = since.replace(tzinfo=UTC).isoformat(timespec="seconds")
        headers = dict(client.source.headers.get("data", {})) or {"Accept": GENERIC}
        say(f"asking {source} for {flow}/{series_key}", 0.1)
        message = self._get(client, http, source, flow, series_key, params, headers)
        if message is None:  # nothing changed since the newest vintage seen
            return Fetched(releases=[], last_vintage=since, skip_unchanged=True)
        say("reading the answer", 0.6)
        response = message.response
        raw = self._read(response.content, source=source, since=since)
        if raw is None:
            return Fetched(releases=[], last_vintage=since, skip_unchanged=True)
        published, how = _published(message, response)
        notes = [note.split(": ", 1)[-1] for note in raw.notes if "Prepared time" not in note]
        if published is None:
            published = raw.published
            how = (
                "the message's Prepared time (when the agency generated it; the values were "
                "public by then)"
            )
            notes.append(f"{source} gives no update date for {flow}/{series_key}: dated by {how}")
        if published is None:
            raise ProviderError(f"{source}'s answer carries no date at all (no Prepared time)")
        raw.published = published
        raw.source = source
        raw.url = redact(response.url)
        raw.title = f"{source} {flow}/{series_key}, as of {published:%Y-%m-%d %H:%M} ({how})"
        raw.notes = []
        if since is not None and published <= since:
            # An agency that ignores updatedAfter: the same vintage again.
            return Fetched(releases=[], last_vintage=since, skip_unchanged=True)
        return Fetched(releases=[raw], last_vintage=published, skip_unchanged=True, notes=notes)

    def _get(self, client, http: Http, source, flow, series_key, params, headers):
        """The parsed message, None for "nothing new", or a `ProviderError`."""
        logger = logging.getLogger("sdmx")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return client.data(flow, key=series_key, params=params, headers=headers)
        except TrackerError:
            raise
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (404, 304) and "updatedAfter" in params:
                return None
            raise ProviderError(
                _http_failure(source, flow, series_key, exc.response, http)
            ) from None
        except NotImplementedError:
            raise ProviderError(f"{source} does not serve data queries (HTTP 501)") from None
        except Exception as exc:
            last = http.last_response
            if last is not None and last.status_code == 304:
                return None
            if last is not None and last.status_code == 200 and _not_sdmx(last):
                raise ProviderError(
                    f"{source} sent something that is not SDMX-ML ({describe_body(last)}); "
                    f"check the source's base URL (TRACKER_SDMX_URL_{source.upper()})"
                ) from None
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "No DSD" in text or "structure" in text.lower():
                raise ProviderError(
                    f"{source} sent structure-specific data that sdmx1 cannot read without its "
                    f"data structure ({type(exc).__name__}: {text})"
                ) from None
            raise ProviderError(
                f"sdmx1 cannot read {source}'s answer ({type(exc).__name__}: {text})"
            ) from None
        finally:
            logger.setLevel(level)

    def _read(self, content: bytes, *, source: str, since: datetime | None) -> RawRelease | None:
        """The answer as one release via `tracker.formats.sdmx_ml` (None: no observations)."""
        from tracker.formats import Source, conform, sdmx_ml

        answer = Source(f"{source}.xml", data=content)
        try:
            raw = sdmx_ml.read(answer)[0]
        except TrackerError as exc:
            text = exc.message.split("\n")[0].removeprefix("error: ")
            text = text.removeprefix(f"{answer.name}: ").removeprefix(f"{answer.name}:")
            if since is not None and ("holds no data sets" in text or "no observations" in text):
                return None
            raise ProviderError(f"{source}'s answer cannot be used: {text.strip()}") from None
        raw.frame = conform(raw.frame)
        return raw


def _not_sdmx(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    head = response.content[:512].lstrip().lower()
    return "html" in kind or "json" in kind or head.startswith((b"<!doctype html", b"<html", b"{"))


def _http_failure(source, flow, series_key, response, http: Http) -> str:
    status = response.status_code if response is not None else 0
    given_up = gave_up(source, status, http.policy.retries + 1)
    if given_up:
        return given_up
    if status == 404:
        return (
            f"{source} has no data for {flow}/{series_key} (HTTP 404); check the dataflow and "
            "the series key"
        )
    if status in (400, 413, 414):
        return (
            f"{source} refused the query {flow}/{series_key} (HTTP {status}); check the series key"
        )
    return f"{source} answered HTTP {status} for {flow}/{series_key}"


def _published(message: Any, response: requests.Response) -> tuple[datetime | None, str]:
    """The agency's update date (naive UTC) and how it was found, or (None, "")."""
    found: list[datetime | None] = []
    for dataset in message.data:
        for series_key in dataset.series:
            values = {**series_key.values, **series_key.attrib}
            found.extend(_moment(_text(values[n])) for n in UPDATE_ATTRIBUTES if n in values)
    dates = [d for d in found if d is not None]
    if dates:
        return max(dates), "the series' LAST_UPDATE"
    valid_from = _VALID_FROM.search(response.content[:HEAD_BYTES])
    if valid_from:
        moment = _moment(valid_from[1].decode("utf-8", "replace"))
        if moment is not None:
            return moment, "the data set's validFromDate"
    modified = response.headers.get("Last-Modified")
    if modified:
        try:
            moment = parsedate_to_datetime(modified)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            return moment, "the Last-Modified header"
    return None, ""


def _text(value: Any) -> str:
    value = getattr(value, "value", value)
    return str(getattr(value, "id", value))


def _moment(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
