"""Registrations ``spacy train --code`` needs for ``configs/*_trf.cfg``.

``miner.trf_before_init.v1`` (``[initialize.before_init]``): checks ``[paths] encoder`` before spacy-transformers
tries to load it (a missing or wrong directory gives a MinerError naming the path instead of a hub lookup error),
then installs miner's tokenizer exactly as ``miner.replace_tokenizer`` does for the CNN configs. The relation
component's factory, architectures and corpus reader are registered too (``configs/relation_trf.cfg``).
"""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.language import Language

import miner.nlp.training.tokenizer  # noqa: F401  (miner.replace_tokenizer)
from miner.nlp.transformer import check_encoder


@spacy.registry.callbacks("miner.trf_before_init.v1")
def trf_before_init(encoder: str) -> Callable[[Language], Language]:
    """Check the encoder checkpoint directory, then install miner's tokenizer."""

    def before_init(nlp: Language) -> Language:
        from miner.nlp.tokenizer import miner_tokenizer

        check_encoder(encoder)
        nlp.tokenizer = miner_tokenizer(nlp)
        return nlp

    return before_init


def _register_relation() -> None:
    """The relation component's registrations, when that package is present (configs/relation_trf.cfg)."""
    try:
        import miner.extract.relation.component  # noqa: F401
        import miner.extract.relation.data  # noqa: F401
    except ImportError:  # pragma: no cover - the relation package is part of miner
        pass


_register_relation()
