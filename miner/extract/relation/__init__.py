"""A trained relation component beside the rules (issue 14, section 2).

- :mod:`.candidates`: candidate pairs (drug, prior drug) and (drug, gene/variant) of a parsed Doc (pure function);
- :mod:`.model`: the thinc network (pluggable tok2vec -> span-pair instance tensor -> classification layer);
- :mod:`.component`: the spaCy factory ``miner_relation`` and its output ``doc._.relations`` (Relation records);
- :mod:`.data`: training data: annotated development abstracts (train split only), CIViC (train split only),
  written examples; conversion to ``.spacy`` files;
- :mod:`.train`: ``python -m miner.extract.relation.train`` (convert, train, evaluate, package).

:func:`add_relation_component` puts the packaged component (``models/relation``) into a loaded miner pipeline.
This package imports nothing heavy at import time: the factory module is what the ``spacy_factories`` entry point
and ``spacy.load`` import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = ["add_relation_component", "DEFAULT_PACKAGE"]

#: the packaged component (``models/relation``; the environment variable ``MINER_RELATION_PACKAGE`` points the default
#: reader at another package, e.g. to compare two trained models on the same rules in one sitting)
SHIPPED_PACKAGE = Path(__file__).resolve().parents[3] / "models" / "relation"
DEFAULT_PACKAGE = Path(os.environ["MINER_RELATION_PACKAGE"]) if os.environ.get("MINER_RELATION_PACKAGE") else SHIPPED_PACKAGE


def add_relation_component(nlp: "Language", package: str | Path | None = None, name: str = "miner_relation",
                           **config) -> "Language":
    """Source the trained ``miner_relation`` component from ``package`` (default ``models/relation``) into ``nlp``
    (a pipeline from :func:`miner.nlp.load`), last; ``config`` overrides its settings (``threshold``,
    ``mechanism_threshold``, ``neighbours``). Idempotent: a pipeline that has the component keeps it.

    A package trained with static word vectors stores none of its own (the ``models/`` size budget): it uses the
    table of the pipeline it joins (``ner_cdr``'s, which :func:`miner.nlp.load` copies into the core vocab); a
    pipeline without vectors is refused with a clear error.
    """
    import warnings

    import spacy

    from miner.errors import MinerError
    from miner.extract.relation import component  # noqa: F401  (registers the factory)

    if name in nlp.pipe_names:
        return nlp
    path = Path(package) if package is not None else DEFAULT_PACKAGE
    if not (path / "config.cfg").is_file():
        raise MinerError(f"no trained relation component at {path}; train it with "
                         "`python -m miner.extract.relation.train all` (or `weasel run relation`)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = spacy.load(path)
        (src_name,) = [n for n in source.pipe_names if source.get_pipe(n).__class__.__name__ == "RelationExtractor"]
        pipe = source.get_pipe(src_name)
        needs = _static_vectors_width(pipe)
        if needs:
            have = nlp.vocab.vectors.shape[1] if nlp.vocab.vectors.shape[0] else 0
            if have != needs:
                raise MinerError(
                    f"the relation component in {path} reads {needs}-d static word vectors, which this pipeline "
                    f"does not have ({'none' if not have else f'{have}-d'}); use miner.nlp.load()'s pipeline"
                )
        nlp.add_pipe(src_name, name=name, source=source)
    comp = nlp.get_pipe(name)
    for key, value in config.items():
        if key not in comp.cfg:
            raise MinerError(f"miner_relation has no setting {key!r} (settings: {', '.join(comp.cfg)})")
        comp.cfg[key] = value
    comp._cfg_changed()
    return nlp


def _static_vectors_width(pipe) -> int:
    for node in pipe.model.walk():
        if node.name == "static_vectors" and node.has_dim("nM"):
            return int(node.get_dim("nM") or 0)
    return 0
