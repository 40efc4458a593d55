"""Reconciliation labels (confirmed / novel / conflicting), gold support, and writing labels back."""

from typer.testing import CliRunner

from evaluate_support import TinyLexicon, finding
from miner.evaluate import reconcile
from miner.schema import read_jsonl, write_jsonl

LEX = TinyLexicon()

GOLD = [
    finding("T-DM1", "trastuzumab + pertuzumab", "reduced_efficacy", id="g1",
            references=[{"number": 5, "pmid": "111"}]),
    finding("cabazitaxel", "enzalutamide", "no_cross_resistance", id="g2"),
    finding("osimertinib", "gefitinib", "cross_resistance", id="g3"),
]
MINED = [
    finding("Kadcyla", "trastuzumab", "cross_resistance", doc_id="pmid:111"),  # confirmed (same polarity)
    finding("T-DM1", "pertuzumab", "reduced_efficacy", doc_id="pmid:222"),  # confirmed
    finding("cabazitaxel", "enzalutamide", "cross_resistance", doc_id="pmid:333"),  # conflicting
    finding("docetaxel", "enzalutamide", "no_cross_resistance", doc_id="pmid:444"),  # novel: sibling drug
    finding("afatinib", "gefitinib", "cross_resistance", doc_id="pmid:555"),  # novel: no such pair
]


def test_labels():
    r = reconcile(GOLD, MINED, lexicon=LEX)
    assert list(r.labels.label) == ["confirmed", "confirmed", "conflicting", "novel", "novel"]
    assert r.labels.gold_ids.iloc[0] == ["g1"] and r.labels.gold_ids.iloc[2] == ["g2"]
    assert r.counts() == {"confirmed": 2, "conflicting": 1, "novel": 2}
    assert [f.status for f in r.findings] == list(r.labels.label)


def test_gold_support_lists_pmids_and_cited_references():
    r = reconcile(GOLD, MINED, lexicon=LEX).support.set_index("gold_id")
    assert r.loc["g1", "pmids"] == ["111", "222"] and r.loc["g1", "confirmed_by"] == 2
    assert bool(r.loc["g1", "cited_pmid_confirms"]) is True  # PMID 111 is the reference cited for g1
    assert r.loc["g2", "pmids"] == [] and r.loc["g2", "conflicting_pmids"] == ["333"]
    assert r.loc["g3", "confirmed_by"] == 0


def test_many_findings_confirm_one_gold_row():
    mined = [finding("osimertinib", "gefitinib", doc_id=f"pmid:{i}") for i in range(3)]
    r = reconcile(GOLD, mined, lexicon=LEX)
    assert set(r.labels.label) == {"confirmed"}


def _cli(monkeypatch, args):
    from miner.cli.main import app

    monkeypatch.setattr("miner.cli.gold.default_lexicon", lambda: LEX)
    return CliRunner().invoke(app, args)


def test_cli_reconcile_file_writes_labels(tmp_path, monkeypatch):
    write_jsonl(GOLD, tmp_path / "gold.jsonl")
    write_jsonl(MINED, tmp_path / "mined.jsonl")
    out = tmp_path / "labelled.jsonl"
    res = _cli(monkeypatch, ["reconcile", "--gold", str(tmp_path / "gold.jsonl"), "--pred", str(tmp_path / "mined.jsonl"),
                             "--out", str(out), "--report", str(tmp_path / "rec.json")])
    assert res.exit_code == 0, res.output
    assert [f.status for f in read_jsonl(out)] == ["confirmed", "confirmed", "conflicting", "novel", "novel"]
    assert (tmp_path / "rec.json").is_file()


def test_cli_reconcile_store_writes_status(tmp_path, monkeypatch):
    from miner.corpus.store import CorpusStore

    db = tmp_path / "corpus.sqlite"
    with CorpusStore(db) as store:
        store.add_findings(MINED, {"extractor": "test"})
    write_jsonl(GOLD, tmp_path / "gold.jsonl")
    res = _cli(monkeypatch, ["--db", str(db), "reconcile", "--gold", str(tmp_path / "gold.jsonl")])
    assert res.exit_code == 0, res.output
    with CorpusStore(db) as store:
        status = {f.doc_id: f.status for f in store.iter_findings()}
        confirmed = [f.doc_id for f in store.iter_findings(status="confirmed")]
    assert status == {"pmid:111": "confirmed", "pmid:222": "confirmed", "pmid:333": "conflicting",
                      "pmid:444": "novel", "pmid:555": "novel"}
    assert confirmed == ["pmid:111", "pmid:222"]


