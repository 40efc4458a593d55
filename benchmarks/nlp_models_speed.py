"""Words/s of miner's NLP pipelines on real abstracts (BC5CDR test texts), on this machine.

Measures: each packaged model alone, core + both NER components sourced into it, and the full pipeline
``miner.nlp.load()``; with ``--baseline`` also the full pipeline as it was before issue 20 (ner_cdr's five-run vote
without the cascade, no ``miner_cancers``) in the same process, alternating with the current one for ``--rounds``
rounds, and the ratio. Words are spaCy tokens; "words/s" is wall time, "words/CPU-s" the process's CPU time (the
figure for one core on a machine shared with other work). Run: ``OMP_NUM_THREADS=1 python
benchmarks/nlp_models_speed.py [--docs 150] [--baseline] [--rounds 3]``; paste the table into BENCHMARKS.md.
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


def words_per_sec(nlp, texts: list[str]) -> tuple[float, float, int]:
    """(words per wall second, words per CPU second, words) of ``nlp.pipe`` over ``texts``."""
    wall, cpu = time.perf_counter(), time.process_time()
    n = sum(len(doc) for doc in nlp.pipe(texts, batch_size=16))
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu), n


def baseline_pipeline():
    """The full pipeline as it was before issue 20: the vote without cascade, no cancer vocabulary component."""
    from miner.nlp.pipeline import DEFAULT_MODELS_DIR, build_pipeline

    nlp = build_pipeline(DEFAULT_MODELS_DIR)
    nlp.get_pipe("ner_cdr").cascade = False
    if "miner_cancers" in nlp.pipe_names:
        nlp.remove_pipe("miner_cancers")
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200, help="number of abstracts to process")
    parser.add_argument("--baseline", action="store_true", help="also time the pre-issue-20 full pipeline")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of the full pipelines")
    parser.add_argument("--no-models", action="store_true", help="skip the bare packaged models")
    args = parser.parse_args()
    texts = [d.text for d in parse_pubtator(open_text(CDR_TEST), PUBTATOR_LABELS)][: args.docs]
    pipelines = {}
    if not args.no_models:
        pipelines = {name: spacy.load(spec.package_dir) for name, spec in MODELS.items()}
        combined = spacy.load(MODELS["core"].package_dir)
        for name in ("ner_cdr", "ner_gene"):
            share_vectors(combined, pipelines[name])  # ner_cdr's static vectors must be in the core's vocab
            combined.add_pipe(name, source=pipelines[name])
        pipelines["core + ner_cdr + ner_gene"] = combined
    full = {}
    try:
        from miner.nlp.pipeline import DEFAULT_MODELS_DIR, build_pipeline

        full["miner.nlp.load() (full)"] = build_pipeline(DEFAULT_MODELS_DIR)
        if args.baseline:
            full["full, before issue 20 (vote without cascade, no miner_cancers)"] = baseline_pipeline()
    except Exception as exc:  # another stage's code; report and go on
        print(f"full pipeline unavailable: {exc}")
    print(f"{len(texts)} abstracts, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load avg {os.getloadavg()[0]:.1f}")
    print("| pipeline | words/s | words/CPU-s | words |\n|---|---|---|---|")
    for name, nlp in pipelines.items():
        wps, cps, n = words_per_sec(nlp, texts)
        print(f"| {name} | {wps:.0f} | {cps:.0f} | {n} |", flush=True)
    cpu: dict[str, list[float]] = {name: [] for name in full}
    for r in range(args.rounds):
        for name, nlp in full.items():
            wps, cps, n = words_per_sec(nlp, texts)
            cpu[name].append(cps)
            print(f"| {name} (round {r + 1}) | {wps:.0f} | {cps:.0f} | {n} |", flush=True)
    if len(full) == 2 and args.rounds:
        now, before = (sum(v) / len(v) for v in cpu.values())
        print(f"\nmean words/CPU-s: now {now:.0f}, before {before:.0f}; ratio {now / before:.2f}x")


if __name__ == "__main__":
    main()
