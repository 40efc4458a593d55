"""Biomedical NLP stage: the spaCy pipeline (:func:`load`); the drug/class/gene lexicon it links to lives at the
ground floor (:mod:`miner.lexicon`) and is re-exported here.

The lexicon API needs no model and is cheap to import; the pipeline is built lazily on first :func:`load`.
"""

from __future__ import annotations

from miner.lexicon import GeneEntry, LexEntry, Lexicon, load_lexicon

__all__ = ["GeneEntry", "LexEntry", "Lexicon", "load_lexicon", "load"]


def __getattr__(name: str):
    # Lazy: importing spaCy and building the pipeline is only paid for by callers that need it.
    if name == "load":
        from miner.nlp.pipeline import load

        return load
    raise AttributeError(name)