def test_cli_reconcile_without_store_is_a_clean_error(tmp_path, monkeypatch):
    write_jsonl(GOLD, tmp_path / "gold.jsonl")
    res = _cli(monkeypatch, ["--db", str(tmp_path / "none.sqlite"), "reconcile", "--gold", str(tmp_path / "gold.jsonl")])
    assert res.exit_code != 0 and "no corpus store" in str(res.exception)


def test_labels_carry_gold_ids_and_a_reason():
    r = reconcile(GOLD, MINED, lexicon=LEX).labels
    assert list(r.columns[-2:]) == ["gold_ids", "reason"]
    assert r.reason.iloc[0] == "same drug pair and negative effect as gold g1"
    assert r.reason.iloc[2] == "drug pair of gold g2 but a negative effect against their neutral one"
    assert r.reason.iloc[3] == "no gold row with this drug pair" and r.gold_ids.iloc[3] == []


def test_the_gold_documents_are_never_evidence_for_it():
    mined = [
        finding("osimertinib", "gefitinib", doc_id="text:review_000"),  # the review the gold rows come from
        finding("osimertinib", "gefitinib", doc_id="text:000_21accde04c05f8fa"),  # the same review under another id
        finding("osimertinib", "gefitinib", doc_id="pmid:9"),
    ]
    r = reconcile(GOLD, mined, lexicon=LEX)
    assert list(r.labels.doc_id) == ["pmid:9"] and r.counts() == {"confirmed": 1}
    assert list(r.excluded.doc_id) == ["text:review_000", "text:000_21accde04c05f8fa"]
    assert "built from" in r.excluded.reason.iloc[0]
    assert [f.status for f in r.findings] == ["", "", "confirmed"]
    support = r.support.set_index("gold_id")
    assert support.loc["g3", "pmids"] == ["9"]  # the review does not support itself


CLASS_GOLD = [
    finding("taxanes", "enzalutamide", "cross_resistance", id="c1", mechanism="ABCB1 overexpression",
            mechanism_genes=["ABCB1"], mechanism_type="efflux_transporter"),
    finding("EGFR-TKIs", "", "resistance", id="c2", kind="acquired"),
]


def test_a_class_row_counts_for_a_drug_only_when_the_mechanism_agrees():
    mined = [
        finding("docetaxel", "enzalutamide", "cross_resistance", doc_id="pmid:1", mechanism="P-gp", mechanism_genes=["ABCB1"],
                mechanism_type="efflux_transporter"),  # same mechanism: confirms the class row
        finding("docetaxel", "enzalutamide", "no_cross_resistance", doc_id="pmid:2", mechanism="AR-V7",
                mechanism_genes=["AR"]),  # another mechanism: neither confirms nor contradicts
        finding("docetaxel", "enzalutamide", "no_cross_resistance", doc_id="pmid:3"),  # no mechanism vs one: novel
        finding("taxanes", "enzalutamide", "no_cross_resistance", doc_id="pmid:4", mechanism="AR-V7"),  # the class itself
        finding("osimertinib", "", "resistance", doc_id="pmid:5"),  # neither names a mechanism: confirms
        finding("osimertinib", "", "resistance", doc_id="pmid:6", mechanism="C797S", mechanism_genes=["EGFR"]),
    ]
    r = reconcile(CLASS_GOLD, mined, lexicon=LEX).labels
    assert list(r.label) == ["confirmed", "novel", "novel", "conflicting", "confirmed", "novel"]
    assert r.reason.iloc[0].endswith("(a class-level row counts: same mechanism)")
    assert r.reason.iloc[1] == "only class-level gold rows (c1) cover this pair, with another mechanism"
    assert list(r.gold_ids) == [["c1"], [], [], ["c1"], ["c2"], []]


def test_cli_reconcile_store_leaves_the_reviews_unlabelled(tmp_path, monkeypatch):
    from miner.corpus.store import CorpusStore

    db = tmp_path / "corpus.sqlite"
    review_finding = finding("osimertinib", "gefitinib", doc_id="text:review_000", status="confirmed")
    with CorpusStore(db) as store:
        store.add_findings([*MINED, review_finding], {"extractor": "test"})
        store.set_status({review_finding.id: "confirmed"})  # as an older reconcile labelled it
    write_jsonl(GOLD, tmp_path / "gold.jsonl")
    res = _cli(monkeypatch, ["--db", str(db), "reconcile", "--gold", str(tmp_path / "gold.jsonl"),
                             "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "1 finding(s) from the documents the gold set was built from (text:review_000)" in res.output
    with CorpusStore(db) as store:
        status = {f.doc_id: f.status for f in store.iter_findings()}
    assert status["text:review_000"] == "" and status["pmid:111"] == "confirmed"
    import json

    report = json.loads((tmp_path / "r.json").read_text())
    assert report["labels"][0]["reason"].startswith("same drug pair") and len(report["excluded"]) == 1
