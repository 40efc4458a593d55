"""Silver CHEMICAL/DISEASE annotations: an ensemble of ner_cdr runs votes on unlabelled abstracts.

Ensemble distillation (Bucilă et al. 2006, "Model compression"; Hinton et al. 2015, "Distilling the knowledge in a
neural network"): several recognizers trained on BC5CDR with different seeds and hyper-parameters ("teachers") agree
more often on right spans than on wrong ones, so a span-level majority vote is a better tagger than any one of them
(on the BC5CDR selection dev documents 3 of 5 beat the best single run by 0.6 F1). This module tried to compress that
vote into one student model: the vote labels the shared abstracts that have no BC5CDR annotation (BioRED outside
BC5CDR, GENIA, HoC, DrugProt, MEDLINE, drug-combo) and one student is trained on the gold documents plus these silver
ones. (The shipped ``ner_cdr`` is now the vote itself, stored 8-bit: :mod:`miner.nlp.ensemble`.)

Measured and **not adopted** (BENCHMARKS.md, session 4): students trained on BC5CDR gold plus these silver documents
reached 86.00-86.64 best selection-dev F1 against the shipped single model's 86.84. The module stays as the tool that
reproduces that experiment (teachers: ``spacy train configs/ner_cdr.cfg --system.seed N`` and the like).

Held-out texts never become silver data: :func:`miner.nlp.training.vectors.iter_texts` drops every document of a
held-out test set (BC5CDR test, BioRED test, GENIA test, BC2GM/BioNLP13CG test sentences), and BC5CDR's own
documents (train, dev, and the selection dev documents among them) are not relabelled.

Run: ``python -m miner.nlp.training.silver --teachers DIR [DIR ...] --out training/corpus/cdr_silver.spacy``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from miner.config import SHARED_DIR
from miner.nlp.ensemble import vote
from miner.nlp.training.ner_data import TextDoc

#: unlabelled sources relabelled by default: abstracts, not BC5CDR's own (gold) documents; the BC2GM and BioNLP13CG
#: sentences are left out (gene-centred single sentences, few chemicals or diseases)
SILVER_SOURCES = ("biored", "genia", "hoc", "drugprot", "medline", "drug-combo")
#: spans predicted by at least this many teachers are kept: a majority of five (on the BC5CDR selection dev documents
#: the five teachers score 85.04-85.90 alone, 86.40 with 2 votes, 86.49 with 3, 85.98 with 4)
MIN_VOTES = 3
#: CHEMICAL/DISEASE labels voted on
LABELS = ("CHEMICAL", "DISEASE")

Span = tuple[int, int, str]


def predict(model_dir: str, texts: Sequence[str], batch_size: int = 32) -> list[list[Span]]:
    """Character spans of CHEMICAL/DISEASE entities one teacher predicts on each text."""
    import spacy

    import miner.nlp.training.tokenizer  # noqa: F401  (registers the scispacy tokenizer the teachers were saved with)

    nlp = spacy.load(model_dir)
    return [
        [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS]
        for doc in nlp.pipe(texts, batch_size=batch_size)
    ]


def unlabelled_texts(data: Path, sources: Sequence[str] = SILVER_SOURCES, stats: dict[str, int] | None = None) -> list[str]:
    """The texts of ``sources`` in ``data``, held-out test documents and BC5CDR's documents excluded."""
    from miner.nlp.training.vectors import collect_heldout, iter_texts

    return list(iter_texts(data, collect_heldout(data), stats, sources=set(sources)))


def _cache_key(teachers: Sequence[Path], texts: Sequence[str]) -> dict:
    """What the cached predictions were made from: the teachers (path, saved time) and the texts' digest."""
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()
    saved = [(t / "meta.json").stat().st_mtime if (t / "meta.json").exists() else 0 for t in teachers]
    return {"teachers": [[str(t), when] for t, when in zip(teachers, saved)], "texts": digest}


def _predict_all(teachers: Sequence[Path], texts: Sequence[str], workers: int, cache: Path) -> list[list[list[Span]]]:
    """Every teacher's spans on every text, run in parallel processes; cached beside the output, so that another
    ``min_votes`` does not run the teachers again (they take minutes each)."""
    from miner.nlp.training.convert import console

    key = _cache_key(teachers, texts)
    if cache.is_file():
        with gzip.open(cache, "rt") as fh:
            cached = json.load(fh)
        if cached["key"] == key:
            console.print(f"  teachers' predictions read from {cache}")
            return [[[tuple(s) for s in spans] for spans in pred] for pred in cached["predictions"]]
    per_teacher: list[list[list[Span]]] = [[] for _ in teachers]
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(predict, str(t), list(texts)): i for i, t in enumerate(teachers)}
        for done, future in enumerate(as_completed(futures), 1):
            i = futures[future]
            per_teacher[i] = future.result()
            console.print(f"  teacher {done}/{len(teachers)} done: {teachers[i]} ({sum(map(len, per_teacher[i]))} spans)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(cache, "wt") as fh:
        json.dump({"key": key, "predictions": per_teacher}, fh)
    return per_teacher


def build(
    teachers: Sequence[Path], out: Path, data: Path, min_votes: int = MIN_VOTES,
    sources: Sequence[str] = SILVER_SOURCES, workers: int = 1,
) -> dict:
    """Label the unlabelled texts with the teachers' vote and save them as a DocBin; returns statistics."""
    from miner.nlp.training.convert import console, ner_docs, save_docs

    if min_votes > len(teachers):
        raise ValueError(f"min_votes {min_votes} > {len(teachers)} teachers")
    counts: dict[str, int] = {}
    texts = unlabelled_texts(data, sources, counts)
    console.print(f"  {len(texts)} unlabelled texts; {len(teachers)} teachers, {min_votes} votes needed")
    cache_path = out.with_name(out.stem + ".predictions.json.gz")
    per_teacher = _predict_all(teachers, texts, workers, cache_path)
    voted = (TextDoc(str(i), text, vote([pred[i] for pred in per_teacher], min_votes)) for i, text in enumerate(texts))
    docs = ner_docs(voted, "silver")
    save_docs(docs, out)
    stats = {
        "teachers": [str(t) for t in teachers], "min_votes": min_votes, "texts": counts, "documents": len(docs),
        "entities": dict(Counter(e.label_ for doc in docs for e in doc.ents)),
        "teacher_entities": [sum(len(p) for p in pred) for pred in per_teacher],
    }
    out.with_suffix(".json").write_text(json.dumps(stats, indent=1) + "\n")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", nargs="+", required=True, type=Path, help="trained ner_cdr pipelines (model-best dirs)")
    parser.add_argument("--out", type=Path, default=Path("training/corpus/cdr_silver.spacy"))
    parser.add_argument("--min-votes", type=int, default=MIN_VOTES)
    parser.add_argument("--sources", nargs="+", default=list(SILVER_SOURCES))
    parser.add_argument("--workers", type=int, default=1, help="teachers run in parallel processes")
    parser.add_argument("--shared", type=Path, default=SHARED_DIR)
    args = parser.parse_args(argv)
    stats = build(args.teachers, args.out, args.shared / "data", args.min_votes, args.sources, args.workers)
    print(json.dumps({k: v for k, v in stats.items() if k != "teachers"}, indent=1))


if __name__ == "__main__":
    main()
