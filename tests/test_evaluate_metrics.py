"""Precision/recall/F1 on small hand-made sets with known answers, reports, and the Python API."""

import json

import pytest

import miner.evaluate
from evaluate_support import TinyLexicon, finding
from miner.errors import MinerError
from miner.evaluate import evaluate, write_report
from miner.evaluate.metrics import prf
from miner.schema import write_jsonl

LEX = TinyLexicon()

GOLD = [
    finding("T-DM1", "trastuzumab + pertuzumab", "cross_resistance", id="g1", mechanism="HER2 loss",
            mechanism_genes=["ERBB2"], mechanism_type="target_loss", evidence_quote="q1"),
    finding("osimertinib", "gefitinib", "cross_resistance", id="g2", mechanism="KEAP1 mutation",
            mechanism_genes=["KEAP1"], mechanism_type="secondary_mutation", evidence_quote="q2"),
    finding("cabazitaxel", "enzalutamide", "no_cross_resistance", id="g3", evidence_quote="q3"),
    finding("afatinib", "gefitinib", "cross_resistance", id="g4", evidence_quote="q4"),
]
PRED = [
    # TP at every level (synonyms + member of the gold combination)
    finding("trastuzumab emtansine", "trastuzumab", "reduced_efficacy", mechanism="loss of HER2", sentence="s1"),
    # pair + polarity, wrong mechanism
    finding("osimertinib", "gefitinib", "cross_resistance", mechanism="MET amplification", sentence="s2"),
    # pair only: opposite polarity
    finding("cabazitaxel", "enzalutamide", "cross_resistance", sentence="s3"),
    # sibling drug: false positive at every level
    finding("docetaxel", "enzalutamide", "no_cross_resistance", sentence="s4"),
]


def test_prf_known_values():
    assert prf(3, 1, 2) == (0.75, 0.6, 0.6667)
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)


def test_scores_per_level_have_known_answers():
    r = evaluate(GOLD, PRED, lexicon=LEX)
    expected = {"pair": (3, 1, 1), "pair+effect": (2, 2, 2), "pair+exact_effect": (1, 3, 3), "full": (1, 3, 3)}
    for level, (tp, fp, fn) in expected.items():
        row = r.score(level)
        assert (row["tp"], row["fp"], row["fn"]) == (tp, fp, fn), level
        assert (row["precision"], row["recall"], row["f1"]) == prf(tp, fp, fn)
    assert r.score("pair")["precision"] == 0.75 and r.score("pair")["recall"] == 0.75
    assert list(r.scores.columns) == ["level", "effect", "review", "tp", "fp", "fn", "precision", "recall", "f1"]


def test_per_effect_and_per_review_slices():
    r = evaluate(GOLD, PRED, lexicon=LEX)
    # no_cross_resistance: gold g3 matched at pair level (tp), docetaxel prediction is an fp of that effect
    row = r.score("pair", effect="no_cross_resistance")
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 0)
    row = r.score("pair+effect", effect="no_cross_resistance")
    assert (row["tp"], row["fp"], row["fn"]) == (0, 1, 1)
    assert r.score("pair", review="000") == {**r.score("pair"), "review": "000"}
    with pytest.raises(KeyError):
        r.score("pair", effect="collateral_sensitivity")  # empty slice


def test_misses_and_false_positives_carry_evidence_and_reasons():
    r = evaluate(GOLD, PRED, lexicon=LEX)
    miss = r.misses[r.misses.level == "pair"]
    assert list(miss.gold_id) == ["g4"] and list(miss.evidence) == ["q4"]
    assert miss.reason.iloc[0] == "no prediction with this drug pair"
    fp = r.false_positives[r.false_positives.level == "pair"]
    assert list(fp.drug) == ["docetaxel"] and list(fp.sentence) == ["s4"]
    eff = r.misses[r.misses.level == "pair+effect"].set_index("gold_id")
    assert "effect is cross_resistance (predicted) vs no_cross_resistance (gold)" in eff.loc["g3", "reason"]
    full = r.misses[r.misses.level == "full"].set_index("gold_id")
    assert "mechanism" in full.loc["g2", "reason"]


def test_two_identical_predictions_against_one_gold_row():
    gold = [finding("osimertinib", "gefitinib", id="g1")]
    pred = [finding("osimertinib", "gefitinib"), finding("osimertinib", "gefitinib")]
    row = evaluate(gold, pred, lexicon=LEX).score("pair")
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 0)


