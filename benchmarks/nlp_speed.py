"""Words per second of the miner NLP pipeline on real PubMed abstracts (drug-combo paragraphs).

Usage: ``python benchmarks/nlp_speed.py [--limit N] [--rules-only] [--models DIR]``. Words are whitespace-separated words of the
input text (independent of tokenisation). The first document is processed before timing (warm-up); the lexicon
and model loading times are reported separately. Results go in BENCHMARKS.md, section "NLP pipeline speed".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import time

from miner.config import SHARED_DIR


def abstracts(limit: int) -> list[str]:
    path = SHARED_DIR / "data" / "drug-combo" / "final_train_set.jsonl.gz"
    seen: dict[str, None] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            seen.setdefault(json.loads(line)["paragraph"], None)
            if len(seen) >= limit:
                break
    return list(seen)


def bench(name: str, nlp, texts: list[str]) -> None:
    nlp(texts[0])
    words = sum(len(t.split()) for t in texts)
    start = time.perf_counter()
    n_ents = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=32))
    elapsed = time.perf_counter() - start
    print(f"| {name} | {len(texts)} | {words:,} | {elapsed:.1f} | {words / elapsed:,.0f} | {n_ents:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=300, help="number of abstracts (default 300)")
    parser.add_argument("--rules-only", action="store_true", help="skip the full pipeline (models)")
    parser.add_argument("--models", default=None, help="models directory (default: the repository's models/)")
    args = parser.parse_args()
    texts = abstracts(args.limit)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, python "
          f"{platform.python_version()}")
    from miner.nlp.pipeline import load, rules_only_pipeline

    t0 = time.perf_counter()
    rules = rules_only_pipeline()
    rules("warm")
    print(f"rules-only pipeline + lexicon load: {time.perf_counter() - t0:.1f} s")
    full = None
    if not args.rules_only:
        t0 = time.perf_counter()
        full = load(args.models)
        full("warm")
        print(f"full pipeline load: {time.perf_counter() - t0:.1f} s; components: {', '.join(full.pipe_names)}")
    print("| pipeline | abstracts | words | seconds | words/s | entities |")
    print("|---|---|---|---|---|---|")
    bench("rules only (tokenizer, abbreviations, drug linker, variants, genes)", rules, texts)
    if full is not None:
        bench("full (core + NER + rules)", full, texts)


if __name__ == "__main__":
    main()
