"""Readers for BioC XML and BioC JSON collections (PubTator Central, DrugProt, BioRED...).

A BioC document is a list of passages with absolute offsets.  We map it onto
:class:`Document`: the first passage typed ``title``/``front`` becomes the title and the
other passages, joined by newlines, the abstract; a single untyped passage of the form
``title<TAB>abstract`` (DrugProt) is split at the tab.  Entity annotations are
re-based onto :attr:`Document.text`, so ``text[start:end]`` is the mention; one that lies
outside its passage or (with a single location) does not match the text there is an
error, or with ``--lenient`` dropped and counted.

BioC XML is streamed with lxml ``iterparse`` (one document in memory at a time); BioC
JSON has no streaming form in the standard library and is read whole, then checked
shape by shape (a number where a string belongs, ``1e309``, nesting too deep), so that a
hostile file is a message naming the document, never a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from lxml import etree

from miner.corpus.document import Document, doc_id_for, parse_pmid
from miner.corpus.fileio import InputFile, ReadOptions, damage_as_input_error, open_input
from miner.errors import InputFileError

_TITLE_TYPES = {"title", "front", "title_1"}
_WHOLE = re.compile(r"[0-9]{1,12}")


@dataclass
class Annotation:
    """One BioC annotation before re-basing: absolute offsets, and where it is in the file (for messages)."""

    start: int
    end: int
    text: str
    type: str
    id: str
    #: One location: ``text`` must be the passage text between start and end.
    contiguous: bool
    where: str


@dataclass
class Passage:
    """One BioC passage: absolute offset, type infon, text and its annotations (absolute offsets)."""

    offset: int
    type: str
    text: str
    annotations: list[Annotation] = field(default_factory=list)


class _Bad(ValueError):
    """A value of the wrong shape; the caller adds the file and the place."""


def assemble(raw_id: str, passages: list[Passage], source: str, where: str = "",
             options: ReadOptions | None = None, path: object = None) -> Document:
    """Build a Document from BioC passages, re-basing annotation offsets onto ``Document.text``.

    ``source`` is stored as the document's source; messages name ``path`` (default: ``source``)
    and ``where`` the document in it.
    """
    options = options or ReadOptions()
    path = path if path is not None else source
    doc_id = doc_id_for(raw_id)
    if doc_id is None:
        raise InputFileError(
            path, f"document id {raw_id[:40]!r} is neither a PMID nor a name of ASCII letters, digits and "
            ". _ : / + -", where or None,
        )
    title = ""
    pieces: list[tuple[Passage, int]] = []  # (passage, where its text starts in Document.text)
    body: list[Passage] = list(passages)
    if body and body[0].type.lower() in _TITLE_TYPES:
        title = body.pop(0).text
        pieces.append((passages[0], 0))
    elif len(body) == 1 and not body[0].type and "\t" in body[0].text:
        # DrugProt style: "title<TAB>abstract" in one passage; the tab becomes our newline.
        only = body.pop()
        title, abstract = only.text.split("\t", 1)
        doc = Document(doc_id=doc_id, title=title, abstract=abstract, source=source, pmid=parse_pmid(raw_id) or "")
        doc.annotations = _rebase([(only, 0)], path, options)
        return doc
    parts = []
    cursor = len(title) + 1 if title else 0
    for passage in body:
        if not passage.text:
            continue
        pieces.append((passage, cursor))
        parts.append(passage.text)
        cursor += len(passage.text) + 1
    doc = Document(doc_id=doc_id, title=title, abstract="\n".join(parts), source=source, pmid=parse_pmid(raw_id) or "")
    doc.annotations = _rebase(pieces, path, options)
    return doc


def _rebase(pieces: list[tuple[Passage, int]], path: object, options: ReadOptions) -> list[dict[str, Any]]:
    out = []
    for passage, start_in_text in pieces:
        for ann in passage.annotations:
            rel_start = ann.start - passage.offset
            rel_end = ann.end - passage.offset
            if rel_start < 0 or rel_end > len(passage.text) or rel_start >= rel_end:
                options.bad_annotation(
                    path, ann.where, f"annotation {ann.text[:60]!r} at {ann.start}-{ann.end} lies outside its "
                    f"passage ({passage.offset}-{passage.offset + len(passage.text)})",
                )
                continue
            found = passage.text[rel_start:rel_end]
            if ann.contiguous and ann.text and found != ann.text:
                options.bad_annotation(
                    path, ann.where, f"annotation {ann.text[:60]!r} at {ann.start}-{ann.end} does not match "
                    f"the text there ({found[:60]!r})",
                )
                continue
            out.append({"start": start_in_text + rel_start, "end": start_in_text + rel_end, "text": ann.text,
                        "type": ann.type, "id": ann.id})
    out.sort(key=lambda a: (a["start"], a["end"]))
    return out


def _whole(value: Any, what: str) -> int:
    """A non-negative whole number from XML text or JSON (a JSON float, bool or ``1e309`` is not one)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    raise _Bad(f"{what} {str(value)[:40]!r} is not a whole number")


