"""The extraction grammar: one self-describing file of cue classes, word lists and relation rules.

``miner/data/extract/grammar.yml`` holds everything the reader knows about wording, in the spirit
of REACH's Odin grammars (every rule has a name, a priority, a label and examples):

* ``classes``: cue classes, each with its phrases (``words``) and its ``roles``. A role says what
  the code does with the class (``trigger``: worth parsing; ``negation``: flips an effect; ...);
  code asks :meth:`Grammar.classes_with` instead of naming classes, so a new class with an old
  role needs no code.
* ``words``: the closed word lists the reader's code consults (clause breaks, example words...).
* ``evidence``, ``mechanism_types``, ``gene_mechanism_types``, ``processes``: context tables.
* ``macros`` and ``rules``: relation patterns (syntax in :mod:`miner.extract.patterns`), each rule
  with its effect, kind, confidence, named constraints, a comment, ``examples`` (a sentence and
  the finding the rule reads from it) and ``not`` (sentences it must not read).

:func:`load_grammar` reads and validates the file once; :func:`validate` reports every problem
at once, naming the rule or class, so that a broken grammar never reaches the reader.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import srsly

from miner.errors import MinerError

GRAMMAR_FILE = "data/extract/grammar.yml"

#: What each role means; a class may have several roles, a role several classes.
ROLES: dict[str, str] = {
    "trigger": "a sentence holding one of its phrases is worth parsing (the prefilter)",
    "negation": "negates the relation whose trigger follows within a few units",
    "attenuator": "right before a trigger, weakens it into no effect of the schema ('diminished resistance')",
    "gap_break": "ends a pattern gap like a clause break ('effective in preventing resistance')",
    "mechanism_link": "introduces the mechanism after the relation ('mediated by', 'due to')",
    "mechanism_cause": "a causal verb linking a gene to the relation in either order ('confers')",
    "mechanism_noun": "names a mechanism in a following sentence ('This mechanism ...')",
    "list_join": "joins list members ('and', 'or', ',')",
    "regimen_join": "joins the drugs of one regimen ('plus', '+', 'combined with')",
    "hedge": "marks the statement as hedged",
    "aim": "marks the sentence as an aim or question, which states no result",
    "bidirectional": "marks the relation as holding both ways ('vice versa')",
    "anaphor_population": "refers back to the last resistant population ('these cells')",
    "anaphor_regimen": "refers back to the last regimen ('this combination')",
    "resistant_after": "after a drug, makes it the selecting drug of a population ('X-resistant')",
    "resistant_before": "before a drug, makes it the selecting drug of a population ('resistant to X')",
    "pretreated_before": "before a drug, makes it the prior treatment of a patient population ('progressed on X')",
    "pretreated_after": "after a drug, makes it the prior treatment of a patient population ('X-pretreated')",
    "anaphor_therapy": "points back to the agents of the preceding sentence ('this therapy', 'Despite this success')",
    "combination_word": "before a list, makes it one regimen ('the combination of')",
    "combination_noun": "after a list, makes it one regimen ('X and Y combination')",
    "copula": "a linking verb (a singular one after a list makes the list one regimen)",
    "not_agent": "after a drug name, says the drug is not given ('chemotherapy-free')",
    "outcome": "names an outcome of treatment (documentation of the outcome classes)",
}
#: What a negated effect means (None: the reading is dropped).
NEGATED_EFFECT: dict[str, str | None] = {
    "cross_resistance": "no_cross_resistance",
    "reduced_efficacy": "no_cross_resistance",
    "no_cross_resistance": "reduced_efficacy",
    "collateral_sensitivity": None,
    "resistance": None,
}
#: Named rule constraints (implemented in :mod:`miner.extract.constraints`).
#: where a rule's mechanism may come from (Rule.mechanism)
MECHANISM_SOURCES = ("", "antecedent")
#: where a rule's drug may come from (Rule.drug): the sentence, or the preceding one (the pattern puts the drug role
#: on its resistance cue: "RES_NOUN:drug")
DRUG_SOURCES = ("", "antecedent")
#: where a rule's prior may come from (Rule.prior): the sentence, or the study population named before
PRIOR_SOURCES = ("", "design")
CONSTRAINTS = ("within_class", "coordinated_roles", "one_direction", "not_comparator")
_NAME = re.compile(r"^[A-Z][A-Z_]*$")


@dataclass
class CueClass:
    name: str
    words: list[str]
    roles: frozenset[str]
    comment: str = ""


@dataclass
class Example:
    """A sentence and one finding a rule reads from it (``prior_drug`` "" for single-drug rules)."""

    sentence: str
    drug: str
    effect: str
    prior_drug: str = ""
    mechanism_genes: list[str] = field(default_factory=list)


@dataclass
class Rule:
    """One relation rule as written in the grammar (compiled by :mod:`miner.extract.patterns`)."""

    name: str
    kind: str
    confidence: float
    patterns: list[str]
    effect: str = ""
    effect_by_cue: dict[str, str] = field(default_factory=dict)
    effect_by_sentence: dict[str, str] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    #: where a pattern without GENE:mech finds its mechanism: "" (the sentence, then an anaphoric next sentence)
    #: or "antecedent" (also the carrier named earlier in the sentence, else in the two sentences before, within the
    #: block; none: no finding)
    mechanism: str = ""
    #: "antecedent": the pattern's drug role sits on its resistance cue and the drug is the one whose resistance the
    #: preceding sentence stated; such a rule reads only sentences that name no drug
    drug: str = ""
    #: "design": the pattern has no prior; the prior is the treatment of the study population named before ("patients
    #: who progressed on X"); such a reading is dropped when the sentence reads a prior of its own
    prior: str = ""
    comment: str = ""
    examples: list[Example] = field(default_factory=list)
    counter_examples: list[str] = field(default_factory=list)

    @property
    def effects(self) -> list[str]:
        return ([self.effect] if self.effect else []) + sorted(
            set(self.effect_by_cue.values()) | set(self.effect_by_sentence.values())
        )


@dataclass
class Grammar:
    classes: dict[str, CueClass]
    words: dict[str, frozenset[str]]
    evidence: dict[str, list[str]]
    mechanism_types: dict[str, list[str]]
    gene_mechanism_types: dict[str, list[str]]
    processes: list[str]
    macros: dict[str, list[str]]
    rules: list[Rule]
    version: str
    digest: str
    _by_role: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def classes_with(self, role: str) -> frozenset[str]:
        """Names of the cue classes that have ``role`` (an unknown role is a programming error)."""
        if role not in ROLES:
            raise KeyError(f"unknown cue role {role!r}")
        if role not in self._by_role:
            self._by_role[role] = frozenset(n for n, c in self.classes.items() if role in c.roles)
        return self._by_role[role]

    def word_list(self, name: str) -> frozenset[str]:
        try:
            return self.words[name]
        except KeyError:
            raise KeyError(f"grammar has no word list {name!r}") from None

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(f"no rule named {name!r}")


def _str_list(value: Any, where: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings")
        return []
    return list(value)


def _example(data: Any, where: str, problems: list[str]) -> Example | None:
    if not isinstance(data, dict) or not isinstance(data.get("sentence"), str) or not data.get("drug"):
        problems.append(f"{where}: an example needs 'sentence', 'drug' and 'effect'")
        return None
    return Example(
        sentence=data["sentence"], drug=str(data["drug"]), effect=str(data.get("effect", "")),
        prior_drug=str(data.get("prior_drug", "") or ""),
        mechanism_genes=[str(g) for g in data.get("mechanism_genes", []) or []],
    )


def parse(data: dict[str, Any], digest: str = "") -> Grammar:
    """Build a :class:`Grammar` from the parsed file; raises :class:`MinerError` listing every problem."""
    from miner.schema import EFFECTS, KINDS

    problems: list[str] = []
    classes: dict[str, CueClass] = {}
    for name, entry in (data.get("classes") or {}).items():
        if not _NAME.match(name):
            problems.append(f"class {name}: names are upper case")
            continue
        if not isinstance(entry, dict):
            problems.append(f"class {name}: expected a mapping with 'words' and 'roles'")
            continue
        roles = frozenset(entry.get("roles", []) or [])
        for role in sorted(roles - set(ROLES)):
            problems.append(f"class {name}: unknown role {role!r} (known: {', '.join(ROLES)})")
        classes[name] = CueClass(name, _str_list(entry.get("words", []), f"class {name}", problems), roles,
                                 str(entry.get("comment", "")))
    words = {k: frozenset(_str_list(v, f"words.{k}", problems)) for k, v in (data.get("words") or {}).items()}
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("rules") or []):
        name = entry.get("name", "") if isinstance(entry, dict) else ""
        where = f"rule {name or '#' + str(n + 1)}"
        if not name or name in seen:
            problems.append(f"{where}: name missing or repeated")
            continue
        seen.add(name)
        constraints = tuple(entry.get("constraints", []) or [])
        for c in constraints:
            if c not in CONSTRAINTS:
                problems.append(f"{where}: unknown constraint {c!r} (known: {', '.join(CONSTRAINTS)})")
        rule = Rule(
            name=name, kind=entry.get("kind", "acquired"), confidence=float(entry.get("confidence", 0.7)),
            patterns=_str_list(entry.get("patterns", []), where, problems), effect=entry.get("effect", "") or "",
            effect_by_cue=dict(entry.get("effect_by_cue", {}) or {}),
            effect_by_sentence=dict(entry.get("effect_by_sentence", {}) or {}),
            constraints=constraints, comment=str(entry.get("comment", "") or ""),
            mechanism=str(entry.get("mechanism", "") or ""),
            drug=str(entry.get("drug", "") or ""), prior=str(entry.get("prior", "") or ""),
        )
        for key, value, allowed in (("mechanism", rule.mechanism, MECHANISM_SOURCES), ("drug", rule.drug, DRUG_SOURCES),
                                    ("prior", rule.prior, PRIOR_SOURCES)):
            if value not in allowed:
                problems.append(f"{where}: {key} {value!r} not in {', '.join(map(repr, allowed))}")
        if not rule.effects or any(e not in EFFECTS for e in rule.effects):
            problems.append(f"{where}: needs effect(s) from {', '.join(EFFECTS)}")
        if rule.kind not in KINDS:
            problems.append(f"{where}: kind {rule.kind!r} not in {', '.join(KINDS)}")
        for cls in [*rule.effect_by_cue, *rule.effect_by_sentence]:
            if cls not in classes:
                problems.append(f"{where}: effect mapping names unknown class {cls}")
        for k, ex in enumerate(entry.get("examples", []) or []):
            made = _example(ex, f"{where} example {k + 1}", problems)
            if made is not None:
                readable = set(rule.effects) | {NEGATED_EFFECT.get(e) for e in rule.effects}
                if made.effect not in readable:
                    problems.append(f"{where} example {k + 1}: effect {made.effect!r} is not one the rule reads")
                rule.examples.append(made)
        rule.counter_examples = _str_list(entry.get("not", []) or [], f"{where} not", problems)
        if not rule.examples:
            problems.append(f"{where}: every rule needs at least one example")
        rules.append(rule)
    grammar = Grammar(
        classes=classes, words=words,
        evidence={k: list(v) for k, v in (data.get("evidence") or {}).items()},
        mechanism_types={k: list(v) for k, v in (data.get("mechanism_types") or {}).items()},
        gene_mechanism_types={k: list(v) for k, v in (data.get("gene_mechanism_types") or {}).items()},
        processes=list(data.get("processes") or []),
        macros={k: list(v) for k, v in (data.get("macros") or {}).items()},
        rules=rules, version=str(data.get("version", "0")), digest=digest,
    )
    if not problems:
        problems.extend(_check_patterns(grammar))
    if problems:
        raise MinerError("extraction grammar: " + "; ".join(problems))
    return grammar


def _check_patterns(grammar: Grammar) -> list[str]:
    """Compile every rule, and check that whatever a rule can match passes the prefilter.

    The prefilter keeps a sentence only if it holds a trigger phrase, so every expanded pattern
    sequence must require at least one trigger element (a trigger-class unit, or a literal word the
    prefilter looks for), or read its effect from a trigger class found in the sentence.

    Rules whose prior comes from the study design (``prior: design``) are exempt: they read sentences of a
    document whose population sentence already holds a trigger (an abstract is parsed whole when one of its
    sentences passes); in a long text such a sentence is read only when it lies in a kept chunk.
    """
    from miner.extract.patterns import compile_rules

    try:
        compiled = compile_rules(grammar)
    except MinerError as exc:
        return [str(exc)]
    from miner.extract.patterns import literal_cue_words

    triggers = grammar.classes_with("trigger")
    # the words the prefilter looks for: trigger-class phrases and words patterns mark as their cue
    trigger_words = {w.lower() for c in triggers for w in grammar.classes[c].words} | literal_cue_words(compiled)
    problems: list[str] = []
    for rp in compiled:
        rule = grammar.rule(rp.name)
        by_sentence = set(rule.effect_by_sentence)
        if by_sentence and by_sentence <= triggers or rule.prior == "design":
            continue
        for seq in rp.sequences:
            if not any(el.needs and all(value in (triggers if kind == "cue" else trigger_words)
                                        for kind, value in el.needs if kind in ("cue", "word"))
                       and any(kind in ("cue", "word") for kind, _ in el.needs)
                       for el in seq):
                shown = " ".join(
                    "/".join(v for _k, v in sorted(el.needs)) or "~" for el in seq if el.needs
                )
                problems.append(f"rule {rp.name}: a sequence requires no trigger phrase, so the prefilter may "
                                f"drop what it matches ({shown})")
                break
    return problems


@lru_cache(maxsize=1)
def load_grammar() -> Grammar:
    """The packaged grammar (read and validated once per process)."""
    text = resources.files("miner").joinpath(GRAMMAR_FILE).read_text("utf-8")
    try:
        data = srsly.yaml_loads(text)
    except Exception as exc:  # ruamel's errors carry the line and column
        raise MinerError(f"miner/{GRAMMAR_FILE}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MinerError(f"miner/{GRAMMAR_FILE}: expected a mapping at the top level")
    return parse(data, hashlib.sha1(text.encode("utf-8")).hexdigest()[:10])
