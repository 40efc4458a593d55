"""Document text for people: conversion debris removed, the statement's arguments marked.

Review texts come from PDF-to-Markdown conversion and carry debris such as
"([Table 3](#page-7-0))" or "[\\(54\\)](#page-15-0)".  Cleaning is for display only: stored
offsets keep pointing into the unchanged ``Document.text``; :func:`segments` cuts the
sentence at the offsets first and cleans each piece, so highlights stay on their words.
Nothing here produces HTML: the report template escapes what it shows, and a link written
in a document ("[x](javascript:...)") keeps only its text.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

#: Markdown links, images and anchors: "[text](target)" keeps "text" (never the target).
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_TAG = re.compile(r"</?(?:i|b|em|strong|sup|sub|u|span|a|br|p|div)\b[^<>]{0,200}>", re.IGNORECASE)
_BOLD = re.compile(r"\*\*")
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE = re.compile(r" +([,.;:)\]])")
_SPACE_AFTER = re.compile(r"([(\[]) +")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")

#: Effects as people write them (the report and `miner ask` use these words).
EFFECT_WORDS = {
    "cross_resistance": "cross-resistance",
    "reduced_efficacy": "reduced efficacy",
    "resistance": "resistance",
    "no_cross_resistance": "no cross-resistance",
    "collateral_sensitivity": "collateral sensitivity",
}
#: Roles of a finding's offsets that are highlighted, in display order of priority.
HIGHLIGHT_ROLES = ("prior_drug", "drug", "mechanism")


def clean_display(text: str) -> str:
    """``text`` without Markdown/HTML conversion debris, on one line (for display, never for offsets)."""
    out = _LINK.sub(r"\1", text)
    out = _TAG.sub("", out)
    out = _ESCAPED.sub(r"\1", out)
    out = _BOLD.sub("", out)
    out = _EMPTY_BRACKETS.sub("", out)
    return _SPACE.sub(" ", out)


def _tidy(text: str) -> str:
    """Spacing around punctuation after cleaning ("modulator ( 1 ) ." -> "modulator (1).")."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text))


def segments(text: str, sentence: Sequence[int] | None, offsets: Mapping[str, Sequence[int]],
             fallback: str = "") -> list[tuple[str, str]]:
    """The evidence sentence as ``(text, role)`` pieces, role "" for plain text, each piece cleaned.

    ``sentence`` and ``offsets`` index ``text`` (the document); offsets outside the sentence or
    overlapping an earlier highlight are ignored.  Without usable offsets the ``fallback``
    sentence is returned as one plain piece.
    """
    if not sentence or not (0 <= sentence[0] < sentence[1] <= len(text)):
        cleaned = _tidy(clean_display(fallback).strip())
        return [(cleaned, "")] if cleaned else []
    start, end = sentence[0], sentence[1]
    marks = sorted(
        (off[0], off[1], role) for role in HIGHLIGHT_ROLES
        if (off := offsets.get(role)) and len(off) == 2 and start <= off[0] < off[1] <= end
    )
    pieces: list[tuple[str, str]] = []
    pos = start
    for s, e, role in marks:
        if s < pos:
            continue  # overlaps the previous highlight
        pieces += [(text[pos:s], ""), (text[s:e], role)]
        pos = e
    pieces.append((text[pos:end], ""))
    cleaned = [(clean_display(piece), role) for piece, role in pieces]
    if cleaned:
        cleaned[0] = (cleaned[0][0].lstrip(), cleaned[0][1])
        cleaned[-1] = (cleaned[-1][0].rstrip(), cleaned[-1][1])
    joined = "\x00".join(piece for piece, _ in cleaned)
    tidied = _tidy(joined).split("\x00")
    return [(piece, role) for piece, (_, role) in zip(tidied, cleaned) if piece]


def plain_sentence(text: str, sentence: Sequence[int] | None, fallback: str = "") -> str:
    """The cleaned evidence sentence as one string (for `miner ask` and tables)."""
    return "".join(piece for piece, _ in segments(text, sentence, {}, fallback))
