"""Registrations ``spacy train --code`` needs for configs/relation*.cfg: miner's tokenizer callback, the
``miner_relation`` factory and architectures, and the ``miner.RelationCorpus.v1`` reader."""

import miner.extract.relation.component  # noqa: F401
import miner.extract.relation.data  # noqa: F401
import miner.nlp.training.tokenizer  # noqa: F401
