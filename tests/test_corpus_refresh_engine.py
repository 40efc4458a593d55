"""The refresh engine end to end against the replay server: exactly-once, slicing, resume, incremental."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from miner.config import SHARED_DIR
from miner.corpus.document import Document
from miner.corpus.entrez import PUBMED_MAX_RETRIEVABLE, ClientStats, EntrezClient, RateLimiter, RetryPolicy, SearchResult
from miner.corpus.refresh import Refresher, normalize_doi
from miner.corpus.replay import ReplayServer, genia_records, revise_record, synthetic_records
from miner.corpus.store import CorpusStore
from miner.errors import MinerError

pytestmark = pytest.mark.skipif(
    not (SHARED_DIR / "data" / "pubmed-eutils").is_dir(), reason="../shared/data/pubmed-eutils missing"
)
DAY1 = date(2026, 11, 1)


def client_for(srv: ReplayServer, attempts: int = 5) -> EntrezClient:
    return EntrezClient(
        "tester@example.org", None, srv.url, timeout=2.0,
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.005, backoff_cap=0.02),
        limiter=RateLimiter(500), rng=random.Random(7),
    )


def stored_rows(db: Path) -> list[tuple[str, str]]:
    """(doc_id, content_hash) of every row, deleted or not: duplicates or strays would show here."""
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT doc_id, content_hash FROM documents"))


def expected_ids(records) -> set[str]:
    return {f"pmid:{r.pmid}" for r in records}


@pytest.fixture(scope="module")
def genia():
    return genia_records()


def test_full_refresh_with_faults_stores_every_record_exactly_once(tmp_path, genia):
    records = genia[:400]
    with ReplayServer(records) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault("status", "esearch", status=429, retry_after="0")
        srv.add_fault("status", "efetch", status=503, after=1)
        srv.add_fault("cut", "efetch", after=2)
        srv.add_fault("truncate", "efetch", after=3)
        srv.add_fault("short", "efetch", after=4)
        srv.add_fault("malformed", "efetch", after=5)
        srv.add_fault("drop", "efetch", after=6)
        client = client_for(srv)
        summary = Refresher(client, store, batch_size=50, today=DAY1).refresh_term("q", "cancer")
        assert summary.complete and summary.matched == 400 and summary.slices == 1
        assert summary.inserted == 400 and summary.updated == 0
        assert summary.retry_reasons == {
            "http_429": 1, "http_503": 1, "incomplete_read": 1, "bad_response": 2, "short_batch": 1, "connection": 1,
        }
        assert {d for d, _ in stored_rows(tmp_path / "c.sqlite")} == expected_ids(records)
        assert len(stored_rows(tmp_path / "c.sqlite")) == 400
        doc = store.get(f"pmid:{records[0].pmid}")
        assert doc is not None and doc.source == "eutils" and doc.title
        state = store.get_query_state("q")
        assert state["last_success"] == "2026/11/01" and state["cursor"] is None and state["term"] == "cancer"
        # Every offset was asked for and stored once: successful efetches tile 0..400 without overlap
        # (the record the short batch lacked was refetched by id).
        history = [r for r in srv.requests("efetch") if "id" not in r.params]
        ok = [int(r.params["retstart"]) for r in history if r.fault not in ("status", "cut", "drop")]
        assert [len(r.params["id"].split(",")) for r in srv.requests("efetch") if "id" in r.params] == [1]
        assert sorted(set(ok)) == list(range(0, 400, 50))


def test_date_slicing_beyond_the_paging_limit(tmp_path):
    """A 1,200-hit search on a server that pages only 250 (PubMed: 9,999) is split by date until each slice fits."""
    records = synthetic_records(1200, slim=True)
    with ReplayServer(records, paging_limit=250) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        refresher = Refresher(client_for(srv), store, batch_size=100, today=DAY1, max_retrievable=250)
        summary = refresher.refresh_term("big", "cancer")
        assert summary.complete and summary.matched == 1200 and summary.inserted == 1200
        assert {d for d, _ in stored_rows(tmp_path / "c.sqlite")} == expected_ids(records)
        searches = srv.requests("esearch")
        assert searches[0].params.get("datetype") is None  # first the whole query, then pdat halves
        slices = [(r.params["mindate"], r.params["maxdate"]) for r in searches[1:]]
        assert all(r.params["datetype"] == "pdat" for r in searches[1:])
        assert summary.slices >= 1200 // 250
        assert not any(int(r.params.get("retstart", 0)) >= 250 for r in srv.requests("efetch"))
        # The slices that were fetched are disjoint and cover the whole range.
        fetched = sorted({s for s in slices if _count_in(records, s) <= 250 and _is_leaf(s, slices)})
        assert sum(_count_in(records, s) for s in fetched) == 1200


def _count_in(records, bounds) -> int:
    lo, hi = bounds
    return sum(lo <= r.pdat <= hi for r in records)


def _is_leaf(bounds, slices) -> bool:
    lo, hi = bounds
    return not any((a, b) != (lo, hi) and lo <= a and b <= hi for a, b in slices)


class SyntheticCounts:
    """A stand-in client whose esearch counts are synthesized from dated virtual PMIDs.

    It pages like PubMed (nothing past index 9,999 of one search), so the engine's default
    limit is exercised at full scale without parsing 10,000 XML records.
    """

    def __init__(self, days: list[date]) -> None:
        self.days = days
        self.stats = ClientStats()
        self.searches: list[tuple[str | None, str | None, str | None, int]] = []

    def esearch(self, term, *, usehistory, retmax, datetype, mindate, maxdate, what):
        lo = mindate.replace("/", "-") if mindate else "0000"
        hi = maxdate.replace("/", "-") if maxdate else "9999"
        hits = [i for i, d in enumerate(self.days) if lo <= d.isoformat() <= hi]
        self.searches.append((datetype, mindate, maxdate, len(hits)))
        ids = [str(1_000_000 + i) for i in hits[:retmax]]  # esearch lists the PMIDs each batch must hold
        return SearchResult(count=len(hits), webenv="W", query_key=",".join(map(str, hits)), ids=ids)

    def efetch(self, parse, *, webenv, query_key, retstart, retmax, what):
        hits = [int(i) for i in query_key.split(",")][:PUBMED_MAX_RETRIEVABLE]
        return [Document(doc_id=f"pmid:{1_000_000 + i}", pmid=str(1_000_000 + i), title=f"virtual {i}")
                for i in hits[retstart: retstart + retmax]]


def test_slicing_at_the_real_pubmed_limit(tmp_path):
    """10,500 hits with PubMed's real 9,999 limit: split by publication date, nothing lost."""
    days = [date(2000, 1, 1) + timedelta(days=i % 7000) for i in range(10_500)]
    client = SyntheticCounts(days)
    with CorpusStore(tmp_path / "c.sqlite") as store:
        summary = Refresher(client, store, batch_size=5000, today=DAY1).refresh_term("real", "t")  # type: ignore[arg-type]
        assert summary.complete and summary.inserted == 10_500 and store.count() == 10_500
    assert client.searches[0] == (None, None, None, 10_500)
    fetched = [s for s in client.searches[1:] if 0 < s[3] <= PUBMED_MAX_RETRIEVABLE]
    assert sum(s[3] for s in fetched) == 10_500 and summary.slices == len(fetched) == 2
    assert all(s[0] == "pdat" for s in client.searches[1:])


