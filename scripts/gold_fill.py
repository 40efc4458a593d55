"""Fill the mechanical fields of gold rows in place: quote offsets, ids, resolved references.

Annotators write `annotations/gold/review_<NNN>.jsonl` rows with the judgement fields
(drug, prior_drug, mechanism, effect, ...), a verbatim `evidence_quote` and the cited
reference numbers in `refs`. This tool, which is idempotent, then:

* locates `evidence_quote` in the review text and stores `offsets["evidence_quote"]`
  (Python string indices into the UTF-8 file); a quote found several times takes the
  occurrence nearest after the previous row's quote (rows follow the text order), and a
  row may force one with `offsets["evidence_quote"]` already set correctly;
* sets `id` (g<NNN>-<4 digits>, kept if present), `source = "gold"` and
  `doc_id = "text:review_<NNN>"`;
* resolves `refs` against `annotations/references_<NNN>.jsonl` into `references`.

Usage: python scripts/gold_fill.py 000 [--reviews ../shared/seeds]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from miner.evaluate.gold import locate_quote, write_rows  # noqa: E402

REVIEW_FILES = {"000": "000_21accde04c05f8fa.txt", "001": "001_b7be499466b4752f.txt"}


def _retired_ids(gold_path: Path) -> set[str]:
    """Ids listed in the gold changelog as removed, so that they are never given to another row."""
    log = gold_path.parent / "CHANGELOG.md"
    if not log.is_file():
        return set()
    import re

    return set(re.findall(r"\bg\d{3}-\d{4}\b", log.read_text(encoding="utf-8")))


def fill(review: str, reviews_dir: Path) -> int:
    text = (reviews_dir / REVIEW_FILES[review]).read_text(encoding="utf-8")
    gold_path = REPO / "annotations" / "gold" / f"review_{review}.jsonl"
    ref_path = REPO / "annotations" / f"references_{review}.jsonl"
    refs = {}
    if ref_path.exists():
        for line in ref_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                refs[str(r["number"])] = r
    rows = [json.loads(l) for l in gold_path.read_text(encoding="utf-8").splitlines() if l.strip()]
    problems, last = 0, 0
    used_ids = {r["id"] for r in rows if r.get("id")}
    # new rows are numbered above every id ever used (also removed rows': their ids stay retired)
    counter = 1 + max((int(i.rsplit("-", 1)[1]) for i in used_ids | _retired_ids(gold_path) if i.rsplit("-", 1)[1].isdigit()),
                      default=0)
    for n, row in enumerate(rows, 1):
        quote = row.get("evidence_quote", "")
        offsets = row.setdefault("offsets", {})
        found = locate_quote(text, quote, offsets.get("evidence_quote"), last)
        if found is None:
            print(f"row {n} ({row.get('drug')} / {row.get('prior_drug')}): quote not found: {quote[:80]!r}", file=sys.stderr)
            problems += 1
            continue
        offsets["evidence_quote"] = found
        last = offsets["evidence_quote"][0]
        if not row.get("id"):
            while f"g{review}-{counter:04d}" in used_ids:
                counter += 1
            row["id"] = f"g{review}-{counter:04d}"
            used_ids.add(row["id"])
        row["source"] = "gold"
        row["doc_id"] = f"text:review_{review}"
        resolved = []
        for number in row.get("refs", []):
            ref = refs.get(str(number))
            if ref is None:
                print(f"row {n}: reference {number} not in {ref_path.name}", file=sys.stderr)
                problems += 1
                continue
            resolved.append({k: ref.get(k) for k in ("number", "first_author", "title", "year", "doi", "pmid") if k in ref})
        row["references"] = resolved
    write_rows(gold_path, rows)
    print(f"{gold_path}: {len(rows)} rows, {problems} problem(s)")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("review", choices=sorted(REVIEW_FILES))
    ap.add_argument("--reviews", type=Path, default=REPO.parent / "shared" / "seeds")
    args = ap.parse_args()
    sys.exit(1 if fill(args.review, args.reviews) else 0)


if __name__ == "__main__":
    main()
