"""The ground-floor vocabulary: knowledge about names that every stage uses (nlp, extract, evaluate).

Modules here import nothing of miner but each other and :mod:`miner.errors`, so any stage may import them
without a cycle, and none needs spaCy.

- :mod:`miner.lexicon.normalize`: lexicon keys (case, whitespace, hyphens, Unicode forms) and the one set of
  hyphens and dashes;
- :mod:`miner.lexicon.lexicon`: the drug/regimen/class/gene lexicon (:func:`load_lexicon`);
- :mod:`miner.lexicon.ngrams`: the longest-match lookup of names over token or word n-grams;
- :mod:`miner.lexicon.compounds`: splitting names written as one compound ("carboplatin/cisplatin", "X plus Y");
- :mod:`miner.lexicon.abbreviations`: definitions of drug abbreviations ("enzalutamide (ENZA)");
- :mod:`miner.lexicon.genes`: gene symbols (HGNC shape, gene families that are no symbol), fusion
  kinases, and variant -> gene lookups compiled from CIViC training items.
"""

from __future__ import annotations

from miner.lexicon.lexicon import KIND_LABELS, LEXICON_DIR, GeneEntry, LexEntry, Lexicon, load_lexicon

__all__ = ["KIND_LABELS", "LEXICON_DIR", "GeneEntry", "LexEntry", "Lexicon", "load_lexicon"]
