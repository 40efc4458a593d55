"""The trained relation component (miner/extract/relation): candidate generation on written sentences, labelling
of candidates from annotated rows, the network's gradient, a few training steps with a to_disk/spacy.load round
trip, the project config through ``spacy train``, and the packaged component in miner's pipeline."""

from __future__ import annotations

import subprocess
import sys

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from thinc.api import Model

from miner.config import REPO_ROOT
from miner.extract.relation.candidates import (
    CANDIDATES_KEY,
    Candidate,
    candidate_pairs,
    get_candidates,
    set_candidates,
)
from miner.extract.relation.component import GOLD_KEY, RELATIONS_KEY, Relation
from miner.extract.relation.data import SourceDoc, agent_matches, label_candidates, training_doc
from miner.extract.relation.model import DD_EFFECTS, N_FEATURES, build_instance_tensor
from miner.nlp.extensions import register_extensions
from miner.nlp.tokenizer import miner_tokenizer

register_extensions()


class FakeResolver:
    """A lexicon stand-in: drugs by name, everything oncology, genes by upper-case name."""

    DRUGS = {"gefitinib": "DB1", "afatinib": "DB2", "osimertinib": "DB3", "cisplatin": "DB4", "paclitaxel": "DB5",
             "carboplatin": "DB6", "veliparib": "DB7", "imatinib": "DB8", "lapatinib": "DB9", "docetaxel": "DB10",
             "cabazitaxel": "DB11", "oxaliplatin": "DB12"}

    def drug(self, text):
        key = text.strip().lower()
        return ("DRUG", [self.DRUGS[key]]) if key in self.DRUGS else None

    def may_extend(self, text):
        return False

    GENES = {"EGFR": "EGFR", "KIT": "KIT", "ERBB2": "ERBB2", "HER2": "ERBB2", "KRAS": "KRAS"}

    def gene(self, text):
        return self.GENES.get(text, "")

    def oncology(self, ids):
        return True


RESOLVER = FakeResolver()


@pytest.fixture(scope="module")
def nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    return nlp


def make_doc(nlp: Language, text: str, genes: tuple[str, ...] = (), variants: tuple[str, ...] = ()) -> Doc:
    """A Doc with sentences and entities as miner's pipeline would give them: every lexicon drug (CHEMICAL, DRUG
    with its id), the GENE and VARIANT strings given."""
    doc = nlp(text)
    spans = []
    for tok in doc:
        found = RESOLVER.drug(tok.text)
        if found:
            span = doc[tok.i:tok.i + 1]
            span.label_ = "CHEMICAL"
            spans.append((span, found))
    ents = []
    for span, (label, ids) in spans:
        s = doc.char_span(span.start_char, span.end_char, label="CHEMICAL")
        s._.drug_label = label
        s._.drug_ids = tuple(ids)
        ents.append(s)
    for words, label in ((genes, "GENE"), (variants, "VARIANT")):
        for w in words:
            at = text.index(w)
            s = doc.char_span(at, at + len(w), label=label)
            assert s is not None, w
            if label == "GENE":
                s._.gene_id = w.upper()
            ents.append(s)
    doc.ents = sorted(ents, key=lambda s: s.start)
    return doc


def pairs(doc: Doc, cands: list[Candidate]) -> set[tuple[str, str, str]]:
    return {(c.kind, doc[c.a_start:c.a_end].text, doc[c.b_start:c.b_end].text) for c in cands}


# -- candidate generation ------------------------------------------------------------------------------------


def test_drug_pairs_and_drug_gene_pairs_in_one_sentence(nlp):
    doc = make_doc(nlp, "Gefitinib-resistant cells with EGFR T790M were cross-resistant to afatinib.",
                   genes=("EGFR",), variants=("T790M",))
    got = pairs(doc, candidate_pairs(doc, resolver=RESOLVER))
    assert got == {("DD", "Gefitinib", "afatinib"), ("DG", "Gefitinib", "EGFR"), ("DG", "Gefitinib", "T790M"),
                   ("DG", "afatinib", "EGFR"), ("DG", "afatinib", "T790M")}


