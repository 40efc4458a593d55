"""E-utilities client: pacing, retries, secrets (offline, against the replay server)."""

from __future__ import annotations

import logging
import random

import pytest

from miner.config import SHARED_DIR
from miner.corpus.entrez import (
    RATE_WITH_KEY,
    RATE_WITHOUT_KEY,
    BadResponse,
    EntrezClient,
    EntrezError,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
    shared_limiter,
)
from miner.corpus.replay import ReplayServer, busiest_window, genia_records
from miner.errors import MinerError

pytestmark = pytest.mark.skipif(
    not (SHARED_DIR / "data" / "pubmed-eutils").is_dir(), reason="../shared/data/pubmed-eutils missing"
)
KEY = "sEcReT-ApI-kEy-0123456789"


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def server():
    with ReplayServer(genia_records()[:300]) as srv:
        yield srv


@pytest.fixture
def srv(server):
    server.clear_faults()
    server.log.clear()
    return server


def fast_client(url: str, api_key: str | None = None, attempts: int = 6, timeout: float = 2.0) -> EntrezClient:
    return EntrezClient(
        "tester@example.org", api_key, url, timeout=timeout,
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01, backoff_cap=0.05),
        limiter=RateLimiter(200), rng=random.Random(1),
    )


def count_articles(body: bytes) -> int:
    if not body.rstrip().endswith(b"</PubmedArticleSet>"):
        raise BadResponse("truncated")
    return body.count(b"</PubmedArticle>")


# ------------------------------------------------------------------ limiter (fake clock)


@pytest.mark.parametrize("rate", [RATE_WITHOUT_KEY, RATE_WITH_KEY])
def test_production_rates_never_exceed_ncbi_limit_and_stay_above_90_percent(rate):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock.monotonic, sleep=clock.sleep)
    starts = []
    for _ in range(200):
        limiter.acquire()
        starts.append(clock.now)
    assert busiest_window(starts) <= rate
    sustained = (len(starts) - 1) / (starts[-1] - starts[0])
    assert 0.9 * rate <= sustained <= rate


def test_limiter_spaces_requests_instead_of_bursting():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock.monotonic, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        limiter.acquire()
        starts.append(clock.now)
    assert starts[1] - starts[0] == pytest.approx(1 / 3)
    assert starts[2] - starts[1] == pytest.approx(1 / 3)


def test_client_picks_the_shared_limiter_for_its_key():
    without = EntrezClient("a@example.org", None, "http://127.0.0.1:9/")
    other = EntrezClient("b@example.org", None, "http://127.0.0.1:9/")
    with_key = EntrezClient("a@example.org", KEY, "http://127.0.0.1:9/")
    assert without.limiter is other.limiter is shared_limiter(RATE_WITHOUT_KEY)
    assert without.limiter.rate == 3 and with_key.limiter.rate == 10


def test_retry_policy_backoff_is_exponential_jittered_and_honours_retry_after():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=60.0)
    rng = random.Random(0)
    delays = [policy.delay(n, rng) for n in range(1, 9)]
    for n, d in enumerate(delays, 1):
        full = min(60.0, 2 ** (n - 1))
        assert 0.5 * full <= d <= full
    assert policy.delay(1, rng, retry_after=7.0) == 7.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None


# ------------------------------------------------------------------ configuration and secrets


@pytest.mark.parametrize("email", [None, "", "not-an-address"])
def test_missing_email_is_refused(email):
    with pytest.raises(MinerError, match="NCBI_EMAIL"):
        EntrezClient(email, None, "http://127.0.0.1:9/")


def test_bad_base_url_is_refused_without_leaking_the_key():
    with pytest.raises(MinerError) as info:
        EntrezClient("a@example.org", KEY, f"ftp://mirror/?api_key={KEY}")
    assert KEY not in str(info.value)


def test_requests_carry_tool_email_and_key_in_the_body_only(srv):
    client = fast_client(srv.url, api_key=KEY)
    result = client.esearch("cancer", retmax=5)
    assert result.count == 300 and len(result.ids) == 5 and result.webenv and result.query_key == "1"
    logged = srv.requests("esearch")[-1]
    assert logged.method == "POST"
    assert logged.params["tool"] == "miner" and logged.params["email"] == "tester@example.org"
    assert logged.params["api_key"] == KEY and logged.params["usehistory"] == "y"


def test_key_never_appears_in_errors_or_logs(srv, caplog):
    client = fast_client(srv.url, api_key=KEY, attempts=3)
    srv.add_fault("status", "esearch", status=429, retry_after="0", times=3)  # body echoes the key, like NCBI
    with caplog.at_level(logging.DEBUG), pytest.raises(EntrezError) as info:
        client.esearch("cancer")
    assert "gave up after 3 attempts" in str(info.value) and "429" in str(info.value)
    assert KEY not in str(info.value) and KEY not in caplog.text
    assert "retry 1/2" in caplog.text
    srv.add_fault("status", "esearch", status=400)
    with pytest.raises(EntrezError) as info:
        client.esearch("cancer")
    assert "HTTP 400" in str(info.value) and KEY not in str(info.value)
    assert client.mask(f"https://x/esearch.fcgi?db=pubmed&api_key={KEY}&term=a") == (
        "https://x/esearch.fcgi?db=pubmed&api_key=***&term=a"
    )


