"""The ground-floor vocabulary: knowledge about names that every stage uses (nlp, extract, evaluate).

Modules here import nothing else of miner, so any stage may import them without a cycle.

- :mod:`miner.lexicon.genes`: gene symbols (HGNC shape, gene families that are no symbol), fusion
  kinases, and variant -> gene lookups compiled from CIViC training items.
"""
