"""Cross-corpus evaluation: the pipeline on text it was not trained on (``miner models evaluate --only biored|abstracts``).

In-corpus test figures (BC5CDR, BC2GM) overstate how a recognizer does elsewhere (HunFlair2, Sänger et al. 2024).
Two figures read miner's entities on other text:

* **BioRED test** (100 abstracts, none in BC5CDR/BC2GM training), types mapped to miner's labels
  (:data:`BIORED_LABELS`): ChemicalEntity -> CHEMICAL, DiseaseOrPhenotypicFeature -> DISEASE, GeneOrGeneProduct ->
  GENE. Exact and overlap P/R/F1 per label and micro. BioRED annotates with other guidelines than the training
  corpora, so part of every error is a convention, not a miss (documented with figures in BENCHMARKS.md): drug
  classes and enzyme substrates are chemicals in BioRED ("NSAIDs"), ions are not always; gene families and protein
  complexes are GENE in BioRED where BC2GM has other boundaries ("p53 protein" vs "p53"); BioRED's disease type also
  covers phenotypes and symptoms, as BC5CDR's does, but BioRED keeps modifiers BC5CDR drops less often. Species,
  cell lines and variants are not scored here (variants: ``--only variants``).
* **Entity recall on the annotated development abstracts** (``annotations/dev/abstracts.jsonl``, the documents of
  ../shared/data/crossres-abstracts): only the strings of the gold rows are used. A row's ``drug`` and ``prior_drug``
  (split into parts at "+", "/", ",", " and ", " plus ", " or "), its ``cancer`` and the HGNC symbols of
  ``mechanism_genes`` are looked up in the row's evidence quote (the cancer also anywhere in the document, where the
  annotators found it; a gene as its symbol or any curated alias). Each located string is one gold mention, counted
  once per document and place; it is *recalled* when an entity of the expected kind overlaps it (CHEMICAL for drugs;
  DISEASE for cancers; GENE or VARIANT for genes) and *exact* when one has its very extent. Strings not found in the
  text ("anti-EGFR plus chemotherapy" is a paraphrase) are counted as not located. The reported figure is on the
  ``dev`` split of ``annotations/dev/split.json``; ``train`` is printed beside it. For cancers, the normalized type
  of the entity (:mod:`miner.nlp.cancers`) is also compared with the normalization of the row's string.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from spacy.language import Language

from miner.config import REPO_ROOT, SHARED_DIR
from miner.nlp.training.conllu import open_text
from miner.nlp.training.evaluate import PRF, _timed
from miner.nlp.training.ner_data import parse_pubtator

BIORED_LABELS = {"ChemicalEntity": "CHEMICAL", "DiseaseOrPhenotypicFeature": "DISEASE", "GeneOrGeneProduct": "GENE"}
CROSS_LABELS = ("CHEMICAL", "DISEASE", "GENE")
DEV_DIR = REPO_ROOT / "annotations" / "dev"
CROSSRES_XML = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
_DRUG_SPLIT = re.compile(r"\s*(?:\+|/|,|;|\band\b|\bplus\b|\bor\b|\bwith\b|\bfollowed by\b)\s*", re.IGNORECASE)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate_biored(nlp: Language, pubtator_file: Path) -> dict:
    """CHEMICAL/DISEASE/GENE exact and overlap scores on BioRED (types mapped by :data:`BIORED_LABELS`)."""
    docs_gold = list(parse_pubtator(open_text(pubtator_file), BIORED_LABELS))
    docs, wps = _timed([d.text for d in docs_gold], lambda t: nlp.pipe(t, batch_size=16), "BioRED NER")
    exact = {label: PRF() for label in CROSS_LABELS}
    over = {label: [0, 0, 0, 0] for label in CROSS_LABELS}  # pred, pred hit, gold, gold hit
    confusion: Counter = Counter()  # (gold label, predicted label) of same-extent spans with different labels
    for td, doc in zip(docs_gold, docs):
        gold_all = {(s, e, label) for s, e, label in td.spans}
        pred_all = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in CROSS_LABELS}
        pred_extent = {(s, e): label for s, e, label in pred_all}
        for s, e, label in gold_all:
            other = pred_extent.get((s, e))
            if other is not None and other != label:
                confusion[(label, other)] += 1
        for label in CROSS_LABELS:
            gold = {(s, e) for s, e, lab in gold_all if lab == label}
            pred = {(s, e) for s, e, lab in pred_all if lab == label}
            exact[label].tp += len(gold & pred)
            exact[label].fp += len(pred - gold)
            exact[label].fn += len(gold - pred)
            o = over[label]
            o[0] += len(pred)
            o[1] += sum(any(_overlap(p, g) for g in gold) for p in pred)
            o[2] += len(gold)
            o[3] += sum(any(_overlap(g, p) for p in pred) for g in gold)
    out: dict = {"documents": len(docs_gold), "words_per_sec": round(wps)}
    micro = PRF()
    for label in CROSS_LABELS:
        micro.tp += exact[label].tp
        micro.fp += exact[label].fp
        micro.fn += exact[label].fn
        n_pred, pred_hit, n_gold, gold_hit = over[label]
        p = 100.0 * pred_hit / n_pred if n_pred else 0.0
        r = 100.0 * gold_hit / n_gold if n_gold else 0.0
        out[label] = {
            "exact": exact[label].as_dict(),
            "overlap": {"p": round(p, 2), "r": round(r, 2), "f": round(2 * p * r / (p + r), 2) if p + r else 0.0},
            "gold": n_gold,
        }
    out["micro"] = {"exact": micro.as_dict()}
    out["same_extent_other_label"] = {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())}
    return out


# -- entity recall on the development abstracts -----------------------------------------------------------------


def _abstract_texts(path: Path = CROSSRES_XML) -> dict[str, str]:
    from miner.corpus.pubmed_xml import parse_pubmed_xml

    return {d.doc_id: d.text for d in parse_pubmed_xml(path) if hasattr(d, "text")}


def _find_all(text: str, needle: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Case-insensitive whole-word occurrences of ``needle`` in ``text[start:end]``."""
    if not needle.strip():
        return []
    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(needle.strip()) + r"(?![A-Za-z0-9])", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text, start, len(text) if end is None else end)]


