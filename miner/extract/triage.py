"""Document triage: decide per document, before any NLP, whether it can hold a finding at all.

Most of PubMed names no anticancer agent, and parsing is the expensive step (about 0.2 s of CPU per abstract
with the full pipeline against well under a millisecond for this decision), so the whole-PubMed path
(``miner scale``) asks :class:`Triage` first and parses only what it keeps.  The decision uses the sentence
prefilter's own pieces read-only (:class:`miner.extract.prefilter.Prefilter`: its trigger-cue expression, its
drug test and its resolver) and adds one document-level test the prefilter does not make:

1. no text -> skip;
2. a full text (longer than :data:`miner.extract.WHOLE_DOC_LIMIT`) -> keep (it is read paragraph by paragraph
   and the sentence prefilter picks its pieces);
3. no trigger cue anywhere (one regular-expression search over the whole text) -> skip;
4. no anticancer drug, regimen or class from the lexicon anywhere -> skip.  The reader keeps only findings whose
   agents are anticancer (``Reader.oncology_only``), so a document without one cannot yield a finding.  Names
   are looked up on word n-grams found by a regular expression, not by the spaCy tokenizer (3-4x cheaper);
5. no sentence with both a trigger cue and a drug name (:meth:`Prefilter.keep`) -> skip.  This is the
   condition under which :func:`miner.extract.extract_docs` parses an abstract at all, so it loses nothing;
   checking it here means skipped documents never enter ``nlp.pipe``.

Steps 3 and 5 are exactly what the extractor already requires; step 4 is the new saving.  Its recall cost is
measured on the review gold and the development abstracts (``benchmarks/scale_triage.py``, BENCHMARKS.md).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Protocol, TypeVar

from miner.extract.prefilter import Prefilter, rough_sentences
from miner.extract.run import WHOLE_DOC_LIMIT
from miner.lexicon.ngrams import longest_matches, prefix_grow
from miner.lexicon.normalize import DASH_CLASS

if TYPE_CHECKING:  # pragma: no cover
    from miner.extract.reader import Reader

__all__ = ["Triage", "TriageDecision", "TriageStats", "REASONS"]

#: Why a document was kept or skipped (the order is the order of the tests).
REASONS = ("empty", "full_text", "no_cue", "no_anticancer_agent", "no_cue_drug_sentence", "kept")
#: Words (runs of letters and digits) that n-grams are built from.
_WORD = re.compile(r"[^\W_]+")
#: What may stand between two words of one name: spaces, hyphens and dashes, "+", "/", apostrophes, brackets and
#: commas ("5-fluorouracil", "T-DM1", "nab-paclitaxel", "cis-diamminedichloroplatinum(II)"), at most 3 characters,
#: never a line break or a sentence stop.
_JOIN = re.compile(rf"[ \t{DASH_CLASS}+/'\u2019,()\[\]]{{1,3}}")
#: Longest name looked up, in words (hyphens split words here, so "ado-trastuzumab emtansine" is 3).
MAX_WORDS = 8
MIN_CHARS = 3
#: Memoised n-grams (cleared when full; a few tens of MB at most).
_MEMO_SIZE = 300_000


class _Doc(Protocol):
    doc_id: str
    text: str


D = TypeVar("D", bound=_Doc)


@dataclass(frozen=True)
class TriageDecision:
    """Whether to parse a document, and the test that decided it (one of :data:`REASONS`)."""

    keep: bool
    reason: str


@dataclass
class TriageStats:
    """Counts of decisions by reason, for run metadata and benchmarks."""

    reasons: Counter = field(default_factory=Counter)

    @property
    def kept(self) -> int:
        return self.reasons["kept"] + self.reasons["full_text"]

    @property
    def skipped(self) -> int:
        return sum(self.reasons.values()) - self.kept

    def add(self, decision: TriageDecision) -> None:
        self.reasons[decision.reason] += 1


class Triage:
    """The document-level decision (see the module docstring); built from a reader's prefilter."""

    def __init__(self, prefilter: Prefilter, oncology_only: bool = True, whole_doc_limit: int | None = None) -> None:
        self.prefilter = prefilter
        self.resolver = prefilter.resolver
        self.oncology_only = oncology_only
        self.whole_doc_limit = WHOLE_DOC_LIMIT if whole_doc_limit is None else whole_doc_limit
        #: without a lexicon nothing can be looked up, so the agent test must not skip anything
        self._has_lexicon = getattr(self.resolver, "lexicon", True) is not None
        self._memo: dict[str, tuple[bool, bool]] = {}

    @classmethod
    def for_reader(cls, reader: "Reader") -> "Triage":
        """The triage matching what ``reader`` can extract (its prefilter, resolver and oncology setting)."""
        return cls(reader.prefilter, oncology_only=getattr(reader, "oncology_only", True))

    # -- the decision ----------------------------------------------------------------------

    def decide(self, text: str) -> TriageDecision:
        """Keep (parse) or skip one document's text; the cheapest tests run first."""
        if not text or not text.strip():
            return TriageDecision(False, "empty")
        if len(text) > self.whole_doc_limit:
            return TriageDecision(True, "full_text")
        if not self.prefilter.has_trigger(text):
            return TriageDecision(False, "no_cue")
        if self._has_lexicon and not self.names_agent(text):
            return TriageDecision(False, "no_anticancer_agent")
        if not any(self.prefilter.keep(text[s:e]) for s, e in rough_sentences(text)):
            return TriageDecision(False, "no_cue_drug_sentence")
        return TriageDecision(True, "kept")

    def keep(self, text: str) -> bool:
        return self.decide(text).keep

    def split(self, docs: Iterable[D], stats: TriageStats | None = None) -> tuple[list[D], list[D]]:
        """(documents to parse, documents skipped), each in input order."""
        kept: list[D] = []
        skipped: list[D] = []
        for doc in docs:
            decision = self.decide(doc.text or "")
            if stats is not None:
                stats.add(decision)
            (kept if decision.keep else skipped).append(doc)
        return kept, skipped

    # -- agents ----------------------------------------------------------------------------

    def names_agent(self, text: str) -> bool:
        """Whether ``text`` names a drug, regimen or class of the lexicon (an anticancer one with ``oncology_only``),
        looked up on word n-grams (pruned by the lexicon's prefix test)."""
        words = [m.span() for m in _WORD.finditer(text)]
        n = len(words)

        def lookup(i: int, j: int) -> bool | None:
            gram = text[words[i][0] : words[j - 1][1]]
            return True if len(gram) >= MIN_CHARS and self._lookup(gram)[0] else None

        def extends(i: int, j: int) -> bool:
            gram = text[words[i][0] : words[j - 1][1]]
            # too short to look up ("5" of "5-FU"), but a longer name may start with it; the next word must be joined
            return (len(gram) < MIN_CHARS or self._lookup(gram)[1]) and (
                j < n and _JOIN.fullmatch(text, words[j - 1][1], words[j][0]) is not None
            )

        return next(longest_matches(n, prefix_grow(n, lookup, MAX_WORDS, extends)), None) is not None

    def _lookup(self, gram: str) -> tuple[bool, bool]:
        """(``gram`` names an agent that counts, a longer name may start with it), memoised: the same words recur
        in every abstract, and a dict hit is several times cheaper than the resolver's two cached lookups."""
        hit = self._memo.get(gram)
        if hit is None:
            found = self.resolver.drug(gram)
            agent = found is not None and (not self.oncology_only or self.resolver.oncology(found[1]))
            hit = (agent, self.resolver.may_extend(gram))
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[gram] = hit
        return hit
