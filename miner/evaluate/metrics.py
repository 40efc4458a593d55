"""Scoring predictions against the gold set: precision, recall, F1 per level, effect, review and slice.

Scoring is per document: a prediction is compared only with the gold rows of its own
document (:func:`miner.evaluate.sources.document_key`: a review text is its review number,
"text:review_000" -> "000", or ``--review`` for predictions whose doc ids name none; any
other doc_id is its own document).  The gold *covers* the documents of its rows plus those
of its documents list (exhaustively annotated documents without rows); a prediction on a
document the gold does not cover is *not scored* (counted and listed, never a false
positive), and predictions that share no document with the gold are an error
(:class:`NoCommonDocumentsError`), not a silent table of zeros.

Per-effect rows slice true positives and misses by the *gold* effect and false positives
by the *predicted* effect.  The ``slices`` table scores sequential findings (a prior drug)
and single-drug findings (none) separately: a pair match never crosses the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from miner.errors import MinerError
from miner.evaluate.matcher import LEVELS, Prepared, candidate_pairs, match_level, prepare
from miner.evaluate.names import LexiconLike, default_lexicon
from miner.evaluate.sources import (
    DocumentsSource,
    FindingsSource,
    document_key,
    documents_beside,
    load_documents,
    load_findings,
    review_of,
)
from miner.schema import EFFECTS, KINDS, Finding

SCORE_COLUMNS = ["level", "effect", "review", "tp", "fp", "fn", "precision", "recall", "f1"]
SLICE_COLUMNS = ["level", "slice", "review", "tp", "fp", "fn", "precision", "recall", "f1"]
MISS_COLUMNS = ["level", "review", "gold_id", "drug", "prior_drug", "effect", "mechanism", "evidence", "reason", "doc_id", "slice"]
FP_COLUMNS = ["level", "review", "pred_id", "doc_id", "drug", "prior_drug", "effect", "mechanism", "sentence", "reason", "slice"]
MATCH_COLUMNS = ["level", "review", "gold_id", "pred_id", "score", "swapped"]
NOT_SCORED_COLUMNS = ["pred_id", "doc_id", "drug", "prior_drug", "effect", "sentence"]
#: Slices scored separately: findings with a prior drug, and single-drug findings.
SLICES = ("sequential", "single_drug")


class NoCommonDocumentsError(MinerError):
    """The predictions share no document with the gold set, so nothing can be scored."""


def slice_of(finding: Finding) -> str:
    """``sequential`` when the finding names a prior drug, else ``single_drug``."""
    return "sequential" if (finding.prior_drug or "").strip() else "single_drug"


@dataclass
class EvaluationResult:
    """Scores and the evidence behind them, as DataFrames (one row per level x effect x review)."""

    scores: pd.DataFrame
    misses: pd.DataFrame
    false_positives: pd.DataFrame
    matches: pd.DataFrame
    n_gold: int = 0
    n_pred: int = 0  # predictions scored (on covered documents)
    reviews: list[str] = field(default_factory=list)
    slices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SLICE_COLUMNS))
    not_scored: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOT_SCORED_COLUMNS))
    documents: list[str] = field(default_factory=list)  # document keys the gold covers

    @property
    def n_not_scored(self) -> int:
        """Predictions on documents the gold does not cover (neither true nor false positives)."""
        return len(self.not_scored)

    def score(self, level: str = "pair", effect: str = "all", review: str = "all", slice: str = "all") -> dict[str, Any]:
        """One row of :attr:`scores` (or of :attr:`slices` for ``slice`` sequential/single_drug) as a dict.

        Raises KeyError if that row does not exist (an empty per-effect slice).
        """
        if slice != "all":
            s = self.slices
            rows = s[(s.level == level) & (s.slice == slice) & (s.review == review)] if effect == "all" else s.iloc[0:0]
        else:
            s = self.scores
            rows = s[(s.level == level) & (s.effect == effect) & (s.review == review)]
        if rows.empty:
            raise KeyError((level, effect, review, slice))
        return rows.iloc[0].to_dict()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"scores": self.scores, "slices": self.slices, "misses": self.misses,
                "false_positives": self.false_positives, "matches": self.matches, "not_scored": self.not_scored}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(p, 4), round(r, 4), round(f, 4)


def _evidence(prep: Prepared) -> str:
    f = prep.finding
    return f.evidence_quote or f.sentence


def prepare_all(
    golds: list, preds: list, lexicon: LexiconLike, review: str | None, kind: str | None = None
) -> tuple[list[Prepared], list[Prepared]]:
    """Normalise both sides; ``review`` restricts the gold to one review and claims every prediction for it.

    ``kind`` scores one kind of finding (e.g. ``sequential``: every finding with a prior drug) by keeping
    only the gold rows *and* the predictions of that kind, so precision and recall refer to the same slice.
    """
    if kind is not None:
        if kind not in KINDS:
            raise MinerError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
        golds = [g for g in golds if g.kind == kind]
        preds = [p for p in preds if p.kind == kind]
    if review is not None:
        if not re.fullmatch(r"\d{3}", review):
            raise MinerError(f"--review must be a review number such as 000 or 001, got {review!r}")
        golds = [g for g in golds if review_of(g.doc_id) == review]
        if not golds:
            raise MinerError(f"no gold row belongs to review {review}")
    gold_prep = [prepare(g, lexicon, document_key(g.doc_id)) for g in golds]
    gold_prep.sort(key=lambda p: (p.review, p.finding.id))
    pred_prep = [prepare(p, lexicon, review if review is not None else document_key(p.doc_id)) for p in preds]
    return gold_prep, pred_prep


def _examples(keys: Iterable[str], n: int = 3) -> str:
    keys = sorted({f"review {k}" if re.fullmatch(r"\d{3}", k) else k for k in keys})
    return ", ".join(keys[:n]) + (", ..." if len(keys) > n else "")


def covered_split(
    golds: list[Finding],
    preds: list[Finding],
    review: str | None = None,
    documents: dict[str, str] | None = None,
    split: str | None = None,
) -> tuple[list[Finding], list[Finding], list[Finding], frozenset[str]]:
    """(gold rows kept, predictions scored, predictions not scored, covered document keys).

    ``documents`` (doc_id -> split) adds covered documents without rows; ``split`` keeps only
    the documents (and gold rows) of that split; ``review`` claims every prediction for it.
    Raises :class:`NoCommonDocumentsError` when there are predictions and none is on a covered document.
    """
    if documents is not None:
        listed = {document_key(d) for d in documents}
        unlisted = {document_key(g.doc_id) for g in golds} - listed
        if unlisted:
            raise MinerError(f"the documents list does not name {len(unlisted)} document(s) of the gold rows: "
                             f"{_examples(unlisted)} (add them to it)")
    if split is not None:
        if documents is None:
            raise MinerError(f"--split {split} needs a documents list (documents.jsonl beside the gold, or --documents)")
        in_split = {document_key(d) for d, s in documents.items() if s == split}
        if not in_split:
            raise MinerError(f"the documents list has no document of split {split!r}")
        golds = [g for g in golds if document_key(g.doc_id) in in_split]
        covered = frozenset(in_split)
    else:
        covered = frozenset({document_key(g.doc_id) for g in golds} | {document_key(d) for d in documents or ()})
    if review is not None:
        return golds, list(preds), [], frozenset({review})
    scored = [p for p in preds if document_key(p.doc_id) in covered]
    not_scored = [p for p in preds if document_key(p.doc_id) not in covered]
    if preds and not scored:
        raise NoCommonDocumentsError(
            f"the predictions share no document with the gold set: {len(preds)} prediction(s) from "
            f"{len({document_key(p.doc_id) for p in preds})} document(s) ({_examples(document_key(p.doc_id) for p in preds)}), "
            f"the gold covers {len(covered)} ({_examples(covered)}). Score predictions of a review text stored under "
            f"another id with --review NNN; declare covered documents without rows with --documents FILE"
        )
    return golds, scored, not_scored, covered


def _describe(pred: Prepared, gold: Prepared, level: str, for_gold: bool) -> str:
    """Why a pair-level match does not hold at ``level`` (naming the other side)."""
    p, g = pred.finding, gold.finding
    other = f"prediction {p.id}" if for_gold else f"gold {g.id}"
    if pred.polarity != gold.polarity or (level == "pair+exact_effect" and p.effect != g.effect):
        return f"pair matches {other} but effect is {p.effect} (predicted) vs {g.effect} (gold)"
    return (
        f"pair and effect match {other} but mechanism {p.mechanism!r} (genes {sorted(pred.genes)}, "
        f"{p.mechanism_type}) vs gold {g.mechanism!r} (genes {sorted(gold.genes)}, {g.mechanism_type})"
    )


def _prf_row(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall, f1 = prf(tp, fp, fn)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def evaluate(
    gold: FindingsSource,
    pred: FindingsSource,
    review: str | None = None,
    lexicon: LexiconLike | None = None,
    progress: Callable[[int], None] | None = None,
    kind: str | None = None,
    documents: DocumentsSource | None = None,
    split: str | None = None,
) -> EvaluationResult:
    """Score predicted findings against gold findings (files, directories or lists of :class:`Finding`), per document.

    ``review`` scores one review; ``kind`` one kind of finding on both sides (see :func:`prepare_all`).
    ``documents`` lists the covered documents (a ``documents.jsonl`` path, doc_id -> split, or doc ids);
    by default the ``documents.jsonl`` beside a gold path, if any.  ``split`` ("train"/"dev") scores the
    documents of one split.  Predictions on uncovered documents are listed in ``not_scored``.
    """
    lexicon = lexicon if lexicon is not None else default_lexicon()
    if documents is None and isinstance(gold, (str, Path)):
        documents = documents_beside(gold)
    doc_split = load_documents(documents) if documents is not None else None
    gold_rows, scored, unscored, covered = covered_split(load_findings(gold), load_findings(pred), review, doc_split, split)
    golds, preds = prepare_all(gold_rows, scored, lexicon, review, kind)
    pairs = candidate_pairs(preds, golds, progress=progress)
    golds_with_candidates = {g for g, _ in pairs}
    preds_with_candidates = {p for _, p in pairs}
    # per-document rows only for the reviews: one row per abstract would drown the table
    reviews = sorted(k for k in covered | {g.review for g in golds} | {p.review for p in preds} if re.fullmatch(r"\d{3}", k))
    score_rows: list[dict[str, Any]] = []
    slice_rows: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    fps: list[dict[str, Any]] = []
    match_rows: list[dict[str, Any]] = []
    pair_of_gold: dict[int, int] = {}
    pair_of_pred: dict[int, int] = {}
    for level in LEVELS:
        matched = match_level(level, preds, golds, pairs)
        m_gold = {g: p for g, p, _ in matched}
        m_pred = {p: g for g, p, _ in matched}
        if level == "pair":
            pair_of_gold, pair_of_pred = m_gold, m_pred
        for g, p, score in matched:
            match_rows.append(
                {"level": level, "review": golds[g].review, "gold_id": golds[g].finding.id,
                 "pred_id": preds[p].finding.id, "score": round(score, 4), "swapped": pairs[(g, p)][1]}
            )
        for i, gp in enumerate(golds):
            if i in m_gold:
                continue
            j = pair_of_gold.get(i)
            reason = _describe(preds[j], gp, level, True) if j is not None and level != "pair" else (
                "its candidate predictions are matched to other gold rows"
                if i in golds_with_candidates else "no prediction with this drug pair"
            )
            f = gp.finding
            misses.append({"level": level, "review": gp.review, "gold_id": f.id, "drug": f.drug, "prior_drug": f.prior_drug,
                           "effect": f.effect, "mechanism": f.mechanism, "evidence": _evidence(gp), "reason": reason,
                           "doc_id": f.doc_id, "slice": slice_of(f)})
        for j, pp in enumerate(preds):
            if j in m_pred:
                continue
            i = pair_of_pred.get(j)
            reason = _describe(pp, golds[i], level, False) if i is not None and level != "pair" else (
                "its candidate gold rows are matched to other predictions"
                if j in preds_with_candidates else "no gold row with this drug pair"
            )
            f = pp.finding
            fps.append({"level": level, "review": pp.review, "pred_id": f.id, "doc_id": f.doc_id, "drug": f.drug,
                        "prior_drug": f.prior_drug, "effect": f.effect, "mechanism": f.mechanism,
                        "sentence": _evidence(pp), "reason": reason, "slice": slice_of(f)})

        def counts(keep: Callable[[Prepared], bool]) -> tuple[int, int, int]:
            tp = sum(1 for g in m_gold if keep(golds[g]))
            fn = sum(1 for i, g in enumerate(golds) if i not in m_gold and keep(g))
            fp = sum(1 for j, p in enumerate(preds) if j not in m_pred and keep(p))
            return tp, fp, fn

        for rev in ["all", *reviews]:
            for effect in ["all", *EFFECTS]:
                tp, fp, fn = counts(lambda prep: (rev == "all" or prep.review == rev)
                                    and (effect == "all" or prep.finding.effect == effect))
                if effect != "all" and tp + fp + fn == 0:
                    continue
                score_rows.append({"level": level, "effect": effect, "review": rev, **_prf_row(tp, fp, fn)})
            for sl in SLICES:
                tp, fp, fn = counts(lambda prep: (rev == "all" or prep.review == rev) and slice_of(prep.finding) == sl)
                slice_rows.append({"level": level, "slice": sl, "review": rev, **_prf_row(tp, fp, fn)})
    not_scored = [{"pred_id": f.id, "doc_id": f.doc_id, "drug": f.drug, "prior_drug": f.prior_drug, "effect": f.effect,
                   "sentence": f.evidence_quote or f.sentence} for f in unscored]
    return EvaluationResult(
        scores=pd.DataFrame(score_rows, columns=SCORE_COLUMNS),
        misses=pd.DataFrame(misses, columns=MISS_COLUMNS),
        false_positives=pd.DataFrame(fps, columns=FP_COLUMNS),
        matches=pd.DataFrame(match_rows, columns=MATCH_COLUMNS),
        n_gold=len(golds),
        n_pred=len(preds),
        reviews=reviews,
        slices=pd.DataFrame(slice_rows, columns=SLICE_COLUMNS),
        not_scored=pd.DataFrame(not_scored, columns=NOT_SCORED_COLUMNS),
        documents=sorted(covered),
    )
