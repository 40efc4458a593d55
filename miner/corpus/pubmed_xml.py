"""Streaming parser for PubMed XML: efetch output, annual baseline and daily update files.

Handles ``PubmedArticleSet`` (``PubmedArticle``, ``PubmedBookArticle``, ``DeleteCitation``)
and the older ``MedlineCitationSet``, never validating against the DTD.  Two readers:

- a fast path that cuts the byte stream into top-level records at their end tags and
  parses runs of them (about 64 KB) with one lxml ``fromstring`` call each (at most one
  run plus a 1 MB read buffer in memory);
- the reference reader, lxml ``iterparse`` with tag filtering and element clearing,
  which takes over whenever the fast path meets anything unusual (another encoding, a
  comment between records, a damaged or truncated file) and reports damage with its
  line and column.

Text is collected with all inline markup (``<i>``, ``<sup>``, MathML...) flattened in
document order, so nothing inside a title or abstract is lost; the walk keeps its own
stack, so markup nested thousands deep is read, not a recursion error.  PMIDs must be
numbers and their ``Version`` a small one: a record that says otherwise is damaged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from lxml import etree

from miner.corpus.document import Deletion, Document, parse_pmid, pmid_doc_id
from miner.corpus.fileio import InputFile, ReadOptions, damage_as_input_error, open_input
from miner.errors import InputFileError

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "BookDocument", "DeleteCitation")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_WS = re.compile(r"[ \t\r\n]+")  # ASCII whitespace only: keep no-break and thin spaces as published
_YEAR = re.compile(r"\b(1[6-9][0-9][0-9]|20[0-9][0-9])\b")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_SMALL = re.compile(r"[0-9]{1,2}")
_VERSION = re.compile(r"[0-9]{1,4}")
_PMC = re.compile(r"PMC\d+")


def _text(elem: etree._Element | None) -> str:
    """All text inside ``elem`` (markup flattened, tails kept), whitespace runs collapsed."""
    if elem is None:
        return ""
    # Most elements have no inline markup: reading .text directly is much cheaper than a walk.
    text = _mixed_text(elem) if len(elem) else (elem.text or "")
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _WS.sub(" ", text)
    return text.strip()


def _mixed_text(elem: etree._Element) -> str:
    """Text of mixed content in document order (like itertext), except that inside MathML
    whitespace-only text between elements is layout, not content, and is dropped: a
    pretty-printed <mml:mi>V</mml:mi> <mml:mo>.</mml:mo> reads "V.", not "V .".

    An explicit stack, not recursion: inline markup can nest deeper than Python's recursion limit.
    """
    parts: list[str] = []
    math = _is_math(elem.tag)
    if elem.text and not (math and elem.text.isspace()):
        parts.append(elem.text)
    # (children still to visit, inside MathML, the tail to add once the children are done, its MathML context)
    stack: list[tuple[Iterator[etree._Element], bool, str | None, bool]] = [(iter(elem), math, None, False)]
    while stack:
        children, math, _, _ = stack[-1]
        child = next(children, None)
        if child is None:
            _, _, tail, outer_math = stack.pop()
            if tail and not (outer_math and tail.isspace()):
                parts.append(tail)
            continue
        if not isinstance(child.tag, str):  # a processing instruction or comment: only its tail is text
            if child.tail and not (math and child.tail.isspace()):
                parts.append(child.tail)
            continue
        inner = math or _is_math(child.tag)
        if child.text and not (inner and child.text.isspace()):
            parts.append(child.text)
        stack.append((iter(child), inner, child.tail, math))
    return "".join(parts)


def _is_math(tag: object) -> bool:
    return isinstance(tag, str) and (tag == "math" or tag.endswith("}math"))


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
    """(ISO-ish date as precise as given, year) from a PubDate-like element."""
    if elem is None:
        return "", None
    year = month = day = medline = None
    for child in elem:  # a later duplicate wins
        tag = child.tag
        if tag == "Year":
            year = child.text
        elif tag == "Month":
            month = child.text
        elif tag == "Day":
            day = child.text
        elif tag == "MedlineDate":
            medline = child.text
    year = (year or "").strip()
    if not year:
        m = _YEAR.search(medline or "")
        return (m.group(1), int(m.group(1))) if m else ("", None)
    date = year
    month = (month or "").strip()
    if month:
        num = int(month) if _SMALL.fullmatch(month) else _MONTHS.get(month[:3].lower())
        if num:
            date = f"{year}-{num:02d}"
            day = (day or "").strip()
            if _SMALL.fullmatch(day):
                date = f"{date}-{int(day):02d}"
    return date, int(year) if _FOUR_DIGITS.fullmatch(year) else None


def _pmid_and_version(pmid_el: etree._Element) -> tuple[str, int]:
    """The PMID element's number and ``Version``; ValueError (reported with the line) if either is not one."""
    pmid = parse_pmid(pmid_el.text)
    if pmid is None:
        raise ValueError(f"PMID {(pmid_el.text or '').strip()[:40]!r} is not a PubMed id (digits only)")
    version = pmid_el.get("Version", "1").strip()
    if not _VERSION.fullmatch(version) or int(version) == 0:
        raise ValueError(f"PMID {pmid} has Version {version[:40]!r}, not a version number (1-9999)")
    return pmid, int(version)


