"""Drug names -> lexicon ids and comparable agents.

Gold rows and predictions write drugs as they appear in text ("T–DM1",
"trastuzumab+pertuzumab", "EGFR-TKIs").  Linking (``miner gold link``) and the
matcher must agree on how such a string becomes ids, so both use
:func:`resolve_name` and :func:`agent`.  The lexicon itself lives in
:mod:`miner.lexicon`; this module only needs its small interface
(:class:`LexiconLike`), which lets tests inject a tiny table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Iterable, Protocol, Sequence

from miner.lexicon.compounds import WRITTEN, split_compound, split_shared_tail
from miner.lexicon.normalize import key, singular_keys, unify_dashes


class LexiconLike(Protocol):
    """The part of :class:`miner.lexicon.Lexicon` the evaluation stage relies on."""

    def lookup(self, text: str) -> Any | None: ...  # LexEntry(id, name, kind, synonyms, members, parents)

    def get(self, id: str) -> Any | None: ...

    def members(self, id: str) -> frozenset[str]: ...

    def normalize_gene(self, text: str) -> str | None: ...


def default_lexicon() -> LexiconLike:
    """The project's drug lexicon (:func:`miner.lexicon.load_lexicon`)."""
    from miner.lexicon import load_lexicon

    return load_lexicon()


#: Words that say "a treatment" without naming a different agent ("osimertinib therapy").
_GENERIC_TAIL = re.compile(
    r"(?:\s+|-)(?:(?:mono|chemo)?(?:therapy|therapies)|treatments?|alone|regimens?|drugs?|agents?|based(?: chemotherapy| regimens?)?)$",
    re.IGNORECASE,
)
#: Leading words that qualify an agent without naming a different one ("irreversible EGFR-TKIs", "other ...").
_GENERIC_HEAD = re.compile(
    r"^(?:(?:the|an?|single[- ]agent|combined|combination|dual|sequential|subsequent|other|different|several|"
    r"various|some|irreversible|reversible|prior|previous|novel|newer|approved|available|"
    r"(?:low|high|standard|reduced|full)[- ]dose|dose[- ](?:dense|intense)|metronomic|"
    r"(?:first|second|third|later)[- ]line)\s+)+",
    re.IGNORECASE,
)
#: PDF text often loses the hyphen of "third-generation".
_GLUED_GENERATION = re.compile(r"\b(first|second|third|fourth)(generation)\b", re.IGNORECASE)
_ACTION_TAIL = re.compile(r"\s+(?:inhibition|blockade)$", re.IGNORECASE)
_PAREN = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*$")


