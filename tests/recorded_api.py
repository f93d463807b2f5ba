"""A real HTTP server on 127.0.0.1 that answers like FRED, SDMX agencies and the World Bank,
from the recorded responses in ``tests/data/fixtures/api/`` (provenance in its README).

FRED is served from its recorded real-time rows (GDP, every vintage) the way FRED answers:
``series/observations`` returns the rows whose real-time period overlaps the requested one,
clipped to it, pages with ``offset``/``limit`` and refuses a request spanning more than
``max_vintage_dates`` vintage dates; ``series/vintagedates`` lists the distinct
``realtime_start`` dates (a test checks they equal the recorded list). A test can add a vintage
(`FredWorld.add_vintage`), make the next answers fail (`ApiServer.fail`), or kill the server
after some requests (`ApiServer.die_after`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).resolve().parent / "data" / "fixtures" / "api"
API_KEY = "abcdef0123456789abcdef0123456789"
EARLIEST, LATEST = "1776-07-04", "9999-12-31"

Answer = tuple[int, dict[str, str], bytes]


def recording(name: str) -> bytes:
    return (RECORDINGS / name).read_bytes()


def _json(status: int, body: object) -> Answer:
    return status, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(body).encode()


def _fred_error(message: str) -> Answer:
    return _json(400, {"error_code": 400, "error_message": message})


@dataclass
class FredWorld:
    """FRED as of the recordings (2024-11-03), with what tests add to it."""

    today: str = "2024-11-03"
    api_key: str = API_KEY
    max_vintage_dates: int = 2000
    rows: dict[str, list[dict]] = field(default_factory=dict)
    info: dict[str, dict] = field(default_factory=dict)
    series_release: dict[str, dict] = field(default_factory=dict)
    release_dates: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def recorded(cls) -> FredWorld:
        world = cls()
        world.rows["GDP"] = json.loads(recording("fred/GDP_all_releases.json"))["observations"]
        world.info["GDP"] = json.loads(recording("fred/GDP_series_info.json"))
        world.series_release["GDP"] = json.loads(recording("fred/GDP_series_release.json"))
        cpi = json.loads(recording("fred/release10_CPI_dates.json"))
        world.release_dates["10"] = cpi["release_dates"]
        return world

    def vintage_dates(self, series_id: str) -> list[str]:
        return sorted({row["realtime_start"] for row in self.rows[series_id]})

    def keep_periods_from(self, series_id: str, first_period: str) -> None:
        """Only the periods from ``first_period`` on (fewer vintages: faster tests)."""
        self.rows[series_id] = [r for r in self.rows[series_id] if r["date"] >= first_period]

    def add_vintage(self, series_id: str, day: str, values: dict[str, str]) -> None:
        """A new vintage on ``day``: each period's current row ends the day before."""
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        rows = self.rows[series_id]
        for period, value in values.items():
            for row in rows:
                if row["date"] == period and row["realtime_end"] == LATEST:
                    row["realtime_end"] = before
            rows.append(
                {"realtime_start": day, "realtime_end": LATEST, "date": period, "value": value}
            )
        rows.sort(key=lambda r: (r["date"], r["realtime_start"]))

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        key = query.get("api_key")
        if not key:
            return _fred_error(
                "Bad Request.  Variable api_key is not set. Read "
                "https://fred.stlouisfed.org/docs/api/api_key.html for more information."
            )
        if key != self.api_key:
            return _fred_error(
                "Bad Request.  The value for variable api_key is not registered. Read "
                "https://fred.stlouisfed.org/docs/api/api_key.html for more information."
            )
        endpoint = path.removeprefix("/fred/")
        if endpoint == "release/dates":
            return self._release_dates(query)
        series_id = query.get("series_id", "").upper()
        if series_id not in self.rows:
            return _fred_error("Bad Request.  The series does not exist.")
        if endpoint == "series":
            return _json(200, self.info[series_id])
        if endpoint == "series/release":
            return _json(200, self.series_release[series_id])
        if endpoint == "series/vintagedates":
            return self._vintage_dates(series_id, query)
        if endpoint == "series/observations":
            return self._observations(series_id, query)
        return _json(404, {"error_code": 404, "error_message": "Not Found"})

    def _page(self, query: dict[str, str], default_limit: int) -> tuple[int, int]:
        return int(query.get("offset", 0)), int(query.get("limit", default_limit))

    def _vintage_dates(self, series_id: str, query: dict[str, str]) -> Answer:
        start = query.get("realtime_start", EARLIEST)
        end = query.get("realtime_end", LATEST)
        dates = [d for d in self.vintage_dates(series_id) if start <= d <= end]
        offset, limit = self._page(query, 10000)
        return _json(
            200,
            {
                "realtime_start": start, "realtime_end": end, "order_by": "vintage_date",
                "sort_order": "asc", "count": len(dates), "offset": offset, "limit": limit,
                "vintage_dates": dates[offset : offset + limit],
            },
        )  # fmt: skip

    def _observations(self, series_id: str, query: dict[str, str]) -> Answer:
        start = query.get("realtime_start", self.today)
        end = query.get("realtime_end", self.today)
        spanned = [d for d in self.vintage_dates(series_id) if start <= d <= end]
        if len(spanned) > self.max_vintage_dates:
            return _fred_error(
                "Bad Request.  This exceeds the maximum number of vintage dates allowed "
                f"({self.max_vintage_dates})."
            )
        offset, limit = self._page(query, 100000)
        if limit > 100000:
            return _fred_error("Bad Request.  The value for variable limit is not valid.")
        # Rows whose real-time period overlaps [start, end], clipped to it (as FRED does).
        rows = [
            {
                "realtime_start": max(row["realtime_start"], start),
                "realtime_end": min(row["realtime_end"], end),
                "date": row["date"],
                "value": row["value"],
            }
            for row in self.rows[series_id]
            if row["realtime_start"] <= end and row["realtime_end"] >= start
        ]
        rows.sort(key=lambda r: (r["date"], r["realtime_start"]))
        return _json(
            200,
            {
                "realtime_start": start, "realtime_end": end, "observation_start": "1600-01-01",
                "observation_end": LATEST, "units": "lin", "output_type": 1, "file_type": "json",
                "order_by": "observation_date", "sort_order": "asc", "count": len(rows),
                "offset": offset, "limit": limit, "observations": rows[offset : offset + limit],
            },
        )  # fmt: skip

    def _release_dates(self, query: dict[str, str]) -> Answer:
        start = query.get("realtime_start", EARLIEST)
        end = query.get("realtime_end", LATEST)
        listed = self.release_dates.get(query.get("release_id", ""), [])
        dates = [d for d in listed if start <= d["date"] <= end]
        offset, limit = self._page(query, 10000)
        return _json(
            200,
            {
                "realtime_start": start, "realtime_end": end, "order_by": "release_date",
                "sort_order": "asc", "count": len(dates), "offset": offset, "limit": limit,
                "release_dates": dates[offset : offset + limit],
            },
        )  # fmt: skip


