"""Names written as one compound of several agents: "carboplatin/cisplatin", "trastuzumab+pertuzumab",
"5-FU, leucovorin and oxaliplatin", "BRAF/MEK inhibitors".

A compound names a combination (or alternatives) only when each part is a name of its own, which only the lexicon
can tell; this module only cuts the text, in one way for every stage: the drug linker and the sentence reader cut
single tokens at "+" and "/" (:data:`GLUED`), the evaluation cuts written gold names at words as well
(:data:`WRITTEN`), and the prefilter cuts at hyphens too (it only asks whether a part is a drug at all).
"""

from __future__ import annotations

import re

#: A "+" or "/" joining two names inside one word ("carboplatin/cisplatin", "trastuzumab+pertuzumab", "sirolimus+").
GLUED = re.compile(r"\s*[+/]\s*")
#: The separators of a combination written out: "X plus Y", "X + Y", "X and Y", "X with Y", "X, Y".
WRITTEN = re.compile(
    r"\s*\+\s*|\s*,\s*(?:and\s+|plus\s+)?|\s+(?:in\s+combination\s+with|combined\s+with|plus|and|with)\s+",
    re.IGNORECASE,
)
_SHARED_TAIL = re.compile(r"([^\s/]+)/([^\s/]+)(\s.*)?")


def compound_parts(text: str, joins: re.Pattern[str] = GLUED) -> list[tuple[int, int]]:
    """(start, end) of the non-empty parts of ``text`` between ``joins``, in order."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in joins.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def split_compound(text: str, joins: re.Pattern[str] = GLUED) -> list[str]:
    """The non-empty parts of ``text`` between ``joins`` ("carboplatin/cisplatin" -> carboplatin, cisplatin)."""
    return [text[s:e] for s, e in compound_parts(text, joins)]


def split_shared_tail(text: str) -> list[str]:
    """ "BRAF/MEK inhibitors" -> ["BRAF inhibitors", "MEK inhibitors"]: two words joined by "/" share what follows;
    [] when ``text`` is not of that shape."""
    m = _SHARED_TAIL.fullmatch(text)
    if not m:
        return []
    tail = m.group(3) or ""
    return [m.group(1) + tail, m.group(2) + tail]
