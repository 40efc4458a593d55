"""Held-out evaluation of miner's models (never used for training or model selection).

* GENIA ``ud/test.conllu`` with gold tokens: the core components run on Docs built
  from the CoNLL-U words; POS accuracy, UAS/LAS (punctuation excluded, spaCy's
  convention, and included), lemma accuracy.
* BC5CDR test: exact character-span micro P/R/F for CHEMICAL+DISEASE and per label.
* BC2GM test: the official BioCreative II scoring (a prediction is right if it
  matches a GENE.eval mention or one of its ALTGENE.eval alternatives; offsets in
  non-space characters), plus strict GENE.eval-only exact match.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import track
from spacy.language import Language
from spacy.tokens import Doc

from miner.nlp.training.conllu import open_text, read_conllu
from miner.nlp.training.ner_data import (
    BIORED_VARIANT_LABELS,
    PUBTATOR_LABELS,
    char_to_nonspace,
    parse_bc2_eval,
    parse_bc2_sentences,
    parse_pubtator,
)
from miner.nlp.training.tokenizer import guess_spaces


@dataclass
class PRF:
    """True positives, false positives, false negatives -> precision/recall/F1 (in %)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return 100.0 * self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return 100.0 * self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"p": round(self.p, 2), "r": round(self.r, 2), "f": round(self.f, 2), "tp": self.tp, "fp": self.fp, "fn": self.fn}


def span_prf(gold: Iterable[tuple], pred: Iterable[tuple], labels: Iterable[str]) -> dict[str, dict[str, float]]:
    """Exact-match scores of ``(doc, start, end, label)`` tuples: micro over ``labels`` and per label."""
    gold_set, pred_set = set(gold), set(pred)
    out = {}
    total = PRF()
    for label in labels:
        g = {x for x in gold_set if x[-1] == label}
        p = {x for x in pred_set if x[-1] == label}
        s = PRF(len(g & p), len(p - g), len(g - p))
        out[label] = s.as_dict()
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
    out["micro"] = total.as_dict()
    return out


def _timed(texts: list, nlp_fn: Callable[[Iterable], Iterable[Doc]], label: str) -> tuple[list[Doc], float]:
    start = time.perf_counter()
    docs = list(track(nlp_fn(texts), total=len(texts), description=label, transient=True))
    elapsed = time.perf_counter() - start
    words = sum(len(d) for d in docs)
    return docs, words / elapsed if elapsed else 0.0


def evaluate_genia(nlp: Language, test_file: Path) -> dict[str, float]:
    """POS/UAS/LAS/lemma on GENIA ud/test with gold tokenization and gold sentence boundaries."""
    sents = read_conllu(test_file)
    docs_in = [Doc(nlp.vocab, words=s.words, spaces=guess_spaces(s.words)) for s in sents]
    docs, wps = _timed(docs_in, lambda d: nlp.pipe(d, batch_size=64), "GENIA test")
    c = Counter()
    for sent, doc in zip(sents, docs):
        for i, tok in enumerate(doc):
            c["tokens"] += 1
            c["tag"] += tok.tag_ == sent.tags[i]
            if tok.has_morph() or tok.lemma_:
                c["lemma"] += tok.lemma_.lower() == sent.lemmas[i].lower()
            gold_head, gold_dep = sent.heads[i], sent.deps[i].lower()
            pred_head, pred_dep = tok.head.i, tok.dep_.lower()
            uas = pred_head == gold_head
            las = uas and pred_dep == gold_dep
            c["uas_all"] += uas
            c["las_all"] += las
            if gold_dep != "punct":
                c["nopunct"] += 1
                c["uas"] += uas
                c["las"] += las
    return {
        "sentences": len(sents),
        "tokens": c["tokens"],
        "pos_acc": round(100 * c["tag"] / c["tokens"], 2),
        "uas": round(100 * c["uas"] / c["nopunct"], 2),
        "las": round(100 * c["las"] / c["nopunct"], 2),
        "uas_with_punct": round(100 * c["uas_all"] / c["tokens"], 2),
        "las_with_punct": round(100 * c["las_all"] / c["tokens"], 2),
        "lemma_acc": round(100 * c["lemma"] / c["tokens"], 2),
        "words_per_sec": round(wps),
    }


def evaluate_cdr(nlp: Language, test_file: Path, label_map: dict[str, str] | None = None) -> dict:
    """Exact-span CHEMICAL/DISEASE scores on BC5CDR test (title + " " + abstract per document)."""
    return evaluate_cdr_docs(nlp, list(parse_pubtator(open_text(test_file), PUBTATOR_LABELS)), label_map)


