"""The relation classifier's network (thinc), after spaCy's relation-extraction tutorial design:

    create_instance_tensor (tok2vec over the candidate windows + span-pair pooling) >> classification layer

``miner.RelationInstances.v1`` embeds each candidate window (the sentence, or two sentences for a cross-sentence
pair) with a pluggable ``tok2vec`` (any ``Model[List[Doc], List[Floats2d]]``: spaCy's CNN ``spacy.Tok2Vec.v2``, the
default; a transformer from spacy-transformers wrapped to arrays; anything registered), and represents a candidate
by the concatenation of

* the mean of the first argument's token vectors and the mean of the second's,
* the max over the tokens between them (a zero vector when they touch) and the max over the whole window,
* fixed features: each argument's sub-label (DRUG, REGIMEN, DRUG_CLASS, GENE, VARIANT), the kind (DD/DG),
  whether the second argument comes first in the text (DG), whether the pair crosses a sentence, the number of
  tokens between them (bucketed) and how many other agents lie between them (0, 1, 2+); optionally
  (``cue_features``) which of a few generic cue groups (cross-resistance, resistance, sensitivity, sequence,
  failure, response, reduction, negation, alteration, combination, comparison, cell model words) are named before,
  between and after the two arguments.

Only the windows that hold a candidate are embedded, so the cost grows with the candidate sentences, not with
the document. ``miner.RelationClassifier.v1`` maps that to :data:`N_OUTPUTS` raw scores (logits; the component
applies the softmaxes, see :mod:`miner.extract.relation.component`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy
import spacy
from spacy.tokens import Doc
from thinc.api import Dropout, Linear, Maxout, Model, chain
from thinc.types import Floats2d

from miner.extract.relation.candidates import ARG_LABELS, DRUG_LABELS, Candidate, get_candidates

#: output layout: DD effect softmax (5: none + 4 effects), DD direction logit (1: the second-named agent is the
#: later one), DG softmax (2: none, resistance)
DD_EFFECTS = ("none", "cross_resistance", "reduced_efficacy", "no_cross_resistance", "collateral_sensitivity")
DG_LABELS = ("none", "resistance")
DD_SLICE = slice(0, 5)
DIRECTION_COL = 5
DG_SLICE = slice(6, 8)
N_OUTPUTS = 8
_DIST_BUCKETS = (0, 3, 6, 11, 21)  # tokens between the arguments: 0-2, 3-5, 6-10, 11-20, 21+
N_FEATURES = 2 * len(ARG_LABELS) + 3 + len(_DIST_BUCKETS) + 3
N_POOLS = 4
#: the word every agent token becomes with ``mask_drugs``
DRUG_MASK = "xdrugx"
#: generic cue groups read before, between and after the two arguments with ``cue_features`` (word prefixes, lower
#: case): the statement's form in a few fixed indicators, for a classifier that has few examples to learn it from
CUE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cross", ("cross-resist", "cross resist", "crossresist", "cross-refract", "cross-toler")),
    ("resist", ("resist", "refractor", "insensitiv", "toleran", "nonrespons", "non-respons")),
    ("sensitive", ("sensiti", "susceptib", "hypersensitiv", "collateral")),
    ("sequence", ("after", "following", "prior", "previous", "pretreat", "pre-treat", "post", "subsequent", "later",
                  "second-line", "third-line", "salvage", "rechalleng", "switch", "crossover", "beyond")),
    ("failure", ("progress", "fail", "relaps", "recurr", "refractor")),
    ("response", ("respon", "benefit", "activ", "effective", "efficacy", "retain", "overcom", "remission", "control")),
    ("reduced", ("less", "lower", "reduc", "decreas", "diminish", "limited", "inferior", "shorter", "poor", "impair")),
    ("negation", ("not", "no", "none", "neither", "nor", "without", "lack", "unaffected")),
    ("alteration", ("mutat", "mutant", "amplif", "overexpress", "express", "fusion", "rearrang", "loss", "delet",
                    "substitut", "variant", "harbor", "harbour", "carry", "carri")),
    ("combination", ("combin", "plus", "together", "concurrent", "concomitant", "co-treat", "cotreat", "synerg")),
    ("compare", ("than", "versus", "vs", "compared", "comparison", "similar", "whereas", "while")),
    ("cells", ("cell", "line", "subline", "clone", "xenograft", "selected", "parental", "derived")),
)
N_CUE_FEATURES = 3 * len(CUE_GROUPS)


def _cue_vector(words: list[str]) -> list[float]:
    """1.0 for each cue group one of ``words`` (lower case) starts with a prefix of."""
    out = [0.0] * len(CUE_GROUPS)
    for w in words:
        for k, (_name, prefixes) in enumerate(CUE_GROUPS):
            if not out[k] and any(w.startswith(p) for p in prefixes):
                out[k] = 1.0
    return out


def cue_features(doc: Doc, cand: Candidate) -> list[float]:
    """The cue groups named before the first argument, between the two and after the second, within the
    candidate's window (:data:`CUE_GROUPS`)."""
    lo, hi = sorted(((cand.a_start, cand.a_end), (cand.b_start, cand.b_end)))

    def words(start: int, end: int) -> list[str]:
        return [t.lower_ for t in doc[max(start, cand.window_start):min(end, cand.window_end)]]

    return (_cue_vector(words(cand.window_start, lo[0])) + _cue_vector(words(lo[1], hi[0]))
            + _cue_vector(words(hi[1], cand.window_end)))


