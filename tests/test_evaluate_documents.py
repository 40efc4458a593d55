"""Per-document evaluation on hand-made sets: own-document matching, uncovered documents, documents lists, slices."""

import json

import pytest
from typer.testing import CliRunner

from evaluate_support import TinyLexicon, finding, write_rows
from miner.errors import InputFileError, MinerError
from miner.evaluate import evaluate
from miner.evaluate.metrics import NoCommonDocumentsError
from miner.evaluate.sources import document_key, load_documents
from miner.schema import write_jsonl

LEX = TinyLexicon()

# two annotated abstracts; pmid:3 is annotated exhaustively but has no finding
GOLD = [
    finding("osimertinib", "gefitinib", "cross_resistance", id="a1-01", doc_id="pmid:1", kind="sequential"),
    finding("osimertinib", "", "resistance", id="a1-02", doc_id="pmid:1", mechanism="C797S", mechanism_genes=["EGFR"]),
    finding("cabazitaxel", "docetaxel", "no_cross_resistance", id="a2-01", doc_id="pmid:2", kind="sequential"),
]
DOCUMENTS = {"pmid:1": "dev", "pmid:2": "train", "pmid:3": "dev"}


def test_a_prediction_counts_only_against_its_own_document():
    pred = [
        finding("osimertinib", "gefitinib", "cross_resistance", doc_id="pmid:1", sentence="a"),  # tp
        finding("cabazitaxel", "docetaxel", "no_cross_resistance", doc_id="pmid:1", sentence="b"),  # right pair, wrong doc: fp
    ]
    r = evaluate(GOLD, pred, lexicon=LEX)
    row = r.score("pair+effect")
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 2)
    fp = r.false_positives[r.false_positives.level == "pair+effect"]
    assert list(fp.doc_id) == ["pmid:1"] and list(fp.drug) == ["cabazitaxel"]
    assert fp.reason.iloc[0] == "no gold row with this drug pair"
    assert r.documents == ["pmid:1", "pmid:2"] and r.reviews == []


def test_predictions_on_uncovered_documents_are_not_scored():
    pred = [
        finding("osimertinib", "gefitinib", "cross_resistance", doc_id="pmid:1", sentence="a"),
        finding("afatinib", "gefitinib", "cross_resistance", doc_id="pmid:99", sentence="c"),
        finding("docetaxel", "", "resistance", doc_id="text:review_000", sentence="d"),
    ]
    r = evaluate(GOLD, pred, lexicon=LEX)
    assert (r.n_pred, r.n_not_scored) == (1, 2)
    assert sorted(r.not_scored.doc_id) == ["pmid:99", "text:review_000"]
    row = r.score("pair")
    assert (row["tp"], row["fp"], row["fn"]) == (1, 0, 2)
    assert "not_scored" in r.tables() and "slices" in r.tables()


def test_no_document_in_common_is_a_clear_error():
    pred = [finding("osimertinib", "gefitinib", doc_id="pmid:77"), finding("afatinib", "gefitinib", doc_id="pmid:78")]
    with pytest.raises(NoCommonDocumentsError, match=r"share no document with the gold set: 2 prediction\(s\) from 2 document\(s\)"):
        evaluate(GOLD, pred, lexicon=LEX)
    assert issubclass(NoCommonDocumentsError, MinerError)
    # the review gold and abstract predictions: the case
    review_gold = [finding("T-DM1", "trastuzumab", id="g1")]
    with pytest.raises(NoCommonDocumentsError, match=r"the gold covers 1 \(review 000\).*--review NNN"):
        evaluate(review_gold, [finding("T-DM1", "trastuzumab", doc_id="pmid:5")], lexicon=LEX)
    # an empty prediction list is not an error: every gold row is a miss
    assert evaluate(GOLD, [], lexicon=LEX).score("pair")["fn"] == 3


def test_documents_list_makes_rowless_documents_covered():
    pred = [finding("docetaxel", "", "resistance", doc_id="pmid:3", sentence="e")]
    with pytest.raises(NoCommonDocumentsError):
        evaluate(GOLD, pred, lexicon=LEX)
    r = evaluate(GOLD, pred, lexicon=LEX, documents=DOCUMENTS)
    assert (r.n_pred, r.n_not_scored) == (1, 0)
    assert r.score("pair")["fp"] == 1 and r.score("pair", slice="single_drug")["fp"] == 1
    assert r.documents == ["pmid:1", "pmid:2", "pmid:3"]
    bare = evaluate(GOLD, pred, lexicon=LEX, documents=["pmid:1", "pmid:2", "pmid:3"])
    assert bare.score("pair")["fp"] == 1


def test_split_scores_the_documents_of_one_split():
    pred = [
        finding("osimertinib", "gefitinib", "cross_resistance", doc_id="pmid:1", sentence="a"),
        finding("cabazitaxel", "docetaxel", "no_cross_resistance", doc_id="pmid:2", sentence="b"),  # train: not scored
        finding("docetaxel", "", "resistance", doc_id="pmid:3", sentence="e"),  # dev, no gold row: fp
    ]
    r = evaluate(GOLD, pred, lexicon=LEX, documents=DOCUMENTS, split="dev")
    assert (r.n_gold, r.n_pred, r.n_not_scored) == (2, 2, 1)
    assert list(r.not_scored.doc_id) == ["pmid:2"]
    row = r.score("pair+effect")
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 1)
    with pytest.raises(MinerError, match="needs a documents list"):
        evaluate(GOLD, pred, lexicon=LEX, split="dev")
    with pytest.raises(MinerError, match="does not name 1 document"):
        evaluate(GOLD, pred, lexicon=LEX, documents={"pmid:1": "dev", "pmid:3": "dev"})


