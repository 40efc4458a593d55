"""Relation patterns: a small declarative language compiled to spaCy ``Matcher`` patterns.

Rules live in the extraction grammar (``miner/data/extract/grammar.yml``, see
:mod:`miner.extract.grammar`); each has a name (which goes into ``Finding.rule``), an
effect (fixed, or chosen by the trigger's cue class, or by an outcome cue found in the
sentence), a kind, a base confidence and named constraints.  A new construction is a
new entry there.  Element syntax (one element per unit of :mod:`miner.extract.units`)::

    DRUG:prior     a drug/regimen/class mention playing the role "prior"
    DRUG|ANA:drug  a drug mention or an anaphor ("this combination") resolved to the regimen it names
    GENE:mech      a gene or variant mention (the mechanism)
    XRES:cue       a cue unit of class XRES, marked as the trigger
    RES_TO|PRIOR   a cue unit of either class
    to|against     a literal token (lower case)
    X?             optional element
    ~6             a gap of 0..6 units holding no drug and no clause break
    @MACRO         alternatives defined under "macros" (expanded to several patterns)

Role positions are recovered with ``Matcher(..., with_alignments=True)``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from spacy.matcher import Matcher
from spacy.vocab import Vocab

from miner.errors import MinerError

if TYPE_CHECKING:  # pragma: no cover
    from miner.extract.grammar import Grammar

UNIT_TYPES = ("DRUG", "GENE", "DISEASE", "ANA")
ROLES = ("drug", "prior", "mech", "cue")
#: Cue classes the reader assigns itself (not from cues.json): mechanism processes, class descriptors.
BUILTIN_CLASSES = frozenset({"PROCESS", "CLASS_DESC"})
_GAP = re.compile(r"^~(\d+)$")
_NAME = re.compile(r"^[A-Z][A-Z_]*$")
_WORD = re.compile(r"^[a-z0-9\u00df-\u00ff+\-,./()]+$")


@dataclass
class Element:
    """One compiled element: its Matcher token spec, its role (if any) and what it needs.

    ``needs`` lists the (attribute, value) pairs of which a unit must have one for
    this element to match (empty for optional elements and gaps); ``max_gap`` is
    the longest run a gap element may cover (gaps compile to ``*`` and are
    checked after matching, which keeps the Matcher's state space small).
    """

    spec: dict[str, Any]
    role: str = ""
    needs: frozenset[tuple[str, str]] = frozenset()
    max_gap: int = -1


@dataclass
class RelationPattern:
    """One named pattern with the effect it reads and its expanded element sequences."""

    name: str
    kind: str
    confidence: float
    effect: str = ""
    effect_by_cue: dict[str, str] = field(default_factory=dict)
    effect_by_sentence: dict[str, str] = field(default_factory=dict)
    #: named constraints (registered in :mod:`miner.extract.constraints`) every match must pass
    constraints: tuple[str, ...] = ()
    #: "antecedent": the mechanism may be the carrier named just before (grammar Rule.mechanism)
    mechanism: str = ""
    #: "antecedent": the drug is the one the preceding sentence resisted (grammar Rule.drug)
    drug: str = ""
    #: "design": the prior is the study population's earlier treatment (grammar Rule.prior)
    prior: str = ""
    sequences: list[list[Element]] = field(default_factory=list)


def _element(token: str, classes: set[str]) -> list[Element]:
    """Compile one element of the pattern syntax (a gap compiles to one element too)."""
    gap = _GAP.match(token)
    if gap:
        spec = {"_": {"xunit": {"NOT_IN": ["DRUG", "BREAK"]}}, "OP": "*"}
        return [Element(spec, max_gap=int(gap.group(1)))]
    op = ""
    if token.endswith("?"):
        token, op = token[:-1], "?"
    role = ""
    if ":" in token:
        token, role = token.rsplit(":", 1)
        if role not in ROLES:
            raise MinerError(f"pattern element {token}:{role}: unknown role {role!r} (use {', '.join(ROLES)})")
    alts = token.split("|")
    spec: dict[str, Any]
    units = [a for a in alts if a in UNIT_TYPES]
    cue_classes = [a for a in alts if _NAME.match(a) and a not in UNIT_TYPES]
    words = [a for a in alts if not _NAME.match(a)]
    for c in cue_classes:
        if c not in classes:
            raise MinerError(f"pattern element {token!r}: unknown cue class {c}")
    for w in words:
        if not _WORD.match(w):
            raise MinerError(f"pattern element {token!r}: bad literal {w!r} (literals are lower case)")
    if units and (cue_classes or words):
        raise MinerError(f"pattern element {token!r}: do not mix unit types with cue classes or words")
    if cue_classes and words:
        # a cue unit is tagged with its class, any other unit with its lower-case text
        spec = {"_": {"xtag": {"IN": cue_classes + words}}}
        needs = {("cue", c) for c in cue_classes} | {("word", w) for w in words}
    elif units:
        spec = {"_": {"xunit": {"IN": units}}}
        needs = {("unit", u) for u in units}
    elif cue_classes:
        spec = {"_": {"xcue": {"IN": cue_classes}}}
        needs = {("cue", c) for c in cue_classes}
    else:
        spec = {"LOWER": {"IN": words}}
        needs = {("word", w) for w in words}
    if op:
        spec["OP"] = op
        needs = set()
    return [Element(spec, role, frozenset(needs))]


def _expand(text: str, macros: dict[str, list[str]], depth: int = 0) -> list[list[str]]:
    """Expand @MACRO references into every alternative token sequence."""
    if depth > 5:
        raise MinerError("pattern macros nest too deeply")
    options: list[list[list[str]]] = []
    for tok in text.split():
        if tok.startswith("@"):
            opt = tok[1:].rstrip("?")
            if opt not in macros:
                raise MinerError(f"pattern uses undefined macro @{opt}")
            alts: list[list[str]] = []
            for alt in macros[opt]:
                alts.extend(_expand(alt, macros, depth + 1))
            if tok.endswith("?"):
                alts.append([])
            options.append(alts)
        else:
            options.append([[tok]])
    return [list(itertools.chain.from_iterable(combo)) for combo in itertools.product(*options)]


def compile_rules(grammar: "Grammar") -> list[RelationPattern]:
    """Compile the grammar's rules into element sequences (errors name the rule)."""
    classes = set(grammar.classes) | BUILTIN_CLASSES
    out: list[RelationPattern] = []
    for rule in grammar.rules:
        rp = RelationPattern(
            name=rule.name,
            kind=rule.kind,
            confidence=rule.confidence,
            effect=rule.effect,
            effect_by_cue=dict(rule.effect_by_cue),
            effect_by_sentence=dict(rule.effect_by_sentence),
            constraints=rule.constraints,
            mechanism=rule.mechanism,
            drug=rule.drug,
            prior=rule.prior,
        )
        for text in rule.patterns:
            for seq in _expand(text, grammar.macros):
                try:
                    elements = [el for tok in seq for el in _element(tok, classes)]
                except MinerError as exc:
                    raise MinerError(f"rule {rule.name}: {exc}") from None
                roles = [e.role for e in elements if e.role]
                if "drug" not in roles:
                    raise MinerError(f"rule {rule.name}: {text!r} has no DRUG:drug element")
                rp.sequences.append(elements)
        out.append(rp)
    return out


@dataclass
class PatternSet:
    """Compiled patterns, one small Matcher per expanded sequence.

    :meth:`matches` runs only the sequences whose required units, cue classes
    and words all occur in the sentence, so most sentences cost a few set
    lookups rather than a Matcher run.
    """

    patterns: list[RelationPattern]
    entries: list[tuple[RelationPattern, list[Element], Matcher]]
    version: str

    def matches(self, doc: Any, present: set[tuple[str, str]]) -> Iterator[tuple[RelationPattern, dict[str, int]]]:
        """(pattern, role -> unit index) for every match in the unit Doc ``doc``."""
        for rp, seq, matcher in self.entries:
            if not all(el.needs & present for el in seq if el.needs):
                continue
            for _key, start, end, align in matcher(doc, with_alignments=True):
                if not _gaps_ok(seq, align):
                    continue
                roles: dict[str, int] = {}
                for k, el_index in enumerate(align):
                    role = seq[el_index].role
                    if role and role not in roles:
                        roles[role] = start + k
                yield rp, roles


def _gaps_ok(seq: list[Element], align: list[int]) -> bool:
    counts: dict[int, int] = {}
    for el_index in align:
        if seq[el_index].max_gap >= 0:
            counts[el_index] = counts.get(el_index, 0) + 1
    return all(n <= seq[i].max_gap for i, n in counts.items())


def literal_cue_words(patterns: Iterable[RelationPattern]) -> frozenset[str]:
    """Trigger words that patterns spell out as literals ("fails:cue", "ineffective|RES_ADJ:cue")."""
    return frozenset(
        value for rp in patterns for seq in rp.sequences for el in seq if el.role == "cue"
        for kind, value in el.needs if kind == "word"
    )


def present_features(units: Iterable[Any]) -> set[tuple[str, str]]:
    """What a sentence offers to the ``needs`` of pattern elements."""
    out: set[tuple[str, str]] = set()
    for u in units:
        out.add(("unit", u.unit))
        if u.cue:
            out.add(("cue", u.cue))
        out.add(("word", u.text.lower()))
    return out


def build_matcher(patterns: list[RelationPattern], vocab: Vocab, version: str) -> PatternSet:
    entries = []
    for rp in patterns:
        for n, seq in enumerate(rp.sequences):
            matcher = Matcher(vocab, validate=True)
            matcher.add(f"{rp.name}#{n}", [[e.spec for e in seq]])
            entries.append((rp, seq, matcher))
    return PatternSet(patterns, entries, version)
