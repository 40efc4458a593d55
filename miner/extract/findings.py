"""One finding builder for every reader: the sentence reader, the table reader, the relation model.

Whatever proposed a relation, a :class:`miner.schema.Finding` is assembled here, so that
confidence, kind, direction flags and provenance offsets are decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from miner.nlp.cancers import normalize_cancer
from miner.schema import Finding

HEDGE_PENALTY = 0.15
ANAPHORA_PENALTY = 0.1
NEXT_SENTENCE_PENALTY = 0.05


class Argument(Protocol):
    """A drug argument: its text as written, offsets in the document and lexicon ids."""

    @property
    def text(self) -> str: ...

    @property
    def span(self) -> tuple[int, int]: ...

    @property
    def ids(self) -> list[str]: ...


@dataclass
class MechanismArg:
    text: str
    start: int
    end: int
    genes: list[str]
    type: str = "unknown"


@dataclass
class Context:
    """What the statement around a relation says about it (read once per sentence or table row)."""

    hedged: bool = False
    bidirectional: bool = False
    negated: bool = False
    evidence_level: str = "unknown"
    cancer: str = ""
    section: str = ""


@dataclass
class Provenance:
    doc_id: str
    sentence: str
    start: int
    end: int


def reversed_finding(f: Finding) -> Finding:
    """The same statement read the other way round (drug and prior swapped), for texts that state both
    directions ("X-resistant cells are sensitive to Y, and vice versa"; guidelines section 3)."""
    data = f.to_dict()
    data["drug"], data["prior_drug"] = f.prior_drug, f.drug
    data["drug_ids"], data["prior_drug_ids"] = list(f.prior_drug_ids), list(f.drug_ids)
    offsets = dict(f.offsets)
    offsets["drug"], offsets["prior_drug"] = f.offsets["prior_drug"], f.offsets["drug"]
    data["offsets"] = offsets
    data["id"] = ""
    return Finding.from_dict(data)


def normalized_cancer(cancer: str) -> tuple[str, str]:
    """``(cancer_name, cancer_id)`` of a cancer as written: its cancer-vocabulary name and id
    ("EGFR-mutant NSCLC" -> ("non-small cell lung cancer", "MESH:D002289")), or ("", "") when the vocabulary
    does not know it (no id)."""
    if not cancer.strip():
        return "", ""
    name, ident = normalize_cancer(cancer)
    return (name, ident) if ident else ("", "")


def set_cancer(f: Finding, cancer: str) -> None:
    """Give ``f`` its cancer as written and normalized (the one place the extractor sets them)."""
    f.cancer = cancer
    f.cancer_name, f.cancer_id = normalized_cancer(cancer)


def confidence(base: float, hedged: bool = False, anaphora: bool = False, mechanism_from_next: bool = False) -> float:
    """A rule's base confidence lowered for what makes a reading less certain, kept within [0.05, 1]."""
    conf = base
    conf -= HEDGE_PENALTY if hedged else 0.0
    conf -= ANAPHORA_PENALTY if anaphora else 0.0
    conf -= NEXT_SENTENCE_PENALTY if mechanism_from_next else 0.0
    return round(max(0.05, min(1.0, conf)), 3)


def build(
    drug: Argument,
    prior: Argument | None,
    effect: str,
    kind: str,
    context: Context,
    provenance: Provenance,
    rule: str,
    confidence: float,
    mechanism: MechanismArg | None = None,
    note: str = "",
) -> Finding:
    """A finding with offsets for its sentence, arguments and mechanism; a prior makes it sequential."""
    offsets = {"sentence": [provenance.start, provenance.end], "drug": list(drug.span)}
    if prior is not None:
        offsets["prior_drug"] = list(prior.span)
    if mechanism is not None:
        offsets["mechanism"] = [mechanism.start, mechanism.end]
    finding = Finding(
        drug=drug.text,
        effect=effect,
        prior_drug=prior.text if prior is not None else "",
        mechanism=mechanism.text if mechanism is not None else "",
        drug_ids=list(drug.ids),
        prior_drug_ids=list(prior.ids) if prior is not None else [],
        mechanism_genes=list(mechanism.genes) if mechanism is not None else [],
        mechanism_type=mechanism.type if mechanism is not None else "unknown",
        kind="sequential" if prior is not None else kind,
        direction_bidirectional=context.bidirectional and effect != "resistance",
        hedged=context.hedged,
        negated=context.negated,
        evidence_level=context.evidence_level,
        section=context.section,
        doc_id=provenance.doc_id,
        sentence=provenance.sentence,
        offsets=offsets,
        rule=rule,
        confidence=confidence,
        note=note,
    )
    set_cancer(finding, context.cancer)
    return finding
