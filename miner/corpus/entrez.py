"""NCBI E-utilities client: pacing, retries and history-server calls.

Biopython's ``Bio.Entrez`` hard-codes the NCBI host and retries without waiting
on 429/5xx, so this module sends the requests itself (over :mod:`urllib`, to a
configurable base URL) and parses the XML answers with ``Bio.Entrez.read``.
Every attempt of every request passes through one :class:`RateLimiter` shared by
the whole process, so retries and parallel callers never exceed NCBI's limit
(3 requests/s without an API key, 10 with one).  The API key travels only in
POST bodies and is masked in every message this module produces.  Every attempt
has two bounds: a socket timeout per read and an overall deadline, because a
server that trickles its answer a byte at a time never trips the first.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import io
import logging
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

from Bio import Entrez

from miner.config import DEFAULT_EUTILS_URL, Settings
from miner.errors import MinerError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: NCBI's published limits (requests per second).
RATE_WITHOUT_KEY = 3
RATE_WITH_KEY = 10
#: PubMed's esearch/efetch cannot page past this many records of one search.
PUBMED_MAX_RETRIEVABLE = 9999
TOOL = "miner"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
#: Seconds one attempt may take from connecting to the last byte (an efetch of 500 records is a few MB).
DEFAULT_DEADLINE = 300.0


class EntrezError(MinerError):
    """An E-utilities request that failed for good (after retries, or a permanent error)."""

    def __init__(self, message: str, *, endpoint: str, attempts: int = 1, status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.attempts = attempts
        self.status = status


class BadResponse(Exception):
    """A response body that is not what was asked for (truncated or malformed XML): refetch it."""


class DeadlineExceeded(TimeoutError):
    """One attempt did not complete within the client's overall deadline."""


class _Deadline:
    """Shuts one attempt's connection down when its deadline passes.

    A socket timeout bounds each read, not the request: a server that sends a byte every
    few seconds would hold a refresh forever.  Shutting the socket down from a timer ends
    whichever read is blocked (headers or body), and :attr:`expired` tells why it ended.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:  # the plain socket's shutdown: an SSL socket's own would drop its SSL state under the reader
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _DeadlineConnection:
    """Mixin: a connection whose socket is put under the request's overall deadline once connected."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._deadline.attach(self.sock)  # type: ignore[attr-defined]


class _DeadlineHTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_DeadlineHTTPConnection, deadline=self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            functools.partial(_DeadlineHTTPSConnection, deadline=self._deadline), req, context=self._context
        )


class RateLimiter:
    """At most ``rate`` request starts in any window of ``period`` seconds, across threads.

    Two rules together: starts are spaced by ``period / rate`` (no bursts, as NCBI
    asks) and the ``rate``-th previous start must be at least ``period`` plus a
    small ``margin`` ago, so clock jitter between us and the server cannot
    squeeze ``rate + 1`` requests into one window.  ``clock``/``sleep`` are
    injectable so the production rates can be tested with a fake clock.
    """

    def __init__(
        self,
        rate: int,
        period: float = 1.0,
        *,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 1 or period <= 0:
            raise ValueError("rate must be >= 1 and period > 0")
        self.rate = rate
        self.period = period
        self.margin = margin * period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=rate)
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until a request may start; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            earliest = now
            if self._starts:
                earliest = max(earliest, self._starts[-1] + self.period / self.rate)
            if len(self._starts) == self.rate:
                earliest = max(earliest, self._starts[0] + self.period + self.margin)
            wait = earliest - now
            if wait > 0:
                self._sleep(wait)
                now = max(self._clock(), earliest)
            self._starts.append(now)
            self.waited += max(wait, 0.0)
            return max(wait, 0.0)


