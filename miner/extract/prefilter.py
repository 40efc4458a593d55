"""Cheap prefilter: skip parsing text that cannot hold a finding.

Parsing is the expensive step.  A sentence can only yield a finding if it has a
trigger cue (resistance, sensitivity, pretreatment, outcome words) and at least
one drug, regimen or class name, so this module checks both with the tokenizer
alone (no tagger, parser or NER): trigger words through a regular expression
built from the cue lexicon, drug names through lexicon lookups of token
n-grams.  Kept sentences are grouped into chunks (with the sentence after each
kept one, where a mechanism may be stated) and only those are parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language

from miner.extract.codenames import code_name_tokens
from miner.extract.cues import CueLexicon
from miner.extract.geneclasses import find_gene_classes, symbol_targets
from miner.extract.grammar import load_grammar
from miner.extract.mentions import Resolver
from miner.lexicon.compounds import split_compound
from miner.lexicon.ngrams import longest_matches, prefix_grow

MAX_NGRAM = 5
#: Shortest n-gram looked up.
MIN_CHARS = 3
#: Where a single token is cut into parts that may each be a drug ("cisplatin-resistant", "5-FU/LV").
_PARTS = re.compile(r"[-+/\u2013]")
#: Rough sentence ends: ., ! or ? followed by space and a capital/digit/bracket, or a line break.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])|\n+")


def rough_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence-like spans of ``text[start:end]`` found by punctuation alone."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


@dataclass
class Prefilter:
    """Decides which sentences are worth parsing."""

    nlp: Language
    cues: CueLexicon
    resolver: Resolver
    #: trigger words that patterns spell out literally ("fails", "overcomes") rather than through a cue class
    extra_triggers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        words = sorted(
            {p.lower() for c in load_grammar().classes_with("trigger") for p in self.cues.classes.get(c, [])}
            | set(self.extra_triggers),
            key=len,
            reverse=True,
        )
        self._trigger = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words) + r")(?![a-z])")

    def has_trigger(self, text: str) -> bool:
        return self._trigger.search(text.lower()) is not None

    def has_drug(self, text: str, abbreviations: dict | None = None) -> bool:
        """Whether a token n-gram of ``text`` (or a part of a hyphenated or slashed token) names a drug."""
        tokens = [t.text for t in self.nlp.tokenizer(text)]
        # a defined short form, alone or glued to an affix ("PI-resistance")
        if abbreviations and any(p in abbreviations for t in tokens for p in (t, *_PARTS.split(t))):
            return True
        if code_name_tokens(tokens):  # drugs written by sponsor codes, which no lexicon lists
            return True
        if find_gene_classes(tokens, symbol_targets(tokens)):  # classes named after a target ("IDH inhibitors")
            return True

        def lookup(i: int, j: int) -> bool | None:
            gram = " ".join(tokens[i:j])
            if len(gram) < MIN_CHARS:
                return None
            if self.resolver.drug(gram):
                return True
            if j == i + 1 and any(ch in gram for ch in "-+/"):
                if any(self.resolver.drug(p) for p in split_compound(gram, _PARTS) if len(p) >= MIN_CHARS):
                    return True
            return None

        def extends(i: int, j: int) -> bool:
            # a shorter n-gram is not looked up, but a longer name may start with it ("5" of "5 - FU")
            gram = " ".join(tokens[i:j])
            return len(gram) < MIN_CHARS or self.resolver.may_extend(gram)

        matches = longest_matches(len(tokens), prefix_grow(len(tokens), lookup, MAX_NGRAM, extends))
        return next(matches, None) is not None

    def keep(self, text: str, abbreviations: dict | None = None) -> bool:
        """True if this sentence might hold a finding."""
        return self.has_trigger(text) and self.has_drug(text, abbreviations)

    def chunks(
        self, text: str, start: int = 0, end: int | None = None, abbreviations: dict | None = None
    ) -> list[tuple[int, int]]:
        """Spans of consecutive sentences worth parsing (each kept sentence plus the next one)."""
        sents = rough_sentences(text, start, end)
        keep = [self.keep(text[s:e], abbreviations) for s, e in sents]
        wanted = [k or (i > 0 and keep[i - 1]) for i, k in enumerate(keep)]
        out: list[tuple[int, int]] = []
        for (s, e), w in zip(sents, wanted):
            if not w:
                continue
            if out and not text[out[-1][1] : s].strip():
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out
