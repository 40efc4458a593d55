"""Candidate generation for the relation component: which span pairs of a parsed Doc are worth classifying.

A candidate is a pair of entity spans in one sentence (or, with ``neighbours``, in a sentence and the one
before or after it) of a kind the classifier decides:

* ``"DD"``: (drug, prior drug): two agents (CHEMICAL entities that miner's drug linker labels DRUG, REGIMEN or
  DRUG_CLASS, plus the lexicon's therapy concepts in ``doc.spans["drugs"]`` that no entity claims), naming
  different agents; ``a`` is the one named first, ``b`` the one named second;
* ``"DG"``: (drug, mechanism): ``a`` an agent, ``b`` a GENE or VARIANT entity (or a token outside every entity
  that the curated gene lexicon knows, written like a symbol: "KRAS" where the gene recognizer missed it).

Sentences are the parser's, also cut at line breaks (a title, a structured-abstract section). Only sentences that
``keep`` accepts are looked at (by default the existing prefilter's trigger test,
:func:`default_keep`: a resistance, sensitivity, pretreatment or outcome cue), so a sentence without such a cue
costs nothing. :func:`candidate_pairs` is a pure function of the Doc's entities and sentences (it reads miner's
span extensions; it never changes the Doc).

Candidates are stored on the Doc as plain tuples (:meth:`Candidate.to_tuple`, ``doc.user_data[CANDIDATES_KEY]``),
so that they survive ``Doc.to_bytes`` (``nlp.pipe(n_process=...)``) and ``DocBin`` (the training data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from spacy.tokens import Doc, Span

from miner.extract.mentions import drug_identity

#: ``doc.user_data`` key of the candidate tuples (see :meth:`Candidate.to_tuple`)
CANDIDATES_KEY = "miner_rel_candidates"
#: the two candidate kinds
KINDS = ("DD", "DG")
#: sub-labels an argument can have (a drug's lexicon label, or the entity label of a gene/variant)
ARG_LABELS = ("DRUG", "REGIMEN", "DRUG_CLASS", "GENE", "VARIANT")
DRUG_LABELS = ("DRUG", "REGIMEN", "DRUG_CLASS")
MECHANISM_LABELS = ("GENE", "VARIANT")
#: at most this many candidates per sentence (window); a sentence listing 15 drugs would otherwise give 105 pairs
MAX_PER_WINDOW = 60


@dataclass(frozen=True)
class Arg:
    """One argument mention: token span, its sub-label and what identifies the agent or gene."""

    start: int
    end: int
    label: str  # one of ARG_LABELS
    key: str  # lexicon ids or gene symbol joined by "|", else the lower-cased text
    oncology: bool = True


@dataclass(frozen=True)
class Candidate:
    """A pair of argument spans to classify (token offsets into the Doc).

    ``a``/``b``: for ``DD`` the first- and second-named agent, for ``DG`` the agent and the gene/variant.
    ``window``: the token range the classifier reads (the sentence, or the two sentences of a cross-sentence
    pair). ``cross``: the two arguments are in neighbouring sentences.
    """

    kind: str
    a_start: int
    a_end: int
    a_label: str
    b_start: int
    b_end: int
    b_label: str
    window_start: int
    window_end: int
    cross: bool = False

    def to_tuple(self) -> tuple:
        return (self.kind, self.a_start, self.a_end, self.a_label, self.b_start, self.b_end, self.b_label,
                self.window_start, self.window_end, int(self.cross))

    @classmethod
    def from_tuple(cls, t: Iterable) -> "Candidate":
        kind, a_s, a_e, a_l, b_s, b_e, b_l, w_s, w_e, cross = tuple(t)
        return cls(str(kind), int(a_s), int(a_e), str(a_l), int(b_s), int(b_e), str(b_l), int(w_s), int(w_e),
                   bool(cross))

    def spans(self, doc: Doc) -> tuple[Span, Span]:
        return doc[self.a_start:self.a_end], doc[self.b_start:self.b_end]


def _ext(span: Span, name: str):
    return getattr(span._, name) if span.has_extension(name) else None


def _drug_arg(span: Span, resolver) -> Arg | None:
    """An agent argument from a CHEMICAL entity or a lexicon span (None if the lexicon does not call it a drug)."""
    identity = drug_identity(span, resolver)
    if identity is None:
        return None
    label, ids = identity
    oncology = bool(resolver.oncology(ids)) if resolver is not None and ids else True
    key = "|".join(sorted(ids)) if ids else span.text.lower()
    return Arg(span.start, span.end, label, key, oncology)


def _mechanism_arg(span: Span) -> Arg:
    if span.label_ == "VARIANT":
        genes = [g for g in (_ext(span, "gene_ids") or ()) if g]
        key = span.text.lower() + ("@" + "|".join(genes) if genes else "")
        return Arg(span.start, span.end, "VARIANT", key)
    gene = _ext(span, "gene_id") or ""
    return Arg(span.start, span.end, "GENE", gene or span.text.lower())


def _lexicon_gene(text: str, resolver) -> str:
    """The HGNC symbol of a token that the curated gene lexicon knows and that is written like a gene symbol
    (at least two capitals or a capital and a digit: "KRAS", "PIK3CA", "HER2", "p53" is left to NER)."""
    if resolver is None or len(text) < 2 or sum(c.isupper() for c in text) < 2 and not (
            any(c.isupper() for c in text) and any(c.isdigit() for c in text)):
        return ""
    if any(c.islower() for c in text[1:]) and not any(c.isdigit() for c in text):
        return ""
    return resolver.gene(text) or ""


def doc_arguments(doc: Doc, resolver=None, oncology_only: bool = True, lexicon_genes: bool = True) -> list[Arg]:
    """Every agent and gene/variant argument of the Doc, in text order.

    Agents: CHEMICAL entities linked as DRUG/REGIMEN/DRUG_CLASS (unlinked ones are looked up through
    ``resolver``), and the lexicon's therapy concepts (``doc.spans["drugs"]``) where no entity claims a token or
    only shorter GENE/DISEASE entities lie inside ("ER" of "ER-targeted therapies"), as the reader does. With
    ``oncology_only`` an agent must be an anticancer drug, regimen or class (when ``resolver`` can tell).
    Genes: GENE and VARIANT entities, and (``lexicon_genes``) single tokens outside every entity that the curated
    gene lexicon knows and that are written like a symbol ("KRAS mutations ..." where the gene recognizer
    missed "KRAS").
    """
    ents = list(doc.ents)
    lexicon = list(doc.spans["drugs"]) if "drugs" in doc.spans else []
    spans = list(ents)
    for s in lexicon:
        inside = [e for e in spans if e.start < s.end and s.start < e.end]
        if any(e.label_ not in ("GENE", "DISEASE") or e.start < s.start or e.end > s.end or len(e) >= len(s)
               for e in inside):
            continue
        spans = [e for e in spans if e not in inside] + [s]
    args: list[Arg] = []
    for span in sorted(spans, key=lambda sp: (sp.start, sp.end)):
        if span.label_ in MECHANISM_LABELS:
            args.append(_mechanism_arg(span))
        elif span.label_ == "CHEMICAL" or (_ext(span, "drug_label") or "") in DRUG_LABELS or span in lexicon:
            arg = _drug_arg(span, resolver)
            if arg is not None and (arg.oncology or not oncology_only):
                args.append(arg)
    if lexicon_genes and resolver is not None:
        taken = [False] * len(doc)
        for span in list(doc.ents) + lexicon:
            for i in range(span.start, span.end):
                taken[i] = True
        for tok in doc:
            if not taken[tok.i] and (symbol := _lexicon_gene(tok.text, resolver)):
                args.append(Arg(tok.i, tok.i + 1, "GENE", symbol))
        args.sort(key=lambda a: (a.start, a.end))
    return args


def _pairs(drugs_x: list[Arg], drugs_y: list[Arg], genes_x: list[Arg], genes_y: list[Arg], same: bool):
    """(kind, a, b) argument pairs between two argument lists (one sentence when ``same``)."""
    if same:
        for a, b in combinations(drugs_x, 2):
            yield "DD", a, b
    else:
        for a in drugs_x:
            for b in drugs_y:
                first, second = (a, b) if a.start < b.start else (b, a)
                yield "DD", first, second
    for d in drugs_x:
        for g in genes_y:
            yield "DG", d, g
    if not same:
        for d in drugs_y:
            for g in genes_x:
                yield "DG", d, g


def _line_sentences(doc: Doc) -> list[Span]:
    """The Doc's sentences (one span for a Doc without sentence boundaries), also cut at line breaks: a title or a
    structured-abstract section ends at its line, even where the parser runs it into the next sentence."""
    sents = list(doc.sents) if doc.has_annotation("SENT_START") else ([doc[:]] if len(doc) else [])
    out: list[Span] = []
    for sent in sents:
        start = sent.start
        for tok in sent:
            if "\n" in tok.text or "\n" in tok.whitespace_:
                end = tok.i + 1
                if any(not t.is_space for t in doc[start:end]):
                    out.append(doc[start:end])
                start = end
        if start < sent.end and any(not t.is_space for t in doc[start:sent.end]):
            out.append(doc[start:sent.end])
    return out


def candidate_pairs(
    doc: Doc,
    keep: Callable[[str], bool] | None = None,
    neighbours: bool = False,
    resolver=None,
    oncology_only: bool = True,
    args: list[Arg] | None = None,
) -> list[Candidate]:
    """The candidate pairs of a Doc with entities and sentence boundaries (a pure function).

    ``keep(sentence_text)`` chooses the sentences to look at (None: all). With ``neighbours``, pairs between a
    kept sentence and the sentence before or after it are added (``cross=True``; the window is both sentences).
    Two mentions of one agent (same ids, or same text when unlinked) are never a pair, nor are overlapping spans.
    """
    if args is None:
        args = doc_arguments(doc, resolver, oncology_only)
    if not args:
        return []
    sents = _line_sentences(doc)
    per_sent: list[list[Arg]] = [[] for _ in sents]
    starts = [s.start for s in sents]
    for arg in args:
        # the sentence holding the argument's first token (an entity never crosses a parser sentence in
        # practice; if one does, it belongs where it starts)
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= arg.start:
                lo = mid
            else:
                hi = mid - 1
        per_sent[lo].append(arg)
    kept = [bool(per_sent[i]) and (keep is None or keep(s.text)) for i, s in enumerate(sents)]
    out: list[Candidate] = []
    seen: set[tuple] = set()

    def emit(kind: str, a: Arg, b: Arg, w_start: int, w_end: int, cross: bool, budget: list[int]) -> None:
        if budget[0] <= 0 or a.key == b.key or (a.start < b.end and b.start < a.end):
            return
        ident = (kind, a.start, a.end, b.start, b.end)
        if ident in seen:
            return
        seen.add(ident)
        budget[0] -= 1
        out.append(Candidate(kind, a.start, a.end, a.label, b.start, b.end, b.label, w_start, w_end, cross))

    for i, sent in enumerate(sents):
        if not kept[i]:
            continue
        here = per_sent[i]
        drugs = [a for a in here if a.label in DRUG_LABELS]
        genes = [a for a in here if a.label in MECHANISM_LABELS]
        if drugs:
            budget = [MAX_PER_WINDOW]
            for kind, a, b in _pairs(drugs, drugs, genes, genes, same=True):
                emit(kind, a, b, sent.start, sent.end, False, budget)
        if not neighbours:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(sents) or (kept[j] and j < i):
                continue  # a pair of two kept sentences is made once, from the earlier one
            there = per_sent[j]
            d2 = [a for a in there if a.label in DRUG_LABELS]
            g2 = [a for a in there if a.label in MECHANISM_LABELS]
            if not (drugs or d2):
                continue
            w_start, w_end = min(sent.start, sents[j].start), max(sent.end, sents[j].end)
            budget = [MAX_PER_WINDOW]
            for kind, a, b in _pairs(drugs, d2, genes, g2, same=False):
                emit(kind, a, b, w_start, w_end, True, budget)
    return out


def set_candidates(doc: Doc, candidates: list[Candidate]) -> None:
    doc.user_data[CANDIDATES_KEY] = [c.to_tuple() for c in candidates]


def get_candidates(doc: Doc) -> list[Candidate]:
    """The candidates stored on ``doc`` ([] if none were stored)."""
    return [Candidate.from_tuple(t) for t in doc.user_data.get(CANDIDATES_KEY, ())]


@lru_cache(maxsize=1)
def _prefilter_trigger():
    """The existing prefilter's trigger test, as the rule reader builds it (its cue lexicon plus the literal
    trigger words of its patterns), built once; the reader is made on a blank pipeline (the test reads text only)."""
    import spacy

    from miner.extract.reader import Reader

    return Reader(spacy.blank("en")).prefilter.has_trigger


def default_keep(text: str) -> bool:
    """Whether the prefilter of :mod:`miner.extract.prefilter` would consider this sentence: it has a trigger cue
    (resistance, sensitivity, pretreatment, switch or outcome word). The prefilter's second test, a drug name,
    is the candidate generator's own (a pair needs an agent)."""
    return _prefilter_trigger()(text)