def test_pairs_stay_in_their_sentence_and_respect_the_filter(nlp):
    text = "Cisplatin was given first. Paclitaxel was active after cisplatin failure. Docetaxel was well tolerated."
    doc = make_doc(nlp, text)
    assert pairs(doc, candidate_pairs(doc, resolver=RESOLVER)) == {("DD", "Paclitaxel", "cisplatin")}
    # the filter drops every sentence without a cue: here, all of them
    assert candidate_pairs(doc, keep=lambda s: "resistan" in s, resolver=RESOLVER) == []
    kept = candidate_pairs(doc, keep=lambda s: "after" in s, resolver=RESOLVER)
    assert pairs(doc, kept) == {("DD", "Paclitaxel", "cisplatin")}
    assert all(c.window_start == doc[kept[0].a_start].sent.start for c in kept)


def test_one_agent_twice_is_no_pair_and_reversed_order_keeps_text_order(nlp):
    doc = make_doc(nlp, "Osimertinib after gefitinib, not gefitinib after osimertinib, was studied.")
    cands = candidate_pairs(doc, resolver=RESOLVER)
    assert {(doc[c.a_start].text, doc[c.b_start].text) for c in cands} == {
        ("Osimertinib", "gefitinib"), ("gefitinib", "osimertinib")}
    assert all(c.a_start < c.b_start for c in cands)  # DD: a is the first-named
    assert not any(doc[c.a_start].text.lower() == doc[c.b_start].text.lower() for c in cands)


def test_neighbour_sentences_give_cross_pairs(nlp):
    doc = make_doc(nlp, "Cells were selected with oxaliplatin. These cells were resistant to cisplatin.")
    keep = lambda s: "resistant" in s  # noqa: E731
    assert candidate_pairs(doc, keep=keep, resolver=RESOLVER) == []  # one agent per sentence
    cands = candidate_pairs(doc, keep=keep, neighbours=True, resolver=RESOLVER)
    assert pairs(doc, cands) == {("DD", "oxaliplatin", "cisplatin")}
    (c,) = cands
    assert c.cross and (c.window_start, c.window_end) == (0, len(doc))


def test_no_agents_no_candidates_and_candidates_round_trip_through_user_data(nlp):
    doc = make_doc(nlp, "EGFR T790M was found in the tumour.", genes=("EGFR",), variants=("T790M",))
    assert candidate_pairs(doc, resolver=RESOLVER) == []
    doc = make_doc(nlp, "Imatinib resistance was due to KIT D816V.", genes=("KIT",), variants=("D816V",))
    cands = candidate_pairs(doc, resolver=RESOLVER)
    set_candidates(doc, cands)
    restored = Doc(doc.vocab).from_bytes(doc.to_bytes())
    assert get_candidates(restored) == cands


# -- labelling from rows -----------------------------------------------------------------------------------------


def _row(drug, effect, prior="", mechanism="", genes=(), quote=None, text=""):
    quote = quote or text
    start = text.index(quote)
    return {"drug": drug, "prior_drug": prior, "effect": effect, "mechanism": mechanism,
            "mechanism_genes": list(genes), "negated": False, "evidence_quote": quote,
            "offsets": {"evidence_quote": [start, start + len(quote)]}}


def _labels(doc, cands, gold):
    return {(c.kind, doc[c.a_start:c.a_end].text, doc[c.b_start:c.b_end].text): tuple(g) for c, g in zip(cands, gold)}


