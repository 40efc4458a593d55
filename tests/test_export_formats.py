"""Structural checks of every curation format, and decisions read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import bioc
import pytest
from bioc import biocjson, biocxml

from miner.errors import MinerError
from miner.export import FORMATS, export_findings, read_decisions
from miner.export.brat import read_brat_decisions
from miner.export.curate import promote, validate_decisions
from miner.export.tabular import neutralize, unneutralize
from miner.schema import Finding

TEXT = (
    "Osimertinib after gefitinib in NSCLC.\n"
    "Gefitinib-resistant cells were cross-resistant to osimertinib through KEAP1 mutation. "
    "Cabazitaxel remained active after enzalutamide."
)


def _span(text: str, needle: str, start: int = 0) -> list[int]:
    i = TEXT.index(needle, start)
    return [i, i + len(needle)]


@pytest.fixture()
def findings() -> list[Finding]:
    s2 = TEXT.index("Gefitinib-resistant")
    s3 = TEXT.index("Cabazitaxel")
    f1 = Finding(drug="osimertinib", prior_drug="Gefitinib", mechanism="KEAP1 mutation",
                 effect="cross_resistance", drug_ids=["DB09330"], prior_drug_ids=["DB00317"],
                 mechanism_genes=["KEAP1"], doc_id="pmid:1", sentence=TEXT[s2:s3 - 1],
                 offsets={"sentence": [s2, s3 - 1], "drug": _span(TEXT, "osimertinib", s2),
                          "prior_drug": _span(TEXT, "Gefitinib", s2),
                          "mechanism": _span(TEXT, "KEAP1 mutation")},
                 rule="test", confidence=0.9, hedged=True)
    f2 = Finding(drug="Cabazitaxel", prior_drug="enzalutamide", effect="no_cross_resistance",
                 doc_id="pmid:1", offsets={"sentence": [s3, len(TEXT)], "drug": _span(TEXT, "Cabazitaxel"),
                                            "prior_drug": _span(TEXT, "enzalutamide")}, rule="test", negated=True)
    f3 = Finding(drug="=HYPERLINK(\"http://x\")", prior_drug="-2+3", mechanism="@SUM(A1)", effect="resistance",
                 doc_id="pmid:2", offsets={}, rule="test")
    return [f1, f2, f3]


TEXTS = {"pmid:1": TEXT, "pmid:2": "Title two.\nNothing here."}


def test_csv_neutralizes_formulas_and_reads_back(tmp_path, findings):
    out = tmp_path / "f.csv"
    assert export_findings(findings, TEXTS, "csv", out) == 3
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows[2]["drug"].startswith("'=") and rows[2]["prior_drug"] == "'-2+3" and rows[2]["mechanism"] == "'@SUM(A1)"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unneutralize(neutralize("=1+1")) == "=1+1" and neutralize("plain") == "plain"
    # a curator fills in decisions
    rows[0]["decision"] = "accept"
    rows[1]["decision"] = "correct"
    rows[1]["corrected_effect"] = "reduced_efficacy"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    raw = read_decisions(out)
    assert [d["finding_id"] for d in raw] == [findings[0].id, findings[1].id]
    ok = validate_decisions(raw, {f.id: f for f in findings}, curator="ann")
    assert ok[0]["decision"] == "accepted" and ok[1]["corrected"] == {"effect": "reduced_efficacy"}
    assert ok[0]["curator"] == "ann"


def test_csv_bom_and_tsv(tmp_path, findings):
    export_findings(findings, TEXTS, "csv", tmp_path / "b.csv", bom=True)
    assert (tmp_path / "b.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    export_findings(findings, TEXTS, "tsv", tmp_path / "t.tsv")
    header = (tmp_path / "t.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t")[0] == "finding_id"


def test_refuses_overwrite_without_force(tmp_path, findings):
    out = tmp_path / "f.jsonl"
    export_findings(findings, TEXTS, "jsonl", out)
    with pytest.raises(MinerError, match="--force"):
        export_findings(findings, TEXTS, "jsonl", out)
    export_findings(findings[:1], TEXTS, "jsonl", out, force=True)
    assert len(out.read_text().splitlines()) == 1


def test_failed_export_leaves_no_file(tmp_path, findings):
    out = tmp_path / "f.csv"
    with pytest.raises(MinerError, match="not in the corpus"):
        export_findings(findings, {}, "label-studio", out)
    assert not out.exists() and not list(tmp_path.glob(".*tmp"))


def test_label_studio_offsets_match_text(tmp_path, findings):
    out = tmp_path / "ls.json"
    assert export_findings(findings, TEXTS, "label-studio", out) == 3
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert (tmp_path / "ls.labeling-config.xml").read_text().startswith("<View>")
    seen_relation = False
    for task in tasks:
        assert set(task) >= {"id", "data", "predictions"} and isinstance(task["data"]["text"], str)
        for result in task["predictions"][0]["result"]:
            if result["type"] == "labels":
                v = result["value"]
                assert task["data"]["text"][v["start"]:v["end"]] == v["text"]
                assert v["labels"][0] in {"Drug", "PriorDrug", "Mechanism"}
            if result["type"] == "relation":
                seen_relation = True
                assert result["labels"] == [task["data"]["effect"]]
    assert seen_relation


def test_label_studio_decisions_round_trip(tmp_path, findings):
    out = tmp_path / "ls.json"
    export_findings(findings, TEXTS, "label-studio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    # what Label Studio's JSON export looks like after review
    result = [r for r in tasks[0]["predictions"][0]["result"] if r["type"] == "labels"]
    for r in result:
        if r["value"]["labels"] == ["Mechanism"]:
            r["value"]["text"] = "KEAP1"
            r["value"]["end"] = r["value"]["start"] + 5
    result.append({"from_name": "decision", "to_name": "text", "type": "choices", "value": {"choices": ["accepted"]}})
    tasks[0]["annotations"] = [{"id": 1, "completed_by": {"email": "cur@example.org"}, "result": result,
                                "updated_at": "2026-01-01T00:00:00Z"}]
    tasks[1]["annotations"] = [{"id": 2, "completed_by": 7, "result": [
        {"from_name": "decision", "to_name": "text", "type": "choices", "value": {"choices": ["rejected"]}}]}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    raw = read_decisions(exported)
    ok = validate_decisions(raw, {f.id: f for f in findings})
    keap1 = findings[0].offsets["mechanism"][0]
    # the corrected span carries its new offsets
    assert ok[0]["decision"] == "corrected"
    assert ok[0]["corrected"] == {"mechanism": "KEAP1", "offsets": {"mechanism": [keap1, keap1 + 5]}}
    assert ok[0]["curator"] == "cur@example.org"
    assert ok[1]["decision"] == "rejected" and ok[1]["curator"] == "7"


def test_brat_offsets_and_conf(tmp_path, findings):
    out = tmp_path / "brat"
    assert export_findings(findings, TEXTS, "brat", out) == 2
    conf = (out / "annotation.conf").read_text()
    assert "[events]" in conf and "Finding\tDrug:Drug" in conf
    txt = (out / "pmid_1.txt").read_text(encoding="utf-8")
    assert txt == TEXT
    ann = (out / "pmid_1.ann").read_text(encoding="utf-8").splitlines()
    tlines = [l for l in ann if l.startswith("T")]
    assert tlines
    for line in tlines:
        tid, info, text = line.split("\t")
        _, start, end = info.split()
        assert txt[int(start):int(end)] == text
    assert any(l.startswith("E1\tFinding:") and "PriorDrug:" in l for l in ann)
    assert any("Effect E1 cross_resistance" in l for l in ann) and any("Hedged E1" in l for l in ann)
    assert any(l.startswith("#1\tAnnotatorNotes E1\tfinding_id=" + findings[0].id) for l in ann)
    # the curator marks event 2 rejected
    with (out / "pmid_1.ann").open("a", encoding="utf-8") as fh:
        fh.write("A99\tDecision E2 rejected\n")
    decisions = read_brat_decisions(out)
    assert [(d["finding_id"], d["decision"]) for d in decisions] == [(findings[1].id, "rejected")]


def test_bioc_xml_and_json_read_back(tmp_path, findings):
    for fmt, loader, name in (("bioc", biocxml.load, "f.xml"), ("bioc-json", biocjson.load, "f.json")):
        out = tmp_path / name
        assert export_findings(findings, TEXTS, fmt, out) == 2
        with out.open(encoding="utf-8") as fh:
            coll = loader(fh)
        assert [d.id for d in coll.documents] == ["pmid:1", "pmid:2"]
        passage = coll.documents[0].passages[0]
        assert passage.text == TEXT
        for ann in passage.annotations:
            loc = ann.total_span
            assert TEXT[loc.offset:loc.end] == ann.text
        rel = {r.id: r for r in passage.relations}[findings[0].id]
        assert rel.infons["effect"] == "cross_resistance"
        assert {n.role for n in rel.nodes} == {"Drug", "PriorDrug", "Mechanism"}
        assert float(rel.infons["confidence"]) == pytest.approx(0.9)


def test_pubtator_offsets(tmp_path, findings):
    out = tmp_path / "f.pubtator"
    export_findings(findings, TEXTS, "pubtator", out)
    blocks = out.read_text(encoding="utf-8").strip().split("\n\n")
    lines = blocks[0].splitlines()
    title = lines[0].split("|t|", 1)[1]
    abstract = lines[1].split("|a|", 1)[1]
    full = title + " " + abstract
    ann = [l.split("\t") for l in lines[2:] if len(l.split("\t")) == 6]
    assert ann
    for pid, start, end, text, typ, ident in ann:
        assert pid == "1" and full[int(start):int(end)] == text
    assert any(l.split("\t")[1] == "cross_resistance" for l in lines[2:] if len(l.split("\t")) == 4)


def test_unknown_ids_and_decisions_apply_nothing(findings):
    raw = [{"finding_id": findings[0].id, "decision": "accepted", "where": "r1"},
           {"finding_id": "fdeadbeef", "decision": "accepted", "where": "r2"},
           {"finding_id": findings[1].id, "decision": "maybe", "where": "r3"}]
    with pytest.raises(MinerError) as exc:
        validate_decisions(raw, {f.id: f for f in findings})
    assert "fdeadbeef" in str(exc.value) and "maybe" in str(exc.value) and "r1" not in str(exc.value)


def test_promote_appends_once(tmp_path, findings):
    fmap = {f.id: f for f in findings}
    ds = validate_decisions([{"finding_id": findings[0].id, "decision": "accepted"},
                             {"finding_id": findings[1].id, "decision": "rejected"}], fmap)
    out = tmp_path / "curated.jsonl"
    assert promote(fmap, ds, out) == 1
    assert promote(fmap, ds, out) == 0
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert rows[0]["id"] == findings[0].id and rows[0]["source"] == "curated"


def test_every_format_is_registered():
    assert {"csv", "tsv", "jsonl", "label-studio", "brat", "bioc", "pubtator"} <= set(FORMATS)
    with pytest.raises(MinerError, match="unknown export format"):
        export_findings([], {}, "docx", Path("x"))
