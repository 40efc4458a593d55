"""Plain-dict view of a processed document's entities (for ``miner annotate --json`` and downstream stages)."""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

from miner.lexicon import Lexicon, load_lexicon


def entity_record(ent: Span, lexicon: Lexicon | None = None) -> dict[str, Any]:
    """One entity: text, label, offsets, id and the finer annotations its label carries."""
    lexicon = lexicon or load_lexicon()
    rec: dict[str, Any] = {
        "text": ent.text,
        "label": ent.label_,
        "start": ent.start_char,
        "end": ent.end_char,
        "id": ent.kb_id_ or None,
    }
    if ent.label_ == "CHEMICAL":
        rec["drug_label"] = ent._.drug_label
        rec["drug_ids"] = list(ent._.drug_ids)
        rec["class_id"] = ent._.class_id
        rec["member_ids"] = list(ent._.member_ids)
        entry = lexicon.get(ent.kb_id_) if ent.kb_id_ else None
        rec["name"] = entry.name if entry else None
        if entry is not None and entry.kind == "drug":
            rec["classes"] = sorted({c for d in ent._.drug_ids for c in lexicon.classes_of(d)})
        elif entry is not None and entry.kind == "class":
            rec["classes"] = list(entry.parents)
        else:
            rec["classes"] = []
        rec["link_source"] = ent._.link_source
    elif ent.label_ == "GENE":
        rec["id"] = ent._.gene_id
    elif ent.label_ == "VARIANT":
        rec["variant_type"] = ent._.variant_type
        rec["gene_ids"] = list(ent._.gene_ids)
    elif ent.label_ == "DISEASE" and ent._.cancer_name:
        rec["cancer_name"] = ent._.cancer_name  # normalized cancer type (miner.nlp.cancers)
        rec["cancer_id"] = ent._.cancer_id
    long_form = ent._.long_form
    if long_form is not None:
        rec["long_form"] = long_form if isinstance(long_form, str) else long_form.text
    return rec


def doc_record(doc: Doc, lexicon: Lexicon | None = None) -> dict[str, Any]:
    """Entities and abbreviation definitions of a document."""
    lexicon = lexicon or load_lexicon()
    abbreviations = []
    seen = set()
    for short in getattr(doc._, "abbreviations", []) or []:
        if not isinstance(short, Span) or short._.long_form is None:
            continue
        long_form = short._.long_form
        item = (short.text, long_form if isinstance(long_form, str) else long_form.text)
        if item not in seen:
            seen.add(item)
            abbreviations.append({"short": item[0], "long": item[1]})
    return {
        "entities": [entity_record(e, lexicon) for e in doc.ents],
        "abbreviations": abbreviations,
    }
