"""Silver training data of the relation component (miner/extract/relation/silver.py): rule findings as labels,
gold first, weights in the loss, and the texts that may never be silver."""

from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.training import Example

from miner.extract.relation.candidates import candidate_pairs, doc_arguments, set_candidates
from miner.extract.relation.component import GOLD_KEY, WEIGHT_KEY
from miner.extract.relation.model import DD_EFFECTS
from miner.extract.relation.silver import is_confident, label_silver, merge_labels
from miner.nlp.training.tokenizer import miner_tokenizer
from tests.test_extract_relation import RESOLVER, make_doc, nlp  # noqa: F401  (the fixture)


def _finding(doc, drug: str, effect: str, prior: str = "", mechanism: str = "", sentence: int = 0, **extra) -> dict:
    """A rule finding (dict) with character offsets into ``doc.text``, as the reader writes them."""
    sent = list(doc.sents)[sentence]
    text = doc.text

    def at(name: str) -> list[int]:
        i = text.index(name, sent.start_char)
        return [i, i + len(name)]

    offsets = {"sentence": [sent.start_char, sent.end_char], "drug": at(drug)}
    if prior:
        offsets["prior_drug"] = at(prior)
    if mechanism:
        offsets["mechanism"] = at(mechanism)
    return {"doc_id": "t", "drug": drug, "prior_drug": prior, "mechanism": mechanism, "effect": effect,
            "offsets": offsets, "confidence": 0.9, "hedged": False, "negated": False, "rule": "some_rule", **extra}


def _labels(doc, cands, gold):
    return {(c.kind, doc[c.a_start:c.a_end].text, doc[c.b_start:c.b_end].text): tuple(g) for c, g in zip(cands, gold)}


def _cands(doc, neighbours=False):
    return candidate_pairs(doc, resolver=RESOLVER, args=doc_arguments(doc, RESOLVER), neighbours=neighbours)


def test_a_sequential_rule_finding_labels_its_pair_and_the_other_pairs_of_its_sentence(nlp):
    text = ("Gefitinib-resistant cells were cross-resistant to afatinib but not to cisplatin. "
            "Paclitaxel and docetaxel were also tested.")
    doc = make_doc(nlp, text)
    cands = _cands(doc)
    found = [_finding(doc, "afatinib", "cross_resistance", prior="Gefitinib")]
    labels = _labels(doc, cands, label_silver(doc, cands, found))
    # the prior is named first, the affected drug second: direction 1 (b is the later agent)
    assert labels[("DD", "Gefitinib", "afatinib")] == (DD_EFFECTS.index("cross_resistance"), 1)
    # the rules read this sentence and did not read these pairs: none
    assert labels[("DD", "Gefitinib", "cisplatin")] == (0, -1)
    assert labels[("DD", "afatinib", "cisplatin")] == (0, -1)
    # a sentence the rules did not read says nothing
    assert labels[("DD", "Paclitaxel", "docetaxel")] == (-1, -1)


def test_a_resistance_rule_finding_labels_gene_pairs_only(nlp):
    text = "Tumours with KIT mutations or EGFR amplification were resistant to imatinib in patients given cisplatin."
    doc = make_doc(nlp, text, genes=("KIT", "EGFR"))
    cands = _cands(doc)
    found = [_finding(doc, "imatinib", "resistance", mechanism="KIT")]
    labels = _labels(doc, cands, label_silver(doc, cands, found))
    assert labels[("DG", "imatinib", "KIT")] == (1, -1)
    assert labels[("DG", "imatinib", "EGFR")] == (0, -1)
    assert labels[("DG", "cisplatin", "KIT")] == (0, -1)
    # no sequential finding in the sentence: its drug pair is not labelled
    assert labels[("DD", "imatinib", "cisplatin")] == (-1, -1)


def test_the_mechanism_of_a_sequential_finding_is_not_taught(nlp):
    text = "Osimertinib overcomes T790M-mediated resistance to gefitinib."
    doc = make_doc(nlp, text, variants=("T790M",))
    cands = _cands(doc)
    found = [_finding(doc, "Osimertinib", "no_cross_resistance", prior="gefitinib", mechanism="T790M")]
    labels = _labels(doc, cands, label_silver(doc, cands, found))
    assert labels[("DD", "Osimertinib", "gefitinib")] == (DD_EFFECTS.index("no_cross_resistance"), 0)
    assert labels[("DG", "Osimertinib", "T790M")] == (-1, -1)
    assert labels[("DG", "gefitinib", "T790M")] == (-1, -1)