def test_single_day_overflow_is_reported_not_hidden(tmp_path, genia):
    records = synthetic_records(300, first=date(2020, 1, 1), last=date(2020, 1, 1), slim=True)
    with ReplayServer(records, paging_limit=250) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        summary = Refresher(client_for(srv), store, batch_size=100, max_retrievable=250).refresh_term("x", "t")
        assert summary.fetched == 250
        assert any("300 records on one day" in w for w in summary.warnings)


def test_resume_after_network_failure_and_after_kill_matches_an_uninterrupted_run(tmp_path):
    records = synthetic_records(900, slim=True)
    # Reference: one uninterrupted run.
    with ReplayServer(records, paging_limit=250) as srv, CorpusStore(tmp_path / "ref.sqlite") as store:
        Refresher(client_for(srv), store, batch_size=60, today=DAY1, max_retrievable=250).refresh_term("q", "t")
    reference = stored_rows(tmp_path / "ref.sqlite")
    assert len(reference) == 900

    db = tmp_path / "c.sqlite"
    with ReplayServer(records, paging_limit=250) as srv:
        # 1) the network goes down after 6 good batches: bounded retries, clear error, progress kept.
        srv.add_fault("status", "efetch", status=503, after=6, times=10**6)
        with CorpusStore(db) as store:
            refresher = Refresher(client_for(srv, attempts=3), store, batch_size=60, today=DAY1, max_retrievable=250)
            with pytest.raises(MinerError) as info:
                refresher.refresh_term("q", "t")
            message = str(info.value)
            assert "refresh of 'q' stopped at batch" in message and "pdat" in message
            assert "gave up after 3 attempts" in message and "run the same command again to resume" in message
            served = [int(r.params["retmax"]) for r in srv.requests("efetch") if r.fault is None]
            assert len(served) == 6 and store.count() == sum(served)  # the failed 7th batch left nothing
            assert store.get_query_state("q")["cursor"] is not None
        srv.clear_faults()
        # 2) a kill in the middle of a batch's transaction: that batch is rolled back entirely.
        with CorpusStore(db) as store:
            srv.log.clear()
            before = store.count()
            calls = {"n": 0}
            real_upsert = store.upsert

            def dying_upsert(doc):
                calls["n"] += 1
                if calls["n"] == 100:
                    raise KeyboardInterrupt
                return real_upsert(doc)

            store.upsert = dying_upsert  # type: ignore[method-assign]
            refresher = Refresher(client_for(srv), store, batch_size=60, today=DAY1, max_retrievable=250)
            with pytest.raises(KeyboardInterrupt):
                refresher.refresh_term("q", "t")
            # the batches before the one that died are committed; the dying one left nothing
            sizes = [int(r.params["retmax"]) for r in srv.requests("efetch")]  # (+ maybe one prefetched)
            committed = 0
            for size in sizes:
                if committed + size >= 100:
                    break
                committed += size
            assert store.count() == before + committed
        # 3) a plain rerun finishes: same rows as the uninterrupted run, none twice, none missing.
        with CorpusStore(db) as store:
            srv.log.clear()
            summary = Refresher(client_for(srv), store, batch_size=60, today=DAY1, max_retrievable=250).refresh_term(
                "q", "t"
            )
            assert summary.resumed and summary.complete
            assert summary.unchanged == 0  # nothing already stored was fetched again
            assert store.get_query_state("q")["last_success"] == "2026/11/01"
    assert stored_rows(db) == reference


