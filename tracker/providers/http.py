"""One HTTP client for every provider: timeouts, retries with backoff, ``Retry-After``, rate limits.

`Http` is a `requests.Session`, so sdmx1's ``Client(session=...)`` sends through it too. Every
request waits for its provider's turn (a minimum interval between requests, per provider and
process), is retried on 429 and 5xx answers and on connection failures with exponential backoff,
and honours a ``Retry-After`` header up to `Policy.max_wait` seconds.

Secrets (API keys) never leave this module in text: `redact` removes them from URLs, and errors
name the host and the failure, never the request URL with its query string.
"""

from __future__ import annotations

import email.utils
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from tracker.providers import ProviderError

#: Answers worth another try: too many requests, and the server's own failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Query parameters that hold secrets.
SECRET_PARAMETERS = frozenset({"api_key", "apikey", "key", "token", "access_token"})
USER_AGENT = "tracker/0.1 (economic-indicator tracker; python-requests)"


@dataclass(frozen=True)
class Policy:
    """How patient a client is. Environment variables override the defaults (tests use tiny
    backoffs): ``TRACKER_HTTP_TIMEOUT``, ``TRACKER_HTTP_RETRIES``, ``TRACKER_HTTP_BACKOFF``,
    ``TRACKER_HTTP_MAX_WAIT`` and ``TRACKER_HTTP_MIN_INTERVAL`` (overrides every provider's
    rate limit)."""

    #: Seconds to connect and seconds between bytes of the answer.
    timeout: float = 30.0
    #: Further attempts after the first.
    retries: int = 4
    #: First backoff in seconds; it doubles after each failed attempt.
    backoff: float = 1.0
    #: Longest ``Retry-After`` honoured; a longer one fails the request with a clear message.
    max_wait: float = 300.0
    #: Minimum seconds between two requests to the same provider (None: the provider's own).
    min_interval: float | None = None

    @classmethod
    def from_env(cls) -> Policy:
        def number(name: str, default: float | None) -> float | None:
            text = os.environ.get(name)
            if text is None or not text.strip():
                return default
            try:
                value = float(text)
            except ValueError:
                raise ProviderError(
                    f"{name}='{text}' is not a number of seconds (e.g. {name}=1.5)"
                ) from None
            if value < 0:
                raise ProviderError(f"{name}='{text}' must not be negative")
            return value

        base = cls()
        retries = number("TRACKER_HTTP_RETRIES", base.retries)
        return cls(
            timeout=number("TRACKER_HTTP_TIMEOUT", base.timeout) or base.timeout,
            retries=int(retries or 0),
            backoff=number("TRACKER_HTTP_BACKOFF", base.backoff) or 0.0,
            max_wait=number("TRACKER_HTTP_MAX_WAIT", base.max_wait) or 0.0,
            min_interval=number("TRACKER_HTTP_MIN_INTERVAL", None),
        )


