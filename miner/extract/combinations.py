"""Regimens and lists: which drug mentions next to a matched one belong to the same argument.

"trastuzumab plus pertuzumab" is one prior regimen (joined by plus, +, "in
combination with", ...), while "cross-resistant to docetaxel and cabazitaxel"
is a list that yields one finding per drug.  A pattern matches one drug unit per
role; this module grows that unit into the list of agents it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from miner.extract.mentions import Mention
from miner.extract.units import Unit

_SKIP = {"(", ")", "[", "]"}


@dataclass
class Agent:
    """One argument value: a single drug or a regimen of several, with offsets."""

    mentions: list[Mention] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " plus ".join(m.text for m in self.mentions)

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


def _neighbours(units: list[Unit], i: int, step: int, blocked: set[int]) -> list[tuple[str, int]]:
    """Drug units joined to unit ``i`` going one way: [(join kind, index)] in order."""
    out: list[tuple[str, int]] = []
    j = i + step
    join = ""
    while 0 <= j < len(units):
        u = units[j]
        if u.text in _SKIP:
            j += step
            continue
        if u.cue == "JOIN_REGIMEN":
            join = "regimen"
        elif u.cue == "JOIN_LIST":
            join = join if join == "regimen" else "list"
        elif u.unit == "DRUG" and join and j not in blocked:
            out.append((join, j))
            join = ""
        else:
            break
        j += step
    return out


def expand_agents(units: list[Unit], i: int, blocked: set[int] | None = None) -> list[Agent]:
    """The agents that the drug unit ``i`` stands for, with its regimen partners and list mates.

    ``blocked`` holds unit indexes already used by another role of the same
    match (so "between X and Y" does not merge X into Y's list).
    """
    blocked = blocked or set()
    if units[i].mention is None:
        return []
    groups: list[list[int]] = [[i]]
    for step in (-1, 1):
        current = groups[0] if step == -1 else groups[-1]
        for join, j in _neighbours(units, i, step, blocked):
            if join == "regimen":
                current.append(j)
            else:
                if step == -1:
                    # only a preceding list mate when the list also continues past i ("X, Y and Z")
                    break
                current = [j]
                groups.append(current)
    agents: list[Agent] = []
    seen: set[str] = set()
    for g in groups:
        mentions: list[Mention] = []
        for idx in sorted(g):
            m = units[idx].mention
            if m is not None and all(m.key != other.key for other in mentions):
                mentions.append(m)
        agent = Agent(mentions)
        if mentions and agent.key not in seen:
            seen.add(agent.key)
            agents.append(agent)
    return agents
