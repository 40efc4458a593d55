"""The abstracted sentence that patterns run on: one unit per mention, cue phrase or token.

Relation patterns should speak of "a drug, then a resistance cue, then 'to', then
a drug", not of the words that spell them.  So each sentence is rewritten as a
short sequence of units: a whole drug or gene mention is one unit, a multi-word
cue phrase ("previously treated with") is one unit tagged with its cue class,
an affix glued to a drug ("-resistant", "post-") is one unit tagged with its
affix class, and every other token stays itself.  The units become a small spaCy
``Doc`` whose tokens carry ``_.xunit`` (DRUG/GENE/BREAK/...) and ``_.xcue`` (cue
class), so ordinary ``Matcher`` patterns can address them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from miner.extract.celllines import DrugName, find_line_code
from miner.extract.cues import CueLexicon
from miner.extract.geneclasses import class_identity, head_kind, is_symbol_shape, with_gene_classes
from miner.extract.grammar import load_grammar
from miner.extract.mentions import Mention, Resolver
from miner.lexicon.compounds import compound_parts
from miner.lexicon.normalize import HYPHENS

#: The class of the "+" unit made when "X+Y" is split (checked to have the regimen_join role in the tests).
SPLIT_JOIN_CLASS = "JOIN_REGIMEN"
#: The class of named mechanisms without a gene (the grammar's ``processes``): their units are mechanism units.
PROCESS_CLASS = "PROCESS"
#: The class of the unit that follows the drug code of a drug-selected cell line ("MCF-7/Dox" reads as
#: "Dox-resistant"; checked to have the resistant_after role in the tests).
SELECTED_LINE_CLASS = "AFFIX_RES"
_SPLIT_HYPHEN = re.compile(f"[{re.escape(HYPHENS)}]")

for _name in ("xunit", "xcue", "xtag"):
    if not Token.has_extension(_name):
        Token.set_extension(_name, default="")


@dataclass
class Unit:
    """One element of the abstracted sentence."""

    text: str
    start: int  # character offsets in the document text
    end: int
    unit: str = ""  # DRUG | GENE | DISEASE | CUE | BREAK | ANA ("this combination") | "" (a plain token)
    cue: str = ""  # cue or affix class
    mention: Mention | None = None
    token_i: int = -1  # index of the first source token in the parsed doc


def _cue_spans(sent: Span, matches: list[tuple[int, int, int]], vocab: Vocab) -> list[Span]:
    spans = [Span(sent.doc, s, e, label=m) for m, s, e in matches if s >= sent.start and e <= sent.end]
    return filter_spans(spans)


def build_units(
    sent: Span,
    mentions: list[Mention],
    cue_matches: list[tuple[int, int, int]],
    cues: CueLexicon,
    resolver: Resolver,
    base: int = 0,
    abbreviations: dict[str, tuple[str, list[str], bool]] | None = None,
    named: list[DrugName] | None = None,
) -> list[Unit]:
    """Rewrite one parsed sentence as units (offsets shifted by ``base``).

    ``named`` lists the drugs the text names, against which the codes of drug-selected cell lines
    ("H2228/CR") are resolved (:mod:`miner.extract.celllines`).
    """
    doc = sent.doc
    grammar = load_grammar()
    # tokens and cue classes a pattern gap may not cross: a new clause usually starts a new statement, and
    # "X is effective in preventing Y resistance" says nothing about X after Y
    clause_breaks, gap_breaks = grammar.word_list("clause_break"), grammar.classes_with("gap_break")
    regimen_anaphors, not_agent = grammar.classes_with("anaphor_regimen"), grammar.classes_with("not_agent")
    cue_spans = _cue_spans(sent, cue_matches, doc.vocab)
    cue_tokens = {i for span in cue_spans for i in range(span.start, span.end)}
    # drug classes named after their target ("IDH inhibitors"), which the recognizers read as a gene
    mentions = with_gene_classes(sent, mentions, resolver, base)
    lookup = _name_lookup(resolver, abbreviations)
    split_mentions: dict[int, list[Unit]] = {}
    # token index -> mention that starts there / covers it
    by_token: dict[int, Mention] = {}
    covered: set[int] = set()
    gene_tokens: set[int] = set()  # tokens of gene/variant mentions, which a cell line name may claim ("H2228")
    for m in mentions:
        span = doc.char_span(m.start - base, m.end - base, alignment_mode="expand")
        if span is None or span.start < sent.start or span.end > sent.end:
            continue
        if any(i in covered for i in range(span.start, span.end)):
            continue
        # a disease only gives context and yields to cue words that NER may tag ("hypersensitive")
        if m.kind == "DISEASE" and any(i in cue_tokens for i in range(span.start, span.end)):
            continue
        # a drug and its affix taken for one name ("cisplatin-resistance" tagged as a disease)
        glued = _split_text(m.text, m.start, span.start, cues, lookup) if m.kind == "DISEASE" else []
        if glued:
            split_mentions[span.start] = glued
        by_token[span.start] = m
        covered.update(range(span.start, span.end))
        if m.kind == "GENE":
            gene_tokens.update(range(span.start, span.end))
    cue_at: dict[int, Span] = {}
    for span in cue_spans:
        if not any(i in covered for i in range(span.start, span.end)):
            cue_at[span.start] = span

    units: list[Unit] = []
    linked = _link_citation_tokens(sent)
    not_gene = covered - gene_tokens  # a cell line name may claim gene/variant tokens ("H2228"), no others
    sent_tokens = ([t.text for t in sent], [bool(t.whitespace_) for t in sent])
    i = sent.start
    while i < sent.end:
        tok = doc[i]
        if i in linked:  # "[\(54\)](#page-15-0)": a citation rendered as a link by PDF conversion
            i += 1
            continue
        skip = _citation_end(doc, i, sent.end)
        if skip:  # "(12, 13)" or "[4-6]": citation markers say nothing and would eat pattern gaps
            i = skip
            continue
        line = _selected_line(sent, i, not_gene, resolver, named or [], sent_tokens)
        if line is not None:
            first = doc[line.first_token + sent.start]
            start = base + first.idx + line.code_start
            m = Mention(line.code, start, start + len(line.code), "DRUG", line.drug.label, list(line.drug.ids),
                        resolver.oncology(line.drug.ids))
            units.append(Unit(line.code, m.start, m.end, "DRUG", "", m, i))
            units.append(Unit("", m.end, m.end, "CUE", SELECTED_LINE_CLASS, None, i))
            i = line.last_token + sent.start + 1
            continue
        if i in by_token:
            m = by_token[i]
            units.extend(split_mentions.get(i) or [Unit(m.text, m.start, m.end, m.kind, "", m, i)])
            i += 1
            while i < sent.end and i in covered and i not in by_token:
                i += 1
            continue
        # "-" + affix glued to the previous drug ("trastuzumab" "-" "resistant")
        if (
            tok.text in HYPHENS
            and units
            and units[-1].unit == "DRUG"
            and i + 1 < sent.end
            and not doc[i - 1].whitespace_
            and not tok.whitespace_
            and doc[i + 1].lower_ in cues.suffix_class
        ):
            nxt = doc[i + 1]
            units.append(
                Unit(tok.text + nxt.text, base + tok.idx, base + nxt.idx + len(nxt), "CUE",
                     cues.suffix_class[nxt.lower_], None, i)
            )
            i += 2
            continue
        if i in cue_at:
            span = cue_at[i]
            kind = "BREAK" if span.label_ in gap_breaks else ("ANA" if span.label_ in regimen_anaphors else "CUE")
            if span.label_ == PROCESS_CLASS:  # a named process is a mechanism as a gene is ("EMT leads to ...")
                kind = "GENE"
            units.append(Unit(span.text, base + span.start_char, base + span.end_char, kind, span.label_, None, i))
            i = span.end
            continue
        split = _split_text(tok.text, base + tok.idx, tok.i, cues, lookup)
        known = abbreviations.get(tok.text) if abbreviations else None
        if split:
            units.extend(split)
        elif known is not None:  # defined elsewhere in the document
            m = Mention(tok.text, base + tok.idx, base + tok.idx + len(tok), "DRUG", known[0], list(known[1]), known[2])
            units.append(Unit(tok.text, m.start, m.end, "DRUG", "", m, i))
        elif gene := gene_alias(tok.text, resolver):
            # a curated resistance gene the NER left untagged ("P-gp", "BCRP")
            m = Mention(tok.text, base + tok.idx, base + tok.idx + len(tok), "GENE", "GENE", [gene])
            units.append(Unit(tok.text, m.start, m.end, "GENE", "", m, i))
        else:
            kind = "BREAK" if tok.lower_ in clause_breaks else ""
            units.append(Unit(tok.text, base + tok.idx, base + tok.idx + len(tok), kind, "", None, i))
        i += 1
    # "chemotherapy-free", "steroid-sparing": the name does not denote an agent given
    for k in range(len(units) - 1):
        if units[k].unit == "DRUG" and units[k + 1].cue in not_agent:
            units[k].unit, units[k].mention = "", None
    demote_named_classes(units)
    distribute_class_head(units, resolver)
    return units


def _selected_line(sent: Span, i: int, covered: set[int], resolver: Resolver, named: list[DrugName],
                   tokens: tuple[list[str], list[bool]]):
    """A drug-selected cell line name starting at token ``i`` whose tokens no mention claims, else None.

    ``tokens`` are the sentence's token texts and trailing-space flags, computed once per sentence."""
    tok = sent.doc[i]
    if not any(c.isdigit() for c in tok.text) or i in covered:
        return None
    found = find_line_code(tokens[0], tokens[1], i - sent.start, resolver.drug, named)
    if found is None or any(k + sent.start in covered for k in range(found.first_token, found.last_token + 1)):
        return None
    return found


