"""CIViC labelled examples: labelling rules, decisions, paper-level split, the loader, scoring against it."""

import gzip
import json

import pytest

from evaluate_support import TinyLexicon, finding
from miner.errors import InputFileError, MinerError
from miner.evaluate import evaluate
from miner.evaluate.civic import (
    build_labels,
    civic_items,
    fusion_kinase,
    label_item,
    load_civic,
    load_decisions,
    profile_genes,
    split_of,
    therapy_names,
    write_labels,
)

LEX = TinyLexicon()


def record(eid, text, therapies, significance="Resistance", profile="EGFR T790M", pmid="100", **kw):
    rec = {"evidence_id": eid, "pmid": pmid, "text": text, "evidence_type": "Predictive", "evidence_direction": "Supports",
           "significance": significance, "therapies": therapies, "therapy_interaction_type": "", "molecular_profile": profile,
           "disease": "Lung Non-small Cell Carcinoma"}
    rec.update(kw)
    return rec


RECORDS = [
    record(1, "EGFR T790M confers resistance to gefitinib. Osimertinib was active.", ["Gefitinib"]),
    record(2, "FOLFOX plus afatinib failed in KRAS-mutant tumours.", ["Oxaliplatin", "Afatinib"],
           profile="KRAS G12D", therapy_interaction_type="Combination"),
    record(3, "Tumours with EGFR L858R responded to gefitinib or afatinib.", ["Gefitinib", "Afatinib"],
           significance="Sensitivity/Response", profile="EGFR L858R", therapy_interaction_type="Substitutes"),
    record(4, "T790M tumours resistant to gefitinib responded to osimertinib.", ["Osimertinib"],
           significance="Sensitivity/Response", pmid="200"),
    record(5, "Patients progressed on chemotherapy before docetaxel.", ["Docetaxel"], significance="Sensitivity/Response", pmid="200"),
    record(6, "Progression-free survival was longer with osimertinib.", ["Osimertinib"], significance="Sensitivity/Response"),
    record(7, "No resistance was seen.", ["Gefitinib"], evidence_direction="Does Not Support"),
    record(8, "Not this variant.", ["Gefitinib"], profile="NOT KIT D816V"),
    record(9, "Radiation failed.", ["Radiation Therapy"]),
    record(10, "Cells were resistant to the drug.", ["HER2 Inhibitor CP-724", "714"], profile="ABL1 BCR::ABL1 AND ABL1 T315I"),
    record(11, "Prognostic only.", [], evidence_type="Prognostic", significance="Poor Outcome"),
    record(12, "Resistance words are being read.", ["Afatinib"], significance="Sensitivity/Response"),
    record(13, "L858R tumours responded to gefitinib; afatinib-resistant L858R cells were seen.", ["Gefitinib", "Afatinib"],
           significance="Sensitivity/Response", profile="EGFR L858R"),
]
DECISIONS = [
    {"evidence_id": 1, "decision": "resistance", "reason": "also states erlotinib resistance",
     "findings": [{"therapies": ["erlotinib"], "genes": ["EGFR"], "mechanism": "T790M"}]},
    {"evidence_id": 4, "decision": "resistance", "reason": "states resistance of T790M tumours to gefitinib",
     "findings": [{"therapies": ["gefitinib"], "genes": ["EGFR"], "mechanism": "T790M"}]},
    {"evidence_id": 5, "decision": "exclude", "reason": "progression on unnamed chemotherapy; unclear"},
    {"evidence_id": 13, "decision": "resistance", "reason": "afatinib-resistant L858R cells",
     "findings": [{"therapies": ["afatinib"], "genes": ["EGFR"], "mechanism": "L858R"}]},
]


@pytest.fixture
def civic(tmp_path):
    path = tmp_path / "civic.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in RECORDS)
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("".join(json.dumps(d) + "\n" for d in DECISIONS), encoding="utf-8")
    labels, left_out = build_labels(path, decisions)
    labels_file = write_labels(labels, tmp_path / "labels.jsonl")
    return path, decisions, labels_file, labels, left_out


