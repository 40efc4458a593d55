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
class Run:
    """One ``spacy train`` run of a model's config: ``suffix`` names its output directory, ``overrides`` are
    ``spacy train`` config overrides (``("system.seed", "1")``), ``checkpoint`` the saved model that is packaged."""

    suffix: str = ""
    overrides: tuple[tuple[str, str], ...] = ()
    checkpoint: str = "model-best"


@dataclass(frozen=True)
class ModelSpec:
    """A trainable pipeline: its config, its converted corpus and its packaged location.

    A spec with several ``runs`` and ``min_votes`` is packaged as a voting ensemble of the runs' NER
    (:mod:`miner.nlp.ensemble`); otherwise the single run's ``model-best`` is packaged as it is.
    """

    name: str
    corpus: str
    components: tuple[str, ...]
    description: str
    sources: tuple[str, ...]
    runs: tuple[Run, ...] = (Run(),)
    min_votes: int = 0
    #: the ``spacy train --code`` file (default: miner's tokenizer callback, miner/nlp/training/tokenizer.py)
    code: Path | None = None

    @property
    def config(self) -> Path:
        return REPO_ROOT / "configs" / f"{self.name}.cfg"

    @property
    def output(self) -> Path:
        """Training output of the first (or only) run."""
        return self.run_output(self.runs[0])

    def run_output(self, run: Run) -> Path:
        return TRAINING_DIR / "output" / f"{self.name}{run.suffix}"

    @property
    def is_ensemble(self) -> bool:
        return self.min_votes > 0

    @property
    def package_dir(self) -> Path:
        return MODELS_DIR / self.name


#: ner_cdr's runs train on every BC5CDR train + dev document, the 60 selection-dev documents included, for a fixed
#: 1,500 steps, and the last checkpoint is packaged: the number of steps was chosen on the selection documents (the
#: five runs of the vote on the other 940 documents peaked at steps 800-2,000, median 1,400), which then join the
#: training data (BENCHMARKS.md, session 5)
_CDR_ALL_DOCS = (("paths.train", "training/corpus/cdr_all"), ("training.max_steps", "1500"))
#: the five ner_cdr runs the packaged ensemble votes with: seeds 0-3, and seed 0 with dropout 0.35
CDR_RUNS = (
    Run("_all0", _CDR_ALL_DOCS, "model-last"),
    Run("_all1", _CDR_ALL_DOCS + (("system.seed", "1"),), "model-last"),
    Run("_all2", _CDR_ALL_DOCS + (("system.seed", "2"),), "model-last"),
    Run("_all3", _CDR_ALL_DOCS + (("system.seed", "3"),), "model-last"),
    Run("_alldo35", _CDR_ALL_DOCS + (("training.dropout", "0.35"),), "model-last"),
)

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
            "CHEMICAL and DISEASE mention recognizer with its own tok2vec (sourceable into the core pipeline): "
            "a span-level 3-of-5 vote of five runs of one config (seeds 0-3, and dropout 0.35), stored 8-bit.",
            ("BC5CDR train + dev, all 1,000 documents (the last 60 dev documents chose the vote, the threshold and "
             "the number of training steps, then joined the training data)",),
            runs=CDR_RUNS,
            min_votes=3,
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


#: transformer variants of the recognizers (configs/<name>_trf.cfg; issue 19): trained only on request
#: (``miner models train --encoder PATH``), packaged into models/<name>_trf, loaded by miner.nlp.load() only when
#: chosen (MINER_MODELS / [nlp] models); the encoder checkpoint is the config variable ``paths.encoder``
TRF_CODE = REPO_ROOT / "miner" / "nlp" / "transformer" / "spacy_code.py"
TRF_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "ner_cdr_trf",
            "cdr",
            ("ner_cdr_trf",),
            "CHEMICAL and DISEASE mention recognizer on a transformer encoder (spacy-transformers, embedded in the "
            "component; sourceable into the core pipeline).",
            ("BC5CDR train + dev except the 60 selection documents (which choose the checkpoint)",),
            code=TRF_CODE,
        ),
        ModelSpec(
            "ner_gene_trf",
            "gene",
            ("ner_gene_trf",),
            "GENE mention recognizer on a transformer encoder (spacy-transformers, embedded in the component).",
            (
                "BC2GM official train except 600 sentences of its dev split (used for checkpoint selection)",
                "BioNLP-ST 2013 CG train + devel, Gene_or_gene_product mentions",
            ),
            code=TRF_CODE,
        ),
        ModelSpec(
            "ner_variant_trf",
            "variant",
            ("ner_variant_trf",),
            "VARIANT mention recognizer on a transformer encoder (spacy-transformers, embedded in the component); "
            "miner.nlp.load() combines it with the pattern recognizer miner_variants.",
            (
                "BioRED train (400 abstracts), SequenceVariant mentions",
                "BioRED dev (100 abstracts) used for checkpoint selection; BioRED test held out",
            ),
            code=TRF_CODE,
        ),
    )
}


def spec(name: str) -> ModelSpec:
    """The spec of one model, or a clear error naming the valid ones."""
    from miner.errors import MinerError

    if name in TRF_MODELS:
        return TRF_MODELS[name]
    if name not in MODELS:
        raise MinerError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]
