"""Speed and normalisation robustness of `miner evaluate` / `miner reconcile` on the real gold set.

Measures, on ``annotations/gold`` (read only) with the real lexicon:

1. evaluate(gold, gold): must score 1.0 everywhere (sanity), and its wall time;
2. reconcile(gold, N synthetic mined findings): wall time for N = 2000 (gold rows copied
   as abstracts' findings, half with a drug replaced by an unrelated lexicon drug).

Usage: python benchmarks/evaluate_bench.py [--gold annotations/gold] [--n 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from pathlib import Path

from miner.evaluate import default_lexicon, evaluate, reconcile
from miner.evaluate.sources import DEFAULT_GOLD_DIR, load_findings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD_DIR)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    rng = random.Random(0)
    lexicon = default_lexicon()
    gold = load_findings(args.gold)
    print(f"gold rows: {len(gold)}")

    t = time.perf_counter()
    r = evaluate(gold, gold, lexicon=lexicon)
    print(f"self-evaluation: {time.perf_counter() - t:.2f} s; full-level F1 {r.score('full')['f1']}")

    drugs = sorted(e.id for e in lexicon if e.kind == "drug" and e.oncology)
    mined = []
    for i in range(args.n):
        f = gold[i % len(gold)]
        if i % 2:
            entry = lexicon.get(rng.choice(drugs))
            f = dataclasses.replace(f, drug=entry.name, drug_ids=[])
        mined.append(dataclasses.replace(f, doc_id=f"pmid:{i}", source="extractor", id=""))
    t = time.perf_counter()
    rec = reconcile(gold, mined, lexicon=lexicon)
    print(f"reconcile {args.n} mined findings: {time.perf_counter() - t:.2f} s; labels {rec.counts()}")


if __name__ == "__main__":
    main()
