"""World Bank API v2 (JSON): one indicator for one country.

``wb:NY.GNP.PCAP.CD/US`` is ``INDICATOR/COUNTRY`` (ISO2 or ISO3 code). It feeds the tracker
series ``<indicator>.<ISO3>`` (``NY.GNP.PCAP.CD.USA``), the id `tracker.formats.wdi` gives the same
data from a WDI bulk download. The base URL comes from ``TRACKER_WORLDBANK_URL`` (default
``https://api.worldbank.org``).

The answer is ``[{page, pages, per_page, total, lastupdated, …}, [{indicator, country,
countryiso3code, date, value, …}, …]]``; ``lastupdated`` (the database's update date) dates the
release, so a pull whose ``lastupdated`` is not newer than the last one seen adds nothing. Years
without a value (``null``) are left out, as WDI's empty cells are. Dates ``2020``, ``2020M01`` and
``2020Q1`` become tracker periods ``2020``, ``2020-01`` and ``2020-Q1``.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime

import polars as pl

from tracker.formats import RawRelease
from tracker.formats.wdi import _unit as wdi_unit
from tracker.providers import Described, Fetched, Progress, ProviderError, frequency_of
from tracker.providers import Provider as BaseProvider
from tracker.providers.http import decode_json, describe_body, gave_up, redact

NAME = "wb"
BASE_URL = "https://api.worldbank.org"
SOURCE = "World Bank"
PER_PAGE = 1000
_MONTH = re.compile(r"(\d{4})M(\d{2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


class Provider(BaseProvider):
    """The World Bank Indicators API v2."""

    name = NAME
    label = SOURCE
    #: The API publishes no limit; stay polite.
    min_interval = 0.2
    example = "wb:NY.GNP.PCAP.CD/US"

    def __init__(self, http=None):
        super().__init__(http)
        self.base = (os.environ.get("TRACKER_WORLDBANK_URL") or BASE_URL).rstrip("/")

    def parse(self, key: str) -> tuple[str, str]:
        key = self.check_key(key)
        indicator, _, country = key.partition("/")
        if not indicator or not re.fullmatch(r"[A-Za-z0-9]{2,3}", country):
            raise ProviderError(
                f"'{key}' is not INDICATOR/COUNTRY with one ISO country code "
                f"(e.g. {self.example.removeprefix('wb:')})"
            )
        return indicator.upper(), country.upper()

    def url(self, key: str) -> str:
        indicator, country = self.parse(key)
        return f"https://data.worldbank.org/indicator/{indicator}?locations={country}"

    def _download(self, key: str) -> tuple[dict, list[dict], str]:
        """(first page's header, every row, the first request's URL)."""
        indicator, country = self.parse(key)
        url = f"{self.base}/v2/countries/{country}/indicators/{indicator}"
        header: dict = {}
        rows: list[dict] = []
        first_url = ""
        page = 1
        while True:
            response = self.http.get(
                url, params={"format": "json", "per_page": str(PER_PAGE), "page": str(page)}
            )
            first_url = first_url or redact(response.url)
            if response.status_code != 200:
                raise ProviderError(self._failure(response.status_code, key))
            body = decode_json(response, self.label)
            if (
                isinstance(body, list)
                and body
                and isinstance(body[0], dict)
                and "message" in body[0]
            ):
                messages = body[0]["message"] or [{}]
                said = "; ".join(
                    str(m.get("value") or m.get("key") or "")
                    for m in messages
                    if isinstance(m, dict)
                )
                raise ProviderError(
                    f"the World Bank does not know {indicator} for {country} ({said}); check the "
                    "indicator code and the country code"
                )
            if not (isinstance(body, list) and len(body) == 2 and isinstance(body[0], dict)):
                raise ProviderError(
                    f"the World Bank sent JSON that is not [header, rows] "
                    f"({describe_body(response)}); check TRACKER_WORLDBANK_URL"
                )
            header = header or body[0]
            rows.extend(row for row in body[1] or [] if isinstance(row, dict))
            pages = body[0].get("pages")
            if not isinstance(pages, int) or page >= pages:
                return header, rows, first_url
            page += 1

    def _failure(self, status: int, key: str) -> str:
        given_up = gave_up(self.label, status, self.http.policy.retries + 1)
        if given_up:
            return given_up
        return f"the World Bank answered HTTP {status} for {key}; check the indicator and country"

    def _release(self, key: str) -> tuple[RawRelease | None, datetime]:
        header, rows, url = self._download(key)
        updated = _day(header.get("lastupdated"))
        if updated is None:
            raise ProviderError(
                "the World Bank's answer has no lastupdated date (expected YYYY-MM-DD)"
            )
        published = datetime.combine(updated, datetime.min.time())
        records = []
        for number, row in enumerate(rows, start=1):
            value = row.get("value")
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProviderError(
                    f"the World Bank sent a value that is not a number: '{value}' "
                    f"for {row.get('date')}"
                )
            indicator, country = row.get("indicator"), row.get("country")
            if not isinstance(indicator, dict) or not isinstance(country, dict):
                raise ProviderError(
                    "the World Bank sent a row that is not {indicator: {id, value}, country: "
                    "{id, value}, date, value}; check TRACKER_WORLDBANK_URL"
                )
            code = row.get("countryiso3code") or country.get("id") or ""
            records.append(
                {
                    "series_id": f"{indicator.get('id')}.{code}",
                    "period": _period(str(row.get("date") or "")),
                    "value": float(value),
                    "line": number,
                    "name": f"{indicator.get('value')}: {country.get('value')}",
                    "geo": row.get("countryiso3code") or None,
                }
            )
        if not records:
            return None, published
        frame = pl.DataFrame(records)
        indicator, country = self.parse(key)
        raw = RawRelease(
            frame=frame.select("series_id", "period", "value", pl.col("line").cast(pl.Int64)),
            format="worldbank_api",
            source=SOURCE,
            published=published,
            title=f"World Bank {indicator} for {country}, last updated {updated.isoformat()}",
            url=url,
            locator="observation",
            series=frame.select("series_id", "name", "geo").unique("series_id", keep="first"),
        )
        return raw, published

    # Interface -------------------------------------------------------------------------------

    def describe(self, key: str) -> Described:
        indicator, country = self.parse(key)
        raw, _ = self._release(key)
        if raw is None:
            raise ProviderError(f"the World Bank has no values of {indicator} for {country}")
        ids = raw.frame["series_id"].unique().to_list()
        if len(ids) != 1:
            raise ProviderError(
                f"{indicator}/{country} matches {len(ids)} series ({', '.join(ids[:3])}…); "
                "subscribe to one country at a time"
            )
        assert raw.series is not None
        row = raw.series.row(0, named=True)
        name = row["name"]
        unit, unit_kind = wdi_unit(name.rsplit(": ", 1)[0])
        notes = []
        if unit is None:
            notes.append(
                f"the indicator name does not give {ids[0]}'s unit (assumed unit_kind "
                f"'{unit_kind}': set it with tracker define {ids[0]} --unit ... --unit-kind ... "
                "--replace)"
            )
        frequency = frequency_of(raw.frame["period"])
        if frequency is None:
            raise ProviderError(f"cannot tell the frequency of {ids[0]} from its dates")
        return Described(
            key=f"{indicator}/{country}",
            series_id=ids[0],
            catalogue={
                "name": name,
                "unit": unit or "",
                "unit_kind": unit_kind,
                "frequency": frequency,
                "geo": row["geo"],
                "source": SOURCE,
                "kind": "actual",
                "description": f"World Bank indicator {indicator}, {name}",
                "tags": ["worldbank"],
            },
            notes=notes,
        )

    def fetch(
        self, key: str, *, since: datetime | None, progress: Progress | None = None
    ) -> Fetched:
        say = progress or (lambda step, fraction: None)
        say("asking the World Bank", 0.1)
        raw, published = self._release(key)
        if since is not None and published <= since:
            return Fetched(releases=[], last_vintage=since, skip_unchanged=True)
        return Fetched(
            releases=[raw] if raw is not None else [], last_vintage=published, skip_unchanged=True
        )


def _day(text: object) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _period(text: str) -> str:
    """``2020M01`` -> ``2020-01``, ``2020Q1`` -> ``2020-Q1``; years and others unchanged."""
    if match := _MONTH.fullmatch(text):
        return f"{match[1]}-{match[2]}"
    if match := _QUARTER.fullmatch(text):
        return f"{match[1]}-Q{match[2]}"
    return text