def _abstract(abstract: etree._Element | None) -> str:
    """Sections joined by newlines; labelled sections as "LABEL: text"."""
    if abstract is None:
        return ""
    sections = []
    for part in abstract:
        if part.tag != "AbstractText":
            continue  # CopyrightInformation
        text = _text(part)
        label = (part.get("Label") or "").strip()
        if label and text:
            sections.append(f"{label}: {text}")
        elif text:
            sections.append(text)
    return "\n".join(sections)


def _authors(name_parts: Iterable[etree._Element]) -> list[str]:
    """MEDLINE-style names ("Smith JA") from the LastName/Initials/CollectiveName elements
    of an author list, in document order; collective names as written."""
    names: list[str] = []
    last = initials = ""
    for part in name_parts:
        tag = part.tag
        if tag == "Initials":
            initials = part.text or ""
            continue
        if last:
            names.append(f"{last} {initials}" if initials else last)
        if tag == "LastName":
            last, initials = (part.text or "").strip(), ""
        else:  # CollectiveName: an author of its own (may carry markup)
            last = initials = ""
            collective = _text(part)
            if collective:
                names.append(collective)
    if last:
        names.append(f"{last} {initials}" if initials else last)
    return names


#: The elements _citation reads; iter() with these tags walks the record in C and hands
#: Python only these (about 35 of ~110 elements per record), which is what makes it fast.
#: PMID is not among them: the citation's own PMID is its first child (DTD order), and the
#: many PMIDs of CommentsCorrections would cost a Python visit each for nothing.  The
#: fallbacks (ISOAbbreviation, MedlineTA, ArticleDate) are looked up only when needed.
_CITATION_TAGS = (
    "DescriptorName", "LastName", "Initials", "CollectiveName", "AbstractText", "OtherAbstract",
    "InvestigatorList", "PersonalNameSubjectList", "Title", "PubDate",
    "DateRevised", "Language", "PublicationType", "ELocationID", "VernacularTitle",
    "NameOfSubstance", "Keyword", "OtherID", "ArticleTitle",
)  # fmt: skip


def _own_pmid(citation: etree._Element) -> etree._Element | None:
    """The citation's own PMID: the first PMID in document order (normally its first child)."""
    if len(citation):
        first = citation[0]
        if first.tag == "PMID":
            return first
    return next(citation.iter("PMID"), None)


def _last_text(elem: etree._Element, tag: str) -> str:
    """The stripped text of the last ``tag`` element inside ``elem`` ("" if none)."""
    text = ""
    for el in elem.iter(tag):
        text = (el.text or "").strip()
    return text


def _child(elem: etree._Element | None, tag: str, last: bool = False) -> etree._Element | None:
    """The first child of ``elem`` named ``tag`` (like ``find(tag)``, without ElementPath's
    per-call cost); ``last`` tries the last child first, where PubmedData sits."""
    if elem is None:
        return None
    if last and len(elem) and elem[-1].tag == tag:
        return elem[-1]
    for child in elem:
        if child.tag == tag:
            return child
    return None


