"""Build, train, score and package the relation component ``miner_relation``.

    python -m miner.extract.relation.train convert    # miner's pipeline over the training/dev documents -> .spacy
    python -m miner.extract.relation.train train      # spacy train configs/relation.cfg (single-threaded)
    python -m miner.extract.relation.train evaluate   # dev figures (candidate level and findings level)
    python -m miner.extract.relation.train package    # model-best -> models/relation (8-bit, no vectors copy)
    python -m miner.extract.relation.train all        # the four in order

Files: ``training/corpus/relation_{train,select,dev_abstracts,dev_civic}.spacy`` (+ ``relation_stats.json``),
``training/output/relation/`` (checkpoints), ``training/logs/relation.log``, ``training/output/relation_eval.json``.
Training data: the development abstracts' ``train`` split and CIViC ``train`` (one document in seven of them is
the checkpoint-selection set ``relation_select``); ``dev`` documents are only scored. ``--config`` trains another
config (e.g. ``configs/relation_vectors.cfg``), ``--vectors`` passes ``paths.vectors``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from miner.config import REPO_ROOT
from miner.errors import MinerError

TRAINING_DIR = REPO_ROOT / "training"
CORPUS_DIR = TRAINING_DIR / "corpus"
OUTPUT_DIR = TRAINING_DIR / "output" / "relation"
LOG_FILE = TRAINING_DIR / "logs" / "relation.log"
EVAL_FILE = TRAINING_DIR / "output" / "relation_eval.json"
CONFIG = REPO_ROOT / "configs" / "relation.cfg"
PACKAGE_DIR = REPO_ROOT / "models" / "relation"
CODE_FILE = Path(__file__).with_name("spacy_code.py")
VERSION = "0.1.0"
CORPUS_FILES = ("relation_train", "relation_select", "relation_dev_abstracts", "relation_dev_civic")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _has_labels(doc) -> bool:
    from miner.extract.relation.component import GOLD_KEY

    return any(int(y) >= 0 for y, _d in doc.user_data.get(GOLD_KEY, ()))


def convert(out: Path = CORPUS_DIR, neighbours: bool = False, with_civic: bool = True) -> dict[str, Any]:
    """Parse the training and dev documents with miner's pipeline and write the labelled candidates."""
    import miner.nlp
    from miner.extract.relation.data import (
        GROUP_KEY,
        MAX_SELECT_PER_GROUP,
        MAX_TRAIN_PER_GROUP,
        cap_groups,
        abstract_sources,
        civic_sources,
        convert_sources,
        is_selection_doc,
        save_docbin,
    )

    nlp = miner.nlp.load()
    sets = {
        "train": abstract_sources("train") + (civic_sources("train") if with_civic else []),
        "dev_abstracts": abstract_sources("dev"),
        "dev_civic": civic_sources("dev") if with_civic else [],
    }
    stats: dict[str, Any] = {"neighbours": neighbours}
    for name, sources in sets.items():
        t0 = time.perf_counter()
        docs, st = convert_sources(sources, nlp, neighbours=neighbours)
        _log(f"{name}: {len(sources)} documents, {st.summary()} ({time.perf_counter() - t0:.0f} s)")
        stats[name] = {"documents": len(sources), "candidates": st.candidates, "labels": dict(st.labels),
                       "rows": st.rows, "rows_aligned": st.rows_aligned, "unaligned_rows": st.unaligned}
        if name == "train":
            labelled = [d for d in docs if _has_labels(d)]
            select = cap_groups([d for d in labelled if is_selection_doc(d.user_data[GROUP_KEY])], MAX_SELECT_PER_GROUP)
            train = cap_groups([d for d in labelled if not is_selection_doc(d.user_data[GROUP_KEY])],
                               MAX_TRAIN_PER_GROUP)
            stats["train"]["train_docs"], stats["train"]["select_docs"] = len(train), len(select)
            save_docbin(train, out / "relation_train.spacy")
            save_docbin(select, out / "relation_select.spacy")
        else:
            save_docbin(docs, out / f"relation_{name}.spacy")
    (out / "relation_stats.json").write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    return stats


