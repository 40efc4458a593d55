"""Silver training data for ``miner_relation``: what the rule reader finds in in-domain text that is neither
evaluation text nor dev.

Texts (:func:`silver_texts`; never the two reviews, never a dev document):

* ``civic``: every CIViC evidence statement of a *train* paper (``miner.evaluate.civic.split_of``, the paper-level
  split the CIViC loader uses), labelled or not (prognostic, diagnostic, functional items name drugs too);
* ``abstracts``: the crossres abstracts of the *train* split (their gold rows win wherever they label a pair);
* ``drug-combo``, ``hoc``: the drug-combination paragraphs (full PubMed abstracts) and Hallmarks of Cancer abstracts
  of ``../shared/data``; a text is left out when its PMID is a crossres abstract or a CIViC dev paper, or when it
  holds the title of a crossres abstract.

Findings (:func:`rule_findings`): the rule reader alone (no relation component), prefilter on; kept when
:func:`is_confident` (not hedged, not negated, confidence at least :data:`MIN_CONFIDENCE`).

Labels (:func:`label_silver`): a candidate whose two spans are a finding's drug and prior drug (by character
offsets) takes the finding's effect and direction; a (drug, gene/variant) candidate on a resistance finding's drug
and mechanism is ``resistance``; the other candidates *of the same kind in the same sentence* are ``none``; every
other candidate is left out (-1): the rules read few statements, so a sentence they did not read says nothing.
:func:`merge_labels` lays silver labels under gold ones (gold wins wherever it labels a pair), with the weight
:data:`SILVER_WEIGHT` in ``doc.user_data[WEIGHT_KEY]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from miner.config import SHARED_DIR
from miner.corpus.shared_sets import drug_combo_paragraphs, hoc_abstracts
from miner.extract.relation.candidates import Candidate
from miner.extract.relation.model import DD_EFFECTS

#: loss weight of a silver label (a gold label weighs 1)
SILVER_WEIGHT = 0.5
#: the least rule confidence a silver finding needs
MIN_CONFIDENCE = 0.6
SOURCES = ("civic", "abstracts", "drug-combo", "hoc")


# -- texts ------------------------------------------------------------------------------------------


def _crossres_pmids_and_titles() -> tuple[set[str], list[str]]:
    path = SHARED_DIR / "data" / "crossres-abstracts" / "abstracts.jsonl"
    pmids, titles = set(), []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pmids.add(str(row.get("pmid", "")))
            title = " ".join((row.get("title") or "").split())
            if len(title) >= 30:
                titles.append(title[:80].lower())
    return pmids, titles


def _civic_texts() -> Iterator[tuple[str, str, str]]:
    from miner.evaluate.civic import civic_records, split_of

    for eid, record in sorted(civic_records().items()):
        pmid = str(record.get("pmid", ""))
        text = record.get("text") or ""
        if split_of(pmid) != "train" or not text.strip():
            continue
        yield f"civic:{eid}", text, f"pmid:{pmid}"


def _abstract_texts() -> Iterator[tuple[str, str, str]]:
    from miner.extract.relation.data import abstract_texts, read_split

    splits = read_split()
    for doc_id, text in sorted(abstract_texts().items()):
        if splits.get(doc_id.split(":", 1)[1]) == "train":
            yield doc_id, text, doc_id


def _drug_combo_texts() -> Iterator[tuple[str, str, str]]:
    for text, pmid, row_id in drug_combo_paragraphs():
        key = f"pmid:{pmid}" if pmid else f"drugcombo:{row_id}"
        yield f"drugcombo:{pmid or row_id}", text, key


def _hoc_texts() -> Iterator[tuple[str, str, str]]:
    for pmid, text in hoc_abstracts(detokenize=True):
        yield f"hoc:{pmid}", text, f"pmid:{pmid}"


_READERS = {"civic": _civic_texts, "abstracts": _abstract_texts, "drug-combo": _drug_combo_texts,
            "hoc": _hoc_texts}


def silver_texts(sources: Iterable[str] = SOURCES) -> list[tuple[str, str, str]]:
    """(doc_id, text, group) of the silver sources, dev and evaluation texts left out (see the module docstring)."""
    from miner.evaluate.civic import civic_records, split_of

    crossres, titles = _crossres_pmids_and_titles()
    civic_dev = {str(r.get("pmid", "")) for r in civic_records().values() if split_of(str(r.get("pmid", ""))) == "dev"}
    out = []
    for name in sources:
        for doc_id, text, group in _READERS[name]():
            if name not in ("abstracts", "civic"):
                pmid = group.split(":", 1)[1] if group.startswith("pmid:") else ""
                if pmid and (pmid in crossres or pmid in civic_dev):
                    continue
                low = " ".join(text.split()).lower()
                if any(t in low for t in titles):
                    continue
            out.append((doc_id, text, group))
    return out


# -- findings ---------------------------------------------------------------------------------------


def is_confident(f: dict[str, Any]) -> bool:
    """A rule finding good enough to teach from: read by a rule, not hedged or negated, confident enough, with
    the offsets of its arguments."""
    offsets = f.get("offsets") or {}
    if f.get("hedged") or f.get("negated") or float(f.get("confidence", 0)) < MIN_CONFIDENCE:
        return False
    if str(f.get("rule", "")).startswith("model:") or "drug" not in offsets or "sentence" not in offsets:
        return False
    if f.get("prior_drug"):
        return "prior_drug" in offsets and f.get("effect") in DD_EFFECTS
    return f.get("effect") == "resistance" and "mechanism" in offsets


def rule_findings(texts: list[tuple[str, str, str]], nlp=None, out: Path | None = None) -> list[dict[str, Any]]:
    """The rule reader's findings (dicts) on the texts (the rules alone: no relation component)."""
    from miner.extract import TextDoc, extract_docs
    from miner.extract.reader import Reader

    if nlp is None:
        import miner.nlp

        nlp = miner.nlp.load()
    reader = Reader(nlp)  # no relation component: the rules alone
    docs = [TextDoc(doc_id, text) for doc_id, text, _g in texts]
    found = [f.to_dict() for f in extract_docs(docs, reader=reader)]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in found), encoding="utf-8")
    return found


