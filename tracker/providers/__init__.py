"""Providers: the publishers' web APIs that `tracker pull` follows. One module per provider.

Every provider module defines ``NAME`` (the prefix of a subscription, ``fred`` in ``fred:GDP``)
and ``Provider``, a subclass of `Provider` with three methods:

``describe(key) -> Described``
    what the publisher says about the series (for ``tracker subscribe``): its own series id,
    name, unit, frequency, source, and the release calendar it follows, if any;
``fetch(key, since=..., progress=...) -> Fetched``
    the vintages published after ``since`` (the newest vintage seen), each as a `RawRelease`
    dated by the publisher, in publication order;
``calendar(release_key, since=...) -> list[date]``
    the release dates the publisher announces (empty when it announces none).

Providers never touch the store: `tracker.pull` appends what they fetch through
`tracker.append.append_releases`. A provider raises `ProviderError` with one line that says what
went wrong and what to do; it never quotes an API key.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from tracker.errors import TrackerError
from tracker.vocab import FREQUENCIES

if TYPE_CHECKING:
    from tracker.formats import RawRelease
    from tracker.providers.http import Http

#: ``(step, fraction_done)``, as `tracker.append.Progress`.
Progress = Callable[[str, float], None]


class ProviderError(TrackerError):
    """A provider could not be asked, or answered something tracker cannot use. The message is
    one line without the ``error: SUBSCRIPTION:`` prefix, which `tracker.pull` adds."""


@dataclass
class Described:
    """What a provider says about one series, for ``tracker subscribe``."""

    #: The key as the provider spells it (``GDP`` for ``fred:gdp``).
    key: str
    #: The provider's own id for the series: the default tracker series id (``GDP``).
    series_id: str
    #: Catalogue columns (`tracker.formats.SERIES_COLUMNS`, ``series_id`` excluded).
    catalogue: dict
    #: The provider's release calendar for the series (FRED release id), if it has one.
    release_key: str | None = None
    release_name: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Fetched:
    """What a provider published after the last vintage seen."""

    #: One release per new vintage, in publication order; frames use the provider's series id.
    releases: list[RawRelease]
    #: The newest vintage date the provider reported (it may equal the one seen before).
    last_vintage: datetime | None
    #: True when a vintage date may carry nothing new (SDMX, World Bank): a release that changes
    #: no value is then not stored. FRED's vintages are by definition changes.
    skip_unchanged: bool = False
    #: What the reader noticed (shown by ``tracker subscribe``, not repeated on every pull).
    notes: list[str] = field(default_factory=list)


class Provider:
    """Base of every provider: an HTTP session with the provider's rate limit."""

    #: The subscription prefix (``fred``).
    name: ClassVar[str] = ""
    #: How users know the provider ("FRED").
    label: ClassVar[str] = ""
    #: Seconds between two requests (the provider's published rate limit).
    min_interval: ClassVar[float] = 0.0
    #: What a key looks like, for messages: ``fred:GDP``.
    example: ClassVar[str] = ""

    def __init__(self, http: Http | None = None):
        from tracker.providers.http import Http

        self.http = http or Http(self.label, min_interval=self.min_interval)

    @property
    def requests_sent(self) -> int:
        return self.http.sent

    def check_key(self, key: str) -> str:
        """The key, stripped; a `ProviderError` for an empty or malformed one."""
        key = key.strip()
        if not key:
            raise ProviderError(f"empty key (e.g. {self.example})")
        return key

    def describe(self, key: str) -> Described:
        raise NotImplementedError

    def fetch(
        self, key: str, *, since: datetime | None, progress: Progress | None = None
    ) -> Fetched:
        raise NotImplementedError

    def calendar(self, release_key: str, *, since: date) -> list[date]:
        return []

    def url(self, key: str) -> str:
        """Where a person can look at the series."""
        return ""


#: Provider modules, by subscription prefix.
_MODULES = {"fred": "fred", "sdmx": "sdmx", "wb": "worldbank"}


def registry() -> dict[str, ModuleType]:
    """The provider modules by ``NAME``."""
    return {name: importlib.import_module(f"tracker.providers.{module}") for name, module in
            _MODULES.items()}  # fmt: skip


def get(name: str, http: Http | None = None) -> Provider:
    """A provider instance by subscription prefix."""
    if name not in _MODULES:
        raise ProviderError(
            f"unknown provider '{name}' (choose one of {', '.join(_MODULES)}, e.g. fred:GDP, "
            "sdmx:ECB/EXR/M.USD.EUR.SP00.A, wb:NY.GNP.PCAP.CD/US)"
        )
    module = importlib.import_module(f"tracker.providers.{_MODULES[name]}")
    return module.Provider(http)


def parse_subscription(text: str) -> tuple[str, str]:
    """``fred:GDP`` -> ``("fred", "GDP")``; a `ProviderError` that shows the form otherwise."""
    provider, sep, key = text.strip().partition(":")
    if not sep or not key.strip() or not re.fullmatch(r"[a-z]+", provider.strip().lower()):
        raise ProviderError(
            f"'{text}' is not PROVIDER:KEY (e.g. fred:GDP, sdmx:ECB/EXR/M.USD.EUR.SP00.A, "
            "wb:NY.GNP.PCAP.CD/US)"
        )
    return provider.strip().lower(), key.strip()


def frequency_of(codes: Iterable[str]) -> str | None:
    """The one frequency all period codes share (``2014`` -> A), or None (ISO dates, mixed)."""
    from tracker import periods

    kinds = set()
    for code in set(codes):
        try:
            kinds.add(periods.parse(code)[0])
        except periods.PeriodError:
            return None
    return kinds.pop() if len(kinds) == 1 and kinds <= set(FREQUENCIES) else None


def unit_kind_of(unit: str) -> str | None:
    """The unit kind a unit's words imply, or None when they do not say.

    ``Percent Change from Year Ago`` -> growth_yoy; ``Percent Change`` -> growth_pop;
    ``Index 2017=100`` -> index; ``Percent`` / ``% of GDP`` -> rate / share;
    ``Billions of Dollars`` -> level.
    """
    text = unit.lower()
    if "change from year ago" in text or "y/y" in text or "annual %" in text:
        return "growth_yoy"
    if "percent change" in text or "% change" in text or "compounded annual" in text:
        return "growth_pop"
    if re.search(r"\bindex\b|=\s*100", text):
        return "index"
    if "% of" in text or "percent of" in text or "share" in text:
        return "share"
    if "percent" in text or text.strip() in ("%", "pct") or "rate" in text:
        return "rate"
    if re.search(r"dollars|euro|usd|eur\b|units|thousands|millions|billions|number|persons",
                 text):  # fmt: skip
        return "level"
    return None