def test_rows_label_their_pairs_with_effect_and_direction(nlp):
    text = ("Crossover veliparib showed limited activity in patients who progressed on placebo plus "
            "carboplatin/paclitaxel. Cisplatin-resistant cells remained sensitive to docetaxel.")
    doc = make_doc(nlp, text)
    rows = [_row("veliparib", "reduced_efficacy", "carboplatin/paclitaxel", text=text,
                 quote=text[:text.index(" Cisplatin")]),
            _row("docetaxel", "no_cross_resistance", "Cisplatin", text=text, quote=text[text.index("Cisplatin"):])]
    from miner.extract.relation.candidates import doc_arguments

    args = doc_arguments(doc, RESOLVER)
    cands = candidate_pairs(doc, resolver=RESOLVER, args=args)
    gold, stats = label_candidates(doc, cands, args, SourceDoc("t", text, rows), RESOLVER)
    labels = _labels(doc, cands, gold)
    reduced = DD_EFFECTS.index("reduced_efficacy")
    # veliparib is named first and is the later agent: direction 0 (a is later); both parts of the regimen match
    assert labels[("DD", "veliparib", "carboplatin")] == (reduced, 0)
    assert labels[("DD", "veliparib", "paclitaxel")] == (reduced, 0)
    assert labels[("DD", "carboplatin", "paclitaxel")] == (0, -1)  # an unmatched pair in an annotated sentence
    # the prior is named first: direction 1 (b is later)
    assert labels[("DD", "Cisplatin", "docetaxel")] == (DD_EFFECTS.index("no_cross_resistance"), 1)
    assert stats.rows_aligned == 2


def test_gene_rows_and_what_is_left_out(nlp):
    text = ("Tumours with the KIT D816V mutation are resistant to imatinib. "
            "Osimertinib overcomes T790M-mediated resistance to gefitinib.")
    doc = make_doc(nlp, text, genes=("KIT",), variants=("D816V", "T790M"))
    first, second = text.split(". ")
    rows = [_row("imatinib", "resistance", mechanism="KIT D816V", genes=("KIT",), text=text, quote=first),
            _row("Osimertinib", "no_cross_resistance", "gefitinib", mechanism="T790M", genes=("EGFR",), text=text,
                 quote=second)]
    from miner.extract.relation.candidates import doc_arguments

    args = doc_arguments(doc, RESOLVER)
    cands = candidate_pairs(doc, resolver=RESOLVER, args=args)
    gold, _ = label_candidates(doc, cands, args, SourceDoc("t", text, rows), RESOLVER)
    labels = _labels(doc, cands, gold)
    assert labels[("DG", "imatinib", "KIT")] == (1, -1)
    assert labels[("DG", "imatinib", "D816V")] == (1, -1)
    # the mechanism of a sequential row: which agent it explains is not labelled, so it is not trained on
    assert labels[("DG", "Osimertinib", "T790M")] == (-1, -1)
    assert labels[("DG", "gefitinib", "T790M")] == (-1, -1)
    assert labels[("DD", "Osimertinib", "gefitinib")] == (DD_EFFECTS.index("no_cross_resistance"), 0)


def test_an_unaligned_row_is_not_taught_as_none_and_civic_style_sources_skip_drug_pairs(nlp):
    text = "MCF-7/Dox cells were cross-resistant to paclitaxel and docetaxel."
    doc = make_doc(nlp, text)
    rows = [_row("paclitaxel", "cross_resistance", "doxorubicin", text=text)]  # the prior is not named here
    from miner.extract.relation.candidates import doc_arguments

    args = doc_arguments(doc, RESOLVER)
    cands = candidate_pairs(doc, resolver=RESOLVER, args=args)
    gold, stats = label_candidates(doc, cands, args, SourceDoc("t", text, rows), RESOLVER)
    assert [tuple(g) for g in gold] == [(-1, -1)] and stats.rows_aligned == 0
    gold, _ = label_candidates(doc, cands, args, SourceDoc("t", text, [], label_dd=False), RESOLVER)
    assert [tuple(g) for g in gold] == [(-1, -1)]
    gold, _ = label_candidates(doc, cands, args, SourceDoc("t", text, []), RESOLVER)
    assert [tuple(g) for g in gold] == [(0, -1)]


def test_civic_style_scope_leaves_other_variants_unlabelled(nlp):
    """A CIViC item annotates one molecular profile: other genes of its statement are neither positive nor none."""
    text = "Cells with KIT D816V or EGFR T790M were resistant to imatinib."
    doc = make_doc(nlp, text, genes=("KIT", "EGFR"), variants=("D816V", "T790M"))
    from miner.extract.relation.candidates import doc_arguments

    args = doc_arguments(doc, RESOLVER)
    cands = candidate_pairs(doc, resolver=RESOLVER, args=args)
    scope = {"mechanism": "KIT D816V", "mechanism_genes": ["KIT"]}
    source = SourceDoc("civic:1", text, [], label_dd=False, mechanism_scope=scope)  # a Sensitivity-like item
    labels = _labels(doc, cands, label_candidates(doc, cands, args, source, RESOLVER)[0])
    assert labels[("DG", "imatinib", "KIT")] == (0, -1) and labels[("DG", "imatinib", "D816V")] == (0, -1)
    assert labels[("DG", "imatinib", "EGFR")] == (-1, -1) and labels[("DG", "imatinib", "T790M")] == (-1, -1)


