"""BioC XML and JSON through the ``bioc`` package.

One BioC document per corpus document with a single passage (offset 0, the document
text) so annotation locations are document offsets; each finding's arguments are
annotations (infon ``type`` = role) and the finding is a relation whose nodes point to
them by role, with infons for effect, confidence, status (with the gold ids and reason of that
reconciliation label) and the flags.
Format: Comeau et al. 2013, BioC: a minimalist approach to interoperability.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

import bioc
from bioc import biocjson, biocxml

from miner.export.common import argument_spans, atomic_file, decision_summary, document_text, group_by_doc, xml_safe
from miner.schema import Finding


def build_collection(findings: Iterable[Finding], texts: Mapping[str, str],
                     decisions: Mapping[str, dict] | None = None, for_xml: bool = False) -> bioc.BioCCollection:
    """One BioC document per corpus document; each finding a relation (with its latest decision, if any).

    ``for_xml``: characters XML cannot hold (form feed, FS/GS/RS, ...) become spaces, which keeps every offset.
    """
    decisions = decisions or {}
    clean = xml_safe if for_xml else str
    collection = bioc.BioCCollection()
    collection.source = "miner"
    collection.date = date.today().isoformat()
    collection.key = "miner.key"
    for doc_id, items in group_by_doc(findings).items():
        text = clean(document_text(doc_id, texts))
        doc = bioc.BioCDocument()
        doc.id = clean(doc_id)
        passage = bioc.BioCPassage()
        passage.offset = 0
        passage.text = text
        passage.infons["type"] = "document"
        ann_ids: dict[tuple[str, int, int], str] = {}
        for f in items:
            relation = bioc.BioCRelation()
            relation.id = f.id
            for span in argument_spans(f, text):
                key = (span.role, span.start, span.end)
                if key not in ann_ids:
                    ann = bioc.BioCAnnotation()
                    ann.id = f"A{len(ann_ids) + 1}"
                    ann.text = span.text
                    ann.infons["type"] = span.role
                    ids = {"Drug": f.drug_ids, "PriorDrug": f.prior_drug_ids, "Mechanism": f.mechanism_genes}[span.role]
                    if ids:
                        ann.infons["identifier"] = ",".join(ids)
                    ann.add_location(bioc.BioCLocation(span.start, span.end - span.start))
                    passage.add_annotation(ann)
                    ann_ids[key] = ann.id
                relation.add_node(bioc.BioCNode(ann_ids[key], span.role))
            relation.infons.update({
                "type": "finding", "effect": f.effect, "confidence": f"{f.confidence:.3f}",
                "status": f.status, "gold_ids": ";".join(f.gold_ids), "reason": f.reason, "hedged": str(f.hedged).lower(), "negated": str(f.negated).lower(),
                "mechanism_type": f.mechanism_type, "kind": f.kind, "evidence_level": f.evidence_level,
                "rule": f.rule,
            })
            relation.infons.update({k: v for k, v in decision_summary(decisions.get(f.id)).items() if v})
            relation.infons.update({k: clean(v) for k, v in relation.infons.items()})
            passage.add_relation(relation)
        doc.add_passage(passage)
        collection.add_document(doc)
    return collection


def write_bioc(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *,
               force: bool = False, as_json: bool = False, decisions: Mapping[str, dict] | None = None) -> int:
    collection = build_collection(findings, texts, decisions, for_xml=not as_json)
    with atomic_file(out, force) as fh:
        if as_json:
            biocjson.dump(collection, fh, indent=1)
        else:
            biocxml.dump(collection, fh)
    return len(collection.documents)