def candidate_features(cand: Candidate, agents: list[tuple[int, int]] = ()) -> list[float]:
    """The fixed (non-learned) features of one candidate; ``agents`` are the (start, end) token spans of the
    document's candidate agents (for the number of other agents between the two arguments)."""
    feats = [0.0] * N_FEATURES
    feats[ARG_LABELS.index(cand.a_label)] = 1.0
    feats[len(ARG_LABELS) + ARG_LABELS.index(cand.b_label)] = 1.0
    k = 2 * len(ARG_LABELS)
    feats[k] = 1.0 if cand.kind == "DG" else 0.0
    feats[k + 1] = 1.0 if cand.b_start < cand.a_start else 0.0
    feats[k + 2] = 1.0 if cand.cross else 0.0
    lo, hi = sorted(((cand.a_start, cand.a_end), (cand.b_start, cand.b_end)))
    gap = max(0, hi[0] - lo[1])
    bucket = max(i for i, b in enumerate(_DIST_BUCKETS) if gap >= b)
    feats[k + 3 + bucket] = 1.0
    between = sum(1 for s, e in agents if lo[1] <= s and e <= hi[0])
    feats[N_FEATURES - 3 + min(between, 2)] = 1.0
    return feats


@spacy.registry.architectures("miner.RelationModel.v1")
def build_relation_model(
    create_instance_tensor: Model[list[Doc], Floats2d],
    classification_layer: Model[Floats2d, Floats2d],
) -> Model[list[Doc], Floats2d]:
    """Instance tensor >> classification layer (spaCy's rel_model design)."""
    model = chain(create_instance_tensor, classification_layer)
    model.attrs["get_candidates"] = create_instance_tensor.attrs["get_candidates"]
    return model


@spacy.registry.architectures("miner.RelationClassifier.v1")
def build_classification_layer(hidden_width: int = 64, dropout: float = 0.1, nO: int = N_OUTPUTS) -> Model[Floats2d, Floats2d]:
    """Maxout hidden layer, dropout, linear output of raw scores (0 hidden width: linear only)."""
    if hidden_width <= 0:
        return Linear(nO=nO)
    return chain(Maxout(nO=hidden_width, nP=2, dropout=0.0, normalize=True), Dropout(dropout), Linear(nO=nO))


@spacy.registry.misc("miner.relation_candidates.v1")
def make_get_candidates() -> Callable[[Doc], list[Candidate]]:
    """The candidates the component stored on a Doc (``doc.user_data``)."""
    return get_candidates


@spacy.registry.architectures("miner.RelationInstances.v1")
def build_instance_tensor(
    tok2vec: Model[list[Doc], list[Floats2d]],
    mask_drugs: bool = False,
    get_candidates: Callable[[Doc], list[Candidate]] | None = None,
    cue_features: bool = False,
) -> Model[list[Doc], Floats2d]:
    """Span-pair instance tensor over the candidates' windows (see the module docstring).

    ``mask_drugs``: the tok2vec reads every agent of a candidate as the placeholder word :data:`DRUG_MASK`
    (entity masking: the classifier learns the statement's form rather than which drugs the few training
    statements happen to name). ``cue_features``: add the fixed cue indicators of :func:`cue_features`
    (:data:`N_CUE_FEATURES` more columns).
    """
    return Model(
        "miner_rel_instances",
        _instances_forward,
        init=_instances_init,
        layers=[tok2vec],
        refs={"tok2vec": tok2vec},
        attrs={"get_candidates": get_candidates or make_get_candidates(), "mask_drugs": bool(mask_drugs),
               "cue_features": bool(cue_features)},
        dims={"nO": None},
    )


def n_features(model: Model) -> int:
    """The number of fixed feature columns of an instance-tensor model."""
    return N_FEATURES + (N_CUE_FEATURES if model.attrs.get("cue_features") else 0)


