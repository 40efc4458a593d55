"""Definitions of drug abbreviations: "enzalutamide (ENZA)", "trastuzumab emtansine (T-DM1)".

A drug name followed by a parenthesised short form defines it, for the rest of the document. Schwartz & Hearst's
detector (scispacy, :mod:`miner.nlp.abbreviations`) aligns the characters of the short form with the long form and so
misses "T-DM1", "5-FU" or "CDDP"; when the long form is already known to name a drug, the parenthesis is enough. Two
readers look for such definitions: the drug linker right after the drug mentions it found in a parsed text
(:func:`parenthesised`), and the extractor in a whole long text before parsing it paragraph by paragraph
(:func:`text_definitions`). Both keep a definition by the same rule (:func:`first_definitions`).
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator, TypeVar

V = TypeVar("V")

#: "long form (SHORT)": the definition pattern of abbreviations (Schwartz & Hearst's starting point): up to five
#: words joined by single spaces or U+2010, then "(SHORT" closed by ";", "," or ")".
#: Linear time on any input: a match starts only where a word starts (the lookbehind), words and whitespace are
#: matched possessively (``++``, ``*+``) and the separators share no character with the words (a "-" is part of a
#: word, never a separator), so no run of characters can be split two ways.  The previous pattern allowed "-" as
#: both and backtracked: 130 dashes in a line took over a minute, a 200 KB token without spaces about 15 minutes.
#: Same matches as before (checked on random strings in tests/test_cli_hostile_input.py).
DEFINITION = re.compile(r"(?<![\w+\-/])((?:[\w+\-/]++[ \u2010]){0,4}[\w+\-/]++)\s*+\((\w[\w\-]{1,9})[;,)]")
#: Most tokens a parenthesised short form right after a drug mention may have ("(T-DM1)", "(5 - FU)").
MAX_SHORT_TOKENS = 2


def text_definitions(text: str) -> Iterator[tuple[list[str], str]]:
    """(words of the long form, short form) of every "long form (SHORT)" in ``text``, in order."""
    for m in DEFINITION.finditer(text):
        yield m.group(1).split(), m.group(2)


def parenthesised(text_at: Callable[[int], str], n: int, end: int) -> tuple[int, int] | None:
    """(start, end) of the tokens inside a parenthesis opened by token ``end`` of ``n`` ("trastuzumab emtansine
    ( T-DM1 )"), when it holds 1 to :data:`MAX_SHORT_TOKENS` tokens; else None. ``text_at(i)`` is token i's text."""
    if end + 2 >= n or text_at(end) != "(":
        return None
    close = next((k for k in range(end + 1, min(end + 2 + MAX_SHORT_TOKENS, n)) if text_at(k) == ")"), None)
    if close is None or close == end + 1:
        return None
    return end + 1, close


def first_definitions(candidates: Iterable[tuple[str, object, object | None, V]]) -> dict[str, V]:
    """Short form -> value of its first definition, from (short form, what the long form names, what the short form
    names itself or None, value) in document order. A short form that is itself the name of another agent is no
    abbreviation of this one."""
    out: dict[str, V] = {}
    for short, agent, named, value in candidates:
        if short not in out and (named is None or named == agent):
            out[short] = value
    return out


def number_variants(short: str) -> tuple[str, ...]:
    """The other grammatical number of a short form ("PIs" -> "PI", "TKI" -> "TKIs"), when it is still an
    abbreviation (two capitals at least): a document that defines "proteasome inhibitors (PIs)" writes "PI
    resistance" too."""
    other = short[:-1] if short.endswith("s") else short + "s"
    return (other,) if sum(c.isupper() for c in other) >= 2 and len(other) >= 2 else ()
