"""Hostile and damaged input files: every problem is a clear message naming the file and the place, never a
traceback, and nothing damaged is stored (or, with --lenient, bad annotations are dropped and counted)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from miner.config import SHARED_DIR
from miner.corpus import CorpusStore, import_paths
from miner.corpus.importer import FileResult

EUTILS = SHARED_DIR / "data" / "pubmed-eutils"
MEDLINE_TXT = EUTILS / "biopython-medline" / "pubmed_result2.txt"


def pubmed_xml(pmid: str = "123", title: str = "A title.", version: str = "1", abstract: str = "An abstract.") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation>'
        f'<PMID Version="{version}">{pmid}</PMID><Article><ArticleTitle>{title}</ArticleTitle>'
        f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract></Article></MedlineCitation>"
        "</PubmedArticle>\n</PubmedArticleSet>\n"
    )


def import_one(tmp_path: Path, name: str, data: bytes | str, lenient: bool = False) -> tuple[FileResult, Path]:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    db = tmp_path / "c.sqlite"
    with CorpusStore(db) as store:
        (result,) = import_paths(store, [path], progress=False, lenient=lenient).files
    return result, db


def stored(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT doc_id, title, abstract FROM documents"))


def failed_with(tmp_path: Path, name: str, data: bytes | str, *needles: str) -> str:
    result, db = import_one(tmp_path, name, data)
    assert result.failed, f"{name} was imported: {stored(db)}"
    assert result.error.startswith(str(tmp_path / name)), result.error
    for needle in needles:
        assert needle in result.error, result.error
    assert stored(db) == []
    return result.error


# ---------------------------------------------------------------------------- PubMed XML


def test_deeply_nested_inline_markup_is_read_without_recursion(tmp_path):
    depth = 1500  # over Python's recursion limit, under libxml2's (huge_tree) depth limit
    title = "<i>" * depth + "Deep" + "</i>" * depth + " title."
    result, db = import_one(tmp_path, "deep.xml", pubmed_xml(title=title))
    assert not result.failed, result.error
    assert stored(db) == [("pmid:123", "Deep title.", "An abstract.")]


@pytest.mark.parametrize("version", ["99999999999999999999999", "\u00b9", "-1", "x"])
def test_pmid_version_must_be_a_small_number(tmp_path, version):
    failed_with(tmp_path, "v.xml", pubmed_xml(version=version), "line", "Version")


@pytest.mark.parametrize("pmid", ["12a", "\uff11\uff12", "0", "-5", "1" * 30])
def test_pmids_must_be_numeric(tmp_path, pmid):
    failed_with(tmp_path, "p.xml", pubmed_xml(pmid=pmid), "line", "PMID")


def test_huge_publication_year_is_not_a_traceback(tmp_path):
    xml = pubmed_xml().replace("<Article>", "<Article><Journal><JournalIssue><PubDate><Year>"
                               + "9" * 40 + "</Year></PubDate></JournalIssue></Journal>")
    result, db = import_one(tmp_path, "year.xml", xml)
    assert not result.failed, result.error
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT pub_year FROM documents").fetchall() == [(None,)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_pubmed_xml_is_accepted(tmp_path, encoding):
    text = pubmed_xml(title="Gefitinib \u2013 \u00e9t\u00e9 \U0001d400.")
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = text.encode(encoding)
    if encoding != "utf-16":  # the explicit-endianness codecs write no byte-order mark: add one
        data = "\ufeff".encode(encoding) + data
    result, db = import_one(tmp_path, "u16.xml", data)
    assert not result.failed, result.error
    assert result.format == "pubmed_xml"
    assert stored(db) == [("pmid:123", "Gefitinib \u2013 \u00e9t\u00e9 \U0001d400.", "An abstract.")]


def test_utf16_bioc_xml_is_accepted(tmp_path):
    xml = ('<?xml version="1.0" encoding="UTF-16"?><collection><source>x</source><document><id>77</id>'
           '<passage><infon key="type">title</infon><offset>0</offset><text>T\u00e9 one.</text></passage>'
           '<passage><infon key="type">abstract</infon><offset>8</offset><text>Body.</text></passage>'
           "</document></collection>")
    result, db = import_one(tmp_path, "b16.xml", xml.encode("utf-16"))
    assert not result.failed, result.error
    assert stored(db) == [("pmid:77", "T\u00e9 one.", "Body.")]


# ---------------------------------------------------------------------------- MEDLINE text


def test_medline_truncated_mid_line_is_rejected(tmp_path):
    data = MEDLINE_TXT.read_bytes()
    failed_with(tmp_path, "cut.txt", data[: len(data) - 40], "truncated")


def test_medline_record_cut_at_a_line_end_is_rejected(tmp_path):
    text = MEDLINE_TXT.read_text(encoding="utf-8")
    cut = text[: text.rindex("\nSO  - ") + 1]  # the last record loses its closing SO field
    failed_with(tmp_path, "cut2.txt", cut, "truncated", "SO")


def test_complete_medline_file_still_imports(tmp_path):
    result, _ = import_one(tmp_path, "ok.txt", MEDLINE_TXT.read_bytes())
    assert not result.failed and result.inserted == 4


def test_medline_pmid_must_be_numeric(tmp_path):
    failed_with(tmp_path, "m.txt", "PMID- 12ab\nTI  - x\nSO  - y\n", "line 1", "PMID")


def test_medline_nul_character_is_rejected(tmp_path):
    failed_with(tmp_path, "nul.txt", "PMID- 12\nTI  - a\x00b\nSO  - y\n", "NUL")


def test_a_bare_cr_inside_a_line_is_text_not_a_line_break(tmp_path):
    pubtator = "5|t|Title\rwith CR\n5|a|Body.\n5\t0\t5\tTitle\tChemical\tD1\n\n"
    result, db = import_one(tmp_path, "cr.pubtator", pubtator)
    assert not result.failed, result.error
    assert stored(db) == [("pmid:5", "Title\rwith CR", "Body.")]


# ---------------------------------------------------------------------------- PubTator

GOOD_PUBTATOR = (
    "7|t|Cisplatin nephrotoxicity\n7|a|Rats given cisplatin had acute renal failure.\n"
    "7\t0\t9\tCisplatin\tChemical\tD1\n7\t36\t45\tcisplatin\tChemical\tD1\n7\tCID\tD1\tD2\n\n"
)


def test_pubtator_truncated_mid_line_is_rejected(tmp_path):
    failed_with(tmp_path, "t.pubtator", GOOD_PUBTATOR.rstrip("\n")[:-3], "truncated")


def test_pubtator_document_without_its_abstract_line_is_rejected(tmp_path):
    failed_with(tmp_path, "t2.pubtator", GOOD_PUBTATOR + "8|t|Only a title\n", "line 7", "abstract")


def test_pubtator_offsets_that_disagree_with_the_text_are_rejected_or_dropped_with_lenient(tmp_path):
    bad = GOOD_PUBTATOR.replace("7\t36\t45\tcisplatin", "7\t30\t39\tcisplatin")
    error = failed_with(tmp_path, "off.pubtator", bad, "line 4", "cisplatin", "--lenient")
    assert "offsets" in error
    result, db = import_one(tmp_path / "again", "off_lenient.pubtator", bad, lenient=True)
    assert not result.failed and result.dropped == 1 and result.inserted == 1
    with sqlite3.connect(db) as conn:
        (annotations,) = conn.execute("SELECT annotations FROM documents WHERE doc_id = 'pmid:7'").fetchone()
    assert [a["text"] for a in json.loads(annotations)] == ["Cisplatin"]


@pytest.mark.parametrize("line", ["7\tx5\t9\tCisplatin\tChemical\tD1", "7\t-1\t9\tCisplatin\tChemical",
                                  "7\t0\t\u00b9\tCisplatin\tChemical", "7\t0\t900\tCisplatin\tChemical"])
def test_pubtator_bad_offsets_are_not_mistaken_for_relations(tmp_path, line):
    failed_with(tmp_path, "rel.pubtator", GOOD_PUBTATOR.replace("7\t0\t9\tCisplatin\tChemical\tD1", line), "line 3")


def test_pubtator_nul_and_fullwidth_ids(tmp_path):
    failed_with(tmp_path, "n.pubtator", GOOD_PUBTATOR.replace("Rats", "R\x00ts"), "NUL")
    result, db = import_one(tmp_path / "again", "fw.pubtator", "\uff17|t|T\n\uff17|a|A\n\n")
    assert result.failed and "id" in result.error and stored(db) == []


# ---------------------------------------------------------------------------- BioC


def bioc_xml(offset: str = "0", ann_offset: str = "0") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><collection><source>x</source><document><id>9</id>'
            f'<passage><infon key="type">title</infon><offset>{offset}</offset><text>EGFR rules.</text>'
            f'<annotation id="1"><infon key="type">Gene</infon><location offset="{ann_offset}" length="4"/>'
            "<text>EGFR</text></annotation></passage></document></collection>")


@pytest.mark.parametrize("offset", ["abc", "1e3", "\u00b9"])
def test_bioc_xml_offset_not_an_integer(tmp_path, offset):
    failed_with(tmp_path, "o.xml", bioc_xml(offset=offset), "line", "offset")


def test_bioc_xml_annotation_outside_its_text_is_rejected(tmp_path):
    failed_with(tmp_path, "a.xml", bioc_xml(ann_offset="50"), "line", "EGFR")
    result, _ = import_one(tmp_path / "again", "a2.xml", bioc_xml(ann_offset="50"), lenient=True)
    assert not result.failed and result.dropped == 1


def json_collection(**doc_overrides) -> dict:
    doc = {"id": "9", "passages": [{"offset": 0, "infons": {"type": "title"}, "text": "EGFR rules.", "annotations": [
        {"infons": {"type": "Gene"}, "text": "EGFR", "locations": [{"offset": 0, "length": 4}]}]}]}
    doc.update(doc_overrides)
    return {"documents": [doc]}


BAD_JSON = {
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "passages not a list": json.dumps(json_collection(passages="abc")),
    "passage not an object": json.dumps(json_collection(passages=[5])),
    "text not a string": json.dumps(json_collection(passages=[{"offset": 0, "text": 5}])),
    "infons not an object": json.dumps(json_collection(passages=[{"offset": 0, "text": "x", "infons": []}])),
    "offset overflow": json.dumps(json_collection()).replace('"offset": 0, "length"', '"offset": 1e309, "length"'),
    "offset fraction": json.dumps(json_collection()).replace('"offset": 0, "length": 4', '"offset": 0.5, "length": 4'),
    "lone surrogate": json.dumps(json_collection()).replace("rules", "rul\\ud800es"),
    "id not a string": json.dumps(json_collection(id={"a": 1})),
    "nul in text": json.dumps(json_collection()).replace("rules", "rul\\u0000es"),
    "annotations not a list": json.dumps(json_collection(passages=[{"offset": 0, "text": "x", "annotations": 3}])),
}


@pytest.mark.parametrize("case", sorted(BAD_JSON))
def test_bioc_json_hostile_shapes_are_clear_errors(tmp_path, case):
    name = case.replace(" ", "_") + ".json"
    data = BAD_JSON[case]
    if case == "deep nesting":
        data = '{"documents": ' + data + "}"
    error = failed_with(tmp_path, name, data)
    assert "Traceback" not in error and len(error) < 600


def test_json_in_utf16_is_accepted(tmp_path):
    result, db = import_one(tmp_path, "j16.json", json.dumps(json_collection(), ensure_ascii=False).encode("utf-16"))
    assert not result.failed, result.error
    assert stored(db) == [("pmid:9", "EGFR rules.", "")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_formats_with_or_without_byte_order_mark(tmp_path, encoding):
    medline, _ = import_one(tmp_path, "m16.txt", MEDLINE_TXT.read_text(encoding="utf-8").encode(encoding))
    assert not medline.failed and medline.inserted == 4, medline.error
    pubtator, _ = import_one(tmp_path / "again", "p16.pubtator", GOOD_PUBTATOR.encode(encoding))
    assert not pubtator.failed and pubtator.inserted == 1, pubtator.error
    bioc, _ = import_one(tmp_path / "third", "j16.json", json.dumps(json_collection()).encode(encoding))
    assert not bioc.failed and bioc.inserted == 1, bioc.error