def redact(url: str) -> str:
    """``url`` without secret query parameters (``api_key=…`` is dropped, not masked)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in SECRET_PARAMETERS]  # fmt: skip
    return urlunsplit(parts._replace(query=urlencode(kept, safe=":,+@")))


_SECRET_IN_TEXT = re.compile(
    r"[?&]?\b(?:" + "|".join(sorted(SECRET_PARAMETERS)) + r")=[^&\s'\"]*", re.IGNORECASE
)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without secret query parameters and without the given secret values."""
    text = _SECRET_IN_TEXT.sub("", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def retry_after(response: requests.Response, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    text = (response.headers.get("Retry-After") or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Turns:
    """The time of the last request per provider, shared by every client in the process."""

    lock = threading.Lock()
    last: dict[str, float] = {}  # noqa: RUF012 — process-wide by design

    @classmethod
    def wait(cls, provider: str, interval: float) -> None:
        if interval <= 0:
            return
        with cls.lock:
            now = time.monotonic()
            ready = cls.last.get(provider, -interval) + interval
            if ready > now:
                time.sleep(ready - now)
            cls.last[provider] = time.monotonic()


class Http(requests.Session):
    """A session for one provider: waits its turn, retries, never prints a secret.

    Parameters
    ----------
    label
        The provider as users know it ("FRED", "ECB", "World Bank"), for messages.
    policy
        Timeouts, retries and backoff (`Policy.from_env()` by default).
    min_interval
        The provider's rate limit as seconds between requests (FRED: 0.5, OECD: 60);
        ``policy.min_interval`` overrides it.
    """

    def __init__(self, label: str, *, policy: Policy | None = None, min_interval: float = 0.0):
        super().__init__()
        self.label = label
        self.policy = policy or Policy.from_env()
        self.min_interval = (
            self.policy.min_interval if self.policy.min_interval is not None else min_interval
        )
        self.headers["User-Agent"] = USER_AGENT
        #: Requests sent (attempts included), for the pull summary.
        self.sent = 0
        #: The last answer received, for callers that need its headers or status.
        self.last_response: requests.Response | None = None

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.policy.timeout
        host = urlsplit(request.url or "").netloc
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            _Turns.wait(self.label, self.min_interval)
            self.sent += 1
            try:
                response = super().send(request, **kwargs)
            except requests.exceptions.RequestException as exc:
                if attempt + 1 < attempts and _transient(exc):
                    time.sleep(self.policy.backoff * 2**attempt)
                    continue
                raise ProviderError(
                    f"cannot reach {self.label} at {host} ({_reason(exc)}) after {attempt + 1} "
                    f"attempt{'s' if attempt else ''}; check the network, or try again later"
                ) from None
            self.last_response = response
            if response.status_code not in RETRY_STATUSES:
                return response
            wait = retry_after(response)
            if wait is not None and wait > self.policy.max_wait:
                raise ProviderError(
                    f"{self.label} answered HTTP {response.status_code} and asks to wait "
                    f"{wait:,.0f} s (more than {self.policy.max_wait:,.0f} s); try again later"
                )
            if attempt + 1 >= attempts:
                return response  # the caller says what the final answer means
            response.close()
            time.sleep(wait if wait is not None else self.policy.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, url: str, params: dict[str, str]) -> tuple[object, requests.Response]:
        """GET ``url`` and decode a JSON body; HTTP errors are left to the caller."""
        response = self.get(url, params=params)
        if response.status_code >= 400:
            return None, response
        return decode_json(response, self.label), response


def gave_up(label: str, status: int, attempts: int) -> str | None:
    """The message for a 429 or 5xx answer that outlasted every retry, else None."""
    if status == 429:
        return (
            f"{label} kept answering HTTP 429 (too many requests) after {attempts} attempts; "
            "try again later"
        )
    if status >= 500:
        return f"{label} kept failing (HTTP {status}) after {attempts} attempts; try again later"
    return None


def decode_json(response: requests.Response, label: str) -> object:
    """The JSON body, or a `ProviderError` that says what came instead."""
    try:
        return response.json()
    except ValueError:
        raise ProviderError(
            f"{label} sent something that is not JSON ({describe_body(response)}); "
            "check the provider's base URL, or try again later"
        ) from None


def describe_body(response: requests.Response) -> str:
    """A short, safe description of an unexpected body: content type and first characters."""
    kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()
    text = response.content[:60].decode("utf-8", "replace")
    text = " ".join(text.split())
    if not text:
        return f"HTTP {response.status_code}, {kind}, empty body"
    from tracker.errors import printable

    return f"HTTP {response.status_code}, {kind}, starting '{printable(text)}'"


def _transient(exc: requests.exceptions.RequestException) -> bool:
    return isinstance(
        exc,
        requests.exceptions.ConnectionError
        | requests.exceptions.Timeout
        | requests.exceptions.ChunkedEncodingError,
    )


def _reason(exc: requests.exceptions.RequestException) -> str:
    """What went wrong, in words: never the exception text, which quotes the URL (and key)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer within the timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL error"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service not known" in text or "nodename nor servname" in text:
            return "host name not found"
        if "temporary failure in name resolution" in text:
            return "no DNS: the network may be down"
        if "remotedisconnected" in text or "connection aborted" in text or "reset" in text:
            return "the server closed the connection"
        return "connection failed"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "not a valid URL"
    return type(exc).__name__