def _windows(model: Model, docs: list[Doc]) -> tuple[list[Doc], list[tuple[int, int, Candidate]], numpy.ndarray]:
    """Window Docs to embed; per candidate (window number, window start in its doc, candidate); the candidates'
    fixed features."""
    get_cands = model.attrs["get_candidates"]
    mask = model.attrs.get("mask_drugs", False)
    cues = model.attrs.get("cue_features", False)
    windows: list[Doc] = []
    items: list[tuple[int, int, Candidate]] = []
    feats: list[list[float]] = []
    for doc in docs:
        cands = get_cands(doc)
        if not cands:
            continue
        agents = sorted({(s, e) for c in cands for s, e, label in ((c.a_start, c.a_end, c.a_label),
                                                                   (c.b_start, c.b_end, c.b_label))
                         if label in DRUG_LABELS})
        index: dict[tuple[int, int], int] = {}
        for cand in cands:
            key = (cand.window_start, cand.window_end)
            if key not in index:
                index[key] = len(windows)
                windows.append(_masked(doc, key, agents) if mask else doc[key[0]:key[1]].as_doc())
            items.append((index[key], key[0], cand))
            feats.append(candidate_features(cand, agents) + (cue_features(doc, cand) if cues else []))
    return windows, items, numpy.asarray(feats, dtype="float32").reshape(len(items), n_features(model))


def _masked(doc: Doc, window: tuple[int, int], agents: list[tuple[int, int]]) -> Doc:
    """The window as a new Doc whose agent tokens read :data:`DRUG_MASK`."""
    start, end = window
    words = [t.text for t in doc[start:end]]
    for s, e in agents:
        for i in range(max(s, start), min(e, end)):
            words[i - start] = DRUG_MASK
    return Doc(doc.vocab, words=words, spaces=[bool(t.whitespace_) for t in doc[start:end]])


def _width(model: Model) -> int:
    tok2vec = model.get_ref("tok2vec")
    return tok2vec.get_dim("nO") if tok2vec.has_dim("nO") else 0


def _instances_init(model: Model, X: list[Doc] | None = None, Y=None) -> Model:
    tok2vec = model.get_ref("tok2vec")
    windows = _windows(model, X)[0] if X is not None else []
    tok2vec.initialize(X=windows or X)
    width = _width(model)
    if not width:  # a tok2vec without an nO dim: measure it
        sample = windows or X
        width = tok2vec.predict(sample[:1])[0].shape[1]
    model.set_dim("nO", N_POOLS * width + n_features(model))
    return model


def _instances_forward(model: Model, docs: list[Doc], is_train: bool):
    ops = model.ops
    nO = model.get_dim("nO")
    width = (nO - n_features(model)) // N_POOLS
    windows, items, feats = _windows(model, docs)
    if not items:
        return ops.alloc2f(0, nO), lambda d_out: []
    tok2vec = model.get_ref("tok2vec")
    tokvecs, bp_tokvecs = tok2vec(windows, is_train)
    lengths = [len(t) for t in tokvecs]
    offsets = numpy.cumsum([0] + lengths)
    n_rows = int(offsets[-1])
    # one extra zero row stands in for an empty range (arguments that touch)
    flat = ops.xp.vstack([ops.flatten(tokvecs), ops.alloc2f(1, width)])
    pools: list[tuple[list[int], list[int]]] = [([], []) for _ in range(N_POOLS)]  # (indices, lengths)

    def add(pool: int, start: int, end: int) -> None:
        idx, lens = pools[pool]
        if end > start:
            idx.extend(range(start, end))
            lens.append(end - start)
        else:
            idx.append(n_rows)
            lens.append(1)

    for w, w_start, cand in items:
        base = int(offsets[w]) - w_start
        add(0, base + cand.a_start, base + cand.a_end)
        add(1, base + cand.b_start, base + cand.b_end)
        lo, hi = sorted(((cand.a_start, cand.a_end), (cand.b_start, cand.b_end)))
        add(2, base + lo[1], base + hi[0])
        add(3, base + cand.window_start, base + cand.window_end)
    arrays = [(ops.asarray1i(numpy.asarray(idx, dtype="int32")), ops.asarray1i(numpy.asarray(lens, dtype="int32")))
              for idx, lens in pools]
    outputs = []
    backprops: list[Callable] = []
    for k, (idx, lens) in enumerate(arrays):
        X = flat[idx]
        if k < 2:
            Y = ops.reduce_mean(X, lens)
            backprops.append(lambda dY, lens=lens: ops.backprop_reduce_mean(dY, lens))
        else:
            Y, which = ops.reduce_max(X, lens)
            backprops.append(lambda dY, which=which, lens=lens: ops.backprop_reduce_max(dY, which, lens))
        outputs.append(Y)
    outputs.append(ops.asarray2f(feats))
    output = ops.xp.hstack(outputs)

    def backprop(d_output: Floats2d) -> list:
        d_flat = ops.alloc2f(n_rows + 1, width)
        for k, (idx, _lens) in enumerate(arrays):
            dX = backprops[k](ops.as_contig(d_output[:, k * width:(k + 1) * width]))
            ops.scatter_add(d_flat, idx, dX)
        d_tokvecs = ops.unflatten(d_flat[:n_rows], ops.asarray1i(numpy.asarray(lengths, dtype="int32")))
        bp_tokvecs(d_tokvecs)
        return []

    return output, backprop