def test_genes_fusions_and_therapy_names():
    assert profile_genes("ABL1 BCR::ABL1 AND ABL1 T315I") == ["ABL1"]
    assert profile_genes("BRAF V600E OR NRAS Mutation") == ["BRAF", "NRAS"]
    assert profile_genes("BCR::ABL1 Fusion") == ["ABL1"] and fusion_kinase("CD74::ROS1") == "ROS1"
    assert fusion_kinase("FGFR2::BICC1") == "FGFR2" and fusion_kinase("KRAS") == "KRAS"
    assert therapy_names(["HER2 Inhibitor CP-724", "714", "Gefitinib"]) == ["HER2 Inhibitor CP-724,714", "Gefitinib"]


def test_labelling_rules(civic):
    _, _, _, labels, left_out = civic
    by_id = {row["evidence_id"]: row for row in labels}
    assert sorted(by_id) == [1, 2, 3, 4, 6, 10, 13]
    assert by_id[13]["negatives"] == ["Gefitinib"]  # a therapy with a decided resistance finding is no negative
    assert by_id[1]["label"] == "resistance" and by_id[1]["findings"] == [
        {"therapies": ["Gefitinib"], "genes": ["EGFR"], "mechanism": "EGFR T790M", "basis": "significance"},
        {"therapies": ["erlotinib"], "genes": ["EGFR"], "mechanism": "T790M", "basis": "decision"}]  # a decision adds to a Resistance item
    assert [f["therapies"] for f in by_id[2]["findings"]] == [["Oxaliplatin", "Afatinib"]]  # a combination is one regimen
    assert by_id[3]["label"] == "no_resistance" and by_id[3]["negatives"] == ["Gefitinib", "Afatinib"]
    assert by_id[4]["label"] == "resistance" and by_id[4]["negatives"] == ["Osimertinib"]
    assert [f["basis"] for f in by_id[4]["findings"]] == ["decision"]
    assert by_id[6]["label"] == "no_resistance"  # survival end point only: negative by rule
    assert by_id[10]["findings"][0] == {"therapies": ["HER2 Inhibitor CP-724,714"], "genes": ["ABL1"],
                                        "mechanism": "ABL1 BCR::ABL1 AND ABL1 T315I", "basis": "significance"}
    assert left_out == {"does not support": 1, "negated molecular profile": 1, "no named therapy": 1, "not predictive": 1,
                        "excluded by decision": 1, "to read": 1}
    assert "text" not in json.dumps(labels)  # statements are never copied into the labels


def test_split_is_by_paper_and_deterministic(civic):
    _, _, _, labels, _ = civic
    for row in labels:
        assert row["split"] == split_of(row["pmid"])
    assert {row["split"] for row in labels if row["pmid"] == "200"} == {split_of("200")}
    shares = [split_of(str(p)) for p in range(3000)]
    assert 0.28 < shares.count("dev") / len(shares) < 0.39


def test_loader_builds_documents_and_gold_rows(civic):
    path, _, labels_file, _, _ = civic
    docs, gold, covered = load_civic("all", civic_file=path, labels_file=labels_file, lexicon=LEX)
    assert [d.doc_id for d in docs] == ["civic:1", "civic:2", "civic:3", "civic:4", "civic:6", "civic:10", "civic:13"]
    assert covered == frozenset(d.doc_id for d in docs)
    assert docs[0].text == RECORDS[0]["text"]
    rows = {g.id: g for g in gold}
    assert sorted(rows) == ["c1-01", "c1-02", "c10-01", "c13-01", "c2-01", "c4-01"]
    g1 = rows["c1-01"]
    assert (g1.drug, g1.drug_ids, g1.effect, g1.mechanism_genes, g1.doc_id) == ("gefitinib", ["D_GEF"], "resistance", ["EGFR"], "civic:1")
    assert docs[0].text[slice(*g1.offsets["drug"])] == "gefitinib"
    assert g1.evidence_quote == "EGFR T790M confers resistance to gefitinib." and g1.source == "gold" and g1.kind != "sequential"
    g2 = rows["c2-01"]
    assert g2.drug == "Oxaliplatin + Afatinib" and g2.drug_ids == ["D_OX", "D_AFA"] and "drug" not in g2.offsets
    assert rows["c4-01"].mechanism == "T790M" and "decisions.jsonl" in rows["c4-01"].note
    by_split = {s: load_civic(s, civic_file=path, labels_file=labels_file, lexicon=LEX)[0] for s in ("train", "dev")}
    assert sorted(d.doc_id for s in by_split.values() for d in s) == sorted(d.doc_id for d in docs)
    items = civic_items("all", civic_file=path, labels_file=labels_file, lexicon=LEX)
    assert items[2].negatives == ("Gefitinib", "Afatinib") and items[2].gold == ()
    with pytest.raises(MinerError, match="split must be"):
        load_civic("test", civic_file=path, labels_file=labels_file, lexicon=LEX)


