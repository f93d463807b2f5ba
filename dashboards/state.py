"""The Explorer's view as URL state: what the address bar holds, and its vocabularies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

#: FRED transform codes, in FRED's order, with the labels FRED uses.
TRANSFORMS: dict[str, str] = {
    "lin": "Levels (no transform)",
    "chg": "Change",
    "ch1": "Change from a year ago",
    "pch": "Percent change",
    "pc1": "Percent change from a year ago",
    "pca": "Compounded annual rate of change",
    "cch": "Continuously compounded rate of change",
    "cca": "Continuously compounded annual rate of change",
    "log": "Natural log",
}
FREQUENCIES = {"": "Native", "S": "Half-yearly", "Q": "Quarterly", "A": "Annual"}
AGGREGATIONS = {"avg": "Average", "sum": "Sum", "eop": "End of period"}


@dataclass(frozen=True)
class ExploreState:
    """Everything the Explorer draws; round-trips through the URL query string."""

    series: tuple[str, ...] = ("CHN.EXPORTS.YOY", "CHN.IMPORTS.YOY")
    transform: str = "lin"
    rebase: str | None = None
    freq: str = ""
    agg: str = "avg"
    as_of: str | None = None
    start: str | None = None
    end: str | None = None
    log: bool = False
    events: bool = True
    regimes: bool = True
    vintages: bool = False
    expectations: bool = True

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> ExploreState:
        """Parse a query string dict (values may be lists when a key repeats)."""

        def one(key: str) -> str | None:
            value = query.get(key)
            if isinstance(value, list):
                value = value[-1] if value else None
            value = str(value).strip() if value is not None else None
            return value or None

        def flag(key: str, default: bool) -> bool:
            value = one(key)
            return default if value is None else value.lower() in ("1", "true", "yes", "on")

        default = cls()
        series_text = one("series")
        series = (
            tuple(s for s in (x.strip() for x in series_text.split(",")) if s)
            if series_text is not None
            else default.series
        )
        transform = one("transform") or "lin"
        freq = (one("freq") or "").upper()
        agg = one("agg") or "avg"
        start, end = None, None
        window = one("range")
        if window and "," in window:
            start, end = (x.strip() or None for x in window.split(",", 1))
        return cls(
            series=series,
            transform=transform if transform in TRANSFORMS else "lin",
            rebase=one("rebase"),
            freq=freq if freq in FREQUENCIES else "",
            agg=agg if agg in AGGREGATIONS else "avg",
            as_of=date_text(one("as_of")),
            start=date_text(start),
            end=date_text(end),
            log=flag("log", False),
            events=flag("events", True),
            regimes=flag("regimes", True),
            vintages=flag("vintages", False),
            expectations=flag("expectations", True),
        )

    def to_query(self) -> str:
        """The query string (without ``?``) that reproduces this state; defaults are left out."""
        default = ExploreState()
        pairs: list[tuple[str, str]] = [("series", ",".join(self.series))]
        if self.transform != "lin":
            pairs.append(("transform", self.transform))
        if self.rebase:
            pairs.append(("rebase", self.rebase))
        if self.freq:
            pairs.append(("freq", self.freq))
            pairs.append(("agg", self.agg))
        if self.as_of:
            pairs.append(("as_of", self.as_of))
        if self.start or self.end:
            pairs.append(("range", f"{self.start or ''},{self.end or ''}"))
        for name in ("log", "events", "regimes", "vintages", "expectations"):
            if getattr(self, name) != getattr(default, name):
                pairs.append((name, "1" if getattr(self, name) else "0"))
        return urlencode(pairs, safe=",")


def date_text(value: str | None) -> str | None:
    """Keep the date part of an ISO date or date-time; anything else is dropped."""
    if not value:
        return None
    match = re.match(r"^\d{4}-\d{2}-\d{2}", value.strip())
    return match.group(0) if match else None
