"""Cancer mentions: DISEASE entities from a cancer vocabulary, and a normalized cancer type for each of them.

The statistical recognizers were trained on BC5CDR (drug-induced diseases) and BC2GM/BioNLP13CG (genes); oncology
shorthand escapes them: "CML" is untagged, "mCRPC" becomes a GENE, "Melanomas" (capitalised plural) nothing, and the
gene model swallows the site of "ALK-rearranged lung cancer" into a GENE "ALK-rearranged lung". This module adds:

- :class:`CancerVocabulary`: the entries of ``miner/data/lexicon/cancers.jsonl`` (built from annotated corpora,
  abbreviation definitions and CIViC disease names by :mod:`miner.nlp.build_cancers`; ids are MeSH ids where an
  annotated corpus gives one, else ``cancer:<name>``), and :meth:`CancerVocabulary.resolve`, which maps a written
  cancer to its entry: the name as written, then without leading stage or molecular-status qualifiers ("metastatic",
  "ALK-rearranged", "EGFR-mutant", "stage IV", "HER2-positive"), each also with the head word varied
  (cancer/carcinoma/tumor/neoplasm) and "cancer of the lung" read as "lung cancer"; then the short forms;
- :func:`normalize_cancer` (``text -> (name, id)``) for any text, e.g. a finding's ``cancer`` field as written; an
  elliptical list ("breast and ovarian cancer") gives each item, joined by "; ";
- the spaCy component ``miner_cancers`` (:class:`CancerTagger`): vocabulary names (longest match over tokens,
  case-, hyphen- and plural-insensitive), free short forms ("NSCLC", "GISTs"; case-sensitive), short forms the
  document defines as a cancer ("acute lymphoblastic leukemia (ALL)"), and single histology words ("Melanomas",
  "osteosarcoma") become DISEASE entities where nothing else is, or replace a GENE/CHEMICAL that has exactly or
  inside their extent and is neither a known gene alias nor a lexicon drug ("mCRPC" tagged GENE). A GENE that runs
  into a cancer ("ALK-rearranged lung" + "lung cancer") is cut back to the gene ("ALK"); a GENE ending in a status
  word ("EGFR-mutant") loses it. A DISEASE found by the models is kept as it is unless a vocabulary name strictly
  covers it. Every DISEASE entity that names a cancer gets ``span._.cancer_name`` / ``span._.cancer_id``.
  Single generic words ("cancer", "tumor", "carcinoma") are normalized but never added: "tumor necrosis factor".
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span

from miner.nlp.extensions import register_extensions
from miner.lexicon.normalize import key
from miner.nlp.spans import place_spans

VOCABULARY = Path(__file__).resolve().parent.parent / "data" / "lexicon" / "cancers.jsonl"
LABEL = "DISEASE"

#: the last word of a cancer name: histology suffixes (glioblastoma, osteosarcoma, astrocytoma, mesothelioma, ...)
#: and the general head nouns
_HEAD = (
    r"(?:\w*(?:carcinoma|sarcoma|lymphoma|melanoma|myeloma|glioma|blastoma|thelioma|seminoma|thymoma|ependymoma"
    r"|meningioma|cytoma|adenoma|carcinoid|leuka?emia|leucemia|macroglobulinemia)s?"
    r"|cancers?|tumou?rs?|neoplasms?|neoplasias?|malignanc(?:y|ies)|myelodysplasia)"
)
HEAD_WORD = re.compile(rf"^{_HEAD}$", re.IGNORECASE)
_CANCER_NAME = re.compile(rf"(?:\b{_HEAD}(?: multiformes?)?|myelodysplastic syndromes?)$", re.IGNORECASE)
#: single words that name no particular cancer: normalized when a model tags them, never added
GENERIC = frozenset(
    "cancer cancers tumor tumors tumour tumours neoplasm neoplasms neoplasia malignancy malignancies carcinoma "
    "carcinomas".split()
)
#: British spellings and possessives folded in every vocabulary key ("leukaemia", "tumour", "non-Hodgkin's")
_SPELLING = (("aemia", "emia"), ("tumour", "tumor"), ("oesophag", "esophag"), ("haem", "hem"), ("paediatric", "pediatric"),
             ("'s", ""), ("’s", ""), ("leucemia", "leukemia"))


def ckey(text: str) -> str:
    """The vocabulary key: :func:`miner.lexicon.normalize.key` with British spellings and possessives folded."""
    k = key(text)
    for a, b in _SPELLING:
        if a in k:
            k = k.replace(a, b)
    if k.endswith(("multiforme", "multiformes")) and len(k) > 12:  # "glioblastoma multiforme" is glioblastoma
        k = k[: k.rindex("multiforme")]
    return k


#: words that make a "long form" ending in a cancer word something else ("response evaluation criteria in solid
#: tumors", "union against cancer", "no evidence of leukemia")
_NOT_IN_NAME = frozenset("in of for with against from by to on at index criteria evidence no".split())


def plausible_name(text: str) -> bool:
    """A cancer name, not a phrase that merely ends in one (see ``_NOT_IN_NAME``; "carcinoma of the bladder" is)."""
    text = " ".join(text.split())
    if not is_cancer_name(text) or "." in text or ";" in text:
        return False
    if _INVERTED.match(text) and HEAD_WORD.match(text.split()[0]):
        return True
    return not any(w.lower() in _NOT_IN_NAME for w in text.split())


#: interchangeable head nouns of a site name ("lung carcinoma" is "lung cancer" when only one is known)
_HEAD_VARIANTS = ("cancer", "carcinoma", "tumor", "tumour", "neoplasm", "malignancy")
#: leading words that qualify a cancer without changing its type
QUALIFIER_WORDS = frozenset(
    """metastatic advanced locally locally-advanced recurrent relapsed refractory relapsed/refractory early
    early-stage late-stage advanced-stage stage grade newly diagnosed de novo primary unresectable resectable
    inoperable operable human pediatric paediatric childhood adult adults aggressive progressive treatment-naive
    treatment-naïve untreated previously treated pretreated heavily high-risk low-risk intermediate-risk
    disseminated sporadic murine mouse rat canine experimental naive naïve the a an all other some many most
    several various these those such both patients patient with and or of in , ; : low-grade high-grade
    poorly well moderately differentiated chemorefractory chemo-refractory platinum-resistant platinum-sensitive
    platinum-refractory resistant sensitive acquired""".split()
)
#: the qualifiers dropped from a new entry's name (stage and setting, never a subtype: "low-grade", "primary effusion")
CLINICAL_WORDS = frozenset(
    """metastatic advanced locally locally-advanced recurrent relapsed refractory relapsed/refractory early-stage
    late-stage advanced-stage newly diagnosed de novo human murine mouse rat canine the a an and or""".split()
)


def clinical_base(text: str) -> str:
    """``text`` without leading stage/setting words ("metastatic colorectal cancer" -> "colorectal cancer")."""
    words = text.split()
    i = 0
    while i < len(words) - 1 and words[i].lower() in CLINICAL_WORDS:
        i += 1
    return " ".join(words[i:])


#: molecular-status words after a gene ("EGFR-mutant", "ALK rearranged", "HER2+")
STATUS = (
    r"(?:mutant|mutants|mutated|mutation|mutations|mutation-positive|positive|negative|rearranged|rearrangement"
    r"|amplified|amplification|driven|altered|alteration|overexpressing|expressing|deficient|proficient|null"
    r"|wild-type|wildtype|wt|high|low|fusion|fusion-positive|fusion-driven|addicted|dependent|independent|like)"
)
_STATUS_WORD = re.compile(rf"^{STATUS}$", re.IGNORECASE)
_STATUS_TOKEN = re.compile(rf"^\S+?(?:[-/]{STATUS}|[+−])$", re.IGNORECASE)
_STAGE = re.compile(r"^(?:I{1,3}V?|IV|I{0,3}[ABC]|[IV]+[ABC]?|\d[ABC]?|[IV]+-[IV]+)$")
_INVERTED = re.compile(r"^(?P<head>\w+) of (?:the )?(?P<site>[\w -]+)$", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and/or\s+|\s+and\s+|\s+or\s+|/)\s*", re.IGNORECASE)


def is_cancer_name(text: str) -> bool:
    """Whether ``text`` ends in a cancer head word ("non-small cell lung cancer", "GIST tumours", "glioblastomas")."""
    return bool(_CANCER_NAME.search(text.strip()))


def _is_qualifier(words: list[str], i: int) -> int:
    """How many words at ``i`` qualify the cancer after them (0: none)."""
    word = words[i]
    low = word.lower().strip(",;:")
    if low in QUALIFIER_WORDS or not low:
        return 1
    if _STAGE.match(word.strip(",;:")) and i > 0 and words[i - 1].lower() in ("stage", "grade"):
        return 1
    if _STATUS_TOKEN.match(word.strip(",;:")):
        return 1
    if i + 1 < len(words) - 1 and _STATUS_WORD.match(words[i + 1].strip(",;:")):
        return 2  # "EGFR mutant NSCLC", "ALK rearranged lung cancer"
    return 0


def strip_qualifiers(text: str) -> str:
    """``text`` without its leading qualifiers ("metastatic EGFR-mutant non-small cell lung cancer" ->
    "non-small cell lung cancer"); the last word always stays."""
    words = text.split()
    i = 0
    while i < len(words) - 1:
        n = _is_qualifier(words, i)
        if not n:
            break
        i += n
    return " ".join(words[min(i, len(words) - 1):])


def _singular_word(word: str) -> str:
    low = word.lower()
    if low.endswith("ies") and HEAD_WORD.match(word):
        return word[:-3] + "y"
    if low.endswith("s") and not low.endswith("ss") and HEAD_WORD.match(word[:-1]):
        return word[:-1]
    return word


class CancerVocabulary:
    """Cancer entries by name key and short form (see the module docstring)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # key(name) -> id
        self.entry_name: dict[str, str] = {}  # id -> canonical name
        self.free: dict[str, str] = {}  # short form (case-sensitive) -> id
        self.defined_only: dict[str, str] = {}
        self.prefixes: set[str] = set()

    @classmethod
    def from_entries(cls, entries: Iterable[dict]) -> "CancerVocabulary":
        vocab = cls()
        for entry in entries:
            vocab.entry_name.setdefault(entry["id"], entry.get("name") or "")
            for name in (entry.get("name"), *entry.get("synonyms", ())):
                if name:
                    vocab.add(entry["id"], name)
            for short in entry.get("abbreviations", ()):
                vocab.free.setdefault(short, entry["id"])
            for short in entry.get("defined_only", ()):
                vocab.defined_only.setdefault(short, entry["id"])
        return vocab

    @classmethod
    def load(cls, path: Path = VOCABULARY) -> "CancerVocabulary":
        from miner.errors import MinerError

        if not path.is_file():
            raise MinerError(f"cancer vocabulary {path} is missing; rebuild it with `python -m miner.nlp.build_cancers`")
        with path.open(encoding="utf-8") as fh:
            return cls.from_entries(json.loads(line) for line in fh if line.strip())

    def add(self, entry_id: str, name: str) -> None:
        k = ckey(self.singular_name(name))
        if not k or k in self.names:
            return
        self.names[k] = entry_id
        self.entry_name.setdefault(entry_id, self.singular_name(name.lower()))
        for i in range(1, len(k) + 1):
            self.prefixes.add(k[:i])

    @staticmethod
    def singular_name(name: str) -> str:
        words = name.split()
        if words:
            words[-1] = _singular_word(words[-1])
        return " ".join(words)

    def lookup_key(self, k: str) -> str | None:
        return self.names.get(k)

    def _exact(self, text: str) -> str | None:
        k = ckey(self.singular_name(text))
        hit = self.names.get(k)
        if hit is None:
            m = _INVERTED.match(text)
            if m and HEAD_WORD.match(m.group("head")):
                hit = self.names.get(ckey(self.singular_name(f"{m.group('site')} {m.group('head')}")))
        if hit is None:
            words = self.singular_name(text).split()
            if len(words) > 1 and words[-1].lower() in _HEAD_VARIANTS:
                for head in _HEAD_VARIANTS:
                    hit = self.names.get(ckey(" ".join(words[:-1] + [head])))
                    if hit is not None:
                        break
        return hit

    def resolve(self, text: str) -> tuple[str, str] | None:
        """(canonical name, id) of a written cancer, or None (see the module docstring)."""
        text = " ".join(text.replace("’", "'").split()).strip(" ,;:.")
        if not text:
            return None
        short = self.free.get(text) or (self.free.get(text[:-1]) if text.endswith("s") else None)
        if short is not None:
            return self.entry_name[short], short
        words = text.split()
        i = 0
        while True:
            hit = self._exact(" ".join(words[i:]))
            if hit is not None:
                return self.entry_name[hit], hit
            if i >= len(words) - 1:
                break
            n = _is_qualifier(words, i)
            if not n:
                break
            i += n
        last = words[-1]
        hit = self.free.get(last) or (self.free.get(last[:-1]) if last.endswith("s") else None)
        if hit is not None:  # "EGFR-mutant NSCLC" with an unknown qualifier in front
            return self.entry_name[hit], hit
        return None


