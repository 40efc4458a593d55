"""Drug classes named after their target ("IDH inhibitors", "AKT inhibition", "FLT3-targeted therapy",
"anti-programmed death protein 1 (PD-1) therapy") as agent mentions.

The lexicon lists the classes that recur in reviews (EGFR TKIs, MEK inhibitors, anti-PD-1 antibodies), but any
target can head a class, and abstracts name many the lexicon does not know ("resistance to IDH inhibition",
"allosteric IDH inhibitors", "RAF and MEK inhibition"). The recognizers tag the target as a gene (or not at all)
and leave the head word a plain token, so the reader saw a gene where the statement names an agent.

The algorithm is a pure function over the sentence's tokens (:func:`find_gene_classes`), in the style of
:mod:`miner.extract.codenames`: a phrase is a target class when

* a target (a gene mention, or a token shaped like a gene symbol: "IDH", "PD-1", "FLT3") is followed by a class
  head ("inhibitor(s)", "inhibition", "blockade", "antagonist(s)", "TKI(s)", "targeted therapy", ...: the
  grammar's ``gene_class_head`` list), or written "anti-<target> <head>" with the heads of ``anti_class_head``
  ("therapy", "antibodies", "agents"); a parenthesised short form may follow the target ("anti-programmed death
  protein 1 (PD-1) therapy");
* targets joined by list words share the head ("RAF and MEK inhibition" names two classes, as "first- and
  second-generation TKIs" does), while targets joined by a slash name one combination ("MEK/RAF inhibition");
* modifiers written before it belong to the name ("allosteric IDH inhibitors": the grammar's ``class_modifier``);
* the target is not a drug-handling protein (``gene_class_not_target``: "CYP3A4 inhibitors", "P-gp inhibitors"
  are co-medications, not anticancer agents).

Its identity (:func:`class_identity`) is the lexicon's class when the lexicon knows the name or the target's
"<target> inhibitor" class, else a stable id derived from the target, ``class:<target>_inhibitor`` (or
``_targeted``, ``anti_<target>``), so that assembly groups its mentions. A class followed by a named member
("the IDH1 inhibitor ivosidenib") is then a descriptor of the member like any lexicon class
(:func:`miner.extract.units.demote_named_classes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

from spacy.tokens import Span

from miner.extract.grammar import load_grammar
from miner.extract.mentions import Mention, Resolver
from miner.lexicon.normalize import HYPHENS

#: A token shaped like a gene symbol: a capital (or one lower-case letter then a capital: "mTOR"), letters
#: and digits, an optional short hyphenated part ("PD-1", "PD-L1"); two capitals at least ("IDH", "RAF", "FLT3")
_SYMBOL = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})(?:[a-z][A-Z]|[A-Z])[A-Za-z0-9]{1,8}(?:[-\u2010][A-Za-z0-9]{1,3})?$")
_SLASH = "/"


@dataclass(frozen=True)
class ClassPhrase:
    """One target class found in a sentence: the token range of its words as written, and what it names."""

    start: int  # first token (a modifier, "anti" or the target)
    end: int  # token after its last word
    #: the targets it names ("MEK", "RAF" of "MEK/RAF inhibition"), each as its spellings (short form first:
    #: "PD-1", "programmed death protein 1")
    targets: tuple[tuple[str, ...], ...]
    head: str  # the head words ("inhibition", "targeted therapy")
    kind: str  # "inhibitor" | "targeted" | "anti": which head list (and id form) it was read with
    #: the head is written after a later list member ("RAF" of "RAF and MEK inhibition"): the class's full name is
    #: its words, then ``joiner``, then ``head``
    elliptical: bool = False
    joiner: str = " "


#: The grammar's head lists and the kind of class each gives.
_HEAD_LISTS = (("inhibitor", "gene_class_head"), ("targeted", "gene_targeted_head"), ("anti", "anti_class_head"))


@lru_cache(maxsize=1)
def _words() -> tuple[dict[str, tuple[tuple[str, ...], ...]], frozenset[str], tuple[str, ...], frozenset[str]]:
    """The grammar's word lists: ({kind: head phrases as token tuples, longest first}, modifiers, prefixes of
    targets that are no anticancer target, list joins)."""
    grammar = load_grammar()

    def phrases(name: str) -> tuple[tuple[str, ...], ...]:
        return tuple(sorted((tuple(p.lower().split()) for p in grammar.word_list(name)), key=len, reverse=True))

    joins = frozenset(w.lower() for c in grammar.classes_with("list_join") for w in grammar.classes[c].words
                      if " " not in w)
    not_target = tuple(sorted(p.lower() for p in grammar.word_list("gene_class_not_target")))
    heads = {kind: phrases(name) for kind, name in _HEAD_LISTS}
    return heads, frozenset(w.lower() for w in grammar.word_list("class_modifier")), not_target, joins


def is_symbol_shape(text: str) -> bool:
    """Does ``text`` look like a gene symbol ("IDH", "PD-1", "FLT3", "mTOR") and not a drug-handling protein?"""
    return bool(_SYMBOL.match(text)) and is_target(text)


def is_target(text: str) -> bool:
    """Whether a class named after ``text`` may be an anticancer agent ("CYP3A4 inhibitors" are not)."""
    low = text.lower()
    return not any(low.startswith(p) for p in _words()[2])


def symbol_targets(words: Sequence[str]) -> dict[int, tuple[int, tuple[str, ...]]]:
    """Tokens shaped like a gene symbol, or slash compounds of such ("MEK/RAF"): index -> (end, target texts)."""
    out: dict[int, tuple[int, tuple[str, ...]]] = {}
    for i, w in enumerate(words):
        parts = tuple(w.split(_SLASH)) if _SLASH in w else (w,)
        if all(is_symbol_shape(p) for p in parts):
            out[i] = (i + 1, parts)
    return out


def _head_at(words: Sequence[str], j: int, kinds: tuple[str, ...]) -> tuple[int, str]:
    """(end index, kind) of the longest head of the lists of ``kinds`` written at token ``j`` (a hyphen first is
    allowed: "FLT3" "-" "targeted" "therapy"), else (0, "")."""
    heads = _words()[0]
    if j < len(words) and words[j] in HYPHENS:
        j += 1
    low = tuple(w.lower() for w in words[j : j + 4])
    best = (0, "")
    for kind in kinds:
        for p in heads[kind]:
            if low[: len(p)] == p and j + len(p) > best[0]:
                best = (j + len(p), kind)
    return best


def head_kind(head: str) -> str:
    """The kind of class a head written after a target makes ("inhibition" -> "inhibitor", "targeted therapy" ->
    "targeted"), "" when it is no class head."""
    words = head.split()
    end, kind = _head_at(words, 0, ("inhibitor", "targeted"))
    return kind if end == len(words) else ""


def _paren_short(words: Sequence[str], j: int, targets: Mapping[int, tuple[int, tuple[str, ...]]]) -> tuple[int, tuple[str, ...]]:
    """A parenthesised short form of the target right after it ("programmed death protein 1 (PD-1)"): (end, texts)."""
    if j + 2 < len(words) and words[j] == "(" and j + 1 in targets:
        end, texts = targets[j + 1]
        if end < len(words) and words[end] == ")":
            return end + 1, texts
    return j, ()


#: Most words of a target's name spelled out before its parenthesised symbol ("programmed cell death protein 1").
_MAX_SPELLED = 6


def _spelled_out(words: Sequence[str], j: int, targets: Mapping[int, tuple[int, tuple[str, ...]]]
                 ) -> tuple[int, tuple[str, ...]] | None:
    """A target's name spelled out from token ``j`` and followed by its symbol in parentheses ("programmed death
    protein 1 (PD-1)"): (token after the name, the name), so that the short form then reads as its spelling."""
    for k in range(j + 1, min(len(words) - 2, j + _MAX_SPELLED + 1)):
        if not words[k - 1].replace("-", "").isalnum():
            return None
        if words[k] == "(" and k + 1 in targets and targets[k + 1][0] < len(words) and words[targets[k + 1][0]] == ")":
            return k, (" ".join(words[j:k]),)
    return None


