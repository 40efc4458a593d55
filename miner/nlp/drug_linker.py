"""Drug, regimen and drug-class mentions, linked to DrugBank / regimen / class ids.

Algorithm: longest-match dictionary lookup over token n-grams (the approach of an EntityRuler/PhraseMatcher,
e.g. scispacy's and Tiktinsky et al.'s drug taggers), but on normalised keys (:mod:`miner.lexicon.normalize`): a
token n-gram's key is the concatenation of its tokens' keys, so "EGFR-TKIs", "EGFR TKIs" and "EGFR - TKI"
match one lexicon entry without listing spellings. Only synonyms the lexicon build marked as safe for free text
are used (no short codes, common English words or gene names); short acronyms match case-sensitively.

On top of the dictionary:

- slash/plus compounds ("carboplatin/cisplatin", "sirolimus+") link when every part is a drug;
- document-level abbreviations (scispacy's Schwartz & Hearst detector, run before this component): a short form
  unknown to the matcher ("T-DM1" in a text that defined it, or "TDM") takes its long form's id; a short form the
  document defines as something else ("ADC (apparent diffusion coefficient)") is not matched as a drug;
- statistical CHEMICAL entities are kept and linked to an id when their text (or a drug name inside them) is in
  the lexicon.

Overlaps (spaCy entities cannot overlap): a lexicon span replaces a statistical CHEMICAL span unless that span
strictly contains it (then the longer statistical span is kept and linked); it replaces a GENE or DISEASE span only
when it contains it and is longer ("HER2-targeted agents" over GENE "HER2"), or, for a GENE span, has exactly its
extent and the curated gene table does not know the text ("ARSIs"). Every lexicon mention, placed or not,
is also kept in ``doc.spans["drugs"]``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span

from miner.lexicon import KIND_LABELS, LexEntry, Lexicon, load_lexicon
from miner.lexicon.abbreviations import first_definitions, parenthesised
from miner.lexicon.compounds import GLUED, split_compound
from miner.lexicon.ngrams import longest_matches
from miner.lexicon.normalize import SALT_WORDS, TextKey, exact_key, key_splits
from miner.nlp.extensions import register_extensions
from miner.nlp.spans import covers, place_spans

LABEL = "CHEMICAL"
SPAN_GROUP = "drugs"
#: Regimen spelling variants: "mFOLFOX6", "FOLFOX-4", "mFOLFIRINOX" (modified / schedule number).
_REGIMEN_VARIANT = re.compile(r"^m?(?P<base>[A-Z][A-Za-z-]*[A-Za-z])-?\d{0,2}$")


@lru_cache(maxsize=200_000)
def _token_key(text: str) -> tuple[str, frozenset[int], frozenset[int]]:
    """Per-token key (cached: the same words recur across abstracts)."""
    return key_splits(text)


@lru_cache(maxsize=200_000)
def _token_exact(text: str) -> str:
    return exact_key(text)


@Language.factory(
    "miner_drug_linker",
    default_config={"max_tokens": 10, "add_classes": True, "add_general_drugs": False},
)
def make_drug_linker(
    nlp: Language, name: str, max_tokens: int, add_classes: bool, add_general_drugs: bool
) -> "DrugLinker":
    """Factory for :class:`DrugLinker` (spaCy registry name ``miner_drug_linker``)."""
    return DrugLinker(name, max_tokens=max_tokens, add_classes=add_classes, add_general_drugs=add_general_drugs)


class DrugLinker:
    """Marks drug/regimen/class mentions as CHEMICAL entities with ids (see module docstring)."""

    def __init__(
        self,
        name: str = "miner_drug_linker",
        lexicon: Lexicon | None = None,
        max_tokens: int = 10,
        add_classes: bool = True,
        add_general_drugs: bool = False,
    ) -> None:
        register_extensions()
        self.name = name
        self.lexicon = lexicon or load_lexicon()
        self.max_tokens = max_tokens
        self.add_classes = add_classes
        self.add_general_drugs = add_general_drugs

    # -- matching ------------------------------------------------------------------------------------------

    def find_mentions(self, doc: Doc) -> list[tuple[int, int, tuple[str, ...]]]:
        """Non-overlapping (start, end, entry ids) lexicon matches, longest first, left to right."""
        lex = self.lexicon
        texts: list[str] = []
        spaces: list[bool] = []
        skip: list[bool] = []
        for t in doc:  # one pass: creating Token objects dominates the cost of matching
            texts.append(t.text)
            spaces.append(bool(t.whitespace_))
            skip.append(t.is_punct or t.is_space)
        token_keys = [_token_key(t) for t in texts]
        exact = [_token_exact(t) for t in texts]
        n = len(doc)

        def grow(i: int) -> Iterator[tuple[int, tuple[str, ...]]]:
            """The lexicon matches starting at token i, shorter first; the key grows token by token."""
            if not token_keys[i][0] or skip[i]:
                return
            matched = False
            lk = ek = ""
            hard: set[int] = set()
            soft: set[int] = set()
            exact_hard: set[int] = set()
            for j in range(i, min(n, i + self.max_tokens)):
                if j > i:
                    if texts[j - 1] in (".", ";") or (skip[j] and texts[j].isspace()):
                        break
                    if spaces[j - 1]:
                        hard.add(len(lk))
                        exact_hard.add(len(ek))
                    else:
                        soft.add(len(lk))
                tok_key, _, tok_soft = token_keys[j]
                if tok_soft:
                    soft.update(len(lk) + p for p in tok_soft)
                lk += tok_key
                ek += exact[j]
                candidate = TextKey(ek, lk, exact_hard, hard, soft)
                if tok_key and not skip[j]:  # a match never ends on punctuation ("cisplatin -", "theophylline ,")
                    hit = lex.match_key(candidate)
                    if hit is not None:
                        matched = True
                        end = j + 1
                        while end < n and texts[end].lower() in SALT_WORDS:  # "tenofovir disoproxil fumarate"
                            end += 1
                        yield end, (hit,)
                if not lex.may_extend_key(candidate):
                    break
            if not matched:  # one token naming several drugs or a regimen variant ("carboplatin/cisplatin")
                compound = self._compound(texts[i]) or self._regimen_variant(texts[i])
                if compound:
                    yield i + 1, compound

        return list(longest_matches(n, grow))

    def _compound(self, text: str) -> tuple[str, ...] | None:
        """Ids for "carboplatin/cisplatin" or "sirolimus+" when every part is a drug; else None."""
        if not GLUED.search(text):
            return None
        ids = []
        for part in split_compound(text):
            hit = self.lexicon.match_id(part, single_word=True)
            entry = self.lexicon.get(hit) if hit else None
            if entry is None or entry.kind == "class":
                return None
            ids.append(hit)
        return tuple(ids) if ids else None

    def _regimen_variant(self, text: str) -> tuple[str, ...] | None:
        """Regimen id for a modified/numbered regimen acronym ("mFOLFOX6" -> FOLFOX), else None."""
        m = _REGIMEN_VARIANT.match(text)
        if m is None or m.group("base") == text:
            return None
        hit = self.lexicon.match_id(m.group("base"), single_word=True)
        entry = self.lexicon.get(hit) if hit else None
        return (entry.id,) if entry is not None and entry.kind == "regimen" else None

    def _abbreviations(
        self, doc: Doc, found: list[tuple[int, int, tuple[str, ...]]]
    ) -> tuple[dict[tuple[int, int], str], set[str]]:
        """Short-form spans whose long form is a lexicon entry, and short forms defined as something else."""
        linked: dict[tuple[int, int], str] = {}
        foreign: set[str] = set()
        for short in getattr(doc._, "abbreviations", []) or []:
            long_form = short._.long_form
            if not isinstance(short, Span) or long_form is None or len(short.text) < 2:
                continue
            long_text = long_form if isinstance(long_form, str) else long_form.text
            entry = self.lexicon.lookup(long_text) or self._entry_inside(long_form, found)
            if entry is not None:
                linked[(short.start, short.end)] = entry.id
            else:
                foreign.add(short.text)
        return linked, foreign

    def _entry_inside(self, long_form: object, found: list[tuple[int, int, tuple[str, ...]]]) -> LexEntry | None:
        """The entry of a long form that holds one drug name plus other words ("the antibody trastuzumab")."""
        if not isinstance(long_form, Span):
            return None
        # head-final only: "glutamic acid decarboxylase (GAD)" names an enzyme, not glutamic acid
        inside = [ids for s, e, ids in found if long_form.start <= s and e == long_form.end]
        if len(inside) == 1 and len(inside[0]) == 1:
            return self.lexicon.get(inside[0][0])
        return None

    def _addable(self, entry: LexEntry) -> bool:
        """Whether a match of this entry may create a new entity (else it only links a statistical one).

        Oncology drugs, regimens and named drug classes are added. Generic therapy concepts ("chemotherapy",
        "hormone therapy") stay in ``doc.spans["drugs"]`` only. Other DrugBank entries only link CHEMICAL spans
        of the statistical model; with ``add_general_drugs`` those with a structure (InChIKey: small molecules,
        not proteins, vaccines or extracts) are added too. Measured on BC5CDR dev with the v0 NER, adding them
        traded 0.9 points of CHEMICAL precision for 0.9 of recall, hence off by default.
        """
        if entry.kind == "class":
            return self.add_classes and entry.entity
        if entry.kind == "drug" and not entry.oncology:
            return self.add_general_drugs and entry.structure
        return True

    def _wins(self, new: Span, old: Span) -> bool:
        if old.label_ == LABEL:
            return not (covers(old, new) and len(old) > len(new))
        if old.label_ in ("GENE", "DISEASE"):
            if covers(new, old) and len(new) > len(old):
                return True
            # same extent: a drug or class name the gene table does not claim ("ARSIs", "T-DM1" tagged GENE)
            same = new.start == old.start and new.end == old.end
            return same and old.label_ == "GENE" and not self.lexicon.normalize_gene(old.text)
        return False

    def _parenthetical_definitions(
        self, doc: Doc, found: list[tuple[int, int, tuple[str, ...]]]
    ) -> dict[tuple[int, int], str]:
        """Short forms defined right after a drug mention, "trastuzumab emtansine (T-DM1)", and their later uses.

        Complements Schwartz & Hearst, whose character alignment rejects short forms with digits or letters
        absent from the long form (T-DM1, 5-FU, CDDP): here the long form is already known to be a drug, so
        any one-word parenthesised short form (letter first, <= 10 characters) that is not itself a different
        drug is taken as its abbreviation. Every occurrence of the short form in the document is linked, and the
        short spans are added to ``doc._.abbreviations`` with ``_.long_form`` set to the drug mention.
        """
        known = {(s, e): ids for s, e, ids in found}

        def token_text(k: int) -> str:
            return doc[k].text

        def candidates() -> Iterator[tuple[str, str, str | None, tuple[str, Span]]]:
            for start, end, ids in found:
                if len(ids) != 1:
                    continue
                inside = parenthesised(token_text, len(doc), end)
                if inside is None:
                    continue
                entry = self.lexicon.get(ids[0])
                if entry is None or not self._addable(entry):
                    continue
                text = doc[inside[0] : inside[1]].text
                if " " in text or len(text) > 10 or not text[0].isalpha():
                    continue
                other = known.get(inside)
                yield text, ids[0], other[0] if other is not None else None, (ids[0], doc[start:end])

        defined = first_definitions(candidates())
        links: dict[tuple[int, int], str] = {}
        already = {(a.start, a.end) for a in doc._.abbreviations if isinstance(a, Span)}
        for text, (entry_id, long_form) in defined.items():
            for m in re.finditer(r"(?<![A-Za-z0-9])" + re.escape(text) + r"(?![A-Za-z0-9])", doc.text):
                span = doc.char_span(m.start(), m.end())
                if span is None:
                    continue
                links[(span.start, span.end)] = entry_id
                if (span.start, span.end) not in already:
                    span._.long_form = long_form
                    doc._.abbreviations.append(span)
        return links

    def __call__(self, doc: Doc) -> Doc:
        lex = self.lexicon
        found = self.find_mentions(doc)
        abbrev_links, foreign = self._abbreviations(doc, found)
        abbrev_links.update(self._parenthetical_definitions(doc, found))
        mentions: dict[tuple[int, int], tuple[tuple[str, ...], str]] = {}
        for start, end, ids in found:
            if doc[start:end].text in foreign:
                continue
            mentions[(start, end)] = (ids, "lexicon")
        for (start, end), entry_id in abbrev_links.items():
            if not any(s < end and start < e for s, e in mentions):
                mentions[(start, end)] = ((entry_id,), "abbreviation")

        group: list[Span] = []
        candidates: list[Span] = []
        for (start, end), (ids, source) in sorted(mentions.items()):
            span = Span(doc, start, end, label=LABEL, kb_id=ids[0])
            group.append(span)
            entry = lex.get(ids[0])
            if entry is not None and self._addable(entry):
                candidates.append(span)
            else:  # may still link a statistical entity with exactly this extent
                if any(e.start == start and e.end == end and e.label_ == LABEL for e in doc.ents):
                    candidates.append(span)
        placed = place_spans(doc, candidates, self._wins)
        placed_at = {(s.start, s.end) for s in placed}
        for span in group:
            ids, source = mentions[(span.start, span.end)]
            self._annotate(span, ids, source)
        doc.ents = [self._link_statistical(doc, e, mentions) if e.label_ == LABEL and (e.start, e.end) not in placed_at
                    else e for e in doc.ents]
        doc.spans[SPAN_GROUP] = group
        return doc

    def _link_statistical(self, doc: Doc, ent: Span, mentions: dict) -> Span:
        """Give a statistical CHEMICAL span an id from its own text or from the one drug mention inside it."""
        if ent.kb_id_:
            return ent
        # free-text-safe synonyms first; the full lookup (ambiguous short codes too) only for longer texts,
        # so that a stray one-letter CHEMICAL ("M" of "T790M") is not read as methionine
        hit = self.lexicon.match_id(ent.text, single_word=True)
        entry = self.lexicon.get(hit) if hit else None
        if entry is None and sum(ch.isalnum() for ch in ent.text) >= 4:
            entry = self.lexicon.lookup(ent.text)
        if entry is not None:
            ids: tuple[str, ...] = (entry.id,)
        else:
            inside = [m for (s, e), m in mentions.items() if ent.start <= s and e <= ent.end]
            if len(inside) != 1:
                return ent
            ids = inside[0][0]
        span = Span(doc, ent.start, ent.end, label=LABEL, kb_id=ids[0])
        self._annotate(span, ids, "ner")
        return span

    def _annotate(self, span: Span, ids: tuple[str, ...], source: str) -> None:
        entry = self.lexicon.get(ids[0])
        if entry is None:
            return
        span._.drug_label = KIND_LABELS[entry.kind]
        span._.link_source = source
        if entry.kind == "class":
            span._.class_id = entry.id
            span._.member_ids = entry.members
            span._.drug_ids = ()
        elif entry.kind == "regimen":
            span._.member_ids = entry.members
            span._.drug_ids = entry.members
        else:
            span._.drug_ids = ids
            span._.member_ids = ()
