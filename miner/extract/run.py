"""Running the reader over documents: the ``nlp.pipe`` orchestration behind :func:`miner.extract.extract_docs`.

Abstracts are parsed whole; full texts are cut into paragraphs (:mod:`miner.extract.segmentation`), of which only the
sentences that may hold a finding are parsed (:mod:`miner.extract.prefilter`). The pieces of all documents stream
through one ``nlp.pipe`` (with worker processes if asked), so what belongs to a document as a whole travels beside
them: its text and the drug abbreviations it defines (for the reader of every piece, and the sequence tables read at
its end), its section headings, and one anaphora memory per paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from miner.extract.segmentation import body_end, segments
from miner.schema import Finding

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from miner.extract.reader import Reader

#: Texts up to this size are filtered as a whole (abstracts keep their full context).
WHOLE_DOC_LIMIT = 5_000


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


def _pieces(reader: "Reader", text: str, prefilter: bool, abbreviations: dict) -> list[tuple[int, int, int]]:
    """(start, end, paragraph number) of the text pieces to parse."""
    if not text.strip():
        return []
    if len(text) <= WHOLE_DOC_LIMIT:
        if prefilter and not any(reader.prefilter.keep(text[s:e], abbreviations) for s, e in _rough(text)):
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
    #: doc_id -> (text, drug abbreviations it defines) of the documents whose pieces are still in the pipe
    state: dict[str, tuple[str, dict]] = {}

    def tasks() -> Iterator[tuple[str, tuple[str, int, int, bool]]]:
        for doc in docs:
            text = doc.text or ""
            # a text parsed whole has its definitions linked by the pipeline, but not the other number of a short
            # form ("PIs" defined, "PI resistance" written) nor a short form glued to an affix ("PI-resistance")
            abbreviations = drug_abbreviations(text, reader.resolver)
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
