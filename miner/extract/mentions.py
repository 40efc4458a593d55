"""Mentions the reader reasons about: drugs (drug, regimen or class), genes/variants, diseases.

The NLP pipeline finds them (``doc.ents`` labelled CHEMICAL/GENE/VARIANT/DISEASE and
linked through the lexicon); this module only reads those annotations into one
small record, and resolves names that the tokenizer leaves glued to an affix
("post-abiraterone") through the lexicon.  Chemicals the lexicon does not know
as drugs are not drug mentions: precision on real abstracts matters more than
the odd unlinked name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Protocol

from spacy.tokens import Span

from miner.lexicon import KIND_LABELS, load_lexicon
from miner.lexicon.abbreviations import first_definitions, number_variants, text_definitions
from miner.lexicon.normalize import HYPHENS

DRUG_LABELS = ("DRUG", "REGIMEN", "DRUG_CLASS")
#: A statistic the chemical recognizer may tag ("p=0.028", "N=39", "n = 10", "P<0.001", "HR = 0.5"): a short
#: symbol, a comparison sign and a number; never an agent.
_STATISTIC = re.compile(r"^[A-Za-z]{1,3}\s*[=<>\u2264\u2265]\s*[-+\u2212]?\d[\d.,]*\s*%?$")
#: What may be glued to the edge of a drug name and belongs to an affix ("gefitinib-" of "gefitinib-resistant").
_EDGE = HYPHENS + " "


@dataclass
class Mention:
    """One agent or gene mention, with character offsets in the document text."""

    text: str
    start: int
    end: int
    kind: str  # DRUG | GENE | DISEASE
    label: str = ""  # DRUG | REGIMEN | DRUG_CLASS | GENE | VARIANT | DISEASE
    ids: list[str] = field(default_factory=list)
    #: an anticancer agent, regimen or class (lexicon flag); findings need one on each side
    oncology: bool = False
    #: the full name an elliptical list member stands for ("first-" of "first- and second-generation TKIs":
    #: "first-generation TKIs"); ``text`` stays the words at the mention's offsets
    name: str = ""

    @property
    def key(self) -> str:
        """What makes two mentions "the same agent" (ids if linked, else lower-cased text)."""
        return "|".join(sorted(self.ids)) if self.ids else self.text.lower()


class Resolver(Protocol):
    """Looks a name up in the drug/gene lexicon."""

    def drug(self, text: str) -> tuple[str, list[str]] | None: ...

    def may_extend(self, text: str) -> bool: ...

    def gene(self, text: str) -> str: ...

    def oncology(self, ids: list[str]) -> bool: ...


class LexiconResolver:
    """:class:`Resolver` backed by :func:`miner.lexicon.load_lexicon` (None-safe if absent)."""

    def __init__(self, lexicon: Any | None) -> None:
        self.lexicon = lexicon
        # the prefilter asks about token n-grams of every sentence: the same strings recur constantly
        self._lookup = lru_cache(maxsize=200_000)(self._lookup_uncached)

    def drug(self, text: str) -> tuple[str, list[str]] | None:
        found = self._lookup(text.strip())[0]
        return (found[0], list(found[1])) if found else None

    def may_extend(self, text: str) -> bool:
        """Whether a longer name starting with ``text`` could still be in the lexicon (n-gram pruning)."""
        return self._lookup(text.strip())[1]

    def _lookup_uncached(self, text: str) -> tuple[tuple[str, tuple[str, ...]] | None, bool]:
        """(label and ids of the drug ``text`` names, or None; whether some lexicon name extends ``text``)."""
        if self.lexicon is None or not text:
            return None, False
        # only synonyms safe in free text (no short codes or common words such as "gold"), matched with the word
        # structure (spaces, hyphens) of the text so that multi-word names ("HER2-targeted drugs") match too
        extendable = self.lexicon.may_extend(text)
        found = self.lexicon.match_id(text)
        entry = self.lexicon.get(found) if found else None
        if entry is None:
            return None, extendable
        label, ids = _entry_label_ids(entry)
        return ((label, tuple(ids)) if label in DRUG_LABELS else None), extendable

    def oncology(self, ids: list[str]) -> bool:
        """True if any id is an anticancer drug, regimen or class in the lexicon."""
        if self.lexicon is None:
            return False
        for i in ids:
            entry = self.lexicon.get(i)
            if entry is not None and entry.oncology:
                return True
        return False

    def gene(self, text: str) -> str:
        if self.lexicon is None:
            return ""
        try:
            return self.lexicon.normalize_gene(text) or ""
        except Exception:  # a lexicon without gene tables
            return ""


def _entry_label_ids(entry: Any) -> tuple[str, list[str]]:
    """(label, ids) of a :class:`miner.lexicon.LexEntry`."""
    return KIND_LABELS.get(entry.kind, ""), [entry.id]


@lru_cache(maxsize=1)
def default_resolver() -> LexiconResolver:
    """The project lexicon (:func:`miner.lexicon.load_lexicon`), loaded once."""
    return LexiconResolver(load_lexicon())


def _ext(span: Span, name: str) -> Any:
    return getattr(span._, name) if span.has_extension(name) else None


def drug_identity(span: Span, resolver: "Resolver | None" = None) -> tuple[str, list[str]] | None:
    """The lexicon label (DRUG, REGIMEN or DRUG_CLASS) and ids of a chemical span: the drug linker's, else a
    lexicon lookup of its text (with a resolver); None when the lexicon does not call it an agent."""
    label = _ext(span, "drug_label") or ""
    if label == "DRUG":
        ids = list(_ext(span, "drug_ids") or [])
    else:
        class_id = _ext(span, "class_id")
        ids = [class_id] if class_id else []
    if not label and resolver is not None:
        found = resolver.drug(span.text)
        if found is None:
            return None
        label, ids = found
    if label not in DRUG_LABELS:
        return None
    return label, ids or ([span.kb_id_] if span.kb_id_ else [])


def mention_from_ent(
    ent: Span, resolver: Resolver, base: int = 0, lexicon_spans: list[Span] | None = None
) -> Mention | None:
    """Turn one pipeline entity into a :class:`Mention` (None for unlinked chemicals).

    A statistical CHEMICAL span that holds a longer phrase than the drug name
    ("bicalutamide failure") is cut down to the lexicon match inside it.
    """
    start, end = base + ent.start_char, base + ent.end_char
    text = ent.text
    if ent.label_ == "CHEMICAL" and lexicon_spans:
        inner = [s for s in lexicon_spans if ent.start <= s.start and s.end <= ent.end and len(s) < len(ent)]
        if len(inner) == 1:
            start, end, text = base + inner[0].start_char, base + inner[0].end_char, inner[0].text
    # a hyphen glued to the name ("gefitinib-" of "gefitinib-resistant") belongs to the affix
    trimmed = text.strip(_EDGE)
    if trimmed != text and trimmed:
        start += len(text) - len(text.lstrip(_EDGE))
        end = start + len(trimmed)
        text = trimmed
    if ent.label_ == "CHEMICAL":
        if is_statistic(text):
            return None
        identity = drug_identity(ent, resolver)
        if identity is None:
            return None
        label, ids = identity
        return Mention(text, start, end, "DRUG", label, ids, resolver.oncology(ids))
    if ent.label_ == "GENE":
        gene = _ext(ent, "gene_id") or resolver.gene(ent.text)
        return Mention(text, start, end, "GENE", "GENE", [gene] if gene else [])
    if ent.label_ == "VARIANT":
        genes = [g for g in (_ext(ent, "gene_ids") or ()) if g]
        return Mention(text, start, end, "GENE", "VARIANT", genes)
    if ent.label_ == "DISEASE":
        return Mention(text, start, end, "DISEASE", "DISEASE", [ent.kb_id_] if ent.kb_id_ else [])
    return None


def is_statistic(text: str) -> bool:
    """Whether a span is a statistic ("p=0.028", "n = 10") rather than a name."""
    return _STATISTIC.match(text.strip()) is not None


def drug_abbreviations(text: str, resolver: Resolver) -> dict[str, tuple[str, list[str], bool]]:
    """Drug abbreviations defined anywhere in a text: short form -> (label, ids, oncology).

    Long texts are parsed paragraph by paragraph, so an abbreviation defined in one
    paragraph ("enzalutamide (ENZA)") would be unknown in the others; this scan
    makes it known to the whole document.  The long form's last 1-4 words must
    name a drug and the short form must not itself be an ordinary word.  The other
    grammatical number of a class's short form is known too ("PIs" defined: "PI resistance").
    """

    def candidates() -> Iterator[tuple[str, object, object | None, tuple[str, list[str]]]]:
        for long_words, short in text_definitions(text):
            # abbreviations are capitalised ("ENZA", "T-DM1"); "(12)" or "(n" are citations and counts
            if sum(c.isupper() for c in short) < 2:
                continue
            found = _drug_ending(long_words, resolver)
            if found is not None:
                yield short, found, resolver.drug(short), found

    defined = first_definitions(candidates())
    out = {short: (label, ids, resolver.oncology(ids)) for short, (label, ids) in defined.items()}
    for short, value in list(out.items()):
        # a class is written in both numbers: "PIs" defined, "PI resistance" names the class too
        for variant in number_variants(short) if value[0] == "DRUG_CLASS" else ():
            if variant not in out and resolver.drug(variant) is None:
                out[variant] = value
    return out


def _drug_ending(words: list[str], resolver: Resolver) -> tuple[str, list[str]] | None:
    """The longest drug name the words end with (their last 1 to all), else None."""
    for k in range(len(words), 0, -1):
        found = resolver.drug(" ".join(words[-k:]))
        if found and found[0] in DRUG_LABELS:
            return found
    return None
