"""Named rule constraints: checks a match must pass beyond its pattern, registered by name.

A rule of the grammar lists the constraints it needs (``constraints: [within_class]``);
rules that list none get :data:`DEFAULT`. A constraint is a function of the match being read
(:class:`Match`) that returns False to veto it and may narrow the drug pairs it states. A new
kind of construction that no pattern element can express is one function registered here
plus its name in :data:`miner.extract.grammar.CONSTRAINTS` - never a branch in the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from miner.extract.combinations import Agent, group_indexes
from miner.extract.grammar import load_grammar
from miner.extract.patterns import RelationPattern
from miner.extract.units import Unit


@dataclass
class Match:
    """A pattern match while it is read: its roles, units and the arguments read so far."""

    pattern: RelationPattern
    roles: dict[str, int]
    units: list[Unit]
    drugs: list[Agent] = field(default_factory=list)
    priors: list[Agent] = field(default_factory=list)
    anaphora: bool = False
    #: (drug, prior) pairs the match states; None = every drug with every prior
    pairs: list[tuple[Agent, Agent]] | None = None
    #: whether a "vice versa" in the sentence states the reverse relation too
    mirror: bool = True


Constraint = Callable[[Match], bool]
REGISTRY: dict[str, Constraint] = {}
#: Constraints of a rule that names none: the drug is not coordinated with the prior.
DEFAULT = ("uncoordinated_roles",)


def register(name: str) -> Callable[[Constraint], Constraint]:
    def deco(fn: Constraint) -> Constraint:
        REGISTRY[name] = fn
        return fn

    return deco


def constraints_of(pattern: RelationPattern) -> tuple[str, ...]:
    """The constraints a match of ``pattern`` must pass (``coordinated_roles`` lifts the default)."""
    named = tuple(c for c in pattern.constraints if c != "coordinated_roles")
    return named if "coordinated_roles" in pattern.constraints else DEFAULT + named


def check(match: Match) -> bool:
    return all(REGISTRY[name](match) for name in constraints_of(match.pattern))


@register("uncoordinated_roles")
def uncoordinated_roles(m: Match) -> bool:
    """The drug must not be a member of the prior's list ("resistant to X and Y" names two priors)."""
    if "prior" not in m.roles or m.units[m.roles["prior"]].unit != "DRUG":
        return True
    p, drug_i = m.roles["prior"], m.roles["drug"]
    used = set(m.roles.values())
    return not any(drug_i in g for g in group_indexes(m.units, p, used - {p, drug_i}))


@register("one_direction")
def one_direction(m: Match) -> bool:
    """A comparison of two orders ("A after B is better than vice versa") states one direction only."""
    m.mirror = False
    return True


@register("within_class")
def within_class(m: Match) -> bool:
    """One class, alone, read against itself ("cross-resistance among ARSIs": prior = drug).

    After "in" a list distributes ("cross-resistance in HER2- and ER-targeted therapies": in each);
    otherwise the class must be the only drug and not coordinated ("between X and Y" is a pair).
    """
    drug_i, units = m.roles["drug"], m.units
    distributive = drug_i > 0 and units[drug_i - 1].text.lower() == "in"
    if m.anaphora or any(len(a.mentions) != 1 or a.mentions[0].label != "DRUG_CLASS" for a in m.drugs):
        return False
    if not distributive and (len(m.drugs) != 1 or _coordinated(units, drug_i)):
        return False
    m.pairs = [(d, d) for d in m.drugs]
    return True


def _coordinated(units: list[Unit], i: int) -> bool:
    """Whether drug unit ``i`` is followed by "and/or/, (...) <drug>" within three units."""
    grammar = load_grammar()
    joins, new_phrase = grammar.classes_with("list_join"), grammar.word_list("new_phrase")
    joined = False
    for u in units[i + 1 : i + 5]:
        if u.cue in joins:
            joined = True
        elif u.unit == "DRUG" and joined:
            return True
        elif u.unit == "BREAK" or u.text.lower() in new_phrase:
            return False  # "among ARSIs and between ARSIs and taxanes": a new phrase, not a list
    return False


@register("not_comparator")
def not_comparator(m: Match) -> bool:
    """The drug is not the comparator arm ("Y prolonged survival vs high-dose Z": Z is what Y is compared with)."""
    versus = {c for c in load_grammar().classes if c == "VERSUS"}
    drug_i, units = m.roles["drug"], m.units
    return not any(u.cue in versus for u in units[max(0, drug_i - 3) : drug_i])
