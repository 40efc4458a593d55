"""What a reconciliation label rests on (issue 16, item 3): the gold ids and reason of each finding's status are kept
in the store (old stores gain the columns on open), replaced by every rerun, exported next to ``status`` and shown in
the report; curation read-back ignores them."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from typer.testing import CliRunner

from evaluate_support import TinyLexicon, finding
from miner.corpus.store import MIGRATIONS, SCHEMA_VERSION, CorpusStore
from miner.evaluate.reconcile import reconcile_store
from miner.export import export_findings, read_decisions
from miner.export.curate import validate_decisions
from miner.export.tabular import COLUMNS
from miner.schema import Finding, read_jsonl, validate, write_jsonl

LEX = TinyLexicon()

GOLD = [
    finding("T-DM1", "trastuzumab + pertuzumab", "reduced_efficacy", id="g1"),
    finding("cabazitaxel", "enzalutamide", "no_cross_resistance", id="g2"),
    finding("osimertinib", "gefitinib", "cross_resistance", id="g3", doc_id="text:review_000"),
]
MINED = [
    finding("T-DM1", "pertuzumab", "reduced_efficacy", doc_id="pmid:222"),  # confirmed by g1
    finding("cabazitaxel", "enzalutamide", "cross_resistance", doc_id="pmid:333"),  # conflicts with g2
    finding("afatinib", "gefitinib", "cross_resistance", doc_id="pmid:555"),  # novel
    finding("osimertinib", "gefitinib", "cross_resistance", doc_id="text:review_000"),  # the gold's own review
]
CONFIRMED = "same drug pair and negative effect as gold g1"
CONFLICTING = "drug pair of gold g2 but a negative effect against their neutral one"
NOVEL = "no gold row with this drug pair"


def _store(path, findings=MINED) -> CorpusStore:
    store = CorpusStore(path)
    store.add_findings(findings, {"extractor": "test"})
    return store


def _by_doc(store) -> dict[str, Finding]:
    return {f.doc_id: f for f in store.iter_findings()}


def _csv_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_store_keeps_the_gold_ids_and_reason_of_each_label(tmp_path):
    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, GOLD, lexicon=LEX)
        got = _by_doc(store)
    assert (got["pmid:222"].status, got["pmid:222"].gold_ids, got["pmid:222"].reason) == ("confirmed", ["g1"], CONFIRMED)
    assert (got["pmid:333"].status, got["pmid:333"].gold_ids, got["pmid:333"].reason) == ("conflicting", ["g2"], CONFLICTING)
    assert (got["pmid:555"].status, got["pmid:555"].gold_ids, got["pmid:555"].reason) == ("novel", [], NOVEL)
    review = got["text:review_000"]
    assert review.status == "" and review.gold_ids == [] and "built from" in review.reason
    validate(got["pmid:222"].to_dict())  # the fields are part of the JSON Schema


def test_rerun_replaces_gold_ids_and_reason(tmp_path):
    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, GOLD, lexicon=LEX)
        renamed = [Finding.from_dict({**g.to_dict(), "id": g.id.replace("g", "h")}) for g in GOLD]
        reconcile_store(store, renamed, lexicon=LEX)
        got = _by_doc(store)
        assert got["pmid:222"].gold_ids == ["h1"] and got["pmid:222"].reason.endswith("as gold h1")
        reconcile_store(store, GOLD[2:], lexicon=LEX)  # g1 and g2 gone: nothing rests on them any more
        got = _by_doc(store)
        assert {d: (f.status, f.gold_ids, f.reason) for d, f in got.items() if d.startswith("pmid:")} == {
            "pmid:222": ("novel", [], NOVEL), "pmid:333": ("novel", [], NOVEL), "pmid:555": ("novel", [], NOVEL)}
        store.set_status({got["pmid:222"].id: "confirmed"})  # a label given without what it rests on keeps none
        assert _by_doc(store)["pmid:222"].gold_ids == [] and _by_doc(store)["pmid:222"].reason == ""
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:  # stored once, in the columns
        assert conn.execute("SELECT COUNT(*) FROM findings WHERE gold_ids LIKE '%g1%'").fetchone()[0] == 0


def test_csv_has_gold_ids_and_reason_next_to_status(tmp_path):
    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, [*GOLD, finding("T-DM1", "pertuzumab", "cross_resistance", id="g5")], lexicon=LEX)
        findings, texts = store.findings_with_texts()
    assert COLUMNS[1:4] == ["status", "gold_ids", "reason"]
    out = tmp_path / "f.csv"
    export_findings(findings, texts, "csv", out)
    rows = {r["doc_id"]: r for r in _csv_rows(out)}
    assert list(rows["pmid:222"])[1:4] == ["status", "gold_ids", "reason"]
    assert rows["pmid:222"]["gold_ids"] == "g1;g5"  # joined with ";"
    assert rows["pmid:222"]["reason"] == "same drug pair and negative effect as gold g1, g5"
    assert (rows["pmid:333"]["status"], rows["pmid:333"]["gold_ids"], rows["pmid:333"]["reason"]) == (
        "conflicting", "g2", CONFLICTING)
    assert (rows["pmid:555"]["status"], rows["pmid:555"]["gold_ids"], rows["pmid:555"]["reason"]) == ("novel", "", NOVEL)
    tsv = tmp_path / "f.tsv"
    export_findings(findings, texts, "tsv", tsv)
    header = tsv.read_text(encoding="utf-8").split("\r\n", 1)[0].split("\t")
    assert header[1:4] == ["status", "gold_ids", "reason"]


def test_other_exports_carry_them_where_status_goes(tmp_path):
    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, GOLD, lexicon=LEX)
        findings, texts = store.findings_with_texts()
    texts = {f.doc_id: f"{f.drug} after {f.prior_drug}." for f in findings}
    confirmed = next(f for f in findings if f.doc_id == "pmid:222")

    ls = tmp_path / "ls.json"
    export_findings(findings, texts, "label-studio", ls)
    data = {t["data"]["doc_id"]: t["data"] for t in json.loads(ls.read_text())}
    assert (data["pmid:222"]["status"], data["pmid:222"]["gold_ids"], data["pmid:222"]["reason"]) == (
        "confirmed", "g1", CONFIRMED)

    from bioc import biocjson

    bj = tmp_path / "f.bioc.json"
    export_findings(findings, texts, "bioc-json", bj)
    with bj.open() as fh:
        collection = biocjson.load(fh)
    rel = next(r for d in collection.documents for p in d.passages for r in p.relations if r.id == confirmed.id)
    assert (rel.infons["status"], rel.infons["gold_ids"], rel.infons["reason"]) == ("confirmed", "g1", CONFIRMED)

    jl = tmp_path / "f.jsonl"
    export_findings(findings, texts, "jsonl", jl)
    assert {f.doc_id: f.gold_ids for f in read_jsonl(jl)}["pmid:333"] == ["g2"]

    pq = pytest.importorskip("pyarrow.parquet")
    pt = tmp_path / "f.parquet"
    export_findings(findings, texts, "parquet", pt)
    table = pq.read_table(pt).to_pydict()
    i = table["doc_id"].index("pmid:222")
    assert table["gold_ids"][i] == ["g1"] and table["reason"][i] == CONFIRMED and table["status"][i] == "confirmed"


def _old_store(path, findings) -> None:
    """A store as schema version 1 wrote it: no gold_ids/reason columns, finding JSON without the fields."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO runs (meta, created) VALUES ('{}', '2024-01-01')")
    for f in findings:
        data = {k: v for k, v in f.to_dict().items() if k not in ("gold_ids", "reason")}
        conn.execute("INSERT INTO findings (id, doc_id, run_id, confidence, status, data) VALUES (?, ?, 1, ?, ?, ?)",
                     (f.id, f.doc_id, f.confidence, "novel", json.dumps(data)))
    conn.commit()
    conn.close()