def test_reviews_are_kept_apart_and_review_option_claims_predictions():
    gold = [finding("osimertinib", "gefitinib", id="g0"),
            finding("T-DM1", "trastuzumab", id="g1", doc_id="text:review_001")]
    pred = [finding("T-DM1", "trastuzumab", doc_id="text:review_000")]  # right pair, wrong review
    r = evaluate(gold, pred, lexicon=LEX)
    assert r.score("pair")["tp"] == 0 and r.reviews == ["000", "001"]
    pred_other = [finding("T-DM1", "trastuzumab", doc_id="text:001_b7be499466b4752f")]
    r = evaluate(gold, pred_other, review="001", lexicon=LEX)
    assert (r.score("pair")["tp"], r.n_gold) == (1, 1)
    with pytest.raises(MinerError, match="review number"):
        evaluate(gold, pred, review="1", lexicon=LEX)
    with pytest.raises(MinerError, match="no gold row"):
        evaluate(gold, pred, review="002", lexicon=LEX)


def test_files_directories_and_determinism(tmp_path):
    write_jsonl(GOLD[:2], tmp_path / "gold" / "review_000.jsonl")
    write_jsonl(GOLD[2:], tmp_path / "gold" / "review_001.jsonl")
    write_jsonl(PRED, tmp_path / "pred.jsonl")
    a = evaluate(tmp_path / "gold", tmp_path / "pred.jsonl", lexicon=LEX)
    b = evaluate(GOLD, list(reversed(PRED)), lexicon=LEX)
    assert a.scores.equals(evaluate(tmp_path / "gold", tmp_path / "pred.jsonl", lexicon=LEX).scores)
    assert a.scores[["level", "tp", "fp", "fn"]].equals(b.scores[["level", "tp", "fp", "fn"]])
    with pytest.raises(MinerError, match="no such file"):
        evaluate(tmp_path / "missing", PRED, lexicon=LEX)


def test_reports_in_three_formats(tmp_path):
    r = evaluate(GOLD, PRED, lexicon=LEX)
    for suffix in (".md", ".html", ".json"):
        path = write_report(tmp_path / f"r{suffix}", "t", r.tables())
        text = path.read_text()
        assert "docetaxel" in text and "g4" in text
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"scores", "misses", "false_positives", "matches"} <= set(data)
    first = (tmp_path / "r.md").read_text()
    write_report(tmp_path / "r.md", "t", evaluate(GOLD, PRED, lexicon=LEX).tables())
    assert (tmp_path / "r.md").read_text() == first
    with pytest.raises(MinerError, match="report format"):
        write_report(tmp_path / "r.txt", "t", r.tables())


def test_package_is_callable_like_the_function():
    r = miner.evaluate(GOLD, PRED, lexicon=LEX)
    assert r.scores.equals(evaluate(GOLD, PRED, lexicon=LEX).scores)


def test_kind_slice_keeps_both_sides_of_that_kind():
    gold = [
        finding("osimertinib", "gefitinib", "cross_resistance", id="s1", kind="sequential"),
        finding("osimertinib", "", "resistance", id="r1", kind="acquired", mechanism="C797S"),
    ]
    pred = [
        finding("osimertinib", "gefitinib", "cross_resistance", kind="sequential", sentence="a"),
        finding("osimertinib", "", "resistance", kind="acquired", sentence="b"),
        finding("afatinib", "", "resistance", kind="acquired", sentence="c"),
    ]
    seq = evaluate(gold, pred, lexicon=LEX, kind="sequential")
    assert (seq.n_gold, seq.n_pred) == (1, 1)
    assert seq.score("pair+effect")["precision"] == 1.0 and seq.score("pair+effect")["recall"] == 1.0
    acq = evaluate(gold, pred, lexicon=LEX, kind="acquired")
    assert (acq.n_gold, acq.n_pred) == (1, 2)
    assert acq.score("pair")["fp"] == 1
    with pytest.raises(MinerError, match="--kind must be one of"):
        evaluate(gold, pred, lexicon=LEX, kind="serial")


def test_qualifying_words_do_not_hide_a_class():
    from miner.evaluate.names import resolve_name

    for name in ("irreversible EGFR-TKIs", "other EGFR TKIs", "subsequent ARSIs", "the taxanes"):
        assert resolve_name(name, LEX).ids, name
    assert resolve_name("irreversible EGFR-TKIs", LEX).ids == resolve_name("EGFR-TKIs", LEX).ids
