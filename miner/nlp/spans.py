"""Placing rule-based spans into ``doc.ents`` without overlaps.

spaCy forbids overlapping entities, so every component that adds spans states which existing entity it may
replace. :func:`place_spans` applies such a policy in one pass, using a token->entity index so that it stays
linear in the document length (a 5 MB text has ~10^5 entities).
"""

from __future__ import annotations

from typing import Callable, Iterable

from spacy.tokens import Doc, Span

#: ``wins(new, old)``: may ``new`` replace the overlapping entity ``old``?
Policy = Callable[[Span, Span], bool]
#: Span groups ``ner:<model>`` where the pipeline stashes what each statistical NER model predicted, before the
#: vote and the rule components place their own spans in ``doc.ents``.
NER_GROUP_PREFIX = "ner:"


def covers(new: Span, old: Span) -> bool:
    """``new`` contains ``old`` entirely."""
    return new.start <= old.start and old.end <= new.end


def place_spans(doc: Doc, candidates: Iterable[Span], wins: Policy) -> list[Span]:
    """Add ``candidates`` (longest first among overlaps) to ``doc.ents``; returns the spans actually placed."""
    ents: list[Span | None] = list(doc.ents)
    owner = [-1] * len(doc)
    for idx, ent in enumerate(ents):
        for i in range(ent.start, ent.end):
            owner[i] = idx
    placed: list[Span] = []
    taken = [False] * len(doc)  # tokens already given to a candidate in this call
    for span in sorted(candidates, key=lambda s: (-(s.end - s.start), s.start)):
        if any(taken[i] for i in range(span.start, span.end)):
            continue
        clashing = {owner[i] for i in range(span.start, span.end) if owner[i] >= 0}
        # an entity that extends beyond the candidate also clashes (it is replaced as a whole)
        if not all(wins(span, ents[idx]) for idx in clashing if ents[idx] is not None):
            continue
        for idx in clashing:
            old = ents[idx]
            if old is not None:
                for i in range(old.start, old.end):
                    owner[i] = -1
                ents[idx] = None
        for i in range(span.start, span.end):
            taken[i] = True
        placed.append(span)
    doc.ents = sorted([e for e in ents if e is not None] + placed, key=lambda e: e.start)
    return placed