def read_findings(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -- labelling --------------------------------------------------------------------------------------


def _overlaps(doc: Doc, start: int, end: int, rng: list[int] | None) -> bool:
    if not rng:
        return False
    span = doc[start:end]
    return span.start_char < int(rng[1]) and int(rng[0]) < span.end_char


def _inside(doc: Doc, c: Candidate, rng: list[int]) -> bool:
    lo = min(doc[c.a_start].idx, doc[c.b_start].idx)
    hi = max(doc[c.a_end - 1].idx + len(doc[c.a_end - 1]), doc[c.b_end - 1].idx + len(doc[c.b_end - 1]))
    return int(rng[0]) - 1 <= lo and hi <= int(rng[1]) + 1


def label_silver(doc: Doc, cands: list[Candidate], findings: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Silver (label index, direction) per candidate from confident rule findings of this document (offsets
    into ``doc.text``); see the module docstring. -1: not labelled."""
    findings = [f for f in findings if is_confident(f)]
    out: list[tuple[int, int]] = []
    for c in cands:
        label, direction, covered, ignore = -1, -1, False, False
        for f in findings:
            off = f["offsets"]
            if c.cross or not _inside(doc, c, off["sentence"]):
                continue
            if c.kind == "DD" and f.get("prior_drug"):
                covered = True
                y = DD_EFFECTS.index(f["effect"])
                if _overlaps(doc, c.a_start, c.a_end, off["drug"]) and \
                        _overlaps(doc, c.b_start, c.b_end, off["prior_drug"]):
                    label, direction = y, 0
                elif _overlaps(doc, c.b_start, c.b_end, off["drug"]) and \
                        _overlaps(doc, c.a_start, c.a_end, off["prior_drug"]):
                    label, direction = y, 1
            elif c.kind == "DG":
                if f.get("prior_drug"):
                    # the mechanism of a sequential statement: which agent it explains is not read
                    if _overlaps(doc, c.b_start, c.b_end, off.get("mechanism")):
                        ignore = True
                    continue
                covered = True
                if _overlaps(doc, c.a_start, c.a_end, off["drug"]) and \
                        _overlaps(doc, c.b_start, c.b_end, off["mechanism"]):
                    label, direction = 1, -1
            if label > 0:
                break
        if label > 0:
            out.append((label, direction))
        elif ignore or not covered:
            out.append((-1, -1))
        else:
            out.append((0, -1))
    return out


def merge_labels(gold: list[tuple[int, int]] | None, silver: list[tuple[int, int]],
                 weight: float = SILVER_WEIGHT) -> tuple[list[tuple[int, int]], list[float], int]:
    """Gold labels where gold labels a pair, else silver ones: (labels, loss weights, silver labels used)."""
    gold = gold if gold is not None else [(-1, -1)] * len(silver)
    labels, weights, used = [], [], 0
    for g, s in zip(gold, silver):
        if int(g[0]) >= 0 or int(s[0]) < 0:
            labels.append(tuple(g))
            weights.append(1.0)
        else:
            labels.append(tuple(s))
            weights.append(weight)
            used += 1
    return labels, weights, used
