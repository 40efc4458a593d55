"""Relation records -> :class:`miner.schema.Finding` (what the reader can merge with the rules' findings).

:func:`relation_findings` turns the ``doc._.relations`` of one parsed Doc into findings with provenance
(``rule = "model:miner_relation"``, ``confidence`` = the classifier's score, offsets into the document text):

* a ``prior`` relation -> a sequential finding: drug = head, prior_drug = tail, effect = label;
* a ``mechanism`` relation -> a ``resistance`` finding: drug = head, mechanism = tail (a GENE or VARIANT span),
  ``mechanism_genes`` = its HGNC symbol(s).

Context fields the rules fill (cancer, evidence level, hedging, negation, section) are left at their defaults:
combining them is the reader's job.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from miner.schema import Finding

RULE = "model:miner_relation"


def _ext(span: Span, name: str):
    return getattr(span._, name) if span.has_extension(name) else None


def _drug_ids(span: Span) -> list[str]:
    label = _ext(span, "drug_label") or ""
    if label == "DRUG":
        return list(_ext(span, "drug_ids") or [])
    class_id = _ext(span, "class_id")
    return [class_id] if class_id else []


def _gene_ids(span: Span) -> list[str]:
    if span.label_ == "VARIANT" or _ext(span, "gene_ids"):
        genes = [g for g in (_ext(span, "gene_ids") or ()) if g]
        if genes:
            return genes
    gene = _ext(span, "gene_id")
    return [gene] if gene else []


def _sentence(doc: Doc, head: Span, tail: Span) -> tuple[int, int]:
    start = min(head.sent.start_char, tail.sent.start_char) if doc.has_annotation("SENT_START") else 0
    end = max(head.sent.end_char, tail.sent.end_char) if doc.has_annotation("SENT_START") else len(doc.text)
    while start < end and doc.text[start].isspace():
        start += 1
    while end > start and doc.text[end - 1].isspace():
        end -= 1
    return start, end


def _key(ids: list[str], text: str) -> str:
    return "|".join(sorted(ids)) if ids else text.lower()


def relation_findings(doc: Doc, doc_id: str, base: int = 0, min_score: float = 0.0) -> list[Finding]:
    """Findings of the accepted relations of ``doc`` (a piece of the document text starting at ``base``).

    One finding per sentence and agent pair (two mentions of the same pair keep the more confident reading; of
    "X after Y" and "Y after X" in one sentence the more confident direction), as the rule reader does.
    """
    found: list[Finding] = []
    for rel in doc._.relations:
        if rel.score < min_score:
            continue
        head, tail = rel.head, rel.tail
        s, e = _sentence(doc, head, tail)
        offsets = {"sentence": [base + s, base + e], "drug": [base + head.start_char, base + head.end_char]}
        common = dict(doc_id=doc_id, sentence=doc.text[s:e], rule=RULE, confidence=round(float(rel.score), 3),
                      drug=head.text, drug_ids=_drug_ids(head))
        if rel.kind == "prior":
            offsets["prior_drug"] = [base + tail.start_char, base + tail.end_char]
            found.append(Finding(effect=rel.label, prior_drug=tail.text, prior_drug_ids=_drug_ids(tail),
                                 kind="sequential", offsets=offsets, **common))
        else:
            offsets["mechanism"] = [base + tail.start_char, base + tail.end_char]
            found.append(Finding(effect="resistance", mechanism=tail.text, mechanism_genes=_gene_ids(tail),
                                 kind="acquired", offsets=offsets, **common))
    best: dict[tuple, Finding] = {}
    for f in found:
        second = _key(f.prior_drug_ids, f.prior_drug) if f.prior_drug else "mech:" + _key(f.mechanism_genes, f.mechanism)
        pair = frozenset({_key(f.drug_ids, f.drug), second}) if f.prior_drug else (_key(f.drug_ids, f.drug), second)
        key = (tuple(f.offsets["sentence"]), pair)
        if key not in best or f.confidence > best[key].confidence:
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.offsets["sentence"][0], f.offsets["drug"][0]))
