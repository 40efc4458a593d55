"""End to end: the trained pipeline (miner.nlp.load), the corpus store, `miner extract`, bad input."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from miner.config import REPO_ROOT, SHARED_DIR
from miner.schema import read_jsonl

pytestmark = pytest.mark.slow

DRUG_COMBO = SHARED_DIR / "data" / "drug-combo" / "final_test_set.jsonl.gz"


def _real_abstracts(n: int) -> list[tuple[str, str, str]]:
    """(pmid, title, abstract) of the first ``n`` drug-combo abstracts that talk about resistance."""
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    with gzip.open(DRUG_COMBO, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            para, src = row["paragraph"], row.get("source") or ""
            if "resistan" not in para or "pubmed" not in src or para in seen:
                continue
            seen.add(para)
            title, _, abstract = para.partition(". ")
            out.append((src.rstrip("/").rsplit("/", 1)[-1], title + ".", abstract))
            if len(out) == n:
                break
    return out


def test_trained_pipeline_reads_constructions(nlp):
    from miner.extract import extract_text

    text = (
        "We established gefitinib-resistant PC9 lung cancer cells. "
        "These cells were cross-resistant to osimertinib and erlotinib but remained sensitive to docetaxel.\n\n"
        "Cabazitaxel showed reduced efficacy in patients previously treated with enzalutamide."
    )
    found = extract_text(text, doc_id="text:mini", nlp=nlp)
    got = {(f.drug.lower(), f.prior_drug.lower(), f.effect) for f in found}
    assert ("osimertinib", "gefitinib", "cross_resistance") in got
    assert ("cabazitaxel", "enzalutamide", "reduced_efficacy") in got
    for f in found:
        s, e = f.offsets["drug"]
        assert text[s:e].lower() == f.drug.lower()


def test_store_end_to_end_with_cli(nlp, tmp_path):
    from miner.cli.main import app
    from miner.corpus import CorpusStore, Document

    db = tmp_path / "corpus.sqlite"
    abstracts = _real_abstracts(4)
    assert len(abstracts) == 4
    with CorpusStore(db) as store:
        for pmid, title, abstract in abstracts:
            store.upsert(Document(doc_id=f"pmid:{pmid}", pmid=pmid, title=title, abstract=abstract))
        store.upsert(Document(doc_id="text:empty", title="", abstract=""))
        store.upsert(Document(doc_id="text:plain", abstract="Nothing here names a drug or a gene at all."))
        store.upsert(
            Document(
                doc_id="text:mine",
                title="Cross-resistance in resistant sublines",
                abstract="RESULTS: Paclitaxel-resistant ovarian cancer cells were cross-resistant to docetaxel.",
            )
        )
    out = tmp_path / "f.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(db), "extract", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from_file = list(read_jsonl(out))
    with CorpusStore(db) as store:
        stored = list(store.iter_findings())
        texts = {d.doc_id: d.text for d in store.iter_documents()}
    with sqlite3.connect(db) as conn:  # the store has no public reader for run metadata
        run_meta = json.loads(conn.execute("SELECT meta FROM runs ORDER BY run_id DESC").fetchone()[0])
    assert sorted(f.id for f in stored) == sorted(f.id for f in from_file)
    mine = [f for f in stored if f.doc_id == "text:mine"]
    assert [(f.drug, f.prior_drug, f.effect, f.section) for f in mine] == [
        ("docetaxel", "Paclitaxel", "cross_resistance", "results")
    ]
    for f in stored:
        text = texts[f.doc_id]
        s, e = f.offsets["sentence"]
        assert text[s:e] == f.sentence
    assert run_meta["rules_version"].startswith("grammar-") and run_meta["pipeline"].startswith("miner_core")
    # re-running replaces the findings of the same documents instead of duplicating them
    result = runner.invoke(app, ["--db", str(db), "extract", "--doc-id", "text:mine"])
    assert result.exit_code == 0, result.output
    with CorpusStore(db) as store:
        assert len(list(store.iter_findings())) == len(stored)


def test_cli_text_file(nlp, tmp_path):
    from miner.cli.main import app

    src = tmp_path / "review.txt"
    src.write_text(
        "# Results\n\nErlotinib-resistant cells were hypersensitive to crizotinib.\n\n"
        + "A paragraph without any finding.\n\n" * 20,
        encoding="utf-8",
    )
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(app, ["extract", "--text", str(src), "--out", str(out), "--doc-id", "text:review_x"])
    assert result.exit_code == 0, result.output
    (f,) = list(read_jsonl(out))
    assert (f.doc_id, f.drug, f.effect, f.section) == ("text:review_x", "crizotinib", "collateral_sensitivity", "Results")


def test_five_megabyte_text_is_handled(nlp):
    from miner.extract import extract_text

    para = "Patients were followed for a median of five years in this cohort study of quality of life. " * 40
    text = "\n\n".join([para] * 1400)
    assert len(text) > 5_000_000
    finding = "Gefitinib-resistant cells were cross-resistant to osimertinib."
    text = text + "\n\n" + finding
    found = extract_text(text, doc_id="text:big", nlp=nlp)
    assert [(f.drug, f.prior_drug) for f in found] == [("osimertinib", "Gefitinib")]
    assert text[slice(*found[0].offsets["sentence"])] == finding


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from miner.cli.main import main; main()", *args], capture_output=True, text=True, cwd=cwd or REPO_ROOT
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["extract", "--text", "/nonexistent/file.txt", "--out", "/tmp/x.jsonl"], "no such file"),
        (["extract", "--text", "README.md"], "needs --out"),
        (["--db", "/nonexistent/dir/none.sqlite", "extract"], "no corpus store"),
    ],
)
def test_user_errors_are_one_line(args, message):
    res = _cli(*args)
    assert res.returncode == 1
    assert message in res.stderr and "Traceback" not in res.stderr


def test_binary_text_file_is_a_clean_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00binary")
    res = _cli("extract", "--text", str(bad), "--out", str(tmp_path / "o.jsonl"))
    assert res.returncode == 1 and "not UTF-8" in res.stderr and "Traceback" not in res.stderr
