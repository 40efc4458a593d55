"""Parser for PubTator files (BC5CDR, BioRED, PubTator exports).

``PMID|t|title`` and ``PMID|a|abstract`` lines, then tab-separated entity lines
``PMID start end mention type id``; relation lines (``PMID REL id1 id2 ...``) are
skipped.  PubTator offsets count into ``title + " " + abstract``, which has the same
length as :attr:`Document.text` (``title + "\\n" + abstract``), so they are kept as is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

from miner.corpus.document import Document, pmid_doc_id
from miner.corpus.fileio import InputFile, read_text_opened, read_text_source
from miner.errors import InputFileError

_TEXT_LINE = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")


def doc_id_for(raw_id: str) -> str:
    """PubMed ids become ``pmid:N``; anything else is a named text."""
    raw_id = raw_id.strip()
    return pmid_doc_id(raw_id) if raw_id.isdigit() else f"text:{raw_id}"


class _Builder:
    def __init__(self, raw_id: str, line: int) -> None:
        self.raw_id = raw_id
        self.line = line
        self.title = ""
        self.abstract = ""
        self.annotations: list[dict] = []

    def document(self, source: str) -> Document:
        # With an empty title PubTator still counts the separating space; our text has none.
        shift = 1 if not self.title and self.abstract else 0
        for ann in self.annotations:
            ann["start"] -= shift
            ann["end"] -= shift
        pmid = self.raw_id.strip().lstrip("0") if self.raw_id.strip().isdigit() else ""
        return Document(
            doc_id=doc_id_for(self.raw_id),
            pmid=pmid,
            title=self.title,
            abstract=self.abstract,
            annotations=self.annotations,
            source=source,
        )


def _records(lines: TextIO, source: str, path: object) -> Iterator[Document]:
    current: _Builder | None = None
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if current is not None:
                yield current.document(source)
                current = None
            continue
        m = _TEXT_LINE.match(line)
        if m:
            raw_id, kind, text = m.groups()
            if current is not None and current.raw_id != raw_id:
                yield current.document(source)
                current = None
            if current is None:
                current = _Builder(raw_id, lineno)
            if kind == "t":
                current.title = text
            else:
                current.abstract = text
            continue
        cols = line.split("\t")
        if current is None or cols[0] != current.raw_id:
            raise InputFileError(path, f"PubTator line outside its document: {line[:60]!r}", f"line {lineno}")
        if len(cols) >= 5 and cols[1].isdigit() and cols[2].isdigit():
            current.annotations.append(
                {
                    "start": int(cols[1]),
                    "end": int(cols[2]),
                    "text": cols[3],
                    "type": cols[4],
                    "id": cols[5] if len(cols) > 5 else "",
                }
            )
        elif len(cols) >= 4 and not cols[1].isdigit():
            continue  # a relation line: document-level, not an entity annotation
        else:
            raise InputFileError(path, f"not a PubTator annotation line: {line[:60]!r}", f"line {lineno}")
    if current is not None:
        yield current.document(source)


def parse_opened(infile: InputFile, source_name: str) -> Iterator[Document]:
    """Documents of an opened input file (see :func:`miner.corpus.fileio.open_input`)."""
    return read_text_opened(infile, source_name, _records)


def parse_pubtator(source: BinaryIO | str | Path, source_name: str = "") -> Iterator[Document]:
    """Documents from a PubTator file (path, gzip allowed) or binary stream."""
    return read_text_source(source, source_name, _records)
