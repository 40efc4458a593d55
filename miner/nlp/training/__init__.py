"""Training-data conversion and held-out evaluation for miner's own spaCy models.

scispacy's pretrained pipelines cannot be downloaded here, so miner trains its own
from the public corpora in ``../shared/data``.  This package turns those corpora
(CoNLL-U trees, GENIA POS, PubTator, IOB, BioCreative II) into spaCy ``DocBin``
files whose tokens come from scispacy's tokenizer, and scores the trained models
on the held-out test sets.  Training itself is driven by ``project.yml`` /
``miner models train``.
"""
