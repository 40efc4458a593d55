"""The models miner trains: where their config, training output and package live.

One table so the trainer, the packager, the evaluator and the CLI agree on names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from miner.config import REPO_ROOT

MODELS_DIR = REPO_ROOT / "models"
TRAINING_DIR = REPO_ROOT / "training"


@dataclass(frozen=True)
class ModelSpec:
    """A trainable pipeline: its config, its converted corpus and its packaged location."""

    name: str
    corpus: str
    components: tuple[str, ...]
    description: str
    sources: tuple[str, ...]

    @property
    def config(self) -> Path:
        return REPO_ROOT / "configs" / f"{self.name}.cfg"

    @property
    def output(self) -> Path:
        return TRAINING_DIR / "output" / self.name

    @property
    def package_dir(self) -> Path:
        return MODELS_DIR / self.name


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "core",
            "core",
            ("tok2vec", "tagger", "attribute_ruler", "lemmatizer", "parser"),
            "Biomedical core pipeline: scispacy tokenizer, PTB tagger, UD v1 dependency parser "
            "(sentence boundaries), rule lemmatizer (PTB tag -> UPOS/morph via attribute_ruler).",
            (
                "GENIA UD trees dev + future_use (allenai/genia-dependency-trees), 25 dev abstracts held out for selection",
                "UD English EWT train, half of its documents (UD v2 labels mapped to GENIA's UD v1 set)",
                "GENIA POS corpus train (abstracts overlapping GENIA ud/test removed)",
            ),
        ),
        ModelSpec(
            "ner_cdr",
            "cdr",
            ("ner_cdr",),
            "CHEMICAL and DISEASE mention recognizer with its own tok2vec (sourceable into the core pipeline).",
            ("BC5CDR train + dev (last 60 dev documents held out for checkpoint selection)",),
        ),
        ModelSpec(
            "ner_gene",
            "gene",
            ("ner_gene",),
            "GENE (gene/protein) mention recognizer with its own tok2vec (sourceable into the core pipeline).",
            (
                "BC2GM official train except 600 sentences of its dev split (used for checkpoint selection)",
                "BioNLP-ST 2013 CG train + devel, Gene_or_gene_product mentions",
            ),
        ),
        ModelSpec(
            "ner_variant",
            "variant",
            ("ner_variant",),
            "VARIANT (sequence variant) mention recognizer with its own tok2vec (sourceable into the core pipeline); "
            "miner.nlp.load() combines it with the pattern recognizer miner_variants.",
            (
                "BioRED train (400 abstracts), SequenceVariant mentions",
                "BioRED dev (100 abstracts) used for checkpoint selection and pipeline decisions; BioRED test held out",
            ),
        ),
    )
}


def spec(name: str) -> ModelSpec:
    """The spec of one model, or a clear error naming the valid ones."""
    from miner.errors import MinerError

    if name not in MODELS:
        raise MinerError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]
