"""Custom attributes that miner's components put on spans and docs (registered once, idempotently).

Entity labels stay the four coarse ones (CHEMICAL, DISEASE, GENE, VARIANT); finer information lives here:

- ``span._.drug_label``: "DRUG" | "REGIMEN" | "DRUG_CLASS" for a lexicon-linked CHEMICAL, else None;
- ``span._.drug_ids``: DrugBank ids named by the span (one drug, or several for "carboplatin/cisplatin");
- ``span._.class_id`` / ``span._.member_ids``: class or regimen id and the drug ids it covers;
- ``span._.link_source``: how the id was found: "lexicon", "ner" (statistical span linked by name),
  "abbreviation" (short form defined in the same document), "pattern" (VARIANT rules);
- ``span._.gene_id``: official symbol of a GENE span ("HER2" -> "ERBB2");
- ``span._.gene_ids`` / ``span._.variant_type``: genes a VARIANT concerns and its kind ("protein_change", ...);
- ``span._.cancer_name`` / ``span._.cancer_id``: normalized cancer type of a DISEASE span that names a cancer
  ("ALK-rearranged lung cancer" -> "lung cancer", "MESH:D008175"; :mod:`miner.nlp.cancers`);
- ``span._.long_form``: set by scispacy's AbbreviationDetector on short forms (shared by the CHEMICAL span at
  the same offsets, since span extensions are keyed by character offsets).
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

SPAN_EXTENSIONS: dict[str, object] = {
    "drug_label": None,
    "drug_ids": (),
    "class_id": None,
    "member_ids": (),
    "link_source": None,
    "gene_id": None,
    "gene_ids": (),
    "variant_type": None,
    "long_form": None,
    "cancer_name": None,
    "cancer_id": None,
}


def register_extensions() -> None:
    """Register every miner span/doc extension (safe to call many times)."""
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Doc.has_extension("abbreviations"):
        Doc.set_extension("abbreviations", default=[])
