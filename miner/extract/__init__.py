"""Extraction stage: rule-based reading of cross-resistance findings from text.

Public API:

- :func:`extract_text` -> list of :class:`miner.schema.Finding` for one text (abstract or full review)
- :func:`extract_docs` -> findings for many documents (anything with ``.doc_id`` and ``.text``)
- :func:`findings_to_dataframe` -> the same findings as a pandas DataFrame
- :func:`get_reader` -> the :class:`Reader` (patterns compiled once per pipeline); ``reader.version``
  identifies the rule set for run metadata.

Reading only: findings are statements as read, one per sentence and drug pair;
merging them across documents is assembly and belongs to later stages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from miner.schema import Finding

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from spacy.language import Language

    from miner.extract.reader import Reader

__all__ = ["TextDoc", "extract_text", "extract_docs", "findings_to_dataframe", "get_reader", "segments"]

#: Longest piece of text parsed at once (the reviews are processed paragraph by paragraph).
MAX_SEGMENT = 20_000
#: Texts up to this size are filtered as a whole (abstracts keep their full context).
WHOLE_DOC_LIMIT = 5_000
_PARAGRAPH = re.compile(r"\n\s*\n")
_SOFT_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_REFERENCES = re.compile(
    r"(?im)^[#*\s]*(?:references|bibliography|literature cited|works cited)[*\s:]*$"
)


class _Doc(Protocol):
    doc_id: str
    text: str


@dataclass
class TextDoc:
    """A plain text to read (anything with ``doc_id`` and ``text`` works, e.g. a corpus Document)."""

    doc_id: str
    text: str


_READERS: dict[tuple[int, bool], "Reader"] = {}


def get_reader(nlp: "Language | None" = None) -> "Reader":
    """The reader for ``nlp`` (default: the project pipeline, :func:`miner.nlp.load`, with the trained relation
    component beside the rules when ``models/relation`` exists and ``MINER_RELATION_MODEL`` is not 0).

    A pipeline given explicitly is read by the rules alone unless it holds a ``miner_relation`` component itself.
    The component is never added to the shared :func:`miner.nlp.load` pipeline, so other users of it are unchanged.
    """
    from miner.extract.reader import Reader

    default = nlp is None
    if nlp is None:
        from miner.nlp import load

        nlp = load()
    key = (id(nlp), default)
    reader = _READERS.get(key)
    if reader is None or reader.nlp is not nlp:
        relation = _relation_component(nlp) if default and _relation_enabled() else None
        reader = Reader(nlp, relation=relation)
        _READERS[key] = reader
    return reader


def _relation_component(nlp: "Language"):
    """The packaged relation component, sharing ``nlp``'s vocabulary (and so its static vectors), or None."""
    import spacy

    from miner.extract.relation import DEFAULT_PACKAGE, add_relation_component

    if not (DEFAULT_PACKAGE / "config.cfg").is_file():
        return None
    holder = spacy.blank("en", vocab=nlp.vocab)
    add_relation_component(holder)
    return holder.get_pipe("miner_relation")


def _relation_enabled() -> bool:
    """Whether the default reader adds the trained relation component (``models/relation``) beside the rules.

    On by default (dev splits: CIViC single-drug recall 0.25 -> 0.42, abstracts single-drug 0.07 -> 0.13, review 001
    sequential 0.67 -> 0.68 at precision 0.97; BENCHMARKS.md); ``MINER_RELATION_MODEL=0`` reads with the rules alone.
    """
    import os

    return os.environ.get("MINER_RELATION_MODEL", "1") != "0"


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


def _pieces(reader: "Reader", text: str, prefilter: bool, abbreviations: dict) -> list[tuple[int, int, int]]:
    """(start, end, paragraph number) of the text pieces to parse."""
    if not text.strip():
        return []
    if len(text) <= WHOLE_DOC_LIMIT:
        if prefilter and not any(reader.prefilter.keep(text[s:e]) for s, e in _rough(text)):
            return []
        return [(0, len(text), 0)]
    out: list[tuple[int, int, int]] = []
    for n, (s, e) in enumerate(segments(text)):
        if prefilter:
            out.extend((cs, ce, n) for cs, ce in reader.prefilter.chunks(text, s, e, abbreviations))
        else:
            out.append((s, e, n))
    return out


def _rough(text: str) -> list[tuple[int, int]]:
    from miner.extract.prefilter import rough_sentences

    return rough_sentences(text)