def _citation(citation: etree._Element, record: etree._Element | None, source: str) -> Document:
    """A MedlineCitation (``record`` is its PubmedArticle wrapper, which holds PubmedData).

    One C-level pass over the elements of interest, dispatched on tag (most frequent
    first).  Document order disambiguates the few tags used in two places: OtherAbstract,
    InvestigatorList and PersonalNameSubjectList all follow the Article, so AbstractText
    and author names seen after them are not the article's.
    """
    pmid_el = _own_pmid(citation)
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("MedlineCitation without PMID")
    mesh: list[str] = []
    chemicals: list[str] = []
    ptypes: list[str] = []
    keywords: list[str] = []
    sections: list[str] = []
    names: list[str] = []
    other_ids: list[str] = []
    last = initials = ""
    in_other_abstract = names_done = False
    date: tuple[str, int | None] = ("", None)
    title = journal = language = doi = revised = vernacular = ""
    for el in citation.iter(_CITATION_TAGS):
        tag = el.tag
        if tag == "DescriptorName":
            mesh.append(el.text or "")
        elif tag == "LastName":
            if names_done:
                continue
            if last:
                names.append(f"{last} {initials}" if initials else last)
            last, initials = (el.text or "").strip(), ""
        elif tag == "Initials":
            if not names_done:
                initials = el.text or ""
        elif tag == "NameOfSubstance":
            chemicals.append(el.text or "")
        elif tag == "Keyword":
            keywords.append(_text(el))
        elif tag == "AbstractText":
            if not in_other_abstract:
                text = _text(el)
                if text:
                    label = el.get("Label")
                    sections.append(f"{label.strip()}: {text}" if label and label.strip() else text)
        elif tag == "PublicationType":
            ptypes.append((el.text or "").strip())
        elif tag == "ELocationID":
            if not doi and el.get("EIdType") == "doi":
                doi = (el.text or "").strip()
        elif tag == "ArticleTitle":
            title = clean_title(_text(el))
        elif tag == "PubDate":
            date = _date(el)
        elif tag == "Title":
            journal = (el.text or "").strip()
        elif tag == "Language":
            if not language:
                language = (el.text or "").strip()
        elif tag == "DateRevised":
            revised = "-".join((d.text or "").strip() for d in el)  # always Year, Month, Day
        elif tag == "OtherID":
            other_ids.append(el.text or "")
        elif tag == "VernacularTitle":
            vernacular = _text(el)
        elif tag == "CollectiveName":
            if names_done:
                continue
            if last:
                names.append(f"{last} {initials}" if initials else last)
            last = initials = ""
            collective = _text(el)  # a collective author, as written (may carry markup)
            if collective:
                names.append(collective)
        elif tag == "OtherAbstract":
            in_other_abstract = True
        else:  # InvestigatorList, PersonalNameSubjectList: names there are not authors
            if last:
                names.append(f"{last} {initials}" if initials else last)
            last, names_done = "", True
    if last:
        names.append(f"{last} {initials}" if initials else last)
    pmid, version = _pmid_and_version(pmid_el)
    if not date[1]:  # no usable PubDate: the first ArticleDate with a year (else the last one)
        date = ("", None)
        for el in citation.iter("ArticleDate"):
            date = _date(el)
            if date[1]:
                break
    pub_date, pub_year = date
    pmcid = ""
    if record is not None:
        id_list = _child(_child(record, "PubmedData", last=True), "ArticleIdList")
        if id_list is not None:  # the article's own ids, not those of its references
            for aid in id_list:
                kind = aid.get("IdType")
                if kind == "doi":
                    doi = (aid.text or "").strip() or doi
                elif kind == "pmc" and not pmcid:
                    pmcid = (aid.text or "").strip()
    if not pmcid:  # older MEDLINE files carry it as OtherID "PMC4688250 [Available on ...]"
        for other in other_ids:
            m = _PMC.search(other)
            if m:
                pmcid = m.group(0)
                break
    return Document(
        doc_id=pmid_doc_id(pmid),
        title=title,
        abstract="\n".join(sections),
        pmid=pmid,
        journal=journal or _last_text(citation, "ISOAbbreviation") or _last_text(citation, "MedlineTA"),
        pub_date=pub_date,
        pub_year=pub_year,
        authors=names,
        doi=doi,
        pmcid=pmcid,
        publication_types=ptypes,
        mesh_headings=mesh,
        chemicals=chemicals,
        keywords=keywords,
        language=language,
        source=source,
        version=version,
        vernacular_title=vernacular,
        date_revised=revised,
    )