_shared_limiters: dict[tuple[int, float], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(rate: int, period: float = 1.0) -> RateLimiter:
    """The process-wide limiter for ``rate`` (one per rate, so every client shares it)."""
    with _shared_lock:
        key = (rate, period)
        if key not in _shared_limiters:
            _shared_limiters[key] = RateLimiter(rate, period)
        return _shared_limiters[key]


@dataclass
class RetryPolicy:
    """Bounded exponential backoff with jitter.

    Attempt ``n`` (1-based) that failed waits ``base * 2**(n-1)`` seconds, capped,
    times a random factor in [0.5, 1]; a 429's ``Retry-After`` is honoured when longer.
    """

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    #: A Retry-After longer than this is not waited out: the request fails with a clear message.
    max_retry_after: float = 600.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        backoff = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1))) * rng.uniform(0.5, 1.0)
        if retry_after is not None:
            return max(backoff, retry_after)
        return backoff


@dataclass
class SearchResult:
    """What esearch returned: the hit count and, with the history server, where the hits are."""

    count: int
    webenv: str = ""
    query_key: str = ""
    ids: list[str] = field(default_factory=list)
    query_translation: str = ""


@dataclass
class ClientStats:
    """Counters for the end-of-run summary."""

    requests: int = 0
    retries: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    waited_backoff: float = 0.0

    def retried(self, reason: str) -> None:
        self.retries += 1
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class EntrezClient:
    """Calls esearch/efetch/epost with pacing, retries and secret-masking.

    ``rate``/``period`` default to NCBI's limits for the key in use; tests and
    benchmarks may pass a private ``limiter`` and a faster ``retry`` policy.  ``timeout``
    bounds each read, ``deadline`` one whole attempt (default :data:`DEFAULT_DEADLINE`).
    """

    def __init__(
        self,
        email: str | None,
        api_key: str | None = None,
        base_url: str = DEFAULT_EUTILS_URL,
        *,
        timeout: float = 120.0,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not email or "@" not in email:
            raise MinerError(
                "NCBI requires a contact e-mail for E-utilities. Set NCBI_EMAIL=you@example.org "
                "or add `email = \"...\"` under [ncbi] in miner.toml."
            )
        self.email = email
        self._api_key = api_key or None
        parsed = urllib.parse.urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise MinerError(f"E-utilities base URL must be an http(s) URL, got {self.mask(base_url)!r}")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else max(DEFAULT_DEADLINE, timeout)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or shared_limiter(RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.stats = ClientStats()
        # Keep Bio.Entrez consistent for any direct use in the same process.
        Entrez.email = email
        Entrez.tool = TOOL
        Entrez.api_key = self._api_key

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> "EntrezClient":
        """A client for the resolved settings (refuses a missing e-mail with a clear message)."""
        return cls(settings.require_email(), settings.api_key, settings.eutils_url, **kwargs)

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    # ------------------------------------------------------------------ secrets
    def mask(self, text: str) -> str:
        """``text`` with the API key (and any ``api_key=`` parameter) replaced by ``***``."""
        if self._api_key:
            text = text.replace(self._api_key, "***")
            text = text.replace(urllib.parse.quote_plus(self._api_key), "***")
        return re.sub(r"(api_key=)[^&\s\"'<>]+", r"\1***", text)

    # ------------------------------------------------------------------ transport
    def _params(self, params: dict[str, Any]) -> bytes:
        full = {k: v for k, v in params.items() if v is not None}
        full.update(tool=TOOL, email=self.email)
        if self._api_key:
            full["api_key"] = self._api_key
        return urllib.parse.urlencode(full, doseq=True).encode("utf-8")

    def _attempt(self, endpoint: str, body: bytes) -> bytes:
        """One HTTP POST within :attr:`deadline`; returns the complete body or raises what went wrong."""
        request = urllib.request.Request(
            self.base_url + endpoint + ".fcgi",
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": f"{TOOL} (Biopython Entrez)"},
        )
        with _Deadline(self.deadline) as deadline:
            opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline))
            try:
                with opener.open(request, timeout=self.timeout) as response:
                    data = response.read()
            except urllib.error.HTTPError:
                raise
            except (OSError, http.client.HTTPException) as exc:
                if deadline.expired:
                    raise DeadlineExceeded from exc
                raise
            if deadline.expired:  # a body without Content-Length ends quietly when the socket is shut
                raise DeadlineExceeded
            return data

    def request(self, endpoint: str, params: dict[str, Any], parse: Callable[[bytes], T], *, what: str = "") -> T:
        """POST ``params`` to ``endpoint`` and return ``parse(body)``, retrying transient failures.

        Retried: HTTP 429 (waiting at least ``Retry-After``) and 500/502/503/504, timeouts,
        refused/dropped connections, incomplete bodies and bodies ``parse`` rejects with
        :class:`BadResponse`.  Other HTTP errors fail at once.  After ``max_attempts``
        the last reason is raised as :class:`EntrezError`; ``what`` names the request in messages.
        """
        body = self._params(params)
        label = what or endpoint
        attempts = self.retry.max_attempts
        last_reason = ""
        last_status: int | None = None
        for attempt in range(1, attempts + 1):
            self.limiter.acquire()
            self.stats.requests += 1
            retry_after: float | None = None
            try:
                data = self._attempt(endpoint, body)
                return parse(data)
            except EntrezError as exc:  # NCBI answered with an error message: asking again won't help
                raise EntrezError(self.mask(f"{label}: {exc}"), endpoint=endpoint, attempts=attempt) from None
            except urllib.error.HTTPError as exc:
                last_status = exc.code
                if exc.code not in RETRYABLE_STATUS:
                    detail = _short_body(exc)
                    raise EntrezError(
                        self.mask(f"{label}: NCBI answered HTTP {exc.code} {exc.reason}{detail}"),
                        endpoint=endpoint,
                        attempts=attempt,
                        status=exc.code,
                    ) from None
                last_reason = f"HTTP {exc.code} {exc.reason}"
                if exc.code == 429:
                    retry_after = parse_retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                    if retry_after is not None and retry_after > self.retry.max_retry_after:
                        raise EntrezError(
                            f"{label}: NCBI asked to wait {retry_after:.0f} s (HTTP 429 Retry-After), "
                            f"longer than the {self.retry.max_retry_after:.0f} s this client waits",
                            endpoint=endpoint,
                            attempts=attempt,
                            status=429,
                        ) from None
                reason_key = f"http_{exc.code}"
            except BadResponse as exc:
                last_reason, last_status, reason_key = f"bad response ({exc})", None, "bad_response"
            except DeadlineExceeded:
                last_reason = f"no complete answer within {self.deadline:g} s (request deadline)"
                last_status, reason_key = None, "timeout"
            except (socket.timeout, TimeoutError):
                last_reason, last_status, reason_key = f"timed out after {self.timeout:g} s", None, "timeout"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                    last_reason, reason_key = f"timed out after {self.timeout:g} s", "timeout"
                else:
                    last_reason, reason_key = f"connection failed ({exc.reason})", "connection"
                last_status = None
            except http.client.IncompleteRead as exc:
                last_reason = f"connection dropped mid-response ({len(exc.partial)} bytes received)"
                last_status, reason_key = None, "incomplete_read"
            except (http.client.HTTPException, ConnectionError, OSError) as exc:
                last_reason, last_status, reason_key = f"connection dropped ({type(exc).__name__})", None, "connection"
            if attempt == attempts:
                break
            delay = self.retry.delay(attempt, self._rng, retry_after)
            self.stats.retried(reason_key)
            self.stats.waited_backoff += delay
            log.warning("%s", self.mask(f"{label}: {last_reason}; retry {attempt}/{attempts - 1} in {delay:.1f} s"))
            self._sleep(delay)
        raise EntrezError(
            self.mask(f"{label}: gave up after {attempts} attempts; last error: {last_reason}"),
            endpoint=endpoint,
            attempts=attempts,
            status=last_status,
        )

    # ------------------------------------------------------------------ E-utilities
    def esearch(
        self,
        term: str,
        *,
        db: str = "pubmed",
        usehistory: bool = True,
        retstart: int = 0,
        retmax: int = 0,
        datetype: str | None = None,
        mindate: str | None = None,
        maxdate: str | None = None,
        what: str = "",
    ) -> SearchResult:
        """Run esearch; with ``usehistory`` the hits stay on NCBI's history server (WebEnv/query_key)."""
        params: dict[str, Any] = {
            "db": db,
            "term": term,
            "retstart": retstart,
            "retmax": retmax,
            "usehistory": "y" if usehistory else None,
        }
        if datetype:
            params.update(datetype=datetype, mindate=mindate, maxdate=maxdate)
        record = self.request("esearch", params, _entrez_read, what=what or "esearch")
        if "ERROR" in record and record["ERROR"]:
            raise EntrezError(self.mask(f"{what or 'esearch'}: NCBI reported: {record['ERROR']}"), endpoint="esearch")
        try:
            count = int(record["Count"])
        except (KeyError, ValueError):
            raise EntrezError(f"{what or 'esearch'}: answer has no Count", endpoint="esearch") from None
        if usehistory and count and not (record.get("WebEnv") and record.get("QueryKey")):
            raise EntrezError(f"{what or 'esearch'}: answer has no WebEnv/QueryKey", endpoint="esearch")
        return SearchResult(
            count=count,
            webenv=str(record.get("WebEnv", "")),
            query_key=str(record.get("QueryKey", "")),
            ids=[str(i) for i in record.get("IdList", [])],
            query_translation=str(record.get("QueryTranslation", "")),
        )

    def epost(self, ids: Iterable[str], *, db: str = "pubmed", webenv: str | None = None, what: str = "") -> SearchResult:
        """Post UIDs to the history server; returns their WebEnv/query_key (count = UIDs posted)."""
        id_list = [str(i) for i in ids]
        if not id_list:
            raise ValueError("epost needs at least one id")
        params = {"db": db, "id": ",".join(id_list), "WebEnv": webenv}
        record = self.request("epost", params, _entrez_read, what=what or "epost")
        if not record.get("WebEnv") or not record.get("QueryKey"):
            raise EntrezError(f"{what or 'epost'}: answer has no WebEnv/QueryKey", endpoint="epost")
        return SearchResult(count=len(id_list), webenv=str(record["WebEnv"]), query_key=str(record["QueryKey"]))

    def efetch(
        self,
        parse: Callable[[bytes], T],
        *,
        db: str = "pubmed",
        ids: Iterable[str] | None = None,
        webenv: str | None = None,
        query_key: str | None = None,
        retstart: int = 0,
        retmax: int | None = None,
        rettype: str = "xml",
        retmode: str = "xml",
        what: str = "",
    ) -> T:
        """Fetch records by id list or from the history server; ``parse`` validates the body.

        ``parse`` must raise :class:`BadResponse` for a truncated or malformed batch so it is refetched.
        """
        params: dict[str, Any] = {"db": db, "rettype": rettype, "retmode": retmode}
        if ids is not None:
            params["id"] = ",".join(str(i) for i in ids)
        else:
            if not (webenv and query_key):
                raise ValueError("efetch needs ids or webenv + query_key")
            params.update(WebEnv=webenv, query_key=query_key, retstart=retstart, retmax=retmax)
        return self.request("efetch", params, parse, what=what or "efetch")


def _entrez_read(body: bytes) -> Any:
    """Parse an esearch/epost answer with Biopython; a broken body is a :class:`BadResponse`.

    NCBI's own ``<ERROR>`` answers become :class:`EntrezError` (not retried: asking again
    gives the same answer).
    """
    try:
        return Entrez.read(io.BytesIO(body))
    except RuntimeError as exc:  # Bio.Entrez raises RuntimeError for <ERROR> elements
        raise EntrezError(f"NCBI reported: {exc}", endpoint="") from None
    except Exception as exc:  # expat errors, CorruptedXMLError, ValidationError, ...
        raise BadResponse(f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _short_body(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except Exception:
        return ""
    text = " ".join(text.split())
    return f": {text[:200]}" if text else ""