def clean(text: str) -> str:
    """Unicode-normalised, single-spaced, ASCII dashes: the form every comparison starts from."""
    text = unify_dashes(unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", " ", text).strip()


def name_variants(name: str) -> list[str]:
    """Ways to look a written name up: as is, long/short form of "long (SHORT)", without a generic tail.

    Ordered most specific first and deduplicated, so lookups are deterministic.
    """
    base = clean(name)
    out = [base]
    unglued = _GLUED_GENERATION.sub(r"\1-\2", base)
    if unglued != base:
        out.append(unglued)
    m = _PAREN.match(base)
    if m:
        out += [m.group(1), m.group(2)]
    for v in list(out):
        headless = _GENERIC_HEAD.sub("", v)
        for stripped in (headless, _GENERIC_TAIL.sub("", headless)):
            if stripped and stripped != v:
                out.append(stripped)
            if _ACTION_TAIL.search(stripped):  # "ALK inhibition" names the same agents as "ALK inhibitors"
                out.append(_ACTION_TAIL.sub(" inhibitors", stripped))
    return list(dict.fromkeys(v for v in out if v))


def surface_keys(text: str) -> frozenset[str]:
    """Case-, dash- and space-insensitive keys of a name, singular forms included ("T–DM1" == "TDM1").

    The lexicon's own key (:func:`miner.lexicon.normalize.key`), so both sides normalise alike.
    """
    k = key(text)
    return frozenset({k, *singular_keys(k)}) - {""}


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", clean(text).lower()))


def _initials_cover(short: str, words: Sequence[str]) -> bool:
    """True if ``short`` spells the initials of ``words`` (tki = tyrosine kinase inhibitor)."""
    return len(words) >= 2 and all(w[0] == c for w, c in zip(words, short)) and len(short) in (len(words), len(words) + 1) and (
        len(short) == len(words) or short[-1] == "s"
    )


def _same_word(x: str, y: str) -> bool:
    """Equal up to a plural ending ("inhibitors" == "inhibitor")."""
    return x == y or bool({x, *singular_keys(x)} & {y, *singular_keys(y)})


def _acronym_spans(short: str, n: int) -> tuple[int, ...]:
    """How many words ``short`` could abbreviate (its length, or one less for a plural -s)."""
    return tuple(k for k in {len(short), len(short) - 1} if 2 <= k <= n)


@lru_cache(maxsize=65536)
def _aligned(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Word-by-word equality where one word of either side may be an acronym of several of the other."""
    if not a or not b:
        return not a and not b
    if _same_word(a[0], b[0]) and _aligned(a[1:], b[1:]):
        return True
    for k in _acronym_spans(a[0], len(b)):
        if _initials_cover(a[0], b[:k]) and _aligned(a[1:], b[k:]):
            return True
    for k in _acronym_spans(b[0], len(a)):
        if _initials_cover(b[0], a[:k]) and _aligned(a[k:], b[1:]):
            return True
    return False


#: Names longer than this (chemical names among DrugBank synonyms) are not tried as acronym expansions.
MAX_ACRONYM_WORDS = 8


def names_match(a: Iterable[str], b: Iterable[str]) -> bool:
    """Do two sets of written names denote the same agent by surface form or abbreviation?"""
    return _forms_match(_forms(tuple(a)), _forms(tuple(b)))


def _forms(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    words = tuple(w for w in dict.fromkeys(_words(n) for n in names) if 0 < len(w) <= MAX_ACRONYM_WORDS)
    return frozenset().union(*(surface_keys(n) for n in names)), words


def _forms_match(a: tuple[frozenset[str], tuple], b: tuple[frozenset[str], tuple]) -> bool:
    if a[0] & b[0]:
        return True
    # an acronym consumes several words of the other side, so only unequal word counts can align
    # and any alignment starts with the same letter on both sides
    return any(_aligned(x, y) for x in a[1] for y in b[1] if len(x) != len(y) and x[0][0] == y[0][0])


def _lookup(name: str, lexicon: LexiconLike) -> Any | None:
    for variant in name_variants(name):
        entry = lexicon.lookup(variant)
        if entry is not None:
            return entry
    return None


def split_combination(name: str) -> list[str]:
    """Parts of a combination written as one string ("X plus Y", "X+Y", "X and Y", "X, Y")."""
    parts = [p.strip(" ;") for p in split_compound(clean(name), WRITTEN)]
    return [p for p in parts if p]


@dataclass(frozen=True)
class Resolution:
    """Lexicon ids of a written name; ``unknown`` lists the parts the lexicon does not know."""

    ids: tuple[str, ...]
    unknown: tuple[str, ...]


def resolve_name(name: str, lexicon: LexiconLike) -> Resolution:
    """Ids for a written drug/regimen/class name.

    The whole string is tried first (regimens such as "FOLFOX" or "T-DM1" are lexicon
    entries); otherwise it is split into a combination and each part looked up, and a
    part still unknown is split at a slash with its shared tail ("BRAF/MEK inhibitors").
    """
    if not clean(name):
        return Resolution((), ())
    entry = _lookup(name, lexicon)
    if entry is not None:
        return Resolution((entry.id,), ())
    ids: list[str] = []
    unknown: list[str] = []
    parts = split_combination(name)
    for part in parts:
        entry = _lookup(part, lexicon) if len(parts) > 1 else None
        if entry is not None:
            ids.append(entry.id)
            continue
        sub = [_lookup(s, lexicon) for s in split_shared_tail(clean(part))]
        if sub and all(e is not None for e in sub):
            ids.extend(e.id for e in sub)
        else:
            unknown.append(part)
    return Resolution(tuple(dict.fromkeys(ids)), tuple(unknown))


# -- agents: what the matcher compares -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Component:
    """One agent of a (possibly combined) therapy: a drug, a class, or an unresolved name.

    Interned (one object per lexicon id or written part, see :func:`_component`), so
    identity equality and hashing are valid and the matcher's caches stay cheap.
    """

    key: str  # lexicon id, or "name:<surface key>"
    kind: str  # drug | class | name
    members: frozenset[str]  # drug ids a class covers (empty otherwise)
    names: tuple[str, ...]  # written forms (lexicon name + synonyms, or the text)

    @cached_property
    def forms(self) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
        """Surface keys and word tuples of :attr:`names`, computed once per component."""
        return _forms(self.names)


Agent = tuple[Component, ...]


#: Ids the reader gives classes named after a target the lexicon has no class for ("class:raf_inhibitor",
#: "class:flt3_targeted", "class:anti_lag3": :mod:`miner.extract.geneclasses`).
_TARGET_CLASS_ID = re.compile(r"^class:(?:anti_(?P<anti>[a-z0-9]+)|(?P<target>[a-z0-9]+)_(?P<kind>inhibitor|targeted))$")


def _id_names(id_: str) -> tuple[str, ...]:
    """The names an id the lexicon does not know spells: a target class id its class name ("class:raf_inhibitor"
    is "raf inhibitor", so that the "RAF" of "RAF and MEK inhibition" matches "RAF inhibition"), any other id itself."""
    m = _TARGET_CLASS_ID.match(id_)
    if m is None:
        return (id_,)
    if m.group("anti"):
        return (id_, f"anti-{m.group('anti')}")
    return (id_, f"{m.group('target')} {'inhibitor' if m.group('kind') == 'inhibitor' else 'targeted therapy'}")


@lru_cache(maxsize=None)
def _component(id_: str, lexicon: LexiconLike) -> tuple[Component, ...]:
    """The components of a lexicon id (a regimen gives its member drugs), one object per id and lexicon."""
    entry = lexicon.get(id_)
    if entry is None:
        return (Component(id_, "name", frozenset(), _id_names(id_)),)
    names = tuple(dict.fromkeys([entry.name, *getattr(entry, "synonyms", ())]))
    if entry.kind == "regimen":
        out: list[Component] = []
        for member in sorted(lexicon.members(id_)):
            out.extend(_component(member, lexicon))
        return tuple(out) or (Component(id_, "drug", frozenset(), names),)
    if entry.kind == "class":
        return (Component(id_, "class", frozenset(lexicon.members(id_)), names),)
    return (Component(id_, "drug", frozenset({id_}), names),)


@lru_cache(maxsize=65536)
def _name_component(part: str) -> Component:
    """A written part the lexicon does not know, compared by spelling and abbreviation."""
    return Component("name:" + key(part), "name", frozenset(), tuple(name_variants(part)))


def agent(name: str, ids: Sequence[str], lexicon: LexiconLike) -> Agent:
    """The comparable form of one side of a finding (regimens expanded to their member drugs).

    Linked ``ids`` win; without them the name is resolved here, and parts the lexicon
    does not know are kept as surface names so they can still match by spelling.
    """
    if ids:
        resolved, unknown = tuple(ids), ()
    else:
        res = resolve_name(name, lexicon)
        resolved, unknown = res.ids, res.unknown
    comps: list[Component] = []
    for id_ in resolved:
        comps.extend(_component(id_, lexicon))
    comps.extend(_name_component(part) for part in unknown)
    unique = {c.key: c for c in comps}
    return tuple(unique[k] for k in sorted(unique))


#: Scores of one predicted component against one gold component.
EXACT, VIA_CLASS, PARTIAL = 1.0, 0.9, 0.7


@lru_cache(maxsize=262144)
def component_score(pred: Component, gold: Component) -> float:
    """How well a predicted agent stands for a gold agent (0 = not at all).

    Same id or same written form: exact.  A drug or subclass inside a gold class: via
    class (docetaxel matches "taxanes" but never its sibling cabazitaxel).  A predicted
    class does not match a gold member drug or subclass: it says less than the gold row.
    """
    if pred.key == gold.key:
        return EXACT
    if gold.kind == "class" and pred.kind == "drug" and pred.key in gold.members:
        return VIA_CLASS
    if gold.kind == "class" and pred.kind == "class" and pred.members and pred.members <= gold.members:
        return VIA_CLASS  # a subclass ("first-generation EGFR TKIs" within "EGFR TKIs")
    if "name" in (pred.kind, gold.kind) and _forms_match(pred.forms, gold.forms):
        return EXACT
    return 0.0


@lru_cache(maxsize=262144)
def agent_score(pred: Agent, gold: Agent) -> float:
    """Score of a predicted agent against a gold agent.

    Both empty (no prior drug): exact.  Every predicted component must be covered by a
    gold component (a prediction never names a drug the gold row does not); a prediction
    naming only some members of a gold combination matches with a lower score, so that
    one-to-one assignment prefers the complete one.
    """
    if not pred and not gold:
        return EXACT
    if not pred or not gold:
        return 0.0
    best = [max(component_score(p, g) for g in gold) for p in pred]
    if min(best) == 0.0:
        return 0.0
    covered = all(any(component_score(p, g) > 0 for p in pred) for g in gold)
    return min(best) if covered else PARTIAL * min(best)
