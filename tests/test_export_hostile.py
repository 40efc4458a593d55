"""Exports on hostile input: colliding and long document ids, tabs and line breaks in mentions, astral characters
(Label Studio counts UTF-16 units), bare CR (PubTator re-import), formula-like cells, stdout and devices, umask.

Each test reproduces a defect of issue 15 found by fault injection.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from bioc import biocxml

from miner.corpus.pubtator import parse_pubtator
from miner.errors import MinerError
from miner.export import export_findings, read_decisions
from miner.export.common import MAX_STEM, atomic_file, one_line, unique_stems
from miner.export.curate import validate_decisions
from miner.export.labelstudio import codepoint_index, utf16_index
from miner.export.tabular import formula_like, neutralize, unneutralize
from miner.schema import Finding


def _finding(text: str, doc_id: str, drug: str, prior: str = "", start: int = 0, **kw) -> Finding:
    i = text.index(drug, start)
    offsets = {"drug": [i, i + len(drug)]}
    if prior:
        j = text.index(prior)
        offsets["prior_drug"] = [j, j + len(prior)]
    return Finding(drug=drug, prior_drug=prior, effect="cross_resistance", doc_id=doc_id, offsets=offsets,
                   rule="t", **kw)


# -- brat ---------------------------------------------------------------------------------------------------------

def test_brat_colliding_and_long_ids_get_unique_bounded_names(tmp_path: Path) -> None:
    ids = ["a/b", "a:b", "a_b", "A_B", "x" * 300, "pmid:1", "CON"]
    texts = {d: f"osimertinib after gefitinib ({n})" for n, d in enumerate(ids)}
    findings = [_finding(texts[d], d, "osimertinib", "gefitinib") for d in ids]
    out = tmp_path / "brat"
    assert export_findings(findings, texts, "brat", out) == len(ids)  # before: OSError on the 300-character id
    txts = sorted(out.glob("*.txt"))
    assert len(txts) == len(ids)  # before: a/b, a:b, a_b shared one file
    assert len({p.name.casefold() for p in txts}) == len(ids)
    assert all(len(p.stem) <= MAX_STEM for p in txts)
    assert {p.read_text(encoding="utf-8") for p in txts} == set(texts.values())
    stems = unique_stems(ids)
    assert stems["pmid:1"] == "pmid_1" and stems["a/b"].startswith("a_b-") and stems["CON"] != "CON"
    assert stems["a_b"].casefold() != stems["A_B"].casefold()  # also on case-insensitive file systems
    assert unique_stems(["a/b", "a:b", "a_b"])["a_b"] == "a_b"  # names stay readable where they can
    assert unique_stems(list(reversed(ids))) == stems  # independent of the order of the export


def test_brat_tab_and_line_breaks_in_a_mention_keep_the_t_line(tmp_path: Path) -> None:
    text = "Title.\nPatients on osimer\ttinib\u2028after gefitinib\rprogressed."
    mention = "osimer\ttinib\u2028after"
    f = _finding(text, "pmid:7", mention, "gefitinib")
    out = tmp_path / "brat"
    export_findings([f], {"pmid:7": text}, "brat", out)
    ann = (out / "pmid_7.ann").read_text(encoding="utf-8").split("\n")
    tlines = [line for line in ann if line.startswith("T")]
    for line in tlines:
        tid, info, mention_text = line.split("\t")  # before: the tab made four fields
        _, start, end = info.split()
        assert mention_text == one_line(text[int(start):int(end)])
    assert (out / "pmid_7.txt").read_bytes().decode("utf-8") == text
    # accepted unchanged: read back with no correction
    (out / "pmid_7.ann").write_text("\n".join(ann) + "A9\tDecision E1 accepted\n", encoding="utf-8", newline="")
    ok = validate_decisions(read_decisions(out), {f.id: f})
    assert ok[0]["decision"] == "accepted" and ok[0]["corrected"] == {}


# -- Label Studio: UTF-16 offsets -----------------------------------------------------------------------------------

ASTRAL = "Title 𝛼-study 😀.\nIn 𝛽-cells 🧬 osimertinib after gefitinib failed; 😀😀 trastuzumab 🙂 after lapatinib."


def test_utf16_index_helpers() -> None:
    for i in range(len(ASTRAL) + 1):
        units = utf16_index(ASTRAL, i)
        assert units == len(ASTRAL[:i].encode("utf-16-le")) // 2
        assert codepoint_index(ASTRAL, units) == i
    assert codepoint_index("a😀b", 2) is None  # inside a surrogate pair
    assert codepoint_index("a😀b", 99) is None


def _js_substring(text: str, start: int, end: int) -> str:
    """What JavaScript's ``text.substring(start, end)`` returns (UTF-16 code units), as Label Studio does."""
    units = text.encode("utf-16-le", "surrogatepass")
    return units[start * 2:end * 2].decode("utf-16-le")


