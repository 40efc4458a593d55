"""Extraction speed on the crossres abstracts with the current NLP pipeline and the one before issue 20, in one run.

Documents per CPU-second of ``miner.extract.extract_docs`` (parse + extraction, prefilter on) over the 158
abstracts of ../shared/data/crossres-abstracts, alternating the current full pipeline and the pre-issue-20 one
(``benchmarks/nlp_models_speed.baseline_pipeline``: the vote without cascade, no ``miner_cancers``) for
``--rounds`` rounds; also how many findings each gives and how many differ. Run:
``OMP_NUM_THREADS=1 python benchmarks/nlp_extract_speed.py [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from miner.config import SHARED_DIR  # noqa: E402


def main() -> None:
    from nlp_models_speed import baseline_pipeline

    from miner.corpus.pubmed_xml import parse_pubmed_xml
    from miner.extract import TextDoc, extract_docs
    from miner.nlp.pipeline import DEFAULT_MODELS_DIR, build_pipeline

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    path = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
    docs = [TextDoc(d.doc_id, d.text) for d in parse_pubmed_xml(path) if hasattr(d, "text")]
    pipelines = {"now": build_pipeline(DEFAULT_MODELS_DIR), "before issue 20": baseline_pipeline()}
    found: dict[str, list] = {}
    cpu: dict[str, list[float]] = {name: [] for name in pipelines}
    for r in range(args.rounds):
        for name, nlp in pipelines.items():
            start = time.process_time()
            findings = list(extract_docs(docs, nlp=nlp))
            cpu[name].append(time.process_time() - start)
            found[name] = findings
            print(f"round {r + 1} {name}: {len(docs)} abstracts in {cpu[name][-1]:.1f} CPU-s = "
                  f"{len(docs) / cpu[name][-1]:.2f} abstracts/CPU-s, {len(findings)} findings", flush=True)
    now, before = (min(v) for v in cpu.values())
    print(f"best of {args.rounds}: now {len(docs) / now:.2f}, before {len(docs) / before:.2f} abstracts/CPU-s; "
          f"ratio {before / now:.2f}x")
    a = {json.dumps(dataclasses.asdict(f), sort_keys=True, default=str) for f in found["now"]}
    b = {json.dumps(dataclasses.asdict(f), sort_keys=True, default=str) for f in found["before issue 20"]}
    print(f"findings: now {len(found['now'])}, before {len(found['before issue 20'])}; only now {len(a - b)}, "
          f"only before {len(b - a)}")
    before_by_key = {(f.doc_id, f.drug, f.prior_drug, f.effect, f.mechanism): f for f in found["before issue 20"]}
    for f in found["now"]:
        old = before_by_key.get((f.doc_id, f.drug, f.prior_drug, f.effect, f.mechanism))
        if old is not None and old.cancer != f.cancer:
            print(f"  cancer {old.cancer!r} -> {f.cancer!r} ({f.doc_id})")


if __name__ == "__main__":
    main()
