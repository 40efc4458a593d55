"""Compile miner/data/lexicon/variant_genes.tsv: protein variants that name one gene in CIViC training items.

A bare variant in a sentence ("the T790M mutation") names its gene only through knowledge: CIViC's
molecular profiles ("EGFR T790M") supply it. Only items of the CIViC *train* split (by paper, see
miner.evaluate.civic.split_of) are read, so the CIViC dev figures stay clean; a variant seen with
two genes ("G12C": KRAS and NRAS) is left out. Fusions give their kinase (BCR::ABL1 T315I -> ABL1).

Usage: python scripts/build_variant_genes.py
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from miner.evaluate.civic import civic_records, profile_genes, split_of  # noqa: E402

OUT = REPO / "miner" / "data" / "lexicon" / "variant_genes.tsv"
_VARIANT = re.compile(r"^[ACDEFGHIKLMNPQRSTVWY]\d{1,4}(?:[ACDEFGHIKLMNPQRSTVWY*]|fs|del|ins\w*|_?\w+del)$")


def main() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    items: dict[str, int] = defaultdict(int)
    for record in civic_records().values():
        if split_of(record.get("pmid", "")) != "train":
            continue
        profile = record.get("molecular_profile", "")
        for clause in re.split(r"\s+(?:AND|OR)\s+", profile.strip()):
            words = clause.split()
            genes = profile_genes(clause)
            if len(words) < 2 or len(genes) != 1:
                continue
            for w in words[1:]:
                if _VARIANT.match(w):
                    seen[w].add(genes[0])
                    items[w] += 1
    rows = sorted((v, next(iter(g)), items[v]) for v, g in seen.items() if len(g) == 1)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["variant", "gene", "civic_train_items"])
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} variants ({len(seen) - len(rows)} left out as naming several genes)")


if __name__ == "__main__":
    main()