def test_label_studio_offsets_are_utf16_and_round_trip_with_astral_characters(tmp_path: Path) -> None:
    findings = [_finding(ASTRAL, "pmid:9", "osimertinib", "gefitinib"),
                _finding(ASTRAL, "pmid:9", "trastuzumab", "lapatinib")]
    out = tmp_path / "ls.json"
    export_findings(findings, {"pmid:9": ASTRAL}, "label-studio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    spans = [r["value"] for t in tasks for r in t["predictions"][0]["result"] if r["type"] == "labels"]
    assert len(spans) == 4
    for task in tasks:
        for r in task["predictions"][0]["result"]:
            if r["type"] == "labels":
                v = r["value"]
                # Label Studio highlights text.substring(start, end): before, every span after an emoji was shifted
                assert _js_substring(task["data"]["text"], v["start"], v["end"]) == v["text"]
    # the curator accepts both tasks unchanged: read back through the UTF-16 offsets, nothing is a correction
    for task in tasks:
        task["annotations"] = [{"id": task["id"], "completed_by": 1, "result": task["predictions"][0]["result"] + [
            {"from_name": "decision", "to_name": "text", "type": "choices", "value": {"choices": ["accepted"]}}]}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    ok = validate_decisions(read_decisions(exported), {f.id: f for f in findings})
    assert [d["decision"] for d in ok] == ["accepted", "accepted"]
    assert all(d["corrected"] == {} for d in ok)


def test_label_studio_span_whose_text_contradicts_its_offsets_is_rejected(tmp_path: Path) -> None:
    f = _finding(ASTRAL, "pmid:9", "osimertinib", "gefitinib")
    out = tmp_path / "ls.json"
    export_findings([f], {"pmid:9": ASTRAL}, "label-studio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    result = tasks[0]["predictions"][0]["result"]
    for r in result:
        if r["type"] == "labels" and r["value"]["labels"] == ["Drug"]:
            r["value"]["start"] -= 3  # code-point offsets, as before the fix: two emoji earlier
            r["value"]["end"] -= 3
    tasks[0]["annotations"] = [{"id": 1, "result": result + [
        {"from_name": "decision", "to_name": "text", "type": "choices", "value": {"choices": ["accepted"]}}]}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(MinerError, match="not its text"):
        read_decisions(exported)


# -- PubTator ---------------------------------------------------------------------------------------------------------

def test_pubtator_with_bare_cr_and_separators_reimports_with_every_offset(tmp_path: Path) -> None:
    text = ("Osimertinib\rafter gefitinib\x0c\n"
            "Cells\rresistant to gefitinib\u2028were cross-resistant\x1c to osimertinib\x85 and\tAZD9291\x0b.")
    findings = [_finding(text, "pmid:42", "osimertinib", "gefitinib", start=40),
                _finding(text, "pmid:42", "AZD9291", "gefitinib")]
    out = tmp_path / "f.pubtator"
    export_findings(findings, {"pmid:42": text}, "pubtator", out)
    docs = list(parse_pubtator(out))  # before: the bare CR split the title line: "PubTator line outside its document"
    assert len(docs) == 1
    doc = docs[0]
    assert len(doc.text) == len(text)
    assert doc.annotations
    for ann in doc.annotations:
        assert doc.text[ann["start"]:ann["end"]] == ann["text"]
        assert one_line(text[ann["start"]:ann["end"]]) == ann["text"]


# -- CSV / TSV ----------------------------------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\n=1+1", "  =1+1", "\u00a0=1+1", "\u200b=1+1", "\ufeff@x",
            "＝1+1", "＋1", "－1", "＠x", "\t=1", "\r\n+1", "\u2028-1", " \u3000＝HYPERLINK(\"x\")"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_cells_are_neutralized_and_read_back(value: str) -> None:
    assert formula_like(value)  # before: only a formula character at position 0 counted
    assert neutralize(value).startswith("'")
    assert unneutralize(neutralize(value)) == value


@pytest.mark.parametrize("value", ["osimertinib", "5-FU", "T-DM1", " plain", "", "'quoted", "1=1"])
def test_ordinary_cells_are_left_alone(value: str) -> None:
    assert neutralize(value) == value and unneutralize(value) == value


def test_csv_and_tsv_cells_never_start_a_formula_and_tsv_has_no_tabs_in_fields(tmp_path: Path) -> None:
    text = "Title.\nx =1+1 osimertinib after gefitinib; mechanism\tunknown\nend."
    f = _finding(text, "pmid:3", "osimertinib", "gefitinib")
    hostile = [Finding(drug=v, prior_drug="gefitinib", effect="resistance", doc_id="pmid:3", rule="t",
                       sentence=v + "\tafter\ngefitinib") for v in FORMULAS]
    for fmt in ("csv", "tsv"):
        out = tmp_path / f"f.{fmt}"
        export_findings([f, *hostile], {"pmid:3": text}, fmt, out)
        raw = out.read_bytes().decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(raw, newline=""), delimiter="," if fmt == "csv" else "\t"))
        assert len(rows) == 1 + len(FORMULAS)
        for row in rows:
            for value in row.values():
                assert not formula_like(value) or value.startswith("'")
        if fmt == "tsv":
            for line in raw.split("\r\n")[:-1]:
                assert line.count("\t") == len(rows[0]) - 1  # before: tabs inside quoted fields
            assert "\n" not in raw.replace("\r\n", "")


# -- output targets ---------------------------------------------------------------------------------------------------

TEXT = "Osimertinib after gefitinib.\nGefitinib-resistant cells were cross-resistant to osimertinib."


def _one() -> tuple[list[Finding], dict[str, str]]:
    return [_finding(TEXT, "pmid:1", "osimertinib", "gefitinib", start=30)], {"pmid:1": TEXT}


def test_out_dash_writes_to_stdout(tmp_path: Path, monkeypatch, capfdbinary) -> None:
    monkeypatch.chdir(tmp_path)
    findings, texts = _one()
    for fmt in ("csv", "jsonl", "label-studio", "bioc", "pubtator"):
        export_findings(findings, texts, fmt, "-")
        written = capfdbinary.readouterr().out
        assert b"osimertinib" in written, fmt
    assert not (tmp_path / "-").exists()  # before: a file named "-"
    assert list(tmp_path.iterdir()) == []  # no label-studio config file either
    with pytest.raises(MinerError, match="directory"):
        export_findings(findings, texts, "brat", "-")


def test_device_and_symlink_targets_are_written_in_place_not_replaced(tmp_path: Path) -> None:
    findings, texts = _one()
    export_findings(findings, texts, "csv", "/dev/null")  # no --force needed: nothing is overwritten
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child drains the FIFO
        with open(fifo, "rb") as fh:
            fh.read()
        os._exit(0)
    export_findings(findings, texts, "jsonl", fifo)
    os.waitpid(pid, 0)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # before: renamed over, the FIFO became a regular file
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    export_findings(findings, texts, "csv", link, force=True)
    assert link.is_symlink() and "osimertinib" in real.read_text(encoding="utf-8")


def test_exports_follow_the_umask(tmp_path: Path) -> None:
    findings, texts = _one()
    old = os.umask(0o022)
    try:
        export_findings(findings, texts, "csv", tmp_path / "f.csv")
        export_findings(findings, texts, "brat", tmp_path / "brat")
        assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o644  # before: 0600
        assert stat.S_IMODE((tmp_path / "brat").stat().st_mode) == 0o755  # before: 0700
        os.umask(0o077)
        export_findings(findings, texts, "csv", tmp_path / "g.csv")
        assert stat.S_IMODE((tmp_path / "g.csv").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_brat_force_replaces_only_an_earlier_export(tmp_path: Path) -> None:
    findings, texts = _one()
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(MinerError, match="not an earlier export"):
        export_findings(findings, texts, "brat", precious, force=True)
    assert (precious / "thesis.tex").exists()
    out = tmp_path / "brat"
    export_findings(findings, texts, "brat", out)
    export_findings(findings, texts, "brat", out, force=True)
    with pytest.raises(MinerError, match="is a directory"):
        export_findings(findings, texts, "csv", out, force=True)


def test_bioc_xml_with_control_characters_keeps_offsets(tmp_path: Path) -> None:
    text = "Title\x0c here.\nCells \x1c resistant to gefitinib\x0b were cross-resistant to osimertinib."
    f = _finding(text, "pmid:5", "osimertinib", "gefitinib")
    out = tmp_path / "f.xml"
    export_findings([f], {"pmid:5": text}, "bioc", out)  # before: ValueError from lxml (a traceback)
    with out.open(encoding="utf-8") as fh:
        passage = biocxml.load(fh).documents[0].passages[0]
    assert len(passage.text) == len(text)
    for ann in passage.annotations:
        loc = ann.total_span
        assert passage.text[loc.offset:loc.end] == ann.text


def test_atomic_file_to_stdout_keeps_bytes_exact(capfdbinary) -> None:
    with atomic_file(Path("-"), newline="") as fh:
        fh.write("a\r\nb\u2028c")
    assert capfdbinary.readouterr().out == "a\r\nb\u2028c".encode("utf-8")
    assert not sys.stdout.closed


def test_dev_stdout_redirected_to_a_file_is_written_in_place(tmp_path: Path) -> None:
    out = tmp_path / "redirected.csv"
    code = ("from pathlib import Path; from miner.export.common import atomic_file\n"
            "with atomic_file(Path('/dev/stdout')) as fh: fh.write('written')\n")
    with out.open("wb") as fh:
        subprocess.run([sys.executable, "-c", code], stdout=fh, check=True, timeout=120)
    assert out.read_text(encoding="utf-8") == "written" and not out.is_symlink()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_failed_write_is_a_message_not_a_traceback() -> None:
    findings, texts = _one()
    with pytest.raises(MinerError, match="/dev/full: cannot write"):
        export_findings(findings, texts, "csv", "/dev/full")
