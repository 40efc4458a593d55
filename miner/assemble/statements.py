"""Assembly: findings (one per sentence, from reading) become statements with evidence, across documents.

Reading (:mod:`miner.extract`) says what one sentence states; assembly, kept apart as in
INDRA, decides which sentences state the same thing.  A statement is
:class:`miner.schema.StatementKey` (prior agent, agent, effect polarity, mechanism genes) on
lexicon ids, so synonyms, abbreviations, brands and classes written many ways are merged
by :func:`miner.evaluate.resolve_name`.  Each statement keeps its pieces of evidence (the
findings, counted once per sentence), the more specific statements that count toward it
(a drug toward its class), the statements that contradict it (same pair, other polarity),
the gold-set rows that agree or disagree, and a belief score (:mod:`miner.assemble.belief`).
Curator decisions apply first: a rejected finding drops out, a corrected one is assembled
with the curator's fields, both accepted and corrected ones are certain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Mapping

import pandas as pd

from miner.assemble.belief import belief, evidence_probability
from miner.assemble.display import clean_display, plain_sentence
from miner.evaluate import LexiconLike, default_lexicon, resolve_name
from miner.export.curate import apply_correction, latest_decisions
from miner.schema import EFFECTS, Finding, StatementKey

#: Effects in the order ties are broken when naming a statement's dominant effect.
_EFFECT_ORDER = {e: i for i, e in enumerate(EFFECTS)}
#: Fields a curator may correct that change which agent a side names (its ids must be re-resolved).
_NAME_IDS = {"drug": "drug_ids", "prior_drug": "prior_drug_ids"}


@dataclass(frozen=True)
class DocInfo:
    """What the report and `miner ask` show about a source document."""

    doc_id: str
    pmid: str = ""
    title: str = ""
    year: int | None = None
    doi: str = ""
    text: str = ""


@dataclass
class Evidence:
    """One sentence supporting a statement: the finding as assembled, its curator decision and source."""

    finding: Finding
    decision: str = ""  # latest curator decision: accepted | corrected | ""
    corrected: dict[str, Any] = field(default_factory=dict)  # the corrected fields (and their new offsets)
    curator: str = ""
    original: Finding | None = None  # the finding as read, when a curator corrected it
    reverse: bool = False  # counted for the reverse direction of a bidirectional finding
    also: list[str] = field(default_factory=list)  # other findings read from the same sentence
    doc: DocInfo | None = None

    @property
    def id(self) -> str:
        return self.finding.id

    @property
    def doc_id(self) -> str:
        return self.finding.doc_id

    @property
    def confidence(self) -> float:
        return self.finding.confidence

    @property
    def evidence_level(self) -> str:
        return self.finding.evidence_level

    @property
    def hedged(self) -> bool:
        return self.finding.hedged

    @property
    def negated(self) -> bool:
        return self.finding.negated

    @property
    def probability(self) -> float:
        return evidence_probability(self)

    @property
    def pmid(self) -> str:
        if self.doc is not None and self.doc.pmid:
            return self.doc.pmid
        return self.doc_id.split(":", 1)[1] if self.doc_id.startswith("pmid:") else ""

    @property
    def sentence_key(self) -> tuple[str, str]:
        """(document, sentence): findings read from one sentence count once per statement."""
        sent = self.finding.offsets.get("sentence")
        if sent:
            return self.doc_id, f"{sent[0]}-{sent[1]}"
        return self.doc_id, self.finding.sentence.strip() or self.finding.evidence_quote.strip() or self.id

    @property
    def sentence(self) -> str:
        """The evidence sentence cleaned for display."""
        text = self.doc.text if self.doc is not None else ""
        return plain_sentence(text, self.finding.offsets.get("sentence"), self.finding.sentence or self.finding.evidence_quote)


@dataclass
class GoldLink:
    """A gold-set row about a statement; ``independent`` when evidence outside the row's own document exists.

    The reviews are read as evidence too, so a review's gold row always "agrees" with what was
    read from that review; only evidence from other documents supports it independently.
    """

    finding: Finding
    independent: bool
    exact: bool = True  # the row names the statement's own agents (else a class covering them)


@dataclass
class Statement:
    """One assembled statement: its key, readable labels, evidence, support, conflicts and belief."""

    key: StatementKey
    prior_label: str
    agent_label: str
    evidence: list[Evidence] = field(default_factory=list)
    supporting: list["Statement"] = field(default_factory=list)  # more specific statements counted toward this one
    conflicts: list[StatementKey] = field(default_factory=list)  # same pair, other polarity
    gold_agree: list[GoldLink] = field(default_factory=list)
    gold_conflict: list[GoldLink] = field(default_factory=list)
    within_class: str = ""  # label of the class holding both agents ("EGFR tyrosine kinase inhibitor")
    class_level: bool = False  # an agent is a drug class
    belief: float = 0.0

    @property
    def id(self) -> str:
        return self.key.id

    @property
    def sequential(self) -> bool:
        return bool(self.key.prior)

    @property
    def all_evidence(self) -> list[Evidence]:
        """Direct evidence, then that of more specific statements (each finding once)."""
        seen: set[str] = set()
        out = []
        for ev in [*self.evidence, *(e for s in self.supporting for e in s.evidence)]:
            if ev.id not in seen:
                seen.add(ev.id)
                out.append(ev)
        return out

    @property
    def effects(self) -> Counter[str]:
        return Counter(ev.finding.effect for ev in self.evidence)

    @property
    def effect(self) -> str:
        """The effect most of the direct evidence states (ties: the earlier in :data:`EFFECTS`)."""
        counts = self.effects
        return min(counts, key=lambda e: (-counts[e], _EFFECT_ORDER.get(e, 99))) if counts else ""

    @property
    def mechanisms(self) -> list[str]:
        """Distinct mechanisms as written (cleaned), most frequent first."""
        counts = Counter(clean_display(ev.finding.mechanism).strip() for ev in self.evidence if ev.finding.mechanism.strip())
        return [m for m, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))]

    @property
    def mechanism_types(self) -> list[str]:
        return sorted({ev.finding.mechanism_type for ev in self.evidence} - {"unknown", ""})

    @property
    def documents(self) -> list[str]:
        return sorted({ev.doc_id for ev in self.evidence})

    @property
    def level_counts(self) -> dict[str, int]:
        """Evidence counts by evidence level (direct evidence)."""
        return dict(Counter(ev.evidence_level for ev in self.evidence).most_common())

    @property
    def decisions(self) -> dict[str, int]:
        return dict(Counter(ev.decision for ev in self.evidence if ev.decision))

    @property
    def title(self) -> str:
        return f"{self.prior_label} \u2192 {self.agent_label}" if self.sequential else self.agent_label


@dataclass
class Assembly:
    """Statements best supported first, with the labels of every agent key and the curator decisions in force."""

    statements: list[Statement]
    labels: dict[str, str]
    kinds: dict[str, str]  # component key -> drug | class | regimen | name
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: list[Finding] = field(default_factory=list)  # findings curators rejected (not evidence)
    n_findings: int = 0

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)

    def __len__(self) -> int:
        return len(self.statements)

    def __post_init__(self) -> None:
        self._index: dict[StatementKey | str, Statement] = {}
        for s in self.statements:
            self._index[s.key] = self._index[s.id] = s

    def get(self, key: StatementKey | str) -> Statement | None:
        """A statement by key or by its ``s...`` id."""
        return self._index.get(key)

    def pairs(self) -> dict[tuple[str, str], list[Statement]]:
        """Statements per (prior agent, agent), best first (sequential statements only)."""
        out: dict[tuple[str, str], list[Statement]] = {}
        for s in self.statements:
            if s.sequential:
                out.setdefault(s.key.pair, []).append(s)
        return out

    def to_frame(self, statements: Iterable[Statement] | None = None) -> pd.DataFrame:
        """One row per statement (the Python API's answer)."""
        return statements_frame(self.statements if statements is None else statements)

    def evidence_frame(self, statements: Iterable[Statement] | None = None) -> pd.DataFrame:
        """One row per piece of direct evidence of each statement."""
        return evidence_frame(self.statements if statements is None else statements)


STATEMENT_COLUMNS = [
    "statement_id", "prior", "agent", "effect", "polarity", "mechanisms", "genes", "belief", "evidence",
    "documents", "levels", "within_class", "class_level", "conflicts", "gold_agree", "gold_conflict",
    "prior_key", "agent_key",
]
EVIDENCE_COLUMNS = [
    "statement_id", "finding_id", "doc_id", "pmid", "year", "title", "sentence", "drug", "prior_drug", "effect",
    "mechanism", "evidence_level", "hedged", "negated", "rule", "confidence", "probability", "decision",
    "corrected", "reverse",
]


def statements_frame(statements: Iterable[Statement]) -> pd.DataFrame:
    rows = [{
        "statement_id": s.id, "prior": s.prior_label, "agent": s.agent_label, "effect": s.effect,
        "polarity": s.key.polarity, "mechanisms": s.mechanisms, "genes": list(s.key.genes), "belief": s.belief,
        "evidence": len(s.evidence), "documents": s.documents, "levels": s.level_counts,
        "within_class": s.within_class, "class_level": s.class_level, "conflicts": [k.id for k in s.conflicts],
        "gold_agree": [g.finding.id for g in s.gold_agree], "gold_conflict": [g.finding.id for g in s.gold_conflict],
        "prior_key": s.key.prior, "agent_key": s.key.agent,
    } for s in statements]
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def evidence_frame(statements: Iterable[Statement]) -> pd.DataFrame:
    rows = []
    for s in statements:
        for ev in s.evidence:
            f = ev.finding
            rows.append({
                "statement_id": s.id, "finding_id": f.id, "doc_id": f.doc_id, "pmid": ev.pmid,
                "year": ev.doc.year if ev.doc else None, "title": ev.doc.title if ev.doc else "",
                "sentence": ev.sentence, "drug": f.drug, "prior_drug": f.prior_drug, "effect": f.effect,
                "mechanism": f.mechanism, "evidence_level": f.evidence_level, "hedged": f.hedged,
                "negated": f.negated, "rule": f.rule, "confidence": f.confidence,
                "probability": round(ev.probability, 4), "decision": ev.decision, "corrected": ev.corrected,
                "reverse": ev.reverse,
            })
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


# -- normalisation --------------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A lexicon name as it reads in a sentence: "Gefitinib" -> "gefitinib" (acronyms and brands kept)."""
    first = name.split(" ")[0]
    if len(first) > 1 and first[0].isupper() and first[1:].isalpha() and first[1:].islower():
        return name[0].lower() + name[1:]
    return name


class Normalizer:
    """Lexicon ids for the agents of findings, and readable labels for agent keys."""

    def __init__(self, lexicon: LexiconLike) -> None:
        self.lexicon = lexicon
        self.written: dict[str, Counter[str]] = {}  # agent key -> written forms (labels of unknown names)
        self._covers: dict[tuple[str, str], bool] = {}

    def ids(self, name: str, ids: list[str]) -> list[str]:
        """The finding's ids, else the lexicon's for its name when every part of it is known."""
        if ids or not name.strip():
            return list(ids)
        res = resolve_name(name, self.lexicon)
        return list(res.ids) if res.ids and not res.unknown else []

    def gene(self, symbol: str) -> str:
        return self.lexicon.normalize_gene(symbol) or symbol.strip().upper()

    def finding(self, f: Finding, label: bool = True) -> Finding:
        """``f`` with ids resolved and gene symbols normalised (its id unchanged).

        With ``label`` its spellings become candidate labels of agents the lexicon does not know.
        """
        norm = replace(
            f,
            drug_ids=self.ids(f.drug, f.drug_ids),
            prior_drug_ids=self.ids(f.prior_drug, f.prior_drug_ids),
            mechanism_genes=sorted({self.gene(g) for g in f.mechanism_genes if g.strip()}),
        )
        if label:
            key = norm.statement_key()
            self.written.setdefault(key.agent, Counter())[f.drug.strip()] += 1
            if key.prior:
                self.written.setdefault(key.prior, Counter())[f.prior_drug.strip()] += 1
        return norm

    def kind(self, component: str) -> str:
        entry = self.lexicon.get(component)
        return entry.kind if entry is not None else "name"

    def label(self, agent_key: str) -> str:
        """"DB00317" -> "gefitinib"; "DB00072+DB06366" -> "pertuzumab + trastuzumab"; unknown names as written."""
        if not agent_key:
            return ""
        if agent_key in self.written and any(self.kind(c) == "name" for c in agent_key.split("+")):
            return self.written[agent_key].most_common(1)[0][0]
        parts = []
        for comp in agent_key.split("+"):
            entry = self.lexicon.get(comp)
            parts.append(display_name(entry.name) if entry is not None else comp.removeprefix("name:"))
        return " + ".join(parts)

    def members(self, component: str) -> frozenset[str]:
        """Drug ids a class or regimen covers; the drug itself for a drug; nothing for an unknown name."""
        return frozenset(self.lexicon.members(component)) if self.lexicon.get(component) is not None else frozenset()

    def classes(self, component: str) -> set[str]:
        """Classes holding a drug (or a class's parents), only real drug classes (not "chemotherapy")."""
        entry = self.lexicon.get(component)
        if entry is None:
            return set()
        classes_of = getattr(self.lexicon, "classes_of", None)
        if entry.kind == "drug":
            found = set(classes_of(component)) if classes_of is not None else set(entry.parents)
        elif entry.kind == "class":
            found = {component, *entry.parents}
        else:
            found = set()
        out = set()
        for c in found:
            cls = self.lexicon.get(c)
            if cls is not None and getattr(cls, "entity", True):
                out.add(c)
        return out

    def covers(self, general: str, specific: str) -> bool:
        """Does agent key ``general`` stand for ``specific`` (same, or a class holding each of its parts)?"""
        if general == specific:
            return True
        if not general or not specific:
            return False
        found = self._covers.get((general, specific))
        if found is None:
            found = self._covers[(general, specific)] = self._covers_parts(general, specific)
        return found

    def _covers_parts(self, general: str, specific: str) -> bool:
        g_parts, s_parts = general.split("+"), specific.split("+")

        def part_covers(g: str, s: str) -> bool:
            if g == s:
                return True
            if self.kind(g) != "class":
                return False
            g_members = self.members(g)
            if self.kind(s) == "drug":
                return s in g_members
            s_members = self.members(s)
            return self.kind(s) == "class" and bool(s_members) and s_members <= g_members

        return all(any(part_covers(g, s) for g in g_parts) for s in s_parts) and all(
            any(part_covers(g, s) for s in s_parts) for g in g_parts)

    def shared_class(self, prior: str, agent: str) -> str:
        """The narrowest drug class holding both agents ("" if none): a within-class statement."""
        if not prior or not agent:
            return ""
        shared = None
        for side in (prior, agent):
            classes: set[str] = set()
            for comp in side.split("+"):
                classes |= self.classes(comp)
            shared = classes if shared is None else shared & classes
        if not shared:
            return ""
        best = min(shared, key=lambda c: (-self._depth(c), len(self.members(c)) or 10**6, c))
        return display_name(self.lexicon.get(best).name)

    def _depth(self, class_id: str, seen: frozenset[str] = frozenset()) -> int:
        """How deep a class sits in the class hierarchy (a subclass is more specific than its parent)."""
        entry = self.lexicon.get(class_id)
        parents = [p for p in (entry.parents if entry is not None else ()) if p not in seen]
        return 1 + max((self._depth(p, seen | {class_id}) for p in parents), default=0) if parents else 0


def _swapped(f: Finding) -> Finding:
    """The reverse reading of a bidirectional finding (drug and prior drug exchanged, offsets too)."""
    offsets = dict(f.offsets)
    d, p = offsets.pop("drug", None), offsets.pop("prior_drug", None)
    if p is not None:
        offsets["drug"] = p
    if d is not None:
        offsets["prior_drug"] = d
    return replace(f, drug=f.prior_drug, prior_drug=f.drug, drug_ids=f.prior_drug_ids,
                   prior_drug_ids=f.drug_ids, offsets=offsets)


def _corrected(f: Finding, decision: Mapping[str, Any]) -> Finding:
    """``f`` as a curator corrected it; a renamed agent loses its stale ids (resolved again from the new name)."""
    changed = apply_correction(f, dict(decision))
    stale = {ids: [] for name, ids in _NAME_IDS.items() if name in (decision.get("corrected") or {})}
    if "mechanism" in (decision.get("corrected") or {}):
        stale["mechanism_genes"] = []
    return replace(changed, **stale) if stale else changed


# -- assembly -------------------------------------------------------------------------------------


def assemble(
    findings: Iterable[Finding],
    *,
    lexicon: LexiconLike | None = None,
    decisions: Iterable[Mapping[str, Any]] = (),
    documents: Mapping[str, DocInfo] | None = None,
    gold: Iterable[Finding] = (),
) -> Assembly:
    """Statements from findings: curator decisions applied, synonyms and classes merged, conflicts flagged.

    ``decisions`` are curator decisions in recorded order (:meth:`CorpusStore.iter_decisions`),
    ``documents`` gives titles, years and texts for display, ``gold`` the gold-set rows shown as
    agreeing or disagreeing with each statement (they are never evidence).
    """
    lexicon = lexicon if lexicon is not None else default_lexicon()
    documents = documents or {}
    norm = Normalizer(lexicon)
    latest = latest_decisions(decisions)
    grouped: dict[StatementKey, dict[tuple[str, str], Evidence]] = {}
    rejected: list[Finding] = []
    n = 0
    for f in findings:
        n += 1
        d = latest.get(f.id, {})
        decision = d.get("decision", "")
        if decision == "rejected":
            rejected.append(f)
            continue
        if not f.drug.strip():
            continue
        assembled = norm.finding(_corrected(f, d) if decision == "corrected" else f)
        readings = [(assembled, False)]
        if assembled.direction_bidirectional and assembled.prior_drug.strip():
            readings.append((_swapped(assembled), True))
        for reading, reverse in readings:
            ev = Evidence(reading, decision=decision, corrected=dict(d.get("corrected") or {}),
                          curator=d.get("curator", ""), original=f if decision == "corrected" else None,
                          reverse=reverse, doc=documents.get(f.doc_id))
            by_sentence = grouped.setdefault(reading.statement_key(), {})
            current = by_sentence.get(ev.sentence_key)
            if current is None:
                by_sentence[ev.sentence_key] = ev
            elif (ev.probability, -len(ev.id)) > (current.probability, -len(current.id)):
                ev.also = [*current.also, current.id]
                by_sentence[ev.sentence_key] = ev
            else:
                current.also.append(ev.id)
    statements = {
        key: Statement(key, norm.label(key.prior), norm.label(key.agent),
                       evidence=sorted(evs.values(), key=lambda e: (-e.probability, e.doc_id, e.id)),
                       within_class=norm.shared_class(key.prior, key.agent),
                       class_level=any(norm.kind(c) == "class" for c in (*key.prior.split("+"), *key.agent.split("+")) if c))
        for key, evs in grouped.items()
    }
    _link_refinements(statements, norm)
    _flag_conflicts(statements)
    for s in statements.values():
        s.belief = belief(s.all_evidence)
    _link_gold(statements, [norm.finding(g, label=False) for g in gold], norm)
    ordered = sorted(statements.values(), key=lambda s: (-s.belief, -len(s.all_evidence), s.title.lower(), s.id))
    labels = {}
    kinds = {}
    for s in ordered:
        for side in (s.key.prior, s.key.agent):
            if side:
                labels[side] = norm.label(side)
                for comp in side.split("+"):
                    kinds[comp] = norm.kind(comp)
    return Assembly(ordered, labels, kinds, decisions=latest, rejected=rejected, n_findings=n)


def _link_refinements(statements: Mapping[StatementKey, Statement], norm: Normalizer) -> None:
    """A statement about a class (or without a gene) also counts the evidence of its specific cases."""
    for general in statements.values():
        for specific in statements.values():
            g, s = general.key, specific.key
            if g == s or g.polarity != s.polarity or not set(g.genes) <= set(s.genes):
                continue
            if bool(g.prior) != bool(s.prior):
                continue
            if norm.covers(g.agent, s.agent) and norm.covers(g.prior, s.prior):
                general.supporting.append(specific)


def _flag_conflicts(statements: Mapping[StatementKey, Statement]) -> None:
    """Same (prior agent, agent), opposite polarity: both sides list the other."""
    by_pair: dict[tuple[str, str], list[Statement]] = {}
    for s in statements.values():
        by_pair.setdefault(s.key.pair, []).append(s)
    for group in by_pair.values():
        for s in group:
            s.conflicts = sorted({o.key for o in group if o.key.polarity != s.key.polarity})


def _link_gold(statements: Mapping[StatementKey, Statement], gold: list[Finding], norm: Normalizer) -> None:
    """Gold rows about a statement's pair (or a class pair covering it): agreeing or conflicting."""
    by_pair: dict[tuple[str, str], list[Statement]] = {}
    for s in statements.values():
        by_pair.setdefault(s.key.pair, []).append(s)
    for row in gold:
        keys = [row.statement_key()]
        if row.direction_bidirectional and row.prior_drug.strip():
            keys.append(_swapped(row).statement_key())
        for (prior, agent), group in by_pair.items():
            covering = [k for k in keys if bool(k.prior) == bool(prior)
                        and norm.covers(k.agent, agent) and norm.covers(k.prior, prior)]
            if not covering:
                continue
            polarities = {k.polarity for k in covering}
            exact = any(k.pair == (prior, agent) for k in covering)
            for s in group:
                link = GoldLink(row, independent=any(ev.doc_id != row.doc_id for ev in s.all_evidence), exact=exact)
                (s.gold_agree if s.key.polarity in polarities else s.gold_conflict).append(link)
    for s in statements.values():  # rows about the very pair first, then class-level rows
        s.gold_agree.sort(key=lambda g: (not g.exact, g.finding.id))
        s.gold_conflict.sort(key=lambda g: (not g.exact, g.finding.id))