def find_gene_classes(words: Sequence[str], targets: Mapping[int, tuple[int, tuple[str, ...]]]) -> list[ClassPhrase]:
    """The target classes written in a sentence, in order.

    ``words`` are the token texts; ``targets`` maps the first token of each target candidate (a gene mention, or
    :func:`symbol_targets`) to (token after it, its target texts).
    """
    _, modifiers, _, joins = _words()
    out: list[ClassPhrase] = []
    n = len(words)
    i = 0
    while i < n:
        anti = words[i].lower() == "anti" and i + 2 < n and words[i + 1] in HYPHENS
        if anti and i + 2 not in targets:
            long_form = _spelled_out(words, i + 2, targets)
            if long_form is not None:  # "anti-programmed death protein 1 (PD-1) therapy": the short form is the target
                targets = {**targets, i + 2: long_form}
        anti = anti and i + 2 in targets
        t = i + 2 if anti else i
        if t not in targets:
            i += 1
            continue
        # list members as (start, end, target texts), grouped: list words separate classes, a slash joins targets
        members: list[tuple[int, int, tuple[tuple[str, ...], ...]]] = []
        groups: list[list[int]] = [[]]
        j = t
        while True:
            end, texts = targets[j]
            end, short = _paren_short(words, end, targets)
            # a slash compound token ("MEK/RAF") names several targets; a short form spells the one before it
            members.append((j, end, ((*short, *texts),) if short else tuple((x,) for x in texts)))
            groups[-1].append(len(members) - 1)
            k = end
            if k + 1 < n and words[k] == "," and words[k + 1].lower() in joins:
                k += 1  # ", and"
            if anti or k + 1 >= n or k + 1 not in targets:
                break
            if words[k] == _SLASH:
                j = k + 1
            elif words[k].lower() in joins:
                groups.append([])
                j = k + 1
            else:
                break
        last_end = members[-1][1]
        head_end, kind = _head_at(words, last_end, ("anti",) if anti else ("inhibitor", "targeted"))
        if not head_end:
            i = t + 1
            continue
        head = " ".join(w for w in words[last_end:head_end] if w not in HYPHENS)
        joiner = "-" if words[last_end] in HYPHENS else " "
        start = i
        while not anti and start > 0 and words[start - 1].lower() in modifiers:
            start -= 1
        for g, group in enumerate(groups):
            final = g == len(groups) - 1
            g_start = start if g == 0 else members[group[0]][0]
            g_end = head_end if final else members[group[-1]][1]
            names = tuple(x for m in group for x in members[m][2])
            out.append(ClassPhrase(g_start, g_end, names, head, kind, not final, joiner))
        i = head_end
    return out


