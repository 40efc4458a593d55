"""Format sniffing from file content (extensions lie: ``.txt`` may be MEDLINE or PubTator).

Reads the first few kilobytes (decompressed if gzip) and recognises PubMed XML, BioC
XML/JSON, MEDLINE text and PubTator, in UTF-8 or UTF-16 (which XML declares and which
Windows tools write: its zero bytes are not "binary data").  Anything else is rejected
with a message that says what the file looked like.
"""

from __future__ import annotations

import re
from pathlib import Path

from miner.corpus.fileio import head_bytes, utf16_codec
from miner.errors import InputFileError

FORMATS = ("pubmed_xml", "bioc_xml", "bioc_json", "medline", "pubtator")
#: Root elements of PubMed XML (efetch, baseline/update files, old MEDLINE sets, books).
PUBMED_ROOTS = {"PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet", "PubmedArticle", "MedlineCitation"}
BIOC_ROOTS = {"collection"}

_XML_PROLOG = re.compile(rb"^(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_DOCTYPE = re.compile(rb"^<!DOCTYPE\s+([\w:.-]+)", re.S)
_ROOT = re.compile(rb"^<([\w:.-]+)")
_PUBTATOR = re.compile(r"^[^|\t\s]+\|[ta]\|")
_MEDLINE = re.compile(r"^PMID- ?\d+")


def _xml_root(head: bytes) -> str | None:
    rest = head[_XML_PROLOG.match(head).end() :]  # type: ignore[union-attr]
    m = _DOCTYPE.match(rest)
    if m:
        return m.group(1).decode("ascii", "replace")
    m = _ROOT.match(rest)
    return m.group(1).decode("ascii", "replace") if m else None


def as_utf8(head: bytes) -> bytes:
    """``head`` re-encoded as UTF-8 if it is UTF-16 text (see :func:`miner.corpus.fileio.utf16_codec`)."""
    codec = utf16_codec(head)
    return head.decode(codec, "ignore").encode("utf-8") if codec else head


def sniff(head: bytes) -> str | None:
    """The format of content starting with ``head``, or None if unrecognised."""
    head = as_utf8(head)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    stripped = head.lstrip()
    if stripped.startswith(b"<"):
        root = _xml_root(stripped)
        if root in PUBMED_ROOTS:
            return "pubmed_xml"
        if root in BIOC_ROOTS:
            return "bioc_xml"
        return None
    if stripped[:1] in (b"{", b"["):
        return "bioc_json" if (b'"passages"' in head or b'"documents"' in head) else None
    text = stripped.decode("utf-8", "replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    if _MEDLINE.match(first):
        return "medline"
    if _PUBTATOR.match(first):
        return "pubtator"
    return None


def describe(head: bytes) -> str:
    """A short human description of unrecognised content, for the error message."""
    head = as_utf8(head)
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        return "the file is empty"
    if b"\x00" in head:
        return "binary data (an archive? extract it first)"
    if stripped.startswith(b"<"):
        root = _xml_root(stripped)
        return f"XML with root <{root}>, not PubMed or BioC XML" if root else "XML without a root element"
    first = stripped.split(b"\n", 1)[0][:60].decode("utf-8", "replace")
    return f"unrecognised content starting {first!r}"


class UnknownFormatError(InputFileError):
    """The file is readable but is none of the corpus formats (a README, an esearch reply...)."""


def detect_format(path: str | Path) -> str:
    """One of :data:`FORMATS` for the file at ``path`` (gzip transparent); InputFileError otherwise."""
    head = head_bytes(path)
    fmt = sniff(head)
    if fmt is None:
        raise UnknownFormatError(
            path,
            f"unknown format: {describe(head)} (expected PubMed XML, MEDLINE text, PubTator or BioC XML/JSON)",
        )
    return fmt
