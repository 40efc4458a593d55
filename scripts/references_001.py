"""Parse the reference list of review 001 (Loria et al. 2022) into annotations/references_001.jsonl.

The review text (read at run time from the shared seeds folder, never copied) lists its
references as markdown lines ``- N. Authors. Title. Journal (Year) vol:pages. doi: [..](..)``.
PDF conversion interleaves a few body paragraphs with the list and breaks some entries over
two lines, so an entry without a ``(Year)`` takes the next non-reference line as its
continuation. Output is deterministic (sorted by number); gaps and duplicates are reported.

Usage: python scripts/references_001.py [--out annotations/references_001.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from miner.config import SHARED_DIR

REVIEW = "001_b7be499466b4752f.txt"
REPO = Path(__file__).resolve().parent.parent
REF_LINE = re.compile(r"^- (\d+)\.\s*(.*)$")
YEAR = re.compile(r"\((1[89]\d\d|20\d\d)\)")
# A markdown link [label](target); targets may hold one level of parentheses (DOIs do).
LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
AUTHORS_END = re.compile(r"^(.*?(?:et al\.|\s[A-Z][A-Za-z]{0,3}\.|\b[A-Z]{1,4}\.))\s+")


def _entries(text: str) -> list[tuple[int, str]]:
    """(number, raw entry) pairs, with broken entries joined to their continuation line."""
    lines = text.splitlines()
    entries: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        m = REF_LINE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        number, body = int(m.group(1)), m.group(2).strip()
        if not YEAR.search(body):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and not REF_LINE.match(lines[j].strip()):
                body = f"{body} {lines[j].strip()}"
                i = j
        entries.append((number, body))
        i += 1
    return entries


def _doi(body: str) -> str:
    """The DOI printed after ``doi:``, link debris removed, lower-case, dashes restored."""
    m = re.search(r"doi:\s*(.*)$", body)
    if not m:
        return ""
    raw = LINK.sub(lambda k: k.group(1), m.group(1))
    raw = raw.replace("\\(", "(").replace("\\)", ")").replace("–", "-")
    raw = re.sub(r"\s+", "", raw).rstrip(".")
    return raw.lower()


def parse_entry(number: int, body: str) -> dict:
    """One reference dict: number, first_author, title, year, doi, journal."""
    year_m = YEAR.search(body)
    head = body[: year_m.start()].strip() if year_m else body
    authors_m = AUTHORS_END.match(head)
    if authors_m:
        authors, rest = authors_m.group(1), head[authors_m.end():]
    else:  # corporate author: "Global Cancer Observatory." etc.
        authors, _, rest = head.partition(". ")
    first_author = re.split(r",| and ", authors.rstrip("."), maxsplit=1)[0].strip()
    if " " not in first_author:  # PDF lost the space: "AndréF" -> "André F"
        first_author = re.sub(r"(?<=[^\sA-Z])([A-Z]{1,3})$", r" \1", first_author)
    # The journal is the last sentence before "(Year)"; the title is everything before it.
    cut = max(rest.rfind(". "), rest.rfind("? "), rest.rfind("! "))
    if cut >= 0:
        title, journal = rest[: cut + 1].strip(), rest[cut + 2:].strip()
    else:
        title, journal = rest.strip(), ""
    return {
        "number": number,
        "first_author": first_author,
        "title": title.rstrip(".").strip(),
        "year": int(year_m.group(1)) if year_m else None,
        "doi": _doi(body),
        "journal": journal.rstrip(".").strip(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--review", type=Path, default=SHARED_DIR / "seeds" / REVIEW)
    ap.add_argument("--out", type=Path, default=REPO / "annotations" / "references_001.jsonl")
    args = ap.parse_args()
    if not args.review.is_file():
        sys.exit(f"error: review text not found: {args.review}")
    refs = [parse_entry(n, b) for n, b in _entries(args.review.read_text(encoding="utf-8"))]
    numbers = [r["number"] for r in refs]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    gaps = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    refs.sort(key=lambda r: r["number"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refs), encoding="utf-8")
    print(f"{args.out}: {len(refs)} references (1..{max(numbers)}), gaps: {gaps or 'none'}, duplicates: {dupes or 'none'}")


if __name__ == "__main__":
    main()
