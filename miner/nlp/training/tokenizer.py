"""The one tokenizer every miner model uses: scispacy's ``combined_rule_tokenizer``.

All training docs are tokenized with it so that entity spans and tags are learned
on the same token boundaries the pipeline produces at run time.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc


@lru_cache(maxsize=1)
def scispacy_nlp() -> Language:
    """A blank English pipeline whose tokenizer is scispacy's rule tokenizer."""
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    return nlp


def tokenize(text: str) -> Doc:
    """Tokenize ``text`` exactly as the trained pipelines will."""
    return scispacy_nlp().make_doc(text)


#: tokens that attach to the previous token without a space in running text
_NO_SPACE_BEFORE = {".", ",", ";", ":", ")", "]", "}", "%", "'s", "'S", "n't", "'", "?", "!", "'re", "'ve", "'ll", "'m", "'d"}
#: tokens after which running text has no space
_NO_SPACE_AFTER = {"(", "[", "{"}


def guess_spaces(words: list[str]) -> list[bool]:
    """Whitespace after each token for corpora that ship tokens without text.

    GENIA trees and IOB files lose the original spacing; a plain-English guess
    ("no space before a comma, none after an opening bracket") gives a text
    the scispacy tokenizer splits much like the original abstract.
    """
    spaces = []
    for i, word in enumerate(words):
        if i + 1 == len(words):
            spaces.append(False)
        elif word in _NO_SPACE_AFTER or words[i + 1] in _NO_SPACE_BEFORE:
            spaces.append(False)
        else:
            spaces.append(True)
    return spaces