# ------------------------------------------------------------------ retries against injected faults


@pytest.mark.parametrize(
    "kind, extra, reason",
    [
        ("status", {"status": 500}, "http_500"),
        ("status", {"status": 502}, "http_502"),
        ("status", {"status": 503}, "http_503"),
        ("status", {"status": 504}, "http_504"),
        ("status", {"status": 429, "retry_after": "0"}, "http_429"),
        ("cut", {}, "incomplete_read"),
        ("drop", {}, "connection"),
        ("truncate", {}, "bad_response"),
        ("malformed", {}, "bad_response"),
        ("slow", {"delay": 0.6}, "timeout"),
    ],
)
def test_each_transient_fault_is_retried_and_the_batch_arrives_whole(srv, kind, extra, reason):
    client = fast_client(srv.url, timeout=0.3)
    search = client.esearch("cancer")
    srv.add_fault(kind, "efetch", times=2, **extra)
    got = client.efetch(count_articles, webenv=search.webenv, query_key=search.query_key, retstart=0, retmax=40)
    assert got == 40
    assert client.stats.by_reason == {reason: 2}
    assert [r.fault for r in srv.requests("efetch")] == [kind, kind, None]


def test_retry_after_is_honoured(srv):
    waits: list[float] = []
    client = fast_client(srv.url)
    client._sleep = waits.append  # record the backoff instead of sleeping
    srv.add_fault("status", "esearch", status=429, retry_after="3")
    assert client.esearch("cancer").count == 300
    assert waits == [3.0]


def test_bounded_attempts_then_clear_error(srv):
    client = fast_client(srv.url, attempts=4)
    srv.add_fault("status", "epost", status=503, times=10)
    with pytest.raises(EntrezError, match=r"PMID batch 2 \(epost\): gave up after 4 attempts; last error: HTTP 503"):
        client.epost(["8875942"], what="PMID batch 2 (epost)")
    assert len(srv.requests("epost")) == 4


def test_ncbi_error_answers_are_not_retried(srv):
    client = fast_client(srv.url)
    with pytest.raises(EntrezError, match="Empty ID list"):
        client.epost(["abc"])  # the server answers with NCBI's recorded epost error
    assert len(srv.requests("epost")) == 1


def test_epost_then_efetch_by_history(srv):
    client = fast_client(srv.url)
    pmids = [r.pmid for r in genia_records()[:7]]
    posted = client.epost(pmids)
    assert posted.count == 7 and posted.webenv.startswith("MCID_")
    assert client.efetch(count_articles, webenv=posted.webenv, query_key=posted.query_key, retmax=500) == 7
    assert client.efetch(count_articles, ids=pmids[:3]) == 3


def test_server_side_pacing_at_the_real_default_rate(srv):
    """Real 3 requests/s (a fresh limiter with the production settings): arrivals never exceed it."""
    client = EntrezClient("tester@example.org", None, srv.url, limiter=RateLimiter(RATE_WITHOUT_KEY))
    for _ in range(7):
        client.esearch("cancer")
    arrivals = [r.t for r in srv.requests("esearch")]
    assert len(arrivals) == 7
    assert busiest_window(arrivals) <= RATE_WITHOUT_KEY
    assert arrivals[-1] - arrivals[0] < 2.6  # ~6 intervals of 1/3 s (+5% margin): not much slower either


def test_retries_go_through_the_limiter_too():
    # One fake clock drives the limiter, the retry backoff and the server's arrival stamps: time moves
    # only when the client waits, so the arrivals show the pacing exactly, however loaded the machine.
    # A retry that skipped the limiter would arrive after only its backoff (0.01-0.05 s), putting
    # all 13 attempts inside one second.
    clock = FakeClock()
    with ReplayServer(genia_records()[:20], clock=clock.monotonic) as server:
        client = EntrezClient(
            "tester@example.org", None, server.url, timeout=2.0,
            retry=RetryPolicy(max_attempts=13, backoff_base=0.01, backoff_cap=0.05),
            limiter=RateLimiter(RATE_WITH_KEY, clock=clock.monotonic, sleep=clock.sleep),
            sleep=clock.sleep, rng=random.Random(1),
        )
        server.add_fault("status", "esearch", status=503, times=12)
        client.esearch("cancer")
        arrivals = [r.t for r in server.requests("esearch")]
    assert len(arrivals) == 13 and client.stats.retries == 12
    assert busiest_window(arrivals) <= RATE_WITH_KEY
    assert arrivals[-1] - arrivals[0] < 1.5  # paced at the limit, not held back much beyond it
