"""The one tokenizer every miner model uses: scispacy's ``combined_rule_tokenizer`` + 2 infixes.

scispacy keeps hyphenated and slashed words whole ("IL-2", "anti-PD-1", "CDK4/6"),
which is right for names but glues a drug or gene to the adjective it modifies:
"cisplatin-induced", "HER2-positive", "trastuzumab-resistant", "paclitaxel/cisplatin".
No entity boundary can then fall inside them (2.7x more BC5CDR train mentions and
2x more BC2GM mentions would be unreachable), so two general infix rules are added:

* a hyphen before an adjectival head (a lower-case ``-ed``/``-ing`` word or a common
  modifier such as resistant/positive/mutant/naive/refractory/dependent) is split;
* a slash between two alphanumeric words (``BRAF/MEK``, ``mg/kg``) is split, while
  ``CDK4/6`` or ``+/-`` stay whole.

The rules live in the tokenizer's serialized regexes, so a saved model reproduces
them with plain ``spacy.load`` (no registered function is needed at load time).
All training docs are tokenized with it so that entity spans and tags are learned
on the same token boundaries the pipeline produces at run time; training installs it
through :mod:`miner.nlp.training.tokenizer`.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

# scispacy's prefix regex contains "[[" which Python flags as a possible future set union; harmless noise
warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)

#: lower-case heads of hyphenated modifiers ("X-induced", "X-positive") split off their modifier
ADJECTIVAL_HEADS = (
    r"(?:[a-z]+(?:ed|ing)|resistant|sensitive|dependent|independent|positive|negative|mutant"
    r"|naive|naïve|refractory|free|based|specific|like|containing|rich|deficient|proficient"
    r"|null|responsive|expressing|high|low|amplified)"
)
EXTRA_INFIXES = (
    r"(?<=[A-Za-z0-9\)\]])-(?=" + ADJECTIVAL_HEADS + r"$)",
    r"(?<=[A-Za-z0-9][A-Za-z0-9])/(?=[A-Za-z][A-Za-z0-9])",
)


def miner_tokenizer(nlp: Language) -> Tokenizer:
    """scispacy's combined rule tokenizer with miner's two extra infix rules."""
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    tokenizer = combined_rule_tokenizer(nlp)
    pattern = tokenizer.infix_finditer.__self__.pattern  # type: ignore[attr-defined]
    tokenizer.infix_finditer = re.compile("|".join((pattern, *EXTRA_INFIXES))).finditer
    return tokenizer


@lru_cache(maxsize=1)
def scispacy_nlp() -> Language:
    """A blank English pipeline with the models' tokenizer (for data conversion)."""
    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    return nlp


def tokenize(text: str) -> Doc:
    """Tokenize ``text`` exactly as the trained pipelines will."""
    return scispacy_nlp().make_doc(text)
