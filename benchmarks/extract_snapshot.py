"""Findings of the extractor on fixed texts, as JSONL, to show that a refactor changes nothing.

Reads the two seed reviews (paragraph by paragraph, as `miner extract --text` does) and the
158 crossres abstracts (as `miner corpus import` stores them) and writes every finding, one
JSON object per line with sorted keys, in document order. Run it before and after a change
and compare the files byte for byte (`cmp`), or `diff` them to list what changed.

Usage: python benchmarks/extract_snapshot.py OUT.jsonl [--only reviews|abstracts]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from miner.config import REVIEWS_DIR, SHARED_DIR
from miner.corpus.pubmed_xml import parse_pubmed_xml
from miner.extract import TextDoc, extract_docs

ABSTRACTS = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"


def documents(only: str = "") -> list[TextDoc]:
    docs: list[TextDoc] = []
    if only in ("", "reviews"):
        for path in sorted(REVIEWS_DIR.glob("*.txt")):
            docs.append(TextDoc(f"text:review_{path.name[:3]}", path.read_text(encoding="utf-8")))
    if only in ("", "abstracts"):
        docs.extend(TextDoc(d.doc_id, d.text) for d in parse_pubmed_xml(ABSTRACTS) if hasattr(d, "text"))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--only", choices=["reviews", "abstracts"], default="")
    args = ap.parse_args()
    docs = documents(args.only)
    t0 = time.process_time()
    findings = list(extract_docs(docs))
    cpu = time.process_time() - t0
    with args.out.open("w", encoding="utf-8") as fh:
        for f in findings:
            fh.write(json.dumps(f.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(docs)} documents, {len(findings)} findings, {cpu:.1f} CPU s -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
