"""Placeholder; replaced below."""
from __future__ import annotations
from functools import lru_cache
import spacy
from spacy.language import Language


@lru_cache(maxsize=1)
def tokenizer_pipeline() -> Language:
    from miner.nlp.training.tokenizer import miner_tokenizer
    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    return nlp
