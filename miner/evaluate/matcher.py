"""Matching predicted findings to gold findings.

Three questions, asked per candidate pair of (prediction, gold row):

* **pair**: same drug and same prior drug, after normalisation (see
  :mod:`miner.evaluate.names`); a gold row marked ``direction_bidirectional`` (or a
  prediction so marked) also matches with the two drugs swapped;
* **pair+effect**: same polarity (negative: cross_resistance, reduced_efficacy, resistance;
  neutral: no_cross_resistance; positive: collateral_sensitivity); ``pair+exact_effect``
  asks for the very same effect;
* **full**: pair + polarity + mechanism (same normalised genes and compatible type, or,
  when the gold mechanism names no gene, enough content-word overlap).

:func:`assign` then pairs predictions and gold rows one-to-one: the most pairs
possible, then the highest total score, deterministically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
import numpy as np
from scipy.optimize import linear_sum_assignment

from miner.evaluate.names import Agent, LexiconLike, agent, agent_score
from miner.schema import POLARITY, Finding

LEVELS = ("pair", "pair+effect", "pair+exact_effect", "full")
#: Minimum share of the smaller mechanism's content words found in the other one.
MIN_TOKEN_OVERLAP = 0.5
_STOP = frozenset(
    "a an the of in on to and or by with from for via its their this that these those is are was were be been "
    "as at into through due leading lead leads which such other increased decreased".split()
)
_SYMBOL = re.compile(r"[A-Z][A-Z0-9]{2,9}")
_GENE_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Prepared:
    """A finding with the normalised parts the matcher compares, computed once."""

    finding: Finding
    drug: Agent
    prior: Agent
    genes: frozenset[str]
    tokens: frozenset[str]
    review: str
    #: the agents as written (names only): a linked prediction ("Tmab", linked to trastuzumab through the
    #: document's abbreviation) still matches a gold row that keeps the abbreviation unlinked
    drug_written: Agent = ()
    prior_written: Agent = ()

    @property
    def polarity(self) -> str:
        return POLARITY[self.finding.effect]


def _looks_like_gene(token: str) -> bool:
    upper = sum(c.isupper() for c in token)
    return upper >= 2 or (upper >= 1 and any(c.isdigit() for c in token))


def mechanism_genes(finding: Finding, lexicon: LexiconLike) -> frozenset[str]:
    """Normalised gene symbols of a mechanism: the annotated ones, else those named in its text."""
    if finding.mechanism_genes:
        return frozenset(lexicon.normalize_gene(g) or g.upper() for g in finding.mechanism_genes)
    genes = set()
    for token in _GENE_TOKEN.findall(finding.mechanism):
        candidates = [token] + (token.split("-") if "-" in token else [])
        for cand in candidates:
            symbol = lexicon.normalize_gene(cand) if _looks_like_gene(cand) else None
            if symbol is None and _SYMBOL.fullmatch(cand):
                symbol = cand  # an official-looking symbol the gene lexicon does not list (AURKA, TP73)
            if symbol:
                genes.add(symbol)
                break
    return frozenset(genes)


def content_tokens(text: str) -> frozenset[str]:
    """Lower-case content words, plural -s dropped, for mechanism overlap."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if len(w) > 1 and w not in _STOP)


def prepare(finding: Finding, lexicon: LexiconLike, review: str) -> Prepared:
    return Prepared(
        finding=finding,
        drug=agent(finding.drug, finding.drug_ids, lexicon),
        prior=agent(finding.prior_drug, finding.prior_drug_ids, lexicon),
        genes=mechanism_genes(finding, lexicon),
        tokens=content_tokens(finding.mechanism),
        review=review,
        drug_written=agent(finding.drug, (), lexicon) if finding.drug_ids else (),
        prior_written=agent(finding.prior_drug, (), lexicon) if finding.prior_drug_ids else (),
    )


def pair_score(pred: Prepared, gold: Prepared) -> tuple[float, bool]:
    """(score, swapped): how well the prediction's drug pair matches the gold pair (0 = not)."""
    p_drug, p_prior = (pred.drug, pred.drug_written), (pred.prior, pred.prior_written)
    straight = _side_scores(p_drug, p_prior, gold.drug, gold.prior)
    if gold.finding.direction_bidirectional or pred.finding.direction_bidirectional:
        swapped = _side_scores(p_prior, p_drug, gold.drug, gold.prior)
        if swapped > straight:
            return swapped, True
    return straight, False


def _best(pred: tuple[Agent, Agent], gold: Agent) -> float:
    """Score of a predicted side (linked agent, written agent) against a gold side: the linked one first."""
    linked, written = pred
    score = agent_score(linked, gold)
    if score == 0.0 and written and all(c.kind == "name" for c in gold):
        score = agent_score(written, gold)
    return score


def _side_scores(p_drug: tuple[Agent, Agent], p_prior: tuple[Agent, Agent], g_drug: Agent, g_prior: Agent) -> float:
    d = _best(p_drug, g_drug)
    if d == 0.0:
        return 0.0
    p = _best(p_prior, g_prior)
    return (d + p) / 2 if p else 0.0


def _types_compatible(a: str, b: str) -> bool:
    return a == b or "unknown" in (a, b)