def test_cross_sentence_pairs_are_not_silver(nlp):
    text = "Cisplatin-resistant cells were established. The cells were cross-resistant to carboplatin and oxaliplatin."
    doc = make_doc(nlp, text)
    cands = _cands(doc, neighbours=True)
    found = [_finding(doc, "oxaliplatin", "cross_resistance", prior="carboplatin", sentence=1)]
    labels = _labels(doc, cands, label_silver(doc, cands, found))
    assert labels[("DD", "Cisplatin", "carboplatin")] == (-1, -1)
    assert labels[("DD", "carboplatin", "oxaliplatin")] == (DD_EFFECTS.index("cross_resistance"), 1)


def test_only_confident_plain_rule_findings_teach(nlp):
    doc = make_doc(nlp, "Gefitinib-resistant cells were cross-resistant to afatinib.")
    good = _finding(doc, "afatinib", "cross_resistance", prior="Gefitinib")
    assert is_confident(good)
    for change in ({"hedged": True}, {"negated": True}, {"confidence": 0.3}, {"rule": "model:miner_relation"}):
        assert not is_confident(dict(good, **change)), change
    assert not is_confident(dict(good, effect="resistance", prior_drug=""))  # no mechanism offsets


def test_gold_wins_and_silver_fills_what_gold_leaves_unlabelled():
    gold = [(0, -1), (-1, -1), (2, 0), (-1, -1)]
    silver = [(1, 1), (3, 1), (0, -1), (-1, -1)]
    labels, weights, used = merge_labels(gold, silver, weight=0.5)
    assert labels == [(0, -1), (3, 1), (2, 0), (-1, -1)]
    assert weights == [1.0, 0.5, 1.0, 1.0] and used == 1
    labels, weights, used = merge_labels(None, silver, weight=0.25)  # a silver-only document
    assert labels == silver[:3] + [(-1, -1)] and weights == [0.25, 0.25, 0.25, 1.0] and used == 3


def test_loss_weights_scale_the_gradient_of_their_pairs(nlp):
    doc = make_doc(nlp, "Gefitinib-resistant cells were cross-resistant to afatinib.")
    cands = _cands(doc)
    set_candidates(doc, cands)
    doc.user_data[GOLD_KEY] = [[DD_EFFECTS.index("cross_resistance"), 1]]
    rel = spacy.blank("en")
    rel.tokenizer = miner_tokenizer(rel)
    pipe = rel.add_pipe("miner_relation", config={"use_prefilter": False})
    eg = Example(doc.copy(), doc)
    pipe.initialize(lambda: [eg], nlp=rel)
    scores = numpy.asarray([[0.1, 0.2, -0.3, 0.0, 0.4, 0.5, 0.0, 0.0]], dtype="float32")
    loss1, d1 = pipe.get_loss([eg], scores)
    doc.user_data[WEIGHT_KEY] = [0.5]
    loss2, d2 = pipe.get_loss([Example(doc.copy(), doc)], scores)
    assert loss2 == pytest.approx(loss1 / 2, rel=1e-5)
    assert numpy.allclose(numpy.asarray(d2), numpy.asarray(d1) / 2)


def test_silver_texts_hold_no_dev_or_evaluation_text():
    from miner.config import SHARED_DIR

    if not (SHARED_DIR / "data" / "civic" / "civic_evidence_dev.jsonl.gz").is_file():
        pytest.skip("no shared CIViC data")
    from miner.evaluate.civic import civic_records, split_of
    from miner.extract.relation.data import read_split
    from miner.extract.relation.silver import silver_texts

    texts = silver_texts(("civic", "abstracts"))
    records = civic_records()
    splits = read_split()
    for doc_id, _text, group in texts:
        if doc_id.startswith("civic:"):
            assert split_of(str(records[int(doc_id.split(":")[1])]["pmid"])) == "train"
        else:
            assert splits[doc_id.split(":")[1]] == "train"
    assert not any("review" in d or "seed" in d for d, _t, _g in texts)
