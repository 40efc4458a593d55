"""`miner gold check|link|dois` on small hand-made gold sets, plus the real reviews and gold files."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from evaluate_support import TinyLexicon, write_rows
from miner.config import SHARED_DIR
from miner.errors import InputFileError, MinerError
from miner.evaluate import check, cited_dois, link
from miner.evaluate.gold import normalize_doi
from miner.evaluate.sources import DEFAULT_GOLD_DIR

LEX = TinyLexicon()
TEXT = (
    "Intro line.\n"
    "T-DM1 showed reduced efficacy after trastuzumab plus pertuzumab owing to HER2 loss (12).\n"
    "Gefitinib-resistant cells were cross-resistant to osimertinib (13).\n"
)


def gold_row(quote, drug, prior, effect="cross_resistance", n=1, **kw):
    start = TEXT.find(quote)
    row = {"id": f"g000-{n:04d}", "drug": drug, "prior_drug": prior, "effect": effect, "evidence_quote": quote,
           "offsets": {"evidence_quote": [start, start + len(quote)]}, "source": "gold", "doc_id": "text:review_000",
           "kind": "sequential" if prior else "acquired"}
    row.update(kw)
    return row


@pytest.fixture
def dirs(tmp_path):
    reviews = tmp_path / "seeds"
    reviews.mkdir()
    (reviews / "000_abc.txt").write_text(TEXT, encoding="utf-8")
    return tmp_path, reviews


def good_rows():
    return [
        gold_row("T-DM1 showed reduced efficacy after trastuzumab plus pertuzumab", "T-DM1", "trastuzumab plus pertuzumab",
                 "reduced_efficacy", 1, drug_ids=["D_TDM1"], prior_drug_ids=["D_TRAS", "D_PERT"],
                 refs=["12"], references=[{"number": 12, "doi": "https://doi.org/10.1000/ABC.12"}]),
        gold_row("Gefitinib-resistant cells were cross-resistant to osimertinib", "osimertinib", "Gefitinib", n=2,
                 drug_ids=["D_OSI"], prior_drug_ids=["D_GEF"], refs=["13"], references=[{"number": 13, "doi": ""}]),
    ]


def reasons(report):
    return [p.reason for p in report.errors]


def test_valid_rows_pass(dirs):
    tmp, reviews = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", good_rows())
    report = check(gold.parent, reviews, LEX)
    assert report.rows == 2 and report.errors == [] and report.warnings == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: r["offsets"].update(evidence_quote=[0, 10]), "evidence_quote is not at offsets [0, 10]"),
        (lambda r: r.update(effect="works_great"), "schema: effect"),
        (lambda r: r.update(drug_ids=["DB99999"]), "unknown id 'DB99999'"),
        (lambda r: r.update(prior_drug_ids=["regimen:folfox", "D_OX"]), "regimen:folfox already covers D_OX"),
        (lambda r: r.update(drug_ids=[]), "drug_ids empty but the lexicon resolves 'T-DM1'"),
        (lambda r: r.update(evidence_quote="T-DM1 showed REDUCED efficacy"), "evidence_quote is not at offsets"),
        (lambda r: r.pop("id"), "'id' is a required property"),
        (lambda r: r.update(doc_id="pmid:1"), "names no review"),
        (lambda r: r.update(refs=["12", "99"]), "refs ['99'] not resolved"),
        (lambda r: r.update(prior_drug="", prior_drug_ids=["D_TRAS"]), "prior_drug_ids set but prior_drug is empty"),
        (lambda r: r.update(kind="acquired"), "expected 'sequential'"),
        (lambda r: r.update(mechanism_genes=["HER2"]), "write the symbol 'ERBB2'"),
    ],
)
def test_broken_rows_are_reported_with_reason(dirs, change, expected):
    tmp, reviews = dirs
    rows = good_rows()
    change(rows[0])
    gold = write_rows(tmp / "gold" / "review_000.jsonl", rows)
    report = check(gold, reviews, LEX)
    assert any(expected in r for r in reasons(report)), reasons(report)
    assert {p.where for p in report.errors} == {"review_000.jsonl:1"}


def test_duplicates_bad_json_and_unknown_names(dirs):
    tmp, reviews = dirs
    rows = good_rows()
    dup = dict(rows[1], id="g000-0003")
    unknown = dict(rows[1], id="g000-0004", drug="savolitinib", drug_ids=[])
    gold = tmp / "gold" / "review_000.jsonl"
    write_rows(gold, [*rows, dup, unknown])
    with gold.open("a") as fh:
        fh.write("{not json\n")
    report = check(gold, reviews, LEX)
    assert any("duplicate of the row at review_000.jsonl:2" in p.reason for p in report.errors if p.where.endswith(":3"))
    assert any(p.where.endswith(":5") and "invalid JSON" in p.reason for p in report.errors)
    # a name the lexicon does not know is a warning, not a failure
    assert [p.where for p in report.warnings] == ["review_000.jsonl:4"]
    assert report.failing_rows == 2


def test_link_fills_ids_idempotently_and_reports_unknown(dirs):
    tmp, _ = dirs
    rows = [dict(r, drug_ids=[], prior_drug_ids=[]) for r in good_rows()]
    rows.append(dict(rows[1], drug="taxanes", prior_drug="osimertinib and savolitinib"))
    gold = write_rows(tmp / "gold" / "review_000.jsonl", rows)
    report = link(gold.parent, LEX)
    linked = [json.loads(line) for line in gold.read_text().splitlines()]
    assert linked[0]["drug_ids"] == ["D_TDM1"] and linked[0]["prior_drug_ids"] == ["D_TRAS", "D_PERT"]
    assert linked[1]["prior_drug_ids"] == ["D_GEF"]
    assert linked[2]["drug_ids"] == ["class:taxane"] and linked[2]["prior_drug_ids"] == []
    assert report.unknown == [("review_000.jsonl:3", "prior_drug", "osimertinib and savolitinib")]
    assert list(linked[0]) == list(rows[0])  # other fields and key order untouched
    before = gold.read_bytes()
    again = link(gold.parent, LEX)
    assert gold.read_bytes() == before and again.files_changed == [] and again.filled == 0


def test_link_refuses_to_overwrite_a_concurrent_edit(dirs, monkeypatch):
    tmp, _ = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", [dict(r, drug_ids=[]) for r in good_rows()])
    import miner.evaluate.gold as gold_mod

    real = gold_mod.resolve_name

    def editing(name, lexicon):
        with gold.open("a") as fh:  # an annotator appends a row meanwhile
            fh.write(json.dumps(good_rows()[1]) + "\n")
        monkeypatch.setattr(gold_mod, "resolve_name", real)
        return real(name, lexicon)

    monkeypatch.setattr(gold_mod, "resolve_name", editing)
    with pytest.raises(MinerError, match="changed while linking"):
        link(gold, LEX)
    assert len(gold.read_text().splitlines()) == 3  # the annotator's row survived
    assert not list(gold.parent.glob("*.tmp"))


def test_link_stops_on_a_damaged_file(dirs):
    tmp, _ = dirs
    gold = tmp / "gold" / "review_000.jsonl"
    write_rows(gold, good_rows())
    with gold.open("a") as fh:
        fh.write("{oops\n")
    before = gold.read_bytes()
    with pytest.raises(InputFileError, match="line 3"):
        link(gold, LEX)
    assert gold.read_bytes() == before


def test_cited_dois(dirs):
    tmp, _ = dirs
    rows = good_rows()
    rows[1]["references"] = []  # unresolved in the row: taken from references_000.jsonl
    rows.append(dict(rows[0], id="g000-0003", references=[{"number": 12, "doi": "doi:10.1000/abc.12"}]))
    write_rows(tmp / "gold" / "review_000.jsonl", rows)
    write_rows(tmp / "references_000.jsonl", [{"number": 13, "doi": "10.2000/XYZ.13."}, {"number": 14, "doi": "10.3/uncited"}])
    assert cited_dois(tmp / "gold") == ["10.1000/abc.12", "10.2000/xyz.13"]
    assert normalize_doi("not a doi") == ""


def _cli(monkeypatch, args):
    from miner.cli.main import app

    monkeypatch.setattr("miner.cli.gold.default_lexicon", lambda: LEX)
    return CliRunner().invoke(app, args)


def test_cli_gold_check_exit_codes(dirs, monkeypatch):
    tmp, reviews = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", good_rows())
    ok = _cli(monkeypatch, ["gold", "check", "--reviews", str(reviews), "--gold", str(gold.parent)])
    assert ok.exit_code == 0 and "2 rows, 0 failing" in ok.output
    rows = good_rows()
    rows[1]["effect"] = "kills"
    write_rows(gold, rows)
    bad = _cli(monkeypatch, ["gold", "check", "--reviews", str(reviews), "--gold", str(gold.parent)])
    assert bad.exit_code == 1 and "review_000.jsonl:2" in bad.output and "1 failing" in bad.output


def test_cli_gold_dois_and_link(dirs, monkeypatch):
    tmp, _ = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", [dict(r, drug_ids=[]) for r in good_rows()])
    out = tmp / "dois.txt"
    res = _cli(monkeypatch, ["gold", "dois", "--gold", str(gold.parent), "--out", str(out)])
    assert res.exit_code == 0 and out.read_text() == "10.1000/abc.12\n"
    res = _cli(monkeypatch, ["gold", "link", "--gold", str(gold.parent)])
    assert res.exit_code == 0 and "2 id lists filled" in res.output


def test_cli_evaluate_writes_report_and_fails_cleanly(dirs, monkeypatch):
    tmp, _ = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", good_rows())
    pred = write_rows(tmp / "pred.jsonl", [{"id": "p1", "drug": "osimertinib", "prior_drug": "gefitinib",
                                            "effect": "cross_resistance", "doc_id": "text:review_000"}])
    res = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(pred), "--report", str(tmp / "r.html")])
    assert res.exit_code == 0, res.output
    assert "<table>" in (tmp / "r.html").read_text()
    missing = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(tmp / "nope.jsonl")])
    assert missing.exit_code == 1 and "no such file" in str(missing.exception)
    with pred.open("a") as fh:
        fh.write("{bad\n")
    broken = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(pred)])
    assert isinstance(broken.exception, MinerError) and "line 2" in str(broken.exception)


def test_console_script_prints_one_line_error_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "from miner.cli.main import main; main()", "evaluate", "--gold", str(tmp_path / "no_gold"), "--pred", str(tmp_path / "x.jsonl")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "500"},
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "no such file or directory" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


REVIEW_001 = sorted((SHARED_DIR / "seeds").glob("001_*.txt"))


@pytest.mark.slow
@pytest.mark.skipif(not REVIEW_001, reason="review 001 not available in ../shared/seeds")
def test_real_review_quote_offsets_with_real_lexicon(tmp_path):
    from miner.evaluate.names import default_lexicon

    text = REVIEW_001[0].read_text(encoding="utf-8")
    quote = "resistance to gefitinib as well as cross-resistance to afatinib and osimertinib"
    start = text.find(quote)
    assert start > 0
    row = {"id": "g001-0001", "drug": "afatinib", "prior_drug": "gefitinib", "effect": "cross_resistance", "kind": "sequential",
           "drug_ids": [], "prior_drug_ids": [], "evidence_quote": quote, "source": "gold", "doc_id": "text:review_001",
           "offsets": {"evidence_quote": [start, start + len(quote)]}}
    gold = write_rows(tmp_path / "review_001.jsonl", [row])
    lex = default_lexicon()
    link(gold, lex)
    report = check(gold, SHARED_DIR / "seeds", lex)
    assert report.errors == [], report.errors
    row["offsets"]["evidence_quote"] = [start + 1, start + 1 + len(quote)]
    write_rows(gold, [row])
    assert any("not at offsets" in r for r in reasons(check(gold, SHARED_DIR / "seeds", lex)))


@pytest.mark.slow
@pytest.mark.skipif(not list(DEFAULT_GOLD_DIR.glob("review_*.jsonl")), reason="no gold files yet")
@pytest.mark.skipif(not REVIEW_001, reason="the reviews are not available in ../shared/seeds")
def test_real_gold_files_pass_with_zero_errors():
    """The committed review gold passes its own check (a lexicon change that stales ids fails here and in CI)."""
    from miner.evaluate.names import default_lexicon

    files = sorted(DEFAULT_GOLD_DIR.glob("review_*.jsonl"))
    lines = sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    report = check(DEFAULT_GOLD_DIR, SHARED_DIR / "seeds", default_lexicon())
    assert report.rows == lines
    assert all(p.reason for p in report.problems)
    assert report.errors == [], [f"{p.where}: {p.reason}" for p in report.errors[:10]]


DEV_ROWS = DEFAULT_GOLD_DIR.parent / "dev" / "abstracts.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not DEV_ROWS.is_file(), reason="no development abstracts file yet")
@pytest.mark.skipif(not (SHARED_DIR / "data" / "crossres-abstracts").is_dir(), reason="crossres abstracts not available")
def test_real_dev_abstracts_pass_with_zero_errors():
    """The committed development abstracts: quotes at their offsets in Document.text, ids linked, documents listed."""
    from miner.evaluate.names import default_lexicon

    lines = sum(1 for line in DEV_ROWS.read_text(encoding="utf-8").splitlines() if line.strip())
    report = check(DEV_ROWS, SHARED_DIR / "seeds", default_lexicon())
    assert report.rows == lines
    assert report.errors == [], [f"{p.where}: {p.reason}" for p in report.errors[:10]]


def test_cli_rejects_bad_options_and_missing_gold(dirs, monkeypatch):
    tmp, reviews = dirs
    gold = write_rows(tmp / "gold" / "review_000.jsonl", good_rows())
    bad_level = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(gold), "--level", "best"])
    assert isinstance(bad_level.exception, MinerError) and "--level" in str(bad_level.exception)
    bad_kind = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(gold), "--kind", "serial"])
    assert isinstance(bad_kind.exception, MinerError) and "--kind must be one of" in str(bad_kind.exception)
    by_kind = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(gold), "--kind", "sequential",
                                 "--report", str(tmp / "k.json")])
    assert by_kind.exit_code == 0, by_kind.output
    assert json.loads((tmp / "k.json").read_text())["kind"] == "sequential"
    bad_report = _cli(monkeypatch, ["evaluate", "--gold", str(gold), "--pred", str(gold), "--report", str(tmp / "r.txt")])
    assert isinstance(bad_report.exception, MinerError) and ".md, .html or .json" in str(bad_report.exception)
    empty = tmp / "empty"
    empty.mkdir()
    no_gold = _cli(monkeypatch, ["gold", "check", "--reviews", str(reviews), "--gold", str(empty)])
    assert isinstance(no_gold.exception, MinerError) and "no .jsonl file" in str(no_gold.exception)
    no_reviews = check(gold, tmp / "nowhere", LEX)
    assert any("reviews directory not found" in p.reason for p in no_reviews.errors)


# -- development abstracts (pmid:) and CIViC statements (civic:) ------------------------------------------

ABSTRACT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">111</PMID><Article><Journal><JournalIssue>
<PubDate><Year>2020</Year></PubDate></JournalIssue></Journal><ArticleTitle>Osimertinib after gefitinib</ArticleTitle><Abstract>
<AbstractText Label="RESULTS">Gefitinib-resistant cells were cross-resistant to osimertinib.</AbstractText>
<AbstractText Label="CONCLUSIONS">Osimertinib failed.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


def _abstract_text(path):
    from miner.corpus.pubmed_xml import parse_pubmed_xml

    return {d.doc_id: d.text for d in parse_pubmed_xml(path)}["pmid:111"]


def dev_row(text, quote, drug, prior, n=1, doc_id="pmid:111", **kw):
    start = text.find(quote)
    row = {"id": f"a111-{n:02d}", "drug": drug, "prior_drug": prior, "effect": "cross_resistance", "evidence_quote": quote,
           "offsets": {"evidence_quote": [start, start + len(quote)]}, "source": "gold", "doc_id": doc_id,
           "kind": "sequential" if prior else "acquired", "drug_ids": ["D_OSI"], "prior_drug_ids": ["D_GEF"] if prior else [],
           "refs": [], "references": []}
    row.update(kw)
    return row


@pytest.fixture
def abstracts(tmp_path):
    xml = tmp_path / "abstracts.xml"
    xml.write_text(ABSTRACT_XML, encoding="utf-8")
    return xml


def test_dev_rows_are_checked_against_the_abstract_text(tmp_path, abstracts):
    text = _abstract_text(abstracts)
    assert text.startswith("Osimertinib after gefitinib\n")  # title + newline + sections, as imported
    good = dev_row(text, "Gefitinib-resistant cells were cross-resistant to osimertinib", "osimertinib", "Gefitinib")
    moved = dev_row(text, "Osimertinib failed", "osimertinib", "", n=2, effect="resistance")
    moved["offsets"]["evidence_quote"] = [0, len("Osimertinib failed")]
    unknown = dev_row(text, "x", "osimertinib", "", n=3, doc_id="pmid:999", effect="resistance", evidence_quote="x")
    other = dev_row(text, "x", "osimertinib", "", n=4, doc_id="doi:10.1/x", effect="resistance", evidence_quote="x")
    gold = write_rows(tmp_path / "dev" / "abstracts.jsonl", [good, moved, unknown, other])
    report = check(gold, tmp_path / "no_reviews_needed", LEX, abstracts=abstracts)
    by_row = {p.where: p.reason for p in report.errors}
    assert report.rows == 4 and "abstracts.jsonl:1" not in by_row
    assert "evidence_quote is not at offsets [0, 18]" in by_row["abstracts.jsonl:2"] and "it occurs at" in by_row["abstracts.jsonl:2"]
    assert "is not an abstract of abstracts.xml" in by_row["abstracts.jsonl:3"]
    assert "expected text:review_NNN, pmid:<PMID> or civic:<evidence_id>" in by_row["abstracts.jsonl:4"]
    missing = check(gold, tmp_path, LEX, abstracts=tmp_path / "none.xml.gz")
    assert any("abstracts file not found" in p.reason for p in missing.errors)


def test_dev_documents_list_must_name_every_row(tmp_path, abstracts):
    text = _abstract_text(abstracts)
    gold = write_rows(tmp_path / "dev" / "abstracts.jsonl",
                      [dev_row(text, "Gefitinib-resistant cells were cross-resistant to osimertinib", "osimertinib", "Gefitinib")])
    docs = write_rows(tmp_path / "dev" / "documents.jsonl", [{"doc_id": "pmid:111", "split": "dev"}])
    assert check(gold.parent, tmp_path, LEX, abstracts=abstracts).errors == []
    write_rows(docs, [{"doc_id": "pmid:222", "split": "dev"}])
    report = check(gold.parent, tmp_path, LEX, abstracts=abstracts)
    assert [p.reason for p in report.errors] == ["document pmid:111 is not in documents.jsonl"]
    docs.write_text('{"doc_id": "pmid:111", "split": "test"}\n')
    report = check(gold, tmp_path, LEX, abstracts=abstracts)
    assert any(p.where == "documents.jsonl" and "not one of" in p.reason for p in report.errors)


def test_civic_rows_are_checked_against_the_statement(tmp_path):
    import gzip

    civic = tmp_path / "civic.jsonl.gz"
    with gzip.open(civic, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"evidence_id": 7, "pmid": "1", "text": "EGFR C797S confers resistance to osimertinib."}) + "\n")
    text = "EGFR C797S confers resistance to osimertinib."
    row = dev_row(text, "EGFR C797S confers resistance to osimertinib", "osimertinib", "", doc_id="civic:7",
                  effect="resistance", id="c7-01")
    bad = dict(row, id="c7-02", evidence_quote="EGFR C797S", mechanism="x")
    gold = write_rows(tmp_path / "civic_rows.jsonl", [row, bad])
    report = check(gold, tmp_path, LEX, civic_file=civic)
    assert [p.where for p in report.errors] == ["civic_rows.jsonl:2"]
    assert "evidence_quote is not at offsets" in report.errors[0].reason


def test_cli_gold_check_on_a_dev_file(tmp_path, abstracts, monkeypatch):
    text = _abstract_text(abstracts)
    gold = write_rows(tmp_path / "dev" / "abstracts.jsonl",
                      [dev_row(text, "Gefitinib-resistant cells were cross-resistant to osimertinib", "osimertinib", "Gefitinib")])
    ok = _cli(monkeypatch, ["gold", "check", "--gold", str(gold), "--abstracts", str(abstracts)])
    assert ok.exit_code == 0 and "1 rows, 0 failing" in ok.output
    write_rows(gold, [dev_row(text, "nowhere to be found", "osimertinib", "Gefitinib", offsets={})])
    bad = _cli(monkeypatch, ["gold", "check", "--gold", str(gold), "--abstracts", str(abstracts)])
    assert bad.exit_code == 1 and "scripts/dev_fill.py" in bad.output


def test_cli_default_source_paths_match_the_library():
    import miner.cli.gold as cli
    from miner.evaluate.civic import CIVIC_FILE
    from miner.evaluate.gold import CROSSRES_XML

    assert (cli.CROSSRES_XML, cli.CIVIC_FILE) == (CROSSRES_XML, CIVIC_FILE)
