"""The training side of miner's tokenizer (:mod:`miner.nlp.tokenizer`).

``spacy train --code miner/nlp/training/tokenizer.py`` registers the ``miner.replace_tokenizer`` callback that the
configs' ``[initialize.before_init]`` names, so a model is trained on the tokens the pipeline produces at run time;
corpora that ship tokens without their text get a plain-English guess of the spacing (:func:`guess_spaces`).
"""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.language import Language

from miner.nlp.tokenizer import miner_tokenizer


@spacy.registry.callbacks("miner.replace_tokenizer")
def replace_tokenizer_callback() -> Callable[[Language], Language]:
    """``[initialize.before_init]`` callback: install :func:`miner_tokenizer` before training."""

    def replace(nlp: Language) -> Language:
        nlp.tokenizer = miner_tokenizer(nlp)
        return nlp

    return replace


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
