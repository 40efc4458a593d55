"""Refresh against the replay server's faults: every scenario ends with 0 records lost and 0 duplicated.

Each efetch batch is checked for the exact set of PMIDs asked for; missing ones are refetched by
id, and any still missing are recorded as gaps (the query stays incomplete and the next run
fetches them).  NCBI's HTTP-200 error bodies are errors, and a reply trickled byte by byte
cannot outlast the per-request deadline.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from miner.config import SHARED_DIR
from miner.corpus.entrez import EntrezClient, RateLimiter, RetryPolicy
from miner.corpus.refresh import Refresher
from miner.corpus.replay import ReplayServer, genia_records
from miner.corpus.store import CorpusStore
from miner.errors import MinerError

pytestmark = pytest.mark.skipif(
    not (SHARED_DIR / "data" / "pubmed-eutils").is_dir(), reason="../shared/data/pubmed-eutils missing"
)
DAY1 = date(2026, 11, 1)
MANY = 10**6


def client_for(srv: ReplayServer, attempts: int = 4, timeout: float = 2.0,
               deadline: float | None = None) -> EntrezClient:
    return EntrezClient(
        "tester@example.org", None, srv.url, timeout=timeout, deadline=deadline,
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.005, backoff_cap=0.02),
        limiter=RateLimiter(500), rng=random.Random(7),
    )


def doc_ids(db: Path) -> list[str]:
    """Every stored row's doc_id (deleted or not): a duplicate or a stray would show here."""
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT doc_id FROM documents"))


def lost_and_duplicated(db: Path, records) -> tuple[int, int]:
    ids = doc_ids(db)
    wanted = {f"pmid:{r.pmid}" for r in records}
    return len(wanted - set(ids)), len(ids) - len(set(ids)) + len(set(ids) - wanted)


@pytest.fixture(scope="module")
def genia():
    return genia_records()


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("error_body", {"times": 1, "after": 1}),  # one expired-WebEnv answer: retried
        ("short", {"only": "history", "times": 3, "after": 1}),  # a batch lacking one record, every try
        ("empty", {"only": "history", "times": 3, "after": 2}),  # a batch that stays empty
        ("duplicate", {"only": "history", "times": 1, "after": 1}),  # one record missing, another twice
        ("overcount", {"endpoint": "esearch", "n": 7}),  # Count above what the history serves
    ],
)
def test_damaged_batches_lose_nothing(tmp_path, genia, kind, extra):
    records = genia[:300]
    extra = dict(extra)
    endpoint = extra.pop("endpoint", "efetch")
    with ReplayServer(records) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault(kind, endpoint, **extra)
        summary = Refresher(client_for(srv), store, batch_size=50, today=DAY1).refresh_term("q", "cancer")
        assert summary.complete and summary.matched == 300
        assert (summary.inserted, summary.unchanged, summary.gaps) == (300, 0, [])
        assert store.get_query_state("q")["last_success"] == "2026/11/01"
    assert lost_and_duplicated(tmp_path / "c.sqlite", records) == (0, 0)


def test_expired_history_is_an_error_not_an_empty_batch_and_the_rerun_finishes(tmp_path, genia):
    """NCBI's HTTP-200 <eFetchResult><ERROR> for every batch after the first: a clear failure, progress saved."""
    records = genia[:300]
    db = tmp_path / "c.sqlite"
    with ReplayServer(records) as srv:
        srv.add_fault("error_body", "efetch", times=MANY, after=1)
        with CorpusStore(db) as store:
            with pytest.raises(MinerError) as info:
                Refresher(client_for(srv, attempts=3), store, batch_size=100, today=DAY1).refresh_term("q", "cancer")
            message = str(info.value)
            assert "stopped at batch 101-200" in message and "Cannot retrieve history data" in message
            assert "run the same command again to resume" in message
            assert store.count() == 100
            state = store.get_query_state("q")
            assert state["last_success"] is None and state["cursor"] is not None
        srv.clear_faults()
        with CorpusStore(db) as store:
            summary = Refresher(client_for(srv), store, batch_size=100, today=DAY1).refresh_term("q", "cancer")
            assert summary.resumed and summary.complete and (summary.inserted, summary.unchanged) == (200, 0)
    assert lost_and_duplicated(db, records) == (0, 0)


