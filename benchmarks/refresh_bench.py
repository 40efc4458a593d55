"""Benchmark: does `refresh` use the request rate NCBI allows (>= 90% of 3/s without a key, 10/s with)?

Runs the real refresh engine with the production limiter and retry policy against the local
replay server (real GENIA records, served from a separate process so it does not compete with
the client for the GIL) and measures, from the server's arrival timestamps (CLOCK_MONOTONIC,
shared by both processes), the sustained request rate and the busiest 1-second window.  Usage:

    python benchmarks/refresh_bench.py [--requests 40] [--batch 20]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

from miner.corpus.entrez import RATE_WITH_KEY, RATE_WITHOUT_KEY, EntrezClient, RateLimiter
from miner.corpus.refresh import Refresher
from miner.corpus.replay import ReplayServer, busiest_window, genia_records
from miner.corpus.store import CorpusStore


def _serve(n_records: int, conn) -> None:  # runs in the server process
    with ReplayServer(genia_records()[:n_records]) as srv:
        conn.send(srv.url)
        conn.recv()  # "stop"
        conn.send([r.t for r in srv.requests()])


def run(rate: int, requests: int, batch: int) -> dict[str, float]:
    n_records = batch * (requests - 1)
    api_key = "benchmark-key" if rate == RATE_WITH_KEY else None
    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(n_records, child), daemon=True)
    server.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        client = EntrezClient("bench@example.org", api_key, url, limiter=RateLimiter(rate))
        with CorpusStore(Path(tmp) / "c.sqlite") as store:
            start = time.perf_counter()
            summary = Refresher(client, store, batch_size=batch).refresh_term("bench", "cancer")
            elapsed = time.perf_counter() - start
    parent.send("stop")
    arrivals = parent.recv()
    server.join(10)
    records = range(n_records)
    assert summary.complete and summary.inserted == len(records)
    sustained = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    return {
        "allowed": rate,
        "requests": len(arrivals),
        "records": len(records),
        "sustained": sustained,
        "ratio": sustained / rate,
        "busiest_1s": busiest_window(arrivals),
        "elapsed": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per scenario (1 esearch + efetches)")
    parser.add_argument("--batch", type=int, default=20, help="records per efetch batch")
    args = parser.parse_args()
    print("| allowed req/s | requests | records | sustained req/s | % of allowed | busiest 1 s window | wall s |")
    print("|---|---|---|---|---|---|---|")
    for rate in (RATE_WITHOUT_KEY, RATE_WITH_KEY):
        r = run(rate, args.requests, args.batch)
        print(
            f"| {r['allowed']} | {r['requests']} | {r['records']} | {r['sustained']:.2f} | {100 * r['ratio']:.1f}% "
            f"| {r['busiest_1s']} | {r['elapsed']:.1f} |"
        )


if __name__ == "__main__":
    main()
