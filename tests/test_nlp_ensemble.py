"""The voting NER ensemble (miner.nlp.ensemble) and the 8-bit weight storage it uses (miner.nlp.quantize)."""

from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed
from thinc.api import Linear

from miner.config import REPO_ROOT
from miner.nlp import quantize
from miner.nlp.ensemble import NerVote, copy_model, from_pipelines, vote

TINY_NER = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 16,
        "maxout_pieces": 2,
        "use_upper": True,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": 16,
            "depth": 1,
            "embed_size": 600,
            "window_size": 1,
            "maxout_pieces": 2,
            "subword_features": True,
        },
    }
}
TRAIN = [
    ("Cisplatin caused nephrotoxicity in rats.", [(0, 9, "CHEMICAL"), (17, 31, "DISEASE")]),
    ("Patients on doxorubicin developed cardiomyopathy.", [(12, 23, "CHEMICAL"), (34, 48, "DISEASE")]),
    ("Lithium may cause tremor.", [(0, 7, "CHEMICAL"), (18, 24, "DISEASE")]),
]
TEXTS = ["Cisplatin caused cardiomyopathy.", "Lithium and doxorubicin caused tremor and nephrotoxicity in patients."]


def tiny_recognizer(seed: int, steps: int = 12) -> Language:
    """A small NER trained for a few steps on three sentences (different seeds give different models)."""
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner", name="ner_x", config=TINY_NER)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": ents}) for t, ents in TRAIN]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, drop=0.1)
    return nlp


@pytest.fixture(scope="module")
def members() -> list[Language]:
    return [tiny_recognizer(seed, steps) for seed, steps in ((0, 12), (1, 4), (2, 8))]


def ensemble_of(members: list[Language], min_votes: int = 2) -> Language:
    nlp = spacy.blank("en")
    from_pipelines(nlp, "ner_x", members, "ner_x", min_votes)
    return nlp


def mentions(nlp: Language, text: str) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label_) for e in nlp(text).ents]


# -- vote --


def test_vote_keeps_spans_enough_voters_agree_on() -> None:
    a = [(0, 9, "CHEMICAL"), (20, 30, "DISEASE")]
    b = [(0, 9, "CHEMICAL"), (40, 45, "CHEMICAL")]
    c = [(0, 9, "DISEASE"), (20, 30, "DISEASE")]
    assert vote([a, b, c], 2) == [(0, 9, "CHEMICAL"), (20, 30, "DISEASE")]
    assert vote([a, b, c], 3) == []
    assert vote([a, b, c], 1) == [(0, 9, "CHEMICAL"), (20, 30, "DISEASE"), (40, 45, "CHEMICAL")]


def test_vote_resolves_overlaps_by_votes_then_length() -> None:
    long_once = [(0, 20, "DISEASE")]
    short = [(0, 8, "DISEASE")]
    assert vote([long_once, short, short], 1) == [(0, 8, "DISEASE")]  # two votes beat one
    assert vote([long_once, short], 1) == [(0, 20, "DISEASE")]  # a tie goes to the longer span
    assert vote([short, short, short], 2) == [(0, 8, "DISEASE")]  # one voter's duplicates count once each


def test_vote_rejects_a_threshold_below_one() -> None:
    with pytest.raises(ValueError):
        vote([[(0, 1, "CHEMICAL")]], 0)


# -- quantize --


def test_quantize_round_trip_error_is_at_most_half_a_step_per_row() -> None:
    rng = numpy.random.default_rng(0)
    weights = rng.normal(size=(300, 7, 64)).astype("float32")
    weights[3] = 0.0  # an all-zero row must not divide by zero
    stored = quantize.quantize(weights)
    assert stored["q"].dtype == numpy.int8 and stored["q"].nbytes * 4 == weights.nbytes
    back = quantize.dequantize(stored)
    assert back.shape == weights.shape and back.dtype == numpy.float32
    step = numpy.abs(weights.reshape(-1, 64)).max(axis=1) / 127
    error = numpy.abs(back - weights).reshape(-1, 64).max(axis=1)
    assert numpy.all(error <= step / 2 + 1e-7)
    assert numpy.all(back[3] == 0.0)


