"""What earlier sentences of a document said, for anaphora: "these cells" are the last resistant population named,
"this combination" the last multi-drug regimen; also the cancer named last and the drug abbreviations the whole
document defines."""

from __future__ import annotations

from dataclasses import dataclass, field

from miner.extract.combinations import Agent, expand_agents
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