def train(config: Path = CONFIG, output: Path = OUTPUT_DIR, overrides: dict[str, str] | None = None,
          log: Path = LOG_FILE, corpus: Path = CORPUS_DIR) -> Path:
    """``spacy train`` in a subprocess with single-threaded BLAS; returns the output directory."""
    overrides = dict(overrides or {})
    if corpus != CORPUS_DIR:
        overrides.setdefault("paths.train", str(corpus / "relation_train.spacy"))
        overrides.setdefault("paths.dev", str(corpus / "relation_select.spacy"))
    if not (corpus / "relation_train.spacy").is_file():
        raise MinerError("no converted relation corpus; run `python -m miner.extract.relation.train convert` first")
    cmd = [sys.executable, "-W", "ignore", "-m", "spacy", "train", str(config), "--output", str(output),
           "--code", str(CODE_FILE)]
    for key, value in overrides.items():
        cmd += [f"--{key}", str(value)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise MinerError(f"training the relation component failed (exit {proc.returncode}); see {log}")
    return output


# -- evaluation ---------------------------------------------------------------------------------------


def candidate_scores(model_path: Path, corpus: Path, **cfg) -> dict[str, float]:
    """The component's P/R/F on the stored candidates of one ``.spacy`` file (entities as miner's pipeline found
    them; a relation is right with its label and, for prior pairs, its direction)."""
    import spacy

    from miner.extract.relation.data import make_relation_corpus

    from miner.extract.relation import _static_vectors_width

    nlp = spacy.load(model_path)
    comp = nlp.get_pipe("miner_relation")
    comp.cfg.update(cfg)
    if _static_vectors_width(comp) and not nlp.vocab.vectors.shape[0]:
        # a package stores no vectors table: give it the one miner's pipeline would (ner_variant's = ner_cdr's)
        from miner.nlp.pipeline import share_vectors

        share_vectors(nlp, spacy.load(REPO_ROOT / "models" / "ner_variant"))
    examples = list(make_relation_corpus(corpus)(nlp))
    scores = nlp.evaluate(examples)
    return {k: round(float(v), 4) for k, v in scores.items() if k.startswith("rel_")}


def _scores(result, slice_name: str) -> dict[str, dict[str, float]]:
    out = {}
    for level in ("pair", "pair+effect", "full"):
        try:
            row = result.score(level=level, slice=slice_name)
        except KeyError:
            continue
        out[level] = {k: (round(float(row[k]), 4) if k in ("precision", "recall", "f1") else int(row[k]))
                      for k in ("tp", "fp", "fn", "precision", "recall", "f1")}
    return out


def findings_scores(model_path: Path, which: str = "abstracts", **cfg) -> dict[str, Any]:
    """End-to-end dev figures: miner's pipeline + the relation component on the dev documents, its relations as
    findings (:func:`miner.extract.relation.findings.relation_findings`), scored per document by
    :func:`miner.evaluate.evaluate` against the dev rows; the rule reader's findings (``extract_docs``) and the
    union of both are scored the same way for comparison."""
    import miner.nlp
    from miner.evaluate import evaluate
    from miner.extract import extract_docs
    from miner.extract.relation import add_relation_component
    from miner.extract.relation.data import abstract_sources, civic_sources
    from miner.extract.relation.findings import relation_findings
    from miner.schema import Finding

    sources = abstract_sources("dev") if which == "abstracts" else civic_sources("dev")
    gold = [Finding.from_dict(dict(r, doc_id=s.doc_id)) for s in sources for r in s.rows]
    covered = [s.doc_id for s in sources]
    nlp = miner.nlp.load()
    t0 = time.process_time()
    rules = list(extract_docs(sources, nlp=nlp))
    rules_cpu = time.process_time() - t0
    add_relation_component(nlp, model_path, **cfg)
    try:
        t0 = time.process_time()
        model: list[Finding] = []
        for doc, s in nlp.pipe(((s.text, s) for s in sources), as_tuples=True, batch_size=16):
            model.extend(relation_findings(doc, s.doc_id))
        model_cpu = time.process_time() - t0
    finally:
        nlp.remove_pipe("miner_relation")
    out: dict[str, Any] = {"documents": len(sources), "gold_rows": len(gold),
                           "cpu_seconds": {"rules (extract_docs)": round(rules_cpu, 1),
                                           "pipeline + miner_relation": round(model_cpu, 1)}}
    for name, pred in (("rules", rules), ("model", model), ("rules+model", rules + model)):
        if not pred:
            out[name] = {"sequential": {}, "single_drug": {}, "predictions": 0}
            continue
        result = evaluate(gold, pred, documents=covered)
        out[name] = {"sequential": _scores(result, "sequential"), "single_drug": _scores(result, "single_drug"),
                     "predictions": len(pred)}
    return out


def evaluate_all(model_path: Path | None = None, out: Path = EVAL_FILE, corpus: Path = CORPUS_DIR,
                 **cfg) -> dict[str, Any]:
    model_path = model_path or OUTPUT_DIR / "model-best"
    result: dict[str, Any] = {"model": str(model_path), "settings": cfg}
    for name in ("relation_select", "relation_dev_abstracts", "relation_dev_civic"):
        path = corpus / f"{name}.spacy"
        if path.is_file():
            result[f"candidates:{name}"] = candidate_scores(model_path, path, **cfg)
            _log(f"{name}: {result[f'candidates:{name}']}")
    for which in ("abstracts", "civic"):
        result[f"findings:{which}_dev"] = findings_scores(model_path, which, **cfg)
        _log(f"findings {which} dev: {json.dumps(result[f'findings:{which}_dev'])}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


# -- packaging -----------------------------------------------------------------------------------------


def package(checkpoint: Path | None = None, dest: Path = PACKAGE_DIR) -> Path:
    """Copy a checkpoint (default: model-best) to ``models/relation``: weights 8-bit, no static-vectors table (a
    model trained with vectors reads the pipeline's), the model card kept."""
    import spacy
    from spacy.vectors import Vectors

    import miner.extract.relation.component  # noqa: F401  (the factory, whether or not its entry point is installed)

    checkpoint = checkpoint or OUTPUT_DIR / "model-best"
    if not (checkpoint / "config.cfg").is_file():
        raise MinerError(f"no trained relation model at {checkpoint}; run `python -m miner.extract.relation.train train`")
    nlp = spacy.load(checkpoint)
    nlp.get_pipe("miner_relation").cfg["store_8bit"] = True
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, shape=(0, 0))
    nlp.meta.update({
        "name": "miner_relation",
        "version": VERSION,
        "description": "Relation classifier over miner's entities: (drug, prior drug) -> effect + direction, "
                       "(drug, gene/variant) -> resistance; own CNN tok2vec; weights stored 8-bit.",
        "license": "see models/README.md (training data licences)",
        "author": "miner project",
        "sources": [{"name": "miner development abstracts (annotations/dev), train split only"},
                    {"name": "CIViC evidence statements (CC0), train split only (miner.evaluate.civic)"}],
        "notes": "Needs miner's pipeline for its input (entities, drug sub-labels, sentences): "
                 "miner.extract.relation.add_relation_component(miner.nlp.load()).",
    })
    nlp.meta.pop("performance", None)
    from miner.nlp.training.package import write_package

    return write_package(nlp, dest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("convert", "train", "evaluate", "package", "all"))
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--output", type=Path, default=OUTPUT_DIR)
    ap.add_argument("--vectors", default=None, help="paths.vectors for a config with static vectors")
    ap.add_argument("--neighbours", action="store_true", help="convert: also pairs across neighbouring sentences")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="train: a spacy train config override (repeatable), e.g. components.miner_relation.none_weight=0.5")
    ap.add_argument("--model", type=Path, default=None, help="evaluate: the model to score (default model-best)")
    ap.add_argument("--eval-out", type=Path, default=EVAL_FILE)
    ap.add_argument("--log", type=Path, default=LOG_FILE, help="train: the spacy train log")
    ap.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="where convert writes / evaluate reads the .spacy files")
    args = ap.parse_args(argv)
    try:
        if args.step in ("convert", "all"):
            convert(args.corpus, neighbours=args.neighbours)
        if args.step in ("train", "all"):
            overrides = {}
            if args.vectors:
                overrides["paths.vectors"] = args.vectors
            if args.max_steps:
                overrides["training.max_steps"] = str(args.max_steps)
            for item in args.set:
                key, _, value = item.partition("=")
                overrides[key] = value
            train(args.config, args.output, overrides, log=args.log, corpus=args.corpus)
        if args.step in ("evaluate", "all"):
            evaluate_all(args.model or args.output / "model-best", args.eval_out, args.corpus,
                         **({"neighbours": True} if args.neighbours else {}))
        if args.step in ("package", "all"):
            _log(f"packaged {package(args.output / 'model-best')}")
    except MinerError as exc:
        _log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
