"""`miner ask` on a small store with the real lexicon: names, brands, abbreviations, classes, unknown drugs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from miner.assemble import assemble_store, ask
from miner.cli.main import app
from miner.corpus.document import Document
from miner.corpus.store import CorpusStore
from miner.errors import MinerError
from miner.schema import Finding

ABSTRACTS = {
    "100": ("Osimertinib after gefitinib.", "Gefitinib-resistant cells were cross-resistant to osimertinib via KEAP1 loss.", 2019),
    "101": ("Afatinib after Iressa.", "Patients who progressed on Iressa had reduced efficacy of afatinib.", 2020),
    "102": ("EGFR-TKIs and osimertinib.", "Tumours resistant to EGFR-TKIs remained sensitive to osimertinib.", 2021),
    "103": ("Cabazitaxel after ARSIs.", "Cabazitaxel retained activity after ARSIs, with no cross-resistance.", 2018),
    "104": ("T-DM1 after trastuzumab.", "T-DM1 was less active in patients pretreated with trastuzumab.", 2017),
}


def _finding(pmid: str, drug: str, prior: str, effect: str, **kw) -> Finding:
    title, abstract, _ = ABSTRACTS[pmid]
    text = title + "\n" + abstract
    start = len(title) + 1
    offsets = {"sentence": [start, len(text)]}
    for role, name in (("drug", drug), ("prior_drug", prior)):
        at = text.find(name, start)
        if at >= 0:
            offsets[role] = [at, at + len(name)]
    return Finding(drug=drug, prior_drug=prior, effect=effect, doc_id=f"pmid:{pmid}", sentence=abstract,
                   offsets=offsets, rule="test_rule", confidence=0.8, **kw)


FINDINGS = [
    _finding("100", "osimertinib", "Gefitinib", "cross_resistance", mechanism="KEAP1 loss", mechanism_genes=["KEAP1"],
             evidence_level="in_vitro"),
    _finding("101", "afatinib", "Iressa", "reduced_efficacy", evidence_level="clinical"),
    _finding("102", "osimertinib", "EGFR-TKIs", "no_cross_resistance", evidence_level="clinical"),
    _finding("103", "Cabazitaxel", "ARSIs", "no_cross_resistance", evidence_level="clinical"),
    _finding("104", "T-DM1", "trastuzumab", "reduced_efficacy", evidence_level="clinical"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ask") / "c.sqlite"
    with CorpusStore(path) as store:
        with store.transaction():
            for pmid, (title, abstract, year) in ABSTRACTS.items():
                store.upsert(Document(doc_id=f"pmid:{pmid}", pmid=pmid, title=title, abstract=abstract, pub_year=year))
        store.add_findings(FINDINGS, {"rules": "test"})
    return path


@pytest.fixture(scope="module")
def gold(tmp_path_factory) -> Path:
    row = Finding(drug="osimertinib", prior_drug="gefitinib", effect="cross_resistance", id="g001-0042",
                  source="gold", doc_id="text:review_001", drug_ids=["DB09330"], prior_drug_ids=["DB00317"])
    path = tmp_path_factory.mktemp("gold") / "review_001.jsonl"
    path.write_text(json.dumps(row.to_dict()) + "\n", encoding="utf-8")
    return path


def run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "ask", *args])


def test_after_a_brand_name_lists_what_follows_best_supported_first(db, gold):
    r = run(db, "--after", "Iressa", "--gold", str(gold))
    assert r.exit_code == 0, r.output
    out = r.output
    assert "What follows gefitinib (gefitinib = DB00317)" in out
    # both drugs asked about by brand and by name, then the class-level statement about EGFR TKIs
    afatinib, osimertinib = out.index("1. gefitinib \u2192 afatinib"), out.index("gefitinib \u2192 osimertinib")
    klass = out.index("EGFR tyrosine kinase inhibitor \u2192 osimertinib")
    assert afatinib < osimertinib < klass
    assert "reduced efficacy, belief 0.72" in out  # 0.9 x 0.8 (confidence) x 1.0 (clinical)
    assert "mechanism: KEAP1 loss (genes KEAP1)" in out and "[prior via class]" in out
    assert "PMID 100 (2019), in vitro, test_rule 0.80" in out and "cross-resistant to osimertinib via KEAP1 loss" in out
    assert "gold set agrees: g001-0042" in out


def test_one_pair_as_json(db):
    r = run(db, "--after", "gefitinib", "--drug", "osimertinib", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["after"]["ids"] == ["DB00317"] and data["drug"]["ids"] == ["DB09330"]
    pairs = [(s["prior"], s["agent"], s["effect"], s["match_prior"]) for s in data["statements"]]
    assert pairs == [("gefitinib", "osimertinib", "cross_resistance", "exact"),
                     ("EGFR tyrosine kinase inhibitor", "osimertinib", "no_cross_resistance", "via class")]
    evidence = data["statements"][0]["evidence_sentences"]
    assert [e["pmid"] for e in evidence] == ["100"] and evidence[0]["year"] == 2019
    assert data["statements"][0]["genes"] == ["KEAP1"]


def test_a_class_includes_its_member_drugs(db):
    r = run(db, "--after", "EGFR TKIs", "--json")
    assert r.exit_code == 0, r.output
    rows = {(s["prior"], s["agent"]): s["match_prior"] for s in json.loads(r.output)["statements"]}
    assert rows == {("EGFR tyrosine kinase inhibitor", "osimertinib"): "exact",
                    ("gefitinib", "osimertinib"): "class member", ("gefitinib", "afatinib"): "class member"}


def test_drug_alone_and_abbreviations(db):
    r = run(db, "--drug", "cabazitaxel")
    assert r.exit_code == 0, r.output
    assert "What reduces the efficacy of cabazitaxel" in r.output
    assert "androgen receptor signaling inhibitor \u2192 cabazitaxel: no cross-resistance" in r.output
    r = run(db, "--drug", "T-DM1", "--after", "Herceptin")
    assert r.exit_code == 0, r.output
    assert "trastuzumab \u2192 trastuzumab emtansine: reduced efficacy" in r.output
    r = run(db, "--after", "enzalutamide", "--json")  # a member of the ARSI class
    assert [s["match_prior"] for s in json.loads(r.output)["statements"]] == ["via class"]


def test_nothing_in_the_corpus_is_said_plainly(db):
    r = run(db, "--after", "imatinib")
    assert r.exit_code == 0, r.output
    assert "no evidence in the corpus for what follows imatinib." in r.output


def test_unknown_drug_and_missing_question_are_clear_errors(db):
    r = run(db, "--after", "notadrugzzz")
    assert r.exit_code == 1 and isinstance(r.exception, MinerError)
    assert "'notadrugzzz' is not a drug, regimen or drug class the lexicon knows" in str(r.exception)
    r = run(db)
    assert r.exit_code == 1 and "--after X" in str(r.exception)


def test_damaged_gold_warns_and_still_answers(db, tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    r = run(db, "--after", "gefitinib", "--gold", str(bad))
    assert r.exit_code == 0 and "gefitinib \u2192 osimertinib" in r.output


def test_python_api_returns_dataframes(db):
    with CorpusStore(db) as store:
        assembly = assemble_store(store)
    answer = ask(assembly, after="gefitinib")
    assert isinstance(answer.frame, pd.DataFrame) and isinstance(answer.evidence, pd.DataFrame)
    assert list(answer.frame["agent"]) == ["afatinib", "osimertinib", "osimertinib"]
    assert set(answer.evidence["pmid"]) == {"100", "101", "102"}
    with pytest.raises(MinerError):
        ask(assembly)