@lru_cache(maxsize=1)
def load_vocabulary() -> CancerVocabulary:
    """The packaged cancer vocabulary, loaded once."""
    return CancerVocabulary.load()


def _list_items(text: str) -> list[str]:
    """Items of an elliptical list sharing the last item's head noun ("breast and ovarian cancer")."""
    parts = [p for p in _LIST_SPLIT.split(text.strip()) if p]
    if len(parts) < 2 or not is_cancer_name(parts[-1]):
        return [text]
    head = parts[-1].split()[-1]
    items = []
    for part in parts:
        items.append(part if is_cancer_name(part) or part.isupper() else f"{part} {head}")
    return items


@lru_cache(maxsize=50_000)
def normalize_cancer(text: str) -> tuple[str, str | None]:
    """Normalized cancer type of a written cancer: ``(name, id)``.

    ``id`` is a MeSH id ("MESH:D002289") or ``cancer:<name>``; an unknown cancer gives its name without qualifiers,
    singular and lower-cased, and id None ("ALK-rearranged pulmonary blastomas" -> ("pulmonary blastoma", None));
    text that names no cancer gives ("", None). A list ("breast and ovarian cancer") gives every item's name and id,
    joined by "; ".
    """
    vocab = load_vocabulary()
    items = _list_items(text)
    resolved = []
    for item in items:
        hit = vocab.resolve(item)
        if hit is None:
            base = strip_qualifiers(" ".join(item.split()))
            if not is_cancer_name(base):
                continue
            hit = (vocab.singular_name(base.lower()), None)
        if hit not in resolved:
            resolved.append(hit)
    if not resolved:
        return "", None
    if len(resolved) == 1:
        return resolved[0]
    ids = [i for _, i in resolved]
    return "; ".join(n for n, _ in resolved), ("; ".join(i or "" for i in ids) if any(ids) else None)