def test_scoring_against_civic_gold_with_negatives(civic):
    path, _, labels_file, _, _ = civic
    docs, gold, covered = load_civic("all", civic_file=path, labels_file=labels_file, lexicon=LEX)
    pred = [
        finding("gefitinib", "", "resistance", doc_id="civic:1", mechanism="T790M", mechanism_genes=["EGFR"], sentence="a"),  # tp, gene right
        finding("osimertinib", "", "resistance", doc_id="civic:1", sentence="b"),  # fp (not labelled)
        finding("erlotinib", "", "resistance", doc_id="civic:1", sentence="b2"),  # tp (the decision's row)
        finding("afatinib", "", "resistance", doc_id="civic:2", sentence="c"),  # partial member of the regimen: tp at pair level
        finding("gefitinib", "", "resistance", doc_id="civic:3", sentence="d"),  # fp on a negative example
        finding("gefitinib", "", "resistance", doc_id="civic:4", mechanism="MET", sentence="e"),  # tp, wrong gene
        finding("gefitinib", "", "resistance", doc_id="civic:99", sentence="f"),  # not covered: not scored
    ]
    r = evaluate(gold, pred, lexicon=LEX, documents=covered)
    s = r.score("pair+effect", slice="single_drug")
    assert (s["tp"], s["fp"], s["fn"], r.n_not_scored) == (4, 2, 2, 1)
    full = r.score("full", slice="single_drug")
    assert (full["tp"], full["fp"]) == (1, 5)


def test_decisions_file_errors(tmp_path):
    path = tmp_path / "decisions.jsonl"
    assert load_decisions(tmp_path / "none.jsonl") == {}
    for line, message in [
        ('{"evidence_id": 1, "decision": "maybe", "reason": "x"}', "decision"),
        ('{"evidence_id": 1, "decision": "no_resistance"}', "reason"),
        ('{"evidence_id": 1, "decision": "resistance", "reason": "x"}', "lists its findings"),
        ('{"evidence_id": 1, "decision": "resistance", "reason": "x", "findings": [{"genes": []}]}', "each finding"),
        ('{"evidence_id": 1, "decision": "exclude", "reason": "x"}\n{"evidence_id": 1, "decision": "exclude", "reason": "y"}',
         "decided twice"),
    ]:
        path.write_text(line + "\n")
        with pytest.raises(InputFileError, match=message):
            load_decisions(path)


def test_a_decision_cannot_turn_a_resistance_item_negative(tmp_path):
    decisions = tmp_path / "d.jsonl"
    decisions.write_text(json.dumps({"evidence_id": 1, "decision": "no_resistance", "reason": "x"}) + "\n")
    assert load_decisions(decisions)[1].decision == "no_resistance"
    with pytest.raises(MinerError, match="can only add findings"):
        label_item(RECORDS[0], load_decisions(decisions)[1])


def test_label_item_reasons():
    assert label_item(record(1, "x", ["Gefitinib"], significance="Adverse Response"), None) == (None, "significance Adverse Response")
    line, why = label_item(record(1, "x", ["Gefitinib", "Chemotherapy"], therapy_interaction_type="Combination"), None)
    assert why == "" and line["findings"][0]["therapies"] == ["Gefitinib"]  # generic therapy dropped from the regimen


def test_committed_labels_are_current():
    """annotations/civic/labels.jsonl is what the builder makes from the CIViC file and the decisions."""
    from miner.evaluate.civic import CIVIC_FILE, LABELS_FILE

    if not CIVIC_FILE.is_file():
        pytest.skip("../shared/data/civic not available")
    labels, _ = build_labels()
    committed = [json.loads(line) for line in LABELS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert committed == labels, "run: python -m miner.evaluate.civic build"
