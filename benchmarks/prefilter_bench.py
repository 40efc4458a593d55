"""CPU time of the extraction prefilter (cue regex + lexicon n-grams) on real abstracts, without parsing.

    python benchmarks/prefilter_bench.py [--abstracts 1000]

Reads the first N Hallmarks of Cancer abstracts from ../shared/data and asks the prefilter about every sentence.
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import islice

from extract_abstracts import hoc  # same reader of ../shared as the extraction benchmark

from miner.extract import get_reader
from miner.extract.prefilter import rough_sentences
from miner.nlp.pipeline import rules_only_pipeline


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abstracts", type=int, default=1000)
    args = ap.parse_args()
    prefilter = get_reader(rules_only_pipeline()).prefilter
    texts = [a.text for a in islice(hoc(), args.abstracts)]
    start, sentences = time.process_time(), 0
    for text in texts:
        for s, e in rough_sentences(text):
            prefilter.keep(text[s:e])
            sentences += 1
    print(f"{len(texts)} abstracts, {sentences} sentences: prefilter {time.process_time() - start:.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