def distribute_class_head(units: list[Unit], resolver: Resolver) -> None:
    """Elliptical coordination: "BRAF, MEK and ERK inhibitors" names three classes, not two genes and a class.

    When gene units are listed right before a class whose name is "<target> <head>", each gene is looked up as
    "<gene> <head>"; the ones the lexicon knows become class units of their own.
    """
    joins = load_grammar().classes_with("list_join")
    for k, u in enumerate(units):
        m = u.mention
        if u.unit != "DRUG" or m is None or m.label != "DRUG_CLASS":
            continue
        first = u.text.split(" ", 1)[0]
        dash = next((c for c in first if c in HYPHENS), "")
        if dash and k >= 2 and units[k - 1].cue in joins and units[k - 2].text[-1:] in HYPHENS:
            # "HER2- and ER-targeted therapies": the first member ends with the dash the head follows
            g, head = units[k - 2], u.text.split(dash, 1)[1]
            found = resolver.drug(g.text + head)
            if found is not None and found[0] == "DRUG_CLASS":
                _as_class(g, g.text.rstrip(HYPHENS) + "-" + head, found[1], resolver)
            continue
        if " " not in u.text:
            continue
        head = u.text.split(" ", 1)[1]
        kind = head_kind(head)
        j = k - 1
        while j >= 0 and (units[j].cue in joins or units[j].unit == "GENE" or _symbol_unit(units[j])):
            g = units[j]
            if g.cue not in joins:
                found = resolver.drug(f"{g.text} {head}")
                if found is not None and found[0] == "DRUG_CLASS":
                    _as_class(g, f"{g.text} {head}", found[1], resolver)
                elif kind and (_symbol_unit(g) or (g.mention is not None and g.mention.label == "GENE"
                                                   and is_symbol_shape(g.text))):
                    # a target the lexicon has no class for ("RAF and MEK inhibition"): its own target class
                    ids, onc = class_identity((g.text,), head, kind, resolver)
                    _as_class(g, f"{g.text} {head}", ids, resolver, onc)
                else:
                    break
            j -= 1


