"""VARIANT entities: sequence variants and gene-level alterations, by regular patterns over the text.

Patterns follow HGVS nomenclature (den Dunnen et al. 2016, https://varnomen.hgvs.org) and the shorthand
used in oncology papers (tmVar, Wei et al. 2013/2018, covers the same families):

- ``protein_change``: one-letter (T790M, G12C, V600E, E746_A750del) and three-letter (p.Thr790Met,
  p.(Gly12Cys)) amino-acid substitutions, deletions, insertions, frameshifts; positions of 2+ digits, so that
  names like E2F or S1P are not read as variants;
- ``dna_change``: c./g. HGVS changes (c.2369C>T, c.2235_2249del) and dbSNP ids (rs121434568);
- ``exon_alteration``: exon 19 deletion(s), exon 20 insertion, MET exon 14 skipping, ex19del, del19;
- ``splice_variant``: gene-V<n> splice isoforms of a known gene (AR-V7, ARv7, AR-V567es);
- ``fusion``: GENE1-GENE2 / GENE1::GENE2 where the 3' partner is a known fusion kinase/driver (EML4-ALK,
  BCR-ABL, CCDC6-RET, TMPRSS2:ERG), or any gene followed by fusion/rearrangement/translocation;
- ``amplification`` / ``loss`` / ``deletion`` / ``inactivation``: "HER2 amplification", "PTEN loss",
  "loss of PTEN", "RB1 loss" (the span covers gene and alteration word; the gene's symbol is in
  ``span._.gene_ids``).

Decision on genes next to a variant: for protein/DNA/exon variants the VARIANT span is the change only and the
gene stays a separate GENE entity ("EGFR T790M" -> GENE "EGFR" + VARIANT "T790M"); the gene's symbol is copied
to ``span._.gene_ids``. Splice variants, fusions and gene-level alterations name the gene inside the span.

Overlaps: a VARIANT replaces overlapping statistical GENE/CHEMICAL spans (even when the latter were linked to an id
by name) and DISEASE spans that are not longer, but a lexicon-matched drug mention only when the VARIANT strictly covers
it ("KRAS G12C inhibitors" stays a drug class; "arginine 150 proline" is one VARIANT).

Statistical VARIANT spans: when the pipeline has a ``ner_variant`` model (BioRED-trained, see models/ner_variant),
its spans are placed here too, by ``combine`` (default "model_first": the model's spans first, with the overlap
policy above except that a GENE entity yields only to a model span that strictly covers it, then the patterns where
no VARIANT is yet). A model span gets the type of the longest pattern match inside it, else "sequence_variant", and
the genes of that match or of the word before it. Chosen on BioRED dev (exact / overlap F1 of the full pipeline; see
models/ner_variant/README.md).
"""

from __future__ import annotations

import re
from typing import Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span

from miner.nlp.extensions import register_extensions
from miner.lexicon import Lexicon, load_lexicon
from miner.nlp.spans import NER_GROUP_PREFIX, Policy, covers, place_spans

LABEL = "VARIANT"

_AA1 = "ACDEFGHIKLMNPQRSTVWY"
_AA3 = "Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val|Sec|Pyl|Ter"
_L = r"(?<![A-Za-z0-9])"  # left word boundary that also treats '-' and '/' as boundaries
_R = r"(?![A-Za-z0-9])"
_SYMBOL = r"[A-Z][A-Z0-9]{1,9}"