# -- the spaCy component ------------------------------------------------------------------------------------


@Language.factory("miner_cancers", default_config={"max_tokens": 8, "trim_gene_status": True})
def make_cancer_tagger(nlp: Language, name: str, max_tokens: int, trim_gene_status: bool) -> "CancerTagger":
    """Factory for :class:`CancerTagger` (spaCy registry name ``miner_cancers``)."""
    return CancerTagger(name, max_tokens=max_tokens, trim_gene_status=trim_gene_status)


@lru_cache(maxsize=200_000)
def _token_key(text: str) -> str:
    return ckey(text)


#: tokens with an empty key that may sit inside a name ("non - small", "Hodgkin 's")
_INNER = frozenset(("-", "–", "‐", "'s", "’s"))
#: "BCR-ABL" defined as "breakpoint cluster region-Abelson murine leukemia" names a fusion gene, not a cancer
_FUSION_LIKE = re.compile(r"^[A-Z][A-Z0-9]{2,}[-:/][A-Z][A-Z0-9]{2,}$")


class CancerTagger:
    """Cancer DISEASE entities and their normalized type (see the module docstring)."""

    def __init__(self, name: str = "miner_cancers", vocabulary: CancerVocabulary | None = None, max_tokens: int = 8,
                 trim_gene_status: bool = True) -> None:
        from miner.lexicon import load_lexicon

        register_extensions()
        self.name = name
        self.vocab = vocabulary or load_vocabulary()
        self.lexicon = load_lexicon()
        self.max_tokens = max_tokens
        self.trim_gene_status = trim_gene_status

    # -- candidates ---------------------------------------------------------------------------------------------

    def _short(self, text: str, table: dict[str, str]) -> str | None:
        hit = table.get(text)
        if hit is None and len(text) > 2 and text.endswith("s"):
            hit = table.get(text[:-1])
        return hit

    def candidates(self, doc: Doc) -> list[tuple[int, int]]:
        """Token extents of cancer mentions: vocabulary names, free and defined short forms, histology words."""
        texts = [t.text for t in doc]
        keys = [_token_key(t) for t in texts]
        names, prefixes = self.vocab.names, self.vocab.prefixes
        found: list[tuple[int, int]] = []
        n = len(texts)
        i = 0
        while i < n:
            best = None
            if keys[i] and keys[i][0] in prefixes:
                lk = ""
                for j in range(i, min(n, i + self.max_tokens)):
                    if not keys[j]:
                        if texts[j] in _INNER and j > i:
                            continue
                        break
                    lk += keys[j]
                    if lk in names or (lk.endswith("s") and lk[:-1] in names) or (
                            lk.endswith("ies") and lk[:-3] + "y" in names):
                        best = j + 1
                    if lk not in prefixes:
                        break
            if best is not None and not (best - i == 1 and texts[i].lower() in GENERIC):
                found.append((i, best))
                i = best
                continue
            word = texts[i]
            if self._short(word, self.vocab.free) is not None or (
                    HEAD_WORD.match(word) and word.lower() not in GENERIC and len(word) > 5):
                found.append((i, i + 1))
            i += 1
        for short in getattr(doc._, "abbreviations", None) or ():
            long_form = short._.long_form if isinstance(short, Span) else None
            if long_form is None or long_form.doc is not doc:
                continue
            if (plausible_name(long_form.text) and self._short(short.text, self.vocab.free) is None
                    and not _FUSION_LIKE.match(short.text) and self.lexicon.normalize_gene(short.text) is None):
                found.append((short.start, short.end))
        return found

    # -- placement ----------------------------------------------------------------------------------------------

    def _is_drug(self, span: Span) -> bool:
        return bool(span.kb_id_) or span._.drug_label is not None

    def _wins(self, new: Span, old: Span) -> bool:
        inside = new.start <= old.start and old.end <= new.end
        if old.label_ == LABEL:
            return inside and len(new) > len(old)
        if old.label_ == "GENE":
            return inside and self.lexicon.normalize_gene(old.text) is None
        if old.label_ == "CHEMICAL":
            return inside and not self._is_drug(old)
        return False

    def _trim(self, doc: Doc, span: Span, end: int) -> Span | None:
        """``span`` cut before token ``end`` and before a trailing hyphen/status word; None when nothing is left."""
        stop = min(end, span.end)
        while stop > span.start and (doc[stop - 1].is_punct or _STATUS_WORD.match(doc[stop - 1].text)
                                     or doc[stop - 1].lower_ in QUALIFIER_WORDS):
            stop -= 1
        if stop <= span.start:
            return None
        return Span(doc, span.start, stop, label=span.label_, kb_id=span.kb_id_)

    def __call__(self, doc: Doc) -> Doc:
        spans = sorted(set(self.candidates(doc)))
        ents = list(doc.ents)
        changed = False
        if spans:
            starts = {}
            for s, e in spans:
                for t in range(s, e):
                    starts[t] = s
            for idx, ent in enumerate(ents):
                # a GENE that runs into a cancer name is cut back to what precedes it ("ALK-rearranged lung")
                if ent.label_ != "GENE":
                    continue
                first = next((starts[t] for t in range(ent.start, ent.end) if t in starts), None)
                if first is not None and first > ent.start:
                    trimmed = self._trim(doc, ent, first)
                    ents[idx] = trimmed
                    changed = True
        if self.trim_gene_status:
            for idx, ent in enumerate(ents):
                if ent is not None and ent.label_ == "GENE" and len(ent) > 2 and doc[ent.end - 2].text == "-" \
                        and _STATUS_WORD.match(doc[ent.end - 1].text):
                    ents[idx] = self._trim(doc, ent, ent.end)
                    changed = True
        if changed:
            doc.ents = [e for e in ents if e is not None]
        if spans:
            place_spans(doc, [Span(doc, s, e, label=LABEL) for s, e in spans], self._wins)
        for ent in doc.ents:
            if ent.label_ == LABEL:
                name, cancer_id = self._normalize_ent(doc, ent)
                if name:
                    ent._.cancer_name = name
                    ent._.cancer_id = cancer_id
        return doc

    def _normalize_ent(self, doc: Doc, ent: Span) -> tuple[str, str | None]:
        text = ent.text
        short = self._short(text, self.vocab.free)
        if short is None and " " not in text:
            for abbr in getattr(doc._, "abbreviations", None) or ():
                if isinstance(abbr, Span) and abbr.start == ent.start and abbr.end == ent.end and abbr._.long_form is not None:
                    return normalize_cancer(abbr._.long_form.text)
        return normalize_cancer(text)
