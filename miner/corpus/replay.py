"""A local E-utilities replay server that injects faults, for offline tests and benchmarks.

It serves real PubMed records (the 1,999 GENIA efetch records from
``../shared/data/pubmed-eutils``, optionally cloned under new PMIDs to build
result sets larger than PubMed's 9,999-record paging limit) through enough of
esearch (history server, WebEnv/query_key, retstart/retmax, Count, date
filters on pdat/edat/mdat, ``"..."[doi]`` terms), efetch (by history or id
list) and epost to drive :mod:`miner.corpus.refresh` end to end.  Faults are
queued on demand: HTTP 429 with ``Retry-After``, 5xx, answers slower than the
client's timeout or trickled a byte at a time, connections cut mid-body or
dropped, truncated or malformed XML, NCBI's HTTP-200 ``<ERROR>`` answers, and
efetch batches that are empty, miss records or repeat one, or histories that
serve fewer records than esearch counted.  Every request is logged with its
arrival time so tests can check pacing.  Binds 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import re
import socket
import tarfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable

from miner.config import SHARED_DIR

EUTILS_DIR = SHARED_DIR / "data" / "pubmed-eutils"
GENIA_TARBALL = EUTILS_DIR / "genia-efetch" / "genia_pubmed_metadata.tar.gz"
RECORDED_DIR = EUTILS_DIR / "biopython-entrez"
#: PubMed cannot page past this index of one search (esearch and efetch alike).
PAGING_LIMIT = 9999

_EFETCH_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st June 2018//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_180601.dtd">\n<PubmedArticleSet>\n'
)
_EFETCH_TAIL = b"</PubmedArticleSet>\n"
#: NCBI's answer to an efetch from an expired or unknown history (WebEnv): HTTP 200, no records.
_EFETCH_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD eefetch 20131226//EN" '
    b'"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n<eFetchResult>\n'
    b"\t<ERROR>Cannot retrieve history data. query_key: 1, WebEnv: MCID_expired, retstart: 0, retmax: 500</ERROR>\n"
    b"\t<ERROR>Can't fetch uids from history because of: NCBI C++ Exception: Error: History: Cannot find session"
    b"</ERROR>\n</eFetchResult>\n"
)
_ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_EPOST_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ePostResult PUBLIC "-//NLM//DTD epost 20090526//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">'
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def busiest_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most request timestamps inside any half-open window ``[t, t + window)``: pacing checks."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


@dataclass
class Record:
    """One served PubMed record: its PubmedArticle XML and the dates esearch filters on."""

    pmid: str
    xml: bytes
    doi: str = ""
    pdat: str = ""  # YYYY/MM/DD
    edat: str = ""
    mdat: str = ""


def _ymd(block: bytes | None) -> str:
    if not block:
        return ""
    year = re.search(rb"<Year>(\d{4})</Year>", block)
    if not year:
        medline = re.search(rb"<MedlineDate>(\d{4})", block)
        return f"{medline.group(1).decode()}/01/01" if medline else ""
    month_m = re.search(rb"<Month>([^<]+)</Month>", block)
    day_m = re.search(rb"<Day>(\d+)</Day>", block)
    month = 1
    if month_m:
        raw = month_m.group(1).decode().strip().lower()
        month = int(raw) if raw.isdigit() else _MONTHS.get(raw[:3], 1)
    day = int(day_m.group(1)) if day_m else 1
    return f"{year.group(1).decode()}/{month:02d}/{day:02d}"


def record_from_article(xml: bytes) -> Record:
    """Index one ``<PubmedArticle>`` element by PMID, DOI and publication/entrez/revision dates."""
    pmid = re.search(rb"<PMID[^>]*>(\d+)</PMID>", xml)
    if not pmid:
        raise ValueError("PubmedArticle without PMID")
    doi = re.search(rb'<ArticleId IdType="doi">([^<]+)</ArticleId>', xml)
    pub = re.search(rb"<PubDate>(.*?)</PubDate>", xml, re.S)
    entrez = re.search(rb'<PubMedPubDate PubStatus="entrez">(.*?)</PubMedPubDate>', xml, re.S)
    revised = re.search(rb"<DateRevised>(.*?)</DateRevised>", xml, re.S)
    pdat = _ymd(pub.group(1) if pub else None)
    edat = _ymd(entrez.group(1) if entrez else None) or pdat
    return Record(
        pmid=pmid.group(1).decode().lstrip("0"),
        xml=xml,
        doi=doi.group(1).decode().strip() if doi else "",
        pdat=pdat,
        edat=edat,
        mdat=_ymd(revised.group(1) if revised else None) or edat,
    )


@functools.lru_cache(maxsize=2)
def _load_genia(path: str) -> tuple[Record, ...]:
    records = []
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            for article in re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.S):
                records.append(record_from_article(article))
    return tuple(records)


def genia_records(path: Path = GENIA_TARBALL) -> list[Record]:
    """The 1,999 real GENIA efetch records (cached per process)."""
    return list(_load_genia(str(path)))


_HEAVY = (b"ReferenceList", b"MeshHeadingList", b"ChemicalList", b"AuthorList", b"CommentsCorrectionsList",
          b"History", b"KeywordList", b"GrantList")


def slim_xml(xml: bytes) -> bytes:
    """A PubmedArticle without its long lists (references, MeSH, authors...): same shape, cheaper to parse."""
    for tag in _HEAVY:
        xml = re.sub(rb"<%s\b.*?</%s>" % (tag, tag), b"", xml, flags=re.S)
    return xml


def clone_record(record: Record, pmid: str, day: str, slim: bool = False) -> Record:
    """``record`` re-issued under a new PMID (and DOI), entered and published on ``day``."""
    xml = re.sub(rb"(<PMID[^>]*>)\d+(</PMID>)", rb"\g<1>" + pmid.encode() + rb"\g<2>", record.xml, count=1)
    xml = re.sub(
        rb'(<ArticleId IdType="pubmed">)\d+(</ArticleId>)', rb"\g<1>" + pmid.encode() + rb"\g<2>", xml, count=1
    )
    doi = ""
    if record.doi:
        doi = f"{record.doi}.clone{pmid}"
        xml = xml.replace(record.doi.encode(), doi.encode())
    if slim:
        xml = slim_xml(xml)
    return Record(pmid=pmid, xml=xml, doi=doi, pdat=day, edat=day, mdat=day)


def synthetic_records(n: int, *, start_pmid: int = 90_000_000, first: date = date(2000, 1, 1),
                      last: date = date(2019, 12, 31), base: list[Record] | None = None,
                      slim: bool = False) -> list[Record]:
    """``n`` real records cloned under new PMIDs, their dates spread evenly from ``first`` to ``last``.

    ``slim`` drops the long lists (see :func:`slim_xml`) so large sets stay quick to fetch in tests.
    """
    base = base or genia_records()
    span = (last - first).days
    out = []
    for i in range(n):
        day = first + timedelta(days=(span * i) // max(n - 1, 1))
        out.append(clone_record(base[i % len(base)], str(start_pmid + i), day.strftime("%Y/%m/%d"), slim))
    return out


def revise_record(record: Record, day: str, new_title: str) -> Record:
    """``record`` as NCBI would serve it after a revision on ``day`` (new title, new mdat)."""
    xml = re.sub(rb"<ArticleTitle>.*?</ArticleTitle>", b"<ArticleTitle>" + new_title.encode() + b"</ArticleTitle>",
                 record.xml, count=1, flags=re.S)
    return replace(record, xml=xml, mdat=day)


@dataclass
class Fault:
    """One injected fault: applies to the ``times`` matching requests after skipping ``after`` of them.

    kinds: ``status`` (HTTP ``status``, with ``retry_after`` for 429), ``slow`` (answer after
    ``delay`` s), ``trickle`` (the answer one byte every ``delay`` s), ``cut`` (connection
    closed mid-body), ``drop`` (closed before any answer), ``truncate`` (half the XML, valid
    HTTP), ``malformed`` (an HTML error page with 200), ``error_body`` (NCBI's HTTP-200
    ``<eFetchResult><ERROR>`` answer for an expired history), ``short`` (efetch answer missing
    its last ``n`` records), ``empty`` (a well-formed efetch answer without records),
    ``duplicate`` (efetch answer whose last record is replaced by a copy of its first: same
    count, one record missing), ``overcount`` (esearch counts and lists ``n`` more hits than
    its history serves).  ``only`` restricts an efetch fault to fetches by ``"history"`` or
    by ``"ids"``.
    """

    kind: str
    endpoint: str | None = None
    times: int = 1
    after: int = 0
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    n: int = 1
    only: str | None = None
    seen: int = 0
    fired: int = 0


@dataclass
class LoggedRequest:
    """One request as the server received it."""

    t: float  # the server's clock at arrival (time.monotonic() unless a test injects its own)
    endpoint: str
    method: str
    params: dict[str, str]
    fault: str | None = None


@dataclass
class _Store:
    records: dict[str, Record] = field(default_factory=dict)
    #: term -> PMIDs it matches (terms not registered match every record).
    queries: dict[str, set[str]] = field(default_factory=dict)
    history: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _date_bound(value: str, upper: bool) -> str:
    parts = [p for p in re.split(r"[/-]", value.strip()) if p]
    if not parts or not parts[0].isdigit():
        raise ValueError(f"bad date {value!r}")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else (12 if upper else 1)
    day = int(parts[2]) if len(parts) > 2 else (31 if upper else 1)
    return f"{year:04d}/{month:02d}/{day:02d}"


class ReplayServer:
    """The fault-injecting E-utilities server (use as a context manager or start()/stop()).

    ``clock`` stamps each logged request's arrival.  A pacing test can pass the same fake
    clock its client's limiter sleeps on, so arrival times depend on the pacing alone and
    not on how promptly a loaded machine schedules the client and server threads.
    """

    def __init__(
        self,
        records: Iterable[Record] = (),
        *,
        paging_limit: int = PAGING_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: PubMed's 9,999; tests may lower it to exercise date slicing on small record sets.
        self.paging_limit = paging_limit
        self.clock = clock
        self._data = _Store()
        self.add_records(records)
        self._faults: list[Fault] = []
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ setup
    def add_records(self, records: Iterable[Record]) -> None:
        """Serve these records (a record with a known PMID replaces the old one, like a revision)."""
        for record in records:
            self._data.records[record.pmid] = record

    def set_query(self, term: str, pmids: Iterable[str]) -> None:
        """Make ``term`` match exactly ``pmids`` (unregistered terms match every record)."""
        self._data.queries[term] = {str(p) for p in pmids}

    def add_fault(self, kind: str, endpoint: str | None = None, **kwargs: object) -> Fault:
        fault = Fault(kind=kind, endpoint=endpoint, **kwargs)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/entrez/eutils/"

    def requests(self, endpoint: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if endpoint is None or r.endpoint == endpoint]

    def start(self) -> "ReplayServer":
        server = self

        class Handler(_Handler):
            replay = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="eutils-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ behaviour
    def _take_fault(self, endpoint: str, params: dict[str, str]) -> Fault | None:
        by = "ids" if "id" in params else "history"
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in (None, endpoint) or fault.fired >= fault.times:
                    continue
                if fault.only is not None and (endpoint != "efetch" or fault.only != by):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                return fault
        return None

    def _match(self, params: dict[str, str]) -> list[str]:
        term = params.get("term", "")
        # PubMed's entry-date range exclusion: (term) NOT ("a"[EDAT] : "b"[EDAT])
        excluded = re.fullmatch(r'\((.*)\) NOT \("([\d/]+)"\[EDAT\] : "([\d/]+)"\[EDAT\]\)', term, flags=re.S)
        if excluded:
            inner = dict(params, term=excluded.group(1))
            low, high = _date_bound(excluded.group(2), False), _date_bound(excluded.group(3), True)
            return [p for p in self._match(inner) if not low <= self._data.records[p].edat <= high]
        dois = re.findall(r'"([^"]+)"\s*\[doi\]', term, flags=re.I)
        if dois:
            wanted = {d.lower() for d in dois}
            pmids = [p for p, r in self._data.records.items() if r.doi.lower() in wanted]
        elif term in self._data.queries:
            pmids = [p for p in self._data.queries[term] if p in self._data.records]
        else:
            pmids = list(self._data.records)
        datetype = params.get("datetype")
        if datetype:
            if datetype not in ("pdat", "edat", "mdat"):
                raise ValueError(f"unsupported datetype {datetype}")
            low = _date_bound(params.get("mindate", "1000"), upper=False)
            high = _date_bound(params.get("maxdate", "3000"), upper=True)
            pmids = [p for p in pmids if low <= getattr(self._data.records[p], datetype) <= high]
        return sorted(pmids, key=int, reverse=True)

    def _new_history(self, webenv: str | None, pmids: list[str]) -> tuple[str, str]:
        with self._lock:
            if not webenv or webenv not in self._data.history:
                webenv = "MCID_" + uuid.uuid4().hex[:24]
                self._data.history[webenv] = {}
            keys = self._data.history[webenv]
            query_key = str(len(keys) + 1)
            keys[query_key] = pmids
        return webenv, query_key

    def esearch(self, params: dict[str, str], overcount: int = 0) -> tuple[int, bytes]:
        """esearch; ``overcount`` hits are counted and listed but left out of the history (a fault)."""
        pmids = self._match(params)
        retstart = int(params.get("retstart", 0) or 0)
        retmax = int(params.get("retmax", 20) or 0)
        limit = self.paging_limit
        if retstart > limit - 1:
            return 200, _esearch_error(
                f"Search Backend failed: Exception:\n'retstart' cannot be larger than {limit - 1}. For PubMed, "
                f"ESearch can only retrieve the first {limit:,} records matching the query."
            )
        history = ""
        if params.get("usehistory", "").lower() == "y":
            webenv, key = self._new_history(params.get("WebEnv"), pmids[: len(pmids) - overcount])
            history = f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        shown = pmids[retstart: retstart + min(retmax, limit - retstart)]
        ids = "".join(f"<Id>{p}</Id>\n" for p in shown)
        body = (
            f"{_ESEARCH_HEAD}<eSearchResult><Count>{len(pmids)}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{history}<IdList>\n{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{_xml_escape(params.get('term', ''))}</QueryTranslation></eSearchResult>\n"
        )
        return 200, body.encode()

    def epost(self, params: dict[str, str]) -> tuple[int, bytes]:
        ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
        if not ids or not all(i.isdigit() for i in ids):
            return 200, (RECORDED_DIR / "epost3.xml").read_bytes()  # NCBI's real "Empty ID list" answer
        webenv, key = self._new_history(params.get("WebEnv"), [i.lstrip("0") for i in ids])
        body = f"{_EPOST_HEAD}<ePostResult>\n\t<QueryKey>{key}</QueryKey>\n\t<WebEnv>{webenv}</WebEnv>\n</ePostResult>\n"
        return 200, body.encode()

    def efetch(self, params: dict[str, str]) -> tuple[int, bytes]:
        if "id" in params:
            pmids = [i.strip().lstrip("0") for i in params["id"].split(",") if i.strip()]
        else:
            webenv, key = params.get("WebEnv", ""), params.get("query_key", "")
            pmids_all = self._data.history.get(webenv, {}).get(key)
            if pmids_all is None:
                return 400, b'{"error":"Unable to obtain query #' + key.encode() + b'","api-key":""}'
            retstart = int(params.get("retstart", 0) or 0)
            retmax = int(params.get("retmax", 20) or 20)
            end = min(retstart + retmax, self.paging_limit, len(pmids_all))
            pmids = pmids_all[retstart:end]
        articles = [self._data.records[p].xml for p in pmids if p in self._data.records]
        return 200, _EFETCH_HEAD + b"\n".join(articles) + b"\n" + _EFETCH_TAIL


def _damage_batch(body: bytes, fault: Fault) -> bytes:
    """An efetch answer that is well-formed but not the batch asked for (``short``/``empty``/``duplicate``)."""
    articles = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", body, re.S)
    if fault.kind == "short":
        articles = articles[: max(0, len(articles) - fault.n)]
    elif fault.kind == "empty":
        articles = []
    elif len(articles) > 1:  # duplicate: same count, the last record replaced by the first
        articles = articles[:-1] + [articles[0]]
    return _EFETCH_HEAD + b"\n".join(articles) + b"\n" + _EFETCH_TAIL


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esearch_error(message: str) -> bytes:
    return (f"{_ESEARCH_HEAD}<eSearchResult><ERROR>{_xml_escape(message)}</ERROR></eSearchResult>\n").encode()


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._serve(urllib.parse.urlparse(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        self._serve(self.rfile.read(length).decode("utf-8"))

    def _serve(self, query: str) -> None:
        arrived = self.replay.clock()
        endpoint = urllib.parse.urlparse(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        replay = self.replay
        fault = replay._take_fault(endpoint, params)
        with replay._lock:
            replay.log.append(LoggedRequest(arrived, endpoint, self.command, params, fault.kind if fault else None))
        try:
            if fault and fault.kind == "status":
                # NCBI's JSON error bodies echo the API key: clients must never print them unmasked.
                reason = b"API rate limit exceeded" if fault.status == 429 else b"Service error"
                body = b'{"error":"' + reason + b'","api-key":"' + params.get("api_key", "").encode() + b'"}'
                self._send(fault.status, body, retry_after=fault.retry_after)
                return
            if fault and fault.kind == "drop":
                self._abort()
                return
            if fault and fault.kind == "slow":
                time.sleep(fault.delay)
            handler = {"esearch": replay.esearch, "efetch": replay.efetch, "epost": replay.epost}.get(endpoint)
            if handler is None:
                self._send(404, b"unknown E-utility")
                return
            try:
                if fault and fault.kind == "overcount" and endpoint == "esearch":
                    status, body = replay.esearch(params, overcount=fault.n)
                else:
                    status, body = handler(params)
            except (ValueError, KeyError) as exc:
                self._send(400, f"bad request: {exc}".encode())
                return
            if fault and fault.kind in ("short", "empty", "duplicate") and b"</PubmedArticle>" in body:
                body = _damage_batch(body, fault)
            if fault and fault.kind == "error_body":
                body = _EFETCH_ERROR
            if fault and fault.kind == "truncate":
                body = body[: max(1, len(body) // 2)]
            if fault and fault.kind == "malformed":
                body = b"<html><head><title>502 Proxy Error</title></head><body>Proxy Error</body>"
            if fault and fault.kind == "cut":
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self._abort()
                return
            if fault and fault.kind == "trickle":
                self._trickle(status, body, fault.delay)
                return
            self._send(status, body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the client gave up (e.g. a 'slow' fault beyond its timeout)

    def _send(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, status: int, body: bytes, delay: float) -> None:
        """Headers at once, then the body one byte every ``delay`` s (until the client hangs up)."""
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            time.sleep(delay)

    def _abort(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