def test_quantize_params_touches_only_large_float_arrays() -> None:
    layer = Linear(nO=256, nI=64)
    layer.initialize()
    layer.set_param("b", numpy.arange(256, dtype="float32"))
    msg = layer.to_dict()
    stored = quantize.quantize_params(msg)
    assert quantize.is_quantized(stored["params"][0]["W"])  # 16,384 weights
    assert numpy.array_equal(stored["params"][0]["b"], msg["params"][0]["b"])  # 256: kept as they are
    restored = Linear(nO=256, nI=64)
    restored.from_dict(quantize.dequantize_params(stored))
    assert numpy.allclose(restored.get_param("W"), layer.get_param("W"), atol=numpy.abs(layer.get_param("W")).max() / 127)


# -- the ensemble component --


def test_copy_model_keeps_the_references_the_parser_needs() -> None:
    model = spacy.blank("en").add_pipe("ner", config=TINY_NER).model
    copied = copy_model(model)
    assert copied is not model
    for ref in ("tok2vec", "lower", "upper"):
        assert copied.get_ref(ref) is not model.get_ref(ref)
        assert copied.get_ref(ref) in list(copied.walk())


def test_ensemble_sets_the_majority_of_its_members(members: list[Language]) -> None:
    nlp = ensemble_of(members, min_votes=2)
    component = nlp.get_pipe("ner_x")
    assert isinstance(component, NerVote) and len(component.members) == 3
    assert component.labels == ("CHEMICAL", "DISEASE")
    for text in TEXTS:
        expected = vote([mentions(m, text) for m in members], 2)
        assert mentions(nlp, text) == expected
    unanimous = ensemble_of(members, min_votes=3)
    for text in TEXTS:
        assert set(mentions(unanimous, text)) <= set(mentions(nlp, text))


def test_ensemble_keeps_entities_set_before_it(members: list[Language]) -> None:
    nlp = ensemble_of(members)
    doc = nlp.make_doc(TEXTS[1])
    doc.ents = [spacy.tokens.Span(doc, 0, 1, label="GENE")]
    doc = nlp.get_pipe("ner_x")(doc)
    assert (doc.ents[0].start, doc.ents[0].label_) == (0, "GENE")


def test_ensemble_round_trips_through_disk_8_bit(members: list[Language], tmp_path) -> None:
    nlp = ensemble_of(members)
    nlp.to_disk(tmp_path / "ens")
    stored = (tmp_path / "ens" / "ner_x" / "members").stat().st_size
    fp32 = sum(len(m.get_pipe("ner_x").model.to_bytes()) for m in members)
    assert stored < fp32 / 2
    loaded = spacy.load(tmp_path / "ens")  # through the spacy_factories entry point
    assert loaded.config["components"]["ner_x"]["factory"] == "miner_ner_vote"
    for text in TEXTS:
        assert mentions(loaded, text) == mentions(nlp, text)
    for before, after in zip(nlp.get_pipe("ner_x").members, loaded.get_pipe("ner_x").members):
        w_before, w_after = before.model.get_ref("tok2vec"), after.model.get_ref("tok2vec")
        for node_b, node_a in zip(w_before.walk(), w_after.walk()):
            for name in node_b.param_names:
                if node_b.has_param(name):
                    a, b = node_a.get_param(name), node_b.get_param(name)
                    assert numpy.abs(a - b).max() <= numpy.abs(b).max() / 127 / 2 + 1e-6


def test_ensemble_refuses_a_member_count_that_does_not_match(members: list[Language]) -> None:
    data = ensemble_of(members).get_pipe("ner_x").to_bytes()
    smaller = ensemble_of(members[:2], min_votes=1).get_pipe("ner_x")
    with pytest.raises(ValueError, match="3 members"):
        smaller.from_bytes(data)
    with pytest.raises(ValueError, match="min_votes"):
        NerVote(smaller.vocab, members[0].get_pipe("ner_x").model, members=2, min_votes=3)


