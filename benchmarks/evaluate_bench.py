"""Speed and normalisation robustness of `miner evaluate` / `miner reconcile` on the real gold set.

Measures, on ``annotations/gold`` (read only) with the real lexicon:

1. evaluate(gold, gold): must score 1.0 everywhere (sanity), and its wall time;
2. evaluate(gold, gold with every drug name rewritten as another lexicon synonym of the
   same single drug, e.g. a brand name or code): pair-level recall shows how much the
   name normalisation recovers;
3. reconcile(gold, N synthetic mined findings): wall time for N = 2000 (gold rows copied
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


def _alternative_name(name: str, lexicon, rng: random.Random) -> str | None:
    """Another synonym of the single drug ``name`` denotes (None if not a single known drug)."""
    entry = lexicon.lookup(name)
    if entry is None or entry.kind != "drug":
        return None
    others = [s for s in entry.synonyms if s.lower() != name.lower() and 2 < len(s) < 40 and lexicon.lookup(s) == entry]
    return rng.choice(sorted(others)) if others else None


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

    rewritten, changed = [], 0
    for f in gold:
        drug = _alternative_name(f.drug, lexicon, rng)
        prior = _alternative_name(f.prior_drug, lexicon, rng) if f.prior_drug else None
        changed += bool(drug) + bool(prior)
        rewritten.append(dataclasses.replace(f, drug=drug or f.drug, prior_drug=prior or f.prior_drug,
                                             drug_ids=[], prior_drug_ids=[], id=""))
    r = evaluate(gold, rewritten, lexicon=lexicon)
    print(f"synonym-rewritten predictions ({changed} names rewritten): pair recall {r.score('pair')['recall']}, "
          f"precision {r.score('pair')['precision']}")

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