def test_records_that_never_arrive_are_recorded_gaps_and_the_next_run_fetches_them(tmp_path, genia):
    records = genia[:300]
    db = tmp_path / "c.sqlite"
    with ReplayServer(records) as srv:
        srv.add_fault("empty", "efetch", times=MANY, after=2)  # history fetches and refetches by id alike
        with CorpusStore(db) as store:
            summary = Refresher(client_for(srv), store, batch_size=100, today=DAY1).refresh_term("q", "cancer")
            assert not summary.complete and summary.inserted == 200
            assert len(summary.gaps) == 100
            text = "\n".join(summary.lines())
            assert "INCOMPLETE" in text and "100 record(s) listed by the search could not be fetched" in text
            state = store.get_query_state("q")
            assert state["last_success"] is None and sorted(state["cursor"]["gaps"]) == sorted(summary.gaps)
        srv.clear_faults()
        srv.log.clear()
        with CorpusStore(db) as store:
            refresher = Refresher(client_for(srv), store, batch_size=100, today=date(2026, 11, 2))
            again = refresher.refresh_term("q", "cancer")
            assert again.complete and again.inserted == 100 and again.unchanged == 0 and again.gaps == []
            fetched_by_id = [r for r in srv.requests("efetch") if "id" in r.params]
            assert sum(len(r.params["id"].split(",")) for r in fetched_by_id) == 100
            # The first run's searches had finished, so the second searches only what is new since
            # that run (a gap PubMed never serves cannot freeze the query), then fetches the gaps.
            assert again.mode == "incremental" and again.since == "2026/11/01"
            assert {r.params["datetype"] for r in srv.requests("esearch")} == {"edat", "mdat"}
            state = store.get_query_state("q")
            assert state["last_success"] == "2026/11/02" and state["cursor"] is None
    assert lost_and_duplicated(db, records) == (0, 0)


def test_a_trickled_reply_cannot_outlast_the_request_deadline(tmp_path, genia):
    """1 byte every 0.4 s never trips a per-read timeout; the per-request deadline cuts it and the batch is retried."""
    records = genia[:100]
    result: dict[str, object] = {}
    with ReplayServer(records) as srv:
        srv.add_fault("trickle", "efetch", delay=0.4)

        def run() -> None:  # in a thread, so that a hang fails the test instead of stalling it
            client = client_for(srv, timeout=1.0, deadline=1.5)
            with CorpusStore(tmp_path / "c.sqlite") as store:
                result["summary"] = Refresher(client, store, batch_size=50, today=DAY1).refresh_term("q", "cancer")

        started = time.monotonic()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(20)
        assert not worker.is_alive(), "refresh hung on a trickling reply"
        assert time.monotonic() - started < 10
        summary = result["summary"]
        assert summary.complete and summary.inserted == 100  # type: ignore[attr-defined]
        assert summary.retry_reasons == {"timeout": 1}  # type: ignore[attr-defined]
    assert lost_and_duplicated(tmp_path / "c.sqlite", records) == (0, 0)


@pytest.mark.parametrize("kind", ["short", "duplicate", "error_body"])
def test_pmid_lists_lose_nothing(tmp_path, genia, kind):
    records = genia[:120]
    with ReplayServer(records) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault(kind, "efetch", times=1, after=1, only="history")
        summary = Refresher(client_for(srv), store, batch_size=50).fetch_pmids([r.pmid for r in records])
        assert summary.complete and summary.inserted == 120 and summary.not_found == []
    assert lost_and_duplicated(tmp_path / "c.sqlite", records) == (0, 0)


@pytest.mark.parametrize("kind", ["short", "duplicate", "error_body"])
def test_doi_lists_lose_nothing(tmp_path, genia, kind):
    records = [r for r in genia if r.doi][:60]
    with ReplayServer(records) as srv, CorpusStore(tmp_path / "c.sqlite") as store:
        srv.add_fault(kind, "efetch", times=1, only="history")
        summary, mapping = Refresher(client_for(srv), store, batch_size=500).fetch_dois([r.doi for r in records])
        assert summary.complete and summary.inserted == 60 and summary.not_found == [] and len(mapping) == 60
    assert lost_and_duplicated(tmp_path / "c.sqlite", records) == (0, 0)


def test_cli_reports_gaps_and_exits_1_until_the_rerun_fetches_them(tmp_path, genia, monkeypatch, capsys):
    from miner.cli.main import main

    records = genia[:80]
    config = tmp_path / "miner.toml"
    config.write_text("[ncbi]\nbatch_size = 40\n", encoding="utf-8")
    for name in ("NCBI_API_KEY", "MINER_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINER_CONFIG", str(config))
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    db = tmp_path / "c.sqlite"

    def run_cli() -> tuple[int, str]:
        monkeypatch.setattr("sys.argv", ["miner", "--db", str(db), "corpus", "refresh", "--term", "cancer"])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out + out.err

    with ReplayServer(records) as srv:
        monkeypatch.setenv("MINER_EUTILS_URL", srv.url)
        srv.add_fault("empty", "efetch", times=MANY, after=1)
        code, out = run_cli()
        assert code == 1 and "INCOMPLETE" in out and "40 record(s) listed by the search could not be fetched" in out
        srv.clear_faults()
        code, out = run_cli()
        assert code == 0 and ": complete" in out and "40 new" in out
    assert lost_and_duplicated(db, records) == (0, 0)
