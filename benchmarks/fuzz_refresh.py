"""Refresh under injected faults: every scenario, seeded tries, records lost and duplicated.

Each try runs the real refresh engine against the local replay server (real GENIA records)
with one fault scenario placed at a seeded random batch, a seeded record count and batch
size; scenarios that are meant to stop the run (a history that stays expired, records that
never arrive, a kill mid-batch) are followed by a plain rerun without the fault.  A try
passes when every record the server holds is stored exactly once and the query ends
complete.  Prints one markdown row per scenario (the shape of benchmarks/faults.md).  Usage:

    python benchmarks/fuzz_refresh.py [--tries 10] [--seed 15]
"""

from __future__ import annotations

import argparse
import logging
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from miner.corpus.entrez import EntrezClient, RateLimiter, RetryPolicy
from miner.corpus.refresh import Refresher
from miner.corpus.replay import Record, ReplayServer, genia_records
from miner.corpus.store import CorpusStore
from miner.errors import MinerError

DAY = date(2026, 11, 1)
MANY = 10**6


@dataclass
class Scenario:
    name: str
    #: (server, rng, number of batches) -> None: adds the faults.
    faults: Callable[[ReplayServer, random.Random, int], None]
    mode: str = "term"  # term | pmids | dois | kill
    #: The first run is expected to stop (error or incomplete) and a rerun without faults to finish.
    rerun: bool = False


def _at(kind: str, endpoint: str = "efetch", **fixed: Any) -> Callable[[ReplayServer, random.Random, int], None]:
    def add(srv: ReplayServer, rng: random.Random, batches: int) -> None:
        srv.add_fault(kind, endpoint, after=rng.randrange(max(1, batches)), **fixed)
    return add


def _mixed(srv: ReplayServer, rng: random.Random, batches: int) -> None:
    srv.add_fault("status", "esearch", status=429, retry_after="0")
    for kind, extra in [("status", {"status": 503}), ("cut", {}), ("truncate", {}), ("malformed", {}),
                        ("drop", {}), ("short", {"only": "history"}), ("duplicate", {"only": "history"}),
                        ("error_body", {}), ("empty", {"only": "history"})]:
        srv.add_fault(kind, "efetch", after=rng.randrange(max(1, batches)), **extra)


SCENARIOS = [
    Scenario("efetch answers HTTP 200 with NCBI's `<eFetchResult><ERROR>` (expired WebEnv), once",
             _at("error_body")),
    Scenario("efetch answers `<ERROR>` for every batch from one on (history expired for good), then a rerun",
             _at("error_body", times=MANY), rerun=True),
    Scenario("a history batch comes back empty, every time", _at("empty", only="history", times=MANY)),
    Scenario("a history batch lacks one record, every time", _at("short", only="history", times=MANY)),
    Scenario("a batch has one record missing and another twice (same count)", _at("duplicate", only="history")),
    Scenario("esearch Count (and its id list) 7 above what the history serves",
             lambda srv, rng, n: srv.add_fault("overcount", "esearch", n=7)),
    Scenario("records never arrive (history and by-id fetches empty), then a rerun",
             _at("empty", times=MANY), rerun=True),
    Scenario("an answer trickled 1 byte every 0.4 s (per-request deadline 1 s)", _at("trickle", delay=0.4)),
    Scenario("mixed: 429, 503, cut, truncated, HTML, dropped, short, duplicate, error body, empty (a rerun if "
             "faults stacked on one request outlast its 6 attempts)", _mixed, rerun=True),
    Scenario("PMID list: a batch lacks one record / repeats one", _at("duplicate", only="history"), mode="pmids"),
    Scenario("DOI list: a batch lacks one record / repeats one", _at("short", only="history"), mode="dois"),
    Scenario("killed mid-batch (KeyboardInterrupt inside the store transaction), then a rerun",
             lambda srv, rng, n: None, mode="kill", rerun=True),
]


def _client(srv: ReplayServer) -> EntrezClient:
    return EntrezClient("bench@example.org", None, srv.url, timeout=2.0, deadline=1.0,
                        retry=RetryPolicy(max_attempts=6, backoff_base=0.002, backoff_cap=0.01),
                        limiter=RateLimiter(1000), rng=random.Random(0))


def _run(scenario: Scenario, store: CorpusStore, srv: ReplayServer, records: list[Record], batch: int,
         rng: random.Random) -> bool:
    """One run; True if it completed."""
    refresher = Refresher(_client(srv), store, batch_size=batch, today=DAY)
    if scenario.mode == "pmids":
        return refresher.fetch_pmids([r.pmid for r in records]).complete
    if scenario.mode == "dois":
        return refresher.fetch_dois([r.doi for r in records])[0].complete
    if scenario.mode == "kill":
        real, calls, dies_at = store.upsert, [0], rng.randrange(1, len(records))

        def dying(doc):  # type: ignore[no-untyped-def]
            calls[0] += 1
            if calls[0] == dies_at:
                raise KeyboardInterrupt
            return real(doc)

        store.upsert = dying  # type: ignore[method-assign]
        try:
            return refresher.refresh_term("q", "cancer").complete
        except KeyboardInterrupt:
            return False
        finally:
            store.upsert = real  # type: ignore[method-assign]
    return refresher.refresh_term("q", "cancer").complete


def try_once(scenario: Scenario, genia: list[Record], rng: random.Random) -> tuple[int, int, bool]:
    """(lost, duplicated, completed) for one seeded try."""
    pool = [r for r in genia if r.doi] if scenario.mode == "dois" else genia
    records = pool[: rng.randrange(60, 240)]
    batch = rng.choice([20, 25, 40, 50]) if scenario.mode != "dois" else 500
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(records) as srv:
        db = Path(tmp) / "c.sqlite"
        scenario.faults(srv, rng, -(-len(records) // batch))
        with CorpusStore(db) as store:
            try:
                complete = _run(scenario, store, srv, records, batch, rng)
            except MinerError:
                complete = False
            if scenario.rerun and not complete:
                srv.clear_faults()
                complete = _run(Scenario(scenario.name, scenario.faults, scenario.mode if scenario.mode != "kill"
                                         else "term"), store, srv, records, batch, rng)
        with sqlite3.connect(db) as conn:
            ids = [row[0] for row in conn.execute("SELECT doc_id FROM documents")]
    wanted = {f"pmid:{r.pmid}" for r in records}
    return len(wanted - set(ids)), len(ids) - len(set(ids)) + len(set(ids) - wanted), complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    logging.getLogger("miner.corpus.entrez").setLevel(logging.ERROR)  # the retries are expected here
    genia = genia_records()
    print("| scenario | tries | outcome |\n|---|---|---|")
    for k, scenario in enumerate(SCENARIOS):
        rng = random.Random(args.seed * 1000 + k)
        started = time.perf_counter()
        results = [try_once(scenario, genia, rng) for _ in range(args.tries)]
        lost, dup = sum(r[0] for r in results), sum(r[1] for r in results)
        complete = sum(r[2] for r in results)
        outcome = f"{lost} lost, {dup} duplicated; {complete}/{args.tries} complete" + (
            " after the rerun" if scenario.rerun else "") + f" ({time.perf_counter() - started:.0f} s)"
        print(f"| refresh: {scenario.name} | {args.tries} | {outcome} |", flush=True)


if __name__ == "__main__":
    main()
