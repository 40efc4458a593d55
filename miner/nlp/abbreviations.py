"""Abbreviation definitions: scispacy's AbbreviationDetector (Schwartz & Hearst 2003), wired into miner.

"trastuzumab deruxtecan (T-DXd)" defines T-DXd; the detector finds the definition and every later occurrence of
the short form in the same document (``doc._.abbreviations``, each short span with ``_.long_form``). The drug
linker then gives those short forms the long form's lexicon id.

scispacy's own ``__call__`` is replaced here, with the same results, because it costs quadratic time and memory:
its matcher pattern ``( + )`` lists every pair of an opening and a later closing parenthesis in the document
before ``filter_matches`` keeps those with at most 8 tokens inside (4 KB of nested parentheses: 64 s and 1.7 GB;
16 KB was killed at 23.9 GB). Here each "(" looks only at the next ``MAX_INSIDE + 1`` tokens, and the later
occurrences of the short forms are found with one dictionary pass instead of a matcher rule per definition, so
time and memory grow linearly with the text. Definitions are found within a window of a few tokens, i.e. within
their paragraph; ``miner annotate`` also processes long texts paragraph by paragraph (see ``miner.cli.nlp``).
Without scispacy's internal matcher, spaCy's W036 warning (which it raised on every document defining no
abbreviation) no longer needs silencing.
"""

from __future__ import annotations

from collections import defaultdict

from scispacy.abbreviation import AbbreviationDetector, filter_matches, find_abbreviation
from spacy.language import Language
from spacy.tokens import Doc, Span

#: scispacy's ``filter_matches`` ignores parentheses holding more than this many tokens.
MAX_INSIDE = 8


@Language.factory("miner_abbreviations", default_config={"make_serializable": False})
def make_abbreviations(nlp: Language, name: str, make_serializable: bool) -> "Abbreviations":
    """Factory for :class:`Abbreviations` (spaCy registry name ``miner_abbreviations``)."""
    return Abbreviations(nlp, name, make_serializable=make_serializable)


def parenthesis_matches(doc: Doc) -> list[tuple[int, int, int]]:
    """``(0, start, end)`` of every token run inside "(" ... ")" with 1 to :data:`MAX_INSIDE` tokens, in order.

    The same candidates scispacy's matcher and length filter give (the matcher's ``+`` lets the run hold other
    parentheses), without building the quadratic list of longer ones.
    """
    texts = [t.text for t in doc]
    out = []
    for i, text in enumerate(texts):
        if text != "(":
            continue
        for j in range(i + 2, min(i + MAX_INSIDE + 2, len(texts))):
            if texts[j] == ")":
                out.append((0, i + 1, j))
    return out


class Abbreviations(AbbreviationDetector):
    """scispacy's AbbreviationDetector in linear time and memory (see the module docstring)."""

    def __call__(self, doc: Doc) -> Doc:
        filtered = filter_matches(parenthesis_matches(doc), doc)
        for long_form, short_forms in self.find_matches_for(filtered, doc):
            for short in short_forms:
                short._.long_form = long_form
                doc._.abbreviations.append(short)
        if self.make_serializable:
            doc._.abbreviations = [self.make_short_form_serializable(a) for a in doc._.abbreviations]
        return doc

    def find_matches_for(self, filtered: list[tuple[Span, Span]], doc: Doc) -> list[tuple[Span, set[Span]]]:
        """scispacy's ``find_matches_for``: definitions (first use of each long and short form), then every
        occurrence of each defined short form in the document, found by token text."""
        occurrences: dict[Span, set[Span]] = defaultdict(set)
        seen_long: set[str] = set()
        seen_short: set[str] = set()
        by_first: dict[str, list[tuple[tuple[str, ...], Span]]] = defaultdict(list)
        for long_candidate, short_candidate in filtered:
            short, long = find_abbreviation(long_candidate, short_candidate)
            if long is None or long.text in seen_long or short.text in seen_short:
                continue
            seen_long.add(long.text)
            seen_short.add(short.text)
            occurrences[long].add(short)
            words = tuple(t.text for t in short)
            by_first[words[0]].append((words, long))
        if by_first:
            texts = [t.text for t in doc]
            for i, text in enumerate(texts):
                for words, long in by_first.get(text, ()):
                    if tuple(texts[i:i + len(words)]) == words:
                        occurrences[long].add(doc[i:i + len(words)])
        return list(occurrences.items())
