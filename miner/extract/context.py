"""Context of a matched relation: negation, hedging, direction, evidence level, cancer, section, anaphora.

These are read around a match rather than inside the patterns, so one pattern
covers its negated, hedged and bidirectional variants.  Scope is kept simple
and local (NegEx-style): a negation cue counts when it comes shortly before
the trigger with no drug mention in between; a hedge counts anywhere in the
sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from miner.extract.combinations import Agent, expand_agents
from miner.extract.grammar import NEGATED_EFFECT, load_grammar  # noqa: F401  (NEGATED_EFFECT: read through ctx)
from miner.extract.mentions import Mention
from miner.extract.units import Unit

NEGATION_WINDOW = 5
_CANCER = re.compile(
    r"cancer|carcinoma|tumou?r|neoplas|leuka?emia|lymphoma|myeloma|melanoma|sarcoma|glioma|blastoma|"
    r"mesothelioma|adenoma|NSCLC|SCLC|CRPC|GIST|AML|CML|ALL|CLL|HCC",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"(?m)(?:^|(?<=[.!?]\s))(?P<label>[A-Z][A-Z /&-]{2,40}):\s|^#{1,6}\s+(?P<heading>[^\n]{1,120})$"
)


def negated_before(units: list[Unit], trigger: int) -> bool:
    """A negation cue within a few units before the trigger, with no drug in between."""
    negation = load_grammar().classes_with("negation")
    for j in range(trigger - 1, max(-1, trigger - 1 - NEGATION_WINDOW), -1):
        u = units[j]
        if u.unit in ("DRUG", "BREAK"):
            return False
        if u.cue in negation:
            return True
    return False


def attenuated(units: list[Unit], trigger: int) -> bool:
    """The trigger is weakened by an attenuator right before it ("diminished resistance to X").

    A decrease or reversal of a relation is no effect of the schema. A comparative trigger
    ("lower response") is itself an outcome, so it is not read as attenuated.
    """
    attenuators = load_grammar().classes_with("attenuator")
    if units[trigger].cue in attenuators and units[trigger].cue in load_grammar().classes_with("outcome"):
        return False
    before = trigger - 1
    if before >= 0 and units[before].unit == "DRUG":  # "reverse [cisplatin] resistance"
        before -= 1
    return before >= 0 and units[before].cue in attenuators


def has_cue(units: list[Unit], classes: frozenset[str]) -> bool:
    """Whether any unit is a cue of one of ``classes``."""
    return any(u.cue in classes for u in units)


#: "A after B is better than vice versa": a comparison of two orders, not a relation stated both ways.
_COMPARATIVE = {"than", "over", "versus", "vs", "vs."}


def states_both_directions(units: list[Unit], classes: frozenset[str]) -> bool:
    """A cue that the relation holds both ways ("and vice versa", "reciprocal"), not after a comparative."""
    return any(u.cue in classes and not (k > 0 and units[k - 1].text.lower() in _COMPARATIVE)
               for k, u in enumerate(units))


def first_outcome(units: list[Unit], classes: dict[str, str]) -> tuple[str, int] | None:
    """The effect named by the first outcome cue of the sentence (for ``effect_by_sentence``)."""
    for i, u in enumerate(units):
        if u.cue in classes:
            return classes[u.cue], i
    return None


def evidence_level(categories: set[str]) -> str:
    if not categories:
        return "unknown"
    if len(categories) == 1:
        return next(iter(categories))
    if categories == {"clinical", "real_world"}:
        return "real_world"
    return "mixed"


def is_cancer(text: str) -> bool:
    return bool(_CANCER.search(text))


class SectionIndex:
    """Structured-abstract labels ("RESULTS:") and markdown headings, looked up by offset."""

    def __init__(self, text: str) -> None:
        self.marks: list[tuple[int, str]] = []
        for m in _SECTION.finditer(text):
            label = (m.group("label") or m.group("heading") or "").strip().strip("*#").strip()
            if label:
                self.marks.append((m.start(), label.lower() if m.group("label") else label))

    def at(self, offset: int) -> str:
        found = ""
        for pos, label in self.marks:
            if pos > offset:
                break
            found = label
        return found


@dataclass
class DocMemory:
    """What earlier sentences of the same document said, for anaphora ("these cells")."""

    resistant: list[Agent] = field(default_factory=list)  # agents of the last "X-resistant" population
    regimen: Agent | None = None  # the last multi-drug regimen
    cancer: str = ""
    #: drug abbreviations defined anywhere in the document (see mentions.drug_abbreviations)
    abbreviations: dict[str, tuple[str, list[str], bool]] = field(default_factory=dict)

    def update(self, units: list[Unit]) -> None:
        """Remember resistant populations and regimens introduced in this sentence."""
        grammar = load_grammar()
        marks_after, marks_before = grammar.classes_with("resistant_after"), grammar.classes_with("resistant_before")
        for i, u in enumerate(units):
            if u.unit != "DRUG" or u.mention is None:
                continue
            after = units[i + 1] if i + 1 < len(units) else None
            before = units[i - 1] if i > 0 else None
            if (after is not None and after.cue in marks_after) or (
                before is not None and before.cue in marks_before
            ):
                self.resistant = expand_agents(units, i)
            for agent in expand_agents(units, i):
                if len(agent.mentions) > 1:
                    self.regimen = agent

    def resolve(self, unit: Unit) -> list[Agent]:
        """The agents an anaphor stands for ("these cells": the last resistant population)."""
        grammar = load_grammar()
        if unit.cue in grammar.classes_with("anaphor_population"):
            return list(self.resistant)
        if unit.cue in grammar.classes_with("anaphor_regimen") and self.regimen is not None:
            return [self.regimen]
        return []


#: words that end a clause rather than name a cancer site ("patients with and without", "cells treated or")
_NOT_A_SITE = sorted(load_grammar().word_list("not_a_site"))
#: a word that may name a site: not one of those, nor a verb form in -ing/-ed ("treating lung, ...")
_SITE_WORD = r"(?!(?:%s)\b)(?![A-Za-z-]+(?:ing|ed)\b)[A-Za-z][\w-]*" % "|".join(_NOT_A_SITE)
_SITE = r"{w}(?: {w}| and {w})?".format(w=_SITE_WORD)
#: an elliptical list whose items share the head noun of the cancer mention after it ("lung, ovarian, skin, breast,
#: and | head and neck tumors", "colorectal, head and neck, and | non-small cell lung cancer", "breast or | ovarian
#: cancer"): items of one or two words (or "head and neck"), then "and"/"or"
_SHARED_HEAD_LIST = re.compile(r"(?<![\w-])(?:{s},\s+)*{s},?\s+(?:and|or)\s+$".format(s=_SITE), re.IGNORECASE)
#: a list that would begin right after "and"/"or" is the tail of a longer one the item pattern did not read
_AFTER_CONJUNCTION = re.compile(r"\b(?:and|or),?\s+$", re.IGNORECASE)


def cancer_in(mentions: list[Mention], text: str, start: int) -> str:
    """The first cancer named in a sentence (``text`` at document offset ``start``).

    A cancer mention preceded by an elliptical list whose items share its head noun keeps the whole list ("lung,
    ovarian, and head and neck tumors" rather than just the last item); items may not contain another mention.
    """
    for m in mentions:
        if m.kind == "DISEASE" and is_cancer(m.text):
            before = text[: max(0, m.start - start)]
            pos = 0
            while match := _SHARED_HEAD_LIST.search(before, pos):
                inside = [o.end - start for o in mentions if o is not m and start + match.start() <= o.start < m.start]
                if not inside:
                    if _AFTER_CONJUNCTION.search(before, 0, match.start()):
                        break
                    return text[match.start() : m.end - start]
                pos = max(inside)  # the list can only start after a mention it would swallow
            return m.text
    return ""
