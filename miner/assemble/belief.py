"""Belief: how well a statement is supported by its evidence (0-1), documented in the README.

Each piece of evidence gets a probability of supporting the statement,

    p = READER_RELIABILITY x confidence x LEVEL_WEIGHT[evidence level] x HEDGED (if hedged) x NEGATED (if negated)

where ``confidence`` is the extractor's (its rule's base confidence, already lowered for
hedging, anaphora and a mechanism read from the next sentence: :mod:`miner.extract.findings`),
the level weight says how directly the evidence bears on patients (clinical > in vivo >
in vitro), the hedge factor says a correctly read "may confer" still claims less than
"confers", and the negation factor reflects that a negated reading has been turned into the
opposite effect (:data:`miner.extract.grammar.NEGATED_EFFECT`), a step that can misjudge
the negation's scope.

Sentences of one document are not independent (a paper restating its result is one
result), so a document counts once, with its best piece; documents combine as independent
sources (noisy-OR, as INDRA's simple scorer does)::

    belief = 1 - prod over documents d of (1 - max p in d)

Curators override: evidence a curator accepted (or corrected into this statement) has
p = 1, so the statement's belief is 1; rejected evidence never reaches this module
(assembly drops it).  The constants are module attributes so that callers can see (and
tests can pin) the numbers the README documents.
"""

from __future__ import annotations

from typing import Iterable, Protocol

#: A single sentence read by the extractor is never certain (its measured precision on abstracts is 0.86).
READER_RELIABILITY = 0.9
#: How directly the evidence bears on patients.
LEVEL_WEIGHT = {
    "clinical": 1.0,
    "real_world": 1.0,
    "mixed": 0.95,
    "in_vivo": 0.85,
    "unknown": 0.8,
    "in_vitro": 0.75,
}
HEDGED = 0.8
NEGATED = 0.8
#: Curator decisions that make a piece of evidence certain.
CERTAIN_DECISIONS = ("accepted", "corrected")


class EvidenceLike(Protocol):
    """What belief reads from a piece of evidence (see :class:`miner.assemble.statements.Evidence`)."""

    @property
    def doc_id(self) -> str: ...

    @property
    def confidence(self) -> float: ...

    @property
    def evidence_level(self) -> str: ...

    @property
    def hedged(self) -> bool: ...

    @property
    def negated(self) -> bool: ...

    @property
    def decision(self) -> str: ...


def evidence_probability(ev: EvidenceLike) -> float:
    """The probability that one piece of evidence supports its statement (1 when a curator accepted it)."""
    if ev.decision in CERTAIN_DECISIONS:
        return 1.0
    p = READER_RELIABILITY * max(0.0, min(1.0, ev.confidence)) * LEVEL_WEIGHT.get(ev.evidence_level, LEVEL_WEIGHT["unknown"])
    if ev.hedged:
        p *= HEDGED
    if ev.negated:
        p *= NEGATED
    return p


def belief(evidence: Iterable[EvidenceLike]) -> float:
    """Noisy-OR over documents of each document's best evidence probability (0 without evidence)."""
    best: dict[str, float] = {}
    for ev in evidence:
        p = evidence_probability(ev)
        if p > best.get(ev.doc_id, -1.0):
            best[ev.doc_id] = p
    doubt = 1.0
    for p in best.values():
        doubt *= 1.0 - p
    return round(1.0 - doubt, 4) if best else 0.0
