"""Scoring predictions against the gold set: precision, recall, F1 per level, effect and review.

Findings are compared only within the same review (``doc_id`` "text:review_000" ->
"000", or ``--review`` for predictions whose doc ids name none); other doc ids are
their own group.  Per-effect rows slice true positives and misses by the *gold*
effect and false positives by the *predicted* effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from miner.errors import MinerError
from miner.evaluate.matcher import LEVELS, Prepared, candidate_pairs, match_level, prepare
from miner.evaluate.names import LexiconLike, default_lexicon
from miner.evaluate.sources import FindingsSource, load_findings, review_of
from miner.schema import EFFECTS, KINDS

SCORE_COLUMNS = ["level", "effect", "review", "tp", "fp", "fn", "precision", "recall", "f1"]
MISS_COLUMNS = ["level", "review", "gold_id", "drug", "prior_drug", "effect", "mechanism", "evidence", "reason"]
FP_COLUMNS = ["level", "review", "pred_id", "doc_id", "drug", "prior_drug", "effect", "mechanism", "sentence", "reason"]
MATCH_COLUMNS = ["level", "review", "gold_id", "pred_id", "score", "swapped"]


@dataclass
class EvaluationResult:
    """Scores and the evidence behind them, as DataFrames (one row per level x effect x review)."""

    scores: pd.DataFrame
    misses: pd.DataFrame
    false_positives: pd.DataFrame
    matches: pd.DataFrame
    n_gold: int = 0
    n_pred: int = 0
    reviews: list[str] = field(default_factory=list)

    def score(self, level: str = "pair", effect: str = "all", review: str = "all") -> dict[str, Any]:
        """One row of :attr:`scores` as a dict (raises KeyError if that slice is empty)."""
        s = self.scores
        rows = s[(s.level == level) & (s.effect == effect) & (s.review == review)]
        if rows.empty:
            raise KeyError((level, effect, review))
        return rows.iloc[0].to_dict()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"scores": self.scores, "misses": self.misses, "false_positives": self.false_positives, "matches": self.matches}


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
    gold_prep = [prepare(g, lexicon, review_of(g.doc_id) or g.doc_id) for g in golds]
    gold_prep.sort(key=lambda p: (p.review, p.finding.id))
    pred_prep = [prepare(p, lexicon, review if review is not None else (review_of(p.doc_id) or p.doc_id)) for p in preds]
    return gold_prep, pred_prep


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


def evaluate(
    gold: FindingsSource,
    pred: FindingsSource,
    review: str | None = None,
    lexicon: LexiconLike | None = None,
    progress: Callable[[int], None] | None = None,
    kind: str | None = None,
) -> EvaluationResult:
    """Score predicted findings against gold findings (files, directories or lists of :class:`Finding`).

    ``review`` scores one review; ``kind`` one kind of finding on both sides (see :func:`prepare_all`).
    """
    lexicon = lexicon if lexicon is not None else default_lexicon()
    golds, preds = prepare_all(load_findings(gold), load_findings(pred), lexicon, review, kind)
    pairs = candidate_pairs(preds, golds, progress=progress)
    golds_with_candidates = {g for g, _ in pairs}
    preds_with_candidates = {p for _, p in pairs}
    reviews = sorted({g.review for g in golds} | {p.review for p in preds})
    score_rows: list[dict[str, Any]] = []
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
                           "effect": f.effect, "mechanism": f.mechanism, "evidence": _evidence(gp), "reason": reason})
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
                        "sentence": _evidence(pp), "reason": reason})
        for rev in ["all", *reviews]:
            for effect in ["all", *EFFECTS]:
                def keep(prep: Prepared) -> bool:
                    return (rev == "all" or prep.review == rev) and (effect == "all" or prep.finding.effect == effect)

                tp = sum(1 for g in m_gold if keep(golds[g]))
                fn = sum(1 for i, g in enumerate(golds) if i not in m_gold and keep(g))
                fp = sum(1 for j, p in enumerate(preds) if j not in m_pred and keep(p))
                if effect != "all" and tp + fp + fn == 0:
                    continue
                precision, recall, f1 = prf(tp, fp, fn)
                score_rows.append({"level": level, "effect": effect, "review": rev, "tp": tp, "fp": fp, "fn": fn,
                                   "precision": precision, "recall": recall, "f1": f1})
    return EvaluationResult(
        scores=pd.DataFrame(score_rows, columns=SCORE_COLUMNS),
        misses=pd.DataFrame(misses, columns=MISS_COLUMNS),
        false_positives=pd.DataFrame(fps, columns=FP_COLUMNS),
        matches=pd.DataFrame(match_rows, columns=MATCH_COLUMNS),
        n_gold=len(golds),
        n_pred=len(preds),
        reviews=reviews,
    )
