"""Words/s of miner's NLP pipelines on real abstracts (BC5CDR test texts), on this machine.

Measures: each packaged model alone, core + both NER components sourced into it,
and the full pipeline ``miner.nlp.load()`` when it exists.  Run:
``python benchmarks/nlp_models_speed.py [--docs 200]``; paste the table into
BENCHMARKS.md (## NLP models).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

warnings.filterwarnings("ignore")

import spacy  # noqa: E402

from miner.nlp.pipeline import share_vectors  # noqa: E402
from miner.nlp.training.conllu import open_text  # noqa: E402
from miner.nlp.training.ner_data import PUBTATOR_LABELS, parse_pubtator  # noqa: E402
from miner.nlp.training.registry import MODELS  # noqa: E402
from miner.nlp.training.scoring import CDR_TEST  # noqa: E402


def words_per_sec(nlp, texts: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    n = sum(len(doc) for doc in nlp.pipe(texts, batch_size=16))
    return n / (time.perf_counter() - start), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200, help="number of abstracts to process")
    args = parser.parse_args()
    texts = [d.text for d in parse_pubtator(open_text(CDR_TEST), PUBTATOR_LABELS)][: args.docs]
    pipelines = {name: spacy.load(spec.package_dir) for name, spec in MODELS.items()}
    combined = spacy.load(MODELS["core"].package_dir)
    for name in ("ner_cdr", "ner_gene"):
        share_vectors(combined, pipelines[name])  # ner_cdr's static vectors must be in the core's vocab
        combined.add_pipe(name, source=pipelines[name])
    pipelines["core + ner_cdr + ner_gene"] = combined
    try:
        from miner.nlp import load

        pipelines["miner.nlp.load() (full)"] = load()
    except (ImportError, Exception) as exc:  # another stage's code; report and go on
        print(f"full pipeline unavailable: {exc}")
    print(f"{len(texts)} abstracts, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load avg {os.getloadavg()[0]:.1f}")
    print("| pipeline | words/s | words |\n|---|---|---|")
    for name, nlp in pipelines.items():
        wps, n = words_per_sec(nlp, texts)
        print(f"| {name} | {wps:.0f} | {n} |")


if __name__ == "__main__":
    main()
