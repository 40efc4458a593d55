"""`miner ask`: what the assembled statements say about a drug sequence.

"A patient progressed on X and is about to receive Y": :func:`ask` resolves X and Y through
the lexicon (name, abbreviation, brand or class), selects the statements whose prior agent
is X (or a class holding X, or a combination including X; for a class, also its member drugs)
and whose agent is Y, and returns them as DataFrames with a plain sentence when the corpus
holds nothing.  Order: statements naming the agents asked about first, then class-level ones
("EGFR TKIs -> osimertinib" when asked about gefitinib), each tier best supported first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from miner.assemble.statements import Assembly, Normalizer, Statement, display_name
from miner.errors import MinerError
from miner.evaluate import LexiconLike, default_lexicon, resolve_name
from miner.lexicon.normalize import key as name_key

#: How a statement's side relates to the agent asked about, best first.
MATCHES = ("exact", "combination", "class member", "via class")


class UnknownAgentError(MinerError):
    """A drug name neither the lexicon nor any finding knows."""


@dataclass(frozen=True)
class Agent:
    """An agent asked about: its lexicon ids (or ``name:`` keys) and a label."""

    written: str
    ids: tuple[str, ...]
    label: str
    is_class: bool = False


@dataclass
class Answer:
    """Statements answering one question, best supported first (DataFrames for the Python API)."""

    after: Agent | None
    drug: Agent | None
    statements: list[Statement]
    matches: dict[str, tuple[str, str]]  # statement id -> (match of the prior side, match of the drug side)
    message: str = ""
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    assembly: Assembly | None = None  # what was asked (conflicting statements are looked up there)

    @property
    def question(self) -> str:
        if self.after and self.drug:
            return f"{self.drug.label} after {self.after.label}"
        if self.after:
            return f"what follows {self.after.label}"
        return f"what reduces the efficacy of {self.drug.label}" if self.drug else ""


def resolve_agent(written: str, assembly: Assembly, lexicon: LexiconLike) -> Agent:
    """Lexicon ids for a name, abbreviation, brand or class; else a name some finding uses; else an error."""
    text = written.strip()
    if not text:
        raise MinerError("empty drug name")
    res = resolve_name(text, lexicon)
    if res.ids and not res.unknown:
        entries = [lexicon.get(i) for i in res.ids]
        label = " + ".join(display_name(e.name) if e is not None else i for e, i in zip(entries, res.ids))
        is_class = len(entries) == 1 and entries[0] is not None and entries[0].kind == "class"
        return Agent(text, tuple(res.ids), label, is_class)
    wanted = "name:" + name_key(text)
    for agent_key in assembly.labels:
        if wanted in agent_key.split("+"):
            return Agent(text, (wanted,), assembly.labels.get(wanted, text))
    raise UnknownAgentError(
        f"{text!r} is not a drug, regimen or drug class the lexicon knows, and no finding in the corpus names it "
        "(try the generic name, e.g. 'gefitinib' for Iressa)")


def side_match(side: str, agent: Agent, norm: Normalizer) -> str:
    """How a statement side (an agent key) relates to the agent asked about ("" = not at all)."""
    if not side:
        return ""
    parts = side.split("+")
    wanted = set(agent.ids)
    if set(parts) == wanted:
        return "exact"
    if wanted < set(parts):
        return "combination"
    if agent.is_class and all(norm.covers(agent.ids[0], p) for p in parts):
        return "class member"
    if any(norm.kind(p) == "class" and all(norm.covers(p, w) for w in wanted) for p in parts):
        return "via class"
    return ""


def _tier(match: tuple[str, str]) -> int:
    """Statements naming the agents asked about come before class-level ones ("via class")."""
    return int("via class" in match)


def ask(assembly: Assembly, after: str | None = None, drug: str | None = None,
        lexicon: LexiconLike | None = None) -> Answer:
    """Statements about ``drug`` after ``after`` (either may be omitted, not both), best supported first."""
    if not (after or drug):
        raise MinerError("ask about a prior drug (--after X), a drug (--drug Y) or both")
    lexicon = lexicon if lexicon is not None else default_lexicon()
    norm = Normalizer(lexicon)
    prior_agent = resolve_agent(after, assembly, lexicon) if after else None
    drug_agent = resolve_agent(drug, assembly, lexicon) if drug else None
    chosen: list[Statement] = []
    matches: dict[str, tuple[str, str]] = {}
    for s in assembly.statements:
        if prior_agent is not None:
            pm = side_match(s.key.prior, prior_agent, norm)
            if not pm:
                continue
        else:
            pm = ""
        dm = side_match(s.key.agent, drug_agent, norm) if drug_agent is not None else ""
        if drug_agent is not None and not dm:
            continue
        chosen.append(s)
        matches[s.id] = (pm, dm)
    chosen.sort(key=lambda s: (_tier(matches[s.id]), -s.belief, -len(s.all_evidence), s.title.lower()))
    answer = Answer(prior_agent, drug_agent, chosen, matches, assembly=assembly)
    if not chosen:
        answer.message = f"no evidence in the corpus for {answer.question}."
    frame = assembly.to_frame(chosen)
    frame.insert(1, "match_prior", [matches[s.id][0] for s in chosen])
    frame.insert(2, "match_drug", [matches[s.id][1] for s in chosen])
    answer.frame = frame
    answer.evidence = assembly.evidence_frame(chosen)
    return answer
