"""Cross-sentence candidates of the relation component, how annotated rows label them, and the cue features
(candidates.py ``neighbours``, data.py ``label_candidates``, model.py ``cue_features``)."""

from __future__ import annotations

from miner.extract.relation.candidates import candidate_pairs, doc_arguments
from miner.extract.relation.data import SourceDoc, label_candidates
from miner.extract.relation.model import DD_EFFECTS
from tests.test_extract_relation import RESOLVER, make_doc, nlp  # noqa: F401  (the fixture)


def _row(drug, effect, prior="", mechanism="", genes=(), *, text, quote):
    start = text.index(quote)
    return {"drug": drug, "prior_drug": prior, "effect": effect, "mechanism": mechanism,
            "mechanism_genes": list(genes), "negated": False, "evidence_quote": quote,
            "offsets": {"evidence_quote": [start, start + len(quote)]}}


def _label(nlp, text, rows, genes=(), variants=()):
    doc = make_doc(nlp, text, genes=genes, variants=variants)
    args = doc_arguments(doc, RESOLVER)
    cands = candidate_pairs(doc, resolver=RESOLVER, args=args, neighbours=True)
    gold, stats = label_candidates(doc, cands, args, SourceDoc("t", text, rows), RESOLVER)
    return {(c.kind, doc[c.a_start:c.a_end].text, doc[c.b_start:c.b_end].text, c.cross): tuple(g)
            for c, g in zip(cands, gold)}, stats


def test_a_prior_named_in_the_sentence_before_the_quote_labels_the_cross_pair(nlp):
    text = ("Cisplatin-resistant NTUB1 cells were established from the parental line. "
            "The resistant cells had strong cross-resistance to paclitaxel.")
    quote = "The resistant cells had strong cross-resistance to paclitaxel."
    labels, stats = _label(nlp, text, [_row("paclitaxel", "cross_resistance", "cisplatin", text=text, quote=quote)])
    # the prior is named first (a), the affected drug second (b): direction 1
    assert labels[("DD", "Cisplatin", "paclitaxel", True)] == (DD_EFFECTS.index("cross_resistance"), 1)
    assert stats.rows_aligned == 1


def test_a_row_aligned_within_its_sentence_does_not_also_label_a_cross_pair(nlp):
    text = ("Patients had received docetaxel before. "
            "Cabazitaxel retained activity in patients who progressed after docetaxel.")
    quote = "Cabazitaxel retained activity in patients who progressed after docetaxel."
    labels, _ = _label(nlp, text, [_row("Cabazitaxel", "no_cross_resistance", "docetaxel", text=text, quote=quote)])
    assert labels[("DD", "Cabazitaxel", "docetaxel", False)] == (DD_EFFECTS.index("no_cross_resistance"), 0)
    # the earlier mention of docetaxel with cabazitaxel is not a second positive: none
    assert labels[("DD", "docetaxel", "Cabazitaxel", True)] == (0, -1)


def test_the_affected_drug_must_be_in_the_quote(nlp):
    text = "Gefitinib was given first. Afatinib was given later. Cells were tested."
    quote = "Cells were tested."
    labels, stats = _label(nlp, text, [_row("Afatinib", "cross_resistance", "Gefitinib", text=text, quote=quote)])
    assert stats.rows_aligned == 0
    assert labels[("DD", "Gefitinib", "Afatinib", True)] != (DD_EFFECTS.index("cross_resistance"), 1)


def test_an_unaligned_quote_leaves_cross_pairs_touching_it_unlabelled(nlp):
    text = "Cells were selected in carboplatin. These cells were cross-resistant to the new agent and to paclitaxel."
    quote = "These cells were cross-resistant to the new agent and to paclitaxel."
    row = _row("the new agent", "cross_resistance", "carboplatin", text=text, quote=quote)  # no such candidate
    labels, stats = _label(nlp, text, [row])
    assert stats.rows_aligned == 0
    assert labels[("DD", "carboplatin", "paclitaxel", True)] == (-1, -1)


def test_a_gene_in_the_quote_and_its_drug_in_the_sentence_before(nlp):
    text = "Resistance to imatinib developed after two years. Sequencing found the KIT D816V mutation."
    quote = "Sequencing found the KIT D816V mutation."
    row = _row("imatinib", "resistance", mechanism="KIT D816V", genes=("KIT",), text=text, quote=quote)
    labels, stats = _label(nlp, text, [row], genes=("KIT",), variants=("D816V",))
    assert labels[("DG", "imatinib", "KIT", True)] == (1, -1)
    assert labels[("DG", "imatinib", "D816V", True)] == (1, -1)
    assert stats.rows_aligned == 1


def test_cue_features_read_the_words_around_and_between_the_arguments(nlp):
    from miner.extract.relation.model import CUE_GROUPS, N_CUE_FEATURES, cue_features

    text = "After progression on gefitinib, afatinib was not effective, unlike in cells with KRAS mutations."
    doc = make_doc(nlp, text, genes=("KRAS",))
    cands = candidate_pairs(doc, resolver=RESOLVER, args=doc_arguments(doc, RESOLVER))
    (dd,) = [c for c in cands if c.kind == "DD"]
    feats = cue_features(doc, dd)
    assert len(feats) == N_CUE_FEATURES
    names = [name for name, _ in CUE_GROUPS]
    before, between, after = (dict(zip(names, feats[i * len(names):(i + 1) * len(names)])) for i in range(3))
    assert before["sequence"] == 1.0 and before["failure"] == 1.0  # "After progression on"
    assert between["response"] == 0.0 and sum(between.values()) == 0.0  # only a comma between
    assert after["negation"] == after["response"] == after["alteration"] == after["cells"] == 1.0
    assert after["cross"] == 0.0


def test_a_model_with_cue_features_has_more_feature_columns(nlp):
    from thinc.api import Model

    from miner.extract.relation.candidates import set_candidates
    from miner.extract.relation.model import N_CUE_FEATURES, N_FEATURES, build_instance_tensor, n_features

    doc = make_doc(nlp, "Gefitinib-resistant cells were cross-resistant to afatinib.")
    set_candidates(doc, candidate_pairs(doc, resolver=RESOLVER, args=doc_arguments(doc, RESOLVER)))
    tok2vec = Model("t2v", lambda model, docs, is_train: ([model.ops.alloc2f(len(d), 4) + 1.0 for d in docs],
                                                          lambda d: []), dims={"nO": 4})
    plain, cued = build_instance_tensor(tok2vec), build_instance_tensor(tok2vec, cue_features=True)
    for model, n in ((plain, N_FEATURES), (cued, N_FEATURES + N_CUE_FEATURES)):
        model.initialize(X=[doc])
        assert n_features(model) == n
        out = model.predict([doc])
        assert out.shape == (1, 4 * 4 + n)
    assert cued.predict([doc])[0, 4 * 4 + N_FEATURES:].sum() >= 2  # "resistant", "cross-resistant", "cells" ...
