"""Reconciliation: what the gold set says about findings mined from PubMed abstracts.

Each mined finding gets a label that exports can filter on, with the gold ids it rests on and a
one-line reason:

* ``confirmed``: its drug pair matches a gold row with the same effect polarity;
* ``conflicting``: its pair matches gold rows only with a different polarity;
* ``novel``: no gold row has its pair.

Unlike evaluation this is many-to-one (any number of abstracts may confirm one gold row) and
ignores documents, with two rules that keep it honest:

* the documents a gold set was built from (its rows' documents, e.g. the review texts) are never
  corpus evidence for it: their findings get no label (listed in ``excluded``).  The rule lives
  here, so ``miner reconcile`` and ``miner run`` label a store alike;
* a gold row naming a drug *class* ("TKIs") counts for a specific drug of that class only when the
  mechanisms agree (or neither names one): a pazopanib / BRAF V600E finding neither confirms nor
  contradicts a generic TKI row about another mechanism.

Each gold row is then reported with the PMIDs that confirm or contradict it, and whether one of
those PMIDs is a reference the review cites for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import pandas as pd

from miner.evaluate.matcher import Prepared, candidate_pairs, mechanism_match, via_class
from miner.evaluate.metrics import prepare_all
from miner.evaluate.names import LexiconLike, default_lexicon
from miner.evaluate.sources import FindingsSource, document_key, load_findings
from miner.schema import Finding

LABEL_COLUMNS = ["finding_id", "doc_id", "pmid", "drug", "prior_drug", "effect", "label", "gold_ids", "reason"]
SUPPORT_COLUMNS = [
    "gold_id", "review", "drug", "prior_drug", "effect", "confirmed_by", "pmids", "conflicting_pmids", "cited_pmid_confirms",
]
EXCLUDED_COLUMNS = ["finding_id", "doc_id", "drug", "prior_drug", "effect", "reason"]


@dataclass
class ReconcileResult:
    """Labels of the mined findings, the corpus support of each gold row, and the findings left unlabelled."""

    labels: pd.DataFrame
    support: pd.DataFrame
    #: every mined finding with ``status``, ``gold_ids`` and ``reason`` set (status "" for the excluded ones)
    findings: list[Finding]
    #: findings from the gold's own documents (never evidence for it)
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXCLUDED_COLUMNS))

    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.labels["label"].value_counts().sort_index().items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"labels": self.labels, "support": self.support, "excluded": self.excluded}


def pmid_of(doc_id: str) -> str:
    """"pmid:123" -> "123"; other document ids are returned unchanged."""
    return doc_id.split(":", 1)[1] if doc_id.startswith("pmid:") else doc_id


def _ids(golds: list[Prepared], indices: list[int], n: int = 3) -> str:
    ids = [golds[i].finding.id for i in indices]
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def _labelled(f: Finding, label: str, gold_ids: list[str], reason: str) -> Finding:
    return replace(f, status=label, gold_ids=list(gold_ids), reason=reason)


def reconcile(
    gold: FindingsSource,
    pred: FindingsSource,
    lexicon: LexiconLike | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReconcileResult:
    """Label mined findings against the gold set (files, directories or lists of :class:`Finding`).

    Findings from the gold rows' own documents are excluded (status ""), see the module docstring.
    """
    lexicon = lexicon if lexicon is not None else default_lexicon()
    gold_rows, mined = load_findings(gold), load_findings(pred)
    sources = {document_key(g.doc_id) for g in gold_rows}
    evidence = [f for f in mined if document_key(f.doc_id) not in sources]
    excluded = [f for f in mined if document_key(f.doc_id) in sources]
    golds, preds = prepare_all(gold_rows, evidence, lexicon, None)
    pairs = candidate_pairs(preds, golds, same_review=False, progress=progress)
    same: dict[int, list[int]] = {}
    other: dict[int, list[int]] = {}
    class_other_mechanism: dict[int, list[int]] = {}
    through_class: set[tuple[int, int]] = set()
    for (g, p), (_, swapped) in sorted(pairs.items()):
        if via_class(preds[p], golds[g], swapped):
            if not mechanism_match(preds[p], golds[g]):
                class_other_mechanism.setdefault(p, []).append(g)
                continue
            through_class.add((g, p))
        (same if preds[p].polarity == golds[g].polarity else other).setdefault(p, []).append(g)
    labels = []
    status: dict[str, tuple[str, list[str], str]] = {}  # finding id -> (label, gold ids, reason)
    for j, pp in enumerate(preds):
        f = pp.finding
        if j in same:
            gs = same[j]
            label = "confirmed"
            reason = f"same drug pair and {pp.polarity} effect as gold {_ids(golds, gs)}"
            if any((g, j) in through_class for g in gs):
                reason += " (a class-level row counts: same mechanism)"
        elif j in other:
            gs = other[j]
            label = "conflicting"
            polarities = sorted({golds[g].polarity for g in gs})
            reason = f"drug pair of gold {_ids(golds, gs)} but a {pp.polarity} effect against their {'/'.join(polarities)} one"
        else:
            gs = []
            label = "novel"
            reason = (f"only class-level gold rows ({_ids(golds, class_other_mechanism[j])}) cover this pair, "
                      "with another mechanism" if j in class_other_mechanism else "no gold row with this drug pair")
        gold_ids = [golds[g].finding.id for g in gs]
        status[f.id] = (label, gold_ids, reason)
        labels.append({"finding_id": f.id, "doc_id": f.doc_id, "pmid": pmid_of(f.doc_id), "drug": f.drug,
                       "prior_drug": f.prior_drug, "effect": f.effect, "label": label,
                       "gold_ids": gold_ids, "reason": reason})
    confirms: dict[int, set[str]] = {}
    contradicts: dict[int, set[str]] = {}
    for target, source in ((confirms, same), (contradicts, other)):
        for p, gs in source.items():
            if target is contradicts and p in same:
                continue  # a finding confirmed elsewhere is not counted as contradicting
            for g in gs:
                target.setdefault(g, set()).add(pmid_of(preds[p].finding.doc_id))
    support = []
    for i, gp in enumerate(golds):
        g = gp.finding
        confirming = sorted(confirms.get(i, ()))
        conflicting = sorted(contradicts.get(i, ()))
        cited = {str(r.get("pmid", "")) for r in g.references if r.get("pmid")}
        support.append({"gold_id": g.id, "review": gp.review, "drug": g.drug, "prior_drug": g.prior_drug,
                        "effect": g.effect, "confirmed_by": len(confirming), "pmids": confirming,
                        "conflicting_pmids": conflicting, "cited_pmid_confirms": bool(cited & set(confirming))})
    for f in excluded:
        status[f.id] = ("", [], f"{f.doc_id} is a document the gold set was built from: not corpus evidence for it")
    excluded_rows = [{"finding_id": f.id, "doc_id": f.doc_id, "drug": f.drug, "prior_drug": f.prior_drug, "effect": f.effect,
                      "reason": status[f.id][2]} for f in excluded]
    return ReconcileResult(
        labels=pd.DataFrame(labels, columns=LABEL_COLUMNS),
        support=pd.DataFrame(support, columns=SUPPORT_COLUMNS),
        findings=[_labelled(f, *status.get(f.id, ("", [], ""))) for f in mined],
        excluded=pd.DataFrame(excluded_rows, columns=EXCLUDED_COLUMNS),
    )


def reconcile_store(store, gold, min_confidence: float = 0.0, lexicon: LexiconLike | None = None,
                    progress=None) -> "ReconcileResult":
    """Label the store's findings against ``gold`` and write the labels back, each with the gold ids it rests on
    and its reason (replacing what an earlier run wrote): the one code path of ``miner reconcile`` and
    ``miner run``, so both give the same labels on the same store.

    The gold's own source documents stay unlabelled (:func:`reconcile` excludes them; their reason says so)."""
    findings = list(store.iter_findings(min_confidence=min_confidence))
    result = reconcile(load_findings(gold), findings, lexicon=lexicon if lexicon is not None else default_lexicon(),
                       progress=progress)
    store.set_status({f.id: f.status for f in result.findings},  # "" for the excluded ones
                     gold_ids={f.id: f.gold_ids for f in result.findings},
                     reasons={f.id: f.reason for f in result.findings})
    return result
