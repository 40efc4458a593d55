"""Longest-match lookup of names over n-grams: the dictionary tagger of the drug linker, the table reader and the
prefilters (the approach of spaCy's PhraseMatcher and scispacy's drug taggers, on lexicon keys).

Names run over several tokens or words ("trastuzumab emtansine", "EGFR tyrosine kinase inhibitors"), and a
shorter name often starts a longer one ("trastuzumab"), so at each position the n-gram grows one item at a time
and the longest one the lexicon knows wins; matching resumes after it. How an n-gram is looked up, and when it
cannot grow further (no lexicon name starts with it), is the caller's: a token matcher grows lexicon keys, a table
reader looks cell words up as written.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

#: ``grow(start)``: the n-grams starting at ``start``, shortest first, as (end, what the lexicon says of
#: ``items[start:end]``, None if nothing); it stops when no longer n-gram can match.
Grow = Callable[[int], Iterable[tuple[int, "T | None"]]]


def longest_matches(n: int, grow: Grow) -> Iterator[tuple[int, int, T]]:
    """Non-overlapping (start, end, hit) over ``n`` items, left to right: the longest hit of each start wins."""
    i = 0
    while i < n:
        best: tuple[int, T] | None = None
        for end, hit in grow(i):
            if hit is not None:
                best = (end, hit)
        if best is None:
            i += 1
            continue
        yield i, best[0], best[1]
        i = best[0]


def prefix_grow(
    n: int, lookup: Callable[[int, int], T | None], max_len: int, extends: Callable[[int, int], bool] | None = None
) -> Grow:
    """A :data:`Grow` that looks up ``items[start:end]`` with ``lookup(start, end)`` for n-grams of up to ``max_len``
    items, and stops after an n-gram ``extends(start, end)`` says no longer name can start with (None: never)."""

    def grow(start: int) -> Iterator[tuple[int, T | None]]:
        for end in range(start + 1, min(n, start + max_len) + 1):
            yield end, lookup(start, end)
            if extends is not None and not extends(start, end):
                return

    return grow
