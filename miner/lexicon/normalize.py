"""Lexicon keys: the one normalisation shared by the lexicon build, lookups and the span matcher.

Drug, class and gene names are written many ways ("EGFR-TKIs", "EGFR TKI", "egfr tki"; "T-DM1", "TDM1").
Rather than listing every spelling, both the lexicon and the text are reduced to a key that ignores case,
whitespace, hyphens/dashes and Unicode compatibility forms. Because the key of a token sequence is the
concatenation of its tokens' keys, the matcher can extend n-grams token by token without re-normalising.
Plural-insensitivity is applied at lookup time (:func:`singular_keys`), not baked into the key.
"""

from __future__ import annotations

import re
import unicodedata
from typing import AbstractSet, NamedTuple

#: Hyphens that join the parts of one word ("gefitinib-resistant", "T‐DM1", "5–FU"): ASCII hyphen-minus, U+2010
#: hyphen, U+2011 non-breaking hyphen, U+2012 figure dash, U+2013 en dash.
HYPHENS = "-\u2010\u2011\u2012\u2013"
#: Every hyphen- or dash-like character a name may be written with: the hyphens, U+2014 em dash, U+2015 horizontal
#: bar and U+2212 minus sign (PDF text and gold rows use them all for "-").
DASHES = HYPHENS + "\u2014\u2015\u2212"
#: U+00AD, an invisible hyphenation point: dropped from keys like a dash.
SOFT_HYPHEN = "\u00ad"
#: :data:`DASHES` and the soft hyphen as the body of a regular-expression character class.
DASH_CLASS = re.escape(DASHES + SOFT_HYPHEN)

# Hyphen-like characters and all whitespace.
_DROP = re.compile(rf"[\s{DASH_CLASS}]+")
_EMPTY: frozenset[int] = frozenset()
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa"}
_UNIFY_DASHES = dict.fromkeys(map(ord, DASHES), "-")


_SPACE = re.compile(r"\s+")
_HYPHENS = re.compile(rf"[{DASH_CLASS}]+")


def unify_dashes(text: str) -> str:
    """Every character of :data:`DASHES` written as "-" ("T–DM1" -> "T-DM1")."""
    return text.translate(_UNIFY_DASHES)


def key(text: str) -> str:
    """Case-, hyphen- and whitespace-insensitive key ("EGFR-TKI" and "egfr tki" give "egfrtki")."""
    return _DROP.sub("", _fold(text).lower())


def exact_key(text: str) -> str:
    """Case- and hyphen-sensitive key for short acronyms whose case carries meaning ("AIs" is not "ais",
    "AC-TH" is not "ACTH"); only whitespace is dropped and dashes are unified to "-"."""
    return _HYPHENS.sub("-", _SPACE.sub("", _fold(text)))


def key_splits(text: str, exact: bool = False) -> tuple[str, frozenset[int], frozenset[int]]:
    """Key of ``text`` with the key offsets where it had whitespace ("hard") and hyphens ("soft").

    The matcher uses them to refuse key matches whose word structure differs: "the in" must not match the
    synonym "thein", nor "proteins" the synonym "Protein S", while "EGFR TKI" may match "EGFR-TKI".
    """
    text = _fold(text)
    if not exact:
        text = text.lower()
    if _DROP.search(text) is None:  # fast path: a single word
        return text, _EMPTY, _EMPTY
    out: list[str] = []
    hard: set[int] = set()
    soft: set[int] = set()
    pos = 0
    last = 0
    for m in _DROP.finditer(text):
        piece = text[last : m.start()]
        out.append(piece)
        pos += len(piece)
        sep = m.group()
        spaced = sep.isspace() or _SPACE.search(sep) is not None
        if pos:
            (hard if spaced else soft).add(pos)
        if exact and not sep.isspace() and _HYPHENS.search(sep):
            out.append("-")
            pos += 1
        last = m.end()
    out.append(text[last:])
    k = "".join(out)
    return k, frozenset(p for p in hard if p < len(k)), frozenset(p for p in soft if p < len(k))


