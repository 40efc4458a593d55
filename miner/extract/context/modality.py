"""How a sentence qualifies the relation it states: negated ("did not confer resistance"), attenuated ("reversed
resistance to X"), hedged or aimed at ("may", "we aimed to"), stated both ways ("and vice versa").

Scope is kept simple and local (NegEx-style): a negation cue counts when it comes shortly before the trigger with no
drug mention in between; a hedge counts anywhere in the sentence. Cue classes are named by their grammar role.
"""

from __future__ import annotations

from miner.extract.grammar import load_grammar
from miner.extract.units import Unit

NEGATION_WINDOW = 5
#: "A after B is better than vice versa": a comparison of two orders, not a relation stated both ways.
_COMPARATIVE = {"than", "over", "versus", "vs", "vs."}


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