def mechanism_match(pred: Prepared, gold: Prepared) -> bool:
    """Same mechanism: shared gene and compatible type; without gold genes, word overlap.

    ``unknown`` type is compatible with any type.  A gold row without a mechanism
    matches only a prediction without one (a stated mechanism the gold lacks is wrong).
    """
    g, p = gold.finding, pred.finding
    if not gold.genes and not gold.tokens:
        return not pred.genes and not pred.tokens
    if not _types_compatible(p.mechanism_type, g.mechanism_type):
        return False
    if gold.genes:
        return bool(pred.genes & gold.genes)
    if not pred.tokens:
        return False
    overlap = len(pred.tokens & gold.tokens) / min(len(pred.tokens), len(gold.tokens))
    return overlap >= MIN_TOKEN_OVERLAP


def via_class(pred: Prepared, gold: Prepared, swapped: bool = False) -> bool:
    """Does the pair match rest on a gold *class* that the prediction fills with a more specific agent?

    True when a class component of the gold drug or prior drug is not named as such on the facing side
    of the prediction (osimertinib for "EGFR TKIs"); ``swapped`` as returned by :func:`pair_score`.
    """
    facing = ((pred.prior, gold.drug), (pred.drug, gold.prior)) if swapped else ((pred.drug, gold.drug), (pred.prior, gold.prior))
    for p_side, g_side in facing:
        keys = {c.key for c in p_side}
        if any(c.kind == "class" and c.key not in keys for c in g_side):
            return True
    return False


def level_holds(level: str, pred: Prepared, gold: Prepared) -> bool:
    """Given a pair match, does the candidate also hold at ``level``?"""
    if level == "pair":
        return True
    if level == "pair+exact_effect":
        return pred.finding.effect == gold.finding.effect
    if pred.polarity != gold.polarity:
        return False
    return level == "pair+effect" or mechanism_match(pred, gold)


def assign(edges: dict[tuple[int, int], float], n_gold: int, n_pred: int) -> list[tuple[int, int, float]]:
    """One-to-one pairing of gold rows and predictions over the candidate ``edges``.

    Maximum cardinality first (every usable pair counts more than any score), then the
    highest total score.  Exact ties go to the earlier gold row / prediction: a tiny
    index-dependent penalty makes the optimum unique, so the result is deterministic.
    """
    if not edges:
        return []
    golds = sorted({g for g, _ in edges})
    preds = sorted({p for _, p in edges})
    gi = {g: i for i, g in enumerate(golds)}
    pi = {p: i for i, p in enumerate(preds)}
    big = float(min(len(golds), len(preds)) + 1)
    eps = 1e-6 / (len(golds) * len(preds) + 1)
    weights = np.zeros((len(golds), len(preds)))
    for (g, p), score in edges.items():
        weights[gi[g], pi[p]] = big + score - eps * (gi[g] * len(preds) + pi[p])
    rows, cols = linear_sum_assignment(weights, maximize=True)
    out = [(golds[r], preds[c], edges[(golds[r], preds[c])]) for r, c in zip(rows, cols) if (golds[r], preds[c]) in edges]
    return sorted(out)


class _GoldIndex:
    """Gold rows by the drug ids that could match them, so each prediction is scored only against plausible rows.

    A gold row is filed under the keys of its drug and prior-drug components (either may
    face the prediction's drug when a direction is bidirectional) and under every member
    of a class component; rows with a name the lexicon does not know are always tried.
    Pruning only: :func:`pair_score` still decides.
    """

    def __init__(self, golds: list[Prepared], indices: list[int]) -> None:
        self.by_key: dict[str, set[int]] = {}
        self.always: set[int] = set()
        self.all = set(indices)
        for i in indices:
            for comp in (*golds[i].drug, *golds[i].prior):
                if comp.kind == "name":
                    self.always.add(i)
                for k in (comp.key, *comp.members):
                    self.by_key.setdefault(k, set()).add(i)

    def candidates(self, pred: Prepared) -> list[int]:
        comps = pred.drug + (pred.prior if pred.finding.direction_bidirectional else ())
        if any(c.kind == "name" for c in comps):
            return sorted(self.all)
        found = set(self.always)
        for comp in comps:
            found |= self.by_key.get(comp.key, set())
        return sorted(found)


def candidate_pairs(
    preds: list[Prepared],
    golds: list[Prepared],
    same_review: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[int, int], tuple[float, bool]]:
    """All (gold index, pred index) pairs whose drug pairs match (within one review unless told otherwise).

    ``progress`` is called with 1 after each prediction (for a progress bar).
    """
    groups: dict[str, list[int]] = {}
    for i, g in enumerate(golds):
        groups.setdefault(g.review if same_review else "", []).append(i)
    indexes = {review: _GoldIndex(golds, idx) for review, idx in groups.items()}
    out: dict[tuple[int, int], tuple[float, bool]] = {}
    for j, p in enumerate(preds):
        index = indexes.get(p.review if same_review else "")
        for i in index.candidates(p) if index else ():
            score, swapped = pair_score(p, golds[i])
            if score > 0:
                out[(i, j)] = (score, swapped)
        if progress is not None:
            progress(1)
    return out


def match_level(
    level: str, preds: list[Prepared], golds: list[Prepared], pairs: dict[tuple[int, int], tuple[float, bool]]
) -> list[tuple[int, int, float]]:
    """One-to-one matches (gold index, pred index, score) at one level."""
    edges = {k: s for k, (s, _) in pairs.items() if level_holds(level, preds[k[1]], golds[k[0]])}
    return assign(edges, len(golds), len(preds))