class TextKey(NamedTuple):
    """What the lexicon matches a piece of free text on: its :func:`exact_key` and :func:`key`, and where it had
    whitespace (``exact_hard`` in the exact key, ``hard`` in the key) and hyphens or token boundaries (``soft``).

    The key of a token sequence is the concatenation of its tokens' keys, so a matcher may also grow one token by
    token (:mod:`miner.nlp.drug_linker`) instead of calling :func:`text_key` for every n-gram.
    """

    exact: str
    lowered: str
    exact_hard: AbstractSet[int] = _EMPTY
    hard: AbstractSet[int] = _EMPTY
    soft: AbstractSet[int] = _EMPTY


def text_key(text: str, single_word: bool = False) -> TextKey:
    """The :class:`TextKey` of ``text``; with ``single_word`` its word structure is left out, so that ``text``
    reads as one word and only synonyms written without spaces can match it (a part of "carboplatin/cisplatin")."""
    exact, exact_hard, _ = key_splits(text, exact=True)
    lowered, hard, soft = key_splits(text)
    if single_word:
        return TextKey(exact, lowered)
    return TextKey(exact, lowered, exact_hard, hard, soft)


def _fold(text: str) -> str:
    if text.isascii():  # fast path: nothing to normalise
        return text
    text = unicodedata.normalize("NFKC", text)
    if any(ch in _GREEK for ch in text):
        text = "".join(_GREEK.get(ch, ch) for ch in text)
    return text


def singular_keys(k: str) -> tuple[str, ...]:
    """Candidate singular forms of a key, most specific first ("antibodies" -> "antibody")."""
    out: list[str] = []
    if len(k) > 4 and k.endswith("ies"):
        out.append(k[:-3] + "y")
    if len(k) > 3 and k.endswith("s") and not k.endswith("ss"):
        out.append(k[:-1])
    return tuple(out)


def is_case_sensitive(text: str) -> bool:
    """True for short letter-only acronyms (<= 6 letters, >= 2 capitals: "AIs", "ADT", "AC-T"), matched with
    :func:`exact_key`. Codes with digits ("5-FU", "T-DM1", "CDK4/6i") are distinctive in any case."""
    if len(text) > 16:  # fast path: names, not acronyms
        return False
    alnum = [ch for ch in text if ch.isalnum()]
    if len(alnum) > 6 or any(ch.isdigit() for ch in alnum):
        return False
    return sum(ch.isupper() for ch in alnum) >= 2


#: Trailing salt/hydrate words: "irinotecan hydrochloride" is irinotecan for mining purposes.
SALT_WORDS = frozenset(
    "hydrochloride dihydrochloride hcl mesylate mesilate dimesylate sulfate sulphate sodium disodium potassium "
    "calcium citrate maleate dimaleate tartrate bitartrate acetate phosphate fumarate tosylate ditosylate besylate "
    "succinate malate hydrobromide bromide chloride lactate gluconate monohydrate dihydrate trihydrate hydrate "
    "anhydrous hemihydrate camsylate esylate".split()
)


#: What is left of a name that was not a salt of a drug but an inorganic salt, an ester or an eponym, so that no
#: drug name remains: an ion ("calcium(II) acetate", "Monopotassium chloride", "Dicholine succinate"), a grade
#: ("Dibasic potassium phosphate", "Secondary potassium phosphate", "Elemental calcium"), an alkyl/aryl group of an
#: ester ("Fluorodiisopropyl phosphate", "o-carboxyphenyl acetate") or a possessive ("Peyrone's chloride").
_NOT_A_DRUG_BASE = re.compile(
    r"(?:(?:mono|di|tri|tetra)?(?:sodium|potassium|calcium|magnesium|lithium|ammonium|choline|zinc|ferrous|ferric)"
    r"(?:\([^)]*\))?|(?:mono|di|tri)basic|primary|secondary|tertiary|elemental|.*yl|.*'s)",
    re.IGNORECASE,
)


def strip_salt(name: str) -> str | None:
    """"Irinotecan Hydrochloride" -> "Irinotecan"; None when there is no trailing salt word, or when what remains
    names no drug (``_NOT_A_DRUG_BASE``: "Dibasic potassium phosphate" is not a salt of "Dibasic")."""
    words = name.split()
    stripped = False
    while len(words) > 1 and words[-1].lower() in SALT_WORDS:
        words.pop()
        stripped = True
    base = " ".join(words).rstrip(" ,;:-")
    if not stripped or len(base) < 4 or (len(words) == 1 and _NOT_A_DRUG_BASE.fullmatch(base)):
        return None
    return base
