"""Why the extractor misses what it misses: each miss of `extraction_dev.py --errors` put in one cause class.

    python benchmarks/extraction_dev.py --errors /tmp/dev_errors.jsonl
    python benchmarks/extraction_error_analysis.py /tmp/dev_errors.jsonl [--dataset abstracts]

For every missed gold row (pair + effect level) the quote is parsed by the real pipeline and the first cause that
applies is counted, in this order:

* ``drug not recognized``: no entity/lexicon mention of the drug (or, for sequential rows, the prior) in the quote;
* ``prior outside the quote``: a sequential row whose prior drug is not named in the quoted sentence;
* ``no mechanism in the quote``: a single-drug row whose mechanism names no gene, variant or process the reader sees;
* ``no trigger cue``: the prefilter finds no trigger phrase in the quote (the sentence is never parsed);
* ``no rule matches``: all pieces are there, but no grammar rule links them (a missing construction).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("\u2010", "-").split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("errors", type=Path)
    ap.add_argument("--dataset", default="abstracts")
    ap.add_argument("--list", action="store_true", help="also print every miss with its cause")
    args = ap.parse_args()
    from miner.extract import get_reader

    reader = get_reader()
    rows = [json.loads(line) for line in args.errors.read_text(encoding="utf-8").splitlines() if line.strip()]
    misses = [r for r in rows if r["kind"] == "miss" and r["level"] == "pair+effect" and r["dataset"] == args.dataset]
    causes: dict[str, Counter] = defaultdict(Counter)
    examples: dict[tuple[str, str], str] = {}
    for r in misses:
        quote = r.get("sentence") or ""
        doc = reader.nlp(quote)
        sents = reader._sentences(doc, 0)
        names = {_norm(m.text) for s in sents for m in s.mentions if m.kind == "DRUG"}
        names |= {_norm(u.text) for s in sents for u in s.units if u.unit == "DRUG"}
        genes = [u for s in sents for u in s.units if u.unit == "GENE"]

        def named(x: str) -> bool:
            x = _norm(x)
            return any(x == n or x in n or n in x for n in names if n)

        seq = bool(r.get("prior_drug"))
        if not named(r["drug"]):
            cause = "drug not recognized"
        elif seq and _norm(r["prior_drug"]) not in _norm(quote):
            cause = "prior outside the quote"
        elif seq and not named(r["prior_drug"]):
            cause = "prior not recognized"
        elif not seq and not genes:
            cause = "no mechanism in the quote"
        elif not reader.prefilter.has_trigger(quote):
            cause = "no trigger cue"
        else:
            cause = "no rule matches"
        causes[r["slice"]][cause] += 1
        if args.list:
            prior = f" <- {r['prior_drug']}" if seq else ""
            print(f"[{r['slice']}] {cause} | {r['doc_id']} | {r['drug']}{prior} | {r['effect']} | {r.get('mechanism', '')}")
            print(f"    {quote[:300]}")
        examples.setdefault((r["slice"], cause), quote[:160])
    for sl, counter in causes.items():
        total = sum(counter.values())
        print(f"\n{args.dataset} {sl}: {total} misses")
        for cause, n in counter.most_common():
            print(f"  {cause:28s} {n:4d}  e.g. {examples[(sl, cause)]!r}")


if __name__ == "__main__":
    main()