_PROTEIN_CORE = (
    rf"(?:{_AA3})\d{{1,4}}(?:_(?:{_AA3})\d{{1,4}})?(?:delins(?:{_AA3})+|ins(?:{_AA3})+|del|dup|fs(?:Ter\d+|\*\d+)?|{_AA3}|\*|=)"
    rf"|[{_AA1}]\d{{2,4}}(?:_[{_AA1}]\d{{2,4}})?(?:delins[{_AA1}]+|ins[{_AA1}]+|del|dup|fs(?:\*\d+)?|[{_AA1}*X])"
)
PROTEIN_CHANGE = re.compile(_L + rf"(?:p\.\((?:{_PROTEIN_CORE})\)|(?:p\.)?(?:{_PROTEIN_CORE}))" + _R)
DNA_CHANGE = re.compile(
    _L + r"(?:[cgmn]\.[-*]?\d+(?:[+-]\d+)?(?:_[-*]?\d+(?:[+-]\d+)?)?"
    r"(?:[ACGT]+>[ACGT]+|delins[ACGT]+|del[ACGT]*|ins[ACGT]+|dup[ACGT]*|inv)|rs\d{4,})" + _R
)
EXON_ALTERATION = re.compile(
    _L + r"(?:exon\s?\d{1,2}\s?(?:in-frame\s)?(?:deletions?|del|insertions?|ins|skipping|duplications?|dup)"
    r"|(?:in-frame\s)?(?:deletions?|insertions?|skipping|duplications?)\s(?:in|of|within)\sexon\s?\d{1,2}"
    r"|ex\d{1,2}(?:del|ins)|(?:del|ins)\s?(?:ex)?\d{1,2})" + _R,
    re.IGNORECASE,
)
SPLICE_VARIANT = re.compile(_L + r"(?P<gene>[A-Z][A-Z0-9]{0,5})-?[Vv](?P<n>\d{1,3}(?:es)?)" + _R)
FUSION = re.compile(
    _L + rf"(?P<g1>{_SYMBOL})(?P<sep>::|-|–|:|/)(?P<g2>{_SYMBOL})"
    r"(?P<word>\s(?:gene\s)?(?:fusions?|rearrangements?|translocations?))?" + _R
)
GENE_FUSION_WORD = re.compile(
    _L + r"(?P<g1>[A-Za-z][A-Za-z0-9]{1,9})\s(?:gene\s)?(?:fusions?|rearrangements?|translocations?)" + _R
)
GENE_THEN_ALTERATION = re.compile(
    _L + r"(?P<g1>[A-Za-z][A-Za-z0-9/-]{1,11})\s(?:gene\s)?"
    r"(?P<alt>amplifications?|copy[- ]number\sgains?|gains?|homozygous\sdeletions?|deletions?|loss(?:-of-function)?"
    r"|inactivation)" + _R
)
ALTERATION_OF_GENE = re.compile(
    _L + r"(?P<alt>(?i:loss|deletion|amplification|inactivation))\sof\s(?:the\s)?(?P<g1>[A-Za-z][A-Za-z0-9-]{1,11})"
    r"(?:\sgene)?" + _R
)
#: 3' partners of recurrent oncogenic fusions (a GENE1-GENE2 string ending in one of these is a fusion).
FUSION_DRIVERS = frozenset(
    "ALK ROS1 RET NTRK1 NTRK2 NTRK3 ABL1 FGFR1 FGFR2 FGFR3 BRAF RAF1 MET NRG1 ERG ETV1 ETV4 PDGFRA PDGFRB RARA "
    "JAK2 NUTM1 EGFR".split()
)
#: cell lines whose names look like one-letter protein changes
_NOT_VARIANTS = frozenset({"T47D"})
_ALTERATION_TYPE = {"amplification": "amplification", "copy": "amplification", "gain": "amplification",
                    "homozygous": "deletion", "deletion": "deletion", "loss": "loss", "inactivation": "inactivation"}


#: How statistical VARIANT spans (a ``ner_variant`` model's, in the ``ner:*`` span groups; MergeNer leaves them to
#: this component) and pattern matches combine: "model_first" places the model's spans first and lets patterns fill
#: the rest; "patterns_first" the reverse; "patterns" ignores the model.
COMBINE_MODES = ("model_first", "patterns_first", "patterns")


@Language.factory("miner_variants", default_config={"combine": "model_first"})
def make_variants(nlp: Language, name: str, combine: str) -> "VariantTagger":
    """Factory for :class:`VariantTagger` (spaCy registry name ``miner_variants``)."""
    return VariantTagger(name, combine=combine)


