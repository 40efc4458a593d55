"""Where a text's own statements are, and the pieces it is parsed in: the body before the reference list, cut into
paragraphs (long ones at sentence ends).

Cited titles in a reference list are other papers' statements, not the text's own; PDF conversion of two-column
layouts may still put the last body paragraphs among the references, and those are kept.
"""

from __future__ import annotations

import re

#: Longest piece of text parsed at once (the reviews are processed paragraph by paragraph).
MAX_SEGMENT = 20_000
_PARAGRAPH = re.compile(r"\n\s*\n")
_SOFT_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_REFERENCES = re.compile(
    r"(?im)^[#*\s]*(?:references|bibliography|literature cited|works cited)[*\s:]*$"
)

#: A line holding only a reference number ("1.", "[1]"), as in reference lists extracted without a heading.
_REF_NUMBER_LINE = re.compile(r"(?m)^[ \t]*\[?(\d{1,3})[.\]][ \t]*$")
#: How far (characters) the next numbered entry of a reference list may be.
_REF_GAP = 3000


def _numbered_list_start(text: str) -> int | None:
    """Start of the first run of lines "1.", "2.", "3." (each within ``_REF_GAP`` of the previous), if any."""
    numbers = [(int(m.group(1)), m.start()) for m in _REF_NUMBER_LINE.finditer(text)]
    for i, (n, pos) in enumerate(numbers):
        if n != 1:
            continue
        expected, last = 2, pos
        for m, nxt in numbers[i + 1:]:
            if nxt - last > _REF_GAP:
                break
            if m == expected:
                expected, last = expected + 1, nxt
                if expected > 3:
                    return pos
    return None


def body_end(text: str) -> int:
    """Where the body of a full text ends: at a "References"/"Bibliography" heading line, else at a numbered
    reference list without a heading (lines "1.", "2.", "3." in a row), else the end.

    Cited titles are other papers' statements, not the text's own.
    """
    m = _REFERENCES.search(text)
    if m:
        return m.start()
    start = _numbered_list_start(text)
    return start if start is not None else len(text)


_REFERENCE_SHAPE = re.compile(
    r"^\s*(?:[-*]\s*)?\[?\d{1,3}[.\]]|\b(?i:doi)\b|\(\d{4}\)\s*\d+|\b(?:19|20)\d{2}\s*[;:]\s*\d+|^[A-Z][a-z]+\s[A-Z]{1,3}\b"
)


def _prose_after_references(text: str, start: int) -> list[tuple[int, int]]:
    """Paragraphs after the reference heading that are prose, not reference entries.

    PDF conversion of two-column layouts interleaves the last body paragraphs (conclusions, boxes) with the
    reference list; they are still the text's own statements. A paragraph counts as prose when it does not
    look like a reference (list number, DOI, "(2019) 12", "2018;36") and has at least 12 words on long lines.
    """
    out: list[tuple[int, int]] = []
    pos = start
    bounds = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text, start)] + [(len(text), len(text))]
    for s, e in bounds:
        para = text[pos:s]
        lines = [ln for ln in para.splitlines() if ln.strip()]
        words = para.split()
        if (
            words
            and len(words) >= 12
            and sum(len(ln) for ln in lines) / len(lines) >= 40
            and not _REFERENCE_SHAPE.search(para.strip())
            and not _REFERENCES.match(para.strip())
        ):
            out.append((pos, s))
        pos = e
    return out


def segments(text: str, max_len: int = MAX_SEGMENT) -> list[tuple[int, int]]:
    """Paragraph spans of ``text``; paragraphs longer than ``max_len`` are cut at sentence ends.

    Reference lists are skipped (see :func:`body_end`), except for prose paragraphs that PDF conversion
    placed among the references (:func:`_prose_after_references`).
    """
    out: list[tuple[int, int]] = []
    pos = 0
    end_of_body = body_end(text)
    bounds = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text, 0, end_of_body)]
    bounds.append((end_of_body, end_of_body))
    pieces: list[tuple[int, int]] = []
    for s, e in bounds:
        pieces.append((pos, s))
        pos = e
    if end_of_body < len(text):
        pieces.extend(_prose_after_references(text, end_of_body))
    for start, end in pieces:
        while end - start > max_len:
            cut = start + max_len
            soft = [m.end() for m in _SOFT_BREAK.finditer(text, start + max_len // 2, cut)]
            cut = soft[-1] if soft else cut
            out.append((start, cut))
            start = cut
        if text[start:end].strip():
            out.append((start, end))
    return out
