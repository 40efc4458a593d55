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
_PUB_TYPES = _xpath_strings("Article/PublicationTypeList/PublicationType")


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


def _date_from_parts(parts: dict[str, str]) -> tuple[str, int | None]:
    """(ISO-ish date as precise as given, year) from the children of a PubDate-like element."""
    year = (parts.get("Year") or "").strip()
    if not year:
        m = _YEAR.search(parts.get("MedlineDate") or "")
        return (m.group(1), int(m.group(1))) if m else ("", None)
    out = [year]
    month = (parts.get("Month") or "").strip()
    if month:
        num = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower())
        if num:
            out.append(f"{num:02d}")
            day = (parts.get("Day") or "").strip()
            if day.isdigit():
                out.append(f"{int(day):02d}")
    return "-".join(out), int(year) if year.isdigit() else None


def _date(elem: etree._Element | None) -> tuple[str, int | None]:
    if elem is None:
        return "", None
    return _date_from_parts({child.tag: child.text for child in elem})


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


def _authors(name_parts: list[etree._Element]) -> list[str]:
    """MEDLINE-style names ("Smith JA") from the LastName/Initials/ForeName/CollectiveName
    elements of an author list, in document order; collective names as written."""
    names: list[str] = []
    last = initials = fore = ""

    def flush() -> None:
        if last:
            names.append(f"{last} {initials or fore}".strip())

    for part in name_parts:
        tag = part.tag
        if tag == "LastName":
            flush()
            last, initials, fore = (part.text or "").strip(), "", ""
        elif tag == "Initials":
            initials = (part.text or "").strip()
        elif tag == "ForeName":
            fore = (part.text or "").strip()
        else:  # CollectiveName: an author of its own (may carry markup)
            flush()
            last = initials = fore = ""
            collective = _text(part)
            if collective:
                names.append(collective)
    flush()
    return names


# Compiled XPaths: evaluated in C, several times faster than ElementPath find() per field.
_X = etree.XPath
_PMID = _X("PMID")
_ARTICLE_TITLE = _X("Article/ArticleTitle")
_ABSTRACT = _X("Article/Abstract")
_AUTHOR_PARTS = _X("Article/AuthorList/Author/*[self::LastName or self::Initials or self::ForeName or self::CollectiveName]")
_PUB_DATE = _X("Article/Journal/JournalIssue/PubDate/*")
_ARTICLE_DATE = _X("Article/ArticleDate[1]/*")
_DATE_REVISED = _X("DateRevised/*")
_JOURNAL = _X("string(Article/Journal/Title)")
_JOURNAL_ISO = _X("string(Article/Journal/ISOAbbreviation)")
_JOURNAL_TA = _X("string(MedlineJournalInfo/MedlineTA)")
_DOI = _X("PubmedData/ArticleIdList/ArticleId[@IdType='doi']/text()", smart_strings=False)
_PMCID = _X("PubmedData/ArticleIdList/ArticleId[@IdType='pmc']/text()", smart_strings=False)
_ELOCATION_DOI = _X("Article/ELocationID[@EIdType='doi']/text()", smart_strings=False)
_OTHER_IDS = _X("OtherID/text()", smart_strings=False)
_KEYWORDS = _X("KeywordList/Keyword")
_LANGUAGE = _X("string(Article/Language)")
_VERNACULAR = _X("Article/VernacularTitle")


def _first(elems: list) -> etree._Element | None:
    return elems[0] if elems else None


def _citation(citation: etree._Element, record: etree._Element | None, source: str) -> Document:
    """A MedlineCitation (``record`` is its PubmedArticle wrapper, which holds PubmedData)."""
    pmid_el = _first(_PMID(citation))
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("MedlineCitation without PMID")
    pmid = pmid_el.text.strip().lstrip("0") or "0"
    version = pmid_el.get("Version", "1")
    pub_date, pub_year = _date_from_parts({e.tag: e.text for e in _PUB_DATE(citation)})
    if not pub_year:
        pub_date, pub_year = _date_from_parts({e.tag: e.text for e in _ARTICLE_DATE(citation)})
    journal = (_JOURNAL(citation) or _JOURNAL_ISO(citation) or _JOURNAL_TA(citation)).strip()
    doi = pmcid = ""
    if record is not None:
        dois, pmcids = _DOI(record), _PMCID(record)
        doi = dois[0].strip() if dois else ""
        pmcid = pmcids[0].strip() if pmcids else ""
    if not doi:
        dois = _ELOCATION_DOI(citation)
        doi = dois[0].strip() if dois else ""
    if not pmcid:  # older MEDLINE files carry it as OtherID "PMC4688250 [Available on ...]"
        for other in _OTHER_IDS(citation):
            m = _PMC.search(other)
            if m:
                pmcid = m.group(0)
                break
    revised, _ = _date_from_parts({e.tag: e.text for e in _DATE_REVISED(citation)})
    abstract = _first(_ABSTRACT(citation))
    return Document(
        doc_id=pmid_doc_id(pmid),
        pmid=pmid,
        title=clean_title(_text(_first(_ARTICLE_TITLE(citation)))),
        abstract=_abstract(abstract),
        journal=journal,
        pub_date=pub_date,
        pub_year=pub_year,
        authors=_authors(_AUTHOR_PARTS(citation)),
        doi=doi,
        pmcid=pmcid,
        publication_types=[t.strip() for t in _PUB_TYPES(citation)],
        mesh_headings=[t.strip() for t in _MESH(citation)],
        chemicals=[t.strip() for t in _CHEMICALS(citation)],
        keywords=[_text(k) for k in _KEYWORDS(citation)],
        language=_LANGUAGE(citation).strip(),
        vernacular_title=_text(_first(_VERNACULAR(citation))),
        version=int(version) if version.isdigit() else 1,
        date_revised=revised,
        source=source,
    )


_BOOK_AUTHOR_PARTS = _X("AuthorList/Author/*[self::LastName or self::Initials or self::ForeName or self::CollectiveName]")


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
    authors = _authors(_BOOK_AUTHOR_PARTS(book_doc))
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
                yield _citation(citation, elem, source)
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
