"""Biomedical NLP stage: the spaCy pipeline (:func:`load`) and the drug/class/gene lexicon (:func:`load_lexicon`).

The lexicon API needs no model and is cheap to import; the pipeline is built lazily on first :func:`load`.
"""

from __future__ import annotations

from miner.nlp.lexicon import GeneEntry, LexEntry, Lexicon, load_lexicon

__all__ = ["GeneEntry", "LexEntry", "Lexicon", "load_lexicon", "load"]


def __getattr__(name: str):
    # Lazy: importing spaCy and building the pipeline is only paid for by callers that need it.
    if name == "load":
        from miner.nlp.pipeline import load

        return load
    raise AttributeError(name)
