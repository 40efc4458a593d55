"""What earlier sentences of a document said, for anaphora: "these cells" are the last resistant population named,
"this combination" the last multi-drug regimen; also the cancer named last and the drug abbreviations the whole
document defines.

Two memories serve statements that name one side of a relation only (annotations/GUIDELINES.md, "Drug from the
preceding sentence" and "prior from design"):

* the agents whose resistance the *preceding* sentence stated ("... resistance to BRAFi/MEKis ... . Most often,
  resistance develops due to ...": the second sentence takes up that resistance), and
* the prior treatment of the study population ("patients who progressed after failure of bortezomib and
  lenalidomide ..."): later outcome statements of another agent are read as outcomes after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from miner.extract.combinations import Agent, expand_agents
from miner.extract.context.modality import has_cue
from miner.extract.grammar import load_grammar
from miner.extract.units import Unit


@dataclass
class DocMemory:
    """What earlier sentences of the same document said, for anaphora ("these cells")."""

    resistant: list[Agent] = field(default_factory=list)  # agents of the last "X-resistant" population
    regimen: Agent | None = None  # the last multi-drug regimen
    cancer: str = ""
    #: drug abbreviations defined anywhere in the document (see mentions.drug_abbreviations)
    abbreviations: dict[str, tuple[str, list[str], bool]] = field(default_factory=dict)
    #: agents whose resistance the sentence read last stated, and all agents it named
    resisted: list[Agent] = field(default_factory=list)
    previous: list[Agent] = field(default_factory=list)
    #: the prior treatment of the study population named last ("patients who progressed on X")
    population: list[Agent] = field(default_factory=list)

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
        self.resisted = marked_agents(units, grammar.classes_with("resistant_before") | {"RES_NOUN"},
                                      marks_after | {"RES_NOUN"})
        self.previous = marked_agents(units, None, None)
        if has_word(units, grammar.word_list("population_patients")):
            population = prior_agents(units)
            if population:
                self.population = population

    def antecedent(self, units: list[Unit]) -> list[Agent]:
        """The agents a sentence that names none refers to: those whose resistance the preceding sentence stated,
        else, when the sentence points back ("this therapy", "Despite this success"), all the preceding sentence
        named."""
        if self.resisted:
            return list(self.resisted)
        if has_cue(units, load_grammar().classes_with("anaphor_therapy")):
            return list(self.previous)
        return []

    def resolve(self, unit: Unit) -> list[Agent]:
        """The agents an anaphor stands for ("these cells": the last resistant population)."""
        grammar = load_grammar()
        if unit.cue in grammar.classes_with("anaphor_population"):
            return list(self.resistant)
        if unit.cue in grammar.classes_with("anaphor_regimen") and self.regimen is not None:
            return [self.regimen]
        return []


def has_word(units: list[Unit], words: frozenset[str]) -> bool:
    """Whether a unit of the sentence is one of ``words`` (lower case)."""
    return any(u.text.lower() in words for u in units)


def prior_agents(units: list[Unit]) -> list[Agent]:
    """The agents the sentence names as given before or resisted ("progressed on X", "X-pretreated", "refractory
    to X")."""
    grammar = load_grammar()
    before = grammar.classes_with("resistant_before") | grammar.classes_with("pretreated_before")
    after = grammar.classes_with("resistant_after") | grammar.classes_with("pretreated_after")
    return marked_agents(units, before, after)


#: plain units allowed between a marking cue and its drug ("after progression on first-line gefitinib")
_MARK_GAP = 2


def marked_agents(units: list[Unit], before: frozenset[str] | set[str] | None,
                  after: frozenset[str] | set[str] | None) -> list[Agent]:
    """The agents of the sentence's drug units that a cue marks: a cue of ``before`` at most two plain units
    ahead ("resistance to X", "progressed on first-line X") or a cue of ``after`` right behind ("X-resistant",
    "X-pretreated"); ``None`` for both: every agent. Lists and regimens expand; each agent once."""
    out: list[Agent] = []
    for i, u in enumerate(units):
        if u.unit != "DRUG" or u.mention is None:
            continue
        if before is not None or after is not None:
            nxt = units[i + 1] if i + 1 < len(units) else None
            marked = nxt is not None and nxt.unit == "CUE" and nxt.cue in (after or ())
            j = i - 1
            while not marked and j >= 0 and i - j <= _MARK_GAP + 1:
                prev = units[j]
                if prev.unit == "CUE" and prev.cue in (before or ()):
                    marked = True
                elif prev.unit in ("DRUG", "BREAK") or (prev.unit == "CUE" and prev.cue not in ("CLASS_DESC",)):
                    break
                j -= 1
            if not marked:
                continue
        for agent in expand_agents(units, i):
            if all(agent.key != a.key for a in out):
                out.append(agent)
    return out