def evaluate_cdr_docs(nlp: Language, docs_gold: list, label_map: dict[str, str] | None = None) -> dict:
    """Exact-span CHEMICAL/DISEASE scores of ``nlp`` on PubTator ``TextDoc``s (test, or the selection dev docs)."""
    gold = {(d.id, s, e, label) for d in docs_gold for s, e, label in d.spans}
    docs, wps = _timed([d.text for d in docs_gold], lambda t: nlp.pipe(t, batch_size=16), "BC5CDR")
    pred = set()
    for td, doc in zip(docs_gold, docs):
        for ent in doc.ents:
            label = (label_map or {}).get(ent.label_, ent.label_)
            if label in ("CHEMICAL", "DISEASE"):
                pred.add((td.id, ent.start_char, ent.end_char, label))
    scores = span_prf(gold, pred, ["CHEMICAL", "DISEASE"])
    scores["documents"] = len(docs_gold)
    scores["words_per_sec"] = round(wps)
    return scores


def evaluate_bc2gm(nlp: Language, test_dir: Path, sentences_file: str = "test.in.gz", ids: list[str] | None = None) -> dict:
    """Official BC2GM scoring (GENE + ALTGENE alternatives) and strict GENE-only exact match.

    ``sentences_file``/``ids`` select another split of the same format (the dev split's selection sentences).
    """
    sentences = parse_bc2_sentences(open_text(test_dir / sentences_file))
    genes = parse_bc2_eval(open_text(test_dir / "GENE.eval"))
    alts = parse_bc2_eval(open_text(test_dir / "ALTGENE.eval"))
    ids = list(sentences) if ids is None else ids
    docs, wps = _timed([sentences[i] for i in ids], lambda t: nlp.pipe(t, batch_size=64), "BC2GM test")
    official, strict = PRF(), PRF()
    for sid, doc in zip(ids, docs):
        text = sentences[sid]
        pred = [char_to_nonspace(text, e.start_char, e.end_char) for e in doc.ents if e.label_ == "GENE"]
        gold = [(a, b) for a, b, _ in genes.get(sid, [])]
        # each gold mention accepts its own boundaries and every overlapping ALTGENE boundary
        accepted = [{g} | {(a, b) for a, b, _ in alts.get(sid, []) if a <= g[1] and g[0] <= b} for g in gold]
        matched = [False] * len(gold)
        for p in set(pred):
            hit = next((k for k, acc in enumerate(accepted) if not matched[k] and p in acc), None)
            if hit is None:
                official.fp += 1
            else:
                matched[hit] = True
                official.tp += 1
        official.fn += matched.count(False)
        gs, ps = set(gold), set(pred)
        strict.tp += len(gs & ps)
        strict.fp += len(ps - gs)
        strict.fn += len(gs - ps)
    return {
        "sentences": len(ids),
        "official": official.as_dict(),
        "strict": strict.as_dict(),
        "words_per_sec": round(wps),
    }



def _overlaps(a: tuple[int, int], pool: Iterable[tuple[int, int]]) -> bool:
    return any(a[0] < b[1] and b[0] < a[1] for b in pool)


def evaluate_variants(nlp: Language, pubtator_file: Path) -> dict:
    """VARIANT mentions against BioRED's ``SequenceVariant`` spans: exact character spans and overlap matching.

    Overlap scoring: precision is the share of predicted VARIANTs that overlap a gold mention, recall the share
    of gold mentions overlapped by a prediction (BioRED spans often hold words such as "substitution at codon",
    which the pattern recognizer leaves out, or leave out the gene it includes).
    """
    docs_gold = list(parse_pubtator(open_text(pubtator_file), BIORED_VARIANT_LABELS))
    docs, wps = _timed([d.text for d in docs_gold], lambda t: nlp.pipe(t, batch_size=16), "BioRED variants")
    exact = PRF()
    n_pred = n_pred_hit = n_gold = n_gold_hit = 0
    for td, doc in zip(docs_gold, docs):
        gold = {(s, e) for s, e, _ in td.spans}
        pred = {(e.start_char, e.end_char) for e in doc.ents if e.label_ == "VARIANT"}
        exact.tp += len(gold & pred)
        exact.fp += len(pred - gold)
        exact.fn += len(gold - pred)
        n_pred += len(pred)
        n_pred_hit += sum(_overlaps(p, gold) for p in pred)
        n_gold += len(gold)
        n_gold_hit += sum(_overlaps(g, pred) for g in gold)
    p = 100.0 * n_pred_hit / n_pred if n_pred else 0.0
    r = 100.0 * n_gold_hit / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "documents": len(docs_gold),
        "gold": n_gold,
        "predicted": n_pred,
        "exact": exact.as_dict(),
        "overlap": {"p": round(p, 2), "r": round(r, 2), "f": round(f, 2), "pred_hit": n_pred_hit, "gold_hit": n_gold_hit},
        "words_per_sec": round(wps),
    }
