"""Regimens and lists: which drug mentions next to a matched one belong to the same argument.

"trastuzumab plus pertuzumab" is one prior regimen (joined by plus, +, "in
combination with", ...), while "cross-resistant to docetaxel and cabazitaxel"
is a list that yields one finding per drug.  A pattern matches one drug unit per
role; this module grows that unit into the list of agents it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from miner.extract.grammar import load_grammar
from miner.extract.mentions import Mention
from miner.extract.units import Unit

_SKIP = {"(", ")", "[", "]"}
_REPEATED_PREPOSITIONS = {"with", "to", "on", "by", "after", "of"}
_STRENGTH = ("", "comma", "list", "regimen")


@dataclass
class Agent:
    """One argument value: a single drug or a regimen of several, with offsets."""

    mentions: list[Mention] = field(default_factory=list)
    #: the regimen as the text writes it, when its members stand together ("pomalidomide + low-dose dexamethasone")
    written: str = ""

    @property
    def text(self) -> str:
        return self.written or " plus ".join(m.text for m in self.mentions)

    @property
    def ids(self) -> list[str]:
        out: list[str] = []
        for m in self.mentions:
            out.extend(i for i in m.ids if i not in out)
        return out

    @property
    def span(self) -> tuple[int, int]:
        return min(m.start for m in self.mentions), max(m.end for m in self.mentions)

    @property
    def key(self) -> str:
        return "+".join(sorted(m.key for m in self.mentions))

    @property
    def oncology(self) -> bool:
        return any(m.oncology for m in self.mentions)


def _neighbours(units: list[Unit], i: int, step: int, blocked: set[int]) -> list[tuple[str, int]]:
    """Drug units joined to unit ``i`` going one way: [(join kind, index)] in order."""
    grammar = load_grammar()
    regimen_joins, list_joins = grammar.classes_with("regimen_join"), grammar.classes_with("list_join")
    doses = grammar.word_list("dose_modifier")
    out: list[tuple[str, int]] = []
    j = i + step
    join = ""
    while 0 <= j < len(units):
        u = units[j]
        low = u.text.lower()
        if u.text in _SKIP or low in doses or (join and low in _REPEATED_PREPOSITIONS):
            # "treated with X or with Y": the preposition repeated after the conjunction; "X + low-dose Y": a dose
            j += step
            continue
        if u.cue in regimen_joins:
            join = "regimen"
        elif u.cue in list_joins:
            kind = "comma" if u.text == "," else "list"
            join = max(join, kind, key=_STRENGTH.index)
        elif u.unit == "DRUG" and join and j not in blocked:
            out.append((join, j))
            join = ""
        else:
            break
        j += step
    return out


def group_indexes(units: list[Unit], i: int, blocked: set[int] | None = None) -> list[list[int]]:
    """Unit indexes of the agents drug unit ``i`` stands for: [[regimen members], [list mate], ...].

    Regimen partners (plus, +, "in combination with") join ``i``'s group; list
    mates (and, or, commas) form groups of their own, on both sides of ``i``.
    A list introduced by "combination of"/"combined" is one regimen.
    """
    blocked = blocked or set()
    left = _neighbours(units, i, -1, blocked)
    right = _neighbours(units, i, 1, blocked)
    if not any(join == "list" for join, _ in left + right):
        # commas without and/or separate clauses ("After X, Y was active"), not list items
        left = left[: next((k for k, (join, _) in enumerate(left) if join == "comma"), len(left))]
        right = right[: next((k for k, (join, _) in enumerate(right) if join == "comma"), len(right))]
    first = min([i] + [j for _, j in left])
    last = max([i] + [j for _, j in right])
    # "the combination of X and Y", "X and Y combination", "X combined with Y and Z": one regimen
    grammar = load_grammar()
    combo_before = any(u.cue in grammar.classes_with("combination_word") for u in units[max(0, first - 2) : first])
    nxt = units[last + 1] if last + 1 < len(units) else None
    # "X and Y combination"; "X, Y and Z is active" (singular agreement: one regimen)
    combo_after = bool(left or right) and nxt is not None and (
        nxt.cue in grammar.classes_with("combination_noun")
        or (nxt.cue in grammar.classes_with("copula") and nxt.text.lower() in grammar.word_list("singular_verb"))
    )
    combo = combo_before or combo_after or any(join == "regimen" for join, _ in left + right)
    groups: list[list[int]] = [[i]]
    for seq, step in ((left, -1), (right, 1)):
        current = groups[0]
        for join, j in seq:
            if join == "regimen" or combo:
                current.append(j)
            else:
                current = [j]
                if step == -1:
                    groups.insert(0, current)
                else:
                    groups.append(current)
    return groups


def expand_agents(units: list[Unit], i: int, blocked: set[int] | None = None) -> list[Agent]:
    """The agents that the drug unit ``i`` stands for, with its regimen partners and list mates.

    ``blocked`` holds unit indexes already used by another role of the same
    match (so "between X and Y" does not merge X into Y's list).
    """
    if units[i].mention is None:
        return []
    agents: list[Agent] = []
    seen: set[str] = set()
    for g in group_indexes(units, i, blocked):
        mentions: list[Mention] = []
        for idx in sorted(g):
            m = units[idx].mention
            if m is not None and all(m.key != other.key for other in mentions):
                mentions.append(m)
        agent = Agent(mentions, _written(units, sorted(g)) if len(mentions) > 1 else "")
        if mentions and agent.key not in seen:
            seen.add(agent.key)
            agents.append(agent)
    return agents


def _written(units: list[Unit], members: list[int]) -> str:
    """The words from a regimen's first member to its last, as written, when only regimen joins, doses and
    brackets stand between them ("X + low-dose Y"); "" otherwise (a list read as one regimen, "the combination of X
    and Y", is written with "plus")."""
    first, last = members[0], members[-1]
    between = units[first : last + 1]
    grammar = load_grammar()
    doses, joins = grammar.word_list("dose_modifier"), grammar.classes_with("regimen_join")
    if any(k + first not in members and not (u.cue in joins or u.text in _SKIP or u.text.lower() in doses)
           for k, u in enumerate(between)):
        return ""
    out = between[0].text
    for prev, u in zip(between, between[1:]):
        out += (" " if u.start > prev.end else "") + u.text
    return out
