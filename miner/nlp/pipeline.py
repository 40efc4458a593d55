"""Assemble the full miner pipeline: trained core + NER models, then abbreviations, lexicon linking and variants.

:func:`load` looks in ``models/`` (or ``models_dir``) for spaCy pipelines saved by the training stage: the one with
a parser is the core (tokenizer, tagger, parser, ...); every ``ner`` component of the other pipelines is sourced
into it (each has its own embedded tok2vec). Each NER writes its entities to a span group and the groups are
merged afterwards, so no model's predictions are lost to another's. The rule components follow:

    ner_variant -> core -> ner_cdr, ner_gene -> miner_merge_ner -> miner_abbreviations (scispacy's detector)
    -> miner_abbreviation_ents -> miner_drug_linker -> miner_variants -> miner_cancers -> miner_gene_normalizer

(``ner_cdr`` is itself a 3-of-5 vote of five recognizers, :mod:`miner.nlp.ensemble`; ``ner_variant`` runs before
the core parser, see :data:`BEFORE_PARSER_NER`; ``miner_variants`` places its VARIANT
spans first and lets the patterns fill the rest, see :mod:`miner.nlp.variants`; ``miner_cancers`` adds the cancer
vocabulary's DISEASE mentions and their normalized type, see :mod:`miner.nlp.cancers`.)

(``miner_abbreviation_ents`` is a document-level rule of :mod:`miner.nlp.doc_rules`; its other rule,
``miner_label_consistency``, is available but not added: it did not help on the BC5CDR dev documents.)

:func:`add_rule_components` adds the rule part to any pipeline (a blank one in tests and lexicon evaluation).
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from miner.config import REPO_ROOT
from miner.errors import MinerError
from miner.nlp import ensemble  # noqa: F401  (registers the miner_ner_vote factory of the ner_cdr package)
from miner.nlp.extensions import register_extensions
from miner.nlp.spans import NER_GROUP_PREFIX

DEFAULT_MODELS_DIR = REPO_ROOT / "models"
#: Longest text processed as one document (spaCy's default ``Language.max_length``).
MAX_CHARS = 1_000_000
# scispacy's tokenizer regexes trigger a Python FutureWarning on compile (not actionable here).
warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)
#: Sourced NER components that run first, before the core parser sets sentence starts: spaCy's NER never lets an
#: entity cross a sentence start, and the core parser often starts one inside a variant ("c.201C>" | "A and
#: c.686C>" | "G were found"): after the parser, ner_variant cut 10 of its 197 BioRED dev spans short and the full
#: pipeline's BioRED dev exact F1 was 73.64 instead of 77.73. The other NER models stay after the parser, as they were
#: trained and measured. The transformer variant (configs/ner_variant_trf.cfg) has the same place.
BEFORE_PARSER_NER = ("ner_variant", "ner_variant_trf")
#: ``miner_label_consistency`` (miner/nlp/doc_rules.py) is not among them: on the BC5CDR selection dev documents
#: it cost F1 with the vector ner_cdr (85.47 -> 85.43 after the abbreviation rule; alone 85.24 -> 84.97), as it
#: spreads a wrong label (a disease tagged CHEMICAL once) as readily as a right one.
RULE_COMPONENTS = (
    "miner_abbreviations",
    "miner_abbreviation_ents",
    "miner_drug_linker",
    "miner_variants",
    "miner_cancers",
    "miner_gene_normalizer",
)


@Language.factory("miner_stash_ents", default_config={"group": "ner"})
def make_stash_ents(nlp: Language, name: str, group: str) -> "StashEnts":
    """Factory for :class:`StashEnts`."""
    return StashEnts(group)


class StashEnts:
    """Move the entities a NER component just predicted into ``doc.spans[group]`` and clear ``doc.ents``.

    Running several NER models in one pipeline otherwise lets the later one overwrite or clash with the
    earlier one's entities; stashing lets each predict independently and :class:`MergeNer` combine them.
    """

    def __init__(self, group: str) -> None:
        self.group = group

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.group] = list(doc.ents)
        doc.ents = []
        return doc


@Language.factory("miner_merge_ner", default_config={"prefer_gene": True})
def make_merge_ner(nlp: Language, name: str, prefer_gene: bool) -> "MergeNer":
    """Factory for :class:`MergeNer`."""
    return MergeNer(prefer_gene=prefer_gene)


class MergeNer:
    """Union of the stashed NER predictions without overlaps: the longer span wins.

    When two models claim the same extent with different labels ("HER2": CHEMICAL from the BC5CDR model, GENE from
    the gene model), the lexicon decides (a curated gene alias -> GENE, a drug/class name -> CHEMICAL). Otherwise,
    with ``prefer_gene``, GENE beats an unconfirmed CHEMICAL: the BC5CDR model was never shown a gene and calls many
    protein names CHEMICAL ("IFN-gamma", "ankyrin", "Rep78"), while the gene model knows both (its BioNLP13CG data
    has chemicals as negatives). Any other tie goes to the earlier model. On the BC2GM selection dev sentences the
    old earlier-model-wins rule lost 28 of the gene model's predictions to same-extent CHEMICAL spans; with the
    final models the rule moves BC2GM dev official F1 72.66 -> 74.53 and BC5CDR dev 85.55 -> 85.42.
    """

    def __init__(self, prefer_gene: bool = True) -> None:
        from miner.lexicon import load_lexicon

        self.lexicon = load_lexicon()
        self.prefer_gene = prefer_gene

    def _preference(self, span: Span) -> int:
        """0 when the lexicon confirms this span's label; 1 for DISEASE and (with prefer_gene) other GENE; 2 else."""
        if span.label_ == "GENE":
            return 0 if self.lexicon.normalize_gene(span.text) else (1 if self.prefer_gene else 2)
        if span.label_ == "CHEMICAL":
            return 0 if self.lexicon.lookup(span.text) and not self.lexicon.normalize_gene(span.text) else 2
        return 1 if self.prefer_gene else 2

    #: labels left to a later rule component: VARIANT spans (ner_variant's) are placed by ``miner_variants`` with the
    #: patterns and its overlap policy (never over a lexicon drug mention such as "KRAS G12C inhibitors")
    DEFERRED_LABELS = frozenset({"VARIANT"})

    def __call__(self, doc: Doc) -> Doc:
        spans: list[tuple[int, int, Span]] = []
        for order, (name, group) in enumerate(doc.spans.items()):
            if name.startswith(NER_GROUP_PREFIX):
                spans.extend((self._preference(s), order, s) for s in group if s.label_ not in self.DEFERRED_LABELS)
        spans.sort(key=lambda t: (-(t[2].end - t[2].start), t[0], t[1], t[2].start))
        taken = [False] * len(doc)
        kept: list[Span] = list(doc.ents)
        for e in kept:
            for i in range(e.start, e.end):
                taken[i] = True
        for _, _, span in spans:
            if not any(taken[i] for i in range(span.start, span.end)):
                kept.append(span)
                for i in range(span.start, span.end):
                    taken[i] = True
        doc.ents = sorted(kept, key=lambda s: s.start)
        return doc