def test_sequential_and_single_drug_slices_are_scored_separately():
    pred = [
        finding("osimertinib", "gefitinib", "cross_resistance", doc_id="pmid:1", sentence="a"),  # seq tp
        finding("osimertinib", "", "resistance", doc_id="pmid:1", sentence="b", mechanism="MET amplification"),  # single tp (pair+effect)
        finding("afatinib", "", "resistance", doc_id="pmid:1", sentence="c"),  # single fp
        finding("cabazitaxel", "docetaxel", "cross_resistance", doc_id="pmid:2", sentence="d"),  # seq: polarity wrong
    ]
    r = evaluate(GOLD, pred, lexicon=LEX)
    seq, single = r.score("pair+effect", slice="sequential"), r.score("pair+effect", slice="single_drug")
    assert (seq["tp"], seq["fp"], seq["fn"]) == (1, 1, 1)
    assert (single["tp"], single["fp"], single["fn"]) == (1, 1, 0)
    assert r.score("pair", slice="sequential")["tp"] == 2
    full = r.score("full", slice="single_drug")
    assert (full["tp"], full["fp"]) == (0, 2)  # MET is not the gold's EGFR
    # the slices partition the overall counts
    for level in ("pair", "pair+effect", "full"):
        total = r.score(level)
        parts = [r.score(level, slice=s) for s in ("sequential", "single_drug")]
        assert all(total[k] == sum(p[k] for p in parts) for k in ("tp", "fp", "fn"))
    assert set(r.misses[r.misses.level == "pair+effect"].slice) == {"sequential"}
    with pytest.raises(KeyError):
        r.score("pair", effect="resistance", slice="sequential")


def test_review_texts_under_other_ids_are_one_document():
    assert document_key("text:review_000") == document_key("text:000_21accde04c05f8fa") == "000"
    assert document_key("pmid:123") == "pmid:123"
    gold = [finding("T-DM1", "trastuzumab", id="g1", doc_id="text:review_001")]
    r = evaluate(gold, [finding("T-DM1", "trastuzumab", doc_id="text:001_b7be499466b4752f")], lexicon=LEX)
    assert r.score("pair")["tp"] == 1 and r.reviews == ["001"]


def test_documents_file_beside_the_gold_and_its_errors(tmp_path):
    write_jsonl(GOLD, tmp_path / "dev" / "abstracts.jsonl")
    docs = write_rows(tmp_path / "dev" / "documents.jsonl", [{"doc_id": d, "split": s} for d, s in DOCUMENTS.items()])
    pred = write_rows(tmp_path / "pred.jsonl", [finding("docetaxel", "", "resistance", doc_id="pmid:3").to_dict()])
    # the directory listing skips documents.jsonl, and the list beside the gold is used
    r = evaluate(tmp_path / "dev", pred, lexicon=LEX)
    assert (r.n_gold, r.score("pair")["fp"]) == (3, 1)
    r = evaluate(tmp_path / "dev" / "abstracts.jsonl", pred, lexicon=LEX, split="dev")
    assert (r.n_gold, r.n_pred) == (2, 1)
    assert load_documents(docs) == DOCUMENTS
    for bad, message in [("{oops", "line 1"), ('{"split": "dev"}', "doc_id"), ('{"doc_id": "pmid:1", "split": "test"}', "not one of"),
                         ('{"doc_id": "pmid:1"}\n{"doc_id": "pmid:1"}', "listed twice")]:
        docs.write_text(bad + "\n")
        with pytest.raises(InputFileError, match=message):
            load_documents(docs)
    with pytest.raises(MinerError, match="not found"):
        load_documents(tmp_path / "none.jsonl")


def _cli(monkeypatch, args):
    from miner.cli.main import app

    monkeypatch.setattr("miner.cli.gold.default_lexicon", lambda: LEX)
    return CliRunner().invoke(app, args)


def test_cli_evaluate_per_document(tmp_path, monkeypatch):
    gold = tmp_path / "gold.jsonl"
    write_jsonl(GOLD, gold)
    docs = write_rows(tmp_path / "docs.jsonl", [{"doc_id": d, "split": s} for d, s in DOCUMENTS.items()])
    pred = tmp_path / "pred.jsonl"
    write_jsonl([finding("osimertinib", "gefitinib", doc_id="pmid:1", sentence="a"),
                 finding("afatinib", "gefitinib", doc_id="pmid:99", sentence="c")], pred)
    res = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(pred), "--documents", str(docs),
                             "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "1 prediction(s) on 1 document(s) the gold does not cover: not scored" in res.output
    assert "single_drug" in res.output and "sequential" in res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["not scored"] == 1 and len(report["not_scored"]) == 1
    other = tmp_path / "other.jsonl"
    write_jsonl([finding("afatinib", "gefitinib", doc_id="pmid:99")], other)
    res = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(other)])
    assert res.exit_code == 1 and isinstance(res.exception, NoCommonDocumentsError)
    res = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(pred), "--split", "test"])
    assert isinstance(res.exception, MinerError) and "--split must be" in str(res.exception)