SDMX_NOT_FOUND = b"""<?xml version="1.0" encoding="UTF-8"?>
<message:Error xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message">
<message:ErrorMessage code="100"><common:Text xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">No Results Found</common:Text></message:ErrorMessage>
</message:Error>"""


def _sdmx_content_type(body: bytes) -> str:
    head = body[:600]
    if b"GenericData" in head:
        return "application/vnd.sdmx.genericdata+xml; version=2.1; charset=utf-8"
    if b"StructureSpecificData" in head:
        return "application/vnd.sdmx.structurespecificdata+xml; version=2.1; charset=utf-8"
    return "application/xml"


@dataclass
class SdmxRoute:
    body: bytes
    #: When the agency last changed the data: ``updatedAfter`` at or after it finds nothing.
    updated: str = "2000-01-01T00:00:00+00:00"
    #: True: the agency ignores ``updatedAfter`` and sends everything every time.
    ignores_updated_after: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SdmxWorld:
    """Agencies' data queries by path: ``/sdmx/<SOURCE>/data/<FLOW>/<KEY>``."""

    routes: dict[str, SdmxRoute] = field(default_factory=dict)

    @classmethod
    def recorded(cls) -> SdmxWorld:
        world = cls()
        world.routes["/sdmx/ESTAT/data/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU"] = SdmxRoute(
            recording("sdmx/ESTAT_NAMA_10_GDP-ss.xml"), updated="2022-11-11T12:30:30+00:00"
        )
        world.routes["/sdmx/INSEE/data/CNA-2010-CONSO-SI-A17/S13.P3.A10-BE.IPCH"] = SdmxRoute(
            recording("sdmx/INSEE_CNA-2010-CONSO-SI-A17.xml"), updated="2015-08-06T00:00:00+00:00"
        )
        world.routes["/sdmx/IMF_DATA/data/PCPS/M.W00.PZINC.USD"] = SdmxRoute(
            recording("sdmx/IMF_PCPS.xml"), updated="2025-01-09T12:59:18+00:00"
        )
        world.routes["/sdmx/ISTAT/data/22_289/A.IT.JAN.1.TOTAL.99"] = SdmxRoute(
            recording("sdmx/ISTAT_22_289.xml")
        )
        exchange = json.loads(recording("sdmx/recorded_b1957b05ba522041.json"))
        world.routes["/sdmx/ISTAT/data/47_850/A.001001+001002.AUTP.ALL.ALL.1"] = SdmxRoute(
            base64.b64decode(exchange["_content"]),
            headers={"Content-Type": exchange["headers"]["Content-Type"]},
        )
        ecb = Path(__file__).resolve().parent / "data" / "fixtures" / "sdmx"
        world.routes["/sdmx/ECB/data/EXR/M.USD.EUR.SP00.A"] = SdmxRoute(
            (ecb / "ecb_EXR_M.USD.EUR.SP00.A_sdmxml21.xml").read_bytes(),
            updated="2020-01-16T07:16:20+00:00",
        )
        return world

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        route = self.routes.get(path)
        if route is None:
            return 404, {"Content-Type": "application/xml"}, SDMX_NOT_FOUND
        after = query.get("updatedAfter")
        if after and not route.ignores_updated_after and after >= route.updated:
            return 404, {"Content-Type": "application/xml"}, SDMX_NOT_FOUND
        headers = {"Content-Type": _sdmx_content_type(route.body), **route.headers}
        return 200, headers, route.body