def _identifier(infons: dict[str, Any]) -> str:
    for key in ("identifier", "Identifier", "MESH", "NCBI Gene"):
        if infons.get(key):
            return str(infons[key])
    return ""


# -- XML -------------------------------------------------------------------------------------


def _infons(elem: etree._Element) -> dict[str, str]:
    return {i.get("key", ""): (i.text or "") for i in elem.iterfind("infon")}


def _xml_annotation(ann: etree._Element) -> Annotation | None:
    locations = [(_whole(loc.get("offset", "0"), "location offset"), _whole(loc.get("length", "0"), "location length"))
                 for loc in ann.iterfind("location")]
    if not locations:
        return None
    infons = _infons(ann)
    return Annotation(
        start=min(o for o, _ in locations), end=max(o + n for o, n in locations), text=ann.findtext("text") or "",
        type=infons.get("type", ""), id=_identifier(infons), contiguous=len(locations) == 1,
        where=f"line {ann.sourceline}",
    )


def _xml_passage(elem: etree._Element) -> Passage:
    offset = _whole(elem.findtext("offset") or "0", "passage offset")
    text = elem.findtext("text")
    anns = [a for a in (_xml_annotation(x) for x in elem.iterfind("annotation")) if a]
    sentences = elem.findall("sentence")
    for sent in sentences:
        anns.extend(a for a in (_xml_annotation(x) for x in sent.iterfind("annotation")) if a)
    if text is None and sentences:
        # Sentence-level BioC: rebuild the passage text, placing sentences at their offsets.
        buf: list[str] = []
        for sent in sentences:
            s_off = _whole(sent.findtext("offset") or "0", "sentence offset") - offset
            s_text = sent.findtext("text") or ""
            length = sum(len(b) for b in buf)
            if s_off > length:
                buf.append(" " * (s_off - length))
            buf.append(s_text)
        text = "".join(buf)
    return Passage(offset=offset, type=_infons(elem).get("type", ""), text=text or "", annotations=anns)


def _xml_records(stream: BinaryIO, source: str, options: ReadOptions, path: object) -> Iterator[Document]:
    context = etree.iterparse(
        stream, events=("end",), tag="document", load_dtd=False, resolve_entities=False, no_network=True, huge_tree=True
    )
    for _event, elem in context:
        where = f"line {elem.sourceline}"
        raw_id = (elem.findtext("id") or "").strip()
        if not raw_id:
            raise InputFileError(path, "BioC document without <id>", where)
        try:
            passages = [_xml_passage(p) for p in elem.iterfind("passage")]
        except _Bad as exc:
            raise InputFileError(path, f"document {raw_id[:40]}: {exc}", where) from None
        yield assemble(raw_id, passages, source, where, options, path)
        parent = elem.getparent()
        elem.clear(keep_tail=False)
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]


def parse_opened_xml(infile: InputFile, source_name: str, options: ReadOptions | None = None) -> Iterator[Document]:
    """Documents of an opened BioC XML file."""
    try:
        with damage_as_input_error(infile):
            yield from _xml_records(infile.stream, source_name, options or ReadOptions(), infile.path)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        msg = (exc.msg or "").rsplit(", line", 1)[0]
        raise InputFileError(infile.path, f"malformed XML: {msg}", f"line {line}, column {column}") from exc


# -- JSON ------------------------------------------------------------------------------------