def test_the_packaged_cdr_recognizer_is_a_five_member_vote() -> None:
    nlp = spacy.load(REPO_ROOT / "models" / "ner_cdr")
    component = nlp.get_pipe("ner_cdr")
    assert isinstance(component, NerVote)
    assert (len(component.members), component.min_votes) == (5, 3)
    doc = nlp("Doxorubicin-induced cardiomyopathy was seen in two patients.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Doxorubicin", "CHEMICAL"), ("cardiomyopathy", "DISEASE")]


# -- fewer voting runs for speed --


def test_select_lets_the_first_runs_vote_by_majority(members: list[Language]) -> None:
    nlp = ensemble_of(members, min_votes=2)
    component = nlp.get_pipe("ner_x")
    component.select(1)
    assert (len(component.active), component.min_votes) == (1, 1)
    for text in TEXTS:
        assert mentions(nlp, text) == mentions(members[0], text)
    component.select(2)
    assert (len(component.active), component.min_votes) == (2, 2)
    component.select(None)
    assert (len(component.active), component.min_votes) == (3, 2)
    for bad in (0, 4):
        with pytest.raises(ValueError, match="choose between 1 and 3"):
            component.select(bad)
    component.select(1)
    assert len(NerVote(component.vocab, members[0].get_pipe("ner_x").model, members=3, min_votes=2).from_bytes(
        component.to_bytes()).members) == 3  # serialization keeps every run


def test_cdr_runs_setting_from_environment_and_file(tmp_path, monkeypatch) -> None:
    from miner.config import Settings
    from miner.errors import ConfigError

    config = tmp_path / "miner.toml"
    config.write_text("[nlp]\ncdr_runs = 3\n", encoding="utf-8")
    monkeypatch.setenv("MINER_CONFIG", str(config))
    monkeypatch.delenv("MINER_CDR_RUNS", raising=False)
    assert Settings.load().cdr_runs == 3
    monkeypatch.setenv("MINER_CDR_RUNS", "1")
    assert Settings.load().cdr_runs == 1
    for bad in ("zero", "0", "1.5", "-2"):
        monkeypatch.setenv("MINER_CDR_RUNS", bad)
        with pytest.raises(ConfigError, match="MINER_CDR_RUNS"):
            Settings.load()
    monkeypatch.delenv("MINER_CDR_RUNS")
    config.write_text("[nlp]\n", encoding="utf-8")
    assert Settings.load().cdr_runs is None


def test_full_pipeline_with_one_cdr_run() -> None:
    from miner.errors import MinerError
    from miner.nlp.pipeline import load

    nlp = load(cdr_runs=1)
    component = nlp.get_pipe("ner_cdr")
    assert (len(component.active), component.min_votes, len(component.members)) == (1, 1, 5)
    doc = nlp("Doxorubicin-induced cardiomyopathy was seen in two patients.")
    assert ("cardiomyopathy", "DISEASE") in [(e.text, e.label_) for e in doc.ents]
    with pytest.raises(MinerError, match="choose between 1 and 5"):
        load(cdr_runs=6)


def test_ensemble_runs_in_worker_processes(members: list[Language]) -> None:
    """`miner extract --workers N` runs the pipeline with spaCy's n_process: the component must pickle."""
    nlp = ensemble_of(members)
    alone = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(TEXTS * 2)]
    parallel = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(TEXTS * 2, n_process=2, batch_size=1)]
    assert any(alone) and parallel == alone


def test_cascade_gives_the_full_vote(members: list[Language]) -> None:
    """The later members run only on sentences with an open mention (issue 20); the entities are the full vote's."""
    nlp = ensemble_of(members, min_votes=2)
    nlp.add_pipe("sentencizer", first=True)
    component = nlp.get_pipe("ner_x")
    text = " ".join(TEXTS * 3 + ["Nothing happened here.", "Cisplatin and lithium were given to rats."])
    assert component.cascade
    with_cascade = [(e.start, e.end, e.label_) for e in nlp(text).ents]
    component.cascade = False
    without = [(e.start, e.end, e.label_) for e in nlp(text).ents]
    assert with_cascade == without
