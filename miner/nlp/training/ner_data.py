"""NER corpora (PubTator, IOB, BioCreative II) to Docs tokenized by scispacy.

Every corpus is first turned into ``text + character spans`` and then tokenized
with the pipeline's own tokenizer, so entity boundaries are learned on the tokens
the model will see.  A gold span that does not fall on token boundaries is not
forced onto them: its tokens are marked *missing* (neither entity nor outside),
so the model is neither taught a wrong boundary nor punished for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from miner.errors import InputFileError
from miner.nlp.tokenizer import tokenize
from miner.nlp.training.tokenizer import guess_spaces

#: corpus entity types -> miner's entity labels (types not listed are dropped)
PUBTATOR_LABELS = {"Chemical": "CHEMICAL", "Disease": "DISEASE"}
BIONLP13CG_LABELS = {"Gene_or_gene_product": "GENE"}
#: BioRED's sequence variants (HGVS changes, dbSNP ids, "exon 19 deletion", ...) -> VARIANT
BIORED_VARIANT_LABELS = {"SequenceVariant": "VARIANT"}


@dataclass
class AlignStats:
    """How many gold spans landed on token boundaries."""

    aligned: int = 0
    misaligned: int = 0
    overlapping: int = 0

    def add(self, other: "AlignStats") -> None:
        self.aligned += other.aligned
        self.misaligned += other.misaligned
        self.overlapping += other.overlapping


@dataclass
class TextDoc:
    """A text with gold character spans ``(start, end, label)``."""

    id: str
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def make_ner_doc(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[Doc, AlignStats]:
    """Tokenize ``text`` with scispacy and set the gold entities, marking misaligned ones missing."""
    doc = tokenize(text)
    stats = AlignStats()
    ents: list[Span] = []
    missing: list[Span] = []
    for start, end, label in spans:
        span = doc.char_span(start, end, label=label, alignment_mode="strict")
        if span is not None and len(span):
            ents.append(span)
            stats.aligned += 1
        else:
            stats.misaligned += 1
            cover = doc.char_span(start, end, alignment_mode="expand")
            if cover is not None and len(cover):
                missing.append(cover)
    kept = filter_spans(ents)
    stats.overlapping = len(ents) - len(kept)
    kept_tokens = {i for s in kept for i in range(s.start, s.end)}
    missing = [s for s in filter_spans(missing) if not any(i in kept_tokens for i in range(s.start, s.end))]
    doc.set_ents(kept, missing=missing, default="outside")
    return doc, stats


def parse_pubtator(lines: Iterable[str], labels: dict[str, str], source: str = "<pubtator>") -> Iterator[TextDoc]:
    """Yield PubTator documents (title + " " + abstract) with the mentions of the wanted types."""
    title = abstract = None
    pmid = ""
    spans: list[tuple[int, int, str]] = []

    def finish() -> TextDoc | None:
        if title is None:
            return None
        return TextDoc(pmid, title + " " + (abstract or ""), spans)

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip():
            doc = finish()
            if doc is not None:
                yield doc
            title = abstract = None
            spans = []
            continue
        if "|t|" in line[:20] and title is None:
            pmid, _, title = line.split("|", 2)
            continue
        if "|a|" in line[:20] and abstract is None:
            abstract = line.split("|", 2)[2]
            continue
        cols = line.split("\t")
        if len(cols) >= 5 and cols[1].isdigit() and cols[2].isdigit():
            label = labels.get(cols[4])
            if label:
                spans.append((int(cols[1]), int(cols[2]), label))
        elif len(cols) >= 3 and not (cols[1].isdigit()):
            continue  # relation line
        else:
            raise InputFileError(source, "not a PubTator title, abstract, mention or relation line", f"line {lineno}")
    doc = finish()
    if doc is not None:
        yield doc


def parse_iob(lines: Iterable[str], source: str = "<iob>") -> Iterator[tuple[list[str], list[str]]]:
    """Yield ``(tokens, IOB2 tags)`` sentences from ``token<TAB>tag`` lines."""
    words: list[str] = []
    tags: list[str] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip():
            if words:
                yield words, tags
            words, tags = [], []
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputFileError(source, "expected `token<TAB>tag`", f"line {lineno}")
        words.append(parts[0])
        tags.append(parts[1])
    if words:
        yield words, tags


def iob_to_text(words: list[str], tags: list[str], labels: dict[str, str]) -> tuple[str, list[tuple[int, int, str]]]:
    """Rebuild running text from IOB tokens and return the entity character spans in it."""
    spaces = guess_spaces(words)
    starts, pos = [], 0
    for w, sp in zip(words, spaces):
        starts.append(pos)
        pos += len(w) + (1 if sp else 0)
    text = "".join(w + (" " if sp else "") for w, sp in zip(words, spaces))
    spans: list[tuple[int, int, str]] = []
    cur: list | None = None
    for i, tag in enumerate(tags):
        prefix, _, typ = tag.partition("-")
        if cur is not None and (prefix != "I" or typ != cur[2]):
            spans.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
        if prefix in ("B", "I") and cur is None:  # an I- without B- starts a span too
            cur = [starts[i], starts[i] + len(words[i]), typ]
        elif prefix == "I" and cur is not None:
            cur[1] = starts[i] + len(words[i])
    if cur is not None:
        spans.append(tuple(cur))  # type: ignore[arg-type]
    return text, [(s, e, labels[t]) for s, e, t in spans if t in labels]


# --- BioCreative II gene mention format -------------------------------------------------


def parse_bc2_sentences(lines: Iterable[str]) -> dict[str, str]:
    """``SENTENCE_ID text`` lines -> {id: text}."""
    out = {}
    for raw in lines:
        line = raw.rstrip("\n")
        if line.strip():
            sid, _, text = line.partition(" ")
            out[sid] = text
    return out


def parse_bc2_eval(lines: Iterable[str], source: str = "<GENE.eval>") -> dict[str, list[tuple[int, int, str]]]:
    """``ID|start end|mention`` lines -> {id: [(start, end, mention)]} in non-space offsets (end inclusive)."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        try:
            sid, offs, mention = line.split("|", 2)
            a, b = offs.split()
            out.setdefault(sid, []).append((int(a), int(b), mention))
        except ValueError:
            raise InputFileError(source, "expected `ID|start end|mention`", f"line {lineno}") from None
    return out


def nonspace_to_char(text: str, start: int, end: int) -> tuple[int, int]:
    """BC2 offsets (count non-space characters, end inclusive) -> Python char slice."""
    idx = [i for i, ch in enumerate(text) if not ch.isspace()]
    if not (0 <= start <= end < len(idx)):
        raise ValueError(f"offsets {start}-{end} outside the sentence")
    return idx[start], idx[end] + 1


def char_to_nonspace(text: str, start: int, end: int) -> tuple[int, int]:
    """Python char slice -> BC2 offsets (non-space characters, end inclusive)."""
    before = sum(1 for ch in text[:start] if not ch.isspace())
    inside = sum(1 for ch in text[start:end] if not ch.isspace())
    return before, before + inside - 1


def bc2_docs(sentences: dict[str, str], genes: dict[str, list[tuple[int, int, str]]], label: str = "GENE") -> Iterator[TextDoc]:
    """BC2 sentences with their GENE mentions as character spans."""
    for sid, text in sentences.items():
        spans = []
        for a, b, _mention in genes.get(sid, []):
            s, e = nonspace_to_char(text, a, b)
            spans.append((s, e, label))
        yield TextDoc(sid, text, spans)
