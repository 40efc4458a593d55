"""Score the current extractor on the development sets: annotated PubMed abstracts and CIViC statements.

    python benchmarks/extraction_dev.py                      # dev splits of both sets
    python benchmarks/extraction_dev.py --split train        # the train splits instead
    python benchmarks/extraction_dev.py --json /tmp/dev.json --errors /tmp/dev_errors.jsonl

Data (read at run time, nothing copied): (a) the crossres abstracts annotated in ``annotations/dev``
(:func:`miner.evaluate.devset.load_abstracts`: ``abstracts.jsonl``, or the finished documents of
``parts/part*.jsonl`` while annotation is in progress), (b) the CIViC statements labelled in
``annotations/civic`` (:func:`miner.evaluate.civic.load_civic`).  Each set is read by
:func:`miner.extract.extract_docs` and scored per document by :func:`miner.evaluate.evaluate`
(documents without gold rows are covered: a finding there is a false positive).

Figures (drug names match through the lexicon, as in ``miner evaluate``):

* sequential findings (a prior drug), level pair+effect (drug, prior drug, effect polarity): P/R/F1;
* single-drug findings, drug + polarity (level pair+effect): P/R/F1;
* single-drug, drug + polarity + mechanism (level full: a shared gene, compatible type): precision;
* single-drug, drug level: the same after keeping one finding per document, drug pair and polarity (a
  statement that names one drug's resistance twice, with two mechanisms or in two sentences, counts once);
* documents per CPU-second of extraction (pipeline loading excluded).

The CIViC labels cover single-drug resistance only, so its sequential slice is not reported.
``--errors`` writes one JSON line per miss and false positive (pair+effect level, and the full level
of single-drug findings) with its sentence, for error analysis.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

DATASETS = ("abstracts", "civic")


def loader(name: str) -> Callable[[str], tuple[list, list, frozenset[str]]]:
    if name == "abstracts":
        from miner.evaluate.devset import load_abstracts

        return load_abstracts
    from miner.evaluate.civic import load_civic

    return load_civic


def one_per_drug(findings: list) -> list:
    """The most confident finding per (document, drug, prior drug, polarity)."""
    from miner.schema import POLARITY

    def agent(name: str, ids: list[str]) -> str:
        return "|".join(sorted(ids)) if ids else " ".join(name.lower().split())

    best: dict[tuple, Any] = {}
    for f in findings:
        key = (f.doc_id, agent(f.drug, f.drug_ids), agent(f.prior_drug, f.prior_drug_ids), POLARITY[f.effect])
        if key not in best or f.confidence > best[key].confidence:
            best[key] = f
    return list(best.values())


def _slice(result: Any, level: str, name: str) -> dict[str, Any]:
    row = result.score(level, slice=name)
    return {k: row[k] for k in ("tp", "fp", "fn", "precision", "recall", "f1")}


def run_dataset(name: str, split: str, workers: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Extract and score one dataset: (figures, error rows)."""
    from miner.evaluate import evaluate
    from miner.extract import extract_docs

    documents, gold, covered = loader(name)(split)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    predictions = list(extract_docs(documents, n_process=workers))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    result = evaluate(gold, predictions, documents=covered)
    # drug level: one prediction per document, agent pair and polarity (several mechanisms or sentences that
    # restate one drug's resistance count once), the view of a curator who checks which drugs a statement names
    drug_level = evaluate(gold, one_per_drug(predictions), documents=covered)
    figures: dict[str, Any] = {
        "dataset": name, "split": split, "documents": len(documents), "gold_rows": len(gold),
        "predictions": len(predictions), "not_scored": result.n_not_scored,
        "single_drug_polarity": _slice(result, "pair+effect", "single_drug"),
        "single_drug_mechanism": _slice(result, "full", "single_drug"),
        "single_drug_drug_level": _slice(drug_level, "pair+effect", "single_drug"),
        "cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2),
        "docs_per_cpu_second": round(len(documents) / cpu, 2) if cpu else None, "workers": workers,
    }
    if name != "civic":
        figures["sequential_pair_effect"] = _slice(result, "pair+effect", "sequential")
    errors: list[dict[str, Any]] = []
    keep = (lambda row: row["level"] == "pair+effect" or (row["level"] == "full" and row["slice"] == "single_drug"))
    for kind, table, text in (("miss", result.misses, "evidence"), ("false_positive", result.false_positives, "sentence")):
        for row in table.to_dict("records"):
            if keep(row) and not (name == "civic" and row["slice"] == "sequential"):
                errors.append({"dataset": name, "split": split, "level": row["level"], "kind": kind, "slice": row["slice"],
                               "doc_id": row["doc_id"], "drug": row["drug"], "prior_drug": row["prior_drug"],
                               "effect": row["effect"], "mechanism": row["mechanism"], "sentence": row[text],
                               "reason": row["reason"]})
    return figures, errors


def _fmt(s: dict[str, Any] | None, with_recall: bool = True) -> str:
    if s is None:
        return "n/a"
    out = f"P {s['precision']:.3f}"
    if with_recall:
        out += f" R {s['recall']:.3f} F1 {s['f1']:.3f}"
    return out + f" (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "train"), default="dev")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS))
    ap.add_argument("--workers", type=int, default=1, help="extraction processes (CPU time counts this process only)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--errors", type=Path, help="write misses and false positives (JSON lines) here")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        ap.error(f"unknown dataset(s): {', '.join(unknown)}")

    from miner.errors import MinerError
    from miner.extract import get_reader

    t0 = time.perf_counter()
    reader = get_reader()
    print(f"pipeline {reader.nlp.meta.get('name')}-{reader.nlp.meta.get('version')}, rules {reader.version}, "
          f"loaded in {time.perf_counter() - t0:.1f} s")
    figures, errors = [], []
    for name in names:
        try:
            fig, err = run_dataset(name, args.split, args.workers)
        except MinerError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 1
        figures.append(fig)
        errors.extend(err)
        print(f"\n{name} ({args.split}): {fig['documents']} documents, {fig['gold_rows']} gold rows, "
              f"{fig['predictions']} predictions ({fig['not_scored']} not scored)")
        print(f"  sequential, pair + effect polarity:   {_fmt(fig.get('sequential_pair_effect'))}")
        print(f"  single-drug, drug + polarity:         {_fmt(fig['single_drug_polarity'])}")
        print(f"  single-drug, + mechanism gene (full): {_fmt(fig['single_drug_mechanism'], with_recall=False)}")
        print(f"  single-drug, drug level (one finding per drug and polarity per document): "
              f"{_fmt(fig['single_drug_drug_level'])}")
        print(f"  speed: {fig['docs_per_cpu_second']} documents per CPU-second ({fig['cpu_seconds']} s CPU, "
              f"{fig['wall_seconds']} s wall)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    if args.errors:
        args.errors.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors), encoding="utf-8")
        print(f"{len(errors)} misses and false positives written to {args.errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