def _json_documents(data: Any) -> Iterator[dict[str, Any]]:
    """The document objects of a collection, a list of collections or a bare document (any nesting of lists)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if "documents" in item:
                stack.append(item["documents"])
            elif "passages" in item:
                yield item


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(f"{what} is a {type(value).__name__}, not an object")
    return value


def _json_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"{what} is a {type(value).__name__}, not a list")
    return value


def _json_text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{what} is a {type(value).__name__}, not a string")
    return value


def _json_passage(p: Any, where: str) -> Passage:
    p = _json_object(p, "the passage")
    anns: list[Annotation] = []
    sources = list(_json_list(p.get("annotations"), "its annotations"))
    for sent in _json_list(p.get("sentences"), "its sentences"):
        sources.extend(_json_list(_json_object(sent, "a sentence").get("annotations"), "a sentence's annotations"))
    for k, raw in enumerate(sources, 1):
        a = _json_object(raw, f"annotation {k}")
        locations = [_json_object(loc, f"a location of annotation {k}")
                     for loc in _json_list(a.get("locations"), "locations")]
        if not locations:
            continue
        spans = [(_whole(loc.get("offset"), "location offset"), _whole(loc.get("length"), "location length"))
                 for loc in locations]
        infons = {str(key): val for key, val in _json_object(a.get("infons"), f"infons of annotation {k}").items()}
        anns.append(Annotation(
            start=min(o for o, _ in spans), end=max(o + n for o, n in spans),
            text=_json_text(a.get("text"), f"text of annotation {k}"), type=str(infons.get("type", "")),
            id=_identifier(infons), contiguous=len(spans) == 1, where=f"{where}, annotation {k}",
        ))
    infons = _json_object(p.get("infons"), "the passage infons")
    return Passage(
        offset=_whole(p.get("offset", 0), "passage offset"),
        type=str(infons.get("type", "")),
        text=_json_text(p.get("text"), "the passage text"),
        annotations=anns,
    )


def parse_opened_json(infile: InputFile, source_name: str, options: ReadOptions | None = None) -> Iterator[Document]:
    """Documents of an opened BioC JSON file (read whole: JSON does not stream; UTF-8, -16 or -32)."""
    options = options or ReadOptions()
    with damage_as_input_error(infile):
        raw = infile.stream.read()
    try:
        data = json.loads(raw)  # bytes: the encoding is detected as the JSON standard says
    except UnicodeDecodeError as exc:
        raise InputFileError(infile.path, f"not valid Unicode text ({exc.reason})", f"byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(infile.path, f"malformed JSON: {exc.msg}",
                             f"line {exc.lineno}, column {exc.colno}") from exc
    except RecursionError:
        raise InputFileError(infile.path, "JSON nested too deeply to be a BioC collection") from None
    for i, doc in enumerate(_json_documents(data), 1):
        ident = doc.get("id", "")
        if isinstance(ident, bool) or not isinstance(ident, (str, int)):
            raise InputFileError(infile.path, f"document id is a {type(ident).__name__}, not a string", f"document {i}")
        raw_id = str(ident).strip()
        if not raw_id:
            raise InputFileError(infile.path, "BioC document without an id", f"document {i}")
        passages = []
        try:
            for k, p in enumerate(_json_list(doc.get("passages"), "passages"), 1):
                passages.append(_json_passage(p, f"document {i} (id {raw_id[:40]}), passage {k}"))
        except _Bad as exc:
            raise InputFileError(infile.path, f"bad BioC passage: {exc}", f"document {i} (id {raw_id[:40]})") from None
        yield assemble(raw_id, passages, source_name, f"document {i}", options, infile.path)


def parse_bioc(source: str | Path, source_name: str = "", options: ReadOptions | None = None) -> Iterator[Document]:
    """Documents from a BioC XML or JSON file (format sniffed from content; gzip allowed)."""
    from miner.corpus.detect import detect_format

    fmt = detect_format(source)
    if fmt not in ("bioc_xml", "bioc_json"):
        raise InputFileError(source, f"not a BioC file (looks like {fmt})")
    reader = parse_opened_xml if fmt == "bioc_xml" else parse_opened_json
    with open_input(source) as infile:
        yield from reader(infile, source_name or Path(source).name, options)
