"""Scores on the *selection* dev sets, for decisions about the pipeline (never the held-out test sets).

* BC5CDR: the last ``CDR_DEV_DOCS`` documents of the official dev set, kept out of the training of the runs that
  decided ner_cdr's design (``training/corpus/cdr_train.spacy``). The *shipped* ner_cdr runs were then trained on all
  documents (``cdr_all``, session 5), so its figures on them are training-set figures: to decide something about
  ner_cdr, compare runs trained on ``cdr_train.spacy`` (``--paths.train``), as the registry's runs did before;
* BC2GM: the first ``GENE_DEV_SENTENCES`` sentences of the dev split, kept out of ner_gene's training.

Run: ``python -m miner.nlp.training.dev_eval [--without COMPONENT ...]`` to score the full pipeline (and the bare NER
models) with some rule components disabled, e.g. to check that a document-level rule helps before it is kept.
"""

from __future__ import annotations

import argparse
import json

from miner.config import SHARED_DIR
from miner.nlp.training.conllu import open_text
from miner.nlp.training.convert import CDR_DEV_DOCS, GENE_DEV_SENTENCES
from miner.nlp.training.evaluate import evaluate_bc2gm, evaluate_cdr_docs
from miner.nlp.training.ner_data import PUBTATOR_LABELS, parse_bc2_sentences, parse_pubtator

BC5CDR_DEV = SHARED_DIR / "data" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt.gz"
BC2GM_DEV_DIR = SHARED_DIR / "data" / "bc2gm" / "devel-split" / "devel"


def cdr_selection_docs() -> list:
    """The BC5CDR selection dev documents (held out of ``cdr_train.spacy``; the shipped ner_cdr runs trained on them)."""
    return list(parse_pubtator(open_text(BC5CDR_DEV), PUBTATOR_LABELS))[-CDR_DEV_DOCS:]


def gene_selection_ids() -> list[str]:
    """IDs of the BC2GM dev-split sentences held out of ner_gene's training."""
    return list(parse_bc2_sentences(open_text(BC2GM_DEV_DIR / "devel.in")))[:GENE_DEV_SENTENCES]


def score_dev(nlp, which: tuple[str, ...] = ("cdr", "bc2gm")) -> dict:
    """Selection-dev scores of ``nlp`` (any pipeline that sets ``doc.ents``)."""
    out = {}
    if "cdr" in which:
        out["cdr_dev"] = evaluate_cdr_docs(nlp, cdr_selection_docs())
    if "bc2gm" in which:
        out["bc2gm_dev"] = evaluate_bc2gm(nlp, BC2GM_DEV_DIR, "devel.in", gene_selection_ids())
    return out


def main(argv: list[str] | None = None) -> None:
    from miner.nlp.pipeline import DEFAULT_MODELS_DIR, build_pipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without", nargs="*", default=[], help="pipeline components to disable")
    parser.add_argument("--which", nargs="*", default=["cdr", "bc2gm"])
    parser.add_argument("--models", default=str(DEFAULT_MODELS_DIR))
    args = parser.parse_args(argv)
    from pathlib import Path

    nlp = build_pipeline(Path(args.models))
    for name in args.without:
        nlp.disable_pipe(name)
    scores = score_dev(nlp, tuple(args.which))
    brief = {k: ({lab: v[lab]["f"] for lab in ("CHEMICAL", "DISEASE", "micro")} if k == "cdr_dev" else
                 {m: v[m]["f"] for m in ("official", "strict")}) for k, v in scores.items()}
    print(json.dumps({"without": args.without, "f": brief, "scores": scores}, indent=1))


if __name__ == "__main__":
    main()
