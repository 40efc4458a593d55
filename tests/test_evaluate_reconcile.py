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