def _symbol_unit(unit: Unit) -> bool:
    """A plain token shaped like a gene symbol ("RAF" the recognizers left untagged)."""
    return not unit.unit and not unit.cue and is_symbol_shape(unit.text)


def _as_class(unit: Unit, name: str, ids: list[str], resolver: Resolver, oncology: bool | None = None) -> None:
    """Make ``unit`` the class ``name`` it stands for; its text and offsets stay those of the words as written (a
    finding's argument is always the text at its offsets), the full name is kept in ``Mention.name``."""
    onc = resolver.oncology(ids) if oncology is None else oncology
    unit.mention = Mention(unit.text, unit.start, unit.end, "DRUG", "DRUG_CLASS", ids, onc, name)
    unit.unit = "DRUG"


def _named_drug(unit: Unit) -> bool:
    return unit.unit == "DRUG" and unit.mention is not None and unit.mention.label != "DRUG_CLASS"


def demote_named_classes(units: list[Unit]) -> None:
    """A class named together with its members stands for those members, so it stops being an agent.

    Apposition ("the BRAF inhibitor vemurafenib", "the chemotherapeutic drugs etoposide and pemetrexed") and
    exemplification ("platinum-based drugs such as cisplatin and carboplatin", "MEK inhibitors (e.g. trametinib)",
    "cabazitaxel (new taxane)", "pemetrexed-based chemotherapy",
    "dual HER2 blockade by trastuzumab plus pertuzumab", "first-generation TRK inhibitors (entrectinib and larotrectinib)")
    make the class a descriptor of the drugs that follow; statements are about the named drugs (the gold-set
    convention, annotations/GUIDELINES.md). The class unit and the linking word become ``CLASS_DESC`` cues,
    which patterns may skip before a drug.
    """
    grammar = load_grammar()
    # "X-based chemotherapy"; head nouns between a class and its drug; words that introduce the members
    based, head_nouns, example_words = grammar.word_list("based"), grammar.word_list("head_noun"), grammar.word_list("example")
    for k, u in enumerate(units):
        if u.unit != "DRUG" or u.mention is None or u.mention.label != "DRUG_CLASS":
            continue
        # after its drug: "cabazitaxel (a new taxane)", "pemetrexed-based chemotherapy"
        # skip articles, hyphens and up to two plain modifiers ("abiraterone (second hormonal therapy)")
        before = [x for x in units[max(0, k - 5) : k] if x.text.lower() not in {"a", "an", "the", *HYPHENS}]
        for _ in range(2):
            last = before[-1] if before else None
            if last is None or last.unit or last.cue or not (last.text.isalpha() and last.text.islower()) \
                    or last.text in based:
                break
            before.pop()
        if before and (
            (before[-1].text == "(" and len(before) > 1 and _named_drug(before[-2]))
            or (before[-1].text.lower().lstrip(HYPHENS) in based and len(before) > 1 and _named_drug(before[-2]))
        ):
            u.unit, u.mention, u.cue = "CUE", None, "CLASS_DESC"
            continue
        j = k + 1
        while j < len(units) and units[j].text in {"(", ",", "["}:
            j += 1
        bracket = any(units[x].text in {"(", "["} for x in range(k + 1, j))
        if j < len(units) and units[j].text.lower() in head_nouns and j + 1 < len(units) and _named_drug(units[j + 1]):
            j += 1  # "the chemotherapy regimen FOLFIRINOX": a head noun between class and drug
        link = j < len(units) and units[j].text.lower() in example_words
        link_at = j
        if link:
            j += 1
            while j < len(units) and units[j].text in {",", ":"}:
                j += 1
        if j < len(units) and _named_drug(units[j]) and (
            link or bracket or j == k + 1 or units[j - 1].text.lower() in head_nouns
        ):
            u.unit, u.mention, u.cue = "CUE", None, "CLASS_DESC"
            if units[j - 1].text.lower() in head_nouns:
                units[j - 1].unit, units[j - 1].cue = "CUE", "CLASS_DESC"
            if link:
                units[link_at].unit, units[link_at].cue = "CUE", "CLASS_DESC"