def test_agent_matching():
    from miner.extract.relation.candidates import Arg

    arg = Arg(0, 1, "DRUG", "DB4")
    assert agent_matches("cisplatin", [], "Cisplatin", arg, RESOLVER)
    assert agent_matches("CDDP", ["DB4"], "cisplatin", arg, RESOLVER)  # by id
    assert agent_matches("cisplatin + pemetrexed", [], "cisplatin", arg, RESOLVER)  # part of a regimen
    assert agent_matches("the platinum drug cisplatin", [], "cisplatin", arg, RESOLVER)
    assert not agent_matches("carboplatin", [], "cisplatin", arg, RESOLVER)


# -- the network ------------------------------------------------------------------------------------------------


def test_instance_tensor_gradient_matches_finite_differences():
    """The span-pair pooling backpropagates exactly (a stand-in tok2vec whose output is a parameter)."""
    width = 3

    def forward(model, docs, is_train):
        E = model.get_param("E")

        def backprop(dY):
            dE = numpy.zeros_like(E)
            for d, y in zip(docs, dY):
                dE[:len(d)] += y
            model.inc_grad("E", dE)
            return []

        return [E[:len(d)].copy() for d in docs], backprop

    tok2vec = Model("stand_in", forward, params={"E": None}, dims={"nO": width},
                    init=lambda m, X=None, Y=None: m.set_param("E", numpy.random.RandomState(0).randn(20, width)
                                                              .astype("f")))
    model = build_instance_tensor(tok2vec)
    doc = spacy.blank("en")("a b c d e f g h . i j k l m n")
    set_candidates(doc, [Candidate("DD", 0, 1, "DRUG", 3, 5, "DRUG", 0, 9),
                         Candidate("DG", 1, 2, "DRUG", 2, 3, "GENE", 0, 9),  # touching: empty "between"
                         Candidate("DD", 10, 11, "DRUG", 4, 6, "REGIMEN", 0, 15, True)])
    model.initialize(X=[doc])
    assert model.get_dim("nO") == 4 * width + N_FEATURES
    R = numpy.random.RandomState(1).randn(3, model.get_dim("nO")).astype("f")
    _, backprop = model.begin_update([doc])
    backprop(R)
    analytic = tok2vec.get_grad("E").copy()
    E = tok2vec.get_param("E")
    numeric = numpy.zeros_like(E)
    eps = 1e-2
    for i in range(E.shape[0]):
        for j in range(width):
            for sign in (1, -1):
                changed = E.copy()
                changed[i, j] += sign * eps
                tok2vec.set_param("E", changed)
                numeric[i, j] += sign * (model.predict([doc]) * R).sum() / (2 * eps)
    tok2vec.set_param("E", E)
    assert numpy.abs(numeric - analytic).max() < 1e-3


# -- training and serialization -----------------------------------------------------------------------------------


def _training_docs(nlp):
    """Written training Docs (candidates + gold as the converter stores them)."""
    from miner.extract.relation.candidates import doc_arguments
    from miner.extract.relation.data import WRITTEN

    docs = []
    for text, rows in WRITTEN:
        doc = make_doc(nlp, text, genes=tuple(g for g in ("KIT", "ERBB2") if g in text),
                       variants=tuple(v for v in ("D816V", "L755S") if v in text))
        rows = [dict(r, evidence_quote=text, offsets={"evidence_quote": [0, len(text)]}) for r in rows]
        args = doc_arguments(doc, RESOLVER)
        cands = candidate_pairs(doc, resolver=RESOLVER, args=args)
        gold, _ = label_candidates(doc, cands, args, SourceDoc("t", text, rows), RESOLVER)
        docs.append(training_doc(doc, cands, gold, f"text:{len(docs)}"))
    return docs


