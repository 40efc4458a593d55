"""Reconciliation: what the gold set says about findings mined from PubMed abstracts.

Each mined finding gets a label that exports can filter on:

* ``confirmed``: its drug pair matches a gold row with the same effect polarity;
* ``conflicting``: its pair matches gold rows only with a different polarity;
* ``novel``: no gold row has its pair.

Unlike evaluation this is many-to-one (any number of abstracts may confirm one gold
row) and ignores documents: mined findings come from abstracts, gold rows from reviews.
Each gold row is then reported with the PMIDs that confirm or contradict it, and
whether one of those PMIDs is a reference the review cites for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import pandas as pd

from miner.evaluate.matcher import candidate_pairs
from miner.evaluate.metrics import prepare_all
from miner.evaluate.names import LexiconLike, default_lexicon
from miner.evaluate.sources import FindingsSource, load_findings
from miner.schema import Finding

LABEL_COLUMNS = ["finding_id", "doc_id", "pmid", "drug", "prior_drug", "effect", "label", "gold_ids"]
SUPPORT_COLUMNS = [
    "gold_id", "review", "drug", "prior_drug", "effect", "confirmed_by", "pmids", "conflicting_pmids", "cited_pmid_confirms",
]


@dataclass
class ReconcileResult:
    """Labels of the mined findings and the corpus support of each gold row."""

    labels: pd.DataFrame
    support: pd.DataFrame
    findings: list[Finding]  # the mined findings with ``status`` set

    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.labels["label"].value_counts().sort_index().items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"labels": self.labels, "support": self.support}


def pmid_of(doc_id: str) -> str:
    """"pmid:123" -> "123"; other document ids are returned unchanged."""
    return doc_id.split(":", 1)[1] if doc_id.startswith("pmid:") else doc_id


def reconcile(
    gold: FindingsSource,
    pred: FindingsSource,
    lexicon: LexiconLike | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReconcileResult:
    """Label mined findings against the gold set (files, directories or lists of :class:`Finding`)."""
    lexicon = lexicon if lexicon is not None else default_lexicon()
    golds, preds = prepare_all(load_findings(gold), load_findings(pred), lexicon, None)
    pairs = candidate_pairs(preds, golds, same_review=False, progress=progress)
    same: dict[int, list[int]] = {}
    other: dict[int, list[int]] = {}
    for g, p in sorted(pairs):
        (same if preds[p].polarity == golds[g].polarity else other).setdefault(p, []).append(g)
    labels, labelled = [], []
    for j, pp in enumerate(preds):
        f = pp.finding
        if j in same:
            label, gold_ids = "confirmed", [golds[g].finding.id for g in same[j]]
        elif j in other:
            label, gold_ids = "conflicting", [golds[g].finding.id for g in other[j]]
        else:
            label, gold_ids = "novel", []
        labelled.append(replace(f, status=label))
        labels.append({"finding_id": f.id, "doc_id": f.doc_id, "pmid": pmid_of(f.doc_id), "drug": f.drug,
                       "prior_drug": f.prior_drug, "effect": f.effect, "label": label, "gold_ids": gold_ids})
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
    return ReconcileResult(
        labels=pd.DataFrame(labels, columns=LABEL_COLUMNS),
        support=pd.DataFrame(support, columns=SUPPORT_COLUMNS),
        findings=labelled,
    )
