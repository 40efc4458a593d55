"""GENIA POS corpus (``token<TAB>PTB tag``) to tagger-only training sentences.

The file interleaves MEDLINE headers (``UI - <id>``, ``TI -``, ``AB -``) with the
sentences; these are stripped, and the UI groups sentences into abstracts so a
whole abstract can be dropped when it also occurs in a held-out treebank split
(GENIA POS and the GENIA treebank cover the same 2,000 abstracts).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from miner.errors import InputFileError

#: GENIA POS writes brackets as bare "(" / ")"; the treebanks use PTB's -LRB-/-RRB-.
TAG_MAP = {"(": "-LRB-", ")": "-RRB-"}


@dataclass
class PosAbstract:
    """The tagged sentences of one MEDLINE record."""

    ui: str
    sentences: list[list[tuple[str, str]]] = field(default_factory=list)


def sentence_key(words: Iterable[str]) -> str:
    """Tokenization-independent key of a sentence (lower-cased; spaces, quotes, entities removed)."""
    text = html.unescape("".join(words)).lower()
    return "".join(ch for ch in text if ch not in "`'\"")


def parse_genia_pos(lines: Iterable[str], source: str = "<genia-pos>") -> Iterator[PosAbstract]:
    """Yield abstracts with their tagged sentences, headers removed."""
    current: PosAbstract | None = None
    sent: list[tuple[str, str]] = []

    def close_sentence() -> None:
        nonlocal sent, current
        if not sent:
            return
        if sent[0][1] == "LS" and sent[0][0] == "UI" and len(sent) >= 3:
            if current is not None and current.sentences:
                yield_list.append(current)
            current = PosAbstract(ui=sent[2][0])
        else:
            if len(sent) >= 2 and sent[0][1] == "LS" and sent[0][0] in {"TI", "AB"} and sent[1][0] == "-":
                sent = sent[2:]
            if sent:
                if current is None:
                    current = PosAbstract(ui="")
                current.sentences.append([(w, TAG_MAP.get(t, t)) for w, t in sent])
        sent = []

    yield_list: list[PosAbstract] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip():
            close_sentence()
        else:
            parts = line.split("\t")
            if len(parts) != 2:
                raise InputFileError(source, "expected `token<TAB>tag`", f"line {lineno}")
            sent.append((parts[0], parts[1]))
        while yield_list:
            yield yield_list.pop(0)
    close_sentence()
    yield from yield_list
    if current is not None and current.sentences:
        yield current


def drop_heldout(abstracts: Iterable[PosAbstract], heldout_keys: set[str]) -> tuple[list[PosAbstract], int]:
    """Remove every abstract that shares a sentence with a held-out set; returns (kept, n_dropped)."""
    kept, dropped = [], 0
    for ab in abstracts:
        if any(sentence_key(w for w, _ in s) in heldout_keys for s in ab.sentences):
            dropped += 1
        else:
            kept.append(ab)
    return kept, dropped
