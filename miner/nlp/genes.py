"""Gene normalisation: official HGNC symbols on GENE entities (``span._.gene_id``).

Dictionary normalisation against the curated alias table (``miner/data/lexicon/genes.jsonl``), in the manner of
gene-normalisation baselines (e.g. GNormPlus' exact-alias step): the entity text, then the text without a trailing
"gene"/"protein"/"mRNA"/"expression" word, is looked up case-, hyphen- and space-insensitively. Unknown genes keep
``gene_id`` None rather than a guessed symbol.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from miner.nlp.extensions import register_extensions
from miner.lexicon import Lexicon, load_lexicon

_TRAILING = re.compile(r"[\s-]+(?:genes?|proteins?|mRNAs?|expression|transcripts?|receptors?)$", re.IGNORECASE)


@Language.factory("miner_gene_normalizer", default_config={})
def make_gene_normalizer(nlp: Language, name: str) -> "GeneNormalizer":
    """Factory for :class:`GeneNormalizer` (spaCy registry name ``miner_gene_normalizer``)."""
    return GeneNormalizer(name)


class GeneNormalizer:
    """Sets ``span._.gene_id`` on GENE entities whose text is a known gene name or alias."""

    def __init__(self, name: str = "miner_gene_normalizer", lexicon: Lexicon | None = None) -> None:
        register_extensions()
        self.name = name
        self.lexicon = lexicon or load_lexicon()

    def normalize(self, text: str) -> str | None:
        """Official symbol for a gene mention, or None."""
        symbol = self.lexicon.normalize_gene(text)
        if symbol is None:
            stripped = _TRAILING.sub("", text)
            if stripped != text and stripped:
                symbol = self.lexicon.normalize_gene(stripped)
        return symbol

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            if ent.label_ == "GENE":
                ent._.gene_id = self.normalize(ent.text)
        return doc