def test_max_stops_early_and_the_next_run_continues(tmp_path, genia):
    records = genia[:300]
    with ReplayServer(records) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        first = Refresher(client_for(srv), store, batch_size=50, max_records=120, today=DAY1).refresh_term("q", "t")
        assert not first.complete and first.fetched == 120 and store.count() == 120
        assert store.get_query_state("q")["last_success"] is None
        srv.log.clear()
        second = Refresher(client_for(srv), store, batch_size=50, today=DAY1).refresh_term("q", "t")
        assert second.complete and second.resumed and second.inserted == 180 and second.unchanged == 0
        assert [int(r.params["retstart"]) for r in srv.requests("efetch")][0] == 120
        assert store.count() == 300


def test_incremental_refresh_asks_only_for_new_dates(tmp_path, genia):
    base = genia[:150]
    with ReplayServer(base) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        first = Refresher(client_for(srv), store, batch_size=100, today=DAY1).refresh_term("q", "t")
        assert first.mode == "full" and first.inserted == 150
        # NCBI gains 20 new records (entered on 2026/11/10) and revises 5 old ones (on 2026/11/12).
        new = synthetic_records(20, first=date(2026, 11, 10), last=date(2026, 11, 10), base=genia[150:200])
        revised = [revise_record(r, "2026/11/12", f"Revised title {i}") for i, r in enumerate(base[:5])]
        srv.add_records(new + revised)
        srv.log.clear()
        second = Refresher(client_for(srv), store, batch_size=100, today=date(2026, 11, 20)).refresh_term("q", "t")
        assert second.mode == "incremental" and second.since == "2026/11/01" and second.complete
        # the revised pass excludes records entered in the window, so nothing is fetched twice
        assert (second.inserted, second.updated, second.unchanged, second.fetched) == (20, 5, 0, 25)
        searches = srv.requests("esearch")
        assert [(r.params["datetype"], r.params["mindate"], r.params["maxdate"]) for r in searches] == [
            ("edat", "2026/11/01", "2026/11/20"),
            ("mdat", "2026/11/01", "2026/11/20"),
        ]
        assert searches[0].params["term"] == "t"
        assert searches[1].params["term"] == '(t) NOT ("2026/11/01"[EDAT] : "2026/11/20"[EDAT])'

        assert store.get(f"pmid:{base[0].pmid}").title == "Revised title 0"
        assert store.count() == 170
        assert store.get_query_state("q")["last_success"] == "2026/11/20"