_BOOK_AUTHOR_PARTS = etree.XPath("AuthorList/Author/*[self::LastName or self::Initials or self::CollectiveName]")


def _book(book_doc: etree._Element, pubmed_data: etree._Element | None, source: str) -> Document:
    """A PubmedBookArticle (e.g. GeneReviews chapters): title of the chapter, else of the book."""
    pmid_el = book_doc.find("PMID")
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("BookDocument without PMID")
    pmid, version = _pmid_and_version(pmid_el)
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
        version=version,
        source=source,
    )


def _convert(elem: etree._Element, source: str) -> list[Document | Deletion]:
    """The documents/deletions of one top-level record element (a list: cheaper than a generator)."""
    tag = elem.tag
    try:
        if tag == "PubmedArticle":
            citation = _child(elem, "MedlineCitation")
            if citation is None:
                raise ValueError("PubmedArticle without MedlineCitation")
            return [_citation(citation, elem, source)]
        if tag == "MedlineCitation":
            return [_citation(elem, None, source)]
        if tag == "PubmedBookArticle":
            book_doc = elem.find("BookDocument")
            if book_doc is None:
                raise ValueError("PubmedBookArticle without BookDocument")
            return [_book(book_doc, elem.find("PubmedBookData"), source)]
        if tag == "BookDocument":
            return [_book(elem, None, source)]
        if tag == "DeleteCitation":
            return [Deletion(pmid_doc_id(_pmid_and_version(p)[0])) for p in elem.iterfind("PMID")
                    if (p.text or "").strip()]
        return []
    except ValueError as exc:
        raise InputFileError(source or "<stream>", str(exc), f"line {elem.sourceline}") from exc


def _records(stream: BinaryIO, source: str) -> Iterator[Document | Deletion]:
    """The reference reader: lxml iterparse over the whole file (any valid layout; exact error positions)."""
    context = etree.iterparse(stream, events=("end",), tag=_RECORD_TAGS, **_PARSER_OPTIONS)
    for _event, elem in context:
        parent = elem.getparent()
        if elem.tag in ("MedlineCitation", "BookDocument") and parent is not None and parent.tag in (
            "PubmedArticle",
            "PubmedBookArticle",
        ):
            continue  # handled with its wrapper, which also holds PubmedData
        yield from _convert(elem, source)
        # Free the converted record and everything before it: constant memory.
        elem.clear(keep_tail=False)
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]


_PARSER_OPTIONS = dict(
    load_dtd=False, resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True, collect_ids=False
)
_RECORD_PARSER = etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[arg-type]
_CHUNK = 1 << 20
_PROLOG = re.compile(rb"\s*(?:<\?xml[^>]*\?>)?\s*(?:<!DOCTYPE\s[^>\[]*>)?\s*<(\w+)[^>]*>", re.S)
_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([\w.-]+)")
_TOP = re.compile(rb"\s*(<(/?)(\w+))")


class _Fallback(Exception):
    """The fast path met something it does not handle; the reference reader takes over."""


