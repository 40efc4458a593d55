"""Readers for BioC XML and BioC JSON collections (PubTator Central, DrugProt, BioRED...).

A BioC document is a list of passages with absolute offsets.  We map it onto
:class:`Document`: the first passage typed ``title``/``front`` becomes the title and the
other passages, joined by newlines, the abstract; a single untyped passage of the form
``title<TAB>abstract`` (DrugProt) is split at the tab.  Entity annotations are
re-based onto :attr:`Document.text`, so ``text[start:end]`` is the mention.

BioC XML is streamed with lxml ``iterparse`` (one document in memory at a time); BioC
JSON has no streaming form in the standard library and is read whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from lxml import etree

from miner.corpus.document import Document
from miner.corpus.fileio import InputFile, damage_as_input_error, open_input
from miner.corpus.pubtator import doc_id_for
from miner.errors import InputFileError

_TITLE_TYPES = {"title", "front", "title_1"}


@dataclass
class Passage:
    """One BioC passage: absolute offset, type infon, text and its annotations (absolute offsets)."""

    offset: int
    type: str
    text: str
    annotations: list[dict[str, Any]] = field(default_factory=list)


def assemble(raw_id: str, passages: list[Passage], source: str) -> Document:
    """Build a Document from BioC passages, re-basing annotation offsets onto ``Document.text``."""
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
        doc = Document(doc_id=doc_id_for(raw_id), title=title, abstract=abstract, source=source)
        doc.pmid = raw_id.strip().lstrip("0") if raw_id.strip().isdigit() else ""
        doc.annotations = _rebase([(only, 0)])
        return doc
    parts = []
    cursor = len(title) + 1 if title else 0
    for passage in body:
        if not passage.text:
            continue
        pieces.append((passage, cursor))
        parts.append(passage.text)
        cursor += len(passage.text) + 1
    doc = Document(doc_id=doc_id_for(raw_id), title=title, abstract="\n".join(parts), source=source)
    doc.pmid = raw_id.strip().lstrip("0") if raw_id.strip().isdigit() else ""
    doc.annotations = _rebase(pieces)
    return doc


def _rebase(pieces: list[tuple[Passage, int]]) -> list[dict[str, Any]]:
    out = []
    for passage, start_in_text in pieces:
        for ann in passage.annotations:
            rel_start = ann["start"] - passage.offset
            rel_end = ann["end"] - passage.offset
            if rel_start < 0 or rel_end > len(passage.text):
                continue  # points outside its passage: cannot be placed
            out.append({**ann, "start": start_in_text + rel_start, "end": start_in_text + rel_end})
    out.sort(key=lambda a: (a["start"], a["end"]))
    return out


# -- XML -------------------------------------------------------------------------------------


def _infons(elem: etree._Element) -> dict[str, str]:
    return {i.get("key", ""): (i.text or "") for i in elem.iterfind("infon")}


def _xml_annotation(ann: etree._Element) -> dict[str, Any] | None:
    locations = [(int(loc.get("offset", "0")), int(loc.get("length", "0"))) for loc in ann.iterfind("location")]
    if not locations:
        return None
    infons = _infons(ann)
    start = min(o for o, _ in locations)
    end = max(o + n for o, n in locations)
    ident = infons.get("identifier") or infons.get("Identifier") or infons.get("MESH") or infons.get("NCBI Gene") or ""
    return {"start": start, "end": end, "text": ann.findtext("text") or "", "type": infons.get("type", ""), "id": ident}


def _xml_passage(elem: etree._Element) -> Passage:
    offset = int((elem.findtext("offset") or "0").strip())
    text = elem.findtext("text")
    anns = [a for a in (_xml_annotation(x) for x in elem.iterfind("annotation")) if a]
    sentences = elem.findall("sentence")
    for sent in sentences:
        anns.extend(a for a in (_xml_annotation(x) for x in sent.iterfind("annotation")) if a)
    if text is None and sentences:
        # Sentence-level BioC: rebuild the passage text, placing sentences at their offsets.
        buf: list[str] = []
        for sent in sentences:
            s_off = int((sent.findtext("offset") or "0").strip()) - offset
            s_text = sent.findtext("text") or ""
            length = sum(len(b) for b in buf)
            if s_off > length:
                buf.append(" " * (s_off - length))
            buf.append(s_text)
        text = "".join(buf)
    return Passage(offset=offset, type=_infons(elem).get("type", ""), text=text or "", annotations=anns)


def _xml_records(stream: BinaryIO, source: str) -> Iterator[Document]:
    context = etree.iterparse(
        stream, events=("end",), tag="document", load_dtd=False, resolve_entities=False, no_network=True, huge_tree=True
    )
    for _event, elem in context:
        raw_id = (elem.findtext("id") or "").strip()
        if not raw_id:
            raise InputFileError(source, "BioC document without <id>", f"line {elem.sourceline}")
        yield assemble(raw_id, [_xml_passage(p) for p in elem.iterfind("passage")], source)
        parent = elem.getparent()
        elem.clear(keep_tail=False)
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]


def parse_opened_xml(infile: InputFile, source_name: str) -> Iterator[Document]:
    """Documents of an opened BioC XML file."""
    try:
        with damage_as_input_error(infile):
            yield from _xml_records(infile.stream, source_name)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        msg = (exc.msg or "").rsplit(", line", 1)[0]
        raise InputFileError(infile.path, f"malformed XML: {msg}", f"line {line}, column {column}") from exc
    except InputFileError as exc:
        if exc.path == source_name:
            raise InputFileError(infile.path, exc.reason, exc.position) from exc
        raise


# -- JSON ------------------------------------------------------------------------------------


def _json_documents(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _json_documents(item)
    elif isinstance(data, dict):
        if "documents" in data:
            yield from _json_documents(data["documents"])
        elif "passages" in data:
            yield data


def _json_passage(p: dict[str, Any]) -> Passage:
    anns = []
    sources = list(p.get("annotations") or [])
    for sent in p.get("sentences") or []:
        sources.extend(sent.get("annotations") or [])
    for a in sources:
        locs = a.get("locations") or []
        if not locs:
            continue
        infons = a.get("infons") or {}
        start = min(int(loc["offset"]) for loc in locs)
        end = max(int(loc["offset"]) + int(loc["length"]) for loc in locs)
        ident = infons.get("identifier") or infons.get("Identifier") or infons.get("MESH") or ""
        anns.append({"start": start, "end": end, "text": a.get("text", ""), "type": infons.get("type", ""), "id": str(ident)})
    return Passage(
        offset=int(p.get("offset", 0)),
        type=str((p.get("infons") or {}).get("type", "")),
        text=p.get("text") or "",
        annotations=anns,
    )


def parse_opened_json(infile: InputFile, source_name: str) -> Iterator[Document]:
    """Documents of an opened BioC JSON file (read whole: JSON does not stream)."""
    with damage_as_input_error(infile):
        raw = infile.stream.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputFileError(infile.path, f"not valid UTF-8 ({exc.reason})", f"byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(infile.path, f"malformed JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}") from exc
    for i, doc in enumerate(_json_documents(data)):
        raw_id = str(doc.get("id", "")).strip()
        if not raw_id:
            raise InputFileError(infile.path, "BioC document without an id", f"document {i + 1}")
        try:
            passages = [_json_passage(p) for p in doc.get("passages") or []]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(infile.path, f"bad BioC passage ({exc})", f"document {raw_id}") from exc
        yield assemble(raw_id, passages, source_name)


def parse_bioc(source: str | Path, source_name: str = "") -> Iterator[Document]:
    """Documents from a BioC XML or JSON file (format sniffed from content; gzip allowed)."""
    from miner.corpus.detect import detect_format

    fmt = detect_format(source)
    if fmt not in ("bioc_xml", "bioc_json"):
        raise InputFileError(source, f"not a BioC file (looks like {fmt})")
    reader = parse_opened_xml if fmt == "bioc_xml" else parse_opened_json
    with open_input(source) as infile:
        yield from reader(infile, source_name or Path(source).name)