def test_changed_term_means_full_refresh_and_since_overrides(tmp_path, genia):
    with ReplayServer(genia[:50]) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        Refresher(client_for(srv), store, today=DAY1).refresh_term("q", "old term")
        srv.log.clear()
        changed = Refresher(client_for(srv), store, today=DAY1).refresh_term("q", "new term")
        assert changed.mode == "full" and any("term changed" in w for w in changed.warnings)
        srv.log.clear()
        since = Refresher(client_for(srv), store, today=DAY1).refresh_term("q", "new term", since=date(2020, 5, 1))
        assert since.mode == "incremental" and since.since == "2020/05/01"
        assert {r.params["mindate"] for r in srv.requests("esearch")} == {"2020/05/01"}


def test_pmid_list_uses_epost_and_reports_unknown_ids(tmp_path, genia):
    wanted = [r.pmid for r in genia[:130]] + ["99999999", "88888888"]
    with ReplayServer(genia[:200]) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault("truncate", "efetch", after=1)
        summary = Refresher(client_for(srv), store, batch_size=50).fetch_pmids(wanted)
        assert summary.complete and summary.inserted == 130 and store.count() == 130
        assert summary.not_found == ["99999999", "88888888"]
        assert len(srv.requests("epost")) == 3
        assert all("WebEnv" in r.params for r in srv.requests("efetch") if "id" not in r.params)


def test_pmid_list_resumes_after_failure(tmp_path, genia):
    wanted = [r.pmid for r in genia[:200]]
    with ReplayServer(genia[:200]) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault("status", "epost", status=502, after=2, times=100)
        with pytest.raises(MinerError, match=r"stopped at PMID batch 3/4.*resume"):
            Refresher(client_for(srv, attempts=2), store, batch_size=50).fetch_pmids(wanted)
        assert store.count() == 100
        srv.clear_faults()
        srv.log.clear()
        summary = Refresher(client_for(srv), store, batch_size=50).fetch_pmids(wanted)
        assert summary.resumed and summary.inserted == 100 and summary.unchanged == 0
        assert store.count() == 200 and len(srv.requests("epost")) == 2


def test_doi_lookup_fetches_the_records_and_maps_dois(tmp_path, genia):
    with_doi = [r for r in genia if r.doi][:70]
    dois = [r.doi.upper() for r in with_doi] + ["10.9999/does-not-exist", "https://doi.org/10.9999/nope"]
    with ReplayServer(genia[:]) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        summary, mapping = Refresher(client_for(srv), store, batch_size=500).fetch_dois(dois)
        assert summary.complete and summary.inserted == 70 and store.count() == 70
        assert summary.not_found == ["10.9999/does-not-exist", "10.9999/nope"]
        assert mapping[normalize_doi(with_doi[0].doi)] == [with_doi[0].pmid]
        searches = srv.requests("esearch")
        assert len(searches) == 2  # 72 DOIs in chunks of 50
        assert f'"{normalize_doi(with_doi[0].doi)}"[doi]' in searches[0].params["term"]