def _framed_records(stream: BinaryIO, source: str, done: list[int]) -> Iterator[Document | Deletion]:
    """Fast path for the standard layout of PubMed files: cut the byte stream into top-level
    records at their end tags and parse a run of them (about 64 KB) with one ``fromstring``.

    Noticeably faster than ``iterparse`` (no per-element event machinery), and batching
    saves libxml2's per-document setup and teardown while staying cache-sized.  Anything
    unusual (another encoding, an internal DTD subset, comments or unknown elements
    between records, a record that does not parse, a truncated file) raises
    :class:`_Fallback`, and the caller re-reads the file with :func:`_records`, which
    gives the authoritative result or error.  ``done[0]`` counts the items yielded.
    """
    buf = stream.read(_CHUNK)
    m = _PROLOG.match(buf)
    enc = _ENCODING.match(buf.lstrip())
    if not m or m.group(1).decode() not in _ROOT_TAGS or (enc and enc.group(1).lower() not in (b"utf-8", b"utf8")):
        raise _Fallback
    root_end = b"</" + m.group(1) + b">"
    pos = m.end()
    eof = False
    batch_start = batch_n = 0  # the pending records: buf[batch_start:pos], batch_n of them
    while True:
        if len(buf) - pos < _LOOKAHEAD and not eof:
            if batch_n:
                yield from _parse_batch(buf[batch_start:pos], batch_n, source, done)
                batch_n = 0
            more = stream.read(_CHUNK)
            eof = not more
            buf, pos = buf[pos:] + more, 0
        top = _TOP.match(buf, pos)
        if top is None:
            raise _Fallback  # end of data, text or a comment between records
        start, closing, name = top.start(1), top.group(2), top.group(3)
        if closing:
            if batch_n:
                yield from _parse_batch(buf[batch_start:pos], batch_n, source, done)
                batch_n = 0
            if buf[start : start + len(root_end)] != root_end:
                raise _Fallback
            tail = buf[start + len(root_end) :]
            while True:
                if tail.strip():
                    raise _Fallback  # something after the root element
                tail = stream.read(_CHUNK)
                if not tail:
                    return
        if name.decode() not in _TOP_RECORDS:
            raise _Fallback
        end_tag = b"</" + name + b">"
        end = buf.find(end_tag, start)
        if end < 0 and batch_n:  # buf is about to be rebuilt: parse what is pending first
            yield from _parse_batch(buf[batch_start:pos], batch_n, source, done)
            batch_n = 0
        while end < 0:
            more = stream.read(_CHUNK)
            if not more:
                raise _Fallback  # truncated inside a record
            buf, start = buf[start:] + more, 0
            end = buf.find(end_tag)
        pos = end + len(end_tag)
        if not batch_n:
            batch_start = start
        batch_n += 1
        if pos - batch_start >= _BATCH:
            yield from _parse_batch(buf[batch_start:pos], batch_n, source, done)
            batch_n = 0


def _parse_batch(data: bytes, n: int, source: str, done: list[int]) -> Iterator[Document | Deletion]:
    """The items of ``n`` consecutive framed records (only whitespace between them)."""
    try:
        root = etree.fromstring(b"<batch>" + data + b"</batch>", _RECORD_PARSER)
    except etree.XMLSyntaxError:
        raise _Fallback from None
    if len(root) != n:
        raise _Fallback  # the records did not parse as framed (e.g. an end tag inside CDATA)
    try:
        for elem in root:
            for item in _convert(elem, source):
                done[0] += 1
                yield item
    except InputFileError:
        raise _Fallback from None  # the reference reader reports it with the file's line number


_BATCH = 1 << 16
_LOOKAHEAD = 4096
_ROOT_TAGS = frozenset(("PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet"))
_TOP_RECORDS = frozenset(("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation"))


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
    done = [0]
    if source.seekable():  # fast path, with a re-read from the same start if it gives up
        start = source.tell()
        try:
            yield from _framed_records(source, str(name), done)
            return
        except _Fallback:
            source.seek(start)
    try:
        for n, item in enumerate(_records(source, str(name))):
            if n >= done[0]:
                yield item
    except etree.XMLSyntaxError as exc:
        raise InputFileError(name, f"malformed XML: {_short(exc.msg)}", _xml_position(exc)) from exc
    except EOFError as exc:
        raise InputFileError(name, f"file is truncated ({exc})") from exc


def parse_opened(
    infile: InputFile, source_name: str, options: ReadOptions | None = None
) -> Iterator[Document | Deletion]:
    """Parse an opened :class:`InputFile`; errors name the file path (PubMed XML has no annotations: no options).

    The fast framed reader runs first; if it meets anything unusual, the file is re-read
    with the iterparse reader, skipping the items already produced.
    """
    done = [0]
    try:
        with damage_as_input_error(infile):
            yield from _framed_records(infile.stream, source_name, done)
        return
    except _Fallback:
        pass
    with infile.reopen() as again:
        yield from _reference(again, source_name, skip=done[0])


def _reference(infile: InputFile, source_name: str, skip: int = 0) -> Iterator[Document | Deletion]:
    try:
        with damage_as_input_error(infile):
            for n, item in enumerate(_records(infile.stream, source_name)):
                if n >= skip:
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