def _slug(text: str) -> str:
    """The id part of a target: lower-case letters and digits ("PD-1" -> "pd1", "IDH1" -> "idh1")."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def class_identity(spellings: Sequence[str], head: str, kind: str, resolver: Resolver) -> tuple[list[str], bool]:
    """(ids, oncology) of the class "<target> <head>" (or "anti-<target> <head>"), the target written as any of
    ``spellings`` (short form first).

    The lexicon's class when it knows the name, or the target's inhibitor class ("FLT3 blockade" is a FLT3
    inhibitor class if the lexicon lists one); else ``class:<symbol>_inhibitor`` (``_targeted`` for "targeted
    therapy", ``anti_<symbol>`` for "anti-" forms), with the target's official symbol when the gene table knows it
    ("c-MET" and "MET" give one id). An unknown target class counts as an anticancer agent: the reader only reads
    sentences about drug resistance in cancer, and drug-handling targets are excluded (:func:`is_target`).
    """
    anti = kind == "anti"
    for target in spellings:
        names = [f"anti-{target} {head}", f"anti-{target}"] if anti else [f"{target} {head}", f"{target} inhibitor"]
        for name in names:
            found = resolver.drug(name)
            if found is not None and found[0] == "DRUG_CLASS" and found[1]:
                return list(found[1]), resolver.oncology(found[1])
    target = spellings[0]
    slug = _slug(resolver.gene(target) or target)
    return [f"class:anti_{slug}" if anti else f"class:{slug}_{kind}"], True


def with_gene_classes(sent: Span, mentions: list[Mention], resolver: Resolver, base: int = 0) -> list[Mention]:
    """``mentions`` of one sentence with the target classes it writes as class mentions.

    A class mention replaces the gene mention of its target and a lexicon class inside its head ("targeted
    therapy" of "FLT3-targeted therapy"); a phrase that overlaps any other mention (a drug, a disease) is not read.
    Offsets are document offsets (the sentence's Doc text starts at ``base``).
    """
    doc = sent.doc
    words = [t.text for t in sent]
    spans: list[tuple[int, int, Mention]] = []
    for m in mentions:
        span = doc.char_span(m.start - base, m.end - base, alignment_mode="expand")
        if span is not None and sent.start <= span.start and span.end <= sent.end:
            spans.append((span.start - sent.start, span.end - sent.start, m))
    covered = {k for s, e, _ in spans for k in range(s, e)}
    targets = {i: t for i, t in symbol_targets(words).items() if i not in covered}
    for s, e, m in spans:
        if m.label == "GENE" and is_target(m.text):
            parts = m.text.split(_SLASH)
            targets[s] = (e, tuple(parts) if len(parts) > 1 and all(is_symbol_shape(p) for p in parts) else (m.text,))
    phrases = find_gene_classes(words, targets)
    if not phrases:
        return mentions
    replaced: set[int] = set()
    added: list[Mention] = []
    for p in phrases:
        inside = [(s, e, m) for s, e, m in spans if s < p.end and p.start < e]
        if any(not (m.label == "GENE" or (m.label == "DRUG_CLASS" and p.start <= s and e <= p.end)) for s, e, m in inside):
            continue
        start, end = base + sent[p.start].idx, base + sent[p.end - 1].idx + len(sent[p.end - 1])
        text = doc.text[start - base : end - base]
        ids: list[str] = []
        oncology = False
        for spellings in p.targets:
            found, onc = class_identity(spellings, p.head, p.kind, resolver)
            ids += [i for i in found if i not in ids]
            oncology = oncology or onc
        name = f"{text}{p.joiner}{p.head}" if p.elliptical else ""
        added.append(Mention(text, start, end, "DRUG", "DRUG_CLASS", ids, oncology, name))
        replaced.update(id(m) for _, _, m in inside)
    if not added:
        return mentions
    return sorted([m for m in mentions if id(m) not in replaced] + added, key=lambda m: m.start)
