"""Build, train, score and package the relation component ``miner_relation``.

    python -m miner.extract.relation.train convert    # miner's pipeline over the training/dev documents -> .spacy
    python -m miner.extract.relation.train train      # spacy train configs/relation.cfg (single-threaded)
    python -m miner.extract.relation.train evaluate   # dev figures (candidate level and findings level)
    python -m miner.extract.relation.train package    # model-best -> models/relation (8-bit, no vectors copy)
    python -m miner.extract.relation.train all        # the four in order
    python -m miner.extract.relation.train silver     # rule findings on silver texts (relation/silver.py)
    python -m miner.extract.relation.train convert --silver training/corpus/relation_silver_findings.jsonl

Files: ``training/corpus/relation_{train,select,dev_abstracts,dev_civic}.spacy`` (+ ``relation_stats.json``),
``training/output/relation/`` (checkpoints), ``training/logs/relation.log``, ``training/output/relation_eval.json``.
Training data: the development abstracts' ``train`` split and CIViC ``train`` (one document in seven of them is
the checkpoint-selection set ``relation_select``); ``dev`` documents are only scored. ``--config`` trains another
config (e.g. ``configs/relation_vectors.cfg``), ``--vectors`` passes ``paths.vectors``.

Options measured in session 7 and not adopted (BENCHMARKS.md, "Relation component, session 7"; the shipped model
uses none of them): silver labels from the rule reader (``silver`` + ``convert --silver``), cross-sentence
candidates (``convert --neighbours``, with rows aligned across the sentence boundary), cue-word features
(``--set components.miner_relation.model.create_instance_tensor.cue_features=true``) and thresholds chosen on the
selection set (:func:`choose_thresholds`).
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


def _silver_docs(nlp, findings: list[dict[str, Any]], skip: set[str], neighbours: bool, weight: float,
                 select_groups: bool = False) -> tuple[list, dict[str, Any]]:
    """Training Docs of the silver texts that are no gold document (``skip``) and hold a confident rule finding,
    labelled by :func:`miner.extract.relation.silver.label_silver`; texts of a selection group are left out."""
    from collections import Counter

    from miner.extract.mentions import default_resolver
    from miner.extract.relation.candidates import candidate_pairs, default_keep, doc_arguments
    from miner.extract.relation.data import is_selection_doc, training_doc
    from miner.extract.relation.silver import is_confident, label_silver, silver_texts

    by_doc: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        if is_confident(f):
            by_doc.setdefault(f["doc_id"], []).append(f)
    resolver = default_resolver()
    texts = [(d, t, g) for d, t, g in silver_texts() if d in by_doc and d not in skip and not is_selection_doc(g)]
    docs, labels = [], Counter()
    for doc, (doc_id, group) in nlp.pipe(((t, (d, g)) for d, t, g in texts), as_tuples=True, batch_size=16):
        args = doc_arguments(doc, resolver)
        cands = candidate_pairs(doc, keep=default_keep, neighbours=neighbours, resolver=resolver, args=args)
        gold = label_silver(doc, cands, by_doc[doc_id])
        if any(y >= 0 for y, _d in gold):
            docs.append(training_doc(doc, cands, gold, doc_id, group, weights=[weight] * len(gold)))
        for c, (y, _d) in zip(cands, gold):
            labels[f"{c.kind}:{'ignored' if y < 0 else (DD_NAMES[y] if c.kind == 'DD' else ('none', 'resistance')[y])}"] += 1
    return docs, {"texts": len(texts), "documents": len(docs), "labels": dict(labels)}


DD_NAMES = ("none", "cross_resistance", "reduced_efficacy", "no_cross_resistance", "collateral_sensitivity")
SILVER_FILE = CORPUS_DIR / "relation_silver_findings.jsonl"


def silver(out: Path = SILVER_FILE) -> Path:
    """The rule reader (rules alone) over the silver texts -> a JSONL file of findings (see
    :mod:`miner.extract.relation.silver`)."""
    from miner.extract.relation.silver import rule_findings, silver_texts

    texts = silver_texts()
    t0 = time.perf_counter()
    found = rule_findings(texts, out=out)
    _log(f"silver: {len(texts)} texts, {len(found)} rule findings ({time.perf_counter() - t0:.0f} s) -> {out}")
    return out


def convert(out: Path = CORPUS_DIR, neighbours: bool = False, with_civic: bool = True,
            silver_findings: Path | None = None, silver_weight: float | None = None) -> dict[str, Any]:
    """Parse the training and dev documents with miner's pipeline and write the labelled candidates.

    With ``silver_findings`` (a file written by :func:`silver`), the confident rule findings label the pairs gold
    leaves unlabelled in the training documents and give silver training documents of their own (weight
    ``silver_weight``; never in the selection set)."""
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

    from miner.extract.relation.candidates import get_candidates
    from miner.extract.relation.component import GOLD_KEY, WEIGHT_KEY
    from miner.extract.relation.data import DOC_ID_KEY
    from miner.extract.relation.silver import SILVER_WEIGHT, label_silver, merge_labels, read_findings

    nlp = miner.nlp.load()
    weight = SILVER_WEIGHT if silver_weight is None else float(silver_weight)
    silver_rows: list[dict[str, Any]] = read_findings(silver_findings) if silver_findings else []
    silver_by_doc: dict[str, list[dict[str, Any]]] = {}
    for f in silver_rows:
        silver_by_doc.setdefault(f["doc_id"], []).append(f)
    sets = {
        "train": abstract_sources("train") + (civic_sources("train") if with_civic else []),
        "dev_abstracts": abstract_sources("dev"),
        "dev_civic": civic_sources("dev") if with_civic else [],
    }
    stats: dict[str, Any] = {"neighbours": neighbours, "silver": str(silver_findings or ""), "silver_weight": weight}
    for name, sources in sets.items():
        t0 = time.perf_counter()
        docs, st = convert_sources(sources, nlp, neighbours=neighbours)
        _log(f"{name}: {len(sources)} documents, {st.summary()} ({time.perf_counter() - t0:.0f} s)")
        stats[name] = {"documents": len(sources), "candidates": st.candidates, "labels": dict(st.labels),
                       "rows": st.rows, "rows_aligned": st.rows_aligned, "unaligned_rows": st.unaligned}
        if name == "train":
            extra: list = []
            if silver_rows:
                used = 0
                for d in docs:  # silver under gold in the training (never the selection) documents
                    rows = silver_by_doc.get(d.user_data[DOC_ID_KEY])
                    if rows and not is_selection_doc(d.user_data[GROUP_KEY]):
                        merged, weights, n = merge_labels(d.user_data[GOLD_KEY], label_silver(d, get_candidates(d), rows),
                                                          weight)
                        d.user_data[GOLD_KEY] = [list(g) for g in merged]
                        if n:
                            d.user_data[WEIGHT_KEY] = weights
                        used += n
                extra, sst = _silver_docs(nlp, silver_rows, {s.doc_id for s in sources}, neighbours, weight)
                stats["silver"] = {"file": str(silver_findings), "labels_in_gold_documents": used, **sst}
                _log(f"silver: {used} labels in gold training documents; {sst}")
            labelled = [d for d in docs if _has_labels(d)]
            select = cap_groups([d for d in labelled if is_selection_doc(d.user_data[GROUP_KEY])], MAX_SELECT_PER_GROUP)
            train = cap_groups([d for d in labelled if not is_selection_doc(d.user_data[GROUP_KEY])] + extra,
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


THRESHOLD_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def choose_thresholds(model_path: Path, corpus: Path | None = None,
                      grid: tuple[float, ...] = THRESHOLD_GRID) -> dict[str, Any]:
    """The acceptance thresholds (``threshold`` for prior pairs, ``mechanism_threshold`` for gene pairs) that give
    the best relation F on the selection set (``relation_select``; never a dev set). Ties go to the higher
    precision, then to the value nearer 0.5. Returns the two thresholds and the selection figures at each."""
    import spacy

    from miner.extract.relation import _static_vectors_width
    from miner.extract.relation.data import make_relation_corpus

    corpus = corpus or CORPUS_DIR / "relation_select.spacy"
    nlp = spacy.load(model_path)
    comp = nlp.get_pipe("miner_relation")
    if _static_vectors_width(comp) and not nlp.vocab.vectors.shape[0]:
        from miner.nlp.pipeline import share_vectors

        share_vectors(nlp, spacy.load(REPO_ROOT / "models" / "ner_variant"))
    examples = list(make_relation_corpus(corpus)(nlp))
    table = []
    for t in grid:
        comp.cfg.update(threshold=t, mechanism_threshold=t)
        table.append((t, nlp.evaluate(examples)))
    out: dict[str, Any] = {"selection_set": str(corpus)}
    for key, kind in (("threshold", "prior"), ("mechanism_threshold", "mechanism")):
        best = max(table, key=lambda row: (round(row[1][f"rel_{kind}_f"], 6), round(row[1][f"rel_{kind}_p"], 6),
                                           -abs(row[0] - 0.5)))
        out[key] = best[0]
        out[f"{kind}_at"] = {str(t): {m: round(float(sc[f"rel_{kind}_{m}"]), 4) for m in ("p", "r", "f")}
                             for t, sc in table}
    return out


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
    ap.add_argument("step", choices=("silver", "convert", "train", "evaluate", "package", "all"))
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--output", type=Path, default=OUTPUT_DIR)
    ap.add_argument("--vectors", default=None, help="paths.vectors for a config with static vectors")
    ap.add_argument("--neighbours", action="store_true", help="convert: also pairs across neighbouring sentences")
    ap.add_argument("--silver", type=Path, default=None, metavar="FINDINGS",
                    help="silver: where to write the rule findings; convert: label with them (see relation/silver.py)")
    ap.add_argument("--silver-weight", type=float, default=None, help="convert: loss weight of a silver label")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="train: a spacy train config override (repeatable), e.g. components.miner_relation.none_weight=0.5")
    ap.add_argument("--model", type=Path, default=None, help="evaluate: the model to score (default model-best)")
    ap.add_argument("--eval-out", type=Path, default=EVAL_FILE)
    ap.add_argument("--log", type=Path, default=LOG_FILE, help="train: the spacy train log")
    ap.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="where convert writes / evaluate reads the .spacy files")
    args = ap.parse_args(argv)
    try:
        if args.step == "silver":
            silver(args.silver or SILVER_FILE)
        if args.step in ("convert", "all"):
            convert(args.corpus, neighbours=args.neighbours, silver_findings=args.silver,
                    silver_weight=args.silver_weight)
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
