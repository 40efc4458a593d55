"""Mechanism attachment: the gene, variant or process that explains a relation, and its type.

A mechanism is attached when the pattern itself names it (``GENE:mech``), or when
a gene/variant or a named process follows a mechanism link ("mediated by",
"due to", "via", ...) or precedes a causal verb ("... confers") in the same
sentence, or, failing that, in the next sentence when that sentence links a
gene to "this" relation.  The mechanism text is the gene plus the words that
say what happened to it ("KEAP1 mutation", "loss of HER2", "ABCB1
overexpression"); its type comes from the cue table in ``cues.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from miner.extract.cues import CueLexicon
from miner.extract.grammar import load_grammar
from miner.extract.units import Unit
from miner.lexicon.genes import fusion_kinase, is_symbol, split_fusion, variant_genes

_VARIANT = re.compile(r"^[A-Z]\d{1,4}(?:[A-Z]|del|ins|fs|\*)$|^(?:ex|exon)\s?\d+|del|ins", re.IGNORECASE)
_SPLICE = re.compile(r"-V\d+$|\bv\d+$|Δ|delta", re.IGNORECASE)
LINK_WINDOW = 4  # units between a link cue and the gene
WORD_WINDOW = 3  # units around the gene scanned for mechanism words
_ANAPHORIC_START = re.compile(r"^\s*(this|these|such|the|that)\b", re.IGNORECASE)


@dataclass
class Mechanism:
    text: str
    start: int
    end: int
    genes: list[str] = field(default_factory=list)
    type: str = "unknown"
    from_next_sentence: bool = False


def _type_words(cues: CueLexicon) -> list[tuple[str, str]]:
    pairs = [(w.lower(), t) for t, words in cues.mechanism_types.items() for w in words]
    # longer phrases first so "splice variant" wins over "variant"
    return sorted(pairs, key=lambda p: -len(p[0]))


def mechanism_type(text: str, genes: list[str], label: str, cues: CueLexicon) -> str:
    """Classify a mechanism phrase: genes whose role fixes the type (ABCB1 -> efflux), then words, then shape."""
    first = text.split()[0].upper() if text.split() else ""
    upper = {g.upper() for g in genes} | {first}
    for typ, symbols in cues.gene_mechanism_types.items():
        if upper & {s.upper() for s in symbols}:
            return typ
    low = text.lower()
    for word, typ in _type_words(cues):
        if re.search(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])", low):
            return typ
    if _SPLICE.search(text):
        return "splice_variant"
    if label == "VARIANT" or any(_VARIANT.search(t) for t in text.split()):
        return "secondary_mutation"
    return "unknown"


def _phrase(units: list[Unit], g: int, cues: CueLexicon) -> tuple[int, int]:
    """Unit range [a, b) of the mechanism phrase around gene unit ``g``.

    Takes an "X of" on the left ("loss of HER2") and up to two mechanism words on
    the right ("KEAP1 loss-of-function mutation", "HER2 loss").
    """
    words = {w.lower() for ws in cues.mechanism_types.values() for w in ws}
    a, b = g, g + 1
    if g >= 1 and units[g - 1].unit == "GENE":  # "EGFR T790M"
        a = g - 1
    elif g >= 2 and units[g - 1].text.lower() == "of" and units[g - 2].text.lower() in words:
        a = g - 2
    while b < len(units) and b < g + 3 and (
        units[b].text.lower() in words or (units[b].unit == "GENE" and b == g + 1)
    ):
        b += 1
    return a, b


def _make(units: list[Unit], g: int, cues: CueLexicon) -> Mechanism:
    a, b = _phrase(units, g, cues)
    text_units = units[a:b]
    start, end = text_units[0].start, text_units[-1].end
    genes: list[str] = []
    label = ""
    for u in text_units:
        if u.unit == "GENE" and u.mention is not None:
            label = u.mention.label if u.mention.label == "VARIANT" else label or u.mention.label
            for gid in mention_genes(u.mention.text, u.mention.ids, u.mention.label):
                if gid not in genes:
                    genes.append(gid)
    if not genes:  # a bare variant ("the T790M mutation") takes its gene from the sentence or known variants
        genes = context_genes(units, g)
    text = " ".join(u.text for u in text_units)
    return Mechanism(text, start, end, genes, mechanism_type(text, genes, label, cues))


def mention_genes(text: str, ids: list[str], label: str) -> list[str]:
    """HGNC symbols of a gene or variant mention: its ids (a fusion gives its kinase), else its text when it is
    symbol-shaped; counts, cell lines and gene families ("PARP") give none."""
    fusion = split_fusion(text.split()[0]) if text.split() else None
    if fusion is not None:
        return [fusion_kinase("::".join(fusion))]
    found = [fusion_kinase(i) for i in ids if is_symbol(i)]
    if len(found) == 2 and label == "VARIANT":  # a variant of a fusion ("BCR-ABL1 T315I"): the fusion's kinase
        found = [fusion_kinase("::".join(found))]
    if not found and label == "GENE":  # "KEAP1 mutation" as one span: its symbol-shaped word
        found = [w for w in text.split() if is_symbol(w)][:1]
    if not found and label == "VARIANT":
        gene = variant_genes().get(text.split()[-1] if text.split() else "")
        found = [gene] if gene else []
    return list(dict.fromkeys(found))


def context_genes(units: list[Unit], g: int) -> list[str]:
    """The gene a bare variant belongs to: the one gene the sentence names ("L755S" in an ERBB2 sentence)."""
    named: list[str] = []
    for k, u in enumerate(units):
        if k != g and u.unit == "GENE" and u.mention is not None and u.mention.label == "GENE":
            for gid in mention_genes(u.mention.text, u.mention.ids, "GENE"):
                if gid not in named:
                    named.append(gid)
    return named if len(named) == 1 else []


def _process_after(units: list[Unit], i: int) -> int | None:
    for j in range(i + 1, min(len(units), i + 1 + LINK_WINDOW)):
        if units[j].cue == "PROCESS":
            return j
        if units[j].unit in ("DRUG", "BREAK"):
            return None
    return None


def find_in_sentence(units: list[Unit], trigger: int, cues: CueLexicon) -> Mechanism | None:
    """A gene or process linked to the relation whose trigger unit is ``trigger``."""
    grammar = load_grammar()
    links, causes = grammar.classes_with("mechanism_link"), grammar.classes_with("mechanism_cause")
    # "... mediated by / due to / via GENE" after the trigger
    for i in range(trigger + 1, len(units)):
        if units[i].unit == "BREAK":
            break
        if units[i].cue in links or units[i].cue in causes:
            for j in range(i + 1, min(len(units), i + 1 + LINK_WINDOW)):
                if units[j].unit == "GENE":
                    return _make(units, j, cues)
                if units[j].unit in ("DRUG", "BREAK"):
                    break
            p = _process_after(units, i)
            if p is not None:
                u = units[p]
                return Mechanism(u.text, u.start, u.end, [], mechanism_type(u.text, [], "", cues))
    # "GENE ... confers/mediates ... <trigger>" before the trigger
    for i in range(trigger - 1, -1, -1):
        if units[i].unit == "BREAK":
            break
        if units[i].cue in causes:
            for j in range(i - 1, max(-1, i - 1 - LINK_WINDOW - 2), -1):
                if units[j].unit == "GENE":
                    return _make(units, j, cues)
                if units[j].unit in ("DRUG", "BREAK"):
                    break
    return None


def find_in_next(units: list[Unit], text: str, cues: CueLexicon) -> Mechanism | None:
    """A mechanism stated by the next sentence about "this" relation ("This was due to KEAP1 loss")."""
    if not _ANAPHORIC_START.match(text):
        return None
    if any(u.unit == "DRUG" for u in units[:4]):
        return None
    grammar = load_grammar()
    openers = grammar.classes_with("mechanism_link") | grammar.classes_with("mechanism_cause") \
        | grammar.classes_with("mechanism_noun")
    for i, u in enumerate(units):
        if u.cue in openers:
            mech = find_in_sentence(units, i - 1, cues)
            if mech is not None:
                mech.from_next_sentence = True
                return mech
    return None


def mechanism_list(units: list[Unit], g: int) -> list[int]:
    """Indexes of the mechanism units listed with unit ``g`` ("KRAS, NRAS and BRAF mutations"), in text order.

    Members are joined by list conjunctions; a unit right after another gene unit belongs to its phrase
    ("EGFR T790M") and is not a member of its own.
    """
    joins = load_grammar().classes_with("list_join")
    members = [g]
    for step in (-1, 1):
        k, joined = g + step, False
        while 0 <= k < len(units):
            u = units[k]
            if u.cue in joins:
                joined = True
            elif u.unit == "GENE" and joined:
                if not (k > 0 and units[k - 1].unit == "GENE") or step == -1:
                    members.append(k)
                joined = False
            elif u.unit == "GENE" and not joined:
                pass  # the same phrase ("EGFR T790M")
            else:
                break
            k += step
    # keep the head of each "GENE VARIANT" phrase once: drop a member right after another member
    members = sorted(set(members))
    return [k for k in members if not (k - 1 in members and units[k - 1].unit == "GENE")]


def find_carrier(units: list[Unit], cues: CueLexicon) -> Mechanism | None:
    """The alteration a sentence says its population carries, for a later sentence about that population
    ("A xenograft was established with cells having PTEN loss. The xenograft was resistant to docetaxel.").

    A variant or fusion mention is an alteration by itself; a gene counts with an alteration word next to it.
    The first such mention wins (the carrier is introduced before anything else is said about it).
    """
    altered = load_grammar().word_list("carrier_alteration")
    for k, u in enumerate(units):
        if u.unit != "GENE" or u.mention is None:
            continue
        near = {units[j].text.lower() for j in (k - 1, k + 1) if 0 <= j < len(units)}
        words = set(u.text.lower().replace("-", " ").split())
        if u.mention.label == "VARIANT" or (near | words) & altered:
            mech = _make(units, k, cues)
            mech.from_next_sentence = True  # not stated in the finding's own sentence
            return mech
    return None


def from_gene_unit(units: list[Unit], g: int, cues: CueLexicon) -> Mechanism:
    """The mechanism named by a pattern's ``GENE:mech`` element."""
    return _make(units, g, cues)
