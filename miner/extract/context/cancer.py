"""The cancer a sentence names: the first cancer mention, with the elliptical list of sites that shares its head noun
("lung, ovarian, and head and neck tumors")."""

from __future__ import annotations

import re

from miner.extract.grammar import load_grammar
from miner.extract.mentions import Mention

_CANCER = re.compile(
    r"cancer|carcinoma|tumou?r|neoplas|leuka?emia|lymphoma|myeloma|melanoma|sarcoma|glioma|blastoma|"
    r"mesothelioma|adenoma|NSCLC|SCLC|CRPC|GIST|AML|CML|ALL|CLL|HCC",
    re.IGNORECASE,
)
#: words that end a clause rather than name a cancer site ("patients with and without", "cells treated or")
_NOT_A_SITE = sorted(load_grammar().word_list("not_a_site"))
#: a word that may name a site: not one of those, nor a verb form in -ing/-ed ("treating lung, ...")
_SITE_WORD = r"(?!(?:%s)\b)(?![A-Za-z-]+(?:ing|ed)\b)[A-Za-z][\w-]*" % "|".join(_NOT_A_SITE)
_SITE = r"{w}(?: {w}| and {w})?".format(w=_SITE_WORD)
#: an elliptical list whose items share the head noun of the cancer mention after it ("lung, ovarian, skin, breast,
#: and | head and neck tumors", "colorectal, head and neck, and | non-small cell lung cancer", "breast or | ovarian
#: cancer"): items of one or two words (or "head and neck"), then "and"/"or"
_SHARED_HEAD_LIST = re.compile(r"(?<![\w-])(?:{s},\s+)*{s},?\s+(?:and|or)\s+$".format(s=_SITE), re.IGNORECASE)
#: a list that would begin right after "and"/"or" is the tail of a longer one the item pattern did not read
_AFTER_CONJUNCTION = re.compile(r"\b(?:and|or),?\s+$", re.IGNORECASE)


def is_cancer(text: str) -> bool:
    """Whether a disease mention names a cancer (by its head word or a common acronym)."""
    return bool(_CANCER.search(text))


def cancer_in(mentions: list[Mention], text: str, start: int) -> str:
    """The first cancer named in a sentence (``text`` at document offset ``start``).

    A cancer mention preceded by an elliptical list whose items share its head noun keeps the whole list ("lung,
    ovarian, and head and neck tumors" rather than just the last item); items may not contain another mention.
    """
    for m in mentions:
        if m.kind == "DISEASE" and is_cancer(m.text):
            before = text[: max(0, m.start - start)]
            pos = 0
            while match := _SHARED_HEAD_LIST.search(before, pos):
                inside = [o.end - start for o in mentions if o is not m and start + match.start() <= o.start < m.start]
                if not inside:
                    if _AFTER_CONJUNCTION.search(before, 0, match.start()):
                        break
                    return text[match.start() : m.end - start]
                pos = max(inside)  # the list can only start after a mention it would swallow
            return m.text
    return ""
