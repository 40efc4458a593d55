"""Curated decisions: nothing dropped, nothing stored twice, corrections where the curator put them.

Each test reproduces a defect of issue 15: rows with Unicode line separators dropped by ``str.splitlines``, a
cp1252 file giving a traceback, re-imports stored twice, conflicting rows both stored, corrections keeping their old
offsets, moved spans ignored, a brat T line contradicting its offsets accepted, "accept all" storing corrections
when a finding's name is not the text at its offsets, exports not showing decisions.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.corpus.document import Document
from miner.corpus.store import CorpusStore
from miner.errors import MinerError
from miner.export import export_findings, read_decisions
from miner.export.curate import apply_correction, latest_decisions, new_decisions, promote, validate_decisions
from miner.schema import Finding

SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e"]
TITLE = "Cross-resistance after gefitinib."


def _doc_text(n: int) -> str:
    sep = SEPARATORS[n % len(SEPARATORS)] if n % 5 in (1, 3) else " "
    return (f"{TITLE}\nIn cohort {n}, gefitinib-resistant cells were cross-resistant to osimertinib{sep}"
            f"through KEAP1 loss; afatinib and osimertinib were also tested.")


def _finding(text: str, doc_id: str, drug: str = "osimertinib", prior: str = "gefitinib") -> Finding:
    s0 = text.index("\n") + 1
    sent = [s0, len(text)]
    d = text.index(drug, s0)
    p = text.index(prior, s0)
    return Finding(drug=drug, prior_drug=prior, effect="cross_resistance", doc_id=doc_id, sentence=text[s0:],
                   offsets={"sentence": sent, "drug": [d, d + len(drug)], "prior_drug": [p, p + len(prior)]},
                   rule="t", confidence=0.8)


@pytest.fixture()
def corpus() -> tuple[list[Finding], dict[str, str]]:
    texts = {f"pmid:{n}": _doc_text(n) for n in range(1, 41)}
    return [_finding(t, d) for d, t in texts.items()], texts


def _fill(path: Path, decide, delimiter: str = ",", encoding: str = "utf-8") -> list[dict]:
    """Edit an exported table as a curator would (``decide(row)`` fills the decision columns), save it back."""
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline=""), delimiter=delimiter))
    for row in rows:
        decide(row)
    with path.open("w", encoding=encoding, errors="replace", newline="") as fh:  # Excel writes "?" for the rest
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


# -- reading tables ------------------------------------------------------------------------------------------------

def test_csv_rows_with_unicode_line_separators_are_all_read(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    assert sum(any(s in f.sentence for s in SEPARATORS) for f in findings) == 16
    out = tmp_path / "f.csv"
    export_findings(findings, texts, "csv", out)
    _fill(out, lambda row: row.update(decision="accepted", curator="ann"))
    raw = read_decisions(out)
    assert len(raw) == 40  # before: 24 (16 rows split apart by str.splitlines and skipped)
    ok = validate_decisions(raw, {f.id: f for f in findings})
    assert len(ok) == 40 and {d["decision"] for d in ok} == {"accepted"}


def test_bare_cr_and_crlf_inside_quoted_fields(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    out = tmp_path / "f.csv"
    export_findings(findings[:3], texts, "csv", out)
    _fill(out, lambda row: row.update(decision="rejected", note="line one\rline two\r\nthree"))
    raw = read_decisions(out)
    assert [d["note"] for d in raw] == ["line one\rline two\r\nthree"] * 3
    assert raw[1]["where"].endswith("line 5")  # a row's first line: row 1 spans lines 2-4


def test_cp1252_csv_is_a_clear_message_and_reads_with_encoding(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    out = tmp_path / "f.csv"
    export_findings(findings[:2], texts, "csv", out)
    _fill(out, lambda row: row.update(decision="accepted", curator="José", note="dose – 40 mg"), encoding="cp1252")
    with pytest.raises(MinerError) as exc:  # before: UnicodeDecodeError traceback
        read_decisions(out)
    assert "cp1252" in str(exc.value) and "--encoding" in str(exc.value) and "line 2" in str(exc.value)
    raw = read_decisions(out, encoding="cp1252")
    assert [(d["curator"], d["note"]) for d in raw] == [("José", "dose – 40 mg")] * 2
    with pytest.raises(MinerError, match="unknown encoding"):
        read_decisions(out, encoding="klingon")


def test_utf16_tab_text_and_semicolon_csv_as_excel_saves_them(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    out = tmp_path / "f.tsv"
    export_findings(findings[:2], texts, "tsv", out)
    _fill(out, lambda row: row.update(decision="yes"), delimiter="\t")
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes(b"\xff\xfe" + out.read_bytes().decode("utf-8").encode("utf-16-le"))
    assert [d["decision"] for d in read_decisions(utf16)] == ["yes", "yes"]
    semi = tmp_path / "semi.csv"
    export_findings(findings[:2], texts, "csv", semi)
    _fill(semi, lambda row: row.update(decision="no"))
    rows = list(csv.reader(io.StringIO(semi.read_bytes().decode("utf-8"), newline="")))
    with semi.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    assert [d["decision"] for d in read_decisions(semi)] == ["no", "no"]


# -- one decision per finding, re-import is a no-op ------------------------------------------------------------------

def test_conflicting_rows_for_one_finding_are_rejected_identical_ones_kept_once(corpus) -> None:
    findings, _ = corpus
    fmap = {f.id: f for f in findings}
    fid = findings[0].id
    same = [{"finding_id": fid, "decision": "accepted", "where": "line 2"},
            {"finding_id": fid, "decision": "accept", "where": "line 9"}]
    assert len(validate_decisions(same, fmap, curator="ann")) == 1
    with pytest.raises(MinerError) as exc:  # before: both stored
        validate_decisions(same + [{"finding_id": fid, "decision": "rejected", "where": "line 12"}], fmap)
    assert "line 12" in str(exc.value) and "line 2" in str(exc.value) and "accepted vs rejected" in str(exc.value)


def test_new_decisions_skips_what_is_stored(corpus) -> None:
    findings, _ = corpus
    fmap = {f.id: f for f in findings}
    first = validate_decisions([{"finding_id": f.id, "decision": "accepted"} for f in findings[:3]], fmap, "ann")
    again = validate_decisions([{"finding_id": f.id, "decision": "accepted"} for f in findings[:3]], fmap, "ann")
    assert new_decisions(again, first) == []
    other = validate_decisions([{"finding_id": findings[0].id, "decision": "accepted"}], fmap, "bob")
    assert new_decisions(other, first) == other  # another curator's decision is a decision of its own


@pytest.fixture()
def db(tmp_path: Path, corpus) -> Path:
    findings, texts = corpus
    path = tmp_path / "corpus.sqlite"
    with CorpusStore(path) as store:
        for doc_id, text in texts.items():
            title, _, abstract = text.partition("\n")
            store.upsert(Document(doc_id=doc_id, pmid=doc_id.split(":")[1], title=title, abstract=abstract))
        store.add_findings(findings, {"stage": "test"})
    return path


def _stored(db: Path) -> list[dict]:
    with CorpusStore(db) as store:
        return list(store.iter_decisions())


def test_cli_reimport_is_a_no_op_and_exports_show_the_latest_decision(tmp_path: Path, db: Path) -> None:
    runner = CliRunner()
    table = tmp_path / "f.csv"
    r = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(table)])
    assert r.exit_code == 0, r.output
    rows = _fill(table, lambda row: row.update(decision="accepted", curator="ann"))
    for _ in range(2):  # before: 80 decisions after the second import
        r = runner.invoke(app, ["--db", str(db), "curate", "import", str(table)])
        assert r.exit_code == 0, r.output
    assert len(_stored(db)) == len(rows) == 40
    # a conflicting file stores nothing
    _fill(table, lambda row: row.update(decision="rejected") if row["finding_id"] == rows[0]["finding_id"] else None)
    with table.open("a", encoding="utf-8", newline="") as fh:
        extra = {"finding_id": rows[0]["finding_id"], "decision": "accepted", "curator": "ann"}
        fh.write(",".join(extra.get(c, "") for c in rows[0]) + "\r\n")  # by column name, not position
    r = runner.invoke(app, ["--db", str(db), "curate", "import", str(table)])
    assert r.exit_code == 1 and "different decision" in str(r.exception)
    assert len(_stored(db)) == 40
    # exports show the latest decision; an unedited re-export re-imports as nothing
    again = tmp_path / "again.csv"
    r = runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(again)])
    assert r.exit_code == 0, r.output
    shown = list(csv.DictReader(io.StringIO(again.read_bytes().decode("utf-8"), newline="")))
    assert {(row["latest_decision"], row["latest_curator"]) for row in shown} == {("accepted", "ann")}
    r = runner.invoke(app, ["--db", str(db), "curate", "import", str(again)])
    assert r.exit_code == 0 and len(_stored(db)) == 40
    ls = tmp_path / "ls.json"
    runner.invoke(app, ["--db", str(db), "export", "--format", "label-studio", "--out", str(ls)])
    assert {t["data"]["latest_decision"] for t in json.loads(ls.read_text(encoding="utf-8"))} == {"accepted"}
    brat = tmp_path / "brat"
    runner.invoke(app, ["--db", str(db), "export", "--format", "brat", "--out", str(brat)])
    assert "latest decision=accepted by ann" in (brat / "pmid_1.ann").read_text(encoding="utf-8")
    r = runner.invoke(app, ["--db", str(db), "export", "--format", "jsonl", "--out", "-"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 40  # the export alone on stdout, the summary on stderr
    assert all(json.loads(line)["id"] for line in r.stdout.splitlines())


def test_cli_cp1252_without_encoding_is_a_message_not_a_traceback(tmp_path: Path, db: Path) -> None:
    runner = CliRunner()
    table = tmp_path / "f.csv"
    runner.invoke(app, ["--db", str(db), "export", "--format", "csv", "--out", str(table)])
    _fill(table, lambda row: row.update(decision="accepted", note="naïve"), encoding="cp1252")
    r = runner.invoke(app, ["--db", str(db), "curate", "import", str(table)])
    assert r.exit_code == 1 and isinstance(r.exception, MinerError) and "--encoding cp1252" in str(r.exception)
    r = runner.invoke(app, ["--db", str(db), "curate", "import", "--encoding", "cp1252", str(table)])
    assert r.exit_code == 0, r.output
    assert {d["note"] for d in _stored(db)} == {"naïve"}


# -- corrections carry offsets ---------------------------------------------------------------------------------------

def test_csv_correction_gets_the_offsets_of_the_new_text(corpus) -> None:
    findings, texts = corpus
    f = findings[0]
    text = texts[f.doc_id]
    ok = validate_decisions([{"finding_id": f.id, "decision": "corrected", "corrected": {"drug": "afatinib"}},
                             {"finding_id": findings[1].id, "decision": "corrected",
                              "corrected": {"drug": "AZD9291"}}], {x.id: x for x in findings})
    start = text.index("afatinib")
    assert ok[0]["corrected"] == {"drug": "afatinib", "offsets": {"drug": [start, start + 8]}}
    assert ok[1]["corrected"] == {"drug": "AZD9291", "offsets": {"drug": None}}  # a name not in the text
    curated = apply_correction(f, ok[0])
    assert text[slice(*curated.offsets["drug"])] == curated.drug == "afatinib"  # before: old offsets kept
    assert "drug" not in apply_correction(findings[1], ok[1]).offsets


def _label_studio_decide(path: Path, edit) -> Path:
    tasks = json.loads(path.read_text(encoding="utf-8"))
    for task in tasks:
        result = [dict(r, value=dict(r["value"])) if "value" in r else r for r in task["predictions"][0]["result"]]
        edit(task, result)
        result.append({"from_name": "decision", "to_name": "text", "type": "choices",
                       "value": {"choices": ["accepted"]}})
        task["annotations"] = [{"id": task["id"], "completed_by": {"email": "cur@example.org"}, "result": result}]
    out = path.with_name("export.json")
    out.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return out


def test_label_studio_span_moved_to_the_same_text_elsewhere_is_a_correction(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    f = findings[0]
    text = texts[f.doc_id]
    out = tmp_path / "ls.json"
    export_findings([f], texts, "label-studio", out)
    second = text.index("osimertinib", f.offsets["drug"][1])

    def move(task, result):
        for r in result:
            if r.get("type") == "labels" and r["value"]["labels"] == ["Drug"]:
                base = task["data"]["passage_offset"]
                r["value"].update(start=second - base, end=second - base + 11)

    ok = validate_decisions(read_decisions(_label_studio_decide(out, move)), {f.id: f})
    # before: "accepted" (the text is the same) and the old offsets kept
    assert ok[0]["decision"] == "corrected"
    assert ok[0]["corrected"] == {"drug": "osimertinib", "offsets": {"drug": [second, second + 11]}}
    assert apply_correction(f, ok[0]).offsets["drug"] == [second, second + 11]


def test_brat_moved_span_is_a_correction_and_a_contradicting_t_line_is_rejected(tmp_path: Path, corpus) -> None:
    findings, texts = corpus
    f = findings[0]
    text = texts[f.doc_id]
    out = tmp_path / "brat"
    export_findings([f], texts, "brat", out)
    ann_path = out / "pmid_1.ann"
    ann = ann_path.read_text(encoding="utf-8")
    d0, d1 = f.offsets["drug"]
    second = text.index("osimertinib", d1)
    moved = ann.replace(f"Finding {d0} {d1}\t", f"Finding {second} {second + 11}\t")
    moved = moved.replace(f"Drug {d0} {d1}\t", f"Drug {second} {second + 11}\t")
    ann_path.write_text(moved + "A9\tDecision E1 accepted\n", encoding="utf-8")
    ok = validate_decisions(read_decisions(out), {f.id: f})
    assert ok[0]["decision"] == "corrected" and ok[0]["corrected"]["offsets"] == {"drug": [second, second + 11]}
    # retyping the text instead of moving the span: before, "afatinib" was stored with the offsets of osimertinib
    ann_path.write_text(ann.replace("\tosimertinib\n", "\tafatinib\n") + "A9\tDecision E1 accepted\n",
                        encoding="utf-8")
    with pytest.raises(MinerError, match="not the text at"):
        read_decisions(out)


def test_accept_all_stores_no_correction_when_a_name_is_not_the_text_at_its_offsets(tmp_path: Path) -> None:
    """The extractor defect of review 001 ("HER2-targeted therapies" at the offsets of "HER2–"): accepting the
    finding unchanged in Label Studio or brat must not turn it into a correction."""
    text = "Resistance.\nAfter HER2–targeted therapies, T-DM1 showed reduced efficacy."
    i, j = text.index("HER2–"), text.index("T-DM1")
    f = Finding(drug="T-DM1", prior_drug="HER2-targeted therapies", effect="reduced_efficacy", doc_id="pmid:77",
                sentence=text[12:], offsets={"sentence": [12, len(text)], "drug": [j, j + 5],
                                             "prior_drug": [i, i + 5]}, rule="t")
    texts = {"pmid:77": text}
    ls = tmp_path / "ls.json"
    export_findings([f], texts, "label-studio", ls)
    ok = validate_decisions(read_decisions(_label_studio_decide(ls, lambda task, result: None)), {f.id: f})
    assert [(d["decision"], d["corrected"]) for d in ok] == [("accepted", {})]  # before: corrected to "HER2–"
    brat = tmp_path / "brat"
    export_findings([f], texts, "brat", brat)
    with (brat / "pmid_77.ann").open("a", encoding="utf-8") as fh:
        fh.write("A9\tDecision E1 accepted\n")
    ok = validate_decisions(read_decisions(brat), {f.id: f})
    assert [(d["decision"], d["corrected"]) for d in ok] == [("accepted", {})]


def test_promote_uses_the_latest_decision_and_survives_line_separators(tmp_path: Path, corpus) -> None:
    findings, _ = corpus
    fmap = {f.id: f for f in findings}
    f = next(x for x in findings if "\u2028" in x.sentence)
    ds = validate_decisions([{"finding_id": f.id, "decision": "rejected"}], fmap, "ann")
    ds += validate_decisions([{"finding_id": f.id, "decision": "accepted"}], fmap, "ann")
    assert latest_decisions(ds)[f.id]["decision"] == "accepted"
    out = tmp_path / "curated.jsonl"
    assert promote(fmap, ds, out) == 1
    assert promote(fmap, ds, out) == 0  # before: json.loads failed on the line split at U+2028


# -- both reviews, the real extractor -------------------------------------------------------------------------------

@pytest.mark.slow
def test_accept_all_on_both_reviews_stores_no_correction(tmp_path: Path, nlp) -> None:
    """CSV, Label Studio and brat round trips of every finding the extractor reads in the two reviews."""
    from miner.config import SHARED_DIR
    from miner.extract import extract_text
    from miner.pipeline import REVIEWS

    texts, findings = {}, []
    for name, filename in REVIEWS.items():
        path = SHARED_DIR / "seeds" / filename
        assert path.is_file(), f"{path} missing (../shared must sit beside the repo)"
        doc_id = f"text:{name}"
        texts[doc_id] = path.read_bytes().decode("utf-8")
        findings += extract_text(texts[doc_id], doc_id=doc_id, nlp=nlp)
    assert findings
    fmap = {f.id: f for f in findings}
    csv_out = tmp_path / "f.csv"
    export_findings(findings, texts, "csv", csv_out)
    _fill(csv_out, lambda row: row.update(decision="accepted"))
    ls = _label_studio_decide(_export(findings, texts, tmp_path / "ls.json", "label-studio"), lambda t, r: None)
    brat = _export(findings, texts, tmp_path / "brat", "brat")
    for ann in brat.glob("*.ann"):
        events = [line.split("\t")[0] for line in ann.read_text(encoding="utf-8").split("\n") if line.startswith("E")]
        with ann.open("a", encoding="utf-8") as fh:
            fh.writelines(f"A{900 + n}\tDecision {e} accepted\n" for n, e in enumerate(events))
    for source in (csv_out, ls, brat):
        ok = validate_decisions(read_decisions(source), fmap, curator="ann")
        corrections = [d for d in ok if d["decision"] != "accepted"]
        assert corrections == [], source.name
        assert len(ok) >= len(findings) - sum(not f.offsets.get("drug") for f in findings)


def _export(findings: list[Finding], texts: dict[str, str], out: Path, fmt: str) -> Path:
    export_findings(findings, texts, fmt, out)
    return out