class VariantTagger:
    """Adds VARIANT entities with ``_.variant_type`` and ``_.gene_ids`` (see module docstring)."""

    def __init__(self, name: str = "miner_variants", lexicon: Lexicon | None = None, combine: str = "model_first") -> None:
        if combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {', '.join(COMBINE_MODES)}, not {combine!r}")
        register_extensions()
        self.name = name
        self.lexicon = lexicon or load_lexicon()
        self.combine = combine

    # -- gene helpers --------------------------------------------------------------------------------------

    def _gene(self, text: str, start: int, end: int, gene_chars: set[int]) -> str | None:
        """Symbol for a gene string at [start, end): lexicon alias, or a GENE entity's text."""
        symbol = self.lexicon.normalize_gene(text)
        if symbol:
            return symbol
        if start in gene_chars and re.fullmatch(r"[A-Z][A-Za-z0-9-]*", text):
            return text.upper()
        return None

    def _preceding_genes(self, doc: Doc, span: Span, match_start: int, gene_chars: set[int]) -> tuple[str, ...]:
        """The gene just before a variant, as ``span._.gene_ids``: in the same token ("EGFR-T790M") or the previous
        word(s); () when there is none."""
        if span.start_char < match_start:
            found = self._gene(doc.text[span.start_char : match_start].rstrip("-:"), span.start_char, match_start,
                               gene_chars)
            if found:
                return (found,)
        i = span.start - 1
        while i >= 0 and doc[i].lower_ in ("gene", "(", "-", ":"):
            i -= 1
        found = self._gene(doc[i].text, doc[i].idx, doc[i].idx + len(doc[i].text), gene_chars) if i >= 0 else None
        return (found,) if found else ()

    # -- matching ------------------------------------------------------------------------------------------

    def find(self, doc: Doc, gene_chars: set[int]) -> Iterator[tuple[int, int, str, tuple[str, ...]]]:
        """(start_char, end_char, variant_type, gene symbols) for every pattern match.

        ``gene_chars``: start offsets of statistical GENE entities (genes outside the curated table).
        """
        text = doc.text
        for m in PROTEIN_CHANGE.finditer(text):
            if m.group() not in _NOT_VARIANTS:
                yield m.start(), m.end(), "protein_change", ()
        for m in DNA_CHANGE.finditer(text):
            yield m.start(), m.end(), "dna_change", ()
        for m in EXON_ALTERATION.finditer(text):
            yield m.start(), m.end(), "exon_alteration", ()
        for m in SPLICE_VARIANT.finditer(text):
            gene = self.lexicon.normalize_gene(m.group("gene"))
            if gene:
                yield m.start(), m.end(), "splice_variant", (gene,)
        for m in FUSION.finditer(text):
            g1 = self._gene(m.group("g1"), m.start("g1"), m.end("g1"), gene_chars) or m.group("g1")
            explicit = m.group("word") is not None
            g2 = self._gene(m.group("g2"), m.start("g2"), m.end("g2"), gene_chars)
            if explicit and g2 is None:
                g2 = m.group("g2")  # "TMPRSS2:ERG fusion": the word makes any symbol pair a fusion
            if g2 and (explicit or (m.group("sep") != "/" and g2 in FUSION_DRIVERS and g1 != g2)):
                yield m.start(), m.end(), "fusion", (g1, g2)
        for m in GENE_FUSION_WORD.finditer(text):
            gene = self._gene(m.group("g1"), m.start("g1"), m.end("g1"), gene_chars)
            if gene:
                yield m.start(), m.end(), "fusion", (gene,)
        for pattern in (GENE_THEN_ALTERATION, ALTERATION_OF_GENE):
            for m in pattern.finditer(text):
                gene = self._gene(m.group("g1"), m.start("g1"), m.end("g1"), gene_chars)
                if gene:
                    alt = m.group("alt").lower()
                    vtype = next((t for word, t in _ALTERATION_TYPE.items() if alt.startswith(word)), "alteration")
                    yield m.start(), m.end(), vtype, (gene,)

    @staticmethod
    def _wins(new: Span, old: Span) -> bool:
        if old.label_ == "CHEMICAL":  # a lexicon/abbreviation drug mention stays unless the variant strictly covers
            # it ("arginine 150 proline", "cytosine to guanine transversion"); a statistical one yields
            return old._.link_source not in ("lexicon", "abbreviation") or (covers(new, old) and len(new) > len(old))
        if old.label_ == "DISEASE":
            return covers(new, old) or len(old) <= len(new)
        return old.label_ in ("GENE", LABEL)

    @staticmethod
    def _model_spans(doc: Doc) -> list[Span]:
        """Fresh VARIANT spans at the extents a statistical model predicted (stashed in the ``ner:*`` span groups by
        the pipeline)."""
        stashed = [s for name, group in doc.spans.items() if name.startswith(NER_GROUP_PREFIX) for s in group]
        own = [e for e in doc.ents if e._.link_source is None]  # a pipeline without stashing (a model's own doc.ents)
        extents = dict.fromkeys((s.start, s.end) for s in stashed + own if s.label_ == LABEL)
        return [Span(doc, start, end, label=LABEL) for start, end in extents]

    def _annotate_model_span(self, doc: Doc, span: Span, gene_chars: set[int],
                             matches: list[tuple[int, int, str, tuple[str, ...]]]) -> None:
        """Type and genes of a model span: from a pattern match inside it, else "sequence_variant" + preceding gene."""
        inside = [m for m in matches if span.start_char <= m[0] and m[1] <= span.end_char]
        inside.sort(key=lambda m: -(m[1] - m[0]))
        vtype, genes = (inside[0][2], inside[0][3]) if inside else ("sequence_variant", ())
        if not genes:
            genes = self._preceding_genes(doc, span, span.start_char, gene_chars)
        span._.variant_type = vtype
        span._.gene_ids = genes
        span._.link_source = "ner"

    def _model_wins(self, new: Span, old: Span) -> bool:
        """Policy for the model's spans: as for patterns, except that a GENE entity yields only to a VARIANT that
        strictly covers it. With the pattern policy the model took "calbindin-D28K" and "... the human AFP" from the
        gene model (BC2GM selection dev official F1 74.41 -> 73.97); with this one BC2GM dev stays at 74.41 and BioRED
        dev exact F1 goes 77.42 -> 77.73 (overlap F1 87.14 -> 85.43)."""
        if old.label_ == "GENE":
            return covers(new, old) and len(new) > len(old)
        return self._wins(new, old)

    @staticmethod
    def _sparing_variants(policy: Policy) -> Policy:
        """``policy`` for the second batch of spans: never over a VARIANT the first batch placed."""
        return lambda new, old: old.label_ != LABEL and policy(new, old)

    def __call__(self, doc: Doc) -> Doc:
        gene_chars = {e.start_char for e in doc.ents if e.label_ == "GENE"}
        matches = list(self.find(doc, gene_chars))
        spans: dict[tuple[int, int], tuple[Span, str, tuple[str, ...]]] = {}
        for start, end, vtype, genes in matches:
            span = doc.char_span(start, end, label=LABEL, alignment_mode="expand")
            if span is None or (span.start, span.end) in spans:
                continue
            if span.start_char < start and not self._gene(
                doc.text[span.start_char : start].rstrip("-:"), span.start_char, start, gene_chars
            ):
                continue  # inside a longer word that is not "GENE-": a cell line such as NCI-H295R
            if not genes and vtype in ("protein_change", "dna_change", "exon_alteration"):
                genes = self._preceding_genes(doc, span, start, gene_chars)
            spans[(span.start, span.end)] = (span, vtype, genes)
        batches = [([s for s, _, _ in spans.values()], self._wins),
                   (self._model_spans(doc) if self.combine != "patterns" else [], self._model_wins)]
        if self.combine == "model_first":
            batches.reverse()
        (first, first_policy), (second, second_policy) = batches
        placed = place_spans(doc, first, first_policy)
        placed += place_spans(doc, second, self._sparing_variants(second_policy))
        for span in placed:
            if (span.start, span.end) in spans:
                _, vtype, genes = spans[(span.start, span.end)]
                span._.variant_type = vtype
                span._.gene_ids = genes
                span._.link_source = "pattern"
        for ent in doc.ents:  # model spans (a model span with a pattern match's exact extent is annotated as above)
            if ent.label_ == LABEL and ent._.variant_type is None:
                self._annotate_model_span(doc, ent, gene_chars, matches)
        return doc
