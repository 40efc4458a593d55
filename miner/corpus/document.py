"""The corpus document: one PubMed record or one added text, in a format-neutral shape.

Every importer (PubMed XML, MEDLINE text, PubTator, BioC) produces :class:`Document`
objects, and every later stage reads :attr:`Document.text`, the string that finding
offsets refer to.  Keeping this single shape is what lets the store compare records
from different sources by :meth:`Document.content_hash`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Fields that make up a record's content: a change in any of them is a real update.
#: Source, version, revision date and timestamps are bookkeeping and stay out of the hash.
CONTENT_FIELDS = (
    "doc_id",
    "title",
    "abstract",
    "pmid",
    "journal",
    "pub_date",
    "pub_year",
    "authors",
    "doi",
    "pmcid",
    "publication_types",
    "mesh_headings",
    "chemicals",
    "keywords",
    "language",
    "vernacular_title",
    "annotations",
)


@dataclass
class Document:
    """One corpus document (``pmid:12345`` for PubMed records, ``text:<name>`` for added texts)."""

    doc_id: str
    title: str = ""
    #: Structured abstracts keep their labels, one section per line: "BACKGROUND: ...\nMETHODS: ...".
    abstract: str = ""
    pmid: str = ""
    journal: str = ""
    #: As precise as the record says: "2016-03-05", "2016-03" or "2016".
    pub_date: str = ""
    pub_year: int | None = None
    authors: list[str] = field(default_factory=list)
    doi: str = ""
    pmcid: str = ""
    publication_types: list[str] = field(default_factory=list)
    mesh_headings: list[str] = field(default_factory=list)
    chemicals: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    #: "eutils" or the name of the imported file.
    source: str = ""
    #: PubMed record version (the PMID ``Version`` attribute).
    version: int = 1
    #: Entity annotations shipped with the record (PubTator/BioC): {start, end, text, type, id},
    #: offsets into :attr:`text`.
    annotations: list[dict[str, Any]] = field(default_factory=list)
    #: Original-language title of a translated article (its English title is in ``title``).
    vernacular_title: str = ""
    #: MEDLINE DateRevised ("2017-11-16"): orders two records of the same version.
    date_revised: str = ""

    @property
    def has_abstract(self) -> bool:
        return bool(self.abstract.strip())

    @property
    def text(self) -> str:
        """The text later stages read: title + newline + abstract (offsets refer to it).

        Added texts have an empty title and their whole file content in ``abstract``,
        so ``text`` is exactly the file content.
        """
        if not self.title:
            return self.abstract
        if not self.abstract:
            return self.title
        return self.title + "\n" + self.abstract

    @property
    def display_title(self) -> str:
        """A title for humans: the title, else the first non-empty line of the text."""
        if self.title:
            return self.title
        for line in self.abstract.splitlines():
            if line.strip():
                return line.strip()[:200]
        return ""

    def content_hash(self) -> str:
        """SHA-1 over the content fields, so an identical re-import is recognised as unchanged."""
        data = {name: getattr(self, name) for name in CONTENT_FIELDS}
        blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Deletion:
    """A ``<DeleteCitation>`` entry of a PubMed update file: the record must be marked deleted."""

    doc_id: str


def pmid_doc_id(pmid: str) -> str:
    """The doc_id of a PubMed record (leading zeros dropped so ids compare equal)."""
    pmid = pmid.strip()
    return "pmid:" + (pmid.lstrip("0") or "0")


#: A PMID as PubMed writes it: ASCII digits (``str.isdigit`` also accepts "¹" or fullwidth digits).
_PMID = re.compile(r"[0-9]{1,12}")
#: The id of a document that is not a PubMed record (``text:<id>``): printable ASCII, no spaces.
_NAMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,199}")
#: Highest PMID accepted (PubMed is at 40 million; this leaves room and keeps junk out).
MAX_PMID = 10**10


def parse_pmid(raw: str | None) -> str | None:
    """The PMID in ``raw`` without leading zeros, or None if it is not one (digits only, not 0)."""
    text = (raw or "").strip()
    if not _PMID.fullmatch(text) or not 0 < int(text) < MAX_PMID:
        return None
    return text.lstrip("0")


def doc_id_for(raw_id: str) -> str | None:
    """``pmid:N`` for a PMID, ``text:<id>`` for another plain ASCII id (PubTator/BioC), None for anything else."""
    raw_id = raw_id.strip()
    pmid = parse_pmid(raw_id)
    if pmid is not None:
        return pmid_doc_id(pmid)
    if _PMID.fullmatch(raw_id) or not _NAMED_ID.fullmatch(raw_id):
        return None  # 0, a PMID out of range, or an id with spaces, control or non-ASCII characters
    return f"text:{raw_id}"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (a NUL character, an unpaired surrogate), or None.

    NUL ends strings in much of what reads the store later, and lone surrogates (possible
    only from JSON escapes) cannot be encoded at all; both mean a damaged file.
    """
    nul = text.find("\x00")
    if nul >= 0:
        return f"NUL character (U+0000) at character {nul + 1}"
    if text.isascii():  # constant time in CPython: most fields need no encoding test
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"unpaired surrogate U+{ord(text[exc.start]):04X} at character {exc.start + 1}"
    return None


def document_problem(doc: Document) -> str | None:
    """Why ``doc`` cannot be stored as it is (damaged text, annotations outside the text), or None.

    The last check before a record reaches the store, whatever format it came from.
    """
    for name in CONTENT_FIELDS:
        value = getattr(doc, name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str):
                problem = text_problem(item)
                if problem:
                    return f"{name.replace('_', ' ')}: {problem}"
    size = len(doc.text)
    for ann in doc.annotations:
        start, end = ann.get("start"), ann.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= size):
            return (f"annotation {str(ann.get('text', ''))[:40]!r} at {start}-{end} lies outside the text "
                    f"({size} characters)")
        for value in ann.values():
            problem = text_problem(value) if isinstance(value, str) else None
            if problem:
                return f"annotation {str(ann.get('text', ''))[:40]!r}: {problem}"
    return None