def gene_alias(text: str, resolver: Resolver) -> str:
    """The curated gene a word spelled like a gene symbol names, else "".

    Two capitals or more ("BCRP"), or a capital with a digit or hyphen ("P-gp"), so that words such as
    "Met" or "kit" stay words.
    """
    upper = sum(c.isupper() for c in text)
    shaped = upper >= 2 or (upper >= 1 and any(c.isdigit() or c == "-" for c in text))
    return resolver.gene(text) if shaped and len(text) >= 3 else ""


_CITE_OPEN = {"(": ")", "[": "]"}
_CITE_INNER = re.compile(r"^[\d,;\-\u2013\u2010 ]+$|^(?:ref|refs)\.?$", re.IGNORECASE)


_LINK = r"\[[^\[\]\n]{0,40}\]\(#[^()\s]{0,60}\)"
#: Citations that PDF-to-Markdown conversion turns into internal links, alone or in runs:
#: "[\(54\)](#page-15-0)", "([89\)](#page-16-0))", "[\(47](#page-15-0)–[51\)](#page-15-0)".
_LINK_CITATION = re.compile(rf"\(?{_LINK}(?:\s*[,;\u2013-]\s*{_LINK})*\)?")


def _link_citation_tokens(sent: Span) -> set[int]:
    """Indexes of the tokens of ``sent`` that lie inside a link-style citation."""
    text = sent.text
    if "](#" not in text:
        return set()
    out: set[int] = set()
    for m in _LINK_CITATION.finditer(text):
        span = sent.doc.char_span(sent.start_char + m.start(), sent.start_char + m.end(), alignment_mode="expand")
        if span is not None:
            out.update(range(span.start, span.end))
    return out


