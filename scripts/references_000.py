"""Parse the reference list of review 000 into annotations/references_000.jsonl.

The seed text renders each reference one token per line ("12.", "Surname", "AB", ",",
..., ", et al" or ". ", title, ".", journal, year, ";", volume, ":", pages, "."), after
the body text.  Gold rows cite references by number; ``scripts/gold_fill.py`` resolves
those numbers against the file written here.  Output is deterministic (sorted by number).

Usage: python scripts/references_000.py [--seeds DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from miner.config import SHARED_DIR

REVIEW_FILE = "000_21accde04c05f8fa.txt"
REPO = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"^(\d+)\.$")
YEAR = re.compile(r"^(19|20)\d\d[a-z]?$")
DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.I)
#: The body ends with the figure-credit statement; the list starts at the first "1." after it.
LIST_START = re.compile(r"^1\.$")


def reference_tokens(text: str) -> list[str]:
    """Non-empty lines of the reference list (everything from the first line '1.')."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if LIST_START.match(line.strip())), None)
    if start is None:
        raise SystemExit(f"{REVIEW_FILE}: no reference list found (no line '1.')")
    return [line.strip() for line in lines[start:] if line.strip()]


def split_entries(tokens: list[str]) -> dict[int, list[str]]:
    """Entries keyed by number; a new entry starts only at the next expected number,
    so page numbers such as '100023.' are not mistaken for entry labels."""
    entries: dict[int, list[str]] = {}
    current, expected = None, 1
    for tok in tokens:
        m = NUMBER.match(tok)
        if m and int(m.group(1)) == expected:
            current = expected
            entries[current] = []
            expected += 1
            continue
        if current is not None:
            entries[current].append(tok)
    return entries


def parse_entry(number: int, toks: list[str]) -> dict:
    """Author list, title, journal, year and DOI of one tokenised entry."""
    i, authors = 0, []
    # authors: Surname, Initials pairs separated by ","; ends at ", et al" or ". " (now ".")
    while i < len(toks):
        tok = toks[i]
        if tok in (", et al", "."):
            i += 1
            break
        if tok != ",":
            authors.append(tok)
        i += 1
    # title: up to the "." token; a title ending in "?" or "!" has no "." after it,
    # so it also ends there when the token after the next one (journal) is a year
    title_parts = []
    while i < len(toks):
        tok = toks[i]
        i += 1
        if tok == ".":
            break
        title_parts.append(tok)
        if tok.endswith(("?", "!")) and i + 1 < len(toks) and YEAR.match(toks[i + 1]):
            break
    rest = toks[i:]
    journal = rest[0] if rest and not YEAR.match(rest[0]) else ""
    year = next((int(t[:4]) for t in rest if YEAR.match(t)), None)
    first_author = " ".join(authors[:2]) if authors else ""
    doi_match = DOI.search(" ".join(toks))
    return {
        "number": number,
        "first_author": first_author,
        "title": " ".join(title_parts).strip(),
        "year": year,
        "doi": doi_match.group(1).lower().rstrip(".") if doi_match else "",
        "journal": journal,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=Path, default=SHARED_DIR / "seeds")
    ap.add_argument("--out", type=Path, default=REPO / "annotations" / "references_000.jsonl")
    args = ap.parse_args()
    path = args.seeds / REVIEW_FILE
    if not path.is_file():
        raise SystemExit(f"{path}: no such file")
    entries = split_entries(reference_tokens(path.read_text(encoding="utf-8")))
    refs = [parse_entry(n, toks) for n, toks in sorted(entries.items())]
    last = max(entries) if entries else 0
    gaps = [n for n in range(1, last + 1) if n not in entries]
    incomplete = [r["number"] for r in refs if not (r["title"] and r["year"])]
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refs), encoding="utf-8")
    tmp.replace(args.out)
    print(f"{args.out}: {len(refs)} references (1..{last}); gaps: {gaps or 'none'}; "
          f"incomplete (no title or year): {incomplete or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