def _relations(nlp_rel, docs):
    out = []
    for doc in docs:
        plain = Doc(nlp_rel.vocab).from_bytes(doc.to_bytes())  # in the model's vocab (its static vectors, if any)
        plain.user_data = {CANDIDATES_KEY: doc.user_data[CANDIDATES_KEY]}
        out.append(nlp_rel(plain).user_data[RELATIONS_KEY])
    return out


def test_component_trains_a_few_steps_and_round_trips_through_disk(nlp, tmp_path):
    docs = _training_docs(nlp)
    assert sum(1 for d in docs for y, _ in d.user_data[GOLD_KEY] if y > 0) >= 8
    rel_nlp = spacy.blank("en")
    rel_nlp.tokenizer = miner_tokenizer(rel_nlp)
    rel_nlp.add_pipe("miner_relation", config={"use_prefilter": False, "store_8bit": False})
    examples = [Example(d.copy(), d) for d in docs]
    optimizer = rel_nlp.initialize(lambda: examples)
    first = None
    for _ in range(40):
        losses = rel_nlp.update(examples, sgd=optimizer, losses={})
        first = first if first is not None else losses["miner_relation"]
    assert losses["miner_relation"] < first / 2
    scores = rel_nlp.evaluate(examples)
    assert scores["rel_prior_f"] > 0.5 and scores["rel_mechanism_f"] > 0.5
    before = _relations(rel_nlp, docs)
    assert any(before)
    rel_nlp.to_disk(tmp_path / "rel")
    loaded = spacy.load(tmp_path / "rel")
    assert loaded.pipe_names == ["miner_relation"]
    assert _relations(loaded, docs) == before
    # 8-bit storage: a smaller file, the same decisions up to rounding of the scores
    loaded.get_pipe("miner_relation").cfg["store_8bit"] = True
    loaded.to_disk(tmp_path / "rel8")
    small = spacy.load(tmp_path / "rel8")
    size = lambda p: (p / "miner_relation" / "model").stat().st_size  # noqa: E731
    assert size(tmp_path / "rel8") < size(tmp_path / "rel") / 2
    after = _relations(small, docs)
    assert [[r[:5] + r[6:7] for r in doc] for doc in after] == [[r[:5] + r[6:7] for r in doc] for doc in before]


def test_relation_records_survive_serialization_and_become_findings(nlp):
    from miner.extract.relation.findings import relation_findings

    doc = make_doc(nlp, "Gefitinib-resistant cells were cross-resistant to afatinib.")
    i = [t.text for t in doc].index("afatinib")
    doc.user_data[RELATIONS_KEY] = [(i, i + 1, 0, 1, "cross_resistance", 0.9, "prior", 0.8)]
    restored = Doc(doc.vocab).from_bytes(doc.to_bytes())
    (rel,) = restored._.relations
    assert isinstance(rel, Relation) and rel.head.text == "afatinib" and rel.tail.text == "Gefitinib"
    assert (rel.label, rel.kind, rel.score, rel.direction_score) == ("cross_resistance", "prior", 0.9, 0.8)
    (finding,) = relation_findings(doc, "pmid:1", base=100)
    assert (finding.drug, finding.prior_drug, finding.effect, finding.kind) == (
        "afatinib", "Gefitinib", "cross_resistance", "sequential")
    assert finding.offsets["drug"] == [100 + doc[i].idx, 100 + doc[i].idx + len("afatinib")]
    assert finding.drug_ids == ["DB2"] and finding.rule == "model:miner_relation" and finding.confidence == 0.9


