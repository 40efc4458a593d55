"""Streaming parser for PubMed XML: efetch output, annual baseline and daily update files.

Handles ``PubmedArticleSet`` (``PubmedArticle``, ``PubmedBookArticle``, ``DeleteCitation``)
and the older ``MedlineCitationSet``.  It uses lxml ``iterparse`` with tag-based dispatch
and clears each record once converted, so memory stays flat whatever the file size, and
it never validates against the DTD (Biopython's per-record DTD handling is what makes
``Bio.Entrez.parse`` slow).  Text is collected with all inline markup (``<i>``, ``<sup>``,
MathML...) flattened in document order, so nothing inside a title or abstract is lost.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterator

from lxml import etree

from miner.corpus.document import Deletion, Document, pmid_doc_id
from miner.corpus.fileio import InputFile, damage_as_input_error, open_input
from miner.errors import InputFileError

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "BookDocument", "DeleteCitation")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_WS = re.compile(r"[ \t\r\n]+")  # ASCII whitespace only: keep no-break and thin spaces as published
_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_PMC = re.compile(r"PMC\d+")


def _text(elem: etree._Element | None) -> str:
    """All text inside ``elem`` (markup flattened, tails kept), whitespace runs collapsed."""
    if elem is None:
        return ""
    # Most elements have no inline markup: reading .text directly is much cheaper than itertext().
    text = "".join(elem.itertext()) if len(elem) else (elem.text or "")
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _WS.sub(" ", text)
    return text.strip()


def _xpath_strings(path: str) -> etree.XPath:
    """A compiled XPath returning the plain text of leaf elements of controlled vocabulary
    (MeSH, chemicals, publication types: no inline markup), evaluated in C."""
    return etree.XPath(path + "/text()", smart_strings=False)


_MESH = _xpath_strings("MeshHeadingList/MeshHeading/DescriptorName")
_CHEMICALS = _xpath_strings("ChemicalList/Chemical/NameOfSubstance")
_PUB_TYPES = _xpath_strings("PublicationTypeList/PublicationType")


def clean_title(title: str) -> str:
    """Unwrap a translated-article title: "[Titre traduit]." -> "Titre traduit."

    MEDLINE puts English translations of non-English titles in square brackets; the
    brackets are an editorial convention, not part of the title.  Only a bracket pair that
    encloses the whole title is removed (a title that merely starts with "[18F]..." stays).
    """
    t = title.strip()
    if not t.startswith("["):
        return t
    body = t[:-1] if t.endswith("].") else t
    if not body.endswith("]"):
        return t
    depth = 0
    for i, ch in enumerate(body):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0 and i != len(body) - 1:
                return t  # the first bracket closes before the end: not a wrapper
    inner = body[1:-1].strip()
    if not inner:
        return t
    return inner if inner[-1] in ".?!" else inner + "."


def _date(elem: etree._Element | None) -> tuple[str, int | None]:
    """(ISO-ish date as precise as given, year) from a PubDate/ArticleDate-like element."""
    if elem is None:
        return "", None
    year = elem.findtext("Year")
    if not year:
        medline = elem.findtext("MedlineDate") or ""
        m = _YEAR.search(medline)
        return (m.group(1), int(m.group(1))) if m else ("", None)
    year = year.strip()
    parts = [year]
    month = (elem.findtext("Month") or "").strip()
    if month:
        num = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower())
        if num:
            parts.append(f"{num:02d}")
            day = (elem.findtext("Day") or "").strip()
            if day.isdigit():
                parts.append(f"{int(day):02d}")
    return "-".join(parts), int(year) if year.isdigit() else None


def _abstract(abstract: etree._Element | None) -> str:
    """Sections joined by newlines; labelled sections as "LABEL: text"."""
    if abstract is None:
        return ""
    sections = []
    for part in abstract.iterfind("AbstractText"):
        text = _text(part)
        label = (part.get("Label") or "").strip()
        if label and text:
            sections.append(f"{label}: {text}")
        elif text:
            sections.append(text)
    return "\n".join(sections)


def _authors(author_list: etree._Element | None) -> list[str]:
    """MEDLINE-style names ("Smith JA"), collective names as written."""
    if author_list is None:
        return []
    names = []
    for author in author_list.iterfind("Author"):
        last = (author.findtext("LastName") or "").strip()
        if last:
            initials = (author.findtext("Initials") or author.findtext("ForeName") or "").strip()
            names.append(f"{last} {initials}".strip())
        else:
            collective = _text(author.find("CollectiveName"))
            if collective:
                names.append(collective)
    return names


def _citation(citation: etree._Element, pubmed_data: etree._Element | None, source: str) -> Document:
    pmid_el = citation.find("PMID")
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("MedlineCitation without PMID")
    pmid = pmid_el.text.strip().lstrip("0") or "0"
    version = pmid_el.get("Version", "1")
    article = citation.find("Article")
    if article is None:
        article = etree.Element("Article")
    journal = article.find("Journal")
    pub_date, pub_year = _date(journal.find("JournalIssue/PubDate") if journal is not None else None)
    if not pub_year:
        pub_date, pub_year = _date(article.find("ArticleDate"))
    journal_title = ""
    if journal is not None:
        journal_title = _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
    journal_title = journal_title or _text(citation.find("MedlineJournalInfo/MedlineTA"))
    doi = pmcid = ""
    if pubmed_data is not None:
        for aid in pubmed_data.iterfind("ArticleIdList/ArticleId"):
            kind = aid.get("IdType")
            if kind == "doi" and not doi:
                doi = _text(aid)
            elif kind == "pmc" and not pmcid:
                pmcid = _text(aid)
    if not doi:
        for loc in article.iterfind("ELocationID"):
            if loc.get("EIdType") == "doi":
                doi = _text(loc)
                break
    if not pmcid:  # older MEDLINE files carry it as OtherID "PMC4688250 [Available on ...]"
        for other in citation.iterfind("OtherID"):
            m = _PMC.search(other.text or "")
            if m:
                pmcid = m.group(0)
                break
    revised, _ = _date(citation.find("DateRevised"))
    return Document(
        doc_id=pmid_doc_id(pmid),
        pmid=pmid,
        title=clean_title(_text(article.find("ArticleTitle"))),
        abstract=_abstract(article.find("Abstract")),
        journal=journal_title,
        pub_date=pub_date,
        pub_year=pub_year,
        authors=_authors(article.find("AuthorList")),
        doi=doi,
        pmcid=pmcid,
        publication_types=[t.strip() for t in _PUB_TYPES(article)],
        mesh_headings=[t.strip() for t in _MESH(citation)],
        chemicals=[t.strip() for t in _CHEMICALS(citation)],
        keywords=[_text(k) for k in citation.iterfind("KeywordList/Keyword")],
        language=_text(article.find("Language")),
        vernacular_title=_text(article.find("VernacularTitle")),
        version=int(version) if version.isdigit() else 1,
        date_revised=revised,
        source=source,
    )


def _book(book_doc: etree._Element, pubmed_data: etree._Element | None, source: str) -> Document:
    """A PubmedBookArticle (e.g. GeneReviews chapters): title of the chapter, else of the book."""
    pmid_el = book_doc.find("PMID")
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("BookDocument without PMID")
    pmid = pmid_el.text.strip().lstrip("0") or "0"
    book = book_doc.find("Book")
    pub_date, pub_year = _date(book.find("PubDate") if book is not None else None)
    title = _text(book_doc.find("ArticleTitle")) or _text(book_doc.find("Book/BookTitle"))
    doi = ""
    for aid in book_doc.iterfind("ArticleIdList/ArticleId"):
        if aid.get("IdType") == "doi":
            doi = _text(aid)
    if not doi and pubmed_data is not None:
        for aid in pubmed_data.iterfind("ArticleIdList/ArticleId"):
            if aid.get("IdType") == "doi":
                doi = _text(aid)
    authors = []
    for author_list in book_doc.iterfind("AuthorList"):
        authors.extend(_authors(author_list))
    version = pmid_el.get("Version", "1")
    return Document(
        doc_id=pmid_doc_id(pmid),
        pmid=pmid,
        title=clean_title(title),
        abstract=_abstract(book_doc.find("Abstract")),
        journal=_text(book_doc.find("Book/BookTitle")),
        pub_date=pub_date,
        pub_year=pub_year,
        authors=authors,
        doi=doi,
        publication_types=[_text(p) for p in book_doc.iterfind("PublicationType")],
        keywords=[_text(k) for k in book_doc.iterfind("KeywordList/Keyword")],
        language=_text(book_doc.find("Language")),
        version=int(version) if version.isdigit() else 1,
        source=source,
    )


def _records(stream: BinaryIO, source: str) -> Iterator[Document | Deletion]:
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=_RECORD_TAGS,
        load_dtd=False,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
    )
    for _event, elem in context:
        tag = elem.tag
        parent = elem.getparent()
        if tag in ("MedlineCitation", "BookDocument") and parent is not None and parent.tag in (
            "PubmedArticle",
            "PubmedBookArticle",
        ):
            continue  # handled with its wrapper, which also holds PubmedData
        try:
            if tag == "PubmedArticle":
                citation = elem.find("MedlineCitation")
                if citation is None:
                    raise ValueError("PubmedArticle without MedlineCitation")
                yield _citation(citation, elem.find("PubmedData"), source)
            elif tag == "MedlineCitation":
                yield _citation(elem, None, source)
            elif tag == "PubmedBookArticle":
                book_doc = elem.find("BookDocument")
                if book_doc is None:
                    raise ValueError("PubmedBookArticle without BookDocument")
                yield _book(book_doc, elem.find("PubmedBookData"), source)
            elif tag == "BookDocument":
                yield _book(elem, None, source)
            elif tag == "DeleteCitation":
                for pmid in elem.iterfind("PMID"):
                    if (pmid.text or "").strip():
                        yield Deletion(pmid_doc_id(pmid.text))
        except ValueError as exc:
            raise InputFileError(source or "<stream>", str(exc), f"line {elem.sourceline}") from exc
        # Free the converted record and everything before it: constant memory.
        elem.clear(keep_tail=False)
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]


def parse_pubmed_xml(source: BinaryIO | str | Path, source_name: str = "") -> Iterator[Document | Deletion]:
    """Documents and deletions from a PubMed XML file or binary stream, in file order.

    A path may be gzip-compressed (detected from content).  Malformed or truncated input
    raises :class:`InputFileError` with the line and column (or byte) of the damage.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        with open_input(path) as infile:
            yield from parse_opened(infile, source_name or path.name)
        return
    name = source_name or getattr(source, "name", "") or "<stream>"
    try:
        yield from _records(source, str(name))
    except etree.XMLSyntaxError as exc:
        raise InputFileError(name, f"malformed XML: {_short(exc.msg)}", _xml_position(exc)) from exc
    except EOFError as exc:
        raise InputFileError(name, f"file is truncated ({exc})") from exc


def parse_opened(infile: InputFile, source_name: str) -> Iterator[Document | Deletion]:
    """Parse an opened :class:`InputFile`; errors name the file path."""
    try:
        with damage_as_input_error(infile):
            for item in _records(infile.stream, source_name):
                yield item
    except etree.XMLSyntaxError as exc:
        raise InputFileError(infile.path, f"malformed XML: {_short(exc.msg)}", _xml_position(exc)) from exc
    except InputFileError as exc:
        if exc.path == source_name and str(infile.path) != source_name:
            raise InputFileError(infile.path, exc.reason, exc.position) from exc
        raise


def _short(msg: str) -> str:
    return re.sub(r", line \d+, column \d+$", "", msg or "").strip()


def _xml_position(exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    return f"line {line}, column {column}"