def add_rule_components(nlp: Language) -> Language:
    """Append abbreviation detection, drug/class linking, variant patterns and gene normalisation."""
    import miner.nlp.abbreviations  # noqa: F401  (registers the miner_* factories)
    import miner.nlp.cancers  # noqa: F401
    import miner.nlp.doc_rules  # noqa: F401
    import miner.nlp.drug_linker  # noqa: F401
    import miner.nlp.genes  # noqa: F401
    import miner.nlp.variants  # noqa: F401

    register_extensions()
    for name in RULE_COMPONENTS:
        if name not in nlp.pipe_names:
            nlp.add_pipe(name)
    return nlp


def tokenizer_pipeline() -> Language:
    """A blank English pipeline with the models' tokenizer (scispacy rules + miner's infixes), cached."""
    from miner.nlp.tokenizer import scispacy_nlp

    return scispacy_nlp()


def rules_only_pipeline() -> Language:
    """Tokenizer + rule components, without any statistical model (tests, lexicon evaluation)."""
    from miner.nlp.tokenizer import miner_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    return add_rule_components(nlp)


def _pipelines(models_dir: Path) -> list[tuple[Path, dict]]:
    """(path, meta) of every saved spaCy pipeline directly under ``models_dir``."""
    found = []
    for meta_path in sorted(models_dir.glob("*/meta.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise MinerError(f"{meta_path}: unreadable model metadata ({exc}); retrain or remove the model") from exc
        found.append((meta_path.parent, meta))
    return found


def _load_spacy(path: Path) -> Language:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return spacy.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise MinerError(f"cannot load the spaCy pipeline in {path}: {exc}") from exc


def share_vectors(nlp: Language, source: Language) -> None:
    """Give ``nlp`` the static word vectors of ``source`` before a component is sourced from it.

    A sourced NER whose tok2vec has ``include_static_vectors = true`` looks its vectors up in the vocab of the
    pipeline it runs in (keyed on the table's ``attr``, e.g. NORM); the core pipeline has none of its own, so without
    this copy the component would see all-zero vectors and silently lose accuracy. Sources that carry the same table
    (``ner_cdr`` and ``ner_variant`` were trained with one word2vec table, and each package stores it so that plain
    ``spacy.load`` runs it) share the first copy. Two sources with different non-empty tables cannot share one vocab:
    that is an error rather than a silent mix-up.
    """
    theirs = source.vocab.vectors
    if not theirs.shape[0]:
        return
    ours = nlp.vocab.vectors
    if ours.shape[0]:
        if ours.shape == theirs.shape and ours.attr == theirs.attr and ours.to_bytes(exclude=["strings"]) == theirs.to_bytes(
            exclude=["strings"]
        ):
            return
        raise MinerError(
            "two NER models carry different static word vectors; retrain them with the same vectors "
            "(training/vectors) or with include_static_vectors = false"
        )
    nlp.vocab.vectors = theirs


def build_pipeline(models_dir: Path, models: tuple[str, ...] | None = None) -> Language:
    """Core pipeline from ``models_dir`` with every NER component sourced in, plus the rule components.

    ``models``: the package directories to use (see :func:`miner.nlp.transformer.select_packages`); None: the
    ``MINER_MODELS`` / ``[nlp] models`` setting, else every package except the transformer variants (``*_trf``).
    """
    if not models_dir.is_dir():
        raise MinerError(
            f"model directory {models_dir} does not exist; train the models with `miner models train` "
            "(or pass the directory that holds them)"
        )
    from miner.nlp.transformer import configured_models, select_packages

    pipelines = select_packages(_pipelines(models_dir), models if models is not None else configured_models())
    cores = [(p, m) for p, m in pipelines if "parser" in m.get("pipeline", [])]
    if not cores:
        raise MinerError(
            f"no trained core pipeline (with a parser) under {models_dir}; train it with `miner models train`"
        )
    core_path = cores[0][0]
    nlp = _load_spacy(core_path)
    ner_sources = [(p, m) for p, m in pipelines if p != core_path and any(
        c.startswith("ner") for c in m.get("pipeline", []))]
    if not ner_sources and "ner" not in "".join(nlp.pipe_names):
        raise MinerError(
            f"no trained NER model under {models_dir} (CHEMICAL/DISEASE/GENE); train it with `miner models train`"
        )
    for name in [n for n in nlp.pipe_names if n.startswith("ner")]:
        nlp.add_pipe("miner_stash_ents", name=f"stash_{name}", after=name, config={"group": NER_GROUP_PREFIX + name})
    for path, meta in ner_sources:
        source = _load_spacy(path)
        share_vectors(nlp, source)
        for name in [n for n in source.pipe_names if n.startswith("ner")]:
            if name in nlp.pipe_names:
                continue
            first = name in BEFORE_PARSER_NER
            with warnings.catch_warnings():
                # W113: the source's vectors differ from the pipeline's; harmless for a component without
                # static vectors, and a component with them has had them copied in by share_vectors
                warnings.filterwarnings("ignore", message=r"\[W113\]")
                nlp.add_pipe(name, source=source, first=first or None)
            nlp.add_pipe("miner_stash_ents", name=f"stash_{name}", config={"group": NER_GROUP_PREFIX + name},
                         after=name if first else None)
    nlp.add_pipe("miner_merge_ner")
    return add_rule_components(nlp)


def select_cdr_runs(nlp: Language, runs: int | None) -> None:
    """Let only the first ``runs`` of ner_cdr's voting runs tag (None: all of them); see ``NerVote.select``."""
    component = nlp.get_pipe("ner_cdr") if "ner_cdr" in nlp.pipe_names else None
    if component is None and "ner_cdr_trf" in nlp.pipe_names:
        return  # the transformer CHEMICAL/DISEASE recognizer is a single model: nothing votes
    if not isinstance(component, ensemble.NerVote):
        if runs not in (None, 1):
            raise MinerError(f"cdr_runs={runs}: the ner_cdr model in this pipeline is a single run, not a vote")
        return
    try:
        component.select(runs)
    except ValueError as exc:
        raise MinerError(f"cdr_runs (MINER_CDR_RUNS / [nlp] cdr_runs): {exc}") from exc


@lru_cache(maxsize=4)
def _cached(models_dir: Path, cdr_runs: int | None, models: tuple[str, ...] | None = None) -> Language:
    nlp = build_pipeline(models_dir, models)
    select_cdr_runs(nlp, cdr_runs)
    return nlp


@lru_cache(maxsize=1)
def _configured_cdr_runs() -> int | None:
    """The ``MINER_CDR_RUNS`` / ``[nlp] cdr_runs`` setting, read once per process like the pipeline it shapes
    (``load`` is called per ``extract_text``; reading the settings file each time cost about 1 ms a call)."""
    from miner.config import Settings

    return Settings.load().cdr_runs


@lru_cache(maxsize=1)
def _configured_models() -> tuple[str, ...] | None:
    """The ``MINER_MODELS`` / ``[nlp] models`` setting (which packages load), read once per process."""
    from miner.nlp.transformer import configured_models

    names = configured_models()
    return tuple(names) if names else None


def load(models_dir: Path | None = None, cdr_runs: int | None = None, models: list[str] | tuple[str, ...] | None = None
         ) -> Language:
    """The full miner pipeline (core + NER + abbreviations + lexicon + variants + genes), built once and cached.

    ``cdr_runs`` (default: the ``MINER_CDR_RUNS`` / ``[nlp] cdr_runs`` setting as it was at the first call, else all
    five) is how many of the CHEMICAL/DISEASE recognizer's runs vote: fewer is faster and a little less accurate.
    ``models`` (default: the ``MINER_MODELS`` / ``[nlp] models`` setting as it was at the first call, else every
    package except the transformer variants) names the packages of ``models_dir`` to assemble, e.g.
    ``["core", "ner_cdr_trf", "ner_gene", "ner_variant"]``, or ``["trf"]`` for every packaged transformer recognizer
    instead of its CNN counterpart (:func:`miner.nlp.transformer.select_packages`).
    """
    if cdr_runs is None:
        cdr_runs = _configured_cdr_runs()
    chosen = tuple(models) if models else _configured_models()
    return _cached(Path(models_dir or DEFAULT_MODELS_DIR).resolve(), cdr_runs, chosen)


def check_length(text: str, nlp: Language | None = None) -> None:
    """Raise a clear MinerError for texts longer than the pipeline accepts in one document.

    The limit is spaCy's ``max_length`` (1,000,000 characters by default; the parser and NER need about 1 GB of
    memory per 100,000 characters), checked before any model is loaded when ``nlp`` is not given.
    """
    limit = nlp.max_length if nlp is not None else MAX_CHARS
    if len(text) > limit:
        raise MinerError(
            f"text is {len(text):,} characters; the pipeline processes at most {limit:,} per document "
            "(split it into abstracts or paragraphs)"
        )
