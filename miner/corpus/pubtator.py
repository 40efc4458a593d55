"""Parser for PubTator files (BC5CDR, BioRED, PubTator exports).

``PMID|t|title`` and ``PMID|a|abstract`` lines, then tab-separated entity lines
``PMID start end mention type id``; relation lines (``PMID REL id1 id2 ...``, a word in
the second column) are skipped.  PubTator offsets count into ``title + " " + abstract``,
which has the same length as :attr:`Document.text` (``title + "\\n" + abstract``), so they
are kept as is, once each mention is checked against the text at its offsets: an
annotation that does not match would point later stages at the wrong words.  A document
needs both its title and abstract lines; one without them was cut short.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from miner.corpus.document import Document, doc_id_for, parse_pmid
from miner.corpus.fileio import InputFile, Lines, ReadOptions, read_text_opened, read_text_source
from miner.errors import InputFileError

_TEXT_LINE = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")
_OFFSET = re.compile(r"[0-9]{1,9}")
#: The second column of a relation line: its type (CID, Association, Positive_Correlation...).
_RELATION = re.compile(r"[A-Za-z][A-Za-z_-]*")


class _Builder:
    """One document being read: its text lines and its annotations with their line numbers."""

    def __init__(self, raw_id: str, line: int, path: object) -> None:
        doc_id = doc_id_for(raw_id)
        if doc_id is None:
            raise InputFileError(
                path, f"document id {raw_id[:40]!r} is neither a PMID nor a name of ASCII letters, digits "
                "and . _ : / + -", f"line {line}",
            )
        self.doc_id = doc_id
        self.raw_id = raw_id
        self.line = line
        self.title: str | None = None
        self.abstract: str | None = None
        self.annotations: list[tuple[int, dict[str, Any]]] = []

    def document(self, source: str, path: object, options: ReadOptions) -> Document:
        for kind, value in (("title", self.title), ("abstract", self.abstract)):
            if value is None:
                raise InputFileError(
                    path, f"document {self.raw_id} has no {kind} line ({self.raw_id}|{kind[0]}|...): "
                    "the file looks truncated or the document is damaged", f"line {self.line}",
                )
        title, abstract = self.title or "", self.abstract or ""
        pubtator_text = f"{title} {abstract}"
        # With an empty title PubTator still counts the separating space; our text has none.
        shift = 1 if not title and abstract else 0
        kept = []
        for lineno, ann in self.annotations:
            start, end, mention = ann["start"], ann["end"], ann["text"]
            found = pubtator_text[start:end]
            if start >= end or found != mention:
                options.bad_annotation(
                    path, f"line {lineno}",
                    f"annotation {mention[:60]!r} at offsets {start}-{end} does not match the text there "
                    f"({found[:60]!r})",
                )
                continue
            kept.append({**ann, "start": start - shift, "end": end - shift})
        return Document(
            doc_id=self.doc_id,
            pmid=parse_pmid(self.raw_id) or "",
            title=title,
            abstract=abstract,
            annotations=kept,
            source=source,
        )


def _records(lines: Lines, source: str, path: object, options: ReadOptions) -> Iterator[Document]:
    current: _Builder | None = None
    for lineno, line in lines:
        if not line.strip():
            if current is not None:
                yield current.document(source, path, options)
                current = None
            continue
        m = _TEXT_LINE.match(line)
        if m:
            raw_id, kind, text = m.groups()
            if current is not None and current.raw_id != raw_id:
                yield current.document(source, path, options)
                current = None
            if current is None:
                current = _Builder(raw_id, lineno, path)
            if kind == "t":
                current.title = text
            else:
                current.abstract = text
            continue
        cols = line.split("\t")
        if current is None or cols[0] != current.raw_id:
            raise InputFileError(path, f"PubTator line outside its document: {line[:60]!r}", f"line {lineno}")
        if len(cols) >= 5 and _OFFSET.fullmatch(cols[1]) and _OFFSET.fullmatch(cols[2]):
            current.annotations.append((lineno, {
                "start": int(cols[1]),
                "end": int(cols[2]),
                "text": cols[3],
                "type": cols[4],
                "id": cols[5] if len(cols) > 5 else "",
            }))
        elif len(cols) >= 4 and _RELATION.fullmatch(cols[1]):
            continue  # a relation line: document-level, not an entity annotation
        else:
            raise InputFileError(
                path, f"not a PubTator annotation line (offsets must be whole numbers): {line[:60]!r}", f"line {lineno}"
            )
    if current is not None:
        yield current.document(source, path, options)


def parse_opened(infile: InputFile, source_name: str, options: ReadOptions | None = None) -> Iterator[Document]:
    """Documents of an opened input file (see :func:`miner.corpus.fileio.open_input`)."""
    return read_text_opened(infile, source_name, _records, options)


def parse_pubtator(
    source: BinaryIO | str | Path, source_name: str = "", options: ReadOptions | None = None
) -> Iterator[Document]:
    """Documents from a PubTator file (path, gzip allowed) or binary stream."""
    return read_text_source(source, source_name, _records, options)