def test_project_config_trains_through_spacy_train(nlp, tmp_path):
    """configs/relation.cfg runs under ``spacy train`` (reader, factory, tokenizer callback) for a few steps."""
    docs = _training_docs(nlp)
    db = DocBin(store_user_data=True)
    for d in docs:
        db.add(d)
    db.to_disk(tmp_path / "train.spacy")
    out = tmp_path / "out"
    cmd = [sys.executable, "-W", "ignore", "-m", "spacy", "train", str(REPO_ROOT / "configs" / "relation.cfg"),
           "--output", str(out), "--code", str(REPO_ROOT / "miner" / "extract" / "relation" / "spacy_code.py"),
           "--paths.train", str(tmp_path / "train.spacy"), "--paths.dev", str(tmp_path / "train.spacy"),
           "--training.max_steps", "6", "--training.eval_frequency", "3"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT,
                          env={**__import__("os").environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    loaded = spacy.load(out / "model-last")
    assert loaded.get_pipe("miner_relation").cfg["store_8bit"] is True
    assert isinstance(_relations(loaded, docs), list)


# -- the packaged component ---------------------------------------------------------------------------------------

PACKAGE = REPO_ROOT / "models" / "relation"
PLAIN_LOAD = """
import importlib.metadata, json, sys
import spacy
if "miner_relation" not in {e.name for e in importlib.metadata.entry_points(group="spacy_factories")}:
    import miner.extract.relation.component  # the entry point not installed yet: what it would import
nlp = spacy.load(sys.argv[1])
doc = nlp("The EGFR T790M mutation was detected in the tumour of a patient treated with cisplatin.")
print(json.dumps({"pipe_names": nlp.pipe_names, "relations": len(doc._.relations),
                  "miner": sorted(m for m in sys.modules if m.split(".")[0] == "miner")}))
"""


@pytest.mark.skipif(not (PACKAGE / "config.cfg").is_file(), reason="models/relation not trained yet")
def test_package_loads_with_plain_spacy_load_and_fits_the_budget():
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", PLAIN_LOAD, str(PACKAGE)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["pipe_names"] == ["miner_relation"] and result["relations"] == 0  # no entities without miner's NER
    assert not [m for m in result["miner"] if m.startswith(("miner.nlp.pipeline", "miner.nlp.training", "miner.cli"))]
    size = sum(f.stat().st_size for f in PACKAGE.rglob("*") if f.is_file())
    assert size < 3e6  # models/ holds every package within 100 MB
    assert (PACKAGE / "README.md").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not (PACKAGE / "config.cfg").is_file(), reason="models/relation not trained yet")
def test_package_in_miner_pipeline_gives_relation_records_and_findings():
    import miner.nlp
    from miner.extract.relation import add_relation_component
    from miner.extract.relation.findings import relation_findings

    nlp = miner.nlp.load()
    try:
        add_relation_component(nlp, threshold=0.0, mechanism_threshold=0.0)  # every candidate is a record
        assert nlp.pipe_names[-1] == "miner_relation"
        text = ("Gefitinib-resistant PC9 cells were cross-resistant to afatinib. "
                "Tumours with the KIT D816V mutation are resistant to imatinib.")
        doc = nlp(text)
        rels = doc._.relations
        assert {r.kind for r in rels} == {"prior", "mechanism"}
        for r in rels:
            assert r.head.label_ == "CHEMICAL" and 0.0 <= r.score <= 1.0 and 0.5 <= r.direction_score <= 1.0
            assert (r.tail.label_ == "CHEMICAL") == (r.kind == "prior")
            assert r.label in (DD_EFFECTS[1:] if r.kind == "prior" else ("resistance",))
        findings = relation_findings(doc, "text:t")
        assert findings and all(text[slice(*f.offsets["drug"])] == f.drug for f in findings)
        assert {f.kind for f in findings} == {"sequential", "acquired"}
        # a sentence without a cue has no candidates: the classifier does not run on it
        plain = nlp("Imatinib and gefitinib were given to patients with EGFR-mutant tumours.")
        assert plain.user_data[CANDIDATES_KEY] == [] and plain._.relations == []
    finally:
        if "miner_relation" in nlp.pipe_names:
            nlp.remove_pipe("miner_relation")


def test_a_line_break_ends_a_sentence(nlp):
    """A title runs into the abstract's first sentence for the parser; its line still ends it for the candidates."""
    doc = make_doc(nlp, "Resistance mechanisms to osimertinib\nGefitinib was given before afatinib in resistant cells.")
    assert len(list(doc.sents)) == 1
    assert pairs(doc, candidate_pairs(doc, resolver=RESOLVER)) == {("DD", "Gefitinib", "afatinib")}
