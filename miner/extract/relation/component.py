"""The trained relation component ``miner_relation``: classifies candidate span pairs of miner's entities.

Add it to a loaded miner pipeline (it needs miner's entities, sub-labels and sentence boundaries)::

    import miner.nlp
    from miner.extract.relation import add_relation_component
    nlp = miner.nlp.load()
    add_relation_component(nlp)            # sources models/relation, after the rule components
    doc = nlp(text)
    for rel in doc._.relations:            # list of Relation records, in candidate order
        rel.head, rel.tail, rel.label, rel.score, rel.kind, rel.direction_score

Output, ``doc._.relations`` (a getter over plain tuples kept in ``doc.user_data["miner_relations"]``, so the
annotation survives ``Doc.to_bytes``, ``DocBin`` and ``nlp.pipe(n_process=N)``): one :class:`Relation` per
candidate pair the classifier accepts, in candidate order. ``head`` and ``tail`` are the Doc's entity spans (label
CHEMICAL/GENE/VARIANT, miner's extensions such as ``_.drug_label``, ``_.drug_ids``, ``_.gene_id``) or, for the
lexicon's therapy concepts and lexicon gene symbols that are no entity, spans with that label:

* ``kind == "prior"``: ``head`` = the later agent whose efficacy is affected (``Finding.drug``), ``tail`` = the
  earlier agent (``Finding.prior_drug``), ``label`` = ``cross_resistance``, ``reduced_efficacy``,
  ``no_cross_resistance`` or ``collateral_sensitivity``; ``direction_score`` = the classifier's probability
  that head/tail are in that order (the convention for undirected statements, "cross-resistance between X and Y",
  is GUIDELINES section 3: head = the second-named);
* ``kind == "mechanism"``: ``head`` = the agent, ``tail`` = a GENE or VARIANT span (``Finding.mechanism``),
  ``label`` = ``resistance`` (a single-drug resistance statement with that mechanism); ``direction_score`` = 1.

``score`` is the classifier's probability of ``label`` (softmax over the labels of the kind, "none" included).
A pair is accepted when its probability of not being "none" reaches ``threshold`` (``prior``) or
``mechanism_threshold`` (``mechanism``). Spans are token spans of the Doc (``span.start_char`` gives offsets in
the Doc's text; add the piece's offset in the document, as the reader does).

Candidates (:mod:`miner.extract.relation.candidates`) are computed from the entities unless the Doc already holds
them in ``doc.user_data["miner_rel_candidates"]`` (training and evaluation data do). The network is
:mod:`miner.extract.relation.model`; its ``tok2vec`` is pluggable through the config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

import numpy
import srsly
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_get_examples
from spacy.util import ensure_path, registry
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate
from thinc.types import Floats2d

from miner.extract.relation import model as _model  # noqa: F401  (registers the architectures)
from miner.extract.relation.candidates import (
    CANDIDATES_KEY,
    Candidate,
    candidate_pairs,
    default_keep,
    get_candidates,
    set_candidates,
)
from miner.extract.relation.model import (
    DD_EFFECTS,
    DD_SLICE,
    DG_LABELS,
    DG_SLICE,
    DIRECTION_COL,
    N_OUTPUTS,
)

#: ``doc.user_data`` key of the accepted relations (plain tuples, see :func:`relations_of`)
RELATIONS_KEY = "miner_relations"
#: ``doc.user_data`` key of the gold labels of the stored candidates (training data):
#: one (label index, direction) per candidate; label index into DD_EFFECTS / DG_LABELS, -1 = not trained on;
#: direction 1 = the second argument (b) is the later agent, 0 = the first (a) is, -1 = unknown / not a relation
GOLD_KEY = "miner_rel_gold"
#: ``doc.user_data`` key of optional per-candidate loss weights (training data; parallel to GOLD_KEY, default 1.0):
#: silver labels read by the rules (:mod:`miner.extract.relation.silver`) weigh less than annotated ones
WEIGHT_KEY = "miner_rel_weight"
KIND_NAMES = {"DD": "prior", "DG": "mechanism"}

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "miner.RelationModel.v1"

[model.create_instance_tensor]
@architectures = "miner.RelationInstances.v1"

[model.create_instance_tensor.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[model.create_instance_tensor.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 64
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [5000, 1000, 2500, 500]
include_static_vectors = false

[model.create_instance_tensor.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 64
depth = 2
window_size = 1
maxout_pieces = 3

[model.classification_layer]
@architectures = "miner.RelationClassifier.v1"
hidden_width = 64
dropout = 0.1
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


class Relation(NamedTuple):
    """One accepted relation (see the module docstring)."""

    head: Span
    tail: Span
    label: str
    score: float
    kind: str  # "prior" | "mechanism"
    direction_score: float


#: entity label of an argument's sub-label
ENTITY_LABELS = {"DRUG": "CHEMICAL", "REGIMEN": "CHEMICAL", "DRUG_CLASS": "CHEMICAL", "GENE": "GENE",
                 "VARIANT": "VARIANT"}


def _arg_span(doc: Doc, start: int, end: int, sub_label: str, ents: dict[tuple[int, int], Span]) -> Span:
    """The entity at these tokens, else a span labelled as its argument was (a lexicon therapy concept or gene)."""
    ent = ents.get((start, end))
    return ent if ent is not None else Span(doc, start, end, label=ENTITY_LABELS.get(sub_label, ""))


def relations_of(doc: Doc) -> list[Relation]:
    """The getter of ``doc._.relations``: Relation records built from ``doc.user_data[RELATIONS_KEY]`` (tuples
    ``(head start, head end, tail start, tail end, label, score, kind, direction score, head sub-label, tail
    sub-label)``, token offsets). ``head``/``tail`` are the Doc's entity spans where they are entities (label,
    extensions such as ``_.drug_ids`` and ``_.gene_id``), else spans labelled CHEMICAL/GENE/VARIANT."""
    raw = doc.user_data.get(RELATIONS_KEY, ())
    if not raw:
        return []
    ents = {(e.start, e.end): e for e in doc.ents}
    out = []
    for hs, he, ts, te, label, score, kind, dscore, *subs in raw:
        h_sub, t_sub = (list(subs) + ["", ""])[:2]
        out.append(Relation(_arg_span(doc, hs, he, h_sub, ents), _arg_span(doc, ts, te, t_sub, ents), label,
                            float(score), kind, float(dscore)))
    return out


def register_relation_extension() -> None:
    if not Doc.has_extension("relations"):
        Doc.set_extension("relations", getter=relations_of)


register_relation_extension()


@registry.scorers("miner.relation_scorer.v1")
def make_relation_scorer() -> Callable[[Iterable[Example]], dict[str, Any]]:
    return score_relations


@Language.factory(
    "miner_relation",
    default_config={
        "model": DEFAULT_MODEL,
        "threshold": 0.5,
        "mechanism_threshold": 0.5,
        "neighbours": False,
        "use_prefilter": True,
        "oncology_only": True,
        "none_weight": 1.0,
        "store_8bit": False,
        "scorer": {"@scorers": "miner.relation_scorer.v1"},
    },
    default_score_weights={"rel_prior_f": 0.5, "rel_mechanism_f": 0.5, "rel_prior_p": 0.0, "rel_prior_r": 0.0,
                           "rel_mechanism_p": 0.0, "rel_mechanism_r": 0.0},
)
def make_relation_extractor(
    nlp: Language,
    name: str,
    model: Model,
    threshold: float,
    mechanism_threshold: float,
    neighbours: bool,
    use_prefilter: bool,
    oncology_only: bool,
    none_weight: float,
    store_8bit: bool,
    scorer: Callable | None,
) -> "RelationExtractor":
    """Factory of :class:`RelationExtractor` (``nlp.add_pipe("miner_relation")``)."""
    return RelationExtractor(
        nlp.vocab, model, name, threshold=threshold, mechanism_threshold=mechanism_threshold, neighbours=neighbours,
        use_prefilter=use_prefilter, oncology_only=oncology_only, none_weight=none_weight, store_8bit=store_8bit,
        scorer=scorer,
    )


def _softmax(x: numpy.ndarray) -> numpy.ndarray:
    e = numpy.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    return 1.0 / (1.0 + numpy.exp(-x))


class RelationExtractor(TrainablePipe):
    """Classifies the candidate pairs of each Doc and stores the accepted ones (see the module docstring)."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "miner_relation",
        *,
        threshold: float = 0.5,
        mechanism_threshold: float = 0.5,
        neighbours: bool = False,
        use_prefilter: bool = True,
        oncology_only: bool = True,
        none_weight: float = 1.0,
        store_8bit: bool = False,
        scorer: Callable | None = None,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg: dict[str, Any] = {
            "threshold": threshold,
            "mechanism_threshold": mechanism_threshold,
            "neighbours": neighbours,
            "use_prefilter": use_prefilter,
            "oncology_only": oncology_only,
            "none_weight": none_weight,
            "store_8bit": store_8bit,
        }
        #: the sentence filter (default: the prefilter's trigger test); tests may set their own
        self.keep: Callable[[str], bool] | None = default_keep if use_prefilter else None
        self._resolver = None

    # -- labels -------------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(DD_EFFECTS[1:]) + tuple(DG_LABELS[1:])

    def add_label(self, label: str) -> int:
        if label not in self.labels:
            raise ValueError(f"miner_relation has a fixed label set {self.labels}; {label!r} is not one of them")
        return 0

    # -- candidates ---------------------------------------------------------------------------
    @property
    def resolver(self):
        if self._resolver is None:
            from miner.extract.mentions import default_resolver

            self._resolver = default_resolver()
        return self._resolver

    def ensure_candidates(self, doc: Doc) -> list[Candidate]:
        """The Doc's candidates: the stored ones, else computed from its entities (and stored)."""
        if CANDIDATES_KEY in doc.user_data:
            return get_candidates(doc)
        if not doc.ents and not len(doc.spans.get("drugs", ())):
            cands: list[Candidate] = []
        else:
            cands = candidate_pairs(doc, keep=self.keep, neighbours=self.cfg["neighbours"], resolver=self.resolver,
                                    oncology_only=self.cfg["oncology_only"])
        set_candidates(doc, cands)
        return cands

    # -- inference ----------------------------------------------------------------------------
    def predict(self, docs: Iterable[Doc]) -> Floats2d:
        docs = list(docs)
        n = sum(len(self.ensure_candidates(doc)) for doc in docs)
        if n == 0:
            return self.model.ops.alloc2f(0, N_OUTPUTS)
        self._check_vectors(docs[0].vocab)
        return self.model.predict(docs)

    def set_annotations(self, docs: Iterable[Doc], scores: Floats2d) -> None:
        scores = self.model.ops.to_numpy(scores)
        row = 0
        for doc in docs:
            cands = get_candidates(doc)
            block = scores[row:row + len(cands)]
            row += len(cands)
            doc.user_data[RELATIONS_KEY] = self.decode(cands, block)

    def decode(self, cands: list[Candidate], scores: numpy.ndarray) -> list[tuple]:
        """Accepted relations (plain tuples) of one Doc's candidates and their raw scores."""
        out = []
        if not len(cands):
            return out
        dd = _softmax(scores[:, DD_SLICE])
        dg = _softmax(scores[:, DG_SLICE])
        direction = _sigmoid(scores[:, DIRECTION_COL])
        for i, c in enumerate(cands):
            if c.kind == "DD":
                if 1.0 - dd[i, 0] < self.cfg["threshold"]:
                    continue
                k = 1 + int(numpy.argmax(dd[i, 1:]))
                p_b_later = float(direction[i])
                a, b = (c.a_start, c.a_end, c.a_label), (c.b_start, c.b_end, c.b_label)
                head, tail, dscore = (b, a, p_b_later) if p_b_later >= 0.5 else (a, b, 1.0 - p_b_later)
                out.append((head[0], head[1], tail[0], tail[1], DD_EFFECTS[k], round(float(dd[i, k]), 4), "prior",
                            round(dscore, 4), head[2], tail[2]))
            else:
                if dg[i, 1] < self.cfg["mechanism_threshold"]:
                    continue
                out.append((c.a_start, c.a_end, c.b_start, c.b_end, "resistance", round(float(dg[i, 1]), 4),
                            "mechanism", 1.0, c.a_label, c.b_label))
        return out

    def _check_vectors(self, vocab: Vocab) -> None:
        """A model with static vectors needs them in the vocab of the Docs it reads (a clear error instead of a
        crash or silent zero vectors)."""
        for node in self.model.walk():
            if node.name == "static_vectors" and node.has_dim("nM") and node.get_dim("nM"):
                have = vocab.vectors.shape[1] if vocab.vectors.shape[0] else 0
                if have != node.get_dim("nM"):
                    raise ValueError(
                        f"{self.name}: its tok2vec uses {node.get_dim('nM')}-d static word vectors, but this "
                        f"pipeline's vocab has {'none' if not have else f'{have}-d ones'}; add it to miner.nlp.load()'s "
                        "pipeline (miner.extract.relation.add_relation_component shares the vectors)"
                    )

    # -- training -----------------------------------------------------------------------------
    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
    ) -> dict[str, float]:
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        docs = [eg.predicted for eg in examples]
        for eg in examples:  # the reference's candidates are the ones with gold labels
            if CANDIDATES_KEY in eg.reference.user_data:
                eg.predicted.user_data[CANDIDATES_KEY] = eg.reference.user_data[CANDIDATES_KEY]
            else:
                self.ensure_candidates(eg.predicted)
        if not sum(len(get_candidates(d)) for d in docs):
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update(docs)
        loss, gradient = self.get_loss(examples, scores)
        backprop(gradient)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: Floats2d) -> tuple[float, Floats2d]:
        """Softmax cross-entropy of the kind's labels, plus the logistic loss of the direction (relations only)."""
        ops = self.model.ops
        S = ops.to_numpy(scores)
        d = numpy.zeros_like(S)
        loss = 0.0
        row = 0
        none_w = float(self.cfg.get("none_weight", 1.0))
        for eg in examples:
            cands = get_candidates(eg.predicted)
            gold = list(eg.reference.user_data.get(GOLD_KEY, ()))
            if len(gold) != len(cands):
                raise ValueError(f"{self.name}: {len(cands)} candidates but {len(gold)} gold labels in a training Doc")
            weights = list(eg.reference.user_data.get(WEIGHT_KEY, ())) or [1.0] * len(gold)
            for c, (y, direction), cw in zip(cands, gold, weights):
                i = row
                row += 1
                y, direction = int(y), int(direction)
                if y < 0:
                    continue
                cw = float(cw)
                sl = DD_SLICE if c.kind == "DD" else DG_SLICE
                p = _softmax(S[i, sl])
                w = cw * (none_w if y == 0 else 1.0)
                target = numpy.zeros_like(p)
                target[y] = 1.0
                d[i, sl] = w * (p - target)
                loss += -w * float(numpy.log(max(p[y], 1e-9)))
                if c.kind == "DD" and y > 0 and direction in (0, 1):
                    s = float(_sigmoid(S[i, DIRECTION_COL]))
                    d[i, DIRECTION_COL] = cw * (s - direction)
                    loss += -cw * float(numpy.log(max(s if direction else 1.0 - s, 1e-9)))
        n = max(1, row)
        return loss / n, ops.asarray2f(d / n)

    def initialize(
        self, get_examples: Callable[[], Iterable[Example]], *, nlp: Language | None = None, labels=None
    ) -> None:
        validate_get_examples(get_examples, "RelationExtractor.initialize")
        sample = []
        for eg in islice(get_examples(), 200):
            if CANDIDATES_KEY in eg.reference.user_data:
                eg.predicted.user_data[CANDIDATES_KEY] = eg.reference.user_data[CANDIDATES_KEY]
            if get_candidates(eg.predicted):
                sample.append(eg.predicted)
            if len(sample) >= 10:
                break
        if not sample:
            sample = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.initialize(X=sample)

    # -- serialization (optionally 8-bit weights, miner.nlp.quantize) -----------------------------
    def _model_bytes(self) -> bytes:
        if not self.cfg.get("store_8bit"):
            return self.model.to_bytes()
        from miner.nlp.quantize import quantize_params

        return srsly.msgpack_dumps(quantize_params(self.model.to_dict()))

    def _model_from_bytes(self, data: bytes) -> None:
        if not self.cfg.get("store_8bit"):
            self.model.from_bytes(data)
            return
        from miner.nlp.quantize import dequantize_params

        self.model.from_dict(dequantize_params(srsly.msgpack_loads(data)))

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "model": self._model_bytes()})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> "RelationExtractor":
        msg = srsly.msgpack_loads(bytes_data)
        self.cfg.update(msg["cfg"])
        self._cfg_changed()
        self._model_from_bytes(msg["model"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        (path / "model").write_bytes(self._model_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "RelationExtractor":
        path = ensure_path(path)
        cfg_path = path / "cfg"
        if cfg_path.is_file():
            self.cfg.update(srsly.read_json(cfg_path))
            self._cfg_changed()
        self._model_from_bytes((path / "model").read_bytes())
        return self

    def _cfg_changed(self) -> None:
        self.keep = default_keep if self.cfg.get("use_prefilter", True) else None


def _gold_pairs(doc: Doc, gold_doc: Doc) -> tuple[set, set]:
    """(gold, predicted) relation identities of one example, for scoring."""
    gold: set = set()
    cands = get_candidates(gold_doc)
    for c, (y, direction) in zip(cands, gold_doc.user_data.get(GOLD_KEY, ())):
        y, direction = int(y), int(direction)
        if y <= 0:
            continue
        if c.kind == "DD":
            head, tail = ((c.b_start, c.b_end), (c.a_start, c.a_end)) if direction == 1 else \
                ((c.a_start, c.a_end), (c.b_start, c.b_end))
            gold.add(("prior", head, tail, DD_EFFECTS[y]))
        else:
            gold.add(("mechanism", (c.a_start, c.a_end), (c.b_start, c.b_end), DG_LABELS[y]))
    pred = {(r[6], (r[0], r[1]), (r[2], r[3]), r[4]) for r in doc.user_data.get(RELATIONS_KEY, ())}
    # pairs the gold data does not train on (label -1) are not scored either
    ignored = set()
    for c, (y, _d) in zip(cands, gold_doc.user_data.get(GOLD_KEY, ())):
        if int(y) < 0:
            ignored.add(frozenset({(c.a_start, c.a_end), (c.b_start, c.b_end)}))
    pred = {p for p in pred if frozenset({p[1], p[2]}) not in ignored}
    return gold, pred


def score_relations(examples: Iterable[Example], **kwargs) -> dict[str, Any]:
    """Precision/recall/F of the accepted relations against the gold labels of the stored candidates:
    a ``prior`` relation is right with its effect and direction, a ``mechanism`` relation with its pair."""
    counts = {k: [0, 0, 0] for k in ("prior", "mechanism")}
    for eg in examples:
        gold, pred = _gold_pairs(eg.predicted, eg.reference)
        for kind in counts:
            g = {x for x in gold if x[0] == kind}
            p = {x for x in pred if x[0] == kind}
            counts[kind][0] += len(g & p)
            counts[kind][1] += len(p - g)
            counts[kind][2] += len(g - p)
    out: dict[str, Any] = {}
    for kind, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[f"rel_{kind}_p"] = p
        out[f"rel_{kind}_r"] = r
        out[f"rel_{kind}_f"] = 2 * p * r / (p + r) if p + r else 0.0
    return out