def _citation_end(doc: Doc, i: int, end: int) -> int:
    """Index after a numeric citation starting at token ``i`` ("(12, 13)", "[4-6]"), else 0."""
    close = _CITE_OPEN.get(doc[i].text)
    if close is None:
        return 0
    for j in range(i + 1, min(end, i + 16)):
        if doc[j].text == close:
            return j + 1 if j > i + 1 else 0
        if not _CITE_INNER.match(doc[j].text):
            return 0
    return 0


#: What a name resolves to: (label, ids, oncology), or None.
NameLookup = Callable[[str], "tuple[str, list[str], bool] | None"]


def _name_lookup(resolver: Resolver, abbreviations: dict[str, tuple[str, list[str], bool]] | None) -> NameLookup:
    """Resolve a name through the lexicon, else the abbreviations the document defines ("PI" of "PI-resistance")."""

    def lookup(text: str) -> tuple[str, list[str], bool] | None:
        found = resolver.drug(text)
        if found is not None:
            return found[0], found[1], resolver.oncology(found[1])
        return abbreviations.get(text) if abbreviations else None

    return lookup


def _split_text(text: str, start: int, token_i: int, cues: CueLexicon, lookup: NameLookup) -> list[Unit]:
    """Split "gefitinib-resistant", "post-abiraterone", "trastuzumab+pertuzumab" (one token, or one mention the
    recognizers took for a disease) into units; ``start`` is the document offset of ``text``."""
    if len(text) < 4:
        return []
    out: list[Unit] = []
    if any(h in text for h in HYPHENS):
        parts = _SPLIT_HYPHEN.split(text)
        last, first = parts[-1].lower(), parts[0].lower()
        if len(parts) >= 2 and last in cues.suffix_class:
            stem = text[: len(text) - len(parts[-1]) - 1]
            found = lookup(stem)
            if found:
                cut = start + len(stem)
                return [
                    Unit(stem, start, cut, "DRUG", "", Mention(stem, start, cut, "DRUG", found[0], list(found[1]),
                                                                found[2]), token_i),
                    Unit(text[len(stem):], cut, start + len(text), "CUE", cues.suffix_class[last], None, token_i),
                ]
        if len(parts) >= 2 and first in cues.prefix_class:
            rest = text[len(parts[0]) + 1 :]
            found = lookup(rest)
            if found:
                cut = start + len(parts[0]) + 1
                return [
                    Unit(text[: len(parts[0]) + 1], start, cut, "CUE", cues.prefix_class[first], None, token_i),
                    Unit(rest, cut, start + len(text), "DRUG", "", Mention(rest, cut, start + len(text), "DRUG",
                                                                          found[0], list(found[1]), found[2]), token_i),
                ]
    if "+" in text or "/" in text:
        parts = compound_parts(text)
        if len(parts) >= 2:
            resolved = [lookup(text[s:e]) for s, e in parts]
            if all(resolved):
                pos = 0
                for (s, e), found in zip(parts, resolved):
                    if out:
                        out.append(Unit("+", start + pos, start + s, "CUE", SPLIT_JOIN_CLASS, None, token_i))
                    m = Mention(text[s:e], start + s, start + e, "DRUG", found[0], list(found[1]),  # type: ignore[index]
                                found[2])  # type: ignore[index]
                    out.append(Unit(m.text, m.start, m.end, "DRUG", "", m, token_i))
                    pos = e
                return out
    return []


def units_doc(units: list[Unit], vocab: Vocab, oncology_only: bool = False) -> Doc:
    """A spaCy Doc with one token per unit, tagged for the Matcher.

    With ``oncology_only``, drug mentions outside oncology ("oxygen", "glucose") are tagged ``CHEM``: they can
    fill no role, so they should not stop a gap either.
    """
    words = [u.text.replace(" ", "_") or "_" for u in units]
    doc = Doc(vocab, words=words, spaces=[True] * len(words))
    for tok, u in zip(doc, units):
        inert = oncology_only and u.unit == "DRUG" and u.mention is not None and not u.mention.oncology
        tok._.xunit = "CHEM" if inert else u.unit
        tok._.xcue = u.cue
        tok._.xtag = u.cue or u.text.lower()
    return doc