@dataclass
class WorldBankWorld:
    """``/wb/v2/countries/<COUNTRY>/indicators/<INDICATOR>``."""

    routes: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def recorded(cls) -> WorldBankWorld:
        body = recording("worldbank/US_NY.GNP.PCAP.CD_1990-1997.json")
        return cls(routes={"/wb/v2/countries/US/indicators/NY.GNP.PCAP.CD": body})

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        body = self.routes.get(path)
        if body is None:
            # What the World Bank says to an unknown indicator or country: HTTP 200.
            return _json(
                200,
                [{"message": [{"id": "120", "key": "Invalid value",
                               "value": "The provided parameter value is not valid"}]}],
            )  # fmt: skip
        return 200, {"Content-Type": "application/json;charset=utf-8"}, body


@dataclass
class Fault:
    prefix: str
    status: int
    headers: dict[str, str]
    times: int


class ApiServer(ThreadingHTTPServer):
    """The recorded agencies on one port; records every request it receives."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fred = FredWorld.recorded()
        self.sdmx = SdmxWorld.recorded()
        self.worldbank = WorldBankWorld.recorded()
        self.log: list[tuple[float, str, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.remaining: int | None = None
        self.dead = False
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> ApiServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def fail(self, prefix: str, status: int, *, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` requests under ``prefix`` with ``status``."""
        self.faults.append(Fault(prefix, status, dict(headers), times))

    def die_after(self, requests: int) -> None:
        """Answer ``requests`` more requests, then drop every connection without an answer."""
        self.remaining = requests

    def requests_to(self, prefix: str) -> list[tuple[float, str, dict[str, str]]]:
        return [entry for entry in self.log if entry[1].startswith(prefix)]

    def answer(self, path: str, query: dict[str, str]) -> Answer | None:
        with self.lock:
            if self.dead:
                return None
            if self.remaining is not None:
                if self.remaining <= 0:
                    self.dead = True
                    return None
                self.remaining -= 1
            self.log.append((time.monotonic(), path, query))
            for fault in self.faults:
                if path.startswith(fault.prefix) and fault.times > 0:
                    fault.times -= 1
                    return fault.status, {"Content-Type": "text/plain", **fault.headers}, b"busy"
        if path.startswith("/fred/"):
            return self.fred.answer(path, query)
        if path.startswith("/sdmx/"):
            return self.sdmx.answer(path, query)
        if path.startswith("/wb/"):
            return self.worldbank.answer(path, query)
        return 404, {"Content-Type": "text/plain"}, b"not found"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY every keep-alive request waits ~40 ms (docs/ENGINEERING_NOTES).
    disable_nagle_algorithm = True
    server: ApiServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        answer = self.server.answer(parts.path, query)
        if answer is None:  # the server "died": drop the connection without an answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet
        pass


def environment(server: ApiServer, monkeypatch, tmp_path: Path) -> None:
    """Point every provider at ``server``, with the FRED key, no config file and tiny backoffs."""
    monkeypatch.setenv("TRACKER_FRED_URL", server.url)
    monkeypatch.setenv("TRACKER_WORLDBANK_URL", f"{server.url}/wb")
    for source in ("ECB", "ESTAT", "INSEE", "IMF_DATA", "ISTAT", "OECD"):
        monkeypatch.setenv(f"TRACKER_SDMX_URL_{source}", f"{server.url}/sdmx/{source}")
    monkeypatch.setenv("FRED_API_KEY", API_KEY)
    monkeypatch.setenv("TRACKER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("TRACKER_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("TRACKER_HTTP_RETRIES", "2")
    monkeypatch.setenv("TRACKER_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("TRACKER_HTTP_MIN_INTERVAL", "0")