def test_an_old_store_opens_exports_and_reconciles(tmp_path, monkeypatch):
    db = tmp_path / "old.sqlite"
    _old_store(db, MINED)
    with CorpusStore(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        got = _by_doc(store)
        assert got["pmid:222"].status == "novel" and got["pmid:222"].gold_ids == [] and got["pmid:222"].reason == ""
    from miner.cli.main import app

    monkeypatch.setattr("miner.cli.gold.default_lexicon", lambda: LEX)
    runner = CliRunner()
    out = tmp_path / "before.csv"
    res = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {r["doc_id"]: (r["status"], r["gold_ids"], r["reason"]) for r in _csv_rows(out)}["pmid:222"] == ("novel", "", "")
    write_jsonl(GOLD, tmp_path / "gold.jsonl")
    res = runner.invoke(app, ["--db", str(db), "reconcile", "--gold", str(tmp_path / "gold.jsonl")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "after.csv"
    res = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(out), "--status", "confirmed"])
    assert res.exit_code == 0, res.output
    assert [(r["doc_id"], r["gold_ids"], r["reason"]) for r in _csv_rows(out)] == [("pmid:222", "g1", CONFIRMED)]


def test_curation_read_back_ignores_the_new_columns(tmp_path):
    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, GOLD, lexicon=LEX)
        findings, texts = store.findings_with_texts()
    out = tmp_path / "f.csv"
    export_findings(findings, texts, "csv", out)
    rows = _csv_rows(out)
    assert all(set(r) == set(COLUMNS) for r in rows)
    for r in rows:
        r["decision"] = "accepted"
        r["reason"] = "=edited by the curator"  # even a changed reason is no correction
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    raw = read_decisions(out)
    assert len(raw) == len(findings) and all(set(d) == {"finding_id", "decision", "corrected", "curator", "note", "where"}
                                             for d in raw)
    decisions = validate_decisions(raw, {f.id: f for f in findings}, curator="alice")
    assert [d["decision"] for d in decisions] == ["accepted"] * len(findings)
    assert all(not d["corrected"] for d in decisions)


def test_report_shows_reason_and_gold_ids(tmp_path):
    from miner.assemble import assemble_store
    from miner.report import render_report

    with _store(tmp_path / "c.sqlite") as store:
        reconcile_store(store, GOLD, lexicon=LEX)
        page = render_report(assemble_store(store, lexicon=LEX))
    assert f'<span class="lab" title="{CONFIRMED}">confirmed (gold g1)</span>' in page
    assert f'title="{CONFLICTING}">conflicting (gold g2)</span>' in page
    assert f'title="{NOVEL}">novel</span>' in page