def extract_docs(
    docs: Iterable[_Doc],
    nlp: "Language | None" = None,
    n_process: int = 1,
    batch_size: int = 32,
    prefilter: bool = True,
    on_doc: Callable[[str, int], Any] | None = None,
    reader: "Reader | None" = None,
) -> Iterator[Finding]:
    """Findings of many documents, parsed with ``nlp.pipe`` (``n_process`` worker processes).

    ``on_doc(doc_id, n_findings)`` is called once per document after its findings
    were yielded (for progress bars and batched saving), including documents that
    yield nothing. ``reader`` replaces the pipeline's default reader (e.g. one restricted to some rules).
    """
    from miner.extract.context.memory import DocMemory
    from miner.extract.context.sections import SectionIndex
    from miner.extract.mentions import drug_abbreviations
    from miner.extract.tables import read_tables

    reader = reader or get_reader(nlp)
    state: dict[str, Any] = {}

    def tasks() -> Iterator[tuple[str, tuple[str, int, int, bool]]]:
        for doc in docs:
            text = doc.text or ""
            abbreviations = drug_abbreviations(text, reader.resolver) if len(text) > WHOLE_DOC_LIMIT else {}
            pieces = _pieces(reader, text, prefilter, abbreviations)
            state[doc.doc_id] = (text, abbreviations)
            if not pieces:
                yield "", (doc.doc_id, 0, -1, True)
                continue
            for k, (s, e, para) in enumerate(pieces):
                yield text[s:e], (doc.doc_id, s, para, k == len(pieces) - 1)

    current_id = None
    memories: dict[int, DocMemory] = {}
    sections: SectionIndex | None = None
    found: list[Finding] = []
    for parsed, (doc_id, base, para, last) in reader.nlp.pipe(
        tasks(), as_tuples=True, n_process=n_process, batch_size=batch_size
    ):
        if doc_id != current_id:
            current_id, memories, found = doc_id, {}, []
            sections = SectionIndex(state[doc_id][0])
        if para >= 0:
            memory = memories.setdefault(para, DocMemory(abbreviations=state[doc_id][1]))
            found.extend(reader.read(parsed, doc_id, base=base, memory=memory, sections=sections))
        if last:
            text = state.pop(doc_id, ("", {}))[0]
            if len(text) > WHOLE_DOC_LIMIT:  # full texts: rows of sequence tables state findings too
                found.extend(read_tables(text[: body_end(text)], doc_id, reader.resolver, reader.cues,
                                         reader.oncology_only))
            n_found = len(found)
            yield from found
            found = []
            if on_doc is not None:
                on_doc(doc_id, n_found)


def extract_text(
    text: str, doc_id: str = "text:input", nlp: "Language | None" = None, prefilter: bool = True
) -> list[Finding]:
    """Findings of one text; offsets refer to ``text`` (long texts are read paragraph by paragraph)."""
    return list(extract_docs([TextDoc(doc_id, text)], nlp=nlp, prefilter=prefilter))


#: DataFrame columns, in order (offsets are flattened to <role>_start/<role>_end).
_COLUMNS = (
    "id", "doc_id", "drug", "prior_drug", "effect", "mechanism", "mechanism_type", "mechanism_genes", "kind",
    "negated", "hedged", "direction_bidirectional", "evidence_level", "cancer", "section", "rule",
    "confidence", "drug_ids", "prior_drug_ids", "sentence",
)


def findings_to_dataframe(findings: Iterable[Finding]) -> "pd.DataFrame":
    """One row per finding; list fields joined with ';' and argument offsets as int columns."""
    import pandas as pd

    rows = []
    for f in findings:
        d = f.to_dict()
        row = {c: d[c] for c in _COLUMNS}
        for c in ("mechanism_genes", "drug_ids", "prior_drug_ids"):
            row[c] = ";".join(row[c])
        for role in ("sentence", "drug", "prior_drug", "mechanism"):
            span = f.offsets.get(role)
            row[f"{role}_start"] = span[0] if span else None
            row[f"{role}_end"] = span[1] if span else None
        rows.append(row)
    columns = list(_COLUMNS) + [f"{r}_{x}" for r in ("sentence", "drug", "prior_drug", "mechanism") for x in ("start", "end")]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns[len(_COLUMNS):]:
        frame[c] = frame[c].astype("Int64")
    return frame