def gold_entity_mentions(rows: list[dict], text: str) -> tuple[set[tuple[str, int, int, str]], Counter]:
    """(kind, start, end, gold string) mentions located for ``rows`` of one document, and how many distinct
    (kind, string) pairs of the document were not located."""
    from miner.lexicon import load_lexicon

    lexicon = load_lexicon()
    found: set[tuple[str, int, int, str]] = set()
    missing_strings: set[tuple[str, str]] = set()
    for row in rows:
        qs, qe = (row.get("offsets") or {}).get("evidence_quote", (0, 0))
        quote = row.get("evidence_quote") or ""
        if text[qs:qe] != quote:
            hit = text.find(quote) if quote else -1
            qs, qe = (hit, hit + len(quote)) if hit >= 0 else (0, len(text))
        for field in ("drug", "prior_drug"):
            for part in _DRUG_SPLIT.split(row.get(field) or ""):
                part = part.strip(" .()")
                if len(part) < 2:
                    continue
                places = _find_all(text, part, qs, qe)
                if places:
                    found.add(("drug", *places[0], part))
                else:
                    missing_strings.add(("drug", part.lower()))
        cancer = (row.get("cancer") or "").strip()
        if cancer:
            places = _find_all(text, cancer, qs, qe) or _find_all(text, cancer)
            if places:
                found.add(("cancer", *places[0], cancer))
            else:
                missing_strings.add(("cancer", cancer.lower()))
        for symbol in row.get("mechanism_genes") or ():
            gene = lexicon.gene(symbol)
            names = sorted({symbol, *(gene.aliases if gene else ())}, key=len, reverse=True)
            places = next((p for name in names if len(name) >= 2 for p in [_find_all(text, name, qs, qe)] if p), [])
            if places:
                found.add(("gene", *places[0], symbol))
            else:
                missing_strings.add(("gene", symbol))
    located = {(kind, string.lower()) for kind, _, _, string in found}
    return found, Counter(kind for kind, string in missing_strings - located)


KIND_LABELS = {"drug": ("CHEMICAL",), "cancer": ("DISEASE",), "gene": ("GENE", "VARIANT")}


def evaluate_dev_abstracts(nlp: Language, dev_dir: Path = DEV_DIR, xml: Path = CROSSRES_XML) -> dict:
    """Entity recall of ``nlp`` on the annotated development abstracts, per split and kind (module docstring)."""
    from miner.nlp.cancers import normalize_cancer

    rows = [json.loads(line) for line in (dev_dir / "abstracts.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    split = json.loads((dev_dir / "split.json").read_text(encoding="utf-8"))
    split_of = {f"pmid:{pmid}": name for name in ("dev", "train") for pmid in split.get(name, [])}
    texts = _abstract_texts(xml)
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        if row["doc_id"] in texts and row["doc_id"] in split_of:
            by_doc.setdefault(row["doc_id"], []).append(row)
    doc_ids = sorted(by_doc)
    docs, wps = _timed([texts[d] for d in doc_ids], lambda t: nlp.pipe(t, batch_size=8), "dev abstracts")
    out: dict = {"words_per_sec": round(wps)}
    tallies: dict[str, dict[str, Counter]] = {}
    misses: dict[str, list] = {"dev": [], "train": []}
    for doc_id, doc in zip(doc_ids, docs):
        name = split_of[doc_id]
        t = tallies.setdefault(name, {k: Counter() for k in KIND_LABELS})
        found, missing = gold_entity_mentions(by_doc[doc_id], texts[doc_id])
        for kind, n in missing.items():
            t[kind]["not_located"] += n
        for kind, start, end, string in sorted(found):
            labels = KIND_LABELS[kind]
            ents = [e for e in doc.ents if e.label_ in labels and e.start_char < end and start < e.end_char]
            t[kind]["gold"] += 1
            t[kind]["overlap"] += bool(ents)
            t[kind]["exact"] += any(e.start_char == start and e.end_char == end for e in ents)
            if kind == "cancer" and ents:
                want = normalize_cancer(string)[1]
                got = {e._.cancer_id for e in ents if e.has_extension("cancer_id")}
                t[kind]["normalized_same"] += want is not None and want in got
            if not ents:
                misses[name].append(f"{kind}: {string!r} ({doc_id})")
    for name, t in tallies.items():
        out[name] = {}
        for kind, c in t.items():
            gold = c["gold"]
            out[name][kind] = {
                "gold": gold,
                "recall_overlap": round(100.0 * c["overlap"] / gold, 2) if gold else 0.0,
                "recall_exact": round(100.0 * c["exact"] / gold, 2) if gold else 0.0,
                "not_located": c["not_located"],
                **({"normalized_same": c["normalized_same"]} if kind == "cancer" else {}),
            }
        total = sum(c["gold"] for c in t.values())
        out[name]["all"] = {
            "gold": total,
            "recall_overlap": round(100.0 * sum(c["overlap"] for c in t.values()) / total, 2) if total else 0.0,
            "recall_exact": round(100.0 * sum(c["exact"] for c in t.values()) / total, 2) if total else 0.0,
        }
    out["missed_dev"] = misses["dev"]
    return out
