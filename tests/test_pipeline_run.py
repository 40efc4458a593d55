"""`miner run` end to end on a small corpus, and the curation round trip through the CLI."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.corpus.store import CorpusStore
from miner.pipeline import REVIEWS

ABSTRACTS = [
    ("90000001", "Cross-resistance to osimertinib in gefitinib-resistant lung cancer cells.",
     "Gefitinib-resistant PC9 cells were cross-resistant to osimertinib. The resistance was mediated by "
     "KEAP1 mutation. Patients with NSCLC who progressed on gefitinib received osimertinib."),
    ("90000002", "Cabazitaxel after enzalutamide in castration-resistant prostate cancer.",
     "Cabazitaxel retained activity in patients previously treated with enzalutamide, with no "
     "cross-resistance between the two agents."),
    ("90000003", "A study without findings.", "We measured the weather in Rome."),
]


def _pubtator(path: Path) -> Path:
    lines = []
    for pmid, title, abstract in ABSTRACTS:
        lines += [f"{pmid}|t|{title}", f"{pmid}|a|{abstract}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _write_rows(path: Path, rows: list[dict]) -> None:
    """Save the table as a curator's spreadsheet would."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    reviews = base / "seeds"
    reviews.mkdir()
    for name, filename in REVIEWS.items():
        (reviews / filename).write_text(
            "Trastuzumab emtansine (T-DM1) showed reduced efficacy in patients previously treated with "
            "trastuzumab plus pertuzumab.\n\nOsimertinib-resistant cells were cross-resistant to gefitinib.\n",
            encoding="utf-8")
    db, out = base / "c.sqlite", base / "out"
    result = CliRunner().invoke(app, ["--db", str(db), "run", "--from", str(_pubtator(base / "a.pubtator")),
                                      "--reviews", str(reviews), "--out-dir", str(out), "--no-refresh"])
    return base, db, out, result


def test_run_completes_every_stage(run_dir):
    base, db, out, result = run_dir
    assert result.exit_code == 0, result.output
    for stage in ("corpus", "reviews", "extract", "evaluate", "reconcile", "export", "report"):
        assert stage in result.output
    assert "failed" not in result.output
    with CorpusStore(db) as store:
        assert store.count() == 5  # 3 abstracts + 2 review texts
        findings = list(store.iter_findings())
    assert findings, "the extractor found nothing in sentences written to hold findings"
    mined = [f for f in findings if f.doc_id.startswith("pmid:")]
    assert mined and all(f.status in {"confirmed", "novel", "conflicting"} for f in mined)
    for name in ("findings.csv", "label-studio.json", "findings.bioc.xml", "report.html", "evaluation.md"):
        assert (out / name).is_file(), name
    assert (out / "brat" / "annotation.conf").is_file()
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")


def test_run_twice_is_stable(run_dir):
    base, db, out, _ = run_dir
    with CorpusStore(db) as store:
        before = sorted(f.id for f in store.iter_findings())
    result = CliRunner().invoke(app, ["--db", str(db), "run", "--from", str(base / "a.pubtator"),
                                      "--reviews", str(base / "seeds"), "--out-dir", str(out), "--no-refresh"])
    assert result.exit_code == 0, result.output
    with CorpusStore(db) as store:
        assert sorted(f.id for f in store.iter_findings()) == before
        assert store.count() == 5


def test_curation_round_trip(run_dir, tmp_path):
    base, db, out, _ = run_dir
    runner = CliRunner()
    table = tmp_path / "f.csv"
    r = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(table)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(table)])
    assert r.exit_code == 1 and "--force" in str(r.exception)
    rows = list(csv.DictReader(table.open(encoding="utf-8", newline="")))
    assert rows
    rows[0]["decision"] = "accepted"
    rows[0]["curator"] = "alice"
    if len(rows) > 1:
        rows[1]["decision"] = "rejected"
    _write_rows(table, rows)
    r = runner.invoke(app, ["--db", str(db), "curate", "import", str(table)])
    assert r.exit_code == 0, r.output
    with CorpusStore(db) as store:
        decisions = list(store.iter_decisions())
    assert decisions[0]["finding_id"] == rows[0]["finding_id"] and decisions[0]["decision"] == "accepted"
    assert decisions[0]["curator"] == "alice"
    curated = tmp_path / "curated.jsonl"
    r = runner.invoke(app, ["--db", str(db), "curate", "promote", "--out", str(curated)])
    assert r.exit_code == 0, r.output
    promoted = [json.loads(l) for l in curated.read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in promoted] == [rows[0]["finding_id"]] and promoted[0]["source"] == "curated"
    # a file with an unknown id applies nothing
    rows[0]["finding_id"] = "fnot-a-finding"
    _write_rows(table, rows)
    r = runner.invoke(app, ["--db", str(db), "curate", "import", str(table)])
    assert r.exit_code == 1 and "fnot-a-finding" in str(r.exception)
    with CorpusStore(db) as store:
        assert len(list(store.iter_decisions())) == len(decisions)


def test_report_command(run_dir, tmp_path):
    _, db, _, _ = run_dir
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["--db", str(db), "report", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert 'id="network"' in page and "Reconciliation" in page


def test_missing_store_is_a_clear_error(tmp_path):
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "none.sqlite"), "export", "--format", "csv",
                                 "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 1 and "no corpus store" in str(r.exception)
